"""Replications and paired comparisons (sim/experiment.py) and the compare/warmup commands."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.experiment import experiment, mean_ci, paired_stats, precision_gaps, run_replications, welch

SHORT = ["horizon_days=10", "warmup_days=0"]


def test_paired_stats_match_scipy():
    rng = np.random.default_rng(3)
    x = rng.normal(10, 1, 25)
    y = 0.8 * x + rng.normal(0, 0.3, 25)
    s = paired_stats(x, y, "lower", 0.95)
    t = stats.ttest_rel(y, x)
    lo, hi = t.confidence_interval(0.95)
    assert s["diff"] == pytest.approx(np.mean(y - x))
    assert (s["diff_lo"], s["diff_hi"]) == pytest.approx((lo, hi))
    assert s["p_value"] == pytest.approx(t.pvalue)
    assert s["ratio"] == pytest.approx(y.mean() / x.mean())
    assert s["ratio_lo"] < s["ratio"] < s["ratio_hi"]
    assert s["share_better"] == pytest.approx(np.mean(y < x))


def test_delta_method_ratio_interval_covers():
    """The delta-method ratio interval covers the true ratio of means at about its level."""
    rng = np.random.default_rng(7)
    hits, trials = 0, 400
    for _ in range(trials):
        x = rng.gamma(4.0, 2.5, 30)  # mean 10
        y = 0.7 * x + rng.normal(0, 1.0, 30)  # true ratio of means 0.7
        s = paired_stats(x, y, "lower", 0.95)
        hits += s["ratio_lo"] <= 0.7 <= s["ratio_hi"]
    # binomial 99.9% band around 0.95 for 400 trials
    assert stats.binom.ppf(0.0005, trials, 0.95) <= hits <= stats.binom.ppf(0.9995, trials, 0.95)


def test_mean_ci_matches_t_interval():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    m, lo, hi = mean_ci(x, 0.95)
    ref = stats.t.interval(0.95, 3, loc=x.mean(), scale=stats.sem(x))
    assert (lo, hi) == pytest.approx(ref)


@pytest.mark.slow
def test_results_do_not_depend_on_workers():
    sc = sim.load_scenario(overrides=SHORT)
    one = run_replications(sc, range(4), workers=1)
    two = run_replications(sc, range(4), workers=2)
    pd.testing.assert_frame_equal(one, two)
    # replications are independent draws: not all equal
    v = one[(one["metric"] == "resolution_time_p50") & (one["model"] == "siloed")]["value"]
    assert v.nunique() == 4


@pytest.mark.slow
def test_comparison_rows_and_bonferroni():
    sc = sim.load_scenario(
        overrides=SHORT
        + [
            "variants.no_meeting={policy: merged, set: {merged.joint_meeting.enabled: false}}",
            "models=[siloed, merged, no_meeting]",
        ]
    )
    exp = experiment(sc, reps=4, workers=2)
    comp = exp.comparison
    assert set(comp["model"]) == {"merged", "no_meeting"}
    assert (comp["baseline"] == "siloed").all()
    assert comp["ci_level"].iloc[0] == pytest.approx(1 - 0.05 / 2)
    assert any("Bonferroni" in n for n in exp.notes)
    # the variant differs from merged only in joint meetings: an appeal resolved under both made the same
    # trips (the same draws), while hard cases took different times
    a = sim.run(sc, models=["merged", "no_meeting"]).appeals
    m, v = (a[(a.model == k) & (a.state == "resolved")].set_index("issue") for k in ("merged", "no_meeting"))
    both = m.index.intersection(v.index)
    assert len(both) > 100 and (m.loc[both, "trips"] == v.loc[both, "trips"]).all()
    hard = both[m.loc[both, "hard"].to_numpy()]
    assert (m.loc[hard, "resolved"] != v.loc[hard, "resolved"]).any()


@pytest.mark.slow
def test_auto_reps_stops_at_precision_or_cap():
    sc = sim.load_scenario(overrides=SHORT)
    loose = experiment(sc, reps="auto", precision=5.0, abs_precision=0.5, min_reps=3, max_reps=6, workers=2)
    assert loose.reached and loose.n_reps == 3
    tight = experiment(sc, reps="auto", precision=1e-6, abs_precision=1e-9, min_reps=3, max_reps=5, workers=2)
    assert not tight.reached and tight.n_reps == 5
    assert any("cap of 5" in n for n in tight.notes)


def test_precision_targets_are_relative_for_times_absolute_for_rates():
    reps = pd.DataFrame(
        {
            "replication": [0, 1, 2, 0, 1, 2],
            "model": ["m"] * 6,
            "metric": ["resolution_time_p50"] * 3 + ["response_rate"] * 3,
            "value": [10.0, 11.0, 12.0, 0.5, 0.6, 0.7],
        }
    )
    g = precision_gaps(reps, 0.05, 0.01).set_index("metric")
    assert g.loc["resolution_time_p50", "target"] == pytest.approx(0.05 * 11.0)
    assert g.loc["response_rate", "target"] == pytest.approx(0.01)


@pytest.mark.slow
def test_warmup_excludes_early_appeals_from_metrics_only():
    base = sim.load_scenario(overrides=SHORT)
    warm = sim.load_scenario(overrides=SHORT + ["warmup_days=5"])
    rb, rw = sim.run(base), sim.run(warm)
    # same simulation, same records (conservation counts every issue) ...
    pd.testing.assert_frame_equal(rb.appeals, rw.appeals)
    # ... but metrics only from issues arising after the warm-up
    late = rb.appeals[(rb.appeals["created"] >= 120) & (rb.appeals["model"] == "siloed")]
    s = rw.summary.set_index(["model", "dimension", "metric"])["value"]
    assert s[("siloed", "all", "issues")] == len(late)
    assert s[("siloed", "all", "issues")] < (rb.appeals["model"] == "siloed").sum()


def test_welch_series_shape():
    sc = sim.load_scenario(overrides=SHORT)
    w = welch(sc, reps=2, window=3, workers=1)
    assert set(w["model"]) == {"siloed", "merged"}
    assert w.groupby("model")["day"].nunique().eq(10).all()
    assert w["backlog_ma"].notna().all()


@pytest.mark.slow
def test_compare_cli_writes_folder(gridsim_cli, tmp_path):
    out = tmp_path / "cmp"
    p = gridsim_cli(
        "compare", "--reps", "3", "--days", "7", "--set", "warmup_days=0", "--workers", "2", "--out", str(out)
    )
    assert p.returncode == 0, p.stderr
    assert "ratio" in p.stdout and "merged" in p.stdout
    for name in (
        "replications.csv",
        "comparison.csv",
        "precision.csv",
        "forest.png",
        "report.md",
        "scenario.yaml",
        "provenance.json",
    ):
        assert (out / name).exists(), name
    comp = pd.read_csv(out / "comparison.csv")
    for col in (
        "metric",
        "baseline_mean",
        "baseline_lo",
        "baseline_hi",
        "model_mean",
        "model_lo",
        "model_hi",
        "diff",
        "diff_lo",
        "diff_hi",
        "ratio",
        "ratio_lo",
        "ratio_hi",
        "share_better",
    ):
        assert col in comp.columns
    reps = pd.read_csv(out / "replications.csv")
    assert set(reps["replication"]) == {0, 1, 2}
    assert json.loads((out / "provenance.json").read_text())["replications"] == 3
    # each office's waits with intervals, from the replications' own per-office rows
    offices = pd.read_csv(out / "offices.csv")
    assert set(offices["measure"]) == {"mean_wait_h", "share_waited", "utilisation"}
    assert {"dept:police", "station:north", "line:police:north"} <= set(offices["office"])
    row = offices[(offices.model == "siloed") & (offices.office == "dept:police") & (offices.measure == "mean_wait_h")]
    raw = reps.loc[(reps.model == "siloed") & (reps.metric == "mean_wait_h@dept:police"), "value"]
    assert len(raw) == 3 and row["mean"].iloc[0] == pytest.approx(raw.mean())
    assert row["lo"].iloc[0] <= row["mean"].iloc[0] <= row["hi"].iloc[0]


@pytest.mark.slow
def test_compare_cli_rejects_bad_reps(gridsim_cli, tmp_path):
    p = gridsim_cli("compare", "--reps", "one", "--out", str(tmp_path / "x"))
    assert p.returncode == 2 and "--reps" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("sizes", [(5, 8, 3), (50, 80, 30)])
def test_stratified_interval_covers_the_mix_mean_at_its_level(sizes):
    """Strata of different means and spreads (streets of different kinds): the 95% interval covers
    the count-weighted mean of the strata in 95% of cities, within the binomial 99.9% band of 4,000."""
    from sim.experiment import stratified_mean_ci

    rng = np.random.default_rng(20261125)
    means, sds = (1.0, 4.0, -2.0), (1.0, 3.0, 0.5)
    strata = np.repeat(["a", "b", "c"], sizes)
    true = np.dot(sizes, means) / sum(sizes)
    n = 4000
    hits = 0
    for _ in range(n):
        x = np.concatenate([rng.normal(m, s, k) for m, s, k in zip(means, sds, sizes)])
        _, lo, hi = stratified_mean_ci(x, strata, 0.95)
        hits += lo <= true <= hi
    band = 3.29 * math.sqrt(0.95 * 0.05 / n)
    assert abs(hits / n - 0.95) <= band, hits / n


def test_stratified_interval_needs_two_units_a_stratum():
    from sim.experiment import stratified_mean_ci

    m, lo, hi = stratified_mean_ci(np.array([1.0, 2.0, 5.0, np.nan]), np.array(["a", "a", "b", "b"]), 0.95)
    assert m == pytest.approx(8 / 3) and np.isnan(lo) and np.isnan(hi)  # b has one unit once NaN is dropped
