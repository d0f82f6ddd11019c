"""Real dates: a start date moves the week, calendars close public holidays, categories have resolution deadlines."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import simpy
from conftest import make_scenario

import sim
from sim.issues import generate_issues
from sim.metrics import deadlines, measures
from sim.scenario import ScenarioError, load_scenario
from sim.world import World


def test_a_start_date_moves_the_week():
    sc = load_scenario(overrides=["start_date=2024-03-06"])  # a Wednesday
    office = World(sc, "siloed").office("dept", "police").calendar
    assert office.is_open(10.0)  # Wednesday 10:00
    assert not office.is_open(3 * 24 + 10.0)  # Saturday
    assert office.is_open(5 * 24 + 10.0)  # Monday


def test_shipped_holidays_close_offices_and_open_make_up_days():
    sc = load_scenario(overrides=["start_date=2024-02-05", "calendars.office.holidays=[cn-2024]"])
    office = World(sc, "siloed").office("dept", "police").calendar
    day = {d: (date(2024, 2, d) - date(2024, 2, 5)).days * 24.0 for d in range(5, 20)}
    assert office.is_open(day[9] + 10)  # Friday before the Spring Festival
    assert not any(office.is_open(day[d] + 10) for d in range(10, 18))  # 10-17 Feb closed
    assert office.is_open(day[18] + 10)  # Sunday 18 Feb is worked (调休)
    grid = World(sc, "merged").office("station", "north").calendar
    assert grid.is_open(day[12] + 10)  # the grid's own calendar lists no holidays


def test_unquoted_yaml_dates_and_own_dates(tmp_path):
    path = tmp_path / "s.yaml"
    raw = load_scenario().to_dict()
    raw["start_date"] = "2024-04-29"
    raw["calendars"]["office"]["holidays"] = ["2024-05-01"]
    import yaml

    text = yaml.safe_dump(raw, allow_unicode=True).replace("'2024-05-01'", "2024-05-01")
    path.write_text(text, encoding="utf-8")
    sc = load_scenario(path)
    cal = World(sc, "siloed").office("dept", "police").calendar
    assert cal.is_open(24 + 10.0) and not cal.is_open(2 * 24 + 10.0)  # Tuesday open, Wednesday 1 May closed


@pytest.mark.parametrize(
    "overrides, field",
    [
        (["calendars.office.holidays=[2024-05-01]"], "calendars.office.holidays"),  # no start date
        (["start_date=2024-01-01", "calendars.office.holidays=[cn-2023]"], "holidays"),  # not a shipped list
        (["start_date=2024-01-01", "calendars.office.workdays=[soon]"], "workdays"),
    ],
)
def test_bad_dates_are_clear_errors(overrides, field):
    with pytest.raises(ScenarioError) as e:
        load_scenario(overrides=overrides)
    assert field in str(e.value)


def test_weekday_profile_follows_the_start_date():
    one_day = "[1, 0, 0, 0, 0, 0, 0]"  # Mondays only
    sc = make_scenario("start_date=2024-03-06", "horizon_days=21", f"groups.residents.weekday_profile={one_day}")
    days = np.unique((generate_issues(sc).created // 24).astype(int))
    assert set(days) <= {5, 12, 19} and len(days) == 3  # the Mondays after a Wednesday start


def test_the_joint_meeting_keeps_its_weekday():
    from sim.governance.merged import JointMeetings

    sc = load_scenario(overrides=["start_date=2024-03-06"])  # Wednesday; meetings on weekday 2 = Wednesday
    m = JointMeetings(simpy.Environment(), sc.merged.joint_meeting, [], [], 2)
    assert m.time_of(0) == sc.merged.joint_meeting.hour and m.time_of(1) == 7 * 24 + m.time_of(0)


def test_resolution_deadline_share_and_dated_outputs():
    sc = load_scenario(
        overrides=[
            "horizon_days=20",
            "warmup_days=4",
            "start_date=2024-03-04",
            "categories.parking.resolution_deadline_hours=48",
        ]
    )
    res = sim.run(sc, models=["siloed"])
    a = res.appeals
    hours = (a["created_at"] - pd.Timestamp("2024-03-04")).dt.total_seconds() / 3600
    assert (hours - a["created"]).abs().max() < 1e-3  # to the second
    assert a["resolved_at"].isna().equals(a["resolved"].isna())
    kept = a[a["created"] >= 4 * 24]
    p = kept[(kept["category"] == "parking") & kept["filed"].notna()]
    expected = ((p["first_resolved"] - p["filed"]) <= 48).mean()
    s = res.summary.set_index(["metric", "dimension", "level"])["value"]
    assert s[("resolved_in_time_rate", "all", "all")] == pytest.approx(expected)
    assert 0 < expected < 1
    respond_by, resolve_by = deadlines(sc, kept)
    m = measures(kept, respond_by, sc.horizon, resolve_by)
    assert m["resolved_in_time"].notna().sum() == len(p)  # the other categories have no deadline
