"""The fair-comparison rules: equal capacity in staffed hours, stated; each difference between the arms a switch."""
import pytest
from conftest import make_scenario

from sim import checks
from sim.run import run
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
    s = run(sc).summary
    for model in ("siloed", "merged"):
        assert _overall(s, "staffed_hours", model) == pytest.approx(_staffed(sc, model, 72.0, sc.horizon))
        assert _overall(s, "staffed_hours_horizon", model) == pytest.approx(_staffed(sc, model, 0.0, sc.horizon))
        assert _overall(s, "headcount", model) == sum(staffing(sc, model).values())


def test_stationed_staff_keep_their_departments_hours_by_default():
    sc = load_scenario(overrides=["horizon_days=14"])
    world = World(sc, "merged")
    office = sc.calendars[sc.departments["police"].calendar].build()
    assert world.offices["stationed:north"].calendar == office
    s = run(sc).summary
    assert _overall(s, "staffed_hours", "merged") == pytest.approx(_overall(s, "staffed_hours", "siloed"))
    assert checks.capacity_lines(s, "siloed")[0].startswith("Equal capacity")


def test_moving_stationed_staff_to_grid_hours_adds_staffed_hours_and_reports_say_so():
    sc = load_scenario(overrides=["horizon_days=14", "merged.stationed_calendar=grid"])
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
    assert sc.stationed_calendar() == "office"   # 3 of alpha's 12 against 1 each of beta's and gamma's 4
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
