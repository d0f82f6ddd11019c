"""Metrics from appeal records: times, the three hotline rates (三率), trips, equity.

Times are measured from the moment the issue arose (so earlier discovery counts)
and, with the suffix ``_from_filing``, from filing.  Rates follow hotline practice:

- 响应率 ``response_rate``: first response within the category's deadline ÷ filed;
- 解决率 ``resolution_rate``: resolved ÷ filed;
- 满意率 ``satisfaction_rate``: satisfied ÷ resolved, at the first resolution (what the citizen
  lived through, before any feedback loop; the headline), and ``final_satisfaction_rate`` after it;
- 按时办结率 ``resolved_in_time_rate``: first closed within the category's resolution deadline
  (办结时限, NYC's due date) ÷ filed, over the categories that have one.

Satisfied ÷ filed (``satisfied_share``, and ``final_satisfied_share``) is reported beside 满意率,
so that a model that resolves fewer appeals cannot look more satisfying.  Abandoned appeals
count against the first two rates.  Appeals created during the
warm-up are simulated but left out of every metric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .i18n import N_, _, current
from .scenario import Scenario
from .survival import ABANDONED, OPEN, RESOLVED, cif_quantile

DIMENSIONS = ("all", "group", "category", "area")
SUMMARY_COLUMNS = ["model", "metric", "dimension", "level", "value", "n"]
#: Capacity of a model's offices (see :func:`capacity`): what "the same headcount" is checked against.
CAPACITY = ("headcount", "staffed_hours", "staffed_hours_horizon")


@dataclass(frozen=True)
class Metric:
    """A metric gridsim reports: its name in the tables, its labels, unit, better direction and kind.

    ``kind`` is ``time`` (hours), ``rate`` (a share in [0, 1]: shown in percent, its differences in
    points, its precision absolute), ``count`` (whole numbers) or ``mean`` (a per-appeal mean).

    >>> METRICS["response_rate"].label, METRICS["response_rate"].kind
    ('响应率 response rate', 'rate')
    """

    name: str
    en: str
    zh: str = ""
    kind: str = "mean"
    better: str | None = None  # "lower" or "higher"; None: no better direction (a count, a capacity)
    zh_label: str = ""  # the name on Chinese pages (default: ``zh``, the term English pages show too)

    @property
    def unit(self) -> str:
        return "h" if self.kind == "time" else ""

    @property
    def label(self) -> str:
        """The label of tables and plots: the Chinese term first where there is one, the unit last."""
        return " ".join(filter(None, (self.zh, self.en))) + (f" ({self.unit})" if self.unit else "")

    def label_in(self, lang: str) -> str:
        """The label on a page in ``lang``: :attr:`label` in English; in Chinese the Chinese name and unit.

        >>> METRICS["resolution_time_p50"].label_in("zh"), METRICS["satisfaction_rate"].label_in("zh")
        ('办结时长中位数（小时）', '满意率')
        """
        if lang != "zh":
            return self.label
        return (self.zh_label or self.zh or self.en) + ("（小时）" if self.unit == "h" else "")

    @property
    def format(self) -> dict:
        """How rendered tables show a value (the demo page applies the same rule in its script): scaled,
        to ``digits`` decimals, thousands grouped or not, with a suffix.  A rate is in percent, a count whole."""
        return _FORMATS.get(self.kind, _PLAIN)

    def show(self, v: float) -> str:
        """``v`` as rendered tables show it (:attr:`format`).

        >>> METRICS["response_rate"].show(0.9347), METRICS["appeals_filed"].show(2542.0)
        ('93.5%', '2,542')
        """
        if pd.isna(v):
            return "–"
        f = self.format
        return f"{f['scale'] * v:{',' if f['group'] else ''}.{f['digits']}f}{f['suffix']}"

    def interval(self, v: float, lo: float, hi: float) -> str:
        """A mean and its interval as rendered tables show them: a rate in percent to 0.1, a count whole, a
        time or another mean to 3 significant figures (the interval to the mean's decimals).

        >>> METRICS["response_rate"].interval(0.9347, 0.9317, 0.9377)
        '93.5% [93.2%, 93.8%]'
        >>> METRICS["resolution_time_p90"].interval(131.59, 129.11, 134.07)
        '132 [129, 134]'
        """
        if self.kind in _FORMATS:
            return f"{self.show(v)} [{self.show(lo)}, {self.show(hi)}]"
        digits = decimals(v)
        return f"{_fixed(v, digits)} [{_fixed(lo, digits)}, {_fixed(hi, digits)}]"

    def difference(self, d: float, lo: float, hi: float) -> str:
        """A difference and its interval, signed: a rate's in percentage points (pt) to 0.1, others to 3
        significant figures of the interval's widest bound.

        >>> METRICS["response_rate"].difference(0.0468, 0.0442, 0.0493)
        '+4.7 pt [+4.4, +4.9]'
        >>> METRICS["resolution_time_p50"].difference(6.032, 3.914, 8.151)
        '+6.03 [+3.91, +8.15]'
        """
        if self.kind == "rate":
            d, lo, hi, digits, unit = 100 * d, 100 * lo, 100 * hi, 1, " pt"
        else:
            widest = max((abs(x) for x in (d, lo, hi) if pd.notna(x)), default=0.0)
            digits, unit = (0 if self.kind == "count" else decimals(widest)), ""
        return f"{_fixed(d, digits, '+')}{unit} [{_fixed(lo, digits, '+')}, {_fixed(hi, digits, '+')}]"


def decimals(x: float, significant: int = 3) -> int:
    """Decimals that show ``x`` to ``significant`` figures (none from 100 up, for three).

    >>> decimals(42.93), decimals(131.6), decimals(0.71), decimals(0.0)
    (1, 0, 3, 2)
    """
    if pd.isna(x) or not x or not np.isfinite(x):
        return significant - 1
    return max(0, significant - 1 - int(np.floor(np.log10(abs(x)))))


def _fixed(x: float, digits: int, sign: str = "") -> str:
    """``x`` to ``digits`` decimals, thousands grouped, a true minus sign; ``sign="+"`` signs positives too."""
    if pd.isna(x):
        return "–"
    text = f"{x:{sign},.{digits}f}"
    return "±0" if sign and float(text.replace(",", "")) == 0 else text.replace("-", "−")


def ratio_interval(r: float, lo: float, hi: float) -> str:
    """A ratio of means and its interval, to two decimals.

    >>> ratio_interval(1.1405, 1.0921, 1.1889)
    '1.14 [1.09, 1.19]'
    """
    return f"{_fixed(r, 2)} [{_fixed(lo, 2)}, {_fixed(hi, 2)}]"


_FORMATS = {
    "rate": {"scale": 100, "digits": 1, "group": False, "suffix": "%"},
    "count": {"scale": 1, "digits": 0, "group": True, "suffix": ""},
}
_PLAIN = {"scale": 1, "digits": 2, "group": False, "suffix": ""}


def _m(name, en, zh="", kind="mean", better=None, cn="") -> Metric:
    return Metric(name, en, zh, kind, better, cn)


#: Every metric with a label, in the order of the tables.  Metrics not here (per-office measures,
#: breakdowns) are reported too: :func:`is_rate` tells their kind by name.
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        _m("appeals_filed", "appeals filed", kind="count", cn="受理诉求件数"),
        _m("headcount", "headcount", kind="count", cn="人数"),
        _m("staffed_hours", "staffed hours", kind="count", cn="在岗工时"),
        _m("response_time_mean", "response time mean", kind="time", better="lower", cn="响应时长均值"),
        _m("response_time_p50", "response time P50", kind="time", better="lower", cn="响应时长中位数"),
        _m("response_time_p90", "response time P90", kind="time", better="lower", cn="响应时长 P90"),
        _m("resolution_time_mean", "resolution time mean", kind="time", better="lower", cn="办结时长均值"),
        _m("resolution_time_p50", "resolution time P50", kind="time", better="lower", cn="办结时长中位数"),
        _m("resolution_time_p90", "resolution time P90", kind="time", better="lower", cn="办结时长 P90"),
        _m("response_rate", "response rate", "响应率", "rate", "higher"),
        _m("resolution_rate", "resolution rate", "解决率", "rate", "higher"),
        _m("satisfaction_rate", "satisfaction rate", "满意率", "rate", "higher"),
        _m("satisfied_share", "satisfied ÷ filed", kind="rate", better="higher", cn="满意件数 ÷ 诉求件数"),
        _m("final_satisfaction_rate", "after feedback", "满意率", "rate", "higher", cn="回访后满意率"),
        _m(
            "final_satisfied_share",
            "satisfied ÷ filed, final",
            kind="rate",
            better="higher",
            cn="回访后满意件数 ÷ 诉求件数",
        ),
        _m("trips_per_appeal", "trips per appeal", better="lower", cn="每件跑动次数"),
        _m("share_3plus_trips", "share with 3+ trips", kind="rate", better="lower", cn="跑动 3 次及以上占比"),
        _m("citizen_hours_per_appeal", "citizen hours per appeal", better="lower", cn="每件群众耗时（小时）"),
        _m("staff_hours_per_appeal", "staff hours per appeal", better="lower", cn="每件工作人员工时"),
        _m("referrals_per_appeal", "referrals per appeal", better="lower", cn="每件转办次数"),
        _m("bounces_per_appeal", "bounces per appeal", better="lower", cn="每件推诿次数"),
        _m("abandonment_rate", "abandonment rate", kind="rate", better="lower", cn="放弃率"),
        _m("open_share", "still open at horizon", kind="rate", better="lower", cn="期末未办结占比"),
    )
}
#: The headline metrics (better direction and label), in the order of verdicts, comparisons and sweeps.
_HEADLINE = (
    "resolution_time_p50",
    "resolution_time_p90",
    "response_time_p50",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "satisfied_share",
    "trips_per_appeal",
    "citizen_hours_per_appeal",
    "share_3plus_trips",
    "abandonment_rate",
    "staff_hours_per_appeal",
)


def _better(name: str) -> str:
    """The better direction of a headline metric: each has one."""
    better = METRICS[name].better
    if better is None:
        raise ValueError(f"headline metric {name!r} needs a better direction")
    return better


HEADLINE: dict[str, tuple[str, str]] = {k: (_better(k), METRICS[k].label) for k in _HEADLINE}
#: The metrics by their label (the rows of the comparison table).
BY_LABEL: dict[str, Metric] = {m.label: m for m in METRICS.values()}


#: What a metric counts, exactly (for targets and reports); docs/outputs.md has every metric.
DEFINITIONS = {
    "response_rate": N_("first response within the category's response deadline (h from filing) ÷ filed appeals"),
    "resolution_rate": N_("appeals resolved at the horizon ÷ filed appeals (abandoned and open ones count against)"),
    "satisfaction_rate": N_("satisfied ÷ appeals resolved at least once, at the first resolution (before feedback)"),
    "final_satisfaction_rate": N_("satisfied ÷ appeals resolved at the horizon, after the feedback loop (回访)"),
    "satisfied_share": N_("satisfied at the first resolution ÷ filed appeals"),
    "final_satisfied_share": N_("satisfied at the horizon, after the feedback loop ÷ filed appeals"),
    "resolved_in_time_rate": N_("first closed within the category's resolution deadline ÷ filed appeals that have one"),
    "abandonment_rate": N_("appeals whose citizen gave up ÷ filed appeals"),
    "trips_per_appeal": N_("trips to offices per filed appeal"),
    "staffed_hours": N_("person-hours on duty after the warm-up: headcount × each office's open hours"),
    "headcount": N_("the desks of all the model's offices"),
}


def definition(metric: str) -> str:
    """What ``metric`` counts, in the current language: its definition, or how its name reads.

    >>> definition("satisfaction_rate")
    'satisfied ÷ appeals resolved at least once, at the first resolution (before feedback)'
    >>> definition("resolution_time_p90")
    'resolution time P90 (h), from the moment the issue arose, over the appeals that reached it'
    """
    if metric in DEFINITIONS:
        return _(DEFINITIONS[metric])
    m = METRICS.get(metric)
    name = m.label_in(current()) if m else metric.replace("_", " ")
    if metric.startswith(TIMES):
        start = _("filing") if "_from_filing" in metric else _("the moment the issue arose")
        name = m.en if m and current() != "zh" else name
        return _("{name} (h), from {start}, over the appeals that reached it").format(name=name, start=start)
    return name


def is_rate(metric: str) -> bool:
    """Rates and shares (bounded in [0, 1], means can be near 0): percent, points, absolute precision.

    >>> is_rate("satisfaction_rate"), is_rate("trips_per_appeal"), is_rate("share_waited@dept:police")
    (True, False, True)
    """
    if metric in METRICS:
        return METRICS[metric].kind == "rate"
    return metric.endswith(("_rate", "_share")) or metric.startswith("share_")


#: Times measured per filed appeal (NaN until reached), summarised by mean and quantiles.
TIMES = ("response_time", "response_time_from_filing", "resolution_time", "resolution_time_from_filing")
QUANTILES = {"p50": 50, "p90": 90, "p95": 95}
#: Hours from arising to the end of the appeals that never resolve (abandoned; open at the horizon):
#: with ``resolution_time`` they give the censored estimate of resolution times (:mod:`sim.survival`).
END_TIMES = ("abandoned_after", "open_for")
#: Quantiles of the censored estimate: the time by which a share q of *all filed* appeals is resolved.
CIF_QUANTILES = {"p50": 0.5, "p90": 0.9}
#: Per-appeal 0/1 indicators and counts, summarised by their mean over filed appeals.
SHARES = (
    "response_rate",
    "resolution_rate",
    "abandonment_rate",
    "open_share",
    "share_3plus_trips",
    "in_person_share",
    "hotline_share",
    "online_share",
    "station_share",
    "patrol_share",
    "inspection_share",
    "rider_share",
    "ladder_share",
    "escalated_share",
    "reopened_share",
    "satisfied_share",
    "final_satisfied_share",
)
#: Rates over a subset of filed appeals: metric -> its per-appeal measure (1/0 in the subset, NaN outside).
CONDITIONAL = {
    "satisfaction_rate": "satisfied_first",
    "final_satisfaction_rate": "satisfied_final",
    "resolved_in_time_rate": "resolved_in_time",
}
PER_APPEAL = ("trips", "referrals", "bounces", "citizen_hours", "staff_hours")


def deadlines(sc: Scenario, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The response and the resolution deadline (h from filing; NaN: none) of each row's category."""
    cats = df["category"]
    return (
        cats.map({k: c.response_deadline_hours for k, c in sc.categories.items()}).to_numpy(dtype=float),
        cats.map({k: c.resolution_deadline_hours for k, c in sc.categories.items()}).to_numpy(dtype=float),
    )


def measures(
    df: pd.DataFrame, deadline: np.ndarray, horizon: float = np.nan, resolve_by: np.ndarray | None = None
) -> pd.DataFrame:
    """One row per *filed* appeal of ``df`` with every per-appeal measure the metrics average.

    ``deadline`` is the response deadline (h) of each row of ``df``, ``resolve_by`` its resolution
    deadline (办结时限; NaN or None: none); ``horizon`` (h) the end of the
    run, for how long open appeals have been open (``open_for``).  Times are NaN
    until reached; ``satisfied_first`` is 1/0 for appeals resolved at least once and NaN otherwise,
    ``satisfied_final`` the same for appeals resolved at the horizon.
    Both the exact summary (:func:`appeal_metrics`) and the streaming one
    (:mod:`sim.tally`) are computed from these columns, so they define each metric once.
    """
    filed_mask = ~np.isnan(df["filed"].to_numpy(dtype=float))
    f = df[filed_mask]
    created, filed = f["created"].to_numpy(), f["filed"].to_numpy()
    resp, res = f["first_response"].to_numpy(), f["resolved"].to_numpy()
    state = f["state"].to_numpy()
    resolved = state == "resolved"
    first = ~np.isnan(f["first_resolved"].to_numpy(dtype=float))
    sat_first = f["satisfied_first"].to_numpy(dtype=float, na_value=np.nan) == 1.0
    sat = f["satisfied"].to_numpy(dtype=float, na_value=np.nan) == 1.0
    by = np.full(len(f), np.nan) if resolve_by is None else np.asarray(resolve_by, dtype=float)[filed_mask]
    closed = f["first_resolved"].to_numpy(dtype=float) - filed  # the first closure is what a deadline counts
    out = {
        "response_time": resp - created,
        "response_time_from_filing": resp - filed,
        "resolution_time": res - created,
        "resolution_time_from_filing": res - filed,
        "abandoned_after": f["abandoned"].to_numpy(dtype=float) - created,
        "open_for": np.where(state == "open", horizon - created, np.nan),
        "response_rate": (resp - filed) <= deadline[filed_mask],  # NaN compares False
        "resolution_rate": resolved,
        "abandonment_rate": state == "abandoned",
        "open_share": state == "open",
        "share_3plus_trips": f["trips"].to_numpy() >= 3,
        "patrol_share": f["channel"].to_numpy() == "patrol",
        "inspection_share": f["channel"].to_numpy() == "inspection",
        "in_person_share": f["channel"].to_numpy() == "in_person",
        "hotline_share": f["channel"].to_numpy() == "hotline",
        "online_share": f["channel"].to_numpy() == "online",
        "station_share": f["channel"].to_numpy() == "station",
        "rider_share": f["channel"].to_numpy() == "rider",
        "ladder_share": f["resolved_at"].to_numpy() != "",
        "escalated_share": f["escalated"].to_numpy(dtype=bool),
        "reopened_share": f["reopened"].to_numpy() > 0,
        "satisfied_first": np.where(first, sat_first, np.nan),
        "satisfied_final": np.where(resolved, sat, np.nan),
        "satisfied_share": first & sat_first,
        "final_satisfied_share": resolved & sat,
        "resolved_in_time": np.where(np.isnan(by), np.nan, closed <= by),  # NaN compares False: not in time
    }
    out |= {f"{col}_per_appeal": f[col].to_numpy(dtype=float) for col in PER_APPEAL}
    return pd.DataFrame(out, index=f.index)


def appeal_metrics(
    df: pd.DataFrame, deadline: np.ndarray, horizon: float = np.nan, resolve_by: np.ndarray | None = None
) -> dict[str, tuple[float, int]]:
    """Every appeal metric of one slice of records: ``{metric: (value, n)}``.

    ``df`` holds records of one model; ``deadline`` and ``resolve_by`` the response and resolution
    deadlines (h) per row; ``horizon`` the end of the run (h), for the censored resolution-time quantiles.
    """
    m = measures(df, deadline, horizon, resolve_by)
    nf = len(m)
    out: dict[str, tuple[float, int]] = {"issues": (float(len(df)), len(df)), "appeals_filed": (float(nf), nf)}
    for t in TIMES:
        x = m[t].to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        q = np.percentile(x, list(QUANTILES.values())) if len(x) else [np.nan] * len(QUANTILES)
        out[f"{t}_mean"] = (float(x.mean()) if len(x) else np.nan, len(x))
        out |= {f"{t}_{name}": (float(v), len(x)) for name, v in zip(QUANTILES, q)}
    duration, event = end_events(m)
    for name, q in CIF_QUANTILES.items():
        out[f"resolution_time_cif_{name}"] = (cif_quantile(duration, event, q) if nf else np.nan, nf)
    for col in SHARES + tuple(f"{c}_per_appeal" for c in PER_APPEAL):
        out[col] = (float(m[col].mean()) if nf else np.nan, nf)
    for metric, col in CONDITIONAL.items():
        x = m[col].dropna()
        out[metric] = (float(x.mean()) if len(x) else np.nan, len(x))
    return out


def overall_metric_names() -> list[str]:
    """Every metric a replication reports overall (``replication_rows``): what sweeps may name in ``metrics``."""
    from .stability import TREND_METRICS

    names = ["issues", "appeals_filed"]
    names += [f"{t}_{s}" for t in TIMES for s in ("mean", *QUANTILES)]
    names += [f"resolution_time_cif_{q}" for q in CIF_QUANTILES]
    names += [*SHARES, *(f"{c}_per_appeal" for c in PER_APPEAL), *CONDITIONAL, *CAPACITY, *TREND_METRICS]
    return names + ["utilisation", "max_office_utilisation"]  # utilisation: mean over a model's offices


def end_events(m: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per filed appeal of :func:`measures`: hours from arising to its end (or to the horizon) and how it
    ended (1 resolved, 2 abandoned, 0 open at the horizon, i.e. censored), for :mod:`sim.survival`."""
    times = [m[c].to_numpy(dtype=float) for c in ("resolution_time", "abandoned_after", "open_for")]
    event = np.select([~np.isnan(t) for t in times], [RESOLVED, ABANDONED, OPEN], default=OPEN)
    duration = np.select([~np.isnan(t) for t in times], times, default=0.0)
    return duration, event


def summarise(
    appeals: pd.DataFrame,
    sc: Scenario,
    util: pd.DataFrame | None = None,
    dimensions: tuple[str, ...] = DIMENSIONS,
    models=None,
) -> pd.DataFrame:
    """Long-form summary: model, metric, dimension, level, value, n.

    Rows for every metric overall (``dimension='all'``) and by group, category and
    area; staff utilisation by office when ``util`` is given.  Each of ``models``
    (by default those in ``appeals``) has its overall rows even when no issue arose.
    """
    df = appeals[appeals["created"] >= sc.warmup_days * 24.0]
    rows = []
    for model, mdf in by_model(df, models):
        for dim in dimensions:
            parts = [("all", mdf)] if dim == "all" else mdf.groupby(dim, sort=True)
            for level, part in parts:
                respond_by, resolve_by = deadlines(sc, part)
                for metric, (value, n) in appeal_metrics(part, respond_by, sc.horizon, resolve_by).items():
                    rows.append((model, metric, dim, level, value, n))
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    if util is None:
        return out
    offices = pd.DataFrame(
        {
            "model": util["model"],
            "metric": "utilisation",
            "dimension": "office",
            "level": util["office"],
            "value": util["utilisation"],
            "n": util["headcount"],
        }
    )
    return pd.concat([out, capacity(util), offices], ignore_index=True)


def capacity(util: pd.DataFrame) -> pd.DataFrame:
    """Summary rows of each model's capacity, from :func:`utilisation` (of one street or many).

    ``staffed_hours`` are person-hours on duty (headcount × open hours of each office's calendar)
    over the measured window after the warm-up, ``staffed_hours_horizon`` over the whole horizon:
    equal headcount is not equal capacity when calendars differ.
    """
    g = util.groupby("model", sort=False)[list(CAPACITY)].sum()
    return pd.DataFrame(
        [
            (m, metric, "all", "all", float(g.loc[m, metric]), int(g.loc[m, "headcount"]))
            for m in g.index
            for metric in CAPACITY
        ],
        columns=SUMMARY_COLUMNS,
    )


def utilisation(runs, horizon: float) -> pd.DataFrame:
    """Staff utilisation (work hours ÷ staffed open hours) of every office of every model run."""
    rows = [
        {
            "model": r.model,
            "office": o.name,
            "headcount": o.capacity,
            "work_hours": o.worked_hours(horizon),
            "jobs": o.jobs,
            "max_busy": o.max_busy,
            "utilisation": o.utilisation(horizon),
            "staffed_hours": o.staffed_hours(o.since, horizon),
            "staffed_hours_horizon": o.staffed_hours(0.0, horizon),
            "mean_wait_h": o.wait_sum / o.jobs if o.jobs else float("nan"),
            "share_waited": o.waited / o.jobs if o.jobs else float("nan"),
            "mean_present": o.mean_present(horizon),
            "mean_sojourn_h": o.sojourn_sum / o.finished if o.finished else float("nan"),
            "throughput_per_h": o.finished / (horizon - o.since),
            "edge_hours": o.edge_hours(horizon),
            "since_h": o.since,
        }
        for r in runs
        for o in r.world.offices.values()
    ]
    return pd.DataFrame(rows)


def by_model(appeals: pd.DataFrame, models=None):
    """(model, its rows) for each of ``models``, by default those in ``appeals`` in order of appearance."""
    if models is None:
        yield from appeals.groupby("model", sort=False)
        return
    for model in models:
        yield model, appeals[appeals["model"] == model]


def backlog(appeals: pd.DataFrame, horizon: float, step: float = 6.0, models=None) -> pd.DataFrame:
    """Issues arisen and not yet resolved or abandoned, every ``step`` hours, per model (of ``models``)."""
    grid = np.arange(0.0, horizon + 1e-9, step)
    frames = []
    for model, mdf in by_model(appeals, models):
        created = np.sort(mdf["created"].to_numpy())
        ended = np.sort(mdf["resolved"].fillna(mdf["abandoned"]).dropna().to_numpy())
        n = np.searchsorted(created, grid, side="right") - np.searchsorted(ended, grid, side="right")
        frames.append(pd.DataFrame({"model": model, "time_h": grid, "backlog": n}))
    if not frames:  # no issue arose: no model has a backlog at any time
        return pd.DataFrame(
            {"model": pd.Series(dtype=object), "time_h": pd.Series(dtype=float), "backlog": pd.Series(dtype=int)}
        )
    return pd.concat(frames, ignore_index=True)


def by_street(summary: pd.DataFrame, metric: str = "resolution_time_p50") -> pd.DataFrame:
    """``metric`` of every street of a city run: a row a street, a column a model."""
    s = summary[(summary["dimension"] == "street") & (summary["metric"] == metric)]
    return s.pivot(index="level", columns="model", values="value")


def worst_served(summary: pd.DataFrame, dimension: str, metric: str = "resolution_time_p50") -> dict[str, str]:
    """The level of ``dimension`` (group or area) worst served on ``metric``, per model."""
    s = summary[(summary["dimension"] == dimension) & (summary["metric"] == metric)].dropna(subset=["value"])
    better = HEADLINE.get(metric, ("lower",))[0]
    pick = (lambda x: x.idxmax()) if better == "lower" else (lambda x: x.idxmin())
    return {m: s.loc[pick(g["value"]), "level"] for m, g in s.groupby("model", sort=False)}
