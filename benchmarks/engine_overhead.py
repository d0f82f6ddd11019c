"""Engine overhead: the full model reduced to an M/M/c queue vs bare SimPy vs Ciw, in one run.

    python benchmarks/engine_overhead.py [--appeals 200000] [--repeat 3]

lambda = 9/h, mu = 1/h, c = 10 (rho = 0.9).  Prints appeals per second of each engine,
the ratios (targets: full model >= 0.6 x bare SimPy, >= 1.2 x Ciw) and each engine's
mean wait in queue beside the Erlang C value, so a fast but wrong engine shows.
"""

import argparse
import random
import sys
import time

import numpy as np
import simpy

from sim.simulation import simulate
from sim.issues import generate_issues
from sim.verification import erlang_c, textbook_scenario

LAM, MU, C = 9.0, 1.0, 10


def full_model(n: int) -> tuple[float, float]:
    """gridsim, siloed, one department of c staff; zero intake, travel and report delay.

    Timed from drawing the issue stream (arrivals and every uniform), as bare SimPy and
    Ciw draw theirs while they run.
    """
    sc = textbook_scenario(LAM, {"d": {"dist": "exponential", "mean": 1 / MU}}, {"d": C}, n / LAM, 0.0, seed=5)
    t0 = time.perf_counter()
    issues = generate_issues(sc)
    run = simulate(sc, "siloed", issues)
    wall = time.perf_counter() - t0
    office = run.world.offices["dept:d"]
    return len(issues) / wall, office.wait_sum / office.jobs


def bare_simpy(n: int) -> tuple[float, float]:
    """The idiomatic SimPy M/M/c: a source process, one process per customer, one Resource."""
    rng = random.Random(5)
    env = simpy.Environment()
    staff = simpy.Resource(env, C)
    waits = []

    def customer():
        t = env.now
        with staff.request() as req:
            yield req
            waits.append(env.now - t)
            yield env.timeout(rng.expovariate(MU))

    def source():
        for _ in range(n):
            yield env.timeout(rng.expovariate(LAM))
            env.process(customer())

    env.process(source())
    t0 = time.perf_counter()
    env.run()
    return n / (time.perf_counter() - t0), float(np.mean(waits))


def ciw_model(n: int) -> tuple[float, float]:
    """Ciw's M/M/c on the same queue."""
    import ciw

    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(LAM)],
        service_distributions=[ciw.dists.Exponential(MU)],
        number_of_servers=[C],
    )
    ciw.seed(5)
    sim = ciw.Simulation(net)
    t0 = time.perf_counter()
    sim.simulate_until_max_time(n / LAM)
    wall = time.perf_counter() - t0
    recs = sim.get_all_records()
    return len(recs) / wall, float(np.mean([r.waiting_time for r in recs]))


def main() -> None:
    try:
        import ciw  # noqa: F401
    except ImportError:
        sys.exit("engine_overhead.py compares with Ciw: pip install -e '.[bench]' (or pip install ciw)")
    ap = argparse.ArgumentParser()
    ap.add_argument("--appeals", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each engine, interleaved; the best counts")
    args = ap.parse_args()
    n = args.appeals
    wq = erlang_c(C, LAM, MU)[1]
    engines = [("gridsim full model", full_model), ("bare SimPy", bare_simpy), ("Ciw", ciw_model)]
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeat):  # interleaved, so a slow spell of a shared machine hits all three
        for name, engine in engines:
            rate, w = engine(n)
            if rate > best.get(name, (0.0, 0.0))[0]:
                best[name] = (rate, w)
    rows = [(name, *best[name]) for name, _ in engines]
    print(
        f"M/M/{C}, lambda={LAM}/h, mu={MU}/h, {n:,} appeals, best of {args.repeat} interleaved runs; "
        f"Erlang C mean wait {wq:.3f} h"
    )
    for name, rate, w in rows:
        print(f"  {name:<20} {rate:>10,.0f} appeals/s   mean wait {w:.3f} h")
    full, bare, ciw_rate = rows[0][1], rows[1][1], rows[2][1]
    print(f"  full / bare SimPy = {full / bare:.2f} (target >= 0.6)")
    print(f"  full / Ciw        = {full / ciw_rate:.2f} (target >= 1.2)")


if __name__ == "__main__":
    main()
