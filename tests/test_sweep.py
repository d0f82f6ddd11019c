"""Sweeps: designs, resumability, executors, sensitivity analysis and bad sweep files."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.scenario import DEFAULT_SCENARIO_PATH, ScenarioError
from sim.sweep.analysis import analyze, point_ratios, sobol_indices
from sim.sweep.design import design_points, saltelli_unit
from sim.sweep.runner import run_sweep
from sim.sweep.spec import load_sweep

TINY_SWEEP = {
    "name": "tiny",
    "base": str(DEFAULT_SCENARIO_PATH),
    "set": {"horizon_days": 3, "warmup_days": 0},
    "parameters": {
        "stationed": {"path": "merged.stationed_share", "values": [0.1, 0.3], "low": 0.1, "high": 0.3},
        "demand": {
            "paths": ["groups.residents.arrivals_per_day", "groups.merchants.arrivals_per_day"],
            "scale": True,
            "values": [0.8, 1.0, 1.2],
            "low": 0.8,
            "high": 1.2,
        },
    },
    "design": {"kind": "factorial"},
    "replications": 2,
}


def write_sweep(tmp_path, **changes):
    spec = {**TINY_SWEEP, **changes}
    path = tmp_path / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


# ---------------------------------------------------------------- designs


@pytest.mark.slow
@pytest.mark.parametrize(
    "kind,n,expected",
    [("factorial", None, 6), ("lhs", 10, 10), ("sobol", 8, 8), ("saltelli", 8, 8 * (2 + 2)), ("oat", 3, 5)],
)
def test_design_sizes_and_ranges(tmp_path, kind, n, expected):
    plan = load_sweep(write_sweep(tmp_path, design={"kind": kind, "n": n, "seed": 3}))
    pts = design_points(plan)
    assert len(pts) == expected
    assert list(pts["point"]) == list(range(expected))
    assert pts["stationed"].between(0.1, 0.3).all() and pts["demand"].between(0.8, 1.2).all()
    again = design_points(load_sweep(write_sweep(tmp_path, design={"kind": kind, "n": n, "seed": 3})))
    pd.testing.assert_frame_equal(pts, again)  # reproducible


def test_lhs_is_latin():
    from scipy.stats import qmc

    u = qmc.LatinHypercube(3, seed=0).random(20)
    for j in range(3):  # one point in each of the 20 strata of every dimension
        assert sorted((u[:, j] * 20).astype(int)) == list(range(20))


def test_saltelli_blocks_follow_salib_layout():
    u = saltelli_unit(d=3, n=5, seed=1)
    a, b = u[0::5], u[4::5]
    for j in range(3):
        ab = u[j + 1 :: 5]
        assert np.allclose(np.delete(ab, j, axis=1), np.delete(a, j, axis=1))
        assert np.allclose(ab[:, j], b[:, j])


def test_point_scenarios_apply_parameters(tmp_path):
    plan = load_sweep(write_sweep(tmp_path))
    sc = plan.scenario({"stationed": 0.3, "demand": 1.2})
    assert sc.merged.stationed_share == 0.3
    assert sc.groups["residents"].arrivals_per_day == pytest.approx(
        1.2 * plan.base.groups["residents"].arrivals_per_day
    )
    assert sc.groups["gig_workers"].arrivals_per_day == plan.base.groups["gig_workers"].arrivals_per_day


def test_delegated_share_lever(tmp_path):
    plan = load_sweep(
        write_sweep(
            tmp_path,
            parameters={"deleg": {"lever": "delegated_share", "low": 0, "high": 1}},
            design={"kind": "lhs", "n": 4},
        )
    )
    none, half, all_ = (plan.scenario({"deleg": x}) for x in (0.0, 0.5, 1.0))
    count = lambda sc: sum(c.delegable for c in sc.categories.values())  # noqa: E731
    assert (count(none), count(half), count(all_)) == (0, round(0.5 * len(none.categories)), len(none.categories))
    # the simplest matters are delegated first
    work = {k: sum(c.service[d].mean_value for d in c.departments) for k, c in half.categories.items()}
    delegated = [work[k] for k, c in half.categories.items() if c.delegable]
    kept = [work[k] for k, c in half.categories.items() if not c.delegable]
    assert max(delegated) <= min(kept)


# ---------------------------------------------------------------- running


@pytest.mark.slow
def test_same_table_on_one_process_two_processes_and_dask(tmp_path):
    plan = load_sweep(write_sweep(tmp_path))
    one = run_sweep(plan, tmp_path / "one", workers=1)
    two = run_sweep(plan, tmp_path / "two", workers=2)
    dask = run_sweep(plan, tmp_path / "dask", workers=2, scheduler="local")
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(one, dask)
    assert len(one) == 6 * 2 * 2  # points x replications x models
    assert {"point", "stationed", "demand", "replication", "model", "resolution_time_p50"} <= set(one.columns)
    on_disk = pd.read_csv(tmp_path / "one" / "sweep.csv")
    pd.testing.assert_frame_equal(on_disk, one)


@pytest.mark.slow
def test_kill_and_resume_loses_nothing_and_repeats_nothing(tmp_path):
    path = write_sweep(tmp_path, name="killme", design={"kind": "lhs", "n": 14, "seed": 2}, replications=1)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True)
    parts = out / "parts"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(parts.glob("point-*.csv"))) < 3:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {f.name: f.stat().st_mtime_ns for f in parts.glob("point-*.csv")}
    assert 3 <= len(before) < 14, "the sweep should have been stopped mid-run"
    for f in parts.glob("point-*.csv"):  # every finished point is whole
        pd.read_csv(f)
    assert subprocess.run(cmd, timeout=300).returncode == 0
    after = {f.name: f.stat().st_mtime_ns for f in parts.glob("point-*.csv")}
    assert {k: after[k] for k in before} == before, "a finished point was run again"
    assert not list(parts.glob("*.tmp")) and not list(out.glob(".*.tmp"))
    table = pd.read_csv(out / "sweep.csv")
    assert sorted(table["point"].unique()) == list(range(14))
    assert not table.duplicated(["point", "replication", "model"]).any()
    ref = run_sweep(load_sweep(path), tmp_path / "uninterrupted", workers=1)
    pd.testing.assert_frame_equal(table, ref)


@pytest.mark.slow
def test_folder_of_another_sweep_is_refused(tmp_path):
    run_sweep(load_sweep(write_sweep(tmp_path)), tmp_path / "out", workers=1)
    other = load_sweep(write_sweep(tmp_path, replications=3))
    with pytest.raises(ScenarioError, match="different sweep"):
        run_sweep(other, tmp_path / "out", workers=1)


# ---------------------------------------------------------------- analysis


def test_sobol_indices_on_ishigami():
    """SALib on our Saltelli design recovers the Ishigami function's known indices within their CIs."""
    d, n = 3, 2048
    x = -np.pi + 2 * np.pi * saltelli_unit(d, n, seed=5)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    ratios = pd.DataFrame({"point": np.arange(len(y)), "metric": "resolution_time_p50", "ratio": y})
    names = ["x1", "x2", "x3"]
    idx = sobol_indices(ratios, names, {k: (-np.pi, np.pi) for k in names}).set_index("parameter")
    true_s1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
    true_st = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
    for k in names:
        assert abs(idx.loc[k, "S1"] - true_s1[k]) <= idx.loc[k, "S1_conf"], k
        assert abs(idx.loc[k, "ST"] - true_st[k]) <= idx.loc[k, "ST_conf"], k
    assert list(idx.index[:2]) == ["x1", "x2"]  # ranked by total effect


@pytest.mark.slow
def test_point_ratios_and_analyze_outputs(tmp_path):
    plan = load_sweep(write_sweep(tmp_path))
    df = run_sweep(plan, tmp_path / "out", workers=1)
    r = point_ratios(df, ["stationed", "demand"])
    one = r[(r["point"] == 0) & (r["metric"] == "trips_per_appeal")].iloc[0]
    g = df[df["point"] == 0]
    expected = (
        g[g["model"] == "merged"]["trips_per_appeal"].mean() / g[g["model"] == "siloed"]["trips_per_appeal"].mean()
    )
    assert one["ratio"] == pytest.approx(expected)
    res = analyze(tmp_path / "out")
    names = {p.name for p in res["written"]}
    assert {"ratios.csv", "ratio_heatmap.png", "summary.md"} <= names
    assert "where does merging pay" in res["summary"]


@pytest.mark.slow
def test_analyze_lhs_runs_prim(tmp_path):
    plan = load_sweep(write_sweep(tmp_path, name="lhs", design={"kind": "lhs", "n": 12}, replications=1))
    run_sweep(plan, tmp_path / "out", workers=2)
    res = analyze(tmp_path / "out")
    assert "prim.csv" in {p.name for p in res["written"]}
    assert "PRIM" in res["summary"]


# ---------------------------------------------------------------- bad sweep files


@pytest.mark.slow
@pytest.mark.parametrize(
    "changes,expect",
    [
        (
            {"parameters": {"x": {"path": "departments.polise.headcount", "values": [1, 2]}}},
            "unknown field path 'departments.polise.headcount'",
        ),
        ({"parameters": {"x": {"path": "merged.stationed_share", "low": 0.3, "high": 0.3}}}, "empty range"),
        ({"parameters": {"x": {"path": "merged.stationed_share", "values": []}}}, "empty list"),
        ({"design": {"kind": "latin_square"}}, "design.kind"),
        ({"design": {"kind": "lhs"}}, "n: required"),
        ({"paramters": {}}, "paramters: unknown field"),
        (
            {"set": {"horizon_days": 3, "warmup_days": 0, "city": {"streets": {"a": {"count": 2}}}}},
            "city: a city scenario (2 streets), but a sweep simulates one street",
        ),
        ({"models": ["siloed", "nonexistent"]}, "models: unknown model 'nonexistent'"),
        ({"metrics": ["resolution_time_p50", "resolution_tiem_p90"]}, "metrics: unknown metric 'resolution_tiem_p90'"),
    ],
)
def test_bad_sweep_files_give_clear_errors(tmp_path, gridsim_cli, changes, expect):
    path = write_sweep(tmp_path, **changes)
    p = gridsim_cli("sweep", str(path), "--out", str(tmp_path / "never"))
    assert p.returncode == 2, p.stderr
    assert expect in p.stderr and str(path) in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "never").exists()


def test_the_metric_names_a_sweep_may_name_are_those_a_replication_reports():
    from sim.experiment import replication_rows
    from sim.metrics import overall_metric_names
    from sim.scenario import load_scenario

    sc = load_scenario(overrides=["horizon_days=3", "warmup_days=0"])
    assert set(replication_rows(sc, 0)["metric"]) == set(overall_metric_names())


@pytest.mark.slow
def test_analysis_compares_with_the_base_scenarios_baseline(tmp_path):
    """A base scenario whose baseline is merged: the sweep's ratios are siloed / merged, not merged / siloed."""
    spec = {**TINY_SWEEP, "set": {**TINY_SWEEP["set"], "baseline": "merged"}, "design": {"kind": "oat", "n": 2}}
    spec["parameters"] = {"stationed": TINY_SWEEP["parameters"]["stationed"]}
    run_sweep(load_sweep(write_sweep(tmp_path, **spec)), tmp_path / "out", workers=1)
    ratios = analyze(tmp_path / "out")["ratios"]
    assert set(zip(ratios["model"], ratios["baseline"])) == {("siloed", "merged")}
