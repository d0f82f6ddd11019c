"""Streaming metrics: exactly mergeable counts, sums and log-binned time histograms.

A city run never holds every appeal record: each street's records are reduced
to a :class:`Tally` as soon as the street is simulated, and tallies merge by
adding counts, sums and histogram bins.  The metrics are the same as
:func:`sim.metrics.appeal_metrics` (both are computed from
:func:`sim.metrics.measures`): counts, rates and means are exact; quantiles come
from histograms with log-spaced bins 1% wide, so a quantile is within 1% of the
exact one (or within ``EDGES[1]`` hours of it, for times under a few seconds).

>>> from sim.scenario import load_scenario
>>> from sim.simulation import run
>>> sc = load_scenario(overrides=["horizon_days=10", "warmup_days=0"])
>>> res = run(sc, models=["merged"])
>>> t = Tally.from_appeals(res.appeals, sc, {"all": None})
>>> exact = res.summary.set_index(["metric", "dimension"]).loc[("resolution_rate", "all"), "value"]
>>> streamed = t.summary().set_index(["metric", "dimension"]).loc[("resolution_rate", "all"), "value"]
>>> bool(abs(exact - streamed) < 1e-12)
True
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from .metrics import (
    CIF_QUANTILES,
    CONDITIONAL,
    END_TIMES,
    PER_APPEAL,
    QUANTILES,
    SHARES,
    TIMES,
    by_model,
    deadlines,
    measures,
)
from .survival import cif_quantile_binned
from .scenario import Scenario

#: Histogram bin edges in hours: [0, 1e-3) then log-spaced, 1% wide, up to 1e5 h (11 years).
EDGES = np.concatenate([[0.0], 1e-3 * 1.01 ** np.arange(int(np.ceil(np.log(1e8) / np.log(1.01))) + 1)])
_MEANS = SHARES + tuple(f"{c}_per_appeal" for c in PER_APPEAL)
_HISTS = TIMES + END_TIMES  # times kept as histograms: the metrics' times, and the ends of unresolved appeals


class Tally:
    """Sufficient statistics of the appeal metrics for each ``(model, dimension, level)``.

    Per key: issues, filed appeals, the sum of every averaged measure, the count,
    sum and histogram of every time, and the count and sum of every conditional rate's measure.
    """

    def __init__(self):
        self.data: dict[tuple, dict] = {}

    @staticmethod
    def _empty() -> dict:
        return {
            "issues": 0,
            "filed": 0,
            "sums": defaultdict(float),
            "time_n": defaultdict(int),
            "time_sum": defaultdict(float),
            "hist": {t: np.zeros(len(EDGES), dtype=np.int64) for t in _HISTS},
            "cond_n": defaultdict(int),
            "cond_sum": defaultdict(float),
        }

    @classmethod
    def from_appeals(
        cls,
        appeals: pd.DataFrame,
        sc: Scenario,
        dimensions: dict[str, str | None],
        models=None,
        levels: dict[str, list] | None = None,
    ) -> "Tally":
        """Tally records (one or more models) by ``{dimension: column}`` (column None: everything).

        Appeals created during the warm-up are left out, as in :func:`sim.metrics.summarise`.
        Each of ``models`` (by default those in ``appeals``) gets its rows even with no issue,
        and so does each level named in ``levels`` (``{column: [level, ...]}``): a street
        where no issue arose still has its rows.
        """
        t = cls()
        levels = levels or {}
        df = appeals[appeals["created"] >= sc.warmup_days * 24.0]
        for model, mdf in by_model(df, models):
            respond_by, resolve_by = deadlines(sc, mdf)
            m = measures(mdf, respond_by, sc.horizon, resolve_by)
            filed = ~np.isnan(mdf["filed"].to_numpy(dtype=float))  # the rows ``measures`` keeps
            times = {c: m[c].to_numpy(dtype=float) for c in _HISTS}
            bins = {
                c: np.clip(np.searchsorted(EDGES, x, side="right") - 1, 0, len(EDGES) - 1) for c, x in times.items()
            }
            for dim, col in dimensions.items():
                if col is None:
                    codes, found = np.zeros(len(mdf), dtype=np.intp), np.array(["all"], dtype=object)
                elif col in levels:
                    found = np.array(sorted(set(mdf[col]) | set(levels[col])), dtype=object)
                    codes = pd.Categorical(mdf[col], categories=found).codes.astype(np.intp)
                else:
                    codes, found = pd.factorize(mdf[col], sort=True)
                t._add_coded(model, dim, codes, found, filed, m, times, bins)
        return t

    def _add_coded(self, model, dim, codes, levels, filed, m, times, bins) -> None:
        """Add every level of one breakdown at once (``codes``: level of each record)."""
        k = len(levels)
        fc = codes[filed]  # level of each filed appeal
        issues = np.bincount(codes, minlength=k)
        n_filed = np.bincount(fc, minlength=k)
        sums = {c: np.bincount(fc, weights=m[c].to_numpy(dtype=float), minlength=k) for c in _MEANS}
        cond_n, cond_sum = {}, {}
        for c in CONDITIONAL.values():
            x = m[c].to_numpy(dtype=float)
            ok = ~np.isnan(x)
            cond_n[c] = np.bincount(fc[ok], minlength=k)
            cond_sum[c] = np.bincount(fc[ok], weights=x[ok], minlength=k)
        tn, ts, th = {}, {}, {}
        for c, x in times.items():
            ok = ~np.isnan(x)
            tn[c] = np.bincount(fc[ok], minlength=k)
            ts[c] = np.bincount(fc[ok], weights=x[ok], minlength=k)
            th[c] = np.bincount(fc[ok] * len(EDGES) + bins[c][ok], minlength=k * len(EDGES)).reshape(k, len(EDGES))
        for j, level in enumerate(levels):
            d = self.data.setdefault((model, dim, level), self._empty())
            d["issues"] += int(issues[j])
            d["filed"] += int(n_filed[j])
            for c in _MEANS:
                d["sums"][c] += float(sums[c][j])
            for c in _HISTS:
                d["time_n"][c] += int(tn[c][j])
                d["time_sum"][c] += float(ts[c][j])
                d["hist"][c] += th[c][j]
            for c in CONDITIONAL.values():
                d["cond_n"][c] += int(cond_n[c][j])
                d["cond_sum"][c] += float(cond_sum[c][j])

    def merge(self, other: "Tally") -> "Tally":
        """Add ``other`` into this tally (in place) and return it."""
        for key, o in other.data.items():
            d = self.data.setdefault(key, self._empty())
            for f in ("issues", "filed"):
                d[f] += o[f]
            for f in ("sums", "time_n", "time_sum", "cond_n", "cond_sum"):
                for k, v in o[f].items():
                    d[f][k] += v
            for t in _HISTS:
                d["hist"][t] += o["hist"][t]
        return self

    def summary(self) -> pd.DataFrame:
        """Long-form summary (model, metric, dimension, level, value, n), metrics as in ``summarise``."""
        rows = []
        for (model, dim, level), d in self.data.items():
            nf = d["filed"]
            vals: dict[str, tuple[float, int]] = {
                "issues": (float(d["issues"]), d["issues"]),
                "appeals_filed": (float(nf), nf),
            }
            for t in TIMES:
                n = d["time_n"][t]
                vals[f"{t}_mean"] = (d["time_sum"][t] / n if n else np.nan, n)
                vals |= {f"{t}_{name}": (hist_quantile(d["hist"][t], q / 100), n) for name, q in QUANTILES.items()}
            h = d["hist"]
            vals |= {
                f"resolution_time_cif_{name}": (
                    cif_quantile_binned(h["resolution_time"], h["abandoned_after"], h["open_for"], EDGES, q)
                    if nf
                    else np.nan,
                    nf,
                )
                for name, q in CIF_QUANTILES.items()
            }
            vals |= {col: (d["sums"][col] / nf if nf else np.nan, nf) for col in _MEANS}
            for metric, c in CONDITIONAL.items():
                n = d["cond_n"][c]
                vals[metric] = (d["cond_sum"][c] / n if n else np.nan, n)
            rows += [(model, metric, dim, level, v, n) for metric, (v, n) in vals.items()]
        return pd.DataFrame(rows, columns=["model", "metric", "dimension", "level", "value", "n"])


def hist_quantile(counts: np.ndarray, q: float) -> float:
    """The ``q`` quantile (linear between order statistics, as ``np.percentile``) from a histogram.

    Values inside a bin are taken as spread evenly in log time (evenly in the first bin).

    >>> x = np.array([1.0, 2.0, 3.0, 4.0])
    >>> counts = np.bincount(np.searchsorted(EDGES, x, side="right") - 1, minlength=len(EDGES))
    >>> bool(abs(hist_quantile(counts, 0.5) - np.percentile(x, 50)) < 0.025)
    True
    """
    n = int(counts.sum())
    if n == 0:
        return float("nan")
    h = (n - 1) * q
    lo, frac = int(np.floor(h)), h - np.floor(h)
    cum = np.cumsum(counts)
    a, b = _order_stat(counts, cum, lo), _order_stat(counts, cum, min(lo + 1, n - 1))
    return a + frac * (b - a)


def _order_stat(counts: np.ndarray, cum: np.ndarray, k: int) -> float:
    """Estimate of the ``k``-th smallest value (0-based)."""
    i = int(np.searchsorted(cum, k, side="right"))
    c = counts[i]
    pos = (k - (cum[i] - c) + 0.5) / c  # where in the bin, in (0, 1)
    lo = EDGES[i]
    hi = EDGES[i + 1] if i + 1 < len(EDGES) else EDGES[i] * 1.01
    if i == 0:
        return lo + pos * (hi - lo)
    return float(lo * (hi / lo) ** pos)
