"""Where the difference comes from: each reform switch off in turn, on common random numbers.

``explain`` decomposes one model's difference from the baseline into that model's reform switches
(:attr:`sim.governance.Policy.switches`, declared by each model: merged's are
:data:`sim.governance.reform.SWITCHES`).  The model is ``model`` (``--model``), by default the first of
the scenario's models, other than the baseline, that declares switches (merged, for the shipped
scenarios); the baseline is the scenario's, as every comparison has it (:func:`sim.models.pairs`:
``baseline``, siloed, or the first model when that is not among them).  Below, *model* is that model.

For every headline metric, replication by replication (all arms on the same issue stream):

- ``total`` = model − baseline, the difference the comparison reports;
- the effect of switch X = model − (model with X off): the part of the difference that goes
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
- with ``added=True`` also the effect of X alone added to the baseline (the null reform with only X
  on) − baseline: where it differs much from the first, X works through the others;
- ``null_reform`` = (every switch off) − baseline, which is zero in every replication by construction
  (the null reform is the baseline process; a non-zero row is a bug and is reported as one);
- ``common:F`` for a feature F of both arms (filing by hotline and online, inspection crews, hard
  cases, unclear ownership; :data:`sim.governance.reform.COMMON`, no model's): F is turned off in *both*
  arms at once, and the row is total − (model − baseline without F), how much of the difference rides on F.

The model's and the baseline's arms keep their names (``merged``, ``siloed``; the others are
``without:triage``, ``null-reform``, …), and the table's ``<baseline>_mean`` column (``siloed_mean``)
is the baseline's mean.  Intervals are paired Student-t over
replications at ``1 − alpha`` each (not adjusted for the number of rows: read them one at a time).

>>> from sim.scenario import load_scenario
>>> sc = load_scenario(overrides=["horizon_days=10", "warmup_days=2"])
>>> ex = explain(sc, reps=2, permutations=0)
>>> ex.model, ex.baseline
('merged', 'siloed')
>>> sorted(s for s in set(ex.table["switch"]) if s.startswith("common:"))[:3]
['common:hard_cases', 'common:inspection', 'common:remote_channels']
>>> "coordination" in set(ex.table["switch"]) and "platform" not in set(ex.table["switch"])  # equal platforms
True
>>> null = ex.table.loc[ex.table["switch"] == "null_reform", "effect"]
>>> len(null) > 0 and bool((null.dropna() == 0).all())
True
>>> explain(sc, model="siloed")
Traceback (most recent call last):
...
sim.errors.ScenarioError: explain: siloed is the baseline: explain decomposes another model's difference from it
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import yaml

from . import models
from .experiment import run_replications
from .governance.reform import COMMON, Switch
from .metrics import HEADLINE, is_rate
from .statistics import mean_ci
from .scenario import Scenario, ScenarioError, Variant

WITHOUT, ALONE, NULL, BOTH = "without:", "alone:", "null-reform", "both-without:"


@dataclass(frozen=True)
class Side:
    """One side of the difference explained: the model or the baseline, as a scenario runs it.

    ``name`` is its arm (a registered model or one of the scenario's variants), ``policy`` the governance
    model that runs it, ``set`` the variant's overrides (none for a model) and ``scenario`` the scenario
    it runs on (the variant's, with them applied).
    """

    name: str
    policy: str
    set: dict[str, Any]
    scenario: Scenario

    @classmethod
    def of(cls, sc: Scenario, name: str) -> "Side":
        """The side that runs ``name`` in ``sc`` (an unknown name is bad input)."""
        policy, arm_sc = sc.arm(name)
        return cls(name, policy, dict(sc.variants[name].set) if name in sc.variants else {}, arm_sc)

    @property
    def switches(self) -> tuple[Switch, ...]:
        """The reform switches its governance model declares."""
        return models.get(self.policy, self.scenario.plugins).switches

    def variant(self, overrides: list[str], description: str) -> Variant:
        """This side with ``overrides`` (``--set`` strings) on top of its own, as a variant."""
        pairs = (o.partition("=") for o in overrides)
        return Variant(
            policy=self.policy, description=description, set=self.set | {p: yaml.safe_load(v) for p, _, v in pairs}
        )


def sides(sc: Scenario, model: str | None = None) -> tuple[Side, Side]:
    """The model explain decomposes (``model``, or the first of the scenario's other than the baseline that
    declares switches) and the baseline (as :func:`sim.models.pairs` pairs them); a model without switches is
    bad input."""
    compared = models.pairs(sc.models, sc.baseline)
    base = Side.of(sc, compared[0][1] if compared else sc.models[0])  # one model: it is its own baseline
    if model is None:
        model = next((m for m, _ in compared if Side.of(sc, m).switches), None)
        if model is None:
            raise ScenarioError(
                "explain",
                [
                    f"no model of this scenario ({', '.join(sc.models)}), other than the baseline {base.name}, "
                    "declares reform switches; explain decomposes a model's difference into its switches"
                ],
            )
    if model == base.name:
        raise ScenarioError(
            "explain", [f"{model} is the baseline: explain decomposes another model's difference from it"]
        )
    side = Side.of(sc, model)
    if not side.switches:
        raise ScenarioError(
            "explain",
            [f"model {model} declares no reform switches; explain decomposes a model's difference into its switches"],
        )
    return side, base


def _coalition(on: list[Switch], members, model: str) -> str:
    """The arm name of the coalition ``members`` of the switches ``on`` (all: ``model``; none: the null reform)."""
    members = set(members)
    if len(members) == len(on):
        return model
    return NULL if not members else "with:" + "+".join(s.name for s in on if s.name in members)


def orders(sc: Scenario, on: list[Switch], replication: int, permutations: int) -> list[list[str]]:
    """The random orders of the switches for one replication: ``permutations`` (even) as antithetic pairs."""
    rng = np.random.default_rng(np.random.SeedSequence(sc.seed, spawn_key=(replication, 0, 99)))
    out = []
    for _ in range(permutations // 2):
        p = [on[k].name for k in rng.permutation(len(on))]
        out += [p, p[::-1]]
    return out


def _grids(base: str) -> str:
    """How a label names the baseline's process: the line grids for siloed."""
    return "the line grids" if base == "siloed" else base


def arms(sc: Scenario, reps: int = 0, permutations: int = 0, added: bool = False, model: str | None = None):
    """``sc`` with a variant for every arm explain needs; each replication's arms; the switches on; the sides.

    The arms: the baseline, the model (``model``, see :func:`sides`), the model without each switch, the
    null reform, with ``added`` each switch alone, and the coalitions on the Shapley orders of each replication.
    """
    side, base = sides(sc, model)
    m, msc = side.name, side.scenario
    on = [s for s in side.switches if s.on(msc)]

    def without(names):
        return [o for s in on if s.name in names for o in s.off(msc)]

    variants = {f"{WITHOUT}{s.name}": side.variant(s.off(msc), f"{m} without {s.label}") for s in on}
    if added:
        variants |= {
            f"{ALONE}{s.name}": side.variant(
                without({t.name for t in on} - {s.name}), f"{_grids(base.name)} with only {s.label}"
            )
            for s in on
        }
    variants[NULL] = side.variant(without({s.name for s in on}), "every switch off (the null reform)")
    for f in (f for f in COMMON if f.on(sc)):  # a feature of both arms: off in both at once
        for who in (base, side):
            variants[f"{BOTH}{f.name}:{who.name}"] = who.variant(f.off(sc), f"{who.name} without {f.label}")
    common = [base.name, m, *variants]
    per_rep = {}
    for r in range(reps):
        names = dict.fromkeys(common)
        for order in orders(sc, on, r, permutations):
            for k in range(1, len(order)):
                arm = _coalition(on, order[:k], m)
                if arm not in variants:
                    variants[arm] = side.variant(without(order[k:]), f"the switches {', '.join(order[:k])} only")
                names[arm] = None
        per_rep[r] = list(names)
    ex = sc.model_copy(
        update={
            "variants": dict(sc.variants) | variants,
            "models": list(dict.fromkeys([a for arms_r in per_rep.values() for a in arms_r] or common)),
        }
    )
    return ex, per_rep, on, (side, base)


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


def shapley(values: dict[str, np.ndarray], on: list[Switch], order_sets: list[list[list[str]]], model: str) -> dict:
    """Each switch's Shapley estimate per replication, from the coalitions' values (arm → value by replication;
    the whole coalition's arm is ``model``'s)."""
    n = len(order_sets)
    out = {s.name: np.zeros(n) for s in on}
    for r, ords in enumerate(order_sets):
        for order in ords:
            for k, name in enumerate(order):
                gain = values[_coalition(on, order[: k + 1], model)][r] - values[_coalition(on, order[:k], model)][r]
                out[name][r] += gain / len(ords)
    return out


@dataclass
class Explanation:
    """The effect of each switch of ``model`` on each headline difference from ``baseline``, and the replications
    behind it."""

    scenario: Scenario
    table: pd.DataFrame
    replications: pd.DataFrame
    switches: list[Switch]
    model: str
    baseline: str
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
    model: str | None = None,
) -> Explanation:
    """Run every arm ``reps`` times on common random numbers and decompose ``model`` − the baseline.

    ``model`` is a model or variant whose governance model declares switches (default: see :func:`sides`);
    ``permutations`` (rounded up to even; 0 for none) random orders a replication give the Shapley values.
    """
    permutations += permutations % 2
    ex_sc, per_rep, on, (side, base) = arms(sc, reps, permutations, added, model)
    model, baseline = side.name, base.name
    _check_arms(ex_sc)
    df = run_replications(ex_sc, range(reps), per_rep, workers, progress)
    wide = df.pivot_table(index="replication", columns=["model", "metric"], values="value", dropna=False)
    order_sets = [orders(sc, on, r, permutations) for r in range(reps)]
    rows = []
    for metric in metrics or list(HEADLINE):
        if (baseline, metric) not in wide:
            continue
        values = {a: wide[(a, metric)].to_numpy(dtype=float) for a in ex_sc.models if (a, metric) in wide}
        top, bottom = values[model], values[baseline]
        total = top - bottom
        effects = {s.name: top - values[f"{WITHOUT}{s.name}"] for s in on}
        shap = shapley(values, on, order_sets, model) if permutations and on else {}
        parts = [("total", f"{model} − {baseline}", total, total if shap else None)]
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
                    f"only {s.label}, added to {_grids(baseline)}",
                    values[f"{ALONE}{s.name}"] - bottom,
                    None,
                )
                for s in on
            ]
        parts.append(
            ("null_reform", f"every switch off − {baseline} (zero by construction)", values[NULL] - bottom, None)
        )
        parts += [
            (
                f"common:{f.name}",
                f"common to both arms: {f.label}",
                total - (values[f"{BOTH}{f.name}:{model}"] - values[f"{BOTH}{f.name}:{baseline}"]),
                None,
            )
            for f in COMMON
            if f"{BOTH}{f.name}:{model}" in values
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
                    f"{baseline}_mean": float(np.nanmean(bottom)),
                    "n_reps": int((~np.isnan(d)).sum()),
                    "ci_level": 1 - alpha,
                }
            )
    table = pd.DataFrame(rows)
    return Explanation(
        ex_sc, table, df, on, model, baseline, _notes(table, on, side, baseline, reps, alpha, permutations)
    )


def _notes(
    table: pd.DataFrame, on: list[Switch], side: Side, base: str, reps: int, alpha: float, permutations: int
) -> list[str]:
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
            f"common:F rows turn a feature of both arms off in both at once: how much of {side.name} − {base} "
            "rides on it (the difference with it less the difference without)"
        )
    off = [s.name for s in side.switches if s not in on]
    if off:
        notes.append(f"already off in this scenario (no effect to measure): {', '.join(off)}")
    null = table[table["switch"] == "null_reform"]
    if len(null) and (null["effect"].abs() > 0).any():
        bad = ", ".join(null.loc[null["effect"].abs() > 0, "metric"])
        notes.append(
            f"BUG: the null reform differs from {base} on {bad}: a difference between the arms is "
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
        f"{sc.seed}. One at a time: each reform switch is turned off alone in the {ex.model} arm; its effect is "
        f"{ex.model} − ({ex.model} without it), replication by replication, on the same issues."
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
