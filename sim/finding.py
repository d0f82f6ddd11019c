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
from .i18n import N_, _, current
from .metrics import HEADLINE, METRICS, is_rate

PRIMARY = ("resolution_time_p50", "satisfaction_rate")
GAINS, LOSSES = 2, 1
#: A metric that restates another (the same mechanism, measured again): not named beside it.
RESTATES = {"share_3plus_trips": "trips_per_appeal", "satisfied_share": "satisfaction_rate"}
NEGLIGIBLE = 0.01  # a change under 1% of the baseline is not named after a single run
HEADLINE_BETTER = {k: better for k, (better, _label) in HEADLINE.items()}


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
        """The metric's name in the current language."""
        return METRICS[self.metric].label_in(current()) if self.metric in METRICS else self.metric

    def _parts(self) -> tuple[str, str]:
        """``−37%`` or ``+3.7 points``, and its interval (``""`` when there is none)."""
        points = is_rate(self.metric)
        unit, value = (_(" points"), self.diff) if points else ("%", self.rel)
        digits = 1 if points else 0
        if self.clear is None or pd.isna(self.lo):
            return _signed(100 * value, unit, digits), ""
        lo, hi = (_signed(100 * x, unit, digits) for x in (self.lo, self.hi))
        return _signed(100 * value, unit, digits), _("CI {lo} to {hi}").format(lo=lo, hi=hi)

    def amount(self) -> str:
        """``−37%`` or ``+3.7 points``, with its interval when there is one."""
        return _(", ").join(p for p in self._parts() if p)

    def phrase(self) -> str:
        """``trips per appeal (−37%, CI …)``: a named gain or loss."""
        return _("{label} ({amount})").format(label=self.label, amount=self.amount())

    def stated(self) -> str:
        """``满意率 satisfaction rate +3.7 points (CI …)``: how a primary metric fared."""
        value, ci = self._parts()
        if not ci:
            return _("{label} {value}").format(label=self.label, value=value)
        return _("{label} {value} ({ci})").format(label=self.label, value=value, ci=ci)


def _signed(v: float, unit: str, digits: int) -> str:
    if pd.isna(v):
        return "–"
    s = f"{abs(v):.{digits}f}"
    if float(s) == 0:
        return f"±0{unit}"
    return ("+" if v > 0 else "−") + s + unit


def _model(name: str) -> str:
    """A model as the finding names it: its code name in English, its Chinese label in Chinese."""
    if current() == "zh":
        from .models import get, names

        if name in names():
            return get(name).label_zh or name
    return name


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
        head = _("{model} vs {baseline}, {n} replications: ").format(
            model=_model(str(model)), baseline=_model(str(g["baseline"].iloc[0])), n=int(g["n_reps"].max())
        )
        out.append(head + _sentence(effects, capacity.get(str(model))))
    return out + _cautions(warnings)


ONE_RUN = N_("one replication (no intervals: run `gridsim compare` for how sure)")


def single(summary: pd.DataFrame, baseline: str, warnings: Sequence[str] = (), scope: str = ONE_RUN) -> list[str]:
    """One sentence per model of a single run: magnitudes only, said to be one replication (``scope``)."""
    v = overall(summary)
    models = [m for m in dict.fromkeys(summary["model"]) if m != baseline]
    out = []
    for model in models:
        effects = []
        for metric, better in HEADLINE_BETTER.items():
            a, b = v.get((metric, baseline)), v.get((metric, model))
            if a is None or b is None or pd.isna(a) or pd.isna(b) or not a:
                continue
            effects.append(Effect(metric, b / a - 1, b - a, _good(better, b - a)))
        head = _("{model} vs {baseline}, {scope}: ").format(
            model=_model(model), baseline=_model(baseline), scope=_(scope)
        )
        out.append(head + _sentence(effects, _capacity(v, model, baseline)))
    return out + _cautions(warnings)


CITY_SCOPE = N_("city-wide (how sure, street by street, below)")


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
        return _("nothing to compare (no headline metric measured under both).")
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
        what = _(" and ").join(e.phrase() for e in gains)
        parts.append((_("better on {what}") if replicated_ else _("largest gains {what}")).format(what=what))
    if losses:
        what = _(" and ").join(e.phrase() for e in losses)
        parts.append((_("worse on {what}") if replicated_ else _("largest loss {what}")).format(what=what))
    if not parts:
        parts.append(
            _("no headline metric clearly differs")
            if replicated_
            else _("no headline metric changes by {least} or more").format(least=f"{NEGLIGIBLE:.0%}")
        )
    text = _("; ").join(parts) + _capacity_phrase(capacity)
    for primary in (e for metric in PRIMARY for e in effects if e.metric == metric and e not in gains + losses):
        if primary.clear is False:
            said = _("{label} not clearly different ({amount})").format(label=primary.label, amount=primary.amount())
        else:
            said = primary.stated()
        text += _("; ") + said
    return text + _(".")


def _capacity_phrase(change: float | None) -> str:
    if change is None or pd.isna(change):
        return ""
    if abs(change) <= CAPACITY_TOLERANCE:
        return _(", at equal staffed hours")
    more = _(", with {pct} more staffed hours") if change > 0 else _(", with {pct} fewer staffed hours")
    return more.format(pct=f"{abs(change):.0%}")


def _cautions(warnings) -> list[str]:
    """The checks' warnings (their capitalised heads, e.g. "BACKLOG GROWS under siloed"), in one sentence."""
    # a check's warning (sim.checks.Said) by its head; capacity is said in the sentence itself
    heads = [w.head for w in warnings if getattr(w, "head", "") and getattr(w, "kind", "") != "capacity"]
    return [_("Read with the checks: {heads}.").format(heads=_("; ").join(dict.fromkeys(heads)))] if heads else []
