"""Shared fixtures: a tiny, deterministic scenario that mechanism tests adjust with dotted overrides."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

from sim.scenario import apply_overrides, build_scenario

REPO = Path(__file__).resolve().parents[1]
PLUGINS = REPO / "tests" / "plugins"  # a toy governance model, registered as a plug-in (gridsim_toy)
sys.path.insert(0, str(PLUGINS))
import gridsim_toy  # noqa: E402,F401  (every registered model runs through the conservation and fairness tests)

FIXED = lambda v: {"dist": "fixed", "value": v}  # noqa: E731

#: Everything open all the time, fixed times, one area, one group, one category,
#: no randomness in routing: each mechanism test switches on exactly what it needs.
TINY = {
    "name": "tiny",
    "seed": 1,
    "horizon_days": 10,
    "calendars": {
        "always": {"weekdays": [0, 1, 2, 3, 4, 5, 6], "hours": [[0, 24]]},
        "office": {"weekdays": [0, 1, 2, 3, 4], "hours": [[9, 17]]},
    },
    "departments": {
        "alpha": {"headcount": 4, "calendar": "always", "assessment": FIXED(0.5)},
        "beta": {"headcount": 4, "calendar": "always", "assessment": FIXED(0.5)},
        "gamma": {"headcount": 4, "calendar": "always", "assessment": FIXED(0.5)},
    },
    "line_grids": {
        "ops": {"intake_staff": 2, "calendar": "always", "intake": FIXED(0.25)},
        "police": {"intake_staff": 1, "calendar": "always", "intake": FIXED(0.25)},
    },
    "areas": {"only": {"weight": 1.0}},
    "groups": {
        "residents": {
            "arrivals_per_day": 2.0,
            "category_mix": {"simple": 1.0},
            "p_right_line_grid": 1.0,
            "report_delay": FIXED(1.0),
            "patience": FIXED(1000.0),
            "travel": {"line_station": 0.5, "comprehensive_station": 0.5, "department": 1.0},
        }
    },
    "categories": {
        "simple": {"departments": ["alpha"], "line_grid": "ops", "service": {"alpha": FIXED(2.0)}},
        "double": {
            "departments": ["alpha", "beta"],
            "line_grid": "ops",
            "service": {"alpha": FIXED(2.0), "beta": FIXED(3.0)},
        },
    },
    "siloed": {"max_bounces": 2, "escalation": FIXED(10.0)},
    "merged": {
        "calendar": "always",
        "stationed_share": 0.25,
        "intake": FIXED(0.25),
        "triage": FIXED(0.5),
        "coordination": FIXED(1.0),
        "closing": FIXED(0.25),
        "joint_meeting": {"enabled": True, "weekday": 2, "hour": 14, "every_days": 7},
        "patrol": {"enabled": False, "effectiveness": 0.0, "staff_hours_per_day": 0},
        "feedback": {"enabled": False, "reopen_probability": 0.0},
    },
}


def make_raw(*overrides: str) -> dict:
    """A deep copy of the tiny scenario's raw data with ``path=value`` overrides applied."""
    return apply_overrides(copy.deepcopy(TINY), list(overrides))


def make_scenario(*overrides: str):
    """The tiny scenario, validated, with ``path=value`` overrides (values are YAML)."""
    return build_scenario(make_raw(*overrides), "tiny")


@pytest.fixture
def tiny():
    return make_scenario


@pytest.fixture
def gridsim_cli():
    """Run the CLI as a subprocess (``python -m sim``); returns the CompletedProcess."""
    import subprocess

    def call(*args: str, cwd=None):
        return subprocess.run(
            [sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd, timeout=600
        )

    return call
