"""Size limits on input, each a clear exit 2 naming the limit, and ``--allow-large`` lifting them."""

from __future__ import annotations

import pytest

from sim import limits
from sim.cli import main
from sim.scenario import ScenarioError, load_scenario, read_yaml

from conftest import REPO

DEFAULT = REPO / "scenarios" / "default.yaml"


def test_a_file_over_the_size_limit_is_refused_and_allowed_with_the_flag(tmp_path, monkeypatch, capsys):
    small = limits.Limits(file_bytes=DEFAULT.stat().st_size - 1)
    monkeypatch.setattr(limits, "DEFAULT", small)
    with pytest.raises(ScenarioError, match="--allow-large"):
        read_yaml(DEFAULT)
    assert main(["validate", str(DEFAULT)]) == 2
    assert "bytes, more than the" in capsys.readouterr().err
    assert main(["validate", str(DEFAULT), "--allow-large"]) == 0
    assert limits.limits() is small  # the flag lasts for its command only


def test_too_many_issues_for_a_street_is_refused_unless_allowed(capsys):
    big = ["horizon_days=100000", "groups.residents.arrivals_per_day=1000"]  # 100 million issues
    with pytest.raises(ScenarioError, match="million a street may draw"):
        load_scenario(DEFAULT, big)
    with limits.allowing_large():
        assert load_scenario(DEFAULT, big).horizon_days == 100000
    assert main(["validate", str(DEFAULT), *(a for s in big for a in ("--set", s))]) == 2
    assert "--allow-large" in capsys.readouterr().err


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
        f"*a{i - 1}, *a{i - 1}]"
        for i in range(1, 9)
    ]  # 10^9 values in 1 KB
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines))
    with pytest.raises(ScenarioError, match="values or more"):
        read_yaml(bomb)


def test_nesting_past_the_depth_limit_is_refused_even_when_large_is_allowed(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 450 + "]" * 450)
    for allowed in (False, True):
        limits.allow_large(allowed)
        try:
            with pytest.raises(ScenarioError, match="nested"):
                read_yaml(deep)
        finally:
            limits.allow_large(False)


def test_the_environment_carries_the_setting_to_worker_processes(monkeypatch):
    monkeypatch.setenv(limits.ENV, "1")
    assert limits.limits() is limits.LARGE
    monkeypatch.setenv(limits.ENV, "0")
    assert limits.limits() is limits.DEFAULT
