"""What a staffing search says: the least staffing per model, its confirmation, the frontier, the report.

The **frontier** of a target metric is, for each cost level reached, the best mean any staffing
judged at that cost or less achieved: how much each extra staffed hour can buy, at most, among
the staffings tried (a search's frontier, not a proof that no other staffing does better).

When no staffing meets the targets, the report gives each target's best mean reached and what
holds it: how far the mean moved across every staffing tried (if doubling the staff moves it
little, staff do not bind it) and the mechanisms behind it at its best staffing.
"""

from __future__ import annotations


import pandas as pd

from ..document import Bullets, Code, Document, Figure, Section, Text, table
from ..metrics import METRICS, definition, is_rate
from .evaluate import key
from .search import Outcome

#: Metrics that say what holds a target: routing (trips, referrals, bounces, escalation), time, and how appeals end.
MECHANISMS = (
    "trips_per_appeal",
    "referrals_per_appeal",
    "bounces_per_appeal",
    "escalated_share",
    "resolution_time_mean",
    "abandonment_rate",
    "open_share",
)


def frontier(outcome: Outcome) -> pd.DataFrame:
    """Per target metric: each staffing's cost and mean, and the best mean at that cost or less (``frontier``);
    the target's level, and whether the staffing is the scenario's own or the one chosen."""
    p, t = outcome.problem, outcome.table
    columns = ["model", "metric", "target", "cost", "headcount", "mean", "frontier", "scenario", "chosen", "key"]
    if t.empty:
        return pd.DataFrame(columns=columns)
    ok = t[t["error"] == ""].sort_values([p.cost, "headcount"], kind="stable")
    chosen = ok["key"] == (key(outcome.chosen) if outcome.chosen is not None else None)
    rows = []
    for target in p.targets:
        col = ok[f"{target.metric}_mean"].astype(float)
        best = col.cummax() if target.op == ">=" else col.cummin()
        rows.append(
            pd.DataFrame(
                {
                    "model": p.model,
                    "metric": target.metric,
                    "target": target.level,
                    "cost": ok[p.cost],
                    "headcount": ok["headcount"],
                    "mean": col,
                    "frontier": best,
                    "scenario": ok["scenario_staffing"],
                    "chosen": chosen,
                    "key": ok["key"],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)[columns]


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
    """For each target no staffing met: the best mean reached, and what holds it with the most of everything
    (staff, if the busiest role is nearly always busy there; otherwise not staff, and the routing mechanisms);
    then, if every target was met by some staffing but none met all at once, that."""
    p, t = outcome.problem, outcome.table
    if outcome.evals is None or t.empty:
        return []
    ok = t[t["error"] == ""]
    most = ok[ok["key"] == key(p.values({v.path: v.levels[-1] for v in p.variables}))]
    out = []
    for target in p.targets:
        col = ok[f"{target.metric}_mean"].astype(float)
        if col.notna().sum() == 0 or ok[f"{target.metric}_bound"].map(target.met).any():
            continue
        i = col.idxmax() if target.op == ">=" else col.idxmin()
        text = (
            f"{target.text()}: not reached by any of {len(ok)} staffings; the best mean is "
            f"{_show(target.metric, col[i])} (at {ok.loc[i, p.cost]:,.0f} {_unit(p.cost)})"
        )
        if len(most):
            text += f". {held(outcome, most.iloc[0], target.metric)}"
        out.append(text + ".")
    if not out and not ok["meets_targets"].any() and len(p.targets) > 1:
        out.append("Each target was met by some staffing, but no staffing met all of them at once.")
    return out


def held(outcome: Outcome, row: pd.Series, metric: str) -> str:
    """What holds ``metric`` at staffing ``row`` (the most of everything): the busiest role, the mechanisms."""
    p = outcome.problem
    assert outcome.evals is not None
    reps = outcome.evals.of(row["key"]).iloc[: int(row["n_reps"])].mean()
    roles = reps.filter(like="utilisation@").sort_values(ascending=False)
    if not len(roles):
        return ""
    role, busy = roles.index[0].partition("@")[2], roles.iloc[0]
    where = f"With the most of everything ({row[p.cost]:,.0f} {_unit(p.cost)}) it is {_show(metric, reps[metric])}"
    if busy >= 0.85:
        return f"{where} and the busiest role, {role}, is {busy:.0%} busy: staff bind it (widen the bounds of {role})"
    mech = ", ".join(f"{n} {_show(n, reps[n])}" for n in MECHANISMS if n in reps.index)
    return f"{where} and no role is more than {busy:.0%} busy ({role}): routing, not staff, binds it ({mech})"


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
            if o.confirmations:
                out.append(
                    f"{p.model}: {len(o.confirmations)} staffings met {goal} on the search's replications, but none "
                    f"held on {p.confirm_replications} fresh ones (one-sided 95% bounds, jointly)."
                )
            else:
                out.append(f"{p.model}: no staffing within the bounds met {goal} (one-sided 95% bounds, jointly).")
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


def target_lines(outcomes: list[Outcome]) -> list[str]:
    """Each model's targets with what their metrics count, exactly, and whom a target matches."""
    out = []
    for o in outcomes:
        p = o.problem
        ref = f" (what {p.reference['model']} reaches today)" if p.reference else ""
        for t in p.targets:
            out.append(f"{p.model}: {t.text()}{ref}: {definition(t.metric)}")
    return out


def document(outcomes: list[Outcome], explanations: dict[str, list[str]], command: str, plots: bool) -> Document:
    """The report of a search: finding, each model's staffing and confirmation, the frontier, the method."""
    p0 = outcomes[0].problem
    sections = [Section("Targets", [Bullets(target_lines(outcomes))])]
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
        f"to {p0.max_replications} while the staffing would be the cheapest so far and its means meet the targets "
        f"(whether its bounds do or not yet). Sampler: {p0.sampler} (Optuna), batches of {p0.batch}. The cheapest "
        f"staffing that met the targets is confirmed on {p0.confirm_replications} fresh replications (the next "
        "cheapest if it fails, up to ten). The frontier is of the staffings tried, not a proof that none untried "
        "does better."
    )
    sections.append(Section("Method", [Text(method)]))
    sections.append(Section("Reproduce", [Code(command)]))
    return Document(f"{p0.raw['name']}: staffing optimisation", " ".join(finding(outcomes)), sections)


def frontier_figure(front: pd.DataFrame, cost: str):
    """One panel per target metric: each staffing's cost against its mean (dots), the frontier (steps), the
    target (dashed), the scenario's own staffing (a square) and the one chosen (a star); a colour per model."""
    from .. import models
    from ..style import styled, subplots

    @styled
    def draw():
        metrics = list(dict.fromkeys(front["metric"]))
        fig, axes = subplots(1, len(metrics), figsize=(4.4 * len(metrics), 3.8), squeeze=False)
        for ax, metric in zip(axes[0], metrics):
            scale = 100.0 if is_rate(metric) else 1.0
            for model, g in front[front["metric"] == metric].groupby("model", sort=False):
                c = models.colour(str(model))
                ax.scatter(g["cost"], scale * g["mean"], s=12, alpha=0.35, color=c)
                ax.step(g["cost"], scale * g["frontier"], where="post", color=c, label=str(model))
                ax.axhline(scale * g["target"].iloc[0], color=c, ls="--", lw=1)
                for flag, marker, size in (("scenario", "s", 40), ("chosen", "*", 140)):
                    hit = g[g[flag].astype(bool)]
                    ax.scatter(hit["cost"], scale * hit["mean"], marker=marker, s=size, color=c, edgecolor="black")
            m = METRICS.get(metric)
            ax.set_title((m.label if m else metric) + (" (%)" if scale == 100 else ""))
            ax.set_xlabel(cost.replace("_", " "))
            ax.legend(frameon=False, fontsize=8)
        return fig

    return draw()
