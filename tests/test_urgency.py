"""Urgency and surges (institution 5 of issue 15): offices serve by priority; demand surges over a window.

The priority queue is checked against queueing theory: two classes at one non-preemptive M/M/1
desk, each class's mean wait against Cobham's formula, within the replications' interval.
"""

import numpy as np
import pytest
import simpy
from conftest import make_scenario

import sim
from sim.calendar import ALWAYS
from sim.governance.reform import COMMON, switch
from sim.issues import generate_issues, hourly_rates
from sim.scenario import load_scenario
from sim.statistics import mean_ci
from sim.world import Office

LAM = (0.3, 0.5)  # arrivals per hour: the urgent class (priority 1), the usual (priority 0)
MU = 1.0  # exponential service, one desk: load 0.8


def _waits(seed: int, n: int = 20_000) -> tuple[float, float]:
    """Mean wait in queue of each class at one desk serving the urgent class first."""
    env, rng = simpy.Environment(), np.random.default_rng(seed)
    office = Office(env, "desk", 1, ALWAYS)
    waits: tuple[list[float], list[float]] = ([], [])

    def arrivals():
        for _ in range(n):
            yield env.timeout(rng.exponential(1 / sum(LAM)))
            k = 0 if rng.random() < LAM[0] / sum(LAM) else 1
            t0 = env.now
            office.job(rng.exponential(1 / MU), lambda k=k, t0=t0: waits[k].append(env.now - t0), priority=1 - k)

    env.process(arrivals())
    env.run()
    return float(np.mean(waits[0][1000:])), float(np.mean(waits[1][1000:]))


def test_two_priorities_at_one_desk_wait_as_cobham_says():
    rho = [lam / MU for lam in LAM]
    w0 = sum(lam * 2 / MU**2 for lam in LAM) / 2  # residual work: sum of lambda E[S^2] / 2
    theory = (w0 / (1 - rho[0]), w0 / ((1 - rho[0]) * (1 - rho[0] - rho[1])))
    reps = np.array([_waits(seed) for seed in range(10)])
    for k in (0, 1):
        _, lo, hi = mean_ci(reps[:, k], 0.99)
        assert lo <= theory[k] <= hi, (k, theory[k], lo, hi)
    assert theory[0] < theory[1] / 3  # the urgent class waits far less: the test could tell them apart


def _busy(*overrides):
    """The tiny street with one department of one person, loaded: queues form at alpha."""
    return make_scenario(
        "horizon_days=30",
        "departments.alpha.headcount=1",
        "groups.residents.arrivals_per_day=8",
        "groups.residents.category_mix={simple: 0.5, double: 0.5}",
        *overrides,
    )


def test_an_urgent_category_is_served_first_and_the_work_is_the_same():
    plain, urgent = (sim.run(_busy(*o), models=["siloed"]).appeals for o in ([], ["categories.simple.priority=2"]))
    assert (plain["staff_hours"].sum(), len(plain)) == pytest.approx((urgent["staff_hours"].sum(), len(urgent)))

    def p50(a, cat):
        a = a[a["category"] == cat]
        return (a["resolved"] - a["created"]).median()

    assert p50(urgent, "simple") < p50(plain, "simple") and p50(urgent, "double") > p50(plain, "double")
    assert set(urgent.loc[urgent["category"] == "simple", "priority"]) == {2}


def test_priorities_are_a_feature_of_both_arms_that_explain_turns_off_in_both():
    sc = _busy("categories.simple.priority=2")
    assert switch("priorities", COMMON).on(sc)
    off = load_scenario(overrides=switch("priorities", COMMON).off(load_scenario()))
    assert all(c.priority == 0 for c in off.categories.values())


SURGE = ["surges=[{categories: [double], start: 10, days: 5, multiplier: 4}]"]


def test_a_surge_multiplies_its_categories_arrivals_in_its_window_only():
    mix = ["groups.residents.category_mix={simple: 0.5, double: 0.5}", "groups.residents.arrivals_per_day=40"]
    sc = make_scenario("horizon_days=30", *mix, *SURGE)
    rate, base = hourly_rates(sc, "residents"), hourly_rates(make_scenario("horizon_days=30", *mix), "residents")
    hours = np.arange(len(rate))
    window = (hours >= 240) & (hours < 360)
    assert np.allclose(rate[window], base[window] * (0.5 * 4 + 0.5)) and np.allclose(rate[~window], base[~window])
    # the share of the surging category: 4 × 0.5 / (4 × 0.5 + 0.5) = 0.8 in the window, 0.5 outside,
    # within four binomial standard errors of the issues counted over 10 replications
    for inside, p in ((True, 0.8), (False, 0.5)):
        hits = total = 0
        for rep in range(10):
            iss = generate_issues(sc, rep)
            m = window[iss.created.astype(int)] == inside
            hits, total = hits + int((iss.category[m] == 1).sum()), total + int(m.sum())
        assert abs(hits / total - p) < 4 * np.sqrt(p * (1 - p) / total), (inside, hits / total, total)


def test_a_surge_on_a_date_needs_the_start_date():
    with pytest.raises(sim.scenario.ScenarioError, match="a date needs the scenario's start_date"):
        load_scenario(overrides=["surges=[{start: 2024-07-01, days: 1, multiplier: 3}]"])
    sc = load_scenario(overrides=["start_date=2024-06-28", "surges=[{start: 2024-07-01, days: 1, multiplier: 3}]"])
    assert sc.surge_hours()[0][:2] == (72.0, 96.0)


def test_an_arm_without_the_surge_draws_its_own_issues():
    """Arms share one issue stream only when their demand is the same: a surge is demand."""
    sc = make_scenario(
        "horizon_days=30",
        "groups.residents.category_mix={simple: 0.5, double: 0.5}",
        "groups.residents.arrivals_per_day=20",
        *SURGE,
        "models=[siloed, calm]",
        "variants={calm: {policy: siloed, set: {surges: []}}}",
    )
    n = sim.run(sc).appeals.groupby("model").size()
    assert n["siloed"] > n["calm"]
