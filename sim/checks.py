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

from .i18n import _
from .stability import TREND_METRICS

#: Staffed hours may differ by this share before reports call capacity unequal (rounding of stationing).
CAPACITY_TOLERANCE = 0.01
#: A model with more than this share of appeals still open at the horizon is flagged: its times are censored.
OPEN_SHARE_LIMIT = 0.05


class Said(str):
    """A check's sentence, in the current language; ``head`` names the warning it gives ("BACKLOG GROWS under
    siloed", translated too), "" for a check that found nothing wrong; ``kind`` is the check."""

    head: str
    kind: str

    def __new__(cls, text: str, head: str = "", kind: str = ""):
        said = super().__new__(cls, text)
        said.head, said.kind = head, kind
        return said


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
    lines: list[str] = []
    for (metric, model), h in v.items():
        if metric != "staffed_hours" or model == baseline:
            continue
        n = v.get(("headcount", model), float("nan"))
        change = h / base_h - 1 if base_h else float("nan")
        whole = v.get(("staffed_hours_horizon", model), float("nan"))
        base_whole = v.get(("staffed_hours_horizon", baseline), float("nan"))
        figures = _(
            "{hours} vs {base_hours} person-hours on duty after the warm-up, {whole} vs {base_whole} over the "
            "whole horizon; headcount {n} vs {base_n}"
        ).format(
            hours=f"{h:,.0f}",
            base_hours=f"{base_h:,.0f}",
            whole=f"{whole:,.0f}",
            base_whole=f"{base_whole:,.0f}",
            n=f"{n:,.0f}",
            base_n=f"{base_n:,.0f}",
        )
        if abs(change) > CAPACITY_TOLERANCE:
            head = _("CAPACITY IS NOT EQUAL")
            text = _(
                "{head}: {model} has {change} staffed hours of {baseline} ({figures}): part of any difference "
                "comes from the extra or missing hours."
            ).format(head=head, model=model, change=f"{100 * change:+.1f}%", baseline=baseline, figures=figures)
            lines.append(Said(text, head, "capacity"))
        else:
            text = _(
                "Equal capacity: {model} and {baseline} have the same staffed hours within {tolerance} ({figures})."
            ).format(model=model, baseline=baseline, tolerance=f"{CAPACITY_TOLERANCE:.0%}", figures=figures)
            lines.append(Said(text, "", "capacity"))
    return lines


def _models(summary: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(summary["model"]))


def stability_lines(summary: pd.DataFrame) -> list[str]:
    """A warning for each model whose backlog grows after the warm-up (95% interval of the slope above zero).

    One run: the batch-means trend of :mod:`sim.stability`.  Replications: the mean of the replications'
    slopes with a Student-t interval (replications are independent, so this is the sharper test).
    """
    from .statistics import mean_ci

    out: list[str] = []
    reps = summary["replication"].nunique() if "replication" in summary.columns else 1
    v = overall(summary)
    for model in _models(summary):
        if reps > 1:
            s = summary[(summary["model"] == model) & (summary["metric"] == "backlog_trend_per_day")]
            slope, lo, hi = mean_ci(s["value"].to_numpy(dtype=float), 0.95)
            over = _("mean of {n} replications").format(n=reps)
        else:
            slope, lo, hi = (v.get((m, model), float("nan")) for m in TREND_METRICS)
            over = _("batch means of one run")
        if lo > 0:
            head = _("BACKLOG GROWS under {model}").format(model=model)
            text = _(
                "{head}: {slope} open issues a day after the warm-up (95% CI {lo} to {hi}, {over}): its queues do "
                "not settle, so its times and rates depend on the horizon (a start-up from empty offices looks the "
                "same: check the warm-up with gridsim warmup)."
            ).format(head=head, slope=f"{slope:+.2f}", lo=f"{lo:+.2f}", hi=f"{hi:+.2f}", over=over)
            out.append(Said(text, head, "stability"))
    return out


def censoring_lines(summary: pd.DataFrame) -> list[str]:
    """What the headline resolution times are over, the censored estimate beside them, and too many open appeals."""
    v = overall(summary)
    models = [m for m in _models(summary) if ("resolution_time_cif_p50", m) in v]
    if not models:
        return []
    cif = _(", ").join(
        _("{hours} h {model}").format(hours=f"{v[('resolution_time_cif_p50', m)]:.1f}", model=m) for m in models
    )
    text = _(
        "Headline resolution-time quantiles are over resolved appeals. Counting appeals still open at the horizon "
        "as censored and abandoned ones as a competing event (Aalen–Johansen), half of all filed appeals are "
        "resolved within: {cif} (resolution_time_cif_p50; NaN: fewer than half ever are)."
    ).format(cif=cif)
    out: list[str] = [Said(text, "", "censoring")]
    for m in models:
        share = v.get(("open_share", m), 0.0)
        if share > OPEN_SHARE_LIMIT:
            head = _("MANY OPEN under {model}").format(model=m)
            text = _(
                "{head}: {share} of its appeals are still open at the horizon (over {limit}): its quantiles over "
                "resolved appeals understate its resolution times; read the censored estimate."
            ).format(head=head, share=f"{share:.1%}", limit=f"{OPEN_SHARE_LIMIT:.0%}")
            out.append(Said(text, head, "censoring"))
    return out


def reform_lines(sc) -> list[str]:
    """Which of its model's reform switches each arm of the scenario leaves off (stated, not silent): merged's,
    a variant's on its own settings, a plug-in's."""
    if sc is None:
        return []
    from .models import get

    out: list[str] = []
    for name in sc.models:
        policy, arm = sc.arm(name)
        off = [s.name for s in get(policy, sc.plugins).switches if s.reform and s.stated_off and not s.on(arm)]
        if off:
            text = _(
                "reform switches off in the {arm} arm: {off} (those steps are done as the line grids do them; "
                "gridsim explain measures each switch that is on)"
            ).format(arm=name, off=", ".join(off))
            out.append(Said(text, "", "reform"))
    return out


def lines(summary: pd.DataFrame, baseline: str, sc=None) -> list[str]:
    """Every check's sentences, in the order reports print them (with ``sc``, the reform switches it turns off)."""
    return reform_lines(sc) + capacity_lines(summary, baseline) + stability_lines(summary) + censoring_lines(summary)
