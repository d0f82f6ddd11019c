"""Scaling: wall time and peak memory against appeals simulated and against number of grids.

    python benchmarks/scaling.py [--max-appeals 1000000] [--max-grids 800]

Each point runs in a fresh process (so peak RSS is its own) and simulates both models
on the default street: more appeals by a longer horizon; more grids by more areas with
demand in proportion (the same load per grid, 7 days).  Prints each point and the fitted
exponent b of time ~ size^b and memory ~ size^b (1 = linear), memory counted above what
the interpreter and libraries take before the run.  A street run keeps every record (for
appeals.csv), so its memory grows with appeals; a city run (benchmarks/city.py) does not.
"""

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np


def one(kind: str, size: int) -> dict:
    import sim
    from sim.simulation import simulate
    from sim.issues import generate_issues

    base = sim.load_scenario()
    per_day = sum(g.arrivals_per_day for g in base.groups.values())
    if kind == "appeals":
        sc = sim.load_scenario(overrides=[f"horizon_days={size / per_day:.4f}", "warmup_days=0"])
    else:
        raw = base.to_dict()
        raw["areas"] = {f"a{k}": {"weight": 1.0} for k in range(size)}
        for g in raw["groups"].values():
            g["arrivals_per_day"] *= size / len(base.areas)
            g["area_mix"] = None
        raw["horizon_days"], raw["warmup_days"] = 7, 0
        sc = sim.scenario.build_scenario(raw)
    base_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # interpreter and libraries
    t0 = time.perf_counter()
    issues = generate_issues(sc)
    for m in ("siloed", "merged"):
        simulate(sc, m, issues)
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB
    return {
        "kind": kind,
        "size": size,
        "appeals": len(issues),
        "wall_s": wall,
        "peak_mib": rss,
        "grown_mib": rss - base_mib,
    }


def fit(xs, ys) -> float:
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-appeals", type=int, default=1_000_000)
    ap.add_argument("--max-grids", type=int, default=800)
    ap.add_argument("--one", nargs=2)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one[0], int(a.one[1]))))
        return
    plans = {
        "appeals": [n for n in (10_000, 30_000, 100_000, 300_000, 1_000_000) if n <= a.max_appeals],
        "grids": [n for n in (1, 10, 50, 200, 800) if n <= a.max_grids],
    }
    for kind, sizes in plans.items():
        rows = []
        for n in sizes:
            out = subprocess.run(
                [sys.executable, __file__, "--one", kind, str(n)], capture_output=True, text=True, check=True
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(r)
            print(
                f"  {kind:>7} {n:>9,}: {r['appeals']:>9,} issues per model, {r['wall_s']:8.1f} s, "
                f"peak {r['peak_mib']:6.0f} MiB ({r['grown_mib']:6.0f} above the libraries), "
                f"{2 * r['appeals'] / r['wall_s']:8,.0f} appeals/s",
                flush=True,
            )
        report(kind, sizes, rows)


def report(kind: str, sizes: list[int], rows: list[dict]) -> None:
    """Fitted exponents over all points, and without the smallest (where start-up dominates)."""
    for lo in (0, 1) if len(sizes) >= 3 else (0,):
        wall = fit(sizes[lo:], [r["wall_s"] for r in rows[lo:]])
        mem = fit(sizes[lo:], [max(r["grown_mib"], 1) for r in rows[lo:]])
        span = "all points" if lo == 0 else f"from {sizes[lo]:,} {kind}"
        print(
            f"  {kind} ({span}): time ~ {kind}^{wall:.2f}, memory above the libraries ~ {kind}^{mem:.2f} "
            "(1.00 = linear)",
            flush=True,
        )
    print(flush=True)


if __name__ == "__main__":
    main()
