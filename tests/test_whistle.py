"""吹哨报到 (institution 2 of issue 15): a hard case calls its departments on site instead of the joint meeting.

On the tiny scenario (fixed times, offices always open unless a test closes them) the whistle's times and
staff hours are exact; on the default street the whistle and the meeting see the same hard cases, and the
call's priority is measured against the same call at the usual priority.
"""

import numpy as np
import pytest
from conftest import make_scenario
from test_mechanisms import params, sim_one, work

import sim
from sim import checks, statistics
from sim.governance.reform import switch
from sim.scenario import load_scenario

HARD = [
    "categories.simple.p_hard=1",
    "categories.simple.hard_work={alpha: {dist: fixed, value: 1.5}, gamma: {dist: fixed, value: 4.0}}",
]
WHISTLE = ["merged.whistle.enabled=true", "merged.whistle.travel_hours=0.5", "merged.whistle.call_hours=0.1"]


def test_a_whistled_hard_case_is_done_on_site_by_every_department_it_needs():
    sc = make_scenario(*HARD, *WHISTLE)
    P, t0 = params(sc), 5.0
    (rec,), world = sim_one(sc, "merged", [{"created": t0}], hard=0.5)
    alpha = P["service"]["simple"]["alpha"] + 1.5
    called = t0 + P["report"] + P["t_comp"] + P["intake"] + P["triage"] + 0.1
    # no meeting to wait for (it would be Wednesday 14:00, t = 62), no coordination: ownership is settled on site
    assert rec.resolved == pytest.approx(called + 0.5 + max(alpha, 4.0) + P["closing"])
    assert (rec.reports, rec.late_reports) == (2, 0)
    assert work(world, "leader:only") == pytest.approx(P["triage"] + 0.1)
    assert work(world, "dept:alpha") == pytest.approx(0.5 + alpha)  # the travel is the department's time
    assert work(world, "dept:gamma") == pytest.approx(0.5 + 4.0)
    assert work(world, "dept:beta") == 0.0
    assert rec.trips == 1  # the citizen came to the one door, and nowhere else


def test_a_report_after_the_deadline_is_counted_late():
    (rec,), _ = sim_one(make_scenario(*HARD, *WHISTLE, "merged.whistle.deadline=0.4"), "merged", hard=0.5)
    assert (rec.reports, rec.late_reports) == (2, 2)  # half an hour's travel cannot meet a 24-minute deadline


def test_a_call_after_office_hours_is_late_whatever_its_priority():
    closed = [f"departments.{d}.calendar=office" for d in ("alpha", "beta", "gamma")]
    sc = make_scenario(*HARD, *WHISTLE, *closed)
    P = params(sc)
    t0 = 16.0  # Monday 16:00: the call comes after 17:00, and the departments report on Tuesday morning
    (rec,), _ = sim_one(sc, "merged", [{"created": t0}], hard=0.5)
    assert t0 + P["report"] + P["t_comp"] + P["intake"] + P["triage"] + 0.1 > 17.0
    assert (rec.reports, rec.late_reports) == (2, 2)
    assert rec.resolved == pytest.approx(24.0 + 9.0 + 0.5 + 4.0 + P["closing"])  # gamma's 4 h, from 9:30


def test_the_call_is_served_before_the_departments_queued_work():
    # ten simple matters and one hard case at once: alpha's one desk has a queue when the call arrives
    base = ["categories.simple.p_hard=0.5", "departments.alpha.headcount=1", "merged.reform.stationing=false", *WHISTLE]
    hard = np.array([[0.9]] * 10 + [[0.1]])
    issues = [{"created": 0.0}] * 11
    resolved = {}
    for level in (0, 3):
        records, _ = sim_one(make_scenario(*base, f"merged.whistle.priority={level}"), "merged", issues, hard=hard)
        assert [r.hard for r in records] == [False] * 10 + [True]
        resolved[level] = records[-1].resolved
    # queued, the call waits for all ten; first, only for the matter under way (2 h of work)
    assert resolved[0] - resolved[3] > 10


def test_the_whistle_and_the_meeting_see_the_same_hard_cases():
    sc = load_scenario("scenarios/institutions/whistle.yaml", ["horizon_days=30"])
    a = sim.run(sc, models=["merged", "merged_whistle"]).appeals
    meeting, whistle = (a[a["model"] == m].set_index("issue") for m in ("merged", "merged_whistle"))
    assert meeting.index.equals(whistle.index)
    assert (meeting[["created", "category", "hard"]] == whistle[["created", "category", "hard"]]).all().all()
    assert (meeting["reports"] == 0).all()
    assert (whistle.loc[~whistle["hard"], "reports"] == 0).all()
    assert (whistle.loc[whistle["hard"] & whistle["resolved"].notna(), "reports"] > 0).all()
    assert (whistle["late_reports"] <= whistle["reports"]).all()


def test_priority_makes_fewer_reports_late_on_the_default_street():
    """Paired over replications on common random numbers: the call at priority 3 against the same call queued."""
    sc = load_scenario("scenarios/institutions/whistle.yaml")
    late = {}
    for m in ("merged_whistle", "merged_whistle_queued"):
        shares = []
        for rep in range(4):
            a = sim.run(sc, models=[m], replication=rep).appeals
            shares.append(a["late_reports"].sum() / a["reports"].sum())
        late[m] = np.array(shares)
    _, lo, hi = statistics.mean_ci(late["merged_whistle_queued"] - late["merged_whistle"], 0.95)
    assert lo > 0, (late, lo, hi)


def test_the_whistle_is_a_switch_not_a_step_left_out():
    default = load_scenario()
    s = switch("whistle")
    assert not s.on(default) and checks.reform_lines(default) == []  # off by default, and not reported as missing
    on = load_scenario(overrides=["merged.whistle.enabled=true"])
    assert s.on(on) and s.off(on) == ["merged.whistle.enabled=false"]
    assert any("吹哨报到" in line for line in sim.models.get("merged").assumptions(on))


DELEGABLE = ["categories.simple.delegable=true", "merged.volunteers.per_area=1"]


def test_a_volunteer_on_duty_solves_a_delegated_matter():
    sc = make_scenario(*DELEGABLE)
    (rec,), world = sim_one(sc, "merged")
    alpha = params(sc)["service"]["simple"]["alpha"]
    assert work(world, "volunteer:only") == pytest.approx(alpha)
    assert work(world, "stationed:only") == 0.0
    assert rec.state == "resolved"


def test_off_duty_the_stationed_staff_solve_it():
    # the volunteers keep office hours (weekdays 9 to 17); the matter reaches the grid at 2:15 on Monday
    sc = make_scenario(*DELEGABLE, "merged.volunteers.calendar=office")
    _, world = sim_one(sc, "merged")
    assert work(world, "volunteer:only") == 0.0
    assert work(world, "stationed:only") == pytest.approx(params(sc)["service"]["simple"]["alpha"])


def test_volunteers_are_staffed_hours_of_the_merged_arm_and_a_capacity_switch():
    from sim.world import staffing

    sc = make_scenario(*DELEGABLE)
    plain = make_scenario("categories.simple.delegable=true")
    assert staffing(sc, "merged") == staffing(plain, "merged") | {"volunteer:only": 1}
    s = switch("volunteers")
    assert s.on(sc) and not s.reform and s.off(sc) == ["merged.volunteers.per_area=0"]
    assert any("Volunteers" in line for line in sim.models.get("merged").assumptions(sc))
    # without delegation they have nothing to do, so there are none
    assert "volunteer:only" not in staffing(make_scenario(*DELEGABLE, "merged.reform.delegation=false"), "merged")


def test_a_volunteer_takes_no_matter_they_cannot_finish_before_their_duty_ends():
    # on duty 9:00 to 17:00; the matter (2 h) reaches the grid at 16:15 on Monday: the stationed staff take it
    sc = make_scenario(*DELEGABLE, "merged.volunteers.calendar=office")
    (rec,), world = sim_one(sc, "merged", [{"created": 14.0}])
    assert work(world, "volunteer:only") == 0.0 and rec.state == "resolved"
    (rec,), world = sim_one(sc, "merged", [{"created": 8.0}])  # at 10:15 there is time: a volunteer takes it
    assert work(world, "volunteer:only") == pytest.approx(params(sc)["service"]["simple"]["alpha"])
