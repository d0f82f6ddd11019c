"""The calibration's uncertainty carried into a comparison (``gridsim compare --calibration-uncertainty``).

``gridsim calibrate --bootstrap N`` writes ``bootstrap.csv``: the fitted parameters (scenario paths
such as ``groups.citizens.arrivals_per_day`` or ``categories.bulky_items.service.bos.mean``) of the
fit itself and of ``N`` Poisson-bootstrap refits of the log.  Replication ``r`` of the comparison
then runs on the scenario with each of those parameters multiplied by refit ``r mod N`` over the
estimate: both arms share that draw (their paired difference keeps its common random numbers),
and the spread between replications, so the comparison's intervals, includes how well the log
pinned the parameters down.  Ratios rather than values, so that a scenario edited after the
calibration (or refitted by simulation) keeps its own levels and takes only the log's spread.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..scenario import Scenario, ScenarioError, build_scenario


def read_draws(path: Path) -> pd.DataFrame:
    """``bootstrap.csv`` as ratios of each refit over the estimate (one row per refit, a column per path)."""
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ScenarioError(str(path), [f"not a readable table ({exc})"]) from None
    if "refit" not in df.columns or df.empty or str(df["refit"].iloc[0]) != "estimate" or len(df) < 2:
        raise ScenarioError(
            str(path),
            [
                "expected gridsim calibrate --bootstrap's bootstrap.csv: a column 'refit', "
                "the row 'estimate' first, then one row per refit"
            ],
        )
    values = df.drop(columns="refit").apply(pd.to_numeric, errors="coerce")
    estimate = values.iloc[0]
    return (values.iloc[1:] / estimate.where(estimate != 0)).reset_index(drop=True)


def scenario_for(sc: Scenario, ratios: pd.Series, source: str = "bootstrap.csv") -> Scenario:
    """``sc`` with each parameter of ``ratios`` (scenario paths) multiplied by its ratio (NaN: left as it is)."""
    raw = sc.to_dict()
    for path, ratio in ratios.items():
        if ratio is None or not math.isfinite(ratio):
            continue
        *parents, leaf = str(path).split(".")
        node: object = raw
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                raise ScenarioError(
                    source, [f"{path}: not a field of scenario {sc.name!r} (calibrated from another log?)"]
                )
        if not isinstance(node, dict):
            raise ScenarioError(source, [f"{path}: not a field of scenario {sc.name!r}"])
        if leaf in node:  # an exponential has no cv to scale, a fixed time no mean
            node[leaf] = node[leaf] * float(ratio)
    return build_scenario(raw, f"{source} applied to {sc.name}")
