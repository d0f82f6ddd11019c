"""Reproducibility: same scenario and seed, same bytes; the written scenario.yaml repeats the run;
common random numbers across models; results files replaced whole (temp file + rename)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.models import get as policy_class
from sim.issues import generate_issues
from sim.files import atomic_write
from sim.world import World

RESULT_FILES = ("appeals.csv", "appeals.parquet", "summary.csv", "utilisation.csv", "backlog.csv", "scenario.yaml")
STREAM = ["issue", "created", "group", "category", "area"]


def _gridsim(*args: str):
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], check=False, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``gridsim run --no-plots --days 10`` four times (run concurrently): a and b with seed 3,
    c with seed 4, and d with seed 3 into an earlier run's results folder that holds larger, stale results."""
    root = tmp_path_factory.mktemp("repro")
    stale = root / "d"
    stale.mkdir()
    junk = "model,junk\n" + "stale,row\n" * 200_000  # far longer than the new file
    for name in ("appeals.csv", "summary.csv", "scenario.yaml"):
        (stale / name).write_text(junk)
    # an earlier run's results folder (its provenance.json), into which the user put a file of their own
    (stale / "provenance.json").write_text(
        json.dumps({"complete": True, "files": ["appeals.csv", "summary.csv", "scenario.yaml", "provenance.json"]})
    )
    (stale / "unrelated.txt").write_text("not ours")
    seeds = {"a": 3, "b": 3, "c": 4, "d": 3}

    def call(name):
        return _gridsim(
            "run",
            "--no-plots",
            "--days",
            "10",
            "--set",
            "warmup_days=0",
            "--seed",
            str(seeds[name]),
            "--quiet",
            "--out",
            str(root / name),
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        procs = dict(zip(seeds, pool.map(call, seeds)))
    for name, p in procs.items():
        assert p.returncode == 0, (name, p.stderr)
    return root, procs


@pytest.mark.slow
def test_same_seed_gives_byte_identical_results(runs):
    root, _ = runs
    a = (root / "a" / "appeals.csv").read_bytes()
    assert len(a) > 10_000  # a real table, not an empty file
    assert a == (root / "b" / "appeals.csv").read_bytes()
    for name in RESULT_FILES:
        assert (root / "a" / name).read_bytes() == (root / "b" / name).read_bytes(), name
    pa, pb = (json.loads((root / k / "provenance.json").read_text()) for k in "ab")
    assert pa["scenario_sha256_16"] == pb["scenario_sha256_16"] and pa["seed"] == pb["seed"] == 3


@pytest.mark.slow
def test_different_seeds_differ(runs):
    root, _ = runs
    a = pd.read_csv(root / "a" / "appeals.csv")
    c = pd.read_csv(root / "c" / "appeals.csv")
    assert (root / "a" / "appeals.csv").read_bytes() != (root / "c" / "appeals.csv").read_bytes()
    # not just a different header or order: the issue streams themselves differ
    sa, sc = (df[df["model"] == "siloed"]["created"].to_numpy() for df in (a, c))
    assert len(sa) != len(sc) or not np.allclose(sa, sc)
    assert json.loads((root / "c" / "provenance.json").read_text())["seed"] == 4
    assert sim.load_scenario(root / "c" / "scenario.yaml").seed == 4


@pytest.mark.slow
def test_written_scenario_repeats_the_run(runs):
    root, _ = runs
    written = root / "a" / "scenario.yaml"
    sc = sim.load_scenario(written)
    assert sc.seed == 3 and sc.horizon_days == 10  # the overrides are resolved into the file
    again = root / "again"
    p = _gridsim("run", str(written), "--no-plots", "--quiet", "--out", str(again))
    assert p.returncode == 0, p.stderr
    for name in RESULT_FILES:
        assert (again / name).read_bytes() == (root / "a" / name).read_bytes(), name
    prov_a = json.loads((root / "a" / "provenance.json").read_text())
    prov_again = json.loads((again / "provenance.json").read_text())
    assert prov_again["scenario_sha256_16"] == prov_a["scenario_sha256_16"]


@pytest.mark.slow
def test_existing_results_are_replaced_whole(runs):
    root, _ = runs
    d = root / "d"
    for name in RESULT_FILES:
        assert (d / name).read_bytes() == (root / "a" / name).read_bytes(), name
    assert (d / "unrelated.txt").read_text() == "not ours"  # files the run does not own are left alone
    assert not list(root.rglob("*.tmp")), list(root.rglob("*.tmp"))
    assert not [p for p in root.rglob(".*") if p.is_file()]  # no hidden temp files either
    assert {p.name for p in d.iterdir()} == {*RESULT_FILES, "provenance.json", "report.md", "unrelated.txt"}


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "appeals.csv"
    target.write_text("complete earlier results\n")

    def half_then_fail(tmp):
        with open(tmp, "w") as fh:
            fh.write("half a ta")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write(target, half_then_fail)
    assert target.read_text() == "complete earlier results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["appeals.csv"]

    atomic_write(target, lambda tmp: Path(tmp).write_text("new\n"))
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["appeals.csv"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # ordinary file permissions, not mkstemp's 0600


# ---------------------------------------------------------------- in process


@pytest.fixture(scope="module")
def default10():
    sc = sim.load_scenario(overrides=["horizon_days=10", "warmup_days=0"])
    return sc, sim.run(sc)


def test_run_twice_in_process_is_identical(default10):
    sc, first = default10
    second = sim.run(sc)
    pd.testing.assert_frame_equal(first.appeals, second.appeals)
    pd.testing.assert_frame_equal(first.summary, second.summary)


def test_issue_stream_is_identical_in_both_models(default10):
    sc, res = default10
    a = res.appeals
    assert set(a["model"]) == {"siloed", "merged"}
    s = a[a["model"] == "siloed"].sort_values("issue")[STREAM + ["departments", "unclear", "hard"]]
    m = a[a["model"] == "merged"].sort_values("issue")[STREAM + ["departments", "unclear", "hard"]]
    assert len(s) > 100
    pd.testing.assert_frame_equal(s.reset_index(drop=True), m.reset_index(drop=True))
    # ... and it is the issue stream generate_issues draws
    iss = generate_issues(sc)
    assert np.array_equal(s["created"].to_numpy(), iss.created)
    assert list(s["group"]) == [iss.groups[k] for k in iss.group]
    assert list(s["category"]) == [iss.categories[k] for k in iss.category]
    assert list(s["area"]) == [iss.areas[k] for k in iss.area]


def test_demand_draws_are_identical_in_both_models():
    sc = sim.load_scenario(overrides=["horizon_days=10", "warmup_days=0"])
    issues = generate_issues(sc)
    siloed = policy_class("siloed")(World(sc, "siloed"), issues)
    merged = policy_class("merged")(World(sc, "merged"), issues)
    assert siloed.service.shape == (len(issues), len(sc.departments))
    assert np.isfinite(siloed.service).any()
    assert np.array_equal(siloed.service, merged.service, equal_nan=True)
    for name in ("report_delay", "patience", "unclear", "hard"):
        assert np.array_equal(getattr(siloed, name), getattr(merged, name), equal_nan=True), name
    # service is drawn for exactly the departments each category needs
    needs = np.array(
        [[d in sc.categories[issues.categories[c]].departments for d in issues.departments] for c in issues.category]
    )
    assert np.array_equal(~np.isnan(siloed.service), needs)


def test_merged_only_changes_leave_siloed_untouched():
    """Common random numbers: a change to the merged grid alone changes nothing in the siloed run."""
    base = sim.load_scenario(overrides=["horizon_days=10", "warmup_days=0"])
    changed = sim.load_scenario(
        overrides=[
            "horizon_days=10",
            "warmup_days=0",
            "merged.triage={dist: fixed, value: 3.0}",
            "merged.patrol.enabled=false",
            "merged.stationed_share=0.1",
        ]
    )
    a = sim.run(base, models=["siloed"]).appeals
    b = sim.run(changed, models=["siloed"]).appeals
    pd.testing.assert_frame_equal(a, b)
    ma = sim.run(base, models=["merged"]).appeals
    mb = sim.run(changed, models=["merged"]).appeals
    pd.testing.assert_frame_equal(ma[STREAM], mb[STREAM])
    assert not ma["resolved"].equals(mb["resolved"])  # the change did something to merged


def test_more_bounce_columns_leave_other_draws_as_they_were():
    a = generate_issues(sim.load_scenario(overrides=["horizon_days=10", "warmup_days=0", "siloed.max_bounces=1"]))
    b = generate_issues(sim.load_scenario(overrides=["horizon_days=10", "warmup_days=0", "siloed.max_bounces=3"]))
    for name in ("created", "group", "category", "area"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for name in ("service", "report_delay", "patience", "unclear", "hard", "satisfied"):
        assert np.array_equal(a.u[name], b.u[name]), name
    assert np.array_equal(a.u["bounce_dept"][:, :1], b.u["bounce_dept"][:, :1])
    assert b.u["bounce_dept"].shape[1] == 3


def test_replications_differ_and_repeat():
    sc = sim.load_scenario(overrides=["horizon_days=10", "warmup_days=0"])
    r0, r0_again, r1 = generate_issues(sc, 0), generate_issues(sc, 0), generate_issues(sc, 1)
    assert np.array_equal(r0.created, r0_again.created) and np.array_equal(
        r0.u["service"], r0_again.u["service"], equal_nan=True
    )
    assert len(r0) != len(r1) or not np.allclose(r0.created, r1.created)
    assert not np.allclose(r0.u["service"][: min(len(r0), len(r1))], r1.u["service"][: min(len(r0), len(r1))])


@pytest.mark.slow
def test_process_hash_seed_does_not_matter(tmp_path):
    """Results do not depend on Python's per-process string hashing (set iteration order)."""

    def call(k):
        out = tmp_path / f"h{k}"
        p = subprocess.run(
            [
                sys.executable,
                "-c",
                (
                    "import sim, sys; r = sim.run(sim.load_scenario(overrides=['horizon_days=4', 'warmup_days=0']));"
                    "r.appeals.to_csv(sys.argv[1], index=False)"
                ),
                str(out),
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PYTHONHASHSEED": str(k + 1)},
        )
        assert p.returncode == 0, p.stderr
        return out.read_bytes()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outs = list(pool.map(call, range(2)))
    assert len(outs[0]) > 1000
    assert outs[0] == outs[1]


@pytest.mark.slow
def test_a_second_run_into_the_folder_leaves_nothing_of_the_first(tmp_path):
    out = tmp_path / "run"
    first = _gridsim("run", "--days", "15", "--seed", "1", "--out", str(out), "--quiet")
    assert first.returncode == 0, first.stderr
    assert (out / "report.html").exists() and list(out.glob("*.png"))
    (out / ".summary.csv.abc.tmp").write_text("left by a killed run")
    second = _gridsim("run", "--days", "15", "--seed", "2", "--no-plots", "--out", str(out), "--quiet")
    assert second.returncode == 0, second.stderr
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["complete"] is True and prov["seed"] == 2
    assert sorted(p.name for p in out.iterdir()) == sorted(prov["files"])  # no report.html, no plots, no temp
