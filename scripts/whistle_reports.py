"""Late reports of 吹哨报到, with the call at priority and queued, default street and tianping.

    python scripts/whistle_reports.py [--reps 30] [--workers 2]

For each street: the share of department reports later than the whistle's deadline in the arm
``merged_whistle`` (the call served first) and ``merged_whistle_queued`` (the same call at the usual
priority), their 95% intervals over replications, and the paired difference (points), on common
random numbers.  The default street's arms are those of ``scenarios/institutions/whistle.yaml``;
tianping gets the same two variants.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import sim
from sim import statistics
from sim.scenario import load_scenario

ARMS = ("merged_whistle", "merged_whistle_queued")
VARIANTS = (
    "variants={merged_whistle: {policy: merged, set: {merged.whistle.enabled: true}}, "
    "merged_whistle_queued: {policy: merged, set: {merged.whistle.enabled: true, merged.whistle.priority: 0}}}"
)
STREETS = {
    "default": ("scenarios/institutions/whistle.yaml", []),
    "tianping": ("scenarios/tianping.yaml", [VARIANTS]),
}


def late_shares(task: tuple[str, int]) -> dict[str, float]:
    """Share of late reports in each whistle arm of one replication of ``street``."""
    street, rep = task
    path, overrides = STREETS[street]
    a = sim.run(load_scenario(path, overrides), models=list(ARMS), replication=rep).appeals
    return {m: d["late_reports"].sum() / d["reports"].sum() for m, d in a.groupby("model")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with ProcessPoolExecutor(args.workers) as pool:
        for street in STREETS:
            reps = list(pool.map(late_shares, [(street, r) for r in range(args.reps)]))
            share = {m: 100 * np.array([r[m] for r in reps]) for m in ARMS}
            for m in ARMS:
                mean, lo, hi = statistics.mean_ci(share[m], 0.95)
                print(f"{street:9s} {m:22s} late reports {mean:5.1f}% [{lo:.1f}, {hi:.1f}]")
            mean, lo, hi = statistics.mean_ci(share[ARMS[0]] - share[ARMS[1]], 0.95)
            print(f"{street:9s} priority − queued: {mean:+.1f} points [{lo:+.1f}, {hi:+.1f}]")


if __name__ == "__main__":
    main()
