"""The fair-comparison rules: equal capacity in staffed hours, stated; each difference between the arms a switch."""

import pytest
from conftest import make_scenario

from sim import checks, models
from sim.simulation import run
from sim.scenario import ScenarioError, load_scenario
from sim.world import World, staffing


def _overall(summary, metric, model):
    s = summary[(summary["dimension"] == "all") & (summary["metric"] == metric)]
    return float(s.loc[s["model"] == model, "value"].iloc[0])


# ------------------------------------------------------------------ capacity in staffed hours


def _staffed(sc, model, start, end):
    world = World(sc, model)
    return sum(o.capacity * o.calendar.open_between(start, end) for o in world.offices.values())


def test_staffed_hours_are_headcount_times_open_hours_after_the_warm_up():
    sc = load_scenario(overrides=["horizon_days=14", "warmup_days=3"])
    s = run(sc, models=models.names()).summary
    for model in models.names():  # every registered model, the toy plug-in too
        assert _overall(s, "staffed_hours", model) == pytest.approx(_staffed(sc, model, 72.0, sc.horizon))
        assert _overall(s, "staffed_hours_horizon", model) == pytest.approx(_staffed(sc, model, 0.0, sc.horizon))
        assert _overall(s, "headcount", model) == sum(staffing(sc, model).values())


def test_stationed_staff_keep_their_departments_hours_by_default():
    sc = load_scenario(overrides=["horizon_days=14", "warmup_days=0"])
    world = World(sc, "merged")
    office = sc.calendars[sc.departments["police"].calendar].build()
    assert world.offices["stationed:north"].calendar == office
    s = run(sc).summary
    assert _overall(s, "staffed_hours", "merged") == pytest.approx(_overall(s, "staffed_hours", "siloed"))
    assert checks.capacity_lines(s, "siloed")[0].startswith("Equal capacity")


def test_moving_stationed_staff_to_grid_hours_adds_staffed_hours_and_reports_say_so():
    sc = load_scenario(overrides=["horizon_days=14", "warmup_days=0", "merged.stationed_calendar=grid"])
    grid, office = (sc.calendars[c].build() for c in ("grid", "office"))
    n_stationed = sum(sc.stationed(d) for d in sc.departments)
    extra = n_stationed * (grid.open_between(0, sc.horizon) - office.open_between(0, sc.horizon))
    s = run(sc).summary
    gap = _overall(s, "staffed_hours", "merged") - _overall(s, "staffed_hours", "siloed")
    assert gap == pytest.approx(extra) and gap > 0
    line = checks.capacity_lines(s, "siloed")[0]
    share = 100 * gap / _overall(s, "staffed_hours", "siloed")
    assert line.startswith(f"CAPACITY IS NOT EQUAL: merged has +{share:.1f}% staffed hours")


def test_stationed_calendar_must_exist():
    with pytest.raises(ScenarioError, match="merged.stationed_calendar: unknown calendar 'nope'"):
        load_scenario(overrides=["merged.stationed_calendar=nope"])


def test_mixed_department_calendars_give_the_desk_the_calendar_of_most_stationed_staff():
    sc = make_scenario("departments.alpha.calendar=office", "departments.alpha.headcount=12")
    assert sc.stationed_calendar() == "office"  # 3 of alpha's 12 against 1 each of beta's and gamma's 4
    assert make_scenario().stationed_calendar() == "always"


# ------------------------------------------------------------------ grid leaders per area


def test_grid_leaders_per_area_come_from_the_intake_staff():
    sc = make_scenario("merged.grid_leaders_per_area=2")
    st = staffing(sc, "merged")
    intake = sum(g.intake_staff for g in sc.line_grids.values())
    assert st["leader:only"] == 2 and st["station:only"] == intake - 2
    assert sum(st.values()) == sum(staffing(sc, "siloed").values())
    with pytest.raises(ScenarioError, match="at least 4 intake staff per area"):
        make_scenario("merged.grid_leaders_per_area=3")


# ------------------------------------------------------------------ satisfaction on equal terms


def _feedback(model, *extra):
    """Every appeal unsatisfied at first (uniform 0.9 > P = 0.5), satisfied after a reopening (0.1 < 0.5)."""
    return make_scenario(
        f"{model}.feedback.enabled=true",
        f"{model}.feedback.reopen_probability=1",
        f"{model}.feedback.max_reopens=1",
        f"{model}.feedback.delay={{dist: fixed, value: 24}}",
        f"{model}.feedback.call={{dist: fixed, value: 0.1}}",
        "satisfaction={b0: 0, b1: 0, b2: 0, b3: 0}",
        *extra,
    )


@pytest.mark.parametrize("model", ["siloed", "merged"])
def test_first_and_final_satisfaction_are_kept_apart(model):
    from test_mechanisms import sim_one

    (rec,), _ = sim_one(_feedback(model), model, satisfied=[0.9, 0.1])
    assert rec.reopened == 1 and rec.satisfied_first is False and rec.satisfied is True
    assert rec.first_resolved < rec.resolved


def test_siloed_feedback_call_and_redo_are_the_closing_departments_work():
    from test_mechanisms import params, sim_one, work

    sc = _feedback("siloed")
    (rec,), world = sim_one(sc, "siloed", satisfied=[0.9, 0.1])
    service = params(sc)["service"]["simple"]["alpha"]
    assert work(world, "dept:alpha") == pytest.approx(2 * service + 2 * 0.1)  # redo, and two calls
    assert rec.resolved == pytest.approx(rec.first_resolved + 24 + 0.1 + service)
    assert rec.trips == 1
    (again,), _ = sim_one(_feedback("siloed", "siloed.feedback.reopen_trip=true"), "siloed", satisfied=[0.9, 0.1])
    assert again.trips == 2 and again.reopened == 1


def test_siloed_has_no_feedback_call_unless_the_scenario_switches_it_on():
    from test_mechanisms import sim_one

    sc = make_scenario(
        "satisfaction={b0: 0, b1: 0, b2: 0, b3: 0}",
        "merged.feedback.enabled=true",
        "merged.feedback.reopen_probability=1",
    )
    assert not sc.siloed.feedback.enabled
    (rec,), _ = sim_one(sc, "siloed", satisfied=[0.9, 0.1])
    assert rec.reopened == 0 and rec.satisfied is False


@pytest.mark.slow
def test_satisfaction_rates_and_shares_from_the_records():
    sc = load_scenario(overrides=["horizon_days=21"])
    res = run(sc)
    measured = res.appeals[res.appeals["created"] >= sc.warmup_days * 24.0]
    for model, a in measured.groupby("model"):
        f = a[a["filed"].notna()]
        first = f[f["first_resolved"].notna()]
        final = f[f["state"] == "resolved"]
        expect = {
            "satisfaction_rate": first["satisfied_first"].mean(),
            "satisfied_share": first["satisfied_first"].sum() / len(f),
            "final_satisfaction_rate": final["satisfied"].mean(),
            "final_satisfied_share": final["satisfied"].sum() / len(f),
        }
        for metric, value in expect.items():
            assert _overall(res.summary, metric, model) == pytest.approx(float(value)), (model, metric)
    # merged reopens: its final 满意率 differs from its first, siloed's (no call) does not
    assert _overall(res.summary, "final_satisfaction_rate", "merged") != _overall(
        res.summary, "satisfaction_rate", "merged"
    )
    assert _overall(res.summary, "final_satisfaction_rate", "siloed") == _overall(
        res.summary, "satisfaction_rate", "siloed"
    )


# ------------------------------------------------------------------ giving up when sent elsewhere


def test_a_citizen_sent_to_another_door_may_give_up_the_same_rule_in_both_models():
    from test_mechanisms import sim_one

    sc = make_scenario("groups.residents.p_right_line_grid=0", "groups.residents.p_give_up_after_referral=0.4")
    (s,), _ = sim_one(sc, "siloed", give_up=0.3)
    assert s.state == "abandoned" and s.referrals == 1 and s.trips == 1 and s.resolved is None
    (kept,), _ = sim_one(sc, "siloed", give_up=0.5)  # 0.5 >= 0.4: carries on
    assert kept.state == "resolved" and kept.trips == 2
    (m,), _ = sim_one(sc, "merged", give_up=0.3)  # one door: never sent elsewhere
    assert m.state == "resolved"


def test_a_bounced_citizen_may_give_up_but_not_a_case_a_crew_found():
    from test_mechanisms import sim_one

    sc = make_scenario("categories.simple.p_unclear=1", "groups.residents.p_give_up_after_referral=1")
    (rec,), _ = sim_one(sc, "siloed", unclear=0.5)
    assert rec.state == "abandoned" and rec.bounces == 1 and not rec.escalated
    found = make_scenario(
        "categories.simple.p_unclear=1",
        "groups.residents.p_give_up_after_referral=1",
        "departments.alpha.inspection={staff_hours_per_day: 1, effectiveness: 50}",
        "groups.residents.report_delay={dist: fixed, value: 100}",
    )
    (rec,), _ = sim_one(found, "siloed", unclear=0.5)
    assert rec.channel == "inspection" and rec.state == "resolved" and rec.escalated


# ------------------------------------------------------------------ stability and censoring


def test_a_growing_backlog_is_flagged_and_a_stable_one_is_not():
    stable = make_scenario("horizon_days=56", "warmup_days=7")
    assert not [x for x in checks.lines(run(stable).summary, "siloed") if "BACKLOG GROWS" in x]
    # the grid leader triages every appeal in 4 h: merged cannot keep up, siloed (no grid leader) can
    jammed = make_scenario(
        "horizon_days=56",
        "warmup_days=7",
        "merged.triage={dist: fixed, value: 4.0}",
        "groups.residents.arrivals_per_day=8",
    )
    s = run(jammed).summary
    grows = [x for x in checks.lines(s, "siloed") if "BACKLOG GROWS" in x]
    assert len(grows) == 1 and grows[0].startswith("BACKLOG GROWS under merged")
    slope = _overall(s, "backlog_trend_per_day", "merged")
    # arrivals 8 a day against a leader who can triage 24/4 = 6 a day: about 2 a day pile up
    assert slope == pytest.approx(2.0, abs=0.5)
    assert any(x.startswith("MANY OPEN") and "merged" in x for x in checks.lines(s, "siloed"))


def test_replications_flag_growth_from_the_mean_slope():
    import pandas as pd

    reps = pd.DataFrame(
        {
            "replication": [0, 1, 2, 0, 1, 2],
            "model": ["siloed"] * 3 + ["merged"] * 3,
            "metric": "backlog_trend_per_day",
            "value": [0.1, -0.2, 0.05, 1.0, 1.2, 0.9],
            "dimension": "all",
        }
    )
    found = checks.stability_lines(reps)
    assert len(found) == 1 and found[0].startswith("BACKLOG GROWS under merged: +1.03")
    assert "mean of 3 replications" in found[0]


def test_censored_resolution_quantile_counts_open_and_abandoned_appeals():
    sc = load_scenario(overrides=["horizon_days=30"])
    s = run(sc).summary
    for model in ("siloed", "merged"):
        cif = _overall(s, "resolution_time_cif_p50", model)
        # half of all filed appeals resolved by then: not before half of the resolved ones are
        assert cif >= _overall(s, "resolution_time_p50", model)
    line = next(x for x in checks.censoring_lines(s) if x.startswith("Headline resolution-time quantiles"))
    assert f"{_overall(s, 'resolution_time_cif_p50', 'merged'):.1f} h merged" in line
