"""Bad scenarios through the command line: exit code 2, the file, the field path and what was
expected on stderr, no traceback, and nothing written.  Also ``--set``, ``gridsim schema`` and a
valid file."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import REPO, make_raw

import sim
from sim.scenario import DEFAULT_SCENARIO_PATH


def _write(tmp_path, content, name="bad.yaml"):
    """Write raw scenario data (dumped as YAML) or literal text; returns the path."""
    path = tmp_path / name
    if isinstance(content, (str, bytes)):
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    else:
        path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _rename(raw, dotted, new_key):
    """Rename the key at ``dotted`` (a typo), keeping its value."""
    *head, last = dotted.split(".")
    node = raw
    for k in head:
        node = node[k]
    node[new_key] = node.pop(last)
    return raw


def _error_lines(stderr: str, path) -> list[str]:
    """The problem lines of an error report (each starts with the file name)."""
    return [line.strip() for line in stderr.splitlines() if line.strip().startswith(str(path))]


def _check_bad(proc, path, out, *expected):
    """Exit 2, no traceback, file named, every expected fragment present, nothing written."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout
    assert str(path) in proc.stderr, proc.stderr
    for fragment in expected:
        assert fragment in proc.stderr, f"{fragment!r} not in stderr:\n{proc.stderr}"
    if out is not None:
        assert not out.exists(), f"{out} was written: {list(out.iterdir())}"


@pytest.fixture
def cli(capsys):
    """``sim.cli.main(args)`` in this process, as a CompletedProcess-like result (quicker than a
    subprocess; an exception escaping ``main`` fails the test)."""
    from types import SimpleNamespace

    from sim.cli import main

    def call(*args: str):
        capsys.readouterr()
        code = main([str(a) for a in args])
        cap = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=cap.out, stderr=cap.err)

    return call


# Each case: raw scenario data (or text) and fragments that must all appear on stderr: the field
# path and what was expected.
def _cases():
    return {
        "typo at top level": (
            _rename(make_raw(), "horizon_days", "horizon_dayz"),
            ["horizon_dayz: unknown field", "horizon_days: required field is missing"],
        ),
        "typo nested in a department": (
            _rename(make_raw(), "departments.alpha.headcount", "headcont"),
            ["departments.alpha.headcont: unknown field", "departments.alpha.headcount: required field is missing"],
        ),
        "extra key nested in a distribution": (
            make_raw("categories.simple.service.alpha={dist: lognormal, mean: 1.0, cv: 0.5, sd: 1}"),
            ["categories.simple.service.alpha.sd: unknown field"],
        ),
        "wrong type (text for a headcount)": (
            make_raw("departments.alpha.headcount=many"),
            ["departments.alpha.headcount:", "valid integer"],
        ),
        "wrong type (map expected, list given)": (make_raw("areas=[north, south]"), ["areas:", "valid dictionary"]),
        "wrong type (fractional headcount)": (
            make_raw("departments.beta.headcount=2.5"),
            ["departments.beta.headcount:", "valid integer"],
        ),
        "negative rate": (
            make_raw("groups.residents.arrivals_per_day=-1"),
            ["groups.residents.arrivals_per_day:", "greater than or equal to 0"],
        ),
        "probability above 1": (
            make_raw("groups.residents.p_right_line_grid=1.5"),
            ["groups.residents.p_right_line_grid:", "less than or equal to 1"],
        ),
        "category_mix not summing to 1": (
            make_raw("groups.residents.category_mix={simple: 0.5, double: 0.3}"),
            ["category_mix", "must sum to 1", "0.8"],
        ),
        "category naming an unknown department": (
            make_raw(
                "categories.double.departments=[alpha, delta]",
                "categories.double.service={alpha: {dist: fixed, value: 1}, delta: {dist: fixed, value: 1}}",
            ),
            ["categories.double.departments:", "unknown department 'delta'", "expected one of", "'alpha'"],
        ),
        "unknown distribution kind": (
            make_raw("categories.simple.service.alpha={dist: weibull, mean: 1}"),
            ["categories.simple.service.alpha:", "weibull", "lognormal"],
        ),
        "calendar hours out of order": (
            make_raw("calendars.office.hours=[[17, 9]]"),
            ["calendars.office.hours: expected [open, close] pairs with 0 <= open < close <= 24"],
        ),
        "department with an unknown calendar": (
            make_raw("departments.gamma.calendar=nights"),
            ["departments.gamma.calendar:", "unknown calendar 'nights'"],
        ),
    }


CASES = _cases()


TEXT_CASES = {
    "empty file": ("", ["file is empty"]),
    "only a comment": ("# only a comment\n\n", ["file is empty"]),
    "not YAML (unclosed bracket)": ("name: [unclosed\nseed: 1\n", ["not valid YAML at line"]),
    "not YAML (bad indentation)": ("name: tiny\n  seed: : 3\n", ["not valid YAML"]),
    "a list, not a map": ("- just\n- a list\n", ["expected a YAML map"]),
    "a string, not a map": ("just a string\n", ["expected a YAML map"]),
    "not text (binary)": (b"\xff\xfe\x00name: x\n", ["cannot read file"]),
    "missing file": (None, ["file not found"]),
}
ALL_CASES = {**CASES, **TEXT_CASES}
#: The kinds the command line is checked on in a real subprocess (the rest in process, quicker).
SUBPROCESS_CASES = [
    "typo at top level",
    "typo nested in a department",
    "wrong type (text for a headcount)",
    "negative rate",
    "category_mix not summing to 1",
    "category naming an unknown department",
    "empty file",
    "not YAML (unclosed bracket)",
    "missing file",
]


def _case_file(folder, case):
    content = ALL_CASES[case][0]
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "missing.yaml" if content is None else _write(folder, content)


@pytest.fixture(scope="module")
def cli_bad(tmp_path_factory):
    """Every bad case through the real command line (``python -m sim run FILE --out OUT``) in a
    subprocess, run concurrently to keep the suite quick: ``{case: (path, out, CompletedProcess)}``."""
    import os
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    root = tmp_path_factory.mktemp("bad")
    jobs = {}
    for k, case in enumerate(SUBPROCESS_CASES):
        path = _case_file(root / f"case{k}", case)
        jobs[case] = (path, root / f"case{k}" / "out")

    def call(case):
        path, out = jobs[case]
        return subprocess.run(
            [sys.executable, "-m", "sim", "run", str(path), "--out", str(out), "--no-plots"],
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        done = dict(zip(SUBPROCESS_CASES, pool.map(call, SUBPROCESS_CASES)))
    return {case: (*jobs[case], done[case]) for case in SUBPROCESS_CASES}


@pytest.mark.slow
@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_bad_scenario_run_subprocess_exit_2(cli_bad, case):
    """``gridsim run BAD --out OUT``: exit 2, file + field + expectation on stderr, no traceback, no OUT."""
    path, out, proc = cli_bad[case]
    _check_bad(proc, path, out, *ALL_CASES[case][1])
    assert "invalid scenario" in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("case", ["typo nested in a department"])
def test_bad_scenario_validate_subprocess_exit_2(tmp_path, gridsim_cli, case):
    path = _case_file(tmp_path, case)
    proc = gridsim_cli("validate", str(path))
    _check_bad(proc, path, None, *ALL_CASES[case][1])
    assert "OK" not in proc.stdout


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", list(ALL_CASES))
def test_bad_scenario_in_process(tmp_path, cli, case, command):
    """The same through ``sim.cli.main`` in this process, for both commands."""
    path = _case_file(tmp_path, case)
    out = tmp_path / "out"
    proc = cli(command, path, *(["--out", out, "--no-plots"] if command == "run" else []))
    _check_bad(proc, path, out, *ALL_CASES[case][1])
    assert "invalid scenario" in proc.stderr and proc.stdout == ""


def test_category_mix_error_names_the_dotted_field_path(tmp_path, cli):
    """Every error names the field by the dotted path that ``--set`` would use.

    A mix that does not sum to 1 is a problem of ``groups.residents.category_mix``.
    """
    path = _write(tmp_path, make_raw("groups.residents.category_mix={simple: 0.5, double: 0.3}"))
    proc = cli("validate", str(path))
    _check_bad(proc, path, None, "groups.residents.category_mix", "must sum to 1")


@pytest.mark.slow
@pytest.mark.parametrize(
    "field,value",
    [
        ("horizon_days", ".inf"),
        ("groups.residents.arrivals_per_day", ".inf"),
        ("categories.simple.service.alpha.value", ".inf"),
        ("satisfaction.b0", ".nan"),
    ],
)
def test_infinite_values_are_bad_input(tmp_path, gridsim_cli, cli, field, value):
    """An infinite or not-a-number horizon, rate or parameter is not a usable scenario: exit 2 with the
    field named, not a crash."""
    path = _write(tmp_path, make_raw(f"{field}={value}"))
    out = tmp_path / "out"
    _check_bad(cli("validate", path), path, None, f"{field}: Input should be a finite number")
    _check_bad(gridsim_cli("run", str(path), "--no-plots", "--out", str(out)), path, out, field)


def test_bad_input_leaves_an_existing_results_folder_untouched(tmp_path, cli):
    out = tmp_path / "out"
    out.mkdir()
    (out / "appeals.csv").write_text("earlier results\n")
    path = _write(tmp_path, make_raw("groups.residents.arrivals_per_day=-1"))
    proc = cli("run", str(path), "--out", str(out))
    _check_bad(proc, path, None, "groups.residents.arrivals_per_day")
    assert sorted(p.name for p in out.iterdir()) == ["appeals.csv"]
    assert (out / "appeals.csv").read_text() == "earlier results\n"


# ---------------------------------------------------------------- all errors at once


@pytest.mark.slow
def test_two_independent_field_errors_are_both_reported(tmp_path, gridsim_cli):
    raw = make_raw("horizon_dayz=5", "groups.residents.arrivals_per_day=-1")
    path = _write(tmp_path, raw)
    proc = gridsim_cli("validate", str(path))
    _check_bad(
        proc,
        path,
        None,
        "horizon_dayz: unknown field",
        "groups.residents.arrivals_per_day:",
        "greater than or equal to 0",
    )
    lines = _error_lines(proc.stderr, path)
    assert len(lines) == 2, lines  # one line per problem, each naming the file
    assert "2 problems" in proc.stderr


def test_field_errors_in_different_sections_are_all_reported(tmp_path, cli):
    raw = make_raw(
        "departments.alpha.headcount=many", "groups.residents.p_right_line_grid=2", "merged.joint_meeting.weekday=9"
    )
    path = _write(tmp_path, raw)
    proc = cli("run", str(path), "--out", str(tmp_path / "out"))
    _check_bad(
        proc,
        path,
        tmp_path / "out",
        "departments.alpha.headcount:",
        "groups.residents.p_right_line_grid:",
        "merged.joint_meeting.weekday:",
    )
    assert len(_error_lines(proc.stderr, path)) == 3


def test_typo_and_unknown_department_are_both_reported(tmp_path, cli):
    """Two independent problems, a misspelt field and a reference to a department that does not
    exist, are reported together: fixing one must not reveal the other only on the next try."""
    raw = make_raw(
        "departments.alpha.headcont=3",
        "categories.simple.departments=[delta]",
        "categories.simple.service={delta: {dist: fixed, value: 1}}",
    )
    path = _write(tmp_path, raw)
    proc = cli("validate", str(path))
    _check_bad(
        proc,
        path,
        None,
        "departments.alpha.headcont: unknown field",
        "categories.simple.departments: unknown department 'delta' (expected one of ['alpha', 'beta', 'gamma'])",
    )
    assert len(_error_lines(proc.stderr, path)) == 2


def test_field_errors_and_references_in_every_section_are_reported_together(tmp_path, cli):
    """Cross-references are checked on whatever is well formed, next to the field errors: a bad
    department entry still counts as a name, a bad section is skipped rather than misreported."""
    raw = make_raw(
        "horizon_days=-1",
        "departments.alpha.headcount=many",
        "departments.beta.calendar=nights",
        "line_grids.ops.calendar=weekends",
        "groups.residents.category_mix={simple: 0.5, ghost: 0.5}",
        "categories.simple.line_grid=nowhere",
        "models=[siloed, nope]",
        "calendars.office.hours=[[12, 10]]",
        "calendars.office.weekdays=[8]",
    )
    path = _write(tmp_path, raw)
    proc = cli("validate", str(path))
    expected = [
        "horizon_days: Input should be greater than 0",
        "departments.alpha.headcount: Input should be a valid integer",
        "departments.beta.calendar: unknown calendar 'nights'",
        "line_grids.ops.calendar: unknown calendar 'weekends'",
        "groups.residents.category_mix: unknown category 'ghost'",
        "categories.simple.line_grid: unknown line grid 'nowhere'",
        "models: unknown model 'nope'",
        "calendars.office.weekdays: expected a non-empty list of integers 0..6",
        "calendars.office.hours: expected [open, close] pairs",
    ]
    _check_bad(proc, path, None, *expected)
    lines = _error_lines(proc.stderr, path)
    assert len(lines) == len(expected), lines  # nothing reported twice, 'alpha' not called unknown
    assert f"{len(expected)} problems" in proc.stderr


def test_references_into_a_malformed_section_are_not_checked(tmp_path, cli):
    """With ``calendars`` not a map there are no calendar names to check against: one problem, not
    one per department and line grid."""
    path = _write(tmp_path, make_raw("calendars=[office]"))
    proc = cli("validate", str(path))
    _check_bad(proc, path, None, "calendars: Input should be a valid dictionary")
    assert len(_error_lines(proc.stderr, path)) == 1, proc.stderr


def test_stationing_is_checked_against_a_well_formed_department_when_merged_is_bad(tmp_path, cli):
    raw = make_raw("merged.intake=slow", "departments.alpha.headcount=1", "departments.alpha.stationed_share=0.9")
    path = _write(tmp_path, raw)
    proc = cli("validate", str(path))
    _check_bad(
        proc,
        path,
        None,
        "merged.intake:",
        "departments.alpha.stationed_share: stationing leaves the department no staff",
    )


def test_two_reference_errors_are_both_reported(tmp_path, cli):
    raw = make_raw("categories.simple.line_grid=nowhere", "groups.residents.category_mix={simple: 0.5, ghost: 0.5}")
    path = _write(tmp_path, raw)
    proc = cli("validate", str(path))
    _check_bad(
        proc,
        path,
        None,
        "categories.simple.line_grid: unknown line grid 'nowhere'",
        "groups.residents.category_mix: unknown category 'ghost'",
    )


# ---------------------------------------------------------------- --set


@pytest.mark.slow
def test_set_override_validates(tmp_path, gridsim_cli):
    path = _write(tmp_path, make_raw(), "ok.yaml")
    proc = gridsim_cli("validate", str(path), "--set", "departments.alpha.headcount=5")
    assert proc.returncode == 0, proc.stderr
    assert "OK" in proc.stdout and "Traceback" not in proc.stderr
    sc = sim.load_scenario(path, ["departments.alpha.headcount=5", "merged.joint_meeting.enabled=false"])
    assert sc.departments["alpha"].headcount == 5 and not sc.merged.joint_meeting.enabled
    assert sim.load_scenario(path).departments["alpha"].headcount == 4  # the file itself is unchanged


def test_set_override_takes_effect_in_the_run(tmp_path, cli):
    path = _write(tmp_path, make_raw(), "ok.yaml")
    out = tmp_path / "out"
    proc = cli(
        "run",
        path,
        "--no-plots",
        "--quiet",
        "--out",
        out,
        "--set",
        "departments.alpha.headcount=7",
        "--set",
        "horizon_days=3",
        "--set",
        "warmup_days=0",
    )
    assert proc.returncode == 0, proc.stderr
    written = sim.load_scenario(out / "scenario.yaml")
    assert written.departments["alpha"].headcount == 7 and written.horizon_days == 3


def test_set_override_can_make_a_file_invalid(tmp_path, cli):
    path = _write(tmp_path, make_raw(), "ok.yaml")
    proc = cli("validate", str(path), "--set", "departments.alpha.headcount=0")
    _check_bad(proc, path, None, "departments.alpha.headcount:", "greater than 0")


@pytest.mark.slow
def test_set_unknown_path_is_a_clear_error(tmp_path, gridsim_cli, cli):
    path = _write(tmp_path, make_raw(), "ok.yaml")
    out = tmp_path / "out"
    proc = gridsim_cli("validate", str(path), "--set", "nonsense.path=1")
    _check_bad(proc, path, out, "nonsense: unknown field")
    proc = cli("run", path, "--out", out, "--set", "nonsense.path=1")
    _check_bad(proc, path, out, "nonsense: unknown field")


def test_set_nested_typo_is_a_clear_error(tmp_path, cli):
    path = _write(tmp_path, make_raw(), "ok.yaml")
    proc = cli("validate", str(path), "--set", "departments.alpha.headcont=5")
    _check_bad(proc, path, None, "departments.alpha.headcont: unknown field")


@pytest.mark.parametrize(
    "item,expected",
    [
        ("horizon_days", "expected path.to.field=value"),
        ("horizon_days=[1, 2", "value is not valid YAML"),
        ("seed.deeper=1", "seed: is not a map"),
    ],
)
def test_malformed_set_is_a_clear_error(tmp_path, cli, item, expected):
    path = _write(tmp_path, make_raw(), "ok.yaml")
    proc = cli("validate", str(path), "--set", item)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "--set" in proc.stderr and expected in proc.stderr, proc.stderr


# ---------------------------------------------------------------- schema and valid files


@pytest.mark.slow
def test_schema_prints_valid_json(gridsim_cli):
    proc = gridsim_cli("schema")
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    props = schema["properties"]
    assert {"departments", "groups", "categories", "areas", "merged", "siloed", "horizon_days"} <= set(props)
    assert schema["additionalProperties"] is False  # unknown keys are errors
    assert {"name", "horizon_days", "departments", "groups"} <= set(schema["required"])


@pytest.mark.slow
def test_valid_files_validate(tmp_path, gridsim_cli, cli):
    path = _write(tmp_path, make_raw(), "ok.yaml")
    proc = gridsim_cli("validate", str(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and f"{path}: OK" in proc.stdout and "'tiny'" in proc.stdout
    proc = cli("validate", DEFAULT_SCENARIO_PATH)
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stderr


def test_valid_file_round_trips_through_yaml(tmp_path):
    """A scenario dumped to YAML loads back to the same scenario (the file is the scenario)."""
    sc = sim.load_scenario()
    path = _write(tmp_path, sc.to_yaml(), "resolved.yaml")
    again = sim.load_scenario(path)
    assert again.to_dict() == sc.to_dict() and again.digest() == sc.digest()


@pytest.mark.slow
def test_a_key_given_twice_is_an_error_not_the_last_one_wins(tmp_path, gridsim_cli):
    path = tmp_path / "twice.yaml"
    text = (REPO / "scenarios" / "default.yaml").read_text(encoding="utf-8")
    text = text.replace("departments:       #", "departments:\n  police: {headcount: 60, calendar: office}\n  #", 1)
    path.write_text(text, encoding="utf-8")
    p = gridsim_cli("validate", str(path))
    assert p.returncode == 2 and "duplicate key 'police'" in p.stderr and "Traceback" not in p.stderr
    assert "line " in p.stderr


@pytest.mark.slow
def test_a_reader_that_goes_away_ends_the_output_quietly():
    import subprocess
    import sys

    # a megabyte of narration: far more than a pipe holds, so the writer meets the closed pipe
    p = subprocess.run(
        f"{sys.executable} -m sim trace --group residents --first 300 --set horizon_days=20 | head -n 2",
        shell=True,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert len(p.stdout.splitlines()) == 2 and "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr


@pytest.mark.parametrize(
    "override, message",
    [
        ("departments.police.assessment={dist: lognormal, mean: 1, cv: 1e200}", "departments.police.assessment.cv"),
        ("departments.police.assessment={dist: gamma, mean: 1, cv: 1e-200}", "departments.police.assessment.cv"),
        ("name=../../../x", "name: expected 1 to 100 letters"),
        ("name=/tmp/abs", "name: expected 1 to 100 letters"),
    ],
)
def test_values_that_would_crash_or_escape_are_refused(override, message):
    with pytest.raises(sim.ScenarioError) as exc:
        sim.load_scenario(overrides=[override])
    assert any(e.startswith(message) for e in exc.value.errors), exc.value.errors


def test_no_issue_arises_after_a_horizon_that_is_not_a_whole_hour():
    from sim.issues import generate_issues

    for days in (5.71, 2.01, 3.999):
        sc = sim.load_scenario(
            overrides=[f"horizon_days={days}", "warmup_days=0", "groups.residents.arrivals_per_day=500"]
        )
        created = generate_issues(sc).created
        assert created.max() < sc.horizon and created.max() > sc.horizon - 1


@pytest.mark.slow
def test_alias_bombs_deep_nesting_and_huge_values_are_clear_errors(tmp_path):
    """A few kilobytes of YAML aliases, 5,000 levels of nesting, or a horizon or rate that would exhaust memory:
    each is refused at once with the file and field, never a MemoryError or RecursionError."""
    base = sim.scenario.DEFAULT_SCENARIO_PATH.read_text(encoding="utf-8")
    lol = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]\n" for k in range(1, 8)
    )
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(
        base
        + "\nvariants:\n  boom:\n    policy: merged\n    set:\n"
        + "".join("      " + line for line in lol.splitlines(True)),
        encoding="utf-8",
    )
    deep = tmp_path / "deep.yaml"
    deep.write_text(
        base + "\nvariants:\n  deep:\n    policy: merged\n    set: {x: " + "[" * 5000 + "]" * 5000 + "}\n",
        encoding="utf-8",
    )
    for path, words in ((bomb, "YAML aliases"), (deep, "nested too deeply")):
        with pytest.raises(sim.ScenarioError) as e:
            sim.load_scenario(path)
        assert words in str(e.value)
    for override, field in (
        ("horizon_days=1000000", "horizon_days"),
        ("siloed.max_bounces=1000000000", "max_bounces"),
        ("groups.residents.arrivals_per_day=1e308", "arrivals_per_day"),
        ("areas.north.weight=1e308", "weight"),
        ("groups.residents.arrivals_per_day=9000000", "million issues"),
    ):
        with pytest.raises(sim.ScenarioError) as e:
            sim.load_scenario(overrides=[override])
        assert field in str(e.value), override
    with pytest.raises(sim.ScenarioError):
        sim.load_scenario(overrides=["variants={v: {policy: merged, set: &a [*a]}}"])  # malformed alias: YAML error
