"""Where the difference comes from: each reform switch off in turn, on common random numbers.

For every headline metric, replication by replication (all arms on the same issue stream):

- ``total`` = merged − siloed, the difference the comparison reports;
- the effect of switch X = merged − (merged with X off): the part of the difference that goes
  when only X is turned off;
- ``remainder`` = total − the sum of the single effects.  One-at-a-time effects need not add up:
  two switches that do the same work (patrols and stationing) each look small alone, two that
  need each other (delegation needs stationed staff) each look large.  The remainder is that
  interaction, reported, not spread over the switches;
- ``shapley``: X's Shapley value, its marginal effect averaged over the orders in which the switches
  can be turned on, from the null reform to the whole reform.  Shapley values add up to the total
  exactly.  Each replication averages ``permutations`` random orders (in antithetic pairs: an order
  and its reverse), drawn from the seed and the replication, so the interval over replications
  covers both the simulation's noise and the sampling of orders;
- with ``added=True`` also the effect of X alone added to the line grids (the null reform with only X
  on) − siloed: where it differs much from the first, X works through the others;
- ``null_reform`` = (every switch off) − siloed, which is zero in every replication by construction
  (the null reform is the siloed process; a non-zero row is a bug and is reported as one);
- ``common:F`` for a feature F of both arms (filing by hotline and online, inspection crews, hard
  cases, unclear ownership; :data:`sim.governance.reform.COMMON`): F is turned off in *both* arms
  at once, and the row is total − (merged − siloed without F), how much of the difference rides on F.

Intervals are paired Student-t over replications at ``1 − alpha`` each (not adjusted for the
number of rows: read them one at a time).

>>> from sim.scenario import load_scenario
>>> sc = load_scenario(overrides=["horizon_days=10", "warmup_days=2"])
>>> ex = explain(sc, reps=2, permutations=0)
>>> sorted(set(ex.table["switch"]) - {"total", "remainder", "null_reform"})[:5]
['common:hard_cases', 'common:inspection', 'common:remote_channels', 'common:unclear_ownership', 'coordination']
>>> null = ex.table.loc[ex.table["switch"] == "null_reform", "effect"]
>>> len(null) > 0 and bool((null.dropna() == 0).all())
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import yaml

from .experiment import run_replications
from .governance.reform import COMMON, SWITCHES, Switch
from .metrics import HEADLINE, is_rate
from .statistics import mean_ci
from .scenario import Scenario, ScenarioError, Variant

WITHOUT, ALONE, NULL, BOTH = "without:", "alone:", "null-reform", "both-without:"


def _variant(sc: Scenario, overrides: list[str], description: str, policy: str = "merged") -> Variant:
    pairs = (o.partition("=") for o in overrides)
    return Variant(policy=policy, description=description, set={p: yaml.safe_load(v) for p, _, v in pairs})


def _coalition(on: list[Switch], members) -> str:
    """The arm name of the coalition ``members`` of the switches ``on`` (all: merged; none: the null reform)."""
    members = set(members)
    if len(members) == len(on):
        return "merged"
    return NULL if not members else "with:" + "+".join(s.name for s in on if s.name in members)


def orders(sc: Scenario, on: list[Switch], replication: int, permutations: int) -> list[list[str]]:
    """The random orders of the switches for one replication: ``permutations`` (even) as antithetic pairs."""
    rng = np.random.default_rng(np.random.SeedSequence(sc.seed, spawn_key=(replication, 0, 99)))
    out = []
    for _ in range(permutations // 2):
        p = [on[k].name for k in rng.permutation(len(on))]
        out += [p, p[::-1]]
    return out


def arms(sc: Scenario, reps: int = 0, permutations: int = 0, added: bool = False):
    """``sc`` with a variant for every arm explain needs; each replication's arms; the switches on.

    The arms: siloed, merged, merged without each switch, the null reform, with ``added`` each switch
    alone, and the coalitions on the Shapley orders of each replication.
    """
    on = [s for s in SWITCHES if s.on(sc)]

    def without(names):
        return [o for s in on if s.name in names for o in s.off(sc)]

    variants = {f"{WITHOUT}{s.name}": _variant(sc, s.off(sc), f"merged without {s.label}") for s in on}
    if added:
        variants |= {
            f"{ALONE}{s.name}": _variant(
                sc, without({t.name for t in on} - {s.name}), f"the line grids with only {s.label}"
            )
            for s in on
        }
    variants[NULL] = _variant(sc, without({s.name for s in on}), "every switch off (the null reform)")
    for f in (f for f in COMMON if f.on(sc)):  # a feature of both arms: off in both at once
        for policy in ("siloed", "merged"):
            variants[f"{BOTH}{f.name}:{policy}"] = _variant(sc, f.off(sc), f"{policy} without {f.label}", policy)
    common = ["siloed", "merged", *variants]
    per_rep = {}
    for r in range(reps):
        names = dict.fromkeys(common)
        for order in orders(sc, on, r, permutations):
            for k in range(1, len(order)):
                arm = _coalition(on, order[:k])
                if arm not in variants:
                    variants[arm] = _variant(sc, without(order[k:]), f"the switches {', '.join(order[:k])} only")
                names[arm] = None
        per_rep[r] = list(names)
    ex = sc.model_copy(
        update={
            "variants": dict(sc.variants) | variants,
            "models": list(dict.fromkeys([m for ms in per_rep.values() for m in ms] or common)),
        }
    )
    return ex, per_rep, on


def _check_arms(ex_sc: Scenario) -> None:
    """Every arm must be a valid scenario: a switch that cannot be turned off here is bad input, said up front."""
    problems = []
    for name in ex_sc.models:
        try:
            ex_sc.arm(name)
        except ScenarioError as exc:
            problems += [f"{name}: {e}" for e in exc.errors]
    if problems:  # e.g. too few intake staff to keep the line stations and the grid leaders without one door
        raise ScenarioError(
            "explain (a switch turned off gives an invalid scenario, so it cannot be measured here)",
            problems[:5] + ([f"… and {len(problems) - 5} more"] if len(problems) > 5 else []),
        )


def shapley(values: dict[str, np.ndarray], on: list[Switch], order_sets: list[list[list[str]]]) -> dict:
    """Each switch's Shapley estimate per replication, from the coalitions' values (arm → value by replication)."""
    n = len(order_sets)
    out = {s.name: np.zeros(n) for s in on}
    for r, ords in enumerate(order_sets):
        for order in ords:
            for k, name in enumerate(order):
                gain = values[_coalition(on, order[: k + 1])][r] - values[_coalition(on, order[:k])][r]
                out[name][r] += gain / len(ords)
    return out


@dataclass
class Explanation:
    """The effect of each switch on each headline difference, and the replications behind it."""

    scenario: Scenario
    table: pd.DataFrame
    replications: pd.DataFrame
    switches: list[Switch]
    notes: list[str] = field(default_factory=list)

    @property
    def n_reps(self) -> int:
        return int(self.replications["replication"].nunique())


def explain(
    sc: Scenario,
    reps: int = 30,
    workers: int = 1,
    alpha: float = 0.05,
    added: bool = False,
    permutations: int = 2,
    metrics: list[str] | None = None,
    progress: bool = False,
) -> Explanation:
    """Run every arm ``reps`` times on common random numbers and decompose merged − siloed.

    ``permutations`` (rounded up to even; 0 for none) random orders a replication give the Shapley values.
    """
    permutations += permutations % 2
    ex_sc, per_rep, on = arms(sc, reps, permutations, added)
    _check_arms(ex_sc)
    df = run_replications(ex_sc, range(reps), per_rep, workers, progress)
    wide = df.pivot_table(index="replication", columns=["model", "metric"], values="value", dropna=False)
    order_sets = [orders(sc, on, r, permutations) for r in range(reps)]
    rows = []
    for metric in metrics or list(HEADLINE):
        if ("siloed", metric) not in wide:
            continue
        values = {m: wide[(m, metric)].to_numpy(dtype=float) for m in ex_sc.models if (m, metric) in wide}
        merged, siloed = values["merged"], values["siloed"]
        total = merged - siloed
        effects = {s.name: merged - values[f"{WITHOUT}{s.name}"] for s in on}
        shap = shapley(values, on, order_sets) if permutations and on else {}
        parts = [("total", "merged − siloed", total, total if shap else None)]
        parts += [(s.name, s.label, effects[s.name], shap.get(s.name)) for s in on]
        parts.append(
            (
                "remainder",
                "interactions: total − the sum of the single effects",
                total - sum(effects.values(), np.zeros_like(total)),
                None,
            )
        )
        if added:
            parts += [
                (
                    f"{ALONE}{s.name}",
                    f"only {s.label}, added to the line grids",
                    values[f"{ALONE}{s.name}"] - siloed,
                    None,
                )
                for s in on
            ]
        parts.append(("null_reform", "every switch off − siloed (zero by construction)", values[NULL] - siloed, None))
        parts += [
            (
                f"common:{f.name}",
                f"common to both arms: {f.label}",
                total - (values[f"{BOTH}{f.name}:merged"] - values[f"{BOTH}{f.name}:siloed"]),
                None,
            )
            for f in COMMON
            if f"{BOTH}{f.name}:merged" in values
        ]
        mean_total = np.nanmean(total) if len(total) else np.nan
        for name, label, d, sh in parts:
            m, lo, hi = mean_ci(d, 1 - alpha)
            sm, slo, shi = mean_ci(sh, 1 - alpha) if sh is not None else (np.nan,) * 3
            share = sm / mean_total if name != "total" and sh is not None and mean_total else np.nan
            rows.append(
                {
                    "metric": metric,
                    "better": HEADLINE[metric][0],
                    "switch": name,
                    "label": label,
                    "effect": m,
                    "effect_lo": lo,
                    "effect_hi": hi,
                    "shapley": sm,
                    "shapley_lo": slo,
                    "shapley_hi": shi,
                    "shapley_share": share,
                    "siloed_mean": float(np.nanmean(siloed)),
                    "n_reps": int((~np.isnan(d)).sum()),
                    "ci_level": 1 - alpha,
                }
            )
    table = pd.DataFrame(rows)
    return Explanation(ex_sc, table, df, on, _notes(table, on, reps, alpha, permutations))


def _notes(table: pd.DataFrame, on: list[Switch], reps: int, alpha: float, permutations: int) -> list[str]:
    notes = [
        f"{len(on)} switches on in this scenario, each turned off alone, {reps} replications on common random "
        f"numbers; {100 * (1 - alpha):g}% paired intervals, each on its own (not adjusted for the "
        f"{len(table)} rows)",
        "one-at-a-time effects need not add up: the remainder row is what the switches do together "
        "(total − the sum of the single effects)",
    ]
    if permutations:
        notes.append(
            f"Shapley values average each switch's effect over {permutations} random orders of turning the "
            "switches on per replication (antithetic pairs); they add up to the total"
        )
    if table["switch"].str.startswith("common:").any():
        notes.append(
            "common:F rows turn a feature of both arms off in both at once: how much of merged − siloed "
            "rides on it (the difference with it less the difference without)"
        )
    off = [s.name for s in SWITCHES if s not in on]
    if off:
        notes.append(f"already off in this scenario (no effect to measure): {', '.join(off)}")
    null = table[table["switch"] == "null_reform"]
    if len(null) and (null["effect"].abs() > 0).any():
        bad = ", ".join(null.loc[null["effect"].abs() > 0, "metric"])
        notes.append(
            f"BUG: the null reform differs from siloed on {bad}: a difference between the arms is "
            "not a switch (please report it)"
        )
    return notes


#: The metrics the terminal shows (explain.csv and explain.md have every headline metric).
KEY = (
    "resolution_time_p50",
    "resolution_time_p90",
    "response_rate",
    "satisfaction_rate",
    "trips_per_appeal",
    "staff_hours_per_appeal",
)


def _cell(metric: str, m: float, lo: float, hi: float) -> str:
    """``+4.7 ±0.3``: a rate in points, anything else in its unit."""
    if np.isnan(m):
        return "-"
    k = 100.0 if is_rate(metric) else 1.0
    half = "" if np.isnan(lo) else f" ±{k * (hi - lo) / 2:.{1 if k > 1 else 2}f}"
    return f"{k * m:+.{1 if k > 1 else 2}f}{half}"


def format_explanation(table: pd.DataFrame, metrics=KEY, value: str = "effect") -> str:
    """Rows: total, each switch (remainder and null for one-at-a-time effects); columns: ``metrics``.

    ``value`` is ``effect`` (one at a time) or ``shapley``; cells are the value ± its CI half-width,
    rates in percentage points, times in hours; a positive value means the switch raises the metric.
    """
    metrics = [m for m in metrics if m in set(table["metric"])]
    names = [
        n
        for n in dict.fromkeys(table["switch"])
        if value == "effect" or not (n in ("remainder", "null_reform") or n.startswith("common:"))
    ]
    t = table.set_index(["switch", "metric"])
    width = max(len(n) for n in names) + 2
    heads = [HEADLINE[m][1] + (" (pt)" if is_rate(m) else "") for m in metrics]
    cw = max(16, *(len(h) + 2 for h in heads))
    lines = [f"{'':<{width}}" + "".join(f"{h:>{cw}}" for h in heads)]
    lines.append("-" * len(lines[0]))
    cols = ["effect", "effect_lo", "effect_hi"] if value == "effect" else ["shapley", "shapley_lo", "shapley_hi"]
    for n in names:
        cells = [_cell(m, *t.loc[(n, m), cols]) for m in metrics]
        lines.append(f"{n:<{width}}" + "".join(f"{c:>{cw}}" for c in cells))
        if n == "total":
            lines.append("")
    return "\n".join(lines)


def _interval(k: float, m: float, lo: float, hi: float) -> str:
    if np.isnan(m):
        return ""
    return f"{k * m:+.3g}" + ("" if np.isnan(lo) else f" [{k * lo:+.3g}, {k * hi:+.3g}]")


def markdown(ex: Explanation, command: str) -> str:
    """explain.md: what was run, the notes, one table per headline metric, and how to reproduce it."""
    sc = ex.scenario
    shap = ex.table["shapley"].notna().any()
    lines = [
        f"# {sc.name}: where the difference comes from",
        "",
        f"{ex.n_reps} replications of {sc.horizon_days:g} days (warm-up {sc.warmup_days:g}), master seed "
        f"{sc.seed}. One at a time: each reform switch is turned off alone in the merged arm; its effect is "
        "merged − (merged without it), replication by replication, on the same issues."
        + (" Shapley: its effect averaged over the orders of turning the switches on." if shap else ""),
        "",
    ]
    lines += [f"- {n}" for n in ex.notes] + [""]
    if shap:
        lines += [
            "## Key metrics: Shapley values (they add up to the total; ± CI half-width)",
            "",
            "```",
            format_explanation(ex.table, value="shapley"),
            "```",
            "",
        ]
    lines += [
        "## Key metrics: one switch off at a time (± CI half-width)",
        "",
        "```",
        format_explanation(ex.table),
        "```",
        "",
    ]
    for metric, g in ex.table.groupby("metric", sort=False):
        unit = " (percentage points)" if is_rate(metric) else ""
        lines += [
            f"## {HEADLINE[metric][1]}{unit}, {HEADLINE[metric][0]} is better",
            "",
            "| switch | what it is | one at a time [CI] | Shapley [CI] | Shapley share |",
            "|---|---|---|---|---|",
        ]
        k = 100.0 if is_rate(metric) else 1.0
        for r in g.itertuples():
            share = "" if np.isnan(r.shapley_share) else f"{100 * r.shapley_share:.0f}%"
            lines.append(
                f"| {r.switch} | {r.label} | {_interval(k, r.effect, r.effect_lo, r.effect_hi)} | "
                f"{_interval(k, r.shapley, r.shapley_lo, r.shapley_hi)} | {share} |"
            )
        lines.append("")
    lines += ["## Reproduce", "", f"```\n{command}\n```", ""]
    return "\n".join(lines)
