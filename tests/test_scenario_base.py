"""A scenario built on another (``base:`` and ``set:``): the base's data, changed, never a copy."""

import pytest
import yaml

from sim.scenario import ScenarioError, load_scenario

from conftest import REPO


def _write(path, data):
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_scenario_on_a_base_is_the_base_with_its_changes(tmp_path):
    base = str(REPO / "scenarios" / "default.yaml")
    sc = load_scenario(_write(tmp_path / "s.yaml", {"base": base, "name": "x", "set": {"merged.stationed_share": 0.3}}))
    default = load_scenario(REPO / "scenarios" / "default.yaml")
    assert sc.name == "x" and sc.merged.stationed_share == 0.3
    assert sc.model_copy(update={"name": default.name, "merged": default.merged}) == default


def test_the_shipped_platform_scenario_is_the_default_street_with_its_platforms():
    sc = load_scenario(REPO / "scenarios" / "institutions" / "platform.yaml")
    assert not sc.siloed.platform.shared and sc.merged.platform.shared
    assert sc.arm("siloed_platform")[1].siloed.platform.shared and sc.departments == load_scenario().departments


def test_bases_in_a_loop_or_missing_are_bad_input(tmp_path):
    _write(tmp_path / "a.yaml", {"base": "b.yaml"})
    _write(tmp_path / "b.yaml", {"base": "a.yaml"})
    with pytest.raises(ScenarioError, match="in a loop"):
        load_scenario(tmp_path / "a.yaml")
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(_write(tmp_path / "c.yaml", {"base": "nowhere.yaml"}))
    with pytest.raises(ScenarioError, match="base: expected a path"):
        load_scenario(_write(tmp_path / "d.yaml", {"base": 3}))


def test_a_sweep_on_a_scenario_built_on_a_base(tmp_path):
    """A sweep file's own base: and set: are the sweep's; its base scenario may itself be built on a base."""
    from sim.sweep.spec import load_sweep

    sweep = {
        "name": "p",
        "base": str(REPO / "scenarios" / "institutions" / "platform.yaml"),
        "set": {"horizon_days": 7, "warmup_days": 0},
        "parameters": {"share": {"path": "merged.stationed_share", "values": [0.1, 0.2]}},
        "design": {"kind": "factorial"},
        "replications": 1,
    }
    plan = load_sweep(_write(tmp_path / "sweep.yaml", sweep))
    assert not plan.base.siloed.platform.shared and plan.base.horizon_days == 7
