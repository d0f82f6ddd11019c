"""The headline at several in-person shares (the in_person_share lever), default street and tianping.

    python scripts/channel_shares.py [--reps 30] [--workers 2] [--shares 0.05 0.3 0.8]

Every group files in person with the given share (the rest keeps its hotline : online ratio);
both models see the same channels.  Prints merged/siloed ratios with their 95% intervals.
"""

from __future__ import annotations

import argparse

from sim.experiment import experiment
from sim.scenario import build_scenario, file_in_person, load_scenario

KEEP = (
    "resolution_time_p50",
    "resolution_time_p90",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "satisfied_share",
    "trips_per_appeal",
    "citizen_hours_per_appeal",
    "abandonment_rate",
    "staff_hours_per_appeal",
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shares", type=float, nargs="+", default=[0.05, 0.30, 0.80])
    a = ap.parse_args()
    for path in (None, "scenarios/tianping.yaml"):
        for share in a.shares:
            sc = build_scenario(file_in_person(load_scenario(path).to_dict(), share))
            c = experiment(sc, reps=a.reps, workers=a.workers).comparison
            print(f"## {sc.name}, {share:.0%} in person")
            for r in c[c.metric.isin(KEEP)].itertuples():
                print(
                    f"  {r.metric}: siloed {r.baseline_mean:.4g}, merged {r.model_mean:.4g}, "
                    f"ratio {r.ratio:.2f} [{r.ratio_lo:.2f}, {r.ratio_hi:.2f}]"
                )


if __name__ == "__main__":
    main()
