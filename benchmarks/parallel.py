"""Replications on 1 vs 2 processes (target speed-up >= 1.8), and the same numbers either way.

    python benchmarks/parallel.py [--reps 20] [--days 60]
"""
import argparse
import time

import pandas as pd

import sim
from sim.experiment import run_replications


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--days", type=float, default=60)
    a = ap.parse_args()
    sc = sim.load_scenario(overrides=[f"horizon_days={a.days}"])
    walls, frames = {}, {}
    for w in (1, 2):
        t0 = time.perf_counter()
        frames[w] = run_replications(sc, range(a.reps), workers=w)
        walls[w] = time.perf_counter() - t0
        print(f"  {w} process(es): {walls[w]:.1f} s for {a.reps} replications of {a.days:g} days")
    pd.testing.assert_frame_equal(frames[1], frames[2])
    print(f"  speed-up 2 vs 1: {walls[1] / walls[2]:.2f} (target >= 1.8); identical results: yes")


if __name__ == "__main__":
    main()
