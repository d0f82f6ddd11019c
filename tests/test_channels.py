"""Filing channels: in person, the 12345 hotline (an Erlang-A operator queue) and online, the same in both models."""

import numpy as np
import pytest
from conftest import make_scenario
from scipy import stats
from test_mechanisms import params, sim_one, work

from sim.simulation import run
from sim.verification import erlang_a_abandonment


def channel_scenario(channel, *extra):
    return make_scenario(
        f"groups.residents.channel_mix={{{channel}: 1}}",
        "channels.hotline={operators: 2, talk: {dist: fixed, value: 0.1}, "
        "patience: {dist: fixed, value: 100}, dispatch: {dist: fixed, value: 2}}",
        "channels.online={dispatch: {dist: fixed, value: 1}}",
        "siloed.dispatch.p_wrong=0",
        "merged.dispatch.p_wrong=0",
        *extra,
    )


@pytest.mark.parametrize("model", ["siloed", "merged"])
def test_a_hotline_appeal_makes_no_trip_and_is_answered_by_the_handling_unit(model):
    sc = channel_scenario("hotline")
    P = params(sc)
    (rec,), world = sim_one(sc, model, [{"created": 0.0, "category": "double"}])
    assert rec.channel == "hotline" and rec.trips == 0 and rec.state == "resolved"
    assert rec.filed == pytest.approx(P["report"])  # the call
    intake = P["intake_ops"] if model == "siloed" else P["intake"]
    # first response: the unit's intake after the talk and the dispatch, not the operator answering
    assert rec.first_response == pytest.approx(P["report"] + 0.1 + 2.0 + intake)
    assert work(world, "hotline:12345") == pytest.approx(0.1)
    svc = P["service"]["double"]
    if model == "siloed":  # in turn, but passed on: no trip to the second department
        assert rec.resolved == pytest.approx(rec.first_response + svc["alpha"] + svc["beta"])
    else:
        assert rec.resolved == pytest.approx(rec.first_response + P["triage"] + max(svc.values()) + P["closing"])


def test_an_online_appeal_waits_for_the_units_opening_hours():
    sc = channel_scenario("online", "line_grids.ops.calendar=office")  # weekdays 9-17
    (rec,), _ = sim_one(sc, "siloed", [{"created": 5 * 24 + 10.0}])  # Saturday 10:00
    assert rec.channel == "online" and rec.trips == 0
    assert rec.first_response == pytest.approx(7 * 24 + 9 + params(sc)["intake_ops"])  # Monday 09:15


@pytest.mark.parametrize("model", ["siloed", "merged"])
def test_a_wrong_dispatch_is_a_redispatch_not_a_trip(model):
    sc = channel_scenario(
        "hotline",
        f"{model}.dispatch={{p_wrong: 1, redispatch: {{dist: fixed, value: 5}}}}",
        "areas={only: {weight: 1}, other: {weight: 1}}",
        "groups.residents.area_mix={only: 1}",
    )
    P = params(sc)
    (rec,), world = sim_one(sc, model)
    intake = P["intake_ops"] if model == "siloed" else P["intake"]
    wrong = "line:police:only" if model == "siloed" else "station:other"
    assert rec.trips == 0 and rec.referrals == 1
    assert work(world, wrong) == pytest.approx(intake)  # the wrong unit's intake (the right unit's hours)
    assert rec.first_response == pytest.approx(P["report"] + 0.1 + 2.0 + intake + 5.0 + intake)


def test_the_wrong_dispatch_chance_is_each_models_own():
    sc = channel_scenario(
        "hotline",
        "siloed.dispatch.p_wrong=0.6",
        "merged.dispatch.p_wrong=0.2",
        "areas={only: {weight: 1}, other: {weight: 1}}",
    )
    for model, redispatched in (("siloed", True), ("merged", False)):
        (rec,), _ = sim_one(sc, model, dispatch_wrong=0.4)  # 0.4 < 0.6 but not < 0.2
        assert (rec.referrals == 1) is redispatched


def test_a_department_may_ask_the_citizen_to_come_in_the_same_in_both_models():
    sc = channel_scenario("hotline", "categories.double.p_come_in=0.5")
    for model in ("siloed", "merged"):
        (rec,), _ = sim_one(sc, model, [{"category": "double"}], come_in=[0.3, 0.9, 0.9])  # alpha asks, beta not
        assert rec.trips == 1 and rec.citizen_hours >= params(sc)["t_dept"]


def test_channel_draws_are_shared_by_both_models_and_follow_the_mix():
    sc = make_scenario(
        "groups.residents.channel_mix={in_person: 0.3, hotline: 0.5, online: 0.2}",
        "groups.residents.arrivals_per_day=40",
        "horizon_days=20",
        "warmup_days=0",
    )
    a = run(sc).appeals
    s, m = (a[a.model == k].set_index("issue") for k in ("siloed", "merged"))
    assert (s.channel == m.channel).all()
    share = s.channel.value_counts(normalize=True)
    n = len(s)
    for ch, p in (("in_person", 0.3), ("hotline", 0.5), ("online", 0.2)):
        assert abs(share[ch] - p) < 4 * np.sqrt(p * (1 - p) / n), (ch, share[ch])
    assert (s.loc[s.channel != "in_person", "trips"] == 0).all()


# ------------------------------------------------------------------ the operator queue against Erlang-A


@pytest.mark.slow
def test_the_hotline_is_an_erlang_a_queue():
    lam, mu, theta, c = 9.0, 1.0, 2.0, 9  # calls/h, talks/h per operator, hang-ups/h, operators
    expected = erlang_a_abandonment(lam, mu, theta, c)  # sim.verification's, tested on known values there
    shares = []
    for seed in range(8):
        sc = make_scenario(
            f"seed={seed}",
            "horizon_days=12",
            "warmup_days=2",
            "groups.residents.channel_mix={hotline: 1}",
            f"groups.residents.arrivals_per_day={24 * lam}",
            "groups.residents.report_delay={dist: fixed, value: 0}",
            f"channels.hotline={{operators: {c}, talk: {{dist: exponential, mean: {1 / mu}}}, "
            f"patience: {{dist: exponential, mean: {1 / theta}}}}}",
        )
        a = run(sc, models=["siloed"]).appeals
        a = a[a.created >= 48.0]
        shares.append((a.state == "abandoned").mean())
    m, se = np.mean(shares), np.std(shares, ddof=1) / np.sqrt(len(shares))
    half = stats.t.ppf(0.995, len(shares) - 1) * se  # 99% interval over independent replications
    assert abs(m - expected) <= half, (m, half, expected)
    assert 0.02 < expected < 0.2  # a regime where hanging up matters


def test_the_in_person_share_lever_moves_every_group_and_keeps_the_rest_split():
    from sim.scenario import LEVERS, file_in_person, in_person_share_of, load_scenario

    raw = load_scenario().to_dict()
    before = {g: dict(v["channel_mix"]) for g, v in raw["groups"].items()}
    file_in_person(raw, 0.05)
    assert in_person_share_of(raw) == pytest.approx(0.05)
    for g, mix in raw["groups"].items():
        b, m = before[g], mix["channel_mix"]
        assert sum(m.values()) == pytest.approx(1.0)
        assert m["hotline"] / m["online"] == pytest.approx(b["hotline"] / b["online"])
    assert LEVERS["in_person_share"] == (file_in_person, in_person_share_of)


@pytest.mark.slow
def test_fewer_in_person_filers_make_fewer_trips_in_both_models():
    from sim.scenario import build_scenario, file_in_person, load_scenario

    trips = {}
    for share in (0.05, 0.8):
        sc = build_scenario(file_in_person(load_scenario(overrides=["horizon_days=28"]).to_dict(), share))
        s = run(sc).summary
        s = s[(s.dimension == "all") & (s.metric == "trips_per_appeal")].set_index("model")["value"]
        trips[share] = s
    assert (trips[0.05] < trips[0.8]).all()
    assert trips[0.8]["siloed"] - trips[0.8]["merged"] > trips[0.05]["siloed"] - trips[0.05]["merged"]


def test_an_escalated_case_may_still_be_asked_in_as_in_the_merged_grid():
    sc = channel_scenario("hotline", "categories.simple.p_come_in=1", "categories.simple.p_unclear=1")
    for model in ("siloed", "merged"):
        (rec,), _ = sim_one(sc, model, unclear=0.5, come_in=0.5)
        assert rec.trips == 1, model  # the department's request, in both models; the bounces cost none
