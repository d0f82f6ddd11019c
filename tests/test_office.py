"""The office (world.Office): a FIFO multi-server desk, its statistics at the horizon and after a reset."""

from __future__ import annotations

import pytest
import simpy

from sim.calendar import ALWAYS
from sim.world import Office


def _office(capacity: int = 1) -> tuple[simpy.Environment, Office]:
    env = simpy.Environment()
    return env, Office(env, "desk", capacity, ALWAYS)


def test_many_zero_length_jobs_behind_one_desk_run_in_order_without_recursion():
    """Zero-length work frees its desk at once; a long queue of it (say, built up while an office was
    closed) is handed the desk in a loop, first come first served, not by ever deeper calls."""
    env, office = _office()
    office.job(1.0)
    done = []
    for k in range(3000):  # far beyond Python's recursion limit if each hand-on nested a call
        office.job(0.0).callbacks.append(lambda _e, k=k: done.append(k))
    env.run()
    assert done == list(range(3000))
    assert office.free == 1 and office.busy == 0 and office.present == 0 and office.jobs == 3001


def test_work_beyond_the_horizon_is_not_counted():
    env, office = _office()
    office.job(100.0)
    env.run(until=10.0)
    assert office.worked_hours(10.0) == pytest.approx(10.0)
    assert office.utilisation(10.0) == pytest.approx(1.0)  # not 10: the desk was busy all the time, no more


def test_a_reset_counts_work_waits_and_peaks_from_then_on():
    """Warm-up ends at t = 40 while a 50 h job is under way and a 1 h job queues behind it."""
    env, office = _office()
    office.job(50.0)
    office.job(1.0)

    def warm_up():
        yield env.timeout(40.0)
        office.reset()

    env.process(warm_up())
    env.run(until=60.0)
    assert office.worked_hours(60.0) == pytest.approx(10.0 + 1.0)  # the rest of the long job, then the short one
    assert office.utilisation(60.0) == pytest.approx(11.0 / 20.0)
    assert office.jobs == 1 and office.wait_sum == pytest.approx(10.0)  # waited from 40 (the reset) to 50
    assert office.max_busy == 1


def test_a_reset_forgets_the_warm_up_peak():
    env, office = _office(capacity=3)
    for _ in range(3):
        office.job(1.0)
    env.run(until=5.0)
    office.reset()
    assert office.max_busy == 0


def test_reneging_needs_a_claim_with_an_event():
    env, office = _office()
    office.job(1.0)
    claim = office.request(event=False)
    with pytest.raises(ValueError, match="request\\(event=True\\)"):
        office.give_up_at(claim, 0.5)
