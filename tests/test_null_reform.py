"""The null reform: with every reform switch off a model is the baseline (siloed) process, draw for draw.

Every difference between a model and the baseline is one of the model's switches (``Policy.switches``;
merged's in sim/governance/reform.py); these tests compare the per-appeal records exactly, so a difference
that is not a switch fails them.  They run for every registered model that declares switches.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import sim
from sim import models
from sim.governance.reform import null_overrides
from sim.issues import generate_issues
from sim.scenario import Reform, ScenarioError, apply_overrides, build_scenario, load_scenario
from sim.world import staffing
from tests.test_properties import _check, scenarios

SCENARIOS = {
    "default": ("scenarios/default.yaml", ["horizon_days=30"]),
    "tianping": ("scenarios/tianping.yaml", ["horizon_days=21", "warmup_days=7"]),
    # siloed with its own feedback call, reopened cases in person, meetings that do not settle
    "feedback": (
        "scenarios/default.yaml",
        [
            "horizon_days=30",
            "siloed.feedback.enabled=true",
            "siloed.feedback.reopen_trip=true",
            "siloed.feedback.reopen_probability=1",
        ],
    ),
    # the line grids without a shared platform, the grid with one: the platform switch is on
    "platform": ("scenarios/default.yaml", ["horizon_days=30", "siloed.platform.shared=false"]),
    # 吹哨报到 instead of the joint meeting, and party-member volunteers: the whistle and volunteers switches on
    "whistle": (
        "scenarios/default.yaml",
        ["horizon_days=30", "merged.whistle.enabled=true", "merged.volunteers.per_area=2"],
    ),
    # gig workers' service stations and riders who report what they pass (both arms alike)
    "gig": ("scenarios/institutions/gig.yaml", ["horizon_days=30"]),
    # the grassroots ladder below the grids (both arms alike)
    "ladder": ("scenarios/institutions/ladder.yaml", ["horizon_days=30"]),
}


#: Every registered model that declares switches (merged, and any plug-in's that does).
SWITCHED = [m for m in models.names() if models.get(m).switches]


def _records(sc, model: str, replication: int = 0):
    return sim.run(sc, models=[model], replication=replication).appeals.drop(columns="model")


def _null(path, overrides, model="merged"):
    sc = load_scenario(path, overrides)
    return sc, load_scenario(path, overrides + null_overrides(sc, models.get(model).switches))


def test_every_shipped_model_with_switches_is_tested():
    assert "merged" in SWITCHED and "siloed" not in SWITCHED


@pytest.mark.slow
@pytest.mark.parametrize("model", SWITCHED)
@pytest.mark.parametrize("name", SCENARIOS)
def test_the_null_reform_gives_the_baseline_records_exactly(name, model):
    sc, null = _null(*SCENARIOS[name], model)
    assert not any(s.on(null) for s in models.get(model).switches)
    for rep in (0, 1):
        base, off = _records(sc, sc.baseline, rep), _records(null, model, rep)
        assert len(base) > 100
        assert base.equals(off), (name, model, rep)


@pytest.mark.parametrize("model", SWITCHED)
def test_the_null_reform_has_the_baseline_offices(model):
    sc, null = _null(*SCENARIOS["default"], model)
    assert staffing(null, model) == staffing(sc, sc.baseline)


@pytest.mark.slow
@pytest.mark.parametrize("model", SWITCHED)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sc=scenarios())
def test_the_null_reform_on_random_scenarios(model, sc):
    block, off = models.get(model).config_block or model, load_null(sc, model)
    null = sc.model_copy(update={block: getattr(off, block), "settings": off.settings})  # a plug-in's own block too
    assert _records(sc, sc.baseline).equals(_records(null, model))


def load_null(sc, model="merged"):
    """``sc`` with every switch of ``model`` off (the overrides applied to the scenario's own data)."""
    return build_scenario(apply_overrides(sc.to_dict(), null_overrides(sc, models.get(model).switches)), "null")


@pytest.mark.slow
@pytest.mark.parametrize("model", SWITCHED)
def test_each_switch_on_the_default_street_changes_what_happens(model):
    """No switch is a dead letter: turning any one off changes the model's records."""
    path, ov = SCENARIOS["default"]
    sc = load_scenario(path, ov)
    records = _records(sc, model)
    for s in models.get(model).switches:
        if s.on(sc):
            assert not _records(load_scenario(path, ov + s.off(sc)), model).equals(records), (model, s.name)


@pytest.mark.slow
@pytest.mark.parametrize("flags", list(itertools.product([True, False], repeat=len(Reform.model_fields))))
def test_any_combination_of_switches_keeps_the_headcount(flags):
    """Whatever is switched off, the merged arm has the siloed headcount (offices change, heads do not)."""
    sets = [f"merged.reform.{k}={str(v).lower()}" for k, v in zip(Reform.model_fields, flags)]
    sc = load_scenario("scenarios/default.yaml", sets)
    assert sum(staffing(sc, "merged").values()) == sum(staffing(sc, "siloed").values())


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios(), st.lists(st.sampled_from(list(Reform.model_fields)), unique=True))
def test_any_combination_of_switches_conserves_appeals(sc, off):
    """Partly switched-off reforms run to the end with every appeal in one end state."""
    raw = apply_overrides(sc.to_dict(), [f"merged.reform.{k}=false" for k in off])
    try:
        sc = build_scenario(raw, "hypothesis")
    except ScenarioError:  # e.g. too few intake staff to keep every line station and a grid leader
        assume(False)
    assume(len(generate_issues(sc)) > 0)  # an empty stream is tested on its own in test_properties
    _check(sc, sim.run(sc))


def test_reports_state_the_switches_a_scenario_turns_off(tmp_path):
    """A switch left off is a difference from the reform: the checks say so (terminal, report.md, html, notes)."""
    from sim import checks
    from sim.cli import main

    assert checks.reform_lines(load_scenario()) == []  # the default street runs the whole reform
    sc = load_scenario(overrides=["merged.reform.triage=false", "merged.joint_meeting.enabled=false"])
    (line,) = checks.reform_lines(sc)
    assert "triage" in line and "joint_meeting" in line and "one_door" not in line
    # a variant's own settings, and a plug-in's switches, are stated for their arm
    variant = "variants={no_meeting: {policy: merged, set: {merged.joint_meeting.enabled: false}}}"
    sc = load_scenario(overrides=[variant, "models=[siloed, merged, no_meeting]"])
    (line,) = checks.reform_lines(sc)  # the merged arm runs the whole reform; the variant leaves one step out
    assert "no_meeting arm: joint_meeting" in line
    toy = load_scenario(
        overrides=["plugins=[gridsim_toy]", "models=[siloed, signposted]", "settings.signposted={signposting: false}"]
    )
    assert "signposted arm: signposting" in " ".join(checks.reform_lines(toy))
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "--days",
                "5",
                "--set",
                "warmup_days=0",
                "--set",
                "merged.reform.triage=false",
                "--no-plots",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "reform switches off in the merged arm: triage" in (out / "report.md").read_text(encoding="utf-8")


def test_a_reopened_case_is_not_bounced_again():
    """Ownership is settled the first time: a reopened case (one door on, coordination off) does not bounce again."""
    sc = load_scenario(
        "scenarios/default.yaml",
        [
            "horizon_days=12",
            "warmup_days=2",
            "merged.reform.coordination=false",
            "merged.feedback.reopen_probability=1",
        ],
    )
    a = _records(sc, "merged")
    assert (a["reopened"] > 0).any() and (a["bounces"] > 0).any()
    assert (a["bounces"] <= sc.siloed.max_bounces).all()
