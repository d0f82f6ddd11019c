"""Calibrating from an event log: the round trip recovers a known street, and real event logs read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import eventlog
from sim.calibrate import calibrate, read_log
from sim.calibrate.build import bootstrap, parameters
from sim.simulation import run
from sim.scenario import build_scenario, load_scenario

DATA = Path(__file__).parent / "data"
Z = stats.norm.ppf(0.975)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The known street of tests/data/roundtrip.yaml, simulated, with its event log in every format."""
    truth = load_scenario(DATA / "roundtrip.yaml")
    out = tmp_path_factory.mktemp("roundtrip")
    eventlog.write(run(truth, events=True).events, lambda name, w: w(str(out / name)))
    return truth, out


@pytest.mark.slow
def test_the_round_trip_recovers_arrivals_work_times_and_headcounts(exported):
    truth, out = exported
    log = read_log(out / "events.parquet")
    assert log.format == "eventlog" and log.work is not None and len(log.work) > 1000
    cal = calibrate(log)
    sc = cal.scenario
    # arrivals: a Poisson count over the fit window, its 95% interval around the true rate
    days = (cal.window[1] - cal.window[0]).total_seconds() / 86400.0
    rate = truth.groups["citizens"].arrivals_per_day
    assert abs(sc.groups["citizens"].arrivals_per_day - rate) <= Z * np.sqrt(rate * days) / days
    # work time: each department's mean within its estimate's 95% interval, from the spells themselves
    for dept, cat in (("alpha", "a"), ("beta", "b")):
        spells = log.work.loc[log.work["department"] == dept, "hours"].to_numpy()
        true_mean = truth.categories[cat].service[dept].mean_value
        fitted = sc.categories[cat].service[dept].mean_value
        assert abs(fitted - spells.mean()) <= 0.05 * spells.std(ddof=1) / np.sqrt(len(spells))  # fit ≈ sample
        assert abs(fitted - true_mean) <= Z * spells.std(ddof=1) / np.sqrt(len(spells)), dept
        # headcount: the most at work at once, a lower bound, reached by these busy departments
        assert sc.departments[dept].headcount == truth.departments[dept].headcount
    assert any("lower bound" in f for f in cal.flags)


def test_xes_csv_and_parquet_logs_calibrate_alike(exported):
    _, out = exported
    fits = [
        parameters(calibrate(read_log(out / f"events{suffix}")).scenario)
        for suffix in (".parquet", ".csv.gz", ".xes.gz")
    ]
    for other in fits[1:]:
        assert other.keys() == fits[0].keys()
        assert np.allclose([other[k] for k in fits[0]], list(fits[0].values()), rtol=1e-6)


@pytest.mark.slow
def test_the_bootstrap_refits_work_times_from_resampled_spells(exported):
    _, out = exported
    log = read_log(out / "events.parquet")
    spread = bootstrap(log, 8, seed=3).set_index("parameter")
    mean = spread.loc["categories.b.service.beta.mean"]
    spells = log.work.loc[log.work["department"] == "beta", "hours"]
    se = spells.std(ddof=1) / np.sqrt(len(spells))
    assert mean["n"] == 8 and 0.3 * se < mean["bootstrap_sd"] < 3 * se  # about the standard error


def test_a_gridsim_log_of_both_models_keeps_the_status_quo(tmp_path):
    sc = load_scenario(overrides=["horizon_days=6", "warmup_days=0"])
    log = run(sc, events=True).events
    log.to_parquet(tmp_path / "both.parquet")
    read = read_log(tmp_path / "both.parquet")
    assert len(read.table) == (log["case:model"] == "siloed").groupby(log["case:concept:name"]).any().sum()
    assert read.table["id"].str.startswith("siloed-").all()
    assert any("other models" in what and n > 0 for what, n in read.quality)


def test_the_wabo_permit_log_reads_one_row_per_case():
    raw = pd.read_csv(DATA / "logs" / "wabo_receipt.csv.gz", dtype=str)
    log = read_log(DATA / "logs" / "wabo_receipt.csv.gz")
    assert log.format == "eventlog" and len(log.table) == raw["case:concept:name"].nunique()
    assert len(log.work) == 0  # complete events only: no spells of work, time to close is fitted
    channel = raw.groupby("case:concept:name")["case:channel"].first()
    assert (log.table["channel"] == "online").sum() == channel.isin(["Internet", "e-mail"]).sum()
    assert (log.table["channel"] == "in_person").sum() == (channel == "Desk").sum()
    last = pd.to_datetime(raw["time:timestamp"].str[:23]).groupby(raw["case:concept:name"]).max()
    assert (log.table.set_index("id")["closed"] == last.reindex(log.table["id"]).to_numpy()).all()
    cal = calibrate(log)
    assert set(cal.scenario.departments) == {"general", "customer_contact", "experts"}


def _gridsim(*args):
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True)


@pytest.mark.slow
def test_cli_calibrates_from_an_xes_file_and_refuses_a_table_that_is_not_an_event_log(exported, tmp_path):
    _, out = exported
    r = _gridsim("calibrate", str(out / "events.xes.gz"), "--out", str(tmp_path / "cal"), "--quiet")
    assert r.returncode == 0, r.stderr
    assert load_scenario(tmp_path / "cal" / "scenario.yaml").departments["beta"].headcount == 5
    r = _gridsim(
        "calibrate", str(DATA / "logs" / "nyc311_2011.csv.gz"), "--format", "eventlog", "--out", str(tmp_path / "no")
    )
    assert r.returncode == 2 and "case:concept:name" in r.stderr and "Traceback" not in r.stderr
    bad = tmp_path / "bad.xes"
    bad.write_text("<log><trace><event>", encoding="utf-8")
    r = _gridsim("calibrate", str(bad), "--out", str(tmp_path / "bad"))
    assert r.returncode == 2 and "not a readable XES file" in r.stderr
    assert not (tmp_path / "bad").exists()


def test_replayed_arrivals_check_the_service_side_out_of_sample(exported):
    """Fit on 40 days of the known street's log (spells of work), check on the 20 after with its own arrivals."""
    from sim.calibrate.check import check_fit

    _, out = exported
    log = read_log(out / "events.parquet")
    start = log.table["created"].min().normalize()
    split = start + pd.Timedelta(days=40)
    cal = calibrate(log, (start, split))
    fc = check_fit(
        cal.scenario,
        log,
        (split, log.table["created"].max() + pd.Timedelta(seconds=1)),
        reps=6,
        tail_days=3,
        replay=True,
    )
    t = fc.table.set_index(["what", "level"])
    arrivals = t.loc[("arrivals in the window", "all")]
    assert arrivals["observed"] == arrivals["simulated"] == arrivals["prediction_lo"]  # the log's own requests
    for dept in ("alpha", "beta"):
        for what in ("time to close p50 (h)", "time to close p90 (h)"):
            row = t.loc[(what, dept)]
            assert row["prediction_lo"] <= row["observed"] <= row["prediction_hi"], (dept, what)


@pytest.mark.slow
def test_compare_carries_the_calibration_uncertainty(exported, tmp_path):
    from sim.calibrate.build import bootstrap_draws
    from sim.calibrate.uncertainty import read_draws, scenario_for

    _, out = exported
    log = read_log(out / "events.parquet")
    sc = calibrate(log).scenario
    draws = bootstrap_draws(log, 4, seed=1)
    draws.to_csv(tmp_path / "bootstrap.csv", index=False)
    ratios = read_draws(tmp_path / "bootstrap.csv")
    assert len(ratios) == 4
    key = "groups.citizens.arrivals_per_day"
    for r in range(4):
        varied = scenario_for(sc, ratios.iloc[r])
        expect = sc.groups["citizens"].arrivals_per_day * draws[key].iloc[r + 1] / draws[key].iloc[0]
        assert varied.groups["citizens"].arrivals_per_day == pytest.approx(expect)
        assert varied.categories["b"].service["beta"].mean_value == pytest.approx(
            draws["categories.b.service.beta.mean"].iloc[r + 1], rel=1e-3
        )
    scen = tmp_path / "cal.yaml"
    scen.write_text(sc.to_yaml(), encoding="utf-8")
    r = _gridsim(
        "compare",
        str(scen),
        "--reps",
        "4",
        "--workers",
        "1",
        "--days",
        "10",
        "--calibration-uncertainty",
        str(tmp_path / "bootstrap.csv"),
        "--out",
        str(tmp_path / "cmp"),
    )
    assert r.returncode == 0, r.stderr
    assert "calibration uncertainty" in r.stdout
    reps = pd.read_csv(tmp_path / "cmp" / "replications.csv")
    issues = reps[(reps["metric"] == "issues") & (reps["model"] == "siloed")]["value"]
    assert issues.nunique() == 4
    raw = sc.to_dict()
    raw["groups"] = {"people": raw["groups"].pop("citizens")}  # a scenario the draws do not fit
    other = build_scenario(raw, "renamed")
    scen.write_text(other.to_yaml(), encoding="utf-8")
    r = _gridsim(
        "compare",
        str(scen),
        "--reps",
        "2",
        "--calibration-uncertainty",
        str(tmp_path / "bootstrap.csv"),
        "--out",
        str(tmp_path / "bad"),
    )
    assert r.returncode == 2 and "bootstrap.csv" in r.stderr and "groups.citizens" in r.stderr
    assert not (tmp_path / "bad").exists()


def test_dropping_arrivals_after_the_check_window_changes_no_figure(exported, monkeypatch):
    """One department a category, first come first served: later arrivals cannot delay the window's requests."""
    from sim.calibrate.check import check_fit
    from sim.issues import IssueStream, generate_issues

    truth, out = exported
    whole = generate_issues(truth)
    part = whole.before(500.0)
    k = len(part)
    assert 0 < k < len(whole) and (whole.created[k - 1] < 500.0 <= whole.created[k])
    assert all((part.u[n] == whole.u[n][:k]).all() for n in whole.u) and (part.category == whole.category[:k]).all()
    log = read_log(out / "events.parquet")
    start = log.table["created"].min().normalize()
    cal = calibrate(log, (start, start + pd.Timedelta(days=30)))
    window = (start + pd.Timedelta(days=30), start + pd.Timedelta(days=40))
    cut = check_fit(cal.scenario, log, window, reps=2, tail_days=10).table
    monkeypatch.setattr(IssueStream, "before", lambda self, t: self)
    full = check_fit(cal.scenario, log, window, reps=2, tail_days=10).table
    pd.testing.assert_frame_equal(cut.drop(columns="reps"), full.drop(columns="reps"))
