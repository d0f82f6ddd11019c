"""Each mechanism of domain.md on a tiny scenario built for it, with exact times where it is deterministic.

The tiny scenario (tests/conftest.py): always-open calendars, fixed times, one area ``only``,
one group ``residents``.  Expected values are computed below from the scenario's own
parameters (``P``), so a change to conftest's numbers does not silently change what is tested.
Single appeals are driven through a hand-built :class:`IssueStream` whose uniforms we choose.
"""

from pathlib import Path

import numpy as np
import pytest
from conftest import make_scenario

from sim.calendar import WEEK
from sim.issues import IssueStream, _columns
from sim.simulation import run, simulate
from sim.scenario import load_scenario
from sim.world import World, staffing

REPO = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ helpers


def params(sc, group="residents"):
    """The tiny scenario's fixed times, read from the scenario (all distributions are fixed)."""
    g = sc.groups[group]
    m = sc.merged
    return {
        "report": fixed(g.report_delay),
        "t_line": g.travel.line_station,
        "t_comp": g.travel.comprehensive_station,
        "t_dept": g.travel.department,
        "intake_ops": fixed(sc.line_grids["ops"].intake),
        "intake_police": fixed(sc.line_grids["police"].intake),
        "intake": fixed(m.intake),
        "triage": fixed(m.triage),
        "coord": fixed(m.coordination),
        "closing": fixed(m.closing),
        "escalation": fixed(sc.siloed.escalation),
        "assess": {d: fixed(s.assessment) for d, s in sc.departments.items()},
        "service": {c: {d: fixed(dist) for d, dist in s.service.items()} for c, s in sc.categories.items()},
    }


def fixed(dist):
    """The value of a fixed distribution."""
    return float(dist.ppf(np.array([0.5]))[0])


def stream(sc, issues=None, **uniforms):
    """A hand-built issue stream.

    ``issues`` is a list of dicts with ``created`` (hours) and optionally ``category``,
    ``group``, ``area``; default one ``simple`` issue at t = 0.  Every uniform is 0.5 unless
    ``uniforms`` gives a value (a scalar for all its columns, or a list per column).
    """
    issues = issues or [{}]
    groups, cats, areas = list(sc.groups), list(sc.categories), list(sc.areas)
    n = len(issues)
    u = {}
    for name, k in _columns(sc).items():
        col = np.full((n, k), 0.5)
        if name in uniforms:
            col[:] = uniforms[name]  # numpy broadcasting: scalar, per column or (n, k)
        u[name] = col
    return IssueStream(
        created=np.array([float(x.get("created", 0.0)) for x in issues]),
        group=np.array([groups.index(x.get("group", groups[0])) for x in issues], dtype=np.int32),
        category=np.array([cats.index(x.get("category", "simple")) for x in issues], dtype=np.int32),
        area=np.array([areas.index(x.get("area", areas[0])) for x in issues], dtype=np.int32),
        u=u,
        groups=groups,
        categories=cats,
        areas=areas,
        departments=list(sc.departments),
    )


def sim_one(sc, model, issues=None, **uniforms):
    """Run ``model`` on a hand-built stream to the horizon; returns (records, world)."""
    mr = simulate(sc, model, stream(sc, issues, **uniforms))
    return mr.records, mr.world


def work(world, key):
    return world.offices[key].work_hours


# ------------------------------------------------------------------ siloed: wrong line grid


def test_wrong_line_grid_costs_one_referral_and_one_trip():
    right = make_scenario("groups.residents.p_right_line_grid=1")
    wrong = make_scenario("groups.residents.p_right_line_grid=0")
    P = params(right)
    t0 = 5.0
    (r,), w_right = sim_one(right, "siloed", [{"created": t0}])
    (x,), w_wrong = sim_one(wrong, "siloed", [{"created": t0}])

    assert (r.trips, r.referrals) == (1, 0)
    assert (x.trips, x.referrals) == (2, 1)
    # the first station's intake is the first response either way (simple -> ops is right, police wrong)
    assert r.first_response == pytest.approx(t0 + P["report"] + P["t_line"] + P["intake_ops"])
    assert x.first_response == pytest.approx(t0 + P["report"] + P["t_line"] + P["intake_police"])
    alpha = P["service"]["simple"]["alpha"]
    assert r.resolved == pytest.approx(r.first_response + alpha)
    # the wrong pick adds a trip to the right station and its intake
    assert x.resolved == pytest.approx(x.first_response + P["t_line"] + P["intake_ops"] + alpha)
    assert x.citizen_hours == pytest.approx(r.citizen_hours + P["t_line"] + P["intake_police"])
    # the wrong station did intake work, the right one did too
    assert work(w_wrong, "line:police:only") == pytest.approx(P["intake_police"])
    assert work(w_wrong, "line:ops:only") == pytest.approx(P["intake_ops"])
    assert work(w_right, "line:police:only") == 0.0
    assert r.state == x.state == "resolved"


def test_wrong_pick_draws_from_the_group_probability_over_a_run():
    res = run(
        make_scenario("groups.residents.p_right_line_grid=0", "groups.residents.arrivals_per_day=6"), models=["siloed"]
    )
    done = res.appeals[res.appeals.state == "resolved"]
    assert len(done) > 20
    assert (done.referrals == 1).all() and (done.trips == 2).all()
    res = run(
        make_scenario("groups.residents.p_right_line_grid=1", "groups.residents.arrivals_per_day=6"), models=["siloed"]
    )
    done = res.appeals[res.appeals.state == "resolved"]
    assert (done.referrals == 0).all() and (done.trips == 1).all()


def test_merged_has_no_wrong_door():
    sc = make_scenario("groups.residents.p_right_line_grid=0")
    (rec,), _ = sim_one(sc, "merged")
    assert (rec.trips, rec.referrals) == (1, 0)


# ------------------------------------------------------------------ multi-department appeals


def test_two_department_appeal_siloed_runs_from_office_to_office():
    sc = make_scenario()
    P = params(sc)
    a, b = P["service"]["double"]["alpha"], P["service"]["double"]["beta"]
    t0 = 3.0
    (rec,), world = sim_one(sc, "siloed", [{"created": t0, "category": "double"}])
    assert rec.trips == 2 and rec.referrals == 0
    assert rec.first_response == pytest.approx(t0 + P["report"] + P["t_line"] + P["intake_ops"])
    # the station passes alpha's part on; then the citizen travels to beta in person: sum of steps
    expected = P["report"] + P["t_line"] + P["intake_ops"] + a + P["t_dept"] + b
    assert rec.resolved - rec.created == pytest.approx(expected)
    assert rec.departments == "alpha;beta"
    assert work(world, "dept:alpha") == pytest.approx(a)
    assert work(world, "dept:beta") == pytest.approx(b)
    # citizen: two trips' travel, intake in person, beta's work in person
    assert rec.citizen_hours == pytest.approx(P["t_line"] + P["intake_ops"] + P["t_dept"] + b)


def test_two_department_appeal_merged_is_one_trip_with_parallel_handling():
    sc = make_scenario()
    P = params(sc)
    a, b = P["service"]["double"]["alpha"], P["service"]["double"]["beta"]
    t0 = 3.0
    (rec,), world = sim_one(sc, "merged", [{"created": t0, "category": "double"}])
    assert rec.trips == 1 and rec.referrals == 0 and rec.bounces == 0
    assert rec.first_response == pytest.approx(t0 + P["report"] + P["t_comp"] + P["intake"])
    # fork-join: max, not sum, of the departments' work, plus triage and closing
    expected = P["report"] + P["t_comp"] + P["intake"] + P["triage"] + max(a, b) + P["closing"]
    assert rec.resolved - rec.created == pytest.approx(expected)
    assert expected < P["report"] + P["t_comp"] + P["intake"] + P["triage"] + a + b + P["closing"]
    assert work(world, "dept:alpha") == pytest.approx(a)
    assert work(world, "dept:beta") == pytest.approx(b)
    assert work(world, "leader:only") == pytest.approx(P["triage"])
    assert work(world, "station:only") == pytest.approx(P["intake"] + P["closing"])
    assert rec.staff_hours == pytest.approx(P["intake"] + P["triage"] + a + b + P["closing"])
    assert rec.citizen_hours == pytest.approx(P["t_comp"] + P["intake"])


def test_two_department_appeals_over_a_run():
    res = run(make_scenario("groups.residents.category_mix={double: 1.0}", "groups.residents.arrivals_per_day=4"))
    a = res.appeals[res.appeals.state == "resolved"]
    assert (a[a.model == "siloed"].trips == 2).all()
    assert (a[a.model == "merged"].trips == 1).all()


# ------------------------------------------------------------------ unclear ownership


@pytest.mark.parametrize("max_bounces", [2, 3])
def test_unclear_ownership_bounces_then_escalates_when_siloed(max_bounces):
    sc = make_scenario("categories.simple.p_unclear=1", f"siloed.max_bounces={max_bounces}")
    P = params(sc)
    (rec,), world = sim_one(sc, "siloed", unclear=0.5)
    assert rec.unclear
    assert rec.bounces == sc.siloed.max_bounces == max_bounces
    assert rec.escalated
    assert rec.referrals == max_bounces
    # trip 1 to the station; the first assessment needs no trip (passed on), each later one does,
    # and one more trip to the street office
    assert rec.trips == 1 + (max_bounces - 1) + 1
    # every department assesses at 0.5 h in the tiny scenario
    assess = P["assess"]["alpha"]
    assert all(v == assess for v in P["assess"].values())
    expected = (
        P["report"]
        + P["t_line"]
        + P["intake_ops"]
        + max_bounces * assess
        + (max_bounces - 1) * P["t_dept"]
        + P["escalation"]
        + P["service"]["simple"]["alpha"]
    )
    assert rec.resolved - rec.created == pytest.approx(expected)
    # the first bounce is at the category's own department; assessment hours add up over departments
    assert sum(work(world, f"dept:{d}") for d in sc.departments) == pytest.approx(
        max_bounces * assess + P["service"]["simple"]["alpha"]
    )
    assert work(world, "dept:alpha") >= assess + P["service"]["simple"]["alpha"]


def test_unclear_ownership_is_coordinated_not_bounced_when_merged():
    sc = make_scenario("categories.simple.p_unclear=1")
    P = params(sc)
    (rec,), world = sim_one(sc, "merged", unclear=0.5)
    assert rec.unclear
    assert rec.bounces == 0 and not rec.escalated and rec.referrals == 0 and rec.trips == 1
    expected = (
        P["report"]
        + P["t_comp"]
        + P["intake"]
        + P["triage"]
        + P["coord"]
        + P["service"]["simple"]["alpha"]
        + P["closing"]
    )
    assert rec.resolved - rec.created == pytest.approx(expected)
    assert work(world, "leader:only") == pytest.approx(P["triage"] + P["coord"])
    assert work(world, "dept:beta") == work(world, "dept:gamma") == 0.0


def test_clear_ownership_never_bounces():
    sc = make_scenario("categories.simple.p_unclear=0")
    for model in ("siloed", "merged"):
        (rec,), world = sim_one(sc, model, unclear=0.0)
        assert not rec.unclear and rec.bounces == 0 and not rec.escalated
        assert work(world, "leader:only" if model == "merged" else "dept:alpha") == pytest.approx(
            params(sc)["triage"] if model == "merged" else params(sc)["service"]["simple"]["alpha"]
        )


def test_unclear_draw_is_shared_by_both_models_over_a_run():
    res = run(make_scenario("categories.simple.p_unclear=0.5", "groups.residents.arrivals_per_day=6"))
    a = res.appeals
    s = a[a.model == "siloed"].set_index("issue")
    m = a[a.model == "merged"].set_index("issue")
    assert (s.unclear == m.unclear).all()
    assert 0 < s.unclear.sum() < len(s)
    done = s[s.state == "resolved"]
    assert (done[done.unclear].bounces == 2).all() and done[done.unclear].escalated.all()
    assert (done[~done.unclear].bounces == 0).all()
    assert (m.bounces == 0).all() and not m.escalated.any()


# ------------------------------------------------------------------ delegated simple matters


def test_delegated_simple_matter_closes_at_the_grid_when_merged():
    sc = make_scenario("categories.simple.delegable=true")
    P = params(sc)
    alpha = P["service"]["simple"]["alpha"]
    (rec,), world = sim_one(sc, "merged")
    assert rec.state == "resolved" and rec.trips == 1
    assert work(world, "dept:alpha") == 0.0  # the department office does nothing
    assert world.offices["dept:alpha"].jobs == 0
    assert work(world, "stationed:only") == pytest.approx(alpha)  # stationed staff do the work
    assert rec.resolved - rec.created == pytest.approx(P["report"] + P["t_comp"] + P["intake"] + P["triage"] + alpha)


def test_not_delegable_goes_to_the_department_when_merged():
    sc = make_scenario("categories.simple.delegable=false")
    P = params(sc)
    alpha = P["service"]["simple"]["alpha"]
    (rec,), world = sim_one(sc, "merged")
    assert work(world, "dept:alpha") == pytest.approx(alpha)
    assert work(world, "stationed:only") == 0.0
    assert rec.resolved == pytest.approx(P["report"] + P["t_comp"] + P["intake"] + P["triage"] + alpha + P["closing"])


def test_delegable_changes_nothing_when_siloed():
    sc = make_scenario("categories.simple.delegable=true")
    (rec,), world = sim_one(sc, "siloed")
    (ref,), _ = sim_one(make_scenario(), "siloed")
    assert work(world, "dept:alpha") == pytest.approx(params(sc)["service"]["simple"]["alpha"])
    assert rec.resolved == pytest.approx(ref.resolved)


# ------------------------------------------------------------------ hard cases and the joint meeting


def meeting_times(sc, until):
    jm = sc.merged.joint_meeting
    k, out = 0, []
    while (t := jm.weekday * 24.0 + jm.hour + k * jm.every_days * 24.0) <= until:
        out.append(t)
        k += 1
    return out


def meeting_length(sc, cases=1):
    jm = sc.merged.joint_meeting
    return jm.hours + jm.per_case_hours * cases


@pytest.mark.parametrize("t0", [0.0, 70.0])
def test_hard_case_waits_for_the_next_joint_meeting_when_merged(t0):
    sc = make_scenario("categories.simple.p_hard=1")
    P = params(sc)
    meetings = meeting_times(sc, sc.horizon)
    assert meetings[:2] == [62.0, 62.0 + 7 * 24]  # Wednesday 14:00, weekly
    (rec,), world = sim_one(sc, "merged", [{"created": t0}], hard=0.5)
    assert rec.hard
    triaged = t0 + P["report"] + P["t_comp"] + P["intake"] + P["triage"]
    meeting = min(t for t in meetings if t >= triaged)
    # assigned when the meeting ends; the meeting settles ownership, so no coordination
    assert rec.resolved == pytest.approx(meeting + meeting_length(sc) + P["service"]["simple"]["alpha"] + P["closing"])
    assert rec.first_response == pytest.approx(triaged - P["triage"])
    # attending costs the grid leader's and the department's hours
    assert work(world, "leader:only") == pytest.approx(P["triage"] + meeting_length(sc))
    assert work(world, "dept:alpha") == pytest.approx(P["service"]["simple"]["alpha"] + meeting_length(sc))


def test_hard_case_bounces_and_escalates_when_siloed():
    sc = make_scenario("categories.simple.p_hard=1")
    (rec,), world = sim_one(sc, "siloed", hard=0.5)
    (ref,), ref_world = sim_one(make_scenario("categories.simple.p_unclear=1"), "siloed", unclear=0.5)
    assert rec.hard and not rec.unclear
    assert rec.escalated and rec.bounces == sc.siloed.max_bounces
    assert (rec.resolved, rec.trips) == (pytest.approx(ref.resolved), ref.trips)  # the unclear path, step for step


def test_hard_work_is_the_same_in_both_models_and_the_meeting_adds_its_own():
    sc = make_scenario(
        "categories.simple.p_hard=1",
        "categories.simple.hard_work={alpha: {dist: fixed, value: 1.5}, gamma: {dist: fixed, value: 4.0}}",
    )
    P = params(sc)
    (s,), ws = sim_one(sc, "siloed", hard=0.5)
    (m,), wm = sim_one(sc, "merged", hard=0.5)
    alpha = P["service"]["simple"]["alpha"] + 1.5
    assess = sc.siloed.max_bounces * P["assess"]["alpha"]  # tiny: every department assesses alike
    assert sum(work(ws, f"dept:{d}") for d in sc.departments) == pytest.approx(assess + alpha + 4.0)
    assert work(wm, "dept:alpha") == pytest.approx(alpha + meeting_length(sc))
    assert work(wm, "dept:gamma") == pytest.approx(4.0 + meeting_length(sc))
    assert work(wm, "dept:beta") == 0.0
    # merged: both departments at once after the meeting; siloed: in turn after the street takes it
    assert m.resolved == pytest.approx(62.0 + meeting_length(sc) + max(alpha, 4.0) + P["closing"])
    assert s.resolved - s.created == pytest.approx(
        P["report"]
        + P["t_line"]
        + P["intake_ops"]
        + assess
        + (sc.siloed.max_bounces - 1) * P["t_dept"]
        + P["escalation"]
        + alpha
        + 4.0
    )


def test_without_joint_meetings_the_grid_leader_coordinates_a_hard_case():
    sc = make_scenario("categories.simple.p_hard=1", "merged.joint_meeting.enabled=false")
    P = params(sc)
    (rec,), world = sim_one(sc, "merged", hard=0.5)
    assert rec.hard
    assert rec.resolved == pytest.approx(
        P["report"]
        + P["t_comp"]
        + P["intake"]
        + P["triage"]
        + P["coord"]
        + P["service"]["simple"]["alpha"]
        + P["closing"]
    )
    assert work(world, "leader:only") == pytest.approx(P["triage"] + P["coord"])


def test_a_meeting_that_does_not_settle_ownership_leaves_the_coordination_to_the_grid_leader():
    sc = make_scenario("categories.simple.p_hard=1", "merged.joint_meeting.settles_ownership=false")
    P = params(sc)
    (rec,), world = sim_one(sc, "merged", hard=0.5)
    assert work(world, "leader:only") == pytest.approx(P["triage"] + P["coord"] + meeting_length(sc))
    assert rec.resolved == pytest.approx(62.0 + meeting_length(sc) + P["service"]["simple"]["alpha"] + P["closing"])


def test_not_hard_does_not_wait_for_the_meeting():
    sc = make_scenario("categories.simple.p_hard=0.5")
    P = params(sc)
    (rec,), _ = sim_one(sc, "merged", hard=0.9)  # 0.9 >= p_hard: not a hard case
    assert not rec.hard
    assert rec.resolved < 62.0
    assert rec.resolved == pytest.approx(
        P["report"] + P["t_comp"] + P["intake"] + P["triage"] + P["service"]["simple"]["alpha"] + P["closing"]
    )


def test_joint_meeting_capacity_carries_cases_to_the_next_meeting():
    sc = make_scenario("categories.simple.p_hard=1", "merged.joint_meeting.capacity=1")
    P = params(sc)
    recs, world = sim_one(sc, "merged", [{"created": 0.0}, {"created": 0.0}], hard=0.5)
    first, second = sorted(r.resolved for r in recs)
    after = meeting_length(sc) + P["service"]["simple"]["alpha"] + P["closing"]
    assert first == pytest.approx(62.0 + after)
    assert second == pytest.approx(62.0 + 7 * 24 + after)
    assert world.offices["leader:only"].jobs == 2 + 2  # two triages, two meetings with a case each


def test_joint_meeting_schedule_from_the_scenario():
    sc = make_scenario(
        "categories.simple.p_hard=1",
        "merged.joint_meeting.weekday=0",
        "merged.joint_meeting.hour=9",
        "merged.joint_meeting.every_days=3",
    )
    P = params(sc)
    (rec,), _ = sim_one(sc, "merged", [{"created": 10.0}], hard=0.5)
    # triage done at 12.25 > Monday 09:00, so the next meeting is three days later at 09:00
    assert rec.resolved == pytest.approx(
        3 * 24 + 9.0 + meeting_length(sc) + P["service"]["simple"]["alpha"] + P["closing"]
    )


# ------------------------------------------------------------------ calendars


def test_department_job_pauses_overnight_siloed():
    sc = make_scenario("departments.alpha.calendar=office")
    P = params(sc)
    alpha = P["service"]["simple"]["alpha"]
    t0 = 14.0  # Monday 14:00
    (rec,), world = sim_one(sc, "siloed", [{"created": t0}])
    fr = t0 + P["report"] + P["t_line"] + P["intake_ops"]  # 15:45
    assert rec.first_response == pytest.approx(fr)
    done_today = 17.0 - fr
    assert 0 < done_today < alpha
    assert rec.resolved == pytest.approx(24.0 + 9.0 + (alpha - done_today))  # Tuesday morning
    assert work(world, "dept:alpha") == pytest.approx(alpha)  # staff hours: open hours only


def test_department_job_pauses_over_the_weekend_merged():
    sc = make_scenario("departments.alpha.calendar=office")
    P = params(sc)
    alpha = P["service"]["simple"]["alpha"]
    t0 = 4 * 24 + 14.0  # Friday 14:00
    (rec,), _ = sim_one(sc, "merged", [{"created": t0}])
    triaged = t0 + P["report"] + P["t_comp"] + P["intake"] + P["triage"]
    done_friday = 4 * 24 + 17.0 - triaged
    assert 0 < done_friday < alpha
    monday = WEEK + 9.0
    assert rec.resolved == pytest.approx(monday + (alpha - done_friday) + P["closing"])


def test_no_work_starts_while_closed():
    sc = make_scenario("departments.alpha.calendar=office")
    P = params(sc)
    t0 = 5 * 24 + 10.0  # Saturday 10:00
    (rec,), _ = sim_one(sc, "siloed", [{"created": t0}])
    assert rec.resolved == pytest.approx(WEEK + 9.0 + P["service"]["simple"]["alpha"])


def test_citizen_finds_a_closed_station_and_comes_back_when_it_opens():
    sc = make_scenario("line_grids.ops.calendar=office")
    P = params(sc)
    t0 = 5 * 24 + 10.0  # Saturday 10:00
    (rec,), _ = sim_one(sc, "siloed", [{"created": t0}])
    assert rec.filed == pytest.approx(WEEK + 9.0)
    assert rec.first_response == pytest.approx(WEEK + 9.0 + P["intake_ops"])
    assert rec.citizen_hours == pytest.approx(P["t_line"] + P["intake_ops"])  # waiting at home is not queueing


def test_no_department_work_finishes_at_night_or_weekend_over_a_run():
    sc = make_scenario("departments.alpha.calendar=office", "groups.residents.arrivals_per_day=8")
    cal = sc.calendars["office"].build()
    res = run(sc, models=["siloed"])
    done = res.appeals[res.appeals.state == "resolved"]
    assert len(done) > 30
    alpha = params(sc)["service"]["simple"]["alpha"]
    for _, r in done.iterrows():
        t = r.resolved
        day, hour = int(t // 24) % 7, t % 24
        assert day < 5 and 9.0 < hour <= 17.0 + 1e-9, (t, day, hour)  # resolved = end of alpha's work
        assert cal.open_between(r.first_response, r.resolved) >= alpha - 1e-9
    # some of them must have arisen outside office hours for the test to mean anything
    created = res.appeals.created
    assert ((created % 24 < 9) | (created % 24 > 17)).any()
    util = res.utilisation
    row = util[(util.model == "siloed") & util.office.astype(str).str.contains("dept:alpha")]
    assert len(row) == 1


# ------------------------------------------------------------------ patience


def crowded(*extra):
    return make_scenario(
        "line_grids.ops.intake_staff=1",  # siloed: one desk at the ops station
        "line_grids.police.intake_staff=1",  # merged: 1 + 1 - leader = one desk
        "line_grids.ops.intake={dist: fixed, value: 1.0}",
        "merged.intake={dist: fixed, value: 1.0}",
        "groups.residents.patience={dist: fixed, value: 0.5}",
        *extra,
    )


@pytest.mark.parametrize("model", ["siloed", "merged"])
def test_impatient_citizens_give_up_at_a_crowded_desk(model):
    sc = crowded()
    P = params(sc)
    assert staffing(sc, model)["line:ops:only" if model == "siloed" else "station:only"] == 1
    n = 4
    recs, world = sim_one(sc, model, [{"created": 0.0}] * n)
    arrive = P["report"] + (P["t_line"] if model == "siloed" else P["t_comp"])
    patience = 0.5
    served = [r for r in recs if r.state != "abandoned"]
    gave_up = [r for r in recs if r.state == "abandoned"]
    assert len(served) == 1 and len(gave_up) == n - 1
    assert served[0].state == "resolved"
    for r in gave_up:
        assert r.abandoned == pytest.approx(arrive + patience)
        assert r.first_response is None and r.filed == pytest.approx(arrive)
        assert r.resolved is None and r.trips == 1 and r.staff_hours == 0.0
        assert r.citizen_hours == pytest.approx((P["t_line"] if model == "siloed" else P["t_comp"]) + patience)
    # nobody who gave up was ever held by a grid or department
    assert world.offices["dept:alpha"].jobs == 1


def test_patient_citizens_do_not_give_up():
    sc = crowded("groups.residents.patience={dist: fixed, value: 100.0}")
    recs, _ = sim_one(sc, "siloed", [{"created": 0.0}] * 4)
    assert all(r.state == "resolved" for r in recs)


def test_no_giving_up_at_a_department_once_the_case_is_held():
    # siloed two-department appeals: after intake and alpha's part the citizen queues at beta
    # (one staff) behind another appeal, far beyond their patience, and still does not give up
    sc = make_scenario("departments.beta.headcount=1", "groups.residents.patience={dist: fixed, value: 0.1}")
    P = params(sc)
    a, b = P["service"]["double"]["alpha"], P["service"]["double"]["beta"]
    recs, _ = sim_one(sc, "siloed", [{"created": 0.0, "category": "double"}] * 2)
    at_beta = P["report"] + P["t_line"] + P["intake_ops"] + a + P["t_dept"]
    assert all(r.state == "resolved" and r.abandoned is None for r in recs)
    assert sorted(r.resolved for r in recs) == pytest.approx([at_beta + b, at_beta + 2 * b])
    # the second citizen queued b hours in person at beta
    assert max(r.citizen_hours for r in recs) == pytest.approx(P["t_line"] + P["intake_ops"] + P["t_dept"] + 2 * b)


def test_abandonment_only_before_a_grid_or_department_holds_the_case_over_a_run():
    sc = make_scenario(
        "line_grids.ops.intake_staff=1",
        "line_grids.police.intake_staff=1",
        "line_grids.ops.intake={dist: exponential, mean: 1.0}",
        "merged.intake={dist: exponential, mean: 1.0}",
        "groups.residents.patience={dist: exponential, mean: 0.3}",
        "groups.residents.report_delay={dist: exponential, mean: 2.0}",
        "groups.residents.arrivals_per_day=30",
        "groups.residents.category_mix={simple: 0.5, double: 0.5}",
    )
    a = run(sc).appeals
    for model in ("siloed", "merged"):
        m = a[a.model == model]
        ab = m[m.state == "abandoned"]
        assert len(ab) > 5, model
        assert ab.first_response.isna().all() and ab.resolved.isna().all() and ab.abandoned.notna().all()
        assert (ab.trips == 1).all() and (ab.staff_hours == 0).all() and (ab.bounces == 0).all()
        # every appeal that got a first response ends resolved or still open, never abandoned
        assert not (m.first_response.notna() & (m.state == "abandoned")).any()
        # conservation: one end state each
        assert set(m.state) <= {"resolved", "abandoned", "open"} and m.issue.is_unique


# ------------------------------------------------------------------ feedback and reopening


def reopen_scenario(*extra):
    return make_scenario(
        "merged.feedback.enabled=true",
        "merged.feedback.reopen_probability=1",
        "merged.feedback.max_reopens=1",
        "merged.feedback.delay={dist: fixed, value: 24}",
        "merged.feedback.call={dist: fixed, value: 0.1}",
        "satisfaction.b0=-50",
        *extra,
    )


def test_unsatisfied_appeal_reopens_and_keeps_its_record():
    sc = reopen_scenario()
    P = params(sc)
    t0 = 2.0
    recs, world = sim_one(sc, "merged", [{"created": t0}])
    (rec,) = recs
    alpha = P["service"]["simple"]["alpha"]
    first_close = t0 + P["report"] + P["t_comp"] + P["intake"] + P["triage"] + alpha + P["closing"]
    call_done = first_close + 24.0 + 0.1
    assert rec.issue == 0 and rec.reopened == 1
    assert rec.state == "resolved" and rec.satisfied is False
    # back to triage, departments and closing after the call
    assert rec.resolved == pytest.approx(call_done + P["triage"] + alpha + P["closing"])
    assert rec.resolved > first_close
    assert rec.trips == 1  # reopening costs the citizen no trip
    assert work(world, "leader:only") == pytest.approx(2 * P["triage"])
    assert work(world, "dept:alpha") == pytest.approx(2 * alpha)
    assert work(world, "station:only") == pytest.approx(P["intake"] + 2 * P["closing"] + 2 * 0.1)


def test_satisfied_appeal_does_not_reopen():
    sc = reopen_scenario("satisfaction.b0=50")
    (rec,), _ = sim_one(sc, "merged")
    assert rec.reopened == 0 and rec.satisfied is True


def test_no_reopening_without_feedback_or_with_zero_reopen_probability():
    for extra in ("merged.feedback.enabled=false", "merged.feedback.reopen_probability=0"):
        (rec,), _ = sim_one(reopen_scenario(extra), "merged")
        assert rec.reopened == 0 and rec.state == "resolved" and rec.satisfied is False


def test_siloed_never_reopens():
    (rec,), _ = sim_one(reopen_scenario(), "siloed")
    assert rec.reopened == 0 and rec.satisfied is False


def test_reopened_appeals_over_a_run_keep_one_record_each():
    sc = reopen_scenario("groups.residents.arrivals_per_day=4")
    a = run(sc, models=["merged"]).appeals
    assert a.issue.is_unique and list(a.issue) == list(range(len(a)))
    early = a[a.created < sc.horizon - 72]  # time enough to close, call and close again
    assert len(early) > 10
    assert (early.reopened == 1).all() and (early.state == "resolved").all()
    assert (a.reopened <= sc.merged.feedback.max_reopens).all()


# ------------------------------------------------------------------ proactive discovery


def patrol_scenario(*extra):
    """Patrols that find every discoverable issue (chance 1 - exp(-50 × 1) ≈ 1) 2 open hours after it arises."""
    return make_scenario(
        "merged.patrol.enabled=true",
        "merged.patrol.effectiveness=50",
        "merged.patrol.delay={dist: fixed, value: 2.0}",
        "merged.patrol.staff_hours_per_day=1",
        "groups.residents.report_delay={dist: fixed, value: 10.0}",
        *extra,
    )


def test_patrol_finds_the_issue_before_the_citizen_files():
    sc = patrol_scenario()
    P = params(sc)
    t0 = 4.0
    (m,), _ = sim_one(sc, "merged", [{"created": t0}])
    (s,), _ = sim_one(sc, "siloed", [{"created": t0}])
    assert m.channel == "patrol" and s.channel == "in_person"
    assert m.trips == 0 and m.citizen_hours == 0.0
    assert m.filed == pytest.approx(t0 + 2.0) and m.first_response == pytest.approx(t0 + 2.0)
    assert s.filed == pytest.approx(t0 + 10.0 + P["t_line"])
    assert m.filed < s.filed
    assert m.resolved == pytest.approx(t0 + 2.0 + P["triage"] + P["service"]["simple"]["alpha"] + P["closing"])


def test_patrol_slower_than_the_citizen_finds_nothing():
    sc = patrol_scenario("merged.patrol.delay={dist: fixed, value: 20.0}")
    (m,), _ = sim_one(sc, "merged")
    assert m.channel == "in_person" and m.trips == 1


@pytest.mark.parametrize("u, found", [(0.32, True), (0.34, False)])
def test_finding_chance_grows_with_hours_against_the_pre_drawn_uniform(u, found):
    sc = patrol_scenario("merged.patrol.effectiveness=0.1", "merged.patrol.staff_hours_per_day=4")
    assert sc.merged.patrol.chance() == pytest.approx(1 - np.exp(-0.4))  # 0.3297
    (m,), _ = sim_one(sc, "merged", patrol=u)
    assert (m.channel == "patrol") is found


def test_zero_patrol_hours_find_nothing_and_spend_nothing():
    sc = patrol_scenario("merged.patrol.staff_hours_per_day=0")
    (m,), world = sim_one(sc, "merged", patrol=0.0)
    assert m.channel == "in_person" and m.trips == 1
    assert work(world, "stationed:only") == 0.0


def test_undiscoverable_category_and_disabled_patrols_are_filed_by_citizens():
    for extra in ("categories.simple.discoverable=false", "merged.patrol.enabled=false"):
        (m,), _ = sim_one(patrol_scenario(extra), "merged")
        assert m.channel == "in_person" and m.trips == 1


def test_patrol_hours_come_out_of_stationed_staff_time():
    sc = patrol_scenario("merged.patrol.staff_hours_per_day=2", "merged.patrol.start_hour=9")
    _, world = sim_one(sc, "merged")  # a non-delegable appeal: stationed staff only patrol
    assert work(world, "stationed:only") == pytest.approx(2.0 * sc.horizon_days)


def test_finders_find_only_in_their_working_hours():
    # stationed staff on office hours (weekdays 9-17); the issue arises on Saturday 10:00
    sc = patrol_scenario("merged.stationed_calendar=office", "groups.residents.report_delay={dist: fixed, value: 100}")
    t0 = 5 * 24 + 10.0
    (m,), world = sim_one(sc, "merged", [{"created": t0}])
    assert m.channel == "patrol" and m.filed == pytest.approx(7 * 24 + 9 + 2.0)  # Monday 11:00
    office = world.offices["stationed:only"]
    assert work(world, "stationed:only") == pytest.approx(
        office.calendar.open_between(0, sc.horizon) / 8.0
    )  # 1 h/open day


def inspection_scenario(*extra):
    return make_scenario(
        "departments.alpha.inspection={staff_hours_per_day: 1, effectiveness: 50, delay: {dist: fixed, value: 3.0}}",
        "groups.residents.report_delay={dist: fixed, value: 10.0}",
        *extra,
    )


def test_inspection_crews_find_issues_in_both_models_at_the_same_time():
    sc = inspection_scenario()
    P = params(sc)
    (s,), ws = sim_one(sc, "siloed", [{"created": 4.0}])
    (m,), wm = sim_one(sc, "merged", [{"created": 4.0}])
    for rec in (s, m):
        assert rec.channel == "inspection" and rec.trips == 0 and rec.citizen_hours == 0.0
        assert rec.filed == rec.first_response == pytest.approx(4.0 + 3.0)
    alpha = P["service"]["simple"]["alpha"]
    assert s.resolved == pytest.approx(7.0 + alpha)  # straight to the department
    assert m.resolved == pytest.approx(7.0 + P["triage"] + alpha + P["closing"])  # through the grid
    for world in (ws, wm):  # the crew's hours come out of the department's time, in both models
        assert work(world, "dept:alpha") == pytest.approx(alpha + 1.0 * sc.horizon_days)


def test_inspection_crews_cover_only_their_departments_categories():
    sc = inspection_scenario("departments.alpha.inspection.effectiveness=50")
    (rec,), _ = sim_one(
        make_scenario(
            "departments.beta.inspection={staff_hours_per_day: 1, effectiveness: 50}",
            "groups.residents.report_delay={dist: fixed, value: 10.0}",
        ),
        "siloed",
    )
    assert rec.channel == "in_person"  # 'simple' needs alpha, beta's crew does not look for it
    (rec,), _ = sim_one(sc, "siloed", [{"category": "double"}])
    assert rec.channel == "inspection" and rec.trips == 0  # alpha's crew finds it; beta's part: no trip either


def test_a_found_unclear_case_bounces_without_trips_when_siloed():
    sc = inspection_scenario("categories.simple.p_unclear=1")
    (rec,), _ = sim_one(sc, "siloed", unclear=0.5)
    assert rec.channel == "inspection" and rec.bounces == sc.siloed.max_bounces and rec.escalated
    assert rec.trips == 0 and rec.citizen_hours == 0.0


def test_more_hours_find_a_superset_of_issues():
    """Common random numbers: the same uniforms under a higher chance find every issue found before, and more."""
    found = []
    for hours in (0.5, 2.0, 6.0):
        sc = make_scenario(
            "merged.patrol={enabled: true, effectiveness: 0.2, staff_hours_per_day: %s, "
            "delay: {dist: exponential, mean: 1}}" % hours,
            "groups.residents.arrivals_per_day=20",
            "groups.residents.report_delay={dist: exponential, mean: 12}",
        )
        a = run(sc, models=["merged"]).appeals
        found.append(set(a.loc[a.channel == "patrol", "issue"]))
    assert found[0] < found[1] < found[2] and len(found[0]) > 0


def test_proactive_discovery_over_a_run():
    sc = patrol_scenario("groups.residents.arrivals_per_day=4")
    a = run(sc).appeals
    m, s = a[a.model == "merged"].set_index("issue"), a[a.model == "siloed"].set_index("issue")
    assert (m.channel == "patrol").all() and (m.trips == 0).all()
    filed = m.filed.notna() & s.filed.notna()
    assert filed.sum() > 10
    assert (m.filed[filed] < s.filed[filed]).all()


# ------------------------------------------------------------------ equal headcount and stationing

SCENARIO_FILES = sorted((REPO / "scenarios").glob("*.yaml"))


def _all_scenarios():
    out = [("default", load_scenario()), ("tiny", make_scenario())]
    out += [(p.name, load_scenario(p)) for p in SCENARIO_FILES]
    out += [
        (
            "tiny-3areas",
            make_scenario(
                "areas={a: {weight: 1}, b: {weight: 2}, c: {weight: 3.5}}",
                "groups.residents.area_mix=null",
                "merged.stationed_share=0.4",
                "departments.beta.headcount=7",
                "departments.gamma.stationed_share=0.5",
            ),
        )
    ]
    out += [(f"tiny-share{s}", make_scenario(f"merged.stationed_share={s}")) for s in (0.0, 0.1, 0.5, 0.7)]
    return out


@pytest.mark.parametrize("name, sc", _all_scenarios(), ids=lambda x: x if isinstance(x, str) else "")
def test_equal_total_headcount(name, sc):
    siloed, merged = staffing(sc, "siloed"), staffing(sc, "merged")
    assert sum(siloed.values()) == sum(merged.values())
    # and the world built from it has those capacities
    w = World(sc, "merged")
    assert sum(o.capacity for o in w.offices.values()) == sum(merged.values())
    # line-grid intake staff staff the comprehensive stations, one of them the grid leader
    intake = sum(g.intake_staff for g in sc.line_grids.values())
    for area in sc.areas:
        assert merged[f"station:{area}"] + merged[f"leader:{area}"] == intake
        assert merged[f"leader:{area}"] == 1


def test_default_scenario_headcount_and_run_staffing_table():
    sc = load_scenario()
    expected = (
        sum(d.headcount for d in sc.departments.values())
        + len(sc.areas) * sum(g.intake_staff for g in sc.line_grids.values())
        + sc.channels.hotline.operators
    )
    assert sum(staffing(sc, "siloed").values()) == expected
    res = run(make_scenario("horizon_days=1", "warmup_days=0"))
    totals = res.staffing.groupby("model").headcount.sum()
    assert totals["siloed"] == totals["merged"]


def test_extra_staff_adds_exactly_what_it_declares():
    base = ["areas={a: {weight: 1}, b: {weight: 1}, c: {weight: 2}}", "groups.residents.area_mix=null"]
    sc0 = make_scenario(*base)
    sc = make_scenario(*base, "merged.extra_staff.intake_per_area=1", "merged.extra_staff.stationed_per_area=2")
    n_areas = 3
    assert sum(staffing(sc, "siloed").values()) == sum(staffing(sc0, "siloed").values())
    assert sum(staffing(sc, "merged").values()) - sum(staffing(sc, "siloed").values()) == n_areas * (1 + 2)
    m0, m = staffing(sc0, "merged"), staffing(sc, "merged")
    for a in ("a", "b", "c"):
        assert m[f"station:{a}"] == m0[f"station:{a}"] + 1
        assert m[f"stationed:{a}"] == m0[f"stationed:{a}"] + 2
        assert m[f"leader:{a}"] == m0[f"leader:{a}"] == 1


def test_stationed_staff_leave_their_departments():
    sc = load_scenario()
    merged, siloed = staffing(sc, "merged"), staffing(sc, "siloed")
    moved = 0
    for d, spec in sc.departments.items():
        share = spec.stationed_share if spec.stationed_share is not None else sc.merged.stationed_share
        k = round(spec.headcount * share)
        assert merged[f"dept:{d}"] == spec.headcount - k
        assert siloed[f"dept:{d}"] == spec.headcount
        moved += k
    assert sum(v for key, v in merged.items() if key.startswith("stationed:")) == moved
    assert moved > 0


def test_stationed_staff_exact_counts_on_a_tiny_street():
    # headcounts 4, 7, 4 with shares 0.25 (default), 0.3 (own) and 0.5 (own): 1, 2, 2 stationed
    sc = make_scenario(
        "departments.beta.headcount=7",
        "departments.beta.stationed_share=0.3",
        "departments.gamma.stationed_share=0.5",
        "areas={a: {weight: 1}, b: {weight: 1}}",
        "groups.residents.area_mix=null",
    )
    m = staffing(sc, "merged")
    assert (m["dept:alpha"], m["dept:beta"], m["dept:gamma"]) == (4 - 1, 7 - 2, 4 - 2)
    # five stationed staff split over two equal areas by largest remainder: 3 and 2
    assert sorted((m["stationed:a"], m["stationed:b"])) == [2, 3]
    w = World(sc, "merged")
    assert w.offices["dept:beta"].capacity == 5 and w.offices["dept:alpha"].capacity == 3
