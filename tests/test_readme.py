"""The README's examples are true: its Python snippet runs, its commands are CI's."""

import os
import re

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_python_example_runs(monkeypatch):
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    monkeypatch.chdir(REPO)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    table = namespace["comparison_table"](namespace["result"].summary)
    assert list(table.columns) == ["siloed", "merged", "merged/siloed"]
    assert namespace["scenario"].horizon_days == 30


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```\n(.*?)```", README, re.S)
    test_cmd = next(b for b in blocks if "pytest" in b).strip().split(" && ")[-2:]
    ci = (REPO / ".ci" / "run").read_text()
    assert " && ".join(test_cmd) in ci
    assert os.access(REPO / ".ci" / "run", os.X_OK)


def test_documented_cli_commands_parse():
    from sim.cli import _parser

    for line in README.splitlines():
        if line.startswith("gridsim ") and "my_street" not in line:
            args = line.split("#")[0].split(">")[0].split()[1:]
            _parser().parse_args(args)  # raises SystemExit on a stale example
