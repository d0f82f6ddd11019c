"""Mutants of the shipped scenarios: each either loads and runs, or is refused with a ScenarioError.

A mutant replaces one field of the default street or tianping (any depth) with a hostile value:
huge, tiny, negative, NaN or infinite numbers, wrong types, empty or nested containers.  Whatever
it is, loading must end in a valid scenario or a ScenarioError naming the problem, and a valid one
must run two days of both models without any other exception.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.scenario import ScenarioError, build_scenario, read_yaml

from conftest import REPO
import pytest

pytestmark = pytest.mark.slow

BASES = {name: read_yaml(REPO / "scenarios" / f"{name}.yaml") for name in ("default", "tianping")}


def _paths(x, prefix=()):
    """Every path to a value in nested dicts and lists."""
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _paths(v, (*prefix, i))
    if prefix:
        yield prefix


PATHS = {name: sorted(set(_paths(raw)), key=str) for name, raw in BASES.items()}
HOSTILE = st.one_of(
    st.sampled_from(
        [
            0,
            -1,
            1e308,
            -1e308,
            1e-308,
            5e-324,
            math.inf,
            -math.inf,
            math.nan,
            10**30,
            True,
            None,
            "",
            "x",
            [],
            {},
            [[]],
            {"dist": "gamma", "mean": 1, "cv": 1e-200},
            {"dist": "lognormal", "mean": 1, "cv": 1e200},
            {"dist": "fixed", "value": -1},
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**12), 10**12),
    st.text(max_size=5),
)


def _put(raw, path, value):
    import copy

    raw = copy.deepcopy(raw)
    node = raw
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return raw


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(sorted(BASES)), st.data())
def test_a_mutant_loads_and_runs_or_is_refused(name, data):
    path = data.draw(st.sampled_from(PATHS[name]))
    raw = _put(BASES[name], path, data.draw(HOSTILE))
    raw["horizon_days"], raw["warmup_days"] = (raw.get("horizon_days"), raw.get("warmup_days"))
    try:
        sc = build_scenario(raw, "mutant")
    except ScenarioError:
        return
    short = sc.model_copy(update={"horizon_days": min(sc.horizon_days, 2.0), "warmup_days": 0.0})
    sim.run(short, dimensions=("all",))
