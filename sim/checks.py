"""What a reader must know before trusting a comparison: equal capacity, stable backlogs, censoring.

Each check reads a long-form summary (one run, a city, or the replication means of
``gridsim compare``) and returns plain sentences for the terminal and the reports; an empty
list means there is nothing to warn about.

>>> import pandas as pd
>>> s = pd.DataFrame({"model": ["siloed", "merged"] * 2, "metric": ["staffed_hours"] * 2 + ["headcount"] * 2,
...                   "dimension": "all", "level": "all", "value": [100.0, 112.0, 10.0, 10.0], "n": 10})
>>> capacity_lines(s, "siloed")[0].startswith("CAPACITY IS NOT EQUAL: merged has +12.0% staffed hours")
True
"""
from __future__ import annotations

import pandas as pd

#: Staffed hours may differ by this share before reports call capacity unequal (rounding of stationing).
CAPACITY_TOLERANCE = 0.01
#: A model with more than this share of appeals still open at the horizon is flagged: its times are censored.
OPEN_SHARE_LIMIT = 0.05


def overall(summary: pd.DataFrame) -> pd.Series:
    """``value`` of the summary's overall rows, indexed by (metric, model); means over replications if several."""
    s = summary[summary["dimension"] == "all"]
    return s.groupby(["metric", "model"], sort=False)["value"].mean()


def capacity_lines(summary: pd.DataFrame, baseline: str) -> list[str]:
    """Staffed hours (person-hours on duty after the warm-up) beside headcount, per model, against the baseline."""
    v = overall(summary)
    if ("staffed_hours", baseline) not in v:
        return []
    base_h, base_n = v[("staffed_hours", baseline)], v.get(("headcount", baseline), float("nan"))
    lines = []
    for (metric, model), h in v.items():
        if metric != "staffed_hours" or model == baseline:
            continue
        n = v.get(("headcount", model), float("nan"))
        change = h / base_h - 1 if base_h else float("nan")
        figures = (f"{h:,.0f} vs {base_h:,.0f} person-hours on duty after the warm-up; headcount "
                   f"{n:,.0f} vs {base_n:,.0f}")
        if abs(change) > CAPACITY_TOLERANCE:
            lines.append(f"CAPACITY IS NOT EQUAL: {model} has {100 * change:+.1f}% staffed hours of {baseline} "
                         f"({figures}): part of any difference comes from the extra or missing hours.")
        else:
            lines.append(f"Equal capacity: {model} and {baseline} have the same staffed hours within "
                         f"{100 * CAPACITY_TOLERANCE:.0f}% ({figures}).")
    return lines


def lines(summary: pd.DataFrame, baseline: str) -> list[str]:
    """Every check's sentences, in the order reports print them."""
    return capacity_lines(summary, baseline)
