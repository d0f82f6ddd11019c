"""Replications on 1 vs 2 processes (target speed-up >= 1.8), and the same numbers either way.

    python benchmarks/parallel.py [--reps 20] [--days 60] [--repeat 3]

Each layout runs ``--repeat`` times, interleaved (1, 2, 1, 2, ...), and the best wall time
of each counts, so that a slow spell of a shared machine does not fall on one layout only.
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
    ap.add_argument("--repeat", type=int, default=3, help="runs of each layout, interleaved; the best counts")
    a = ap.parse_args()
    sc = sim.load_scenario(overrides=[f"horizon_days={a.days}"])
    walls: dict[int, list[float]] = {1: [], 2: []}
    frames = {}
    for _ in range(a.repeat):
        for w in (1, 2):
            t0 = time.perf_counter()
            frames[w] = run_replications(sc, range(a.reps), workers=w)
            walls[w].append(time.perf_counter() - t0)
    for w, times in walls.items():
        print(
            f"  {w} process(es): {min(times):.2f} s for {a.reps} replications of {a.days:g} days "
            f"(best of {a.repeat}: {', '.join(f'{t:.2f}' for t in times)})"
        )
    pd.testing.assert_frame_equal(frames[1], frames[2])
    print(f"  speed-up 2 vs 1: {min(walls[1]) / min(walls[2]):.2f} (target >= 1.8); identical results: yes")


if __name__ == "__main__":
    main()
