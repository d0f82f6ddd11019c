"""The surge protocol (issue 15, institution 5's variant): extra grid leaders on the days a surge touches.

On those days a surge-duty leader takes the triage the grid leader has no time for; on other days the desk
is closed, so its staffed hours are the surge days' only.  On the tiny scenario (fixed times) it is exact.
"""

import pytest
from conftest import make_scenario
from test_mechanisms import params, sim_one, work

from sim.calendar import Calendar, on_days
from sim.governance.reform import switch
from sim.world import World, staffing

SURGE = ["surges=[{start: 0, days: 1, multiplier: 1}]", "merged.surge_protocol.leaders_per_area=1"]


def test_on_a_surge_day_the_surge_desk_triages_what_the_grid_leader_has_no_time_for():
    sc = make_scenario(*SURGE)
    P = params(sc)
    # two appeals at once on the surge day (day 0), two on day 2, when the desk is off duty
    records, world = sim_one(sc, "merged", [{"created": 0.0}, {"created": 0.0}, {"created": 48.0}, {"created": 48.0}])
    assert work(world, "surge:only") == pytest.approx(P["triage"])  # one triage: the second of day 0
    assert work(world, "leader:only") == pytest.approx(3 * P["triage"])
    day0, day2 = records[:2], records[2:]
    assert day0[0].resolved == pytest.approx(day0[1].resolved)  # triaged side by side
    assert day2[1].resolved == pytest.approx(day2[0].resolved + P["triage"])  # one leader: in turn


def test_the_surge_desk_is_staffed_on_surge_days_only():
    sc = make_scenario(*SURGE, "horizon_days=10")
    assert staffing(sc, "merged")["surge:only"] == 1 and "surge:only" not in staffing(sc, "siloed")
    desk = World(sc, "merged").offices["surge:only"]
    assert desk.staffed_hours(0.0, sc.horizon) == pytest.approx(24.0)  # the tiny grid is open all day, day 0 only
    assert "surge:only" not in staffing(make_scenario("merged.surge_protocol.leaders_per_area=1"), "merged")


def test_a_surge_that_spans_part_of_two_days_puts_the_desk_on_both():
    sc = make_scenario("surges=[{start: 1.5, days: 1, multiplier: 2}]")
    assert sc.surge_days() == [1, 2]
    office = Calendar(weekdays=[0, 1, 2, 3, 4], hours=[(9, 17)])
    cal = on_days(office, sc.surge_days(), horizon_days=5)
    assert [cal.is_open(24.0 * d + 10) for d in range(5)] == [False, True, True, False, False]


def test_the_surge_protocol_is_a_capacity_switch():
    sc = make_scenario(*SURGE)
    s = switch("surge_protocol")
    assert s.on(sc) and not s.reform and s.off(sc) == ["merged.surge_protocol.leaders_per_area=0"]
    assert not s.on(make_scenario("merged.surge_protocol.leaders_per_area=1"))  # no surge: nothing to do


def test_the_surge_desk_takes_no_triage_it_cannot_finish_before_it_closes():
    # two appeals reach triage at 23:45 on the surge day (day 0): the desk closes at midnight, so both go to the leader
    sc = make_scenario(*SURGE)
    P = params(sc)
    records, world = sim_one(sc, "merged", [{"created": 22.0}, {"created": 22.0}])
    assert 22.0 + P["report"] + P["t_comp"] + P["intake"] == pytest.approx(23.75)
    assert work(world, "surge:only") == 0.0 and work(world, "leader:only") == pytest.approx(2 * P["triage"])
