"""Designs: which points of the parameter space to run.

>>> import numpy as np
>>> unit = saltelli_unit(d=3, n=4, seed=0)
>>> unit.shape        # N (d + 2) points
(20, 3)
>>> bool(((unit >= 0) & (unit <= 1)).all())
True
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from scipy.stats import qmc

if TYPE_CHECKING:
    from .spec import SweepPlan


def saltelli_unit(d: int, n: int, seed: int = 0) -> np.ndarray:
    """Saltelli's scheme in the unit cube, first-order and total indices: N(d+2) rows.

    Rows come in blocks of d + 2 per base sample, in SALib's order (A, AB_1..AB_d, B), so
    ``SALib.analyze.sobol.analyze(..., calc_second_order=False)`` reads them directly.
    """
    base = qmc.Sobol(2 * d, scramble=True, seed=seed).random(n)
    a, b = base[:, :d], base[:, d:]
    rows = []
    for i in range(n):
        rows.append(a[i])
        for j in range(d):
            ab = a[i].copy()
            ab[j] = b[i, j]
            rows.append(ab)
        rows.append(b[i])
    return np.array(rows)


def design_points(plan: SweepPlan) -> pd.DataFrame:
    """Every point of the plan's design: a ``point`` id and one column per parameter."""
    sweep = plan.sweep
    names = list(sweep.parameters)
    params = [sweep.parameters[k] for k in names]
    kind, n, seed = sweep.design.kind, sweep.design.n, sweep.design.seed
    if kind == "factorial":
        values = cast(list[list[Any]], [p.values for p in params])  # a factorial's parameters have values (Sweep)
        rows = list(itertools.product(*values))
    elif kind == "oat":
        base = [plan.base_value(k) for k in names]
        rows = [tuple(base)]
        for j, p in enumerate(params):
            levels = p.values if p.values is not None else list(np.linspace(*p.bounds, n or 3))
            for v in levels:
                row = list(base)
                row[j] = v
                if tuple(row) not in rows:
                    rows.append(tuple(row))
    else:
        assert n is not None  # lhs, sobol and saltelli designs have n (Design)
        d = len(params)
        if kind == "lhs":
            unit = qmc.LatinHypercube(d, seed=seed).random(n)
        elif kind == "sobol":
            unit = qmc.Sobol(d, scramble=True, seed=seed).random(n)
        else:
            unit = saltelli_unit(d, n, seed)
        lo = np.array([p.bounds[0] for p in params])
        hi = np.array([p.bounds[1] for p in params])
        rows = [tuple(r) for r in lo + unit * (hi - lo)]
    df = pd.DataFrame(rows, columns=names)
    for k in names:
        if sweep.parameters[k].integer:
            df[k] = df[k].round().astype(int)
    df.insert(0, "point", np.arange(len(df)))
    return df
