"""What a staffing search says: the least staffing per model, its confirmation, the frontier, the report.

The **frontier** of a target metric is, for each cost level reached, the best mean any staffing
judged at that cost or less achieved: how much each extra staffed hour can buy, at most, among
the staffings tried (a search's frontier, not a proof that no other staffing does better).

When no staffing meets the targets, the report gives each target's best mean reached and what
holds it: how far the mean moved across every staffing tried (if doubling the staff moves it
little, staff do not bind it) and the mechanisms behind it at its best staffing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from ..document import Bullets, Code, Document, Figure, Section, Text, table
from ..metrics import METRICS, is_rate
from .search import Outcome

#: Metrics that say what holds a target, by the target's metric (the rest get the general ones).
MECHANISMS = {
    "satisfaction_rate": ("resolution_time_mean", "trips_per_appeal", "bounces_per_appeal", "share_3plus_trips"),
    "satisfied_share": ("resolution_rate", "resolution_time_mean", "trips_per_appeal", "bounces_per_appeal"),
    "final_satisfaction_rate": ("resolution_time_mean", "trips_per_appeal", "bounces_per_appeal"),
}
GENERAL = ("max_office_utilisation", "abandonment_rate", "open_share", "escalated_share", "referrals_per_appeal")


def frontier(outcome: Outcome) -> pd.DataFrame:
    """Per target metric: each staffing's cost and mean, and the best mean at that cost or less (``frontier``)."""
    p, t = outcome.problem, outcome.table
    rows = []
    if t.empty:
        return pd.DataFrame(columns=["model", "metric", "cost", "headcount", "mean", "frontier", "key"])
    ok = t[t["error"] == ""].sort_values([p.cost, "headcount"], kind="stable")
    for target in p.targets:
        col = ok[f"{target.metric}_mean"].astype(float)
        best = col.cummax() if target.op == ">=" else col.cummin()
        rows.append(
            pd.DataFrame(
                {
                    "model": p.model,
                    "metric": target.metric,
                    "cost": ok[p.cost],
                    "headcount": ok["headcount"],
                    "mean": col,
                    "frontier": best,
                    "key": ok["key"],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def chosen_table(outcome: Outcome) -> pd.DataFrame:
    """The staffing chosen, variable by variable, beside the scenario's own."""
    p = outcome.problem
    if outcome.chosen is None:
        return pd.DataFrame(columns=["model", "variable", "scenario", "chosen"])
    return pd.DataFrame(
        [
            {"model": p.model, "variable": v.path, "scenario": v.value(v.base), "chosen": outcome.chosen[v.path]}
            for v in p.variables
        ]
    )


def confirmed_table(outcome: Outcome) -> pd.DataFrame:
    """Each confirmation tried: the staffing, each target's mean and one-sided bound on fresh replications."""
    rows = []
    for k, j in outcome.confirmations:
        for t in outcome.problem.targets:
            rows.append(
                {
                    "model": outcome.problem.model,
                    "key": k,
                    "metric": t.metric,
                    "op": t.op,
                    "target": t.level,
                    "mean": j.means[t.metric],
                    "bound": j.bounds[t.metric],
                    "bound_level": j.level,
                    "n_reps": j.n,
                    "met": t.met(j.bounds[t.metric]),
                }
            )
    return pd.DataFrame(rows)


def binding(outcome: Outcome) -> list[str]:
    """For each target no staffing met: the best mean reached, how little staffing moved it, and what holds it."""
    p, t = outcome.problem, outcome.table
    if outcome.evals is None:
        return []
    ok = t[t["error"] == ""] if not t.empty else t
    out = []
    for target in p.targets:
        col = ok[f"{target.metric}_mean"].astype(float) if not ok.empty else pd.Series(dtype=float)
        if col.notna().sum() == 0 or (ok[f"{target.metric}_bound"].map(target.met)).any():
            continue
        i = col.idxmax() if target.op == ">=" else col.idxmin()
        row = ok.loc[i]
        m = METRICS.get(target.metric)
        show = m.show if m else (lambda v: f"{v:.3g}")
        lo_cost, hi_cost = ok[p.cost].min(), ok[p.cost].max()
        text = (
            f"{target.text()}: not reached by any of {len(ok)} staffings; the best mean is {show(col[i])} "
            f"at {row[p.cost]:,.0f} {p.cost.replace('_', ' ')}; across {lo_cost:,.0f} to {hi_cost:,.0f} it moved "
            f"from {show(col.min())} to {show(col.max())}"
        )
        reps = outcome.evals.of(row["key"]).iloc[: int(row["n_reps"])]
        names = [n for n in MECHANISMS.get(target.metric, ()) + GENERAL if n in reps]
        held = ", ".join(f"{n} {_show(n, reps[n].mean())}" for n in names)
        util = reps["max_office_utilisation"].mean() if "max_office_utilisation" in reps else math.nan
        cause = (
            "staff bind it (the busiest office is {:.0%} busy)".format(util)
            if util >= 0.85
            else "routing, not staff, binds it (the busiest office is {:.0%} busy)".format(util)
        )
        out.append(f"{text}. At that staffing {cause}: {held}.")
    return out


def _unit(cost: str) -> str:
    return cost.replace("_", " ")


def _show(metric: str, v: float) -> str:
    m = METRICS.get(metric)
    if m is not None:
        return m.show(v)
    return f"{100 * v:.1f}%" if is_rate(metric) else f"{v:.3g}"


def finding(outcomes: list[Outcome]) -> list[str]:
    """One sentence per model (the least cost that met the targets, confirmed), and the models compared."""
    out = []
    for o in outcomes:
        p = o.problem
        goal = " and ".join(t.text() for t in p.targets) or "no target"
        if o.confirmed is None:
            tried = "; none held on fresh replications" if o.confirmations else ""
            out.append(f"{p.model}: no staffing within the bounds met {goal} (one-sided 95% bounds, jointly){tried}.")
            continue
        cost = o.confirmed.cost(p.cost)
        if p.reference is not None:
            ref, j = p.reference, o.confirmed
            names = ", ".join(t.text() for t in p.targets)
            today = f"{ref['staffed_hours']:,.0f} staffed hours, {ref['headcount']:,.0f} staff"
            found = f"{j.cost('staffed_hours'):,.0f} staffed hours ({j.cost('headcount'):,.0f} staff"
            out.append(
                f"{p.model} matches {ref['model']}'s {names} (at the scenario's own staffing, {today}) with {found}, "
                f"{cost / ref[p.cost] - 1:+.0%} {_unit(p.cost)}), confirmed on {j.n} fresh replications."
            )
            continue
        out.append(
            f"{p.model}: the least staffing found that meets {goal} has {cost:,.0f} "
            f"{p.cost.replace('_', ' ')} ({o.confirmed.cost('headcount'):,.0f} staff), confirmed on "
            f"{o.confirmed.n} fresh replications."
        )
    met = [o for o in outcomes if o.confirmed is not None]
    same = len({tuple(o.problem.targets) for o in met}) == 1
    if len(met) == 2 and same and met[0].problem.objective == met[0].problem.cost:
        (a, b), unit = met, met[0].problem.cost
        ca, cb = a.confirmed.cost(unit), b.confirmed.cost(unit)  # type: ignore[union-attr]
        out.append(
            f"For the same targets {b.problem.model} needs {cb / ca - 1:+.0%} {unit.replace('_', ' ')} "
            f"against {a.problem.model} ({cb:,.0f} against {ca:,.0f})."
        )
    return out


def document(outcomes: list[Outcome], explanations: dict[str, list[str]], command: str, plots: bool) -> Document:
    """The report of a search: finding, each model's staffing and confirmation, the frontier, the method."""
    p0 = outcomes[0].problem
    sections = []
    for o in outcomes:
        blocks: list = []
        if o.chosen is not None:
            blocks.append(table(chosen_table(o).drop(columns="model"), index=False))
        conf = confirmed_table(o)
        if not conf.empty:
            blocks.append(table(conf.drop(columns=["model", "op"]), index=False))
        if explanations.get(o.problem.model):
            blocks.append(Bullets(explanations[o.problem.model]))
        blocks.append(Text(f"{len(o.table)} staffings judged, {o.simulated} replications simulated by this run."))
        sections.append(Section(f"{o.problem.model}", blocks))
    if plots:
        sections.append(Section("Frontier", [Figure("cost against each target metric", "frontier.png")]))
    method = (
        f"Targets are met when the one-sided bound of each target metric's mean clears it, all targets jointly "
        f"(each bound at level 1 − {p0.alpha:g}/k for k targets, Bonferroni; Student t over replications). "
        f"Candidates run on the same replications (common random numbers), {p0.replications} at first, doubled up "
        f"to {p0.max_replications} while every mean meets its target but a bound does not and the staffing would be "
        f"the cheapest so far. Sampler: {p0.sampler} (Optuna), batches of {p0.batch}. The cheapest staffing that met "
        f"the targets is confirmed on {p0.confirm_replications} fresh replications (the next cheapest if it fails, "
        "up to three). The frontier is of the staffings tried, not a proof that none untried does better."
    )
    sections.append(Section("Method", [Text(method)]))
    sections.append(Section("Reproduce", [Code(command)]))
    return Document(f"{p0.raw['name']}: staffing optimisation", " ".join(finding(outcomes)), sections)


def frontier_figure(front: pd.DataFrame, targets: Mapping[str, tuple[str, float]], cost: str):
    """One panel per target metric: each staffing's cost against its mean (dots), the frontier (steps),
    the target (dashed); one colour per model."""
    from .. import models
    from ..style import styled, subplots

    @styled
    def draw():
        metrics = list(dict.fromkeys(front["metric"]))
        fig, axes = subplots(1, max(len(metrics), 1), figsize=(4.2 * max(len(metrics), 1), 3.6), squeeze=False)
        for ax, metric in zip(axes[0], metrics):
            for model, g in front[front["metric"] == metric].groupby("model", sort=False):
                c = models.colour(str(model))
                ax.scatter(g["cost"], g["mean"], s=12, alpha=0.35, color=c)
                ax.step(g["cost"], g["frontier"], where="post", color=c, label=str(model))
            op, level = targets[metric]
            ax.axhline(level, color="grey", ls="--", lw=1)
            m = METRICS.get(metric)
            ax.set_title(m.label if m else metric)
            ax.set_xlabel(cost.replace("_", " "))
            ax.legend(frameon=False, fontsize=8)
        return fig

    return draw()
