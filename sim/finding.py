"""The finding in words: a sentence or two that say what happened, how much, and how sure.

Reports and the terminal open with these instead of a count of metrics "better" and "worse"
(the headline metrics are correlated: counting them is not a finding).  The rules:

1. A headline metric **clearly differs** when the paired interval of its difference over the
   replications excludes zero (at the level of the comparison table: Bonferroni across models).
2. Effects are sized on one scale, the relative change of the mean (model ÷ baseline − 1).  A
   rate's effect is said in percentage points, a time's or a count's in percent.
3. The sentence names the clearest gains and losses by size: at most :data:`GAINS` improvements
   and :data:`LOSSES` worsenings among the metrics that clearly differ, largest first; a metric
   that restates another (:data:`RESTATES`: the share with 3+ trips, trips; satisfied ÷ filed, the
   satisfaction rate) is not named beside it.  It always says how the primary metrics fared
   (:data:`PRIMARY`: resolution time P50 and 满意率), clear or not.
4. It states the capacity the result was bought with: "at equal staffed hours" (within
   :data:`sim.checks.CAPACITY_TOLERANCE`), or the change in staffed hours.
5. After a single run it gives magnitudes only and says it is one replication; a metric that
   changes by less than :data:`NEGLIGIBLE` is not named.
6. The checks' warnings (a growing backlog, many appeals still open) follow as "read with the
   checks", since they qualify every number before them.

>>> comp = pd.DataFrame([
...     dict(metric="trips_per_appeal", better="lower", model="merged", baseline="siloed", n_reps=30,
...          baseline_mean=0.6, diff=-0.22, diff_lo=-0.24, diff_hi=-0.2, ratio=0.63, ratio_lo=0.6, ratio_hi=0.66),
...     dict(metric="resolution_time_p50", better="lower", model="merged", baseline="siloed", n_reps=30,
...          baseline_mean=28.0, diff=0.5, diff_lo=-1.0, diff_hi=2.0, ratio=1.02, ratio_lo=0.96, ratio_hi=1.07)])
>>> for part in replicated(comp, {"merged": 0.0})[0].split("; "):
...     print(part)
merged vs siloed, 30 replications: better on trips per appeal (−37%, CI −40% to −34%), at equal staffed hours
resolution time P50 (h) not clearly different (+2%, CI −4% to +7%).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from .checks import CAPACITY_TOLERANCE, lines, overall
from .metrics import HEADLINE, METRICS, is_rate

PRIMARY = ("resolution_time_p50", "satisfaction_rate")
GAINS, LOSSES = 2, 1
#: A metric that restates another (the same mechanism, measured again): not named beside it.
RESTATES = {"share_3plus_trips": "trips_per_appeal", "satisfied_share": "satisfaction_rate"}
NEGLIGIBLE = 0.01  # a change under 1% of the baseline is not named after a single run


@dataclass(frozen=True)
class Effect:
    """One headline metric's change from the baseline: relative size, and its interval when replicated."""

    metric: str
    rel: float  # model ÷ baseline − 1
    diff: float
    good: bool
    clear: bool | None = None  # None: one replication, no interval
    lo: float = float("nan")  # interval of rel (or of diff, for a rate)
    hi: float = float("nan")

    @property
    def label(self) -> str:
        return HEADLINE.get(self.metric, ("", METRICS[self.metric].label if self.metric in METRICS else self.metric))[1]

    def _parts(self) -> tuple[str, str]:
        """``−37%`` or ``+3.7 points``, and its interval (``""`` when there is none)."""
        unit, value = (" points", self.diff) if is_rate(self.metric) else ("%", self.rel)
        if self.clear is None or pd.isna(self.lo):
            return _signed(100 * value, unit), ""
        return _signed(100 * value, unit), f"CI {_signed(100 * self.lo, unit)} to {_signed(100 * self.hi, unit)}"

    def amount(self) -> str:
        """``−37%`` or ``+3.7 points``, with its interval when there is one."""
        return ", ".join(p for p in self._parts() if p)

    def phrase(self) -> str:
        """``trips per appeal (−37%, CI …)``: a named gain or loss."""
        return f"{self.label} ({self.amount()})"

    def stated(self) -> str:
        """``满意率 satisfaction rate +3.7 points (CI …)``: how a primary metric fared."""
        value, ci = self._parts()
        return f"{self.label} {value}" + (f" ({ci})" if ci else "")


def _signed(v: float, unit: str) -> str:
    if pd.isna(v):
        return "–"
    digits = 1 if unit == " points" else 0
    s = f"{abs(v):.{digits}f}"
    if float(s) == 0:
        return f"±0{unit}"
    return ("+" if v > 0 else "−") + s + unit


def _good(better: str, diff: float) -> bool:
    return diff < 0 if better == "lower" else diff > 0


def replicated(comp: pd.DataFrame, capacity: dict[str, float], warnings: Sequence[str] = ()) -> list[str]:
    """One sentence per model of a replicated comparison (:func:`sim.experiment.compare` rows).

    ``capacity``: each model's staffed hours relative to the baseline (model ÷ baseline − 1);
    ``warnings``: the checks' warnings, said after the sentences.
    """
    out = []
    for model, g in comp.groupby("model", sort=False):
        effects = []
        for r in g.itertuples():
            if pd.isna(r.diff):
                continue
            rel = r.ratio - 1 if pd.notna(r.ratio) else float("nan")
            rate = is_rate(r.metric)
            lo, hi = (r.diff_lo, r.diff_hi) if rate else (r.ratio_lo - 1, r.ratio_hi - 1)
            clear = bool(r.diff_lo > 0 or r.diff_hi < 0)
            effects.append(Effect(r.metric, rel, r.diff, _good(r.better, r.diff), clear, lo, hi))
        head = f"{model} vs {g['baseline'].iloc[0]}, {int(g['n_reps'].max())} replications: "
        out.append(head + _sentence(effects, capacity.get(str(model))))
    return out + _cautions(warnings)


ONE_RUN = "one replication (no intervals: run `gridsim compare` for how sure)"


def single(summary: pd.DataFrame, baseline: str, warnings: Sequence[str] = (), scope: str = ONE_RUN) -> list[str]:
    """One sentence per model of a single run: magnitudes only, said to be one replication (``scope``)."""
    v = overall(summary)
    models = [m for m in dict.fromkeys(summary["model"]) if m != baseline]
    out = []
    for model in models:
        effects = []
        for metric, (better, _) in HEADLINE.items():
            a, b = v.get((metric, baseline)), v.get((metric, model))
            if a is None or b is None or pd.isna(a) or pd.isna(b) or not a:
                continue
            effects.append(Effect(metric, b / a - 1, b - a, _good(better, b - a)))
        head = f"{model} vs {baseline}, {scope}: "
        out.append(head + _sentence(effects, _capacity(v, model, baseline)))
    return out + _cautions(warnings)


CITY_SCOPE = "city-wide (how sure, street by street, below)"


def of_run(result, city: bool = False) -> list[str]:
    """The finding of a run (a street, or with ``city`` a whole city), with the checks' warnings: what the
    terminal prints and the report leads with."""
    sc = result.scenario
    warnings = lines(result.summary, sc.baseline, sc)
    return single(result.summary, sc.baseline, warnings, scope=CITY_SCOPE if city else ONE_RUN)


def of_experiment(exp) -> list[str]:
    """The finding of a replicated comparison (:class:`sim.experiment.Experiment`), with its notes."""
    capacity = capacity_changes(exp.replications.assign(dimension="all"), exp.scenario.baseline)
    return replicated(exp.comparison, capacity, exp.notes)


def capacity_changes(summary: pd.DataFrame, baseline: str) -> dict[str, float]:
    """Each model's staffed hours relative to the baseline's, from a summary (or replication rows)."""
    v = overall(summary)
    return {str(m): _capacity(v, m, baseline) for (metric, m) in v.index if metric == "staffed_hours" and m != baseline}


def _capacity(v: pd.Series, model: str, baseline: str) -> float:
    a, b = v.get(("staffed_hours", baseline)), v.get(("staffed_hours", model))
    return float(b / a - 1) if a and b is not None and pd.notna(a) and pd.notna(b) else float("nan")


def _sentence(effects: list[Effect], capacity: float | None) -> str:
    if not effects:
        return "nothing to compare (no headline metric measured under both)."
    named = [e for e in effects if e.clear or (e.clear is None and abs(e.rel) >= NEGLIGIBLE)]
    heads = {e.metric: e for e in named}
    # a metric that restates a clear one stands for it: the head is named in its place, once
    named = list({id(h): h for h in (heads.get(RESTATES.get(e.metric, ""), e) for e in named)}.values())
    size = lambda e: abs(e.rel) if pd.notna(e.rel) else abs(e.diff)  # noqa: E731
    gains = sorted((e for e in named if e.good), key=size, reverse=True)[:GAINS]
    losses = sorted((e for e in named if not e.good), key=size, reverse=True)[:LOSSES]
    replicated_ = effects[0].clear is not None
    parts = []
    if gains:
        parts.append(("better on " if replicated_ else "largest gains ") + " and ".join(e.phrase() for e in gains))
    if losses:
        parts.append(("worse on " if replicated_ else "largest loss ") + " and ".join(e.phrase() for e in losses))
    if not parts:
        parts.append(
            "no headline metric clearly differs" if replicated_ else "no headline metric changes by 1% or more"
        )
    text = "; ".join(parts) + _capacity_phrase(capacity)
    for primary in (e for metric in PRIMARY for e in effects if e.metric == metric and e not in gains + losses):
        if primary.clear is False:
            text += f"; {primary.label} not clearly different ({primary.amount()})"
        else:
            text += f"; {primary.stated()}"
    return text + "."


def _capacity_phrase(change: float | None) -> str:
    if change is None or pd.isna(change):
        return ""
    if abs(change) <= CAPACITY_TOLERANCE:
        return ", at equal staffed hours"
    return f", with {abs(100 * change):.0f}% {'more' if change > 0 else 'fewer'} staffed hours"


def _cautions(warnings) -> list[str]:
    """The checks' warnings (their capitalised heads, e.g. "BACKLOG GROWS under siloed"), in one sentence."""
    heads = [w.split(":")[0] for w in warnings if w[:1].isupper() and w.split(" ")[0].isupper()]
    heads = [h for h in heads if not h.startswith("CAPACITY")]  # said in the sentence itself
    return [f"Read with the checks: {'; '.join(dict.fromkeys(heads))}."] if heads else []
