"""Measure each reform switch of the merged arm on the default street: docs/fairness.md's table.

    python scripts/fairness_table.py [--reps 30] [--workers 2]

Each switch is turned off on its own (the merged arm only; siloed is the same run) and the merged - siloed
difference of each headline metric is compared with the full reform's, replication by replication: every
configuration uses the same seeds, so the issue streams are the same (common random numbers) and the
effect has a paired t interval.  Prints a Markdown table.
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from scipy import stats

from sim.experiment import run_replications
from sim.scenario import load_scenario

SWITCHES = {
    "joint meeting (联席会议)": ["merged.joint_meeting.enabled=false"],
    "meeting settles ownership": ["merged.joint_meeting.settles_ownership=false"],
    "grid patrols (主动发现)": ["merged.patrol.enabled=false"],
    "feedback call (回访)": ["merged.feedback.enabled=false"],
    "delegation (on-the-spot solving)": None,   # every category's delegable flag off: built below
    "stationing (下沉), and so delegation and patrols": ["merged.stationed_share=0"],
    "dispatch to the area's grid (as accurate as siloed)": [
        "merged.dispatch={p_wrong: 0.15, redispatch: {dist: exponential, mean: 24}}"],
}
METRICS = {"resolution_time_p50": "resolution P50 (h)", "resolution_time_p90": "resolution P90 (h)",
           "response_rate": "响应率 (pt)", "satisfaction_rate": "满意率 (pt)",
           "satisfied_share": "satisfied ÷ filed (pt)",
           "trips_per_appeal": "trips", "abandonment_rate": "abandonment (pt)", "staff_hours_per_appeal": "staff h"}


def differences(overrides: list[str], reps: int, workers: int) -> pd.DataFrame:
    """merged - siloed of every metric, a row per replication."""
    sc = load_scenario(overrides=overrides)
    df = run_replications(sc, range(reps), ["siloed", "merged"], workers)
    w = df.pivot_table(index="replication", columns=["model", "metric"], values="value")
    return pd.DataFrame({m: w[("merged", m)] - w[("siloed", m)] for m in METRICS})


def cell(x: np.ndarray, metric: str) -> str:
    scale = 100 if metric.endswith(("rate", "share")) else 1
    m, se = x.mean() * scale, x.std(ddof=1) * scale / np.sqrt(len(x))
    h = stats.t.ppf(0.975, len(x) - 1) * se
    return f"{m:+.2f} [{m - h:+.2f}, {m + h:+.2f}]"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    base = load_scenario()
    SWITCHES["delegation (on-the-spot solving)"] = [f"categories.{k}.delegable=false" for k in base.categories]
    full = differences([], a.reps, a.workers)
    rows = [["full reform: merged − siloed"] + [cell(full[m].to_numpy(), m) for m in METRICS]]
    for name, sets in SWITCHES.items():
        off = differences(sets, a.reps, a.workers)
        rows.append([f"effect of {name}"] + [cell((full[m] - off[m]).to_numpy(), m) for m in METRICS])
    print("| | " + " | ".join(METRICS.values()) + " |")
    print("|---" * (len(METRICS) + 1) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
