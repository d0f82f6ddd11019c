"""The grassroots ladder (institution 1 of issue 15, step 1): 楼组, 微网格, 居民区 below the grids, in both models.

A resident's matter goes to the lowest level that takes it; a level settles it or passes it up; above the
top level it reaches the model's handling unit as a work order.  On the tiny scenario (fixed times, offices
always open) the times are exact.
"""

import json

import pytest
from conftest import make_scenario
from test_mechanisms import params, sim_one, work

from sim.governance.reform import COMMON, switch
from sim.scenario import ScenarioError
from sim.world import ladder_offices, staffing

FIXED = lambda v: {"dist": "fixed", "value": v}  # noqa: E731


def ladder(*levels, population=100):
    """Overrides for a ladder of ``levels`` (name, staff per unit, p_resolve), 100 residents a unit."""
    spec = {
        "population": population,
        "levels": {
            name: {
                "residents_per_unit": 100,
                "staff_per_unit": staff,
                "travel": 0.05 * (k + 1),
                "service": FIXED(0.5),
                "p_resolve": p,
                "escalation": FIXED(2.0),
            }
            for k, (name, staff, p) in enumerate(levels)
        },
    }
    return [f"ladder={json.dumps(spec)}", f"categories.simple.ladder={levels[0][0]}"]


@pytest.mark.parametrize("model", ["siloed", "merged"])
def test_a_level_that_settles_the_matter_closes_it_in_either_model(model):
    sc = make_scenario(*ladder(("building", 1, 1.0)))
    P, t0 = params(sc), 4.0
    (rec,), world = sim_one(sc, model, [{"created": t0}])
    done = t0 + P["report"] + 0.05 + 0.5
    assert (rec.resolved, rec.first_response, rec.filed) == (pytest.approx(done), pytest.approx(done), t0 + 1.05)
    assert (rec.resolved_at, rec.trips, rec.state) == ("building", 1, "resolved")
    assert work(world, "ladder:building:only") == pytest.approx(0.5)
    assert work(world, "dept:alpha") == 0.0


def test_what_no_level_settles_reaches_the_line_grid_as_a_work_order():
    sc = make_scenario(*ladder(("building", 1, 0.0), ("micro", 1, 0.0)))
    P, t0 = params(sc), 4.0
    (rec,), world = sim_one(sc, "siloed", [{"created": t0}])
    first = t0 + P["report"] + 0.05 + 0.5
    up = first + 2.0 + 0.5 + 2.0  # passed up, the micro-grid's work, passed up again
    online = sc.channels.online.dispatch.ppf([0.5])[0]
    assert rec.first_response == pytest.approx(first)  # the first level's work answered the citizen
    assert rec.resolved == pytest.approx(up + online + P["intake_ops"] + P["service"]["simple"]["alpha"])
    assert (rec.trips, rec.resolved_at) == (1, "")  # one walk, to the building group; nobody carries it after
    assert work(world, "ladder:micro:only") == pytest.approx(0.5)


def test_the_merged_grid_takes_it_from_the_ladder_at_its_one_door():
    sc = make_scenario(*ladder(("building", 1, 0.0)))
    P = params(sc)
    (rec,), world = sim_one(sc, "merged")
    online = sc.channels.online.dispatch.ppf([0.5])[0]
    arrives = P["report"] + 0.05 + 0.5 + 2.0 + online
    assert rec.resolved == pytest.approx(
        arrives + P["intake"] + P["triage"] + P["service"]["simple"]["alpha"] + P["closing"]
    )
    assert rec.trips == 1 and work(world, "station:only") == pytest.approx(P["intake"] + P["closing"])


def test_an_unstaffed_level_is_passed_over():
    sc = make_scenario(*ladder(("building", 0, 1.0), ("micro", 1, 1.0)))
    (rec,), _ = sim_one(sc, "siloed")
    assert rec.resolved_at == "micro" and rec.resolved == pytest.approx(params(sc)["report"] + 0.10 + 0.5)


def test_only_residents_who_would_file_in_person_use_it():
    for other in ("ladder.groups=[]", "groups.residents.channel_mix={online: 1}"):
        (rec,), _ = sim_one(make_scenario(*ladder(("building", 1, 1.0)), other), "siloed")
        assert rec.resolved_at == "" and rec.state == "resolved"


def test_the_levels_staff_follow_the_population_and_are_the_same_in_both_models():
    sc = make_scenario(*ladder(("building", 0.5, 1.0), population=1000))
    assert ladder_offices(sc) == {"ladder:building:only": 5}  # 10 building groups, half a desk each
    assert staffing(sc, "siloed")["ladder:building:only"] == staffing(sc, "merged")["ladder:building:only"] == 5


def test_explain_turns_the_ladder_off_in_both_arms():
    sc = make_scenario(*ladder(("building", 1, 1.0)))
    s = switch("ladder", COMMON)
    assert s.on(sc) and s.off(sc) == ["ladder.enabled=false"]
    off = make_scenario(*ladder(("building", 1, 1.0)), "ladder.enabled=false")
    assert not off.ladder_on() and not ladder_offices(off)


@pytest.mark.parametrize(
    "bad, message",
    [
        ("categories.simple.ladder=attic", "categories.simple.ladder: unknown level 'attic'"),
        ("ladder.groups=[tourists]", "ladder.groups: unknown group 'tourists'"),
        ("ladder.levels.building.calendar=night", "ladder.levels.building.calendar: unknown calendar 'night'"),
    ],
)
def test_a_ladder_that_names_what_is_not_there_is_refused(bad, message):
    with pytest.raises(ScenarioError, match=message):
        make_scenario(*ladder(("building", 1, 1.0)), bad)


def test_the_shanghai_city_runs_the_ladder_with_desks_from_each_streets_population():
    from conftest import REPO

    from sim.scenario import load_scenario

    streets = dict(load_scenario(REPO / "scenarios" / "shanghai.yaml").streets())
    urban, town = streets["urban-001"], streets["town-001"]
    assert urban.ladder_on() and (urban.ladder.population, town.ladder.population) == (124500, 93375)
    desks = ladder_offices(urban)
    # 124,500 residents: 168 micro-grids over 4 grids (42 each, a tenth of a desk each) and 30 residents' committees
    assert [desks[f"ladder:micro_grid:{a}"] for a in urban.areas] == [4, 4, 4, 4]
    assert sum(desks[f"ladder:residential_area:{a}"] for a in urban.areas) == 30
    assert sum(n for k, n in ladder_offices(town).items() if "residential_area" in k) == 23


def test_by_rule_a_hard_case_goes_past_a_level_that_cannot_settle_it():
    hard = ["categories.simple.p_hard=1"]
    (rec,), world = sim_one(make_scenario(*ladder(("building", 1, 1.0)), *hard), "siloed", hard=0.5)
    assert rec.hard and rec.resolved_at == "" and work(world, "ladder:building:only") == pytest.approx(0.5)
    spec = make_scenario(*ladder(("building", 1, 1.0)), *hard, "ladder.levels.building.settles_hard=true")
    (rec,), _ = sim_one(spec, "siloed", hard=0.5)
    assert rec.resolved_at == "building"


def test_a_matter_a_level_settles_gets_the_models_feedback_call():
    """The closed loop (回访) is the model's: merged's one door calls back what a level settled; siloed has none."""
    sc = make_scenario(*ladder(("building", 1, 1.0)), "merged.feedback.enabled=true")
    call = sc.merged.feedback.call.ppf([0.5])[0]
    (m,), wm = sim_one(sc, "merged")
    (s,), ws = sim_one(sc, "siloed")
    assert m.resolved_at == s.resolved_at == "building" and m.resolved == pytest.approx(s.resolved)
    assert work(wm, "station:only") == pytest.approx(call) and m.staff_hours == pytest.approx(s.staff_hours + call)
