"""Simulation-based calibration: a queue the log shows is found, one it does not show is not invented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.calibrate import calibrate, read_log
from sim.calibrate.simfit import fit_by_simulation
from sim.simulation import run
from sim.scenario import load_scenario

pytestmark = pytest.mark.slow

TRUTH = Path(__file__).parent / "data" / "roundtrip.yaml"
ONE_DEPT = ["groups.citizens.category_mix={b: 1.0}", "groups.citizens.arrivals_per_day=17", "horizon_days=40"]


def _work_order_log(tmp_path, overrides) -> Path:
    """The truth's siloed cases as a work-order log: filing and resolution only, no spells of work."""
    ev = run(load_scenario(TRUTH, overrides), events=True).events
    ev = ev[ev["concept:name"].isin(["filed", "resolution"])]
    path = tmp_path / "log.parquet"
    ev.to_parquet(path)
    return path


def test_a_congested_department_is_found_queueing_with_the_truth_in_the_range(tmp_path):
    # beta: 4 staff, 17 a day × 5 h of work: utilisation 0.89, a queue that dominates time to close
    log = read_log(_work_order_log(tmp_path, ONE_DEPT + ["departments.beta.headcount=4"]))
    assert log.work is None or len(log.work) == 0
    cal = calibrate(log)
    direct = cal.scenario.categories["b"].service["beta"].mean_value
    assert direct > 5.0 * 1.2  # the direct fit takes the queue for work
    sf = fit_by_simulation(cal, log, reps=2)
    t = sf.table
    assert "stand-in is rejected" in sf.flags[0]
    chosen = t[t["chosen"]].iloc[0]
    assert chosen["staff_per_load"] != "stand-in"
    noise = (t["loss_fresh"] - t["loss"]).abs().max()
    alike = t[t["loss"] <= chosen["loss"] + 2 * noise]
    assert alike["headcount"].min() <= 4 <= alike["headcount"].max()
    work = alike["multiplier"] * direct
    assert work.min() <= 5.0 <= work.max()
    assert sf.scenario.departments["beta"].headcount == chosen["headcount"]
    assert sf.scenario.categories["b"].service["beta"].mean_value == pytest.approx(chosen["multiplier"] * direct)
    # the chosen parameters reproduce the log's quantiles closely
    assert abs(chosen["sim_p50_h"] / chosen["log_p50_h"] - 1) < 0.1
    assert abs(chosen["sim_p90_h"] / chosen["log_p90_h"] - 1) < 0.15


def test_cli_keeps_the_stand_in_where_the_log_shows_no_queue(tmp_path):
    # 20 staff for 3.5 staff-loads of work: no queue to speak of, nothing for the fit to find
    path = _work_order_log(tmp_path, ONE_DEPT + ["departments.beta.headcount=20", "horizon_days=25"])
    out = tmp_path / "cal"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "calibrate",
            str(path),
            "--by-simulation",
            "--sim-reps",
            "2",
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(out / "simfit.csv")
    chosen = table[table["chosen"]].iloc[0]
    assert chosen["staff_per_load"] == "stand-in"
    sc = load_scenario(out / "scenario.yaml")
    assert any("a queue is not identified" in f for f in sc.calibration.assumed)
    assert sc.departments["beta"].headcount == chosen["headcount"]
