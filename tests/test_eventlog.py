"""Event logs out: they change nothing, agree with the records, and process-mining tools read them."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from sim import eventlog
from sim.simulation import run
from sim.scenario import load_scenario

SHORT = ["horizon_days=12", "warmup_days=0"]
REOPENS = ["siloed.feedback.enabled=true", "merged.feedback.reopen_trip=true", "siloed.feedback.reopen_trip=true"]


@pytest.fixture(scope="module")
def logged():
    sc = load_scenario(overrides=SHORT + REOPENS)
    return sc, run(sc, events=True)


def test_asking_for_an_event_log_changes_no_result(logged):
    sc, res = logged
    plain = run(sc)
    assert res.appeals.equals(plain.appeals)
    assert res.summary.equals(plain.summary)


def test_every_case_is_one_appeal_in_time_order(logged):
    _, res = logged
    log = res.events
    assert log["case:concept:name"].nunique() == len(res.appeals)
    assert (log.groupby("case:concept:name", observed=True)["concept:name"].first() == "issue arises").all()
    hours = log.groupby("case:concept:name", observed=True, sort=False)["time:hours"]
    assert (hours.diff().fillna(0) >= 0).all()
    assert set(log["concept:name"]) <= set(eventlog.ACTIVITIES)


def test_the_events_agree_with_the_records(logged):
    _, res = logged
    log, a = res.events, res.appeals.copy()
    a["case"] = a["model"] + "-" + a["replication"].astype(str) + "-" + a["issue"].astype(str)
    a = a.set_index("case")
    done = log[log["lifecycle:transition"] == "complete"]
    by = done.groupby(["case:concept:name", "concept:name"], observed=True)["time:hours"]
    count, last, first = by.size().unstack(fill_value=0), by.max().unstack(), by.min().unstack()
    count, last, first = (x.reindex(a.index) for x in (count, last, first))
    assert (count["resolution"] == a["reopened"] + (a["state"] == "resolved")).all()
    assert (count["gave up"] == (a["state"] == "abandoned")).all()
    assert a["reopened"].sum() > 0 and (a["state"] == "abandoned").sum() > 0  # both are tried
    for col, field in (
        ("issue arises", "created"),
        ("filed", "filed"),
        ("response", "first_response"),
        ("gave up", "abandoned"),
    ):
        assert np.allclose(first[col], a[field], equal_nan=True), col
    resolved = a["state"] == "resolved"
    assert np.allclose(last.loc[resolved, "resolution"], a.loc[resolved, "resolved"])
    assert (count.loc[a["bounces"] > 0, "bounce"] == a.loc[a["bounces"] > 0, "bounces"]).all()


def test_work_starts_and_completes_in_pairs(logged):
    _, res = logged
    work = res.events[res.events["concept:name"].isin(["department work", "intake", "triage", "assessment"])]
    n = (
        work.groupby(["case:concept:name", "concept:name", "org:resource", "lifecycle:transition"], observed=True)
        .size()
        .unstack(fill_value=0)
    )
    open_ = n["start"] - n["complete"]
    assert open_.isin([0, 1]).all()  # a part still under way at the horizon has no complete yet
    assert (open_ == 0).mean() > 0.95


def test_a_scenario_with_a_start_date_gives_real_dates():
    sc = load_scenario(overrides=["horizon_days=3", "warmup_days=0", "start_date=2024-02-09"])
    log = run(sc, models=["siloed"], events=True).events
    assert log["time:timestamp"].min() >= pd.Timestamp("2024-02-09")
    first = log.iloc[0]
    exact = pd.Timestamp("2024-02-09") + pd.Timedelta(hours=first["time:hours"])
    assert abs(first["time:timestamp"] - exact) <= pd.Timedelta(milliseconds=0.5)  # kept to the millisecond


@pytest.fixture(scope="module")
def written(logged, tmp_path_factory):
    _, res = logged
    out = tmp_path_factory.mktemp("events")
    eventlog.write(res.events, lambda name, w: w(str(out / name)))
    return res.events, out


def _pm4py():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py
    return pm4py


@pytest.mark.slow
def test_pm4py_reads_the_xes_file_with_every_event(written):
    log, out = written
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a hint that a faster optional reader exists
        back = _pm4py().read_xes(str(out / "events.xes.gz"), show_progress_bar=False)
    assert len(back) == len(log)
    assert back["case:concept:name"].nunique() == log["case:concept:name"].nunique()
    assert (
        back["concept:name"].value_counts().sort_index() == log["concept:name"].astype(str).value_counts().sort_index()
    ).all()
    assert set(back["case:model"]) == {"siloed", "merged"}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["parquet", "csv.gz"])
def test_pm4py_discovers_the_same_process_map_as_ours(written, fmt):
    log, out = written
    pm4py = _pm4py()
    path = out / f"events.{fmt}"
    df = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path, parse_dates=["time:timestamp"])
    for model, expected in (
        ("siloed", {"bounce", "escalation", "referral", "department work"}),
        ("merged", {"triage", "on-the-spot work", "closing", "feedback call"}),
    ):
        part = df[(df["case:model"] == model) & (df["lifecycle:transition"] == "complete")]
        part = pm4py.format_dataframe(
            part, case_id="case:concept:name", activity_key="concept:name", timestamp_key="time:timestamp"
        )
        dfg, starts, ends = pm4py.discover_dfg(part)
        assert set(starts) == {"issue arises"}
        assert expected <= {a for edge in dfg for a in edge}
        ours = eventlog.process_map(log[log["case:model"] == model])
        inner = ours[(ours["source"] != "▶") & (ours["target"] != "■")]
        assert dict(zip(zip(inner["source"], inner["target"]), inner["transitions"])) == dict(dfg)
        assert dict(
            zip(ours.loc[ours["target"] == "■", "source"], ours.loc[ours["target"] == "■", "transitions"])
        ) == dict(ends)


@pytest.mark.slow
def test_the_process_maps_are_mermaid_charts(written):
    _, out = written
    text = (out / "events-process-map.md").read_text(encoding="utf-8")
    assert text.count("```mermaid") == 2 and "flowchart TD" in text and "-->|" in text


def _gridsim(*args):
    return subprocess.run(
        [sys.executable, "-m", "sim", *args, "--set", "warmup_days=0", "--quiet"], capture_output=True, text=True
    )


@pytest.mark.slow
def test_cli_writes_event_logs_for_run_compare_and_city(tmp_path):
    r = _gridsim("run", "--days", "3", "--no-plots", "--event-log", "--out", str(tmp_path / "run"))
    assert r.returncode == 0, r.stderr
    assert {p.name for p in (tmp_path / "run").glob("events*")} == {
        "events.csv.gz",
        "events.parquet",
        "events.xes.gz",
        "events-process-map.md",
    }
    r = _gridsim(
        "compare", "--days", "3", "--reps", "2", "--workers", "1", "--event-log", "--out", str(tmp_path / "cmp")
    )
    assert r.returncode == 0, r.stderr
    assert {p.name for p in (tmp_path / "cmp" / "events").glob("*.parquet")} == {"rep-000.parquet", "rep-001.parquet"}
    reps = pd.read_parquet(tmp_path / "cmp" / "events" / "rep-001.parquet")
    assert set(reps["case:replication"]) == {1}
    r = _gridsim(
        "run",
        "--days",
        "2",
        "--no-plots",
        "--event-log",
        "--set",
        "city={streets: {small: {count: 2}}}",
        "--out",
        str(tmp_path / "city"),
    )
    assert r.returncode == 0, r.stderr
    streets = {p.name for p in (tmp_path / "city" / "events").glob("*.parquet")}
    assert streets == {"small-001.parquet", "small-002.parquet"}
    one = pd.read_parquet(tmp_path / "city" / "events" / "small-002.parquet")
    assert set(one["case:street"]) == {"small-002"}
