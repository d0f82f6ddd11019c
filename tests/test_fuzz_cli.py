"""The command line under fuzzing (issue 16): every random case runs, or is refused cleanly.

A hundred cases of tests/fuzz_harness.py, fifty of each kind -- mutants of the shipped scenarios
through ``validate`` and ``run``, and random ``--set`` values through validate and run, trace or
compare -- each call of ``sim.cli.main`` in a forked child with a memory and a time limit, so that
a regression fails here instead of hanging CI.  Each call must exit 0 having written its results
folder, or exit 2 with the problems on stderr, no traceback, and nothing written.  Derandomized,
so that CI sees the same cases every time (and the explicit examples: failures the thousand found
that the hundred does not draw); not shrunk, since a case is one mutation already and a
hanging one would take a minute a shrink step (scripts/fuzz_cli.py runs the full thousand).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, example, given, settings

from fuzz_harness import KINDS, YamlText, report, run_case
from sim.scenario import DEFAULT_SCENARIO_PATH
import pytest

pytestmark = pytest.mark.slow

FIFTY = settings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _runs_or_refuses_cleanly(case):
    with tempfile.TemporaryDirectory(prefix="gridsim-fuzz-") as root:
        failed = [r for r in run_case(case, Path(root)) if r["problems"]]
    assert not failed, "\n\n".join(map(report, failed))


@FIFTY
@given(KINDS["mutant"])
@example(
    {
        "mutant": ("tianping", ("calendars", "grid", "hours", 0, 1), YamlText("2024-02-30")),  # not a day
        "calls": [["validate", "{scenario}"]],
    }
)
def test_a_mutant_scenario_file_runs_or_is_refused_cleanly(case):
    _runs_or_refuses_cleanly(case)


@FIFTY
@given(KINDS["set"])
@example({"mutant": None, "calls": [["validate", str(DEFAULT_SCENARIO_PATH), "--set", "start_date=2024-02-30"]]})
def test_random_set_values_run_or_are_refused_cleanly(case):
    _runs_or_refuses_cleanly(case)
