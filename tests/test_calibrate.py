"""gridsim calibrate: from a work-order log (LA and NYC 311, a 12345 export) to a scenario that runs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.calibrate import calibrate, read_log
from sim.calibrate.fit import arrival_profile, fit_duration
from sim.cli import main
from sim.scenario import load_scenario

LOGS = Path(__file__).with_name("data") / "logs"  # column slices of ../shared/data (see its README)
LA, NYC = LOGS / "la311_2017.csv.gz", LOGS / "nyc311_2011.csv.gz"


@pytest.fixture(scope="module")
def la():
    log = read_log(LA)
    return log, calibrate(log)


def test_la_quality_summary(la):
    log, _ = la
    q = dict(log.quality)
    assert log.format == "la311" and q["rows read"] == 9999  # the same counts from ../shared/data's file
    assert q["dropped: closed before created"] == 12  # bad rows are counted, never a crash
    assert q["kept: cancelled"] == 246 and q["kept: open"] == 5  # the README's counts
    assert q["kept: channel inspection"] == 2019  # Driver Self Report: the departments' own finds
    assert len(log.table) == 9999 - 12


def test_la_scenario_runs_and_keeps_the_mixes(la, tmp_path):
    log, cal = la
    sc = cal.scenario
    assert set(sc.groups) == {"citizens", "crews"} and set(sc.departments) == {"bos", "bsl", "ita", "ladwp", "ocb"}
    t = log.table[log.table.channel.isin(["in_person", "hotline", "online"])]
    assert sc.groups["citizens"].channel_mix["hotline"] == pytest.approx((t.channel == "hotline").mean(), abs=1e-5)
    assert sc.start_date.isoformat() == "2017-12-27" and cal.window[0] == log.table.created.min()
    assert sc.groups["citizens"].weekday_profile[0] == pytest.approx(np.mean(sc.groups["citizens"].weekday_profile[2:]))
    res = sim.run(sc.model_copy(update={"horizon_days": 2.0}), models=["siloed"])
    assert len(res.appeals) > 1000 and {"created_at", "resolved_at"} <= set(res.appeals.columns)


def test_arrivals_are_fitted_on_observed_hours_only():
    """A known rate by weekday and hour, observed Wednesday noon to Sunday: the fit recovers it within its
    Poisson interval and does not count the unobserved Monday and Tuesday as quiet."""
    rng = np.random.default_rng(4)
    week = np.array([1.0, 1.0, 1.5, 1.2, 1.0, 0.6, 0.7])
    hour = np.r_[np.full(8, 0.2), np.full(10, 2.0), np.full(6, 0.6)]
    hour, week = hour / hour.mean(), week / week.mean()
    per_day = 500.0
    start, end = pd.Timestamp("2024-01-03 12:00"), pd.Timestamp("2024-01-08 00:00")  # Wed noon to Mon 00:00
    times = []
    for h in pd.date_range(start, end, freq="h", inclusive="left"):
        n = rng.poisson(per_day / 24 * week[h.day_of_week] * hour[h.hour])
        times += list(h + pd.to_timedelta(rng.random(n), unit="h"))
    prof = arrival_profile(pd.Series(times), start, end)
    n = prof["n"]
    assert prof["unobserved_weekdays"] == [0, 1]
    observed = np.array([2, 3, 4, 5, 6])
    # the observed days' mean rate, whose Poisson standard error is rate / sqrt(n)
    truth = per_day * week[observed].mean()
    fitted = prof["arrivals_per_day"] * prof["weekday_profile"][observed].mean()
    assert abs(fitted - truth) < 3 * truth / math.sqrt(n)
    assert prof["observed"].sum() == pytest.approx(prof["expected"].sum())


@pytest.mark.slow
def test_censored_fit_recovers_a_mean_that_dropping_would_bias():
    """Lognormal times to close, a third still open at the end: the censored fit's mean is within 3 standard
    errors (over 20 seeds) of the truth, where dropping the open ones is far below it."""
    truth = math.exp(3.0 + 0.8**2 / 2)
    est, naive = [], []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        x = rng.lognormal(3.0, 0.8, 1500)
        seen = rng.uniform(0, 80, 1500)  # how long each request has been observed
        done = x <= seen
        est.append(fit_duration(x[done], seen[~done])["mean"])
        naive.append(x[done].mean())
    est = np.array(est)
    assert abs(est.mean() - truth) < 3 * est.std(ddof=1) / math.sqrt(len(est))
    assert np.mean(naive) < 0.7 * truth


@pytest.mark.slow
def test_round_trip_recovers_the_arrival_rate(tmp_path):
    """Simulate a street, write its appeals as a log (column map), calibrate, get the arrival rate back."""
    sc = load_scenario(overrides=["horizon_days=28", "warmup_days=0", "start_date=2024-03-04"])
    a = sim.run(sc, models=["siloed"]).appeals
    a = a[a.filed.notna()]
    first_dept = {k: c.departments[0] for k, c in sc.categories.items()}
    log = pd.DataFrame(
        {
            "no": a.issue,
            "made": a.created_at.dt.strftime("%Y-%m-%d %H:%M:%S"),
            "done": a.resolved_at.dt.strftime("%Y-%m-%d %H:%M:%S"),
            "unit": a.category.map(first_dept),
            "kind": a.category,
            "how": a.channel.map(
                {
                    "in_person": "Walk-in",
                    "hotline": "Call",
                    "online": "Mobile App",
                    "inspection": "Self Report",
                    "patrol": "Self Report",
                }
            ),
        }
    )
    path, cols = tmp_path / "log.csv", tmp_path / "cols.yaml"
    log.to_csv(path, index=False)
    cols.write_text("{id: no, created: made, closed: done, department: unit, category: kind, channel: how}\n")
    out = tmp_path / "cal"
    assert (
        main(
            [
                "calibrate",
                str(path),
                "--columns",
                str(cols),
                "--fit-window",
                "2024-03-04",
                "2024-04-01",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    fitted = load_scenario(out / "scenario.yaml")
    rate = sum(g.arrivals_per_day for g in fitted.groups.values())
    n = len(log)
    assert abs(rate - n / 28) < 3 * math.sqrt(n) / 28  # the Poisson interval of the count
    assert fitted.groups["citizens"].channel_mix["hotline"] == pytest.approx(
        (log.how == "Call").sum() / log.how.isin(["Walk-in", "Call", "Mobile App"]).sum(), abs=1e-5
    )


def test_a_12345_export_in_gb18030(tmp_path):
    path = tmp_path / "工单.csv"
    rows = [
        ("A1", "2024-05-06 09:10:00", "2024-05-07 10:00:00", "城管中队", "占道经营", "12345热线", "北片"),
        ("A2", "2024-05-06 10:20:00", "", "房管办", "物业维修", "网站", "南片"),
        ("A3", "不是日期", "", "房管办", "物业维修", "网站", "南片"),
    ]
    df = pd.DataFrame(
        rows, columns=["工单编号", "受理时间", "办结时间", "承办单位", "诉求类型", "来源渠道", "所属街道"]
    )
    df.to_csv(path, index=False, encoding="gb18030")
    log = read_log(path)
    assert log.format == "12345" and len(log.table) == 2
    assert dict(log.quality)["dropped: created date missing or unreadable"] == 1
    assert list(log.table.channel) == ["hotline", "online"] and list(log.table.status) == ["closed", "open"]


def test_a_12345_export_as_an_excel_workbook(tmp_path):
    """12345 exports come as .xlsx with real date cells: read as the CSV export is; a broken workbook is exit 2."""
    path = tmp_path / "工单.xlsx"
    df = pd.DataFrame(
        {
            "工单编号": ["B1", "B2", "B3"],
            "受理时间": pd.to_datetime(["2024-05-06 09:10", "2024-05-06 10:20", None]),
            "办结时间": pd.to_datetime(["2024-05-07 10:00", None, None]),
            "承办单位": ["城管中队", "房管办", "房管办"],
            "诉求类型": ["占道经营", "物业维修", "物业维修"],
            "来源渠道": ["12345热线", "网站", "来访"],
            "所属街道": ["北片", "南片", "南片"],
        }
    )
    df.to_excel(path, index=False)
    log = read_log(path)
    assert log.format == "12345" and len(log.table) == 2
    assert dict(log.quality)["dropped: created date missing or unreadable"] == 1
    assert log.table["created"].tolist() == [pd.Timestamp("2024-05-06 09:10"), pd.Timestamp("2024-05-06 10:20")]
    assert list(log.table.status) == ["closed", "open"] and list(log.table.channel) == ["hotline", "online"]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    assert main(["calibrate", str(broken), "--out", str(tmp_path / "no")]) == 2
    assert not (tmp_path / "no").exists()


@pytest.mark.slow
def test_work_calendars_by_department(tmp_path):
    """One department on a weekday calendar, the others always open; a department the log lacks is exit 2."""
    weekdays = {"weekdays": [0, 1, 2, 3, 4], "hours": [[7, 17]], "holidays": ["us-federal-2017"]}
    log = read_log(LA)
    one = calibrate(log, work_calendar={"BOS": weekdays}).scenario
    assert one.departments["bos"].calendar == "work_bos" and one.calendars["work_bos"].weekdays == [0, 1, 2, 3, 4]
    assert {d.calendar for k, d in one.departments.items() if k != "bos"} == {"always"}
    every = calibrate(log, work_calendar=weekdays).scenario
    assert {d.calendar for d in every.departments.values()} == {"work"}
    # BOS's time to close is fitted in its open hours: the same as with one calendar for all
    assert one.categories["bulky_items"].service["bos"].mean_value == pytest.approx(
        every.categories["bulky_items"].service["bos"].mean_value
    )
    assert (
        main(["calibrate", str(LA), "--work-calendar", "{XYZ: {hours: [[7, 17]]}}", "--out", str(tmp_path / "no")]) == 2
    )
    assert main(["calibrate", str(LA), "--work-calendar", "[1, 2]", "--out", str(tmp_path / "no")]) == 2
    assert not (tmp_path / "no").exists()


def test_outputs_hold_no_personal_data(tmp_path):
    """A log with names, phones, addresses and free text: none of it reaches the results folder."""
    log = pd.read_csv(LA, dtype=str, nrows=600)
    log["Address"], log["Phone"] = "2111 W BELLEVUE AVE, 90026", "213-555-0142"
    log["CDMember"], log["Comment"] = "Mitch O'Farrell", "my neighbour Mr Wang leaves his sofa out"
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    out = tmp_path / "la"
    assert main(["calibrate", str(path), "--quiet", "--out", str(out)]) == 0
    assert {"scenario.yaml", "quality.csv", "fits.csv", "calibration.html", "provenance.json"} <= {
        p.name for p in out.iterdir()
    }
    text = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    for private in ("BELLEVUE", "90026", "555-0142", "O'Farrell", "Wang"):
        assert private not in text
    load_scenario(out / "scenario.yaml")  # runs as it is


def test_nyc_due_dates_become_resolution_deadlines():
    cal = calibrate(read_log(NYC))
    with_deadline = [c for c in cal.scenario.categories.values() if c.resolution_deadline_hours]
    assert len(with_deadline) > 20
    fits = cal.fits[cal.fits.pooled].set_index("department")
    assert fits.loc["DOHMH", "n_stale"] > 0  # open for years: left out, and said so
    assert fits.loc["NYPD", "mean"] < fits.loc["DOT", "mean"]  # NYPD closes in hours, DOT in days


OTHER = Path(__file__).with_name("data") / "not_a_log.csv"


@pytest.mark.parametrize(
    "argv, field",
    [
        (["calibrate", "/nonexistent/log.csv"], "no such file"),
        (["calibrate", str(OTHER), "--format", "la311"], "missing the columns"),
        (["calibrate", str(OTHER)], "no preset matches"),
        (["calibrate", str(LA), "--fit-window", "2018-01-02", "2018-01-01"], "--fit-window"),
        (["calibrate", str(LA), "--format", "paris311"], "--format"),
    ],
)
def test_bad_logs_are_clear_errors(argv, field, tmp_path, capsys):
    assert main(argv + ["--out", str(tmp_path / "x")]) == 2
    assert field in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_check_fit_judges_the_log_against_the_simulation(tmp_path):
    """A street simulated, exported as a log, calibrated on its first three weeks and checked on the fourth:
    the check finds the log inside the simulation's prediction intervals (it is the same process)."""
    from sim.calibrate.check import check_fit

    sc = load_scenario(
        overrides=[
            "horizon_days=35",
            "warmup_days=0",
            "start_date=2024-03-04",
            "groups.merchants.arrivals_per_day=0",
            "groups.gig_workers.arrivals_per_day=0",
        ]
    )
    a = sim.run(sc, models=["siloed"]).appeals
    a = a[a.filed.notna()]
    first_dept = {k: c.departments[0] for k, c in sc.categories.items()}
    path = tmp_path / "log.csv"
    pd.DataFrame(
        {
            "no": a.issue,
            "made": a.filed_at,
            "done": a.resolved_at,
            "unit": a.category.map(first_dept),
            "kind": a.category,
            "how": "Call",
        }
    ).to_csv(path, index=False)
    cols = {"id": "no", "created": "made", "closed": "done", "department": "unit", "category": "kind", "channel": "how"}
    log = read_log(path, columns=cols)
    cal = calibrate(log, (pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-25")))
    fc = check_fit(cal.scenario, log, (pd.Timestamp("2024-03-25"), pd.Timestamp("2024-04-01")), reps=4, tail_days=7)
    t = fc.table.set_index(["what", "level"])
    total = t.loc[("arrivals in the window", "all")]
    assert total["prediction_lo"] <= total["observed"] <= total["prediction_hi"]
    hours = fc.table[fc.table.what == "arrivals by hour of day"]
    assert hours["inside"].mean() >= 0.75
    assert {"time to close p50 (h)", "KS distance, log vs simulated time to close"} <= set(fc.table.what)
    out = tmp_path / "fit"
    scen = tmp_path / "cal.yaml"
    scen.write_text(cal.scenario.to_yaml(), encoding="utf-8")
    cols_file = tmp_path / "cols.yaml"
    cols_file.write_text(str(cols).replace("'", ""), encoding="utf-8")
    assert (
        main(
            [
                "check-fit",
                str(scen),
                "--log",
                str(path),
                "--columns",
                str(cols_file),
                "--reps",
                "2",
                "--tail-days",
                "3",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )  # the window after the fit window
    assert {"fit.csv", "fit.html", "provenance.json"} <= {p.name for p in out.iterdir()}


@pytest.mark.slow
def test_a_work_calendar_fits_times_to_close_in_open_hours():
    """Fitted in a weekday calendar's open hours, a department's work is shorter than its elapsed time to close,
    and the scenario puts the department on that calendar with its holidays."""
    log = read_log(LA)
    window = (pd.Timestamp("2017-12-27 13:36:22"), pd.Timestamp("2017-12-30"))
    plain = calibrate(log, window)
    spec = {"weekdays": [0, 1, 2, 3, 4], "hours": [[7, 17]], "holidays": ["us-federal-2017", "us-federal-2018"]}
    worked = calibrate(log, window, work_calendar=spec)
    assert worked.scenario.departments["bos"].calendar == "work"
    assert worked.scenario.calendars["work"].holidays == spec["holidays"]
    m = {c.scenario.categories["bulky_items"].service["bos"].mean_value for c in (plain, worked)}
    assert (
        plain.scenario.categories["bulky_items"].service["bos"].mean_value
        > 2 * worked.scenario.categories["bulky_items"].service["bos"].mean_value
        and len(m) == 2
    )


@pytest.mark.slow
def test_bootstrap_spread_matches_poisson_counting(tmp_path):
    """The bootstrap spread of an arrival rate is the Poisson one (sd ≈ rate / √n), within what 40 refits allow."""
    from sim.calibrate.build import bootstrap

    log = read_log(NYC)
    window = (pd.Timestamp("2011-03-01"), pd.Timestamp("2011-03-03"))  # the two days the subset covers densely
    spread = bootstrap(log, 40, window).set_index("parameter")
    row = spread.loc["groups.citizens.arrivals_per_day"]
    n = int(((log.table.created >= window[0]) & (log.table.created < window[1])).sum())
    expected = row["estimate"] / math.sqrt(n)
    # the sample sd of 40 draws is within ±35% of the true sd with probability > 0.99 (chi-square, 39 df)
    assert 0.65 * expected < row["bootstrap_sd"] < 1.35 * expected
    assert row["lo_2.5%"] < row["estimate"] < row["hi_97.5%"]
    assert (spread["n"] <= 40).all() and spread.filter(like="service", axis=0)["n"].gt(0).all()
