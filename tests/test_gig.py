"""Gig workers' service stations and riders as problem collectors (institution 4 of issue 15).

A service station (驿站) is a filing point: a short trip, the station's intake, then a work order to the
handling unit, in both models alike.  Riders (问题收集员) are a finder whose reports are filed online.  On the
tiny scenario (fixed times, everything open) the times are exact.
"""

import math

import pytest
from conftest import make_scenario
from test_mechanisms import params, sim_one, work

import sim
from sim.governance.reform import COMMON, switch
from sim.scenario import ScenarioError, file_in_person
from sim.world import staffing

STATION = [
    "groups.residents.channel_mix={station: 1}",
    "channels.station={staff_per_area: 1, travel: 0.25, intake: {dist: fixed, value: 0.2}, "
    "dispatch: {dist: fixed, value: 1.0}}",
]
RIDERS = "channels.riders={enabled: true, staff_hours_per_day: 100, effectiveness: 1, delay: {dist: fixed, value: 0.5}}"


def test_a_station_files_the_appeal_as_a_work_order_to_the_right_line_grid():
    sc = make_scenario(*STATION)
    P, t0 = params(sc), 3.0
    (rec,), world = sim_one(sc, "siloed", [{"created": t0}])
    arrive = t0 + P["report"] + 0.25
    assert rec.channel == "station" and rec.filed == pytest.approx(arrive)
    # the station's intake, its work order, then the line grid's intake: the first response (as 12345 counts it)
    assert rec.first_response == pytest.approx(arrive + 0.2 + 1.0 + P["intake_ops"])
    assert rec.resolved == pytest.approx(rec.first_response + P["service"]["simple"]["alpha"])
    assert (rec.trips, rec.referrals) == (1, 0)
    assert rec.citizen_hours == pytest.approx(0.25 + 0.2)
    assert work(world, "service_station:only") == pytest.approx(0.2)


def test_a_station_sends_it_to_the_grid_when_merged():
    sc = make_scenario(*STATION)
    P, t0 = params(sc), 3.0
    (rec,), world = sim_one(sc, "merged", [{"created": t0}])
    assert rec.first_response == pytest.approx(t0 + P["report"] + 0.25 + 0.2 + 1.0 + P["intake"])
    assert work(world, "service_station:only") == pytest.approx(0.2)
    assert rec.trips == 1


def test_stations_are_the_same_staff_in_both_models():
    sc = make_scenario(*STATION)
    for model in ("siloed", "merged"):
        assert staffing(sc, model)["service_station:only"] == 1
    assert "service_station:only" not in staffing(make_scenario(), "siloed")  # nobody files there: no stations


def test_filing_at_stations_that_have_no_staff_is_refused():
    with pytest.raises(ScenarioError, match="channels.station.staff_per_area"):
        make_scenario("groups.residents.channel_mix={station: 1}")


def test_a_rider_reports_what_they_pass_and_it_is_filed_online():
    sc = make_scenario(RIDERS)
    P, t0 = params(sc), 3.0
    (rec,), world = sim_one(sc, "siloed", [{"created": t0}])
    assert rec.channel == "rider" and rec.filed == pytest.approx(t0 + 0.5)  # before the citizen (1 h)
    online = sc.channels.online.dispatch.ppf([0.5])[0]  # the online form's dispatch, at the stream's uniform
    assert rec.first_response == pytest.approx(t0 + 0.5 + online + P["intake_ops"])
    assert rec.trips == 0 and rec.citizen_hours == 0.0
    assert math.isclose(sc.channels.riders.chance(), 1 - math.exp(-100))


def test_riders_see_only_the_categories_on_their_routes():
    sc = make_scenario(RIDERS, "channels.riders.categories=[double]")
    (rec,), _ = sim_one(sc, "siloed")
    assert rec.channel == "in_person"
    with pytest.raises(ScenarioError, match="channels.riders.categories: unknown category 'lift'"):
        make_scenario(RIDERS, "channels.riders.categories=[lift]")


def test_the_rider_share_is_a_metric_of_both_models():
    sc = make_scenario(RIDERS, "horizon_days=20")
    s = sim.run(sc).summary
    s = s[s["dimension"] == "all"].set_index(["model", "metric"])["value"]
    for model in ("siloed", "merged"):
        assert s[(model, "rider_share")] > 0.9  # found within half an hour, before the citizen files
        assert s[(model, "station_share")] == 0


def test_explain_turns_stations_and_riders_off_in_both_arms():
    sc = make_scenario(*STATION, RIDERS, "groups.residents.channel_mix={in_person: 0.5, station: 0.5}")
    stations, riders = switch("service_stations", COMMON), switch("riders", COMMON)
    assert stations.on(sc) and riders.on(sc)
    assert stations.off(sc) == ['groups.residents.channel_mix={"in_person": 1.0}']
    assert riders.off(sc) == ["channels.riders.enabled=false"]


def test_the_in_person_lever_keeps_the_station_share_of_the_rest():
    raw = {"groups": {"a": {"channel_mix": {"in_person": 0.2, "hotline": 0.4, "online": 0.2, "station": 0.2}}}}
    mix = file_in_person(raw, 0.5)["groups"]["a"]["channel_mix"]
    assert mix == pytest.approx({"in_person": 0.5, "hotline": 0.25, "online": 0.125, "station": 0.125})


def test_closing_the_stations_changes_no_other_citizens_channel():
    """Common random numbers: who would file at a station files in person; everyone else files as before."""
    mix = "groups.residents.channel_mix={in_person: 0.3, hotline: 0.2, online: 0.3, station: 0.2}"
    stations = make_scenario(*STATION, mix, "horizon_days=10")
    closed = make_scenario(*STATION, mix, "horizon_days=10", *switch("service_stations", COMMON).off(stations))
    a, b = (sim.run(sc, models=["siloed"]).appeals for sc in (stations, closed))
    assert (a["channel"] == "station").any() and not (b["channel"] == "station").any()
    kept = (a["channel"] != "station").to_numpy()
    assert (a["channel"].to_numpy()[kept] == b["channel"].to_numpy()[kept]).all()
    assert (b["channel"].to_numpy()[~kept] == "in_person").all()
