"""Memory: a run does not keep an earlier, finished run alive while the collector is paused."""

from __future__ import annotations

import gc
import weakref

import sim
from sim.issues import generate_issues
from sim.simulation import simulate
import pytest

pytestmark = pytest.mark.slow


def test_a_finished_runs_world_is_freed_before_the_next_run():
    """A world is a web of reference cycles (environment, processes, events), so only the cyclic
    collector frees it; runs pause that collector, so each run must collect the last one's garbage
    first, or a sweep or a city holds two runs' worlds at once."""
    # Start from empty generations: the suite's earlier garbage decides when the collector runs after
    # a run, and a collection then could move the finished world to the oldest generation, which a
    # young collection does not reach; from a clean start the sequence below is the one runs see.
    gc.collect()
    sc = sim.load_scenario(overrides=["horizon_days=5", "warmup_days=0"])
    issues = generate_issues(sc)
    first = simulate(sc, "merged", issues)
    world = weakref.ref(first.world)
    del first
    seen = []

    def probe(w):
        seen.append(world())  # called as the next run starts
        yield w.env.timeout(0)

    assert gc.isenabled()
    simulate(sc, "siloed", issues, probes=[probe])
    assert seen == [None]
    assert gc.isenabled()  # the run gives the collector back
