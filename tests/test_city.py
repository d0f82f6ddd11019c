"""City runs: streaming metrics against the exact ones, shards against one run, the CLI."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from sim.city import run_city, shard_streets
from sim.metrics import by_street, summarise
from sim.simulation import run
from sim.scenario import load_scenario
from sim.tally import EDGES, Tally, hist_quantile

KEY = ["model", "metric", "dimension", "level"]
ALL_DIMS = {"all": None, "group": "group", "category": "category", "area": "area"}
CITY = "city={streets: {a: {count: 3}, b: {count: 2, set: {groups.residents.arrivals_per_day: 30}}}}"


@pytest.fixture(scope="module")
def street_run():
    sc = load_scenario(overrides=["horizon_days=40"])
    return sc, run(sc)


@pytest.fixture(scope="module")
def small_city():
    return load_scenario(overrides=["horizon_days=8", "warmup_days=0", CITY])


@pytest.mark.slow
def test_streamed_metrics_equal_the_exact_ones(street_run):
    """Counts, rates and means exactly; quantiles within a bin: 1% relative, or EDGES[1] h near zero."""
    sc, res = street_run
    exact = summarise(res.appeals, sc).set_index(KEY).sort_index()
    streamed = Tally.from_appeals(res.appeals, sc, ALL_DIMS).summary().set_index(KEY).sort_index()
    assert exact.index.equals(streamed.index)
    assert (exact["n"] == streamed["n"]).all()
    metric = exact.index.get_level_values("metric")
    quantile = metric.str.contains(r"_p\d\d$") & ~metric.str.contains("_cif_")
    cif = metric.str.contains("_cif_")
    e, s = exact["value"], streamed["value"]
    assert (e[~cif].isna() == s[~cif].isna()).all()
    np.testing.assert_allclose(s[~quantile & ~cif].dropna(), e[~quantile & ~cif].dropna(), rtol=1e-9, atol=1e-12)
    _check_cif_quantiles(sc, res.appeals, s[cif])
    err = (s[quantile] - e[quantile]).abs().dropna()
    bound = 0.01 * e[quantile].abs().dropna() + EDGES[1]
    assert (err <= bound).all(), err[err > bound]
    assert quantile.sum() > 100  # the check covered many quantiles


def _check_cif_quantiles(sc, appeals, streamed):
    """A streamed censored quantile (life table over 1% bins) is within a bin of the exact one, or a time at
    which the exact Aalen–Johansen estimate is within half a point of q, or two of its steps in a small slice
    (in a flat stretch of the CIF the time itself is ill-determined; its sampling error is far larger)."""
    from sim.metrics import CIF_QUANTILES, end_events, measures
    from sim.survival import cif_quantile, cumulative_incidence

    deadlines = {k: c.response_deadline_hours for k, c in sc.categories.items()}
    a = appeals[appeals["created"] >= sc.warmup_days * 24.0]
    TOL = 0.005
    checked = 0
    for (model, metric, dim, level), t in streamed.items():
        part = a[a["model"] == model]
        if dim != "all":
            part = part[part[dim] == level]
        ends = end_events(measures(part, part["category"].map(deadlines).to_numpy(dtype=float), sc.horizon))
        times, cif = cumulative_incidence(*ends)
        q = CIF_QUANTILES[metric.rsplit("_", 1)[1]]
        if np.isnan(t):
            assert cif[-1] < q + TOL, (model, metric, dim, level)
            continue
        before = cif[np.searchsorted(times, t, side="left") - 1] if t > times[0] else 0.0  # CIF(t-)
        after = cif[np.searchsorted(times, t, side="right") - 1] if t >= times[0] else 0.0  # CIF(t)
        exact_t = cif_quantile(*ends, q)
        within_a_bin = abs(t - exact_t) <= 0.01 * exact_t + EDGES[1]
        tol = max(TOL, 2.0 / len(ends[0]))  # or two steps of a small slice's CIF (each 1/n high)
        assert within_a_bin or (before <= q + tol and after >= q - tol), (model, metric, dim, level, t, exact_t)
        checked += 1
    assert checked > 50


@pytest.mark.slow
def test_tallies_merge_to_the_tally_of_the_whole(street_run):
    sc, res = street_run
    a = res.appeals
    whole = Tally.from_appeals(a, sc, ALL_DIMS)
    parts = [Tally.from_appeals(a[a["area"] == area], sc, ALL_DIMS) for area in sc.areas]
    merged = parts[0]
    for p in parts[1:]:
        merged.merge(p)
    assert whole.data.keys() == merged.data.keys()
    for key, d in whole.data.items():
        m = merged.data[key]
        assert (d["issues"], d["filed"], d["cond_n"]) == (m["issues"], m["filed"], m["cond_n"])
        for t in d["hist"]:
            assert np.array_equal(d["hist"][t], m["hist"][t])
            assert d["time_sum"][t] == pytest.approx(m["time_sum"][t], rel=1e-12)


def test_hist_quantile_against_numpy_on_known_data():
    rng = np.random.default_rng(3)
    x = rng.lognormal(2.0, 1.0, 5000)
    counts = np.bincount(np.searchsorted(EDGES, x, side="right") - 1, minlength=len(EDGES))
    for q in (0.01, 0.5, 0.9, 0.99):
        exact = np.percentile(x, 100 * q)
        assert abs(hist_quantile(counts, q) - exact) <= 0.01 * exact
    assert np.isnan(hist_quantile(np.zeros(len(EDGES), dtype=np.int64), 0.5))


def test_shard_streets_keeps_order_and_covers_all():
    parts = shard_streets(list(range(10)), 3)
    assert [x for p in parts for x in p] == list(range(10))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert shard_streets([1, 2], 5) == [[1], [2]]


@pytest.mark.slow
def test_sharded_runs_give_the_same_tables_as_one_run(small_city):
    one = run_city(small_city)
    for kwargs in ({"shards": 3, "workers": 2}, {"shards": 2, "workers": 2, "scheduler": "local"}):
        other = run_city(small_city, **kwargs)
        for table in ("summary", "utilisation", "backlog", "staffing"):
            pd.testing.assert_frame_equal(getattr(one, table), getattr(other, table), check_exact=True)
        assert other.issues == one.issues


@pytest.mark.slow
def test_city_streets_are_numbered_and_seeded_like_single_streets(small_city):
    """Street 0 of a city is the scenario's own street with street seed 0, i.e. a plain run."""
    res = run_city(small_city)
    assert res.streets == ["a-001", "a-002", "a-003", "b-001", "b-002"]
    plain_sc = load_scenario(overrides=["horizon_days=8", "warmup_days=0"])
    plain = Tally.from_appeals(run(plain_sc).appeals, plain_sc, {"all": None}).summary()
    first = res.summary[(res.summary["dimension"] == "street") & (res.summary["level"] == "a-001")]
    pd.testing.assert_frame_equal(
        plain.drop(columns=["dimension", "level"]).reset_index(drop=True),
        first.drop(columns=["dimension", "level"]).reset_index(drop=True),
    )
    per_street = res.summary.query("metric == 'issues' and dimension == 'street'")
    assert per_street.groupby("model")["value"].sum().to_dict() == {m: float(n) for m, n in res.issues.items()}
    # the b streets have more residents: more issues than the a streets on average
    v = per_street[per_street["model"] == "merged"].set_index("level")["value"]
    assert v.filter(like="b-").mean() > v.filter(like="a-").mean()


@pytest.mark.slow
def test_city_headcount_is_equal_across_models_and_streets(small_city):
    res = run_city(small_city)
    per = res.staffing.groupby(["street", "model"])["headcount"].sum().unstack()
    assert (per["merged"] == per["siloed"]).all() and len(per) == 5


@pytest.mark.slow
def test_gridsim_run_on_a_city(gridsim_cli, tmp_path):
    out = tmp_path / "city"
    p = gridsim_cli(
        "run", "--days", "5", "--set", "warmup_days=0", "--set", CITY, "--out", str(out), "--workers", "2", "--appeals"
    )
    assert p.returncode == 0, p.stderr
    assert "5 streets" in p.stdout
    for name in (
        "summary.csv",
        "comparison.csv",
        "utilisation.csv",
        "backlog.csv",
        "staffing.csv",
        "street_differences.csv",
        "report.md",
        "provenance.json",
        "scenario.yaml",
    ):
        assert (out / name).stat().st_size > 0
    prov = json.loads((out / "provenance.json").read_text())
    files = sorted(f.name for f in (out / "appeals").iterdir())
    assert files == [f"{s}.csv.gz" for s in ("a-001", "a-002", "a-003", "b-001", "b-002")]
    rows = sum(len(pd.read_csv(gzip.open(out / "appeals" / f))) for f in files)
    assert rows == sum(prov["issues_per_model"].values())
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "Worst-served street" in report and "## How sure: street by street" in report
    assert "run replications for confidence" not in report  # a city run says how sure it is itself
    for name in ("streets.png", "rates.png", "backlog.png", "categories.png"):
        assert (out / name).stat().st_size > 5_000, name  # a drawn figure, not an empty canvas
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("<img") == 4 and "of 5 streets" in page and "<th>kind of street</th>" in page
    for kind, count in (("a", 3), ("b", 2)):
        assert f'<tr><th>{kind}</th><td class="num">{count}</td>' in page


@pytest.mark.slow
def test_streets_figure_draws_one_point_a_street_per_model(small_city):
    """Each street appears once per non-baseline model, at (baseline value, model value)."""
    from sim.plots import streets_figure

    res = run_city(small_city)
    fig = streets_figure(res.summary, "siloed")
    points = np.concatenate([c.get_offsets() for c in fig.axes[0].collections])
    wide = by_street(res.summary)
    assert len(points) == len(res.streets)
    expected = np.sort(wide[["siloed", "merged"]].to_numpy(), axis=0)
    assert np.allclose(np.sort(points, axis=0), expected)


@pytest.mark.slow
def test_street_differences_are_the_mean_street_difference_with_its_wins(small_city):
    """Per headline metric: the mean over streets of (merged - siloed), an interval around it, the wins."""
    from sim.city import street_differences
    from sim.metrics import HEADLINE

    res = run_city(small_city)
    diffs = street_differences(res.summary, "siloed").set_index("metric")
    assert set(diffs.index) == set(HEADLINE) and (diffs["model"] == "merged").all()
    for metric, row in diffs.iterrows():
        d = (by_street(res.summary, metric)["merged"] - by_street(res.summary, metric)["siloed"]).dropna()
        assert row["streets"] == len(d) and row["diff"] == pytest.approx(d.mean())
        wins = (d < 0) if HEADLINE[metric][0] == "lower" else (d > 0)
        assert row["share_better"] == pytest.approx(wins.mean())
        if d.std() > 0:  # two kinds of 3 and 2 streets: an interval around the mean
            assert row["diff_lo"] < row["diff"] < row["diff_hi"]
    assert street_differences(res.summary, "no-such-model").empty


@pytest.mark.slow
def test_city_without_appeals_flag_writes_no_records(gridsim_cli, tmp_path):
    out = tmp_path / "city"
    p = gridsim_cli(
        "run", "--days", "3", "--set", "warmup_days=0", "--set", CITY, "--out", str(out), "--quiet", "--no-plots"
    )
    assert p.returncode == 0, p.stderr
    assert not (out / "appeals").exists() and not (out / "appeals.csv").exists()
    assert not list(out.glob("*.png"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "override, expected",
    [
        ("city={streets: {x: {count: 2, set: {departments.nobody.headcount: 3}}}}", "city.streets.x"),
        ("city={streets: {x: {count: 0}}}", "city.streets.x.count"),
        ("city={streets: {x: {count: 1, set: {city: null}}}}", "a street cannot set city"),
        ("city={streets: {}}", "city.streets"),
    ],
)
def test_bad_city_blocks_are_reported(gridsim_cli, tmp_path, override, expected):
    p = gridsim_cli("run", "--set", override, "--out", str(tmp_path / "x"))
    assert p.returncode == 2
    assert expected in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
@pytest.mark.parametrize("command", ["compare", "warmup", "trace", "animate"])
def test_one_street_commands_refuse_a_city(gridsim_cli, tmp_path, command):
    """A city given to a command that simulates one street is bad input, not a quiet run of its base street."""
    p = gridsim_cli(command, "--set", CITY, "--out", str(tmp_path / "never"))
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert f"city: a city scenario (5 streets), but `gridsim {command}` simulates one street" in p.stderr
    assert "--set city=null" in p.stderr and not (tmp_path / "never").exists()


@pytest.mark.slow
def test_bad_worker_count_is_bad_input(gridsim_cli, tmp_path):
    p = gridsim_cli("run", "--set", CITY, "--workers", "0", "--out", str(tmp_path / "x"))
    assert p.returncode == 2 and "--workers" in p.stderr and not (tmp_path / "x").exists()


def test_a_street_where_no_issue_arose_still_has_its_rows():
    """A quiet street (its stream holds no issue) is in the city's street breakdown, with zero issues."""
    quiet = (
        "city={streets: {busy: {count: 2}, quiet: {count: 1, set: {groups.residents.arrivals_per_day: 0.001, "
        "groups.merchants.arrivals_per_day: 0.001, groups.gig_workers.arrivals_per_day: 0.001}}}}"
    )
    res = run_city(load_scenario(overrides=["horizon_days=2", "warmup_days=0", quiet]))
    issues = res.summary[(res.summary["dimension"] == "street") & (res.summary["metric"] == "issues")]
    by = issues.set_index(["model", "level"])["value"]
    assert by[("siloed", "quiet-001")] == 0 and by[("merged", "quiet-001")] == 0  # the precondition holds
    assert set(issues["level"]) == {"busy-001", "busy-002", "quiet-001"}
    assert by[("merged", "busy-001")] > 0
    assert np.isnan(by_street(res.summary).loc["quiet-001", "merged"])  # no time to report, not a missing street
