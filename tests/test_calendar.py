"""Calendar semantics (办公时间): opening, next opening, work pausing at closing, open time.

Clock: hours, t = 0 is Monday 00:00 (domain.md, "Semantics to implement").
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.calendar import ALWAYS, WEEK, Calendar, DatedCalendar

DAY = 24.0
MON, TUE, WED, THU, FRI, SAT, SUN = (d * DAY for d in range(7))

OFFICE = Calendar(weekdays=(0, 1, 2, 3, 4), hours=((9, 17),))
LUNCH = Calendar(weekdays=(0, 1, 2, 3, 4), hours=((9, 12), (13.5, 17.5)))  # the default office hours


# ------------------------------------------------------------------ is_open


@pytest.mark.parametrize(
    "t, expected",
    [
        (MON + 9.0, True),  # opening instant is open
        (MON + 8.99, False),
        (MON + 12.0, True),
        (MON + 16.99, True),
        (MON + 17.0, False),  # closing instant is closed
        (MON + 23.0, False),
        (FRI + 10.0, True),
        (SAT + 10.0, False),  # weekend
        (SUN + 10.0, False),
        (WEEK + MON + 10.0, True),  # the pattern repeats weekly
        (3 * WEEK + SAT + 10.0, False),
    ],
)
def test_is_open_office(t, expected):
    assert OFFICE.is_open(t) is expected


def test_is_open_lunch_break():
    assert LUNCH.is_open(TUE + 11.99)
    assert not LUNCH.is_open(TUE + 12.0)
    assert not LUNCH.is_open(TUE + 13.0)
    assert LUNCH.is_open(TUE + 13.5)
    assert LUNCH.is_open(TUE + 17.25)
    assert not LUNCH.is_open(TUE + 17.5)


# ------------------------------------------------------------------ next_open


@pytest.mark.parametrize(
    "t, expected",
    [
        (MON + 10.0, MON + 10.0),  # already open: now
        (MON + 9.0, MON + 9.0),
        (MON + 3.0, MON + 9.0),  # early morning: today's opening
        (MON + 17.0, TUE + 9.0),  # at closing: tomorrow
        (MON + 17.5, TUE + 9.0),  # the docstring's example: 33.0
        (THU + 23.0, FRI + 9.0),
        (FRI + 17.0, WEEK + MON + 9.0),  # Friday evening -> Monday
        (SAT + 12.0, WEEK + MON + 9.0),
        (SUN + 23.99, WEEK + MON + 9.0),
        (2 * WEEK + SAT, 3 * WEEK + MON + 9.0),
    ],
)
def test_next_open_across_nights_and_weekends(t, expected):
    assert OFFICE.next_open(t) == pytest.approx(expected)


def test_next_open_lunch_break():
    assert LUNCH.next_open(WED + 12.25) == pytest.approx(WED + 13.5)
    assert LUNCH.next_open(WED + 17.5) == pytest.approx(THU + 9.0)
    assert LUNCH.next_open(FRI + 18.0) == pytest.approx(WEEK + 9.0)


# ------------------------------------------------------------------ finish


def test_finish_spec_example_pauses_overnight():
    # domain.md: a 2 h job started 16:00, closing 17:00, opening 09:00 next day, ends at 10:00.
    assert OFFICE.finish(MON + 16.0, 2.0) == pytest.approx(TUE + 10.0)


def test_finish_friday_afternoon_runs_into_monday():
    assert OFFICE.finish(FRI + 16.0, 2.0) == pytest.approx(WEEK + MON + 10.0)


def test_finish_within_opening_hours_is_plain_addition():
    assert OFFICE.finish(WED + 10.0, 3.0) == pytest.approx(WED + 13.0)


def test_finish_ending_exactly_at_closing_does_not_jump_to_next_opening():
    assert OFFICE.finish(MON + 15.0, 2.0) == pytest.approx(MON + 17.0)
    # a full week of work from Monday's opening ends at Friday's closing
    assert OFFICE.finish(MON + 9.0, 40.0) == pytest.approx(FRI + 17.0)


def test_finish_started_while_closed_waits_for_opening():
    assert OFFICE.finish(MON + 20.0, 1.0) == pytest.approx(TUE + 10.0)
    assert OFFICE.finish(SAT + 8.0, 0.5) == pytest.approx(WEEK + MON + 9.5)


def test_finish_of_zero_work_is_next_opening():
    assert OFFICE.finish(MON + 12.0, 0.0) == pytest.approx(MON + 12.0)
    assert OFFICE.finish(SAT, 0.0) == pytest.approx(WEEK + MON + 9.0)


def test_finish_spanning_several_days_and_a_weekend():
    # Thursday 15:00 + 20 open hours: Thu 2 h, Fri 8 h, Mon 8 h, Tue 2 h -> Tuesday 11:00
    assert OFFICE.finish(THU + 15.0, 20.0) == pytest.approx(WEEK + TUE + 11.0)


def test_finish_pauses_over_lunch():
    # 11:00 + 2 h: 1 h until noon, lunch 12:00-13:30, 1 h more -> 14:30
    assert LUNCH.finish(MON + 11.0, 2.0) == pytest.approx(MON + 14.5)
    # 17:00 + 1 h: 0.5 h until 17:30, then tomorrow 09:00 + 0.5 h
    assert LUNCH.finish(MON + 17.0, 1.0) == pytest.approx(TUE + 9.5)


def test_add_open_equals_finish():
    assert OFFICE.add_open(MON + 16.0, 2.0) == OFFICE.finish(MON + 16.0, 2.0)


# ------------------------------------------------------------------ open_between


@pytest.mark.parametrize(
    "t0, t1, expected",
    [
        (MON + 16.0, TUE + 10.0, 2.0),
        (MON, WEEK, 40.0),  # 5 days x 8 h
        (MON, 2 * WEEK, 80.0),
        (SAT, SUN + DAY, 0.0),  # weekend
        (FRI + 16.0, WEEK + MON + 10.0, 2.0),
        (MON + 10.0, MON + 10.0, 0.0),
        (MON + 12.0, MON + 10.0, 0.0),  # reversed interval: zero
        (MON + 18.0, TUE + 8.0, 0.0),  # night
    ],
)
def test_open_between_office(t0, t1, expected):
    assert OFFICE.open_between(t0, t1) == pytest.approx(expected)


def test_open_between_with_lunch_break():
    assert LUNCH.open_between(MON + 11.0, MON + 14.0) == pytest.approx(1.0 + 0.5)
    assert LUNCH.open_between(MON, TUE) == pytest.approx(3.0 + 4.0)
    assert LUNCH.open_hours_per_week == pytest.approx(5 * 7.0)


def test_open_hours_per_week():
    assert OFFICE.open_hours_per_week == pytest.approx(40.0)
    assert ALWAYS.open_hours_per_week == pytest.approx(WEEK)


# ------------------------------------------------------------------ always open


def test_always_open_calendar():
    assert ALWAYS.always
    for t in (0.0, 3.5, SAT + 23.9, 5 * WEEK + 17.0):
        assert ALWAYS.is_open(t)
        assert ALWAYS.next_open(t) == t
        assert ALWAYS.finish(t, 2.5) == pytest.approx(t + 2.5)
        assert ALWAYS.open_between(t, t + 7.0) == pytest.approx(7.0)


def test_split_day_covering_every_hour_is_always_open():
    cal = Calendar(weekdays=range(7), hours=((0, 12), (12, 24)))
    assert cal.always
    assert cal.finish(FRI + 23.0, 50.0) == pytest.approx(FRI + 73.0)
    assert not OFFICE.always and not LUNCH.always


def test_night_shift_across_midnight_and_week_boundary():
    # Open Sunday 22:00-24:00 and Monday 00:00-02:00 (one shift across the week's end)
    cal = Calendar(weekdays=(0, 6), hours=((0, 2), (22, 24)))
    assert cal.is_open(SUN + 23.0) and cal.is_open(WEEK + 1.0)
    assert cal.finish(SUN + 23.0, 2.0) == pytest.approx(WEEK + 1.0)
    assert cal.open_between(SUN + 23.0, WEEK + 1.0) == pytest.approx(2.0)


# ------------------------------------------------------------------ properties


@st.composite
def calendars(draw):
    days = draw(st.sets(st.integers(0, 6), min_size=1, max_size=7))
    cuts = draw(st.lists(st.integers(0, 48), min_size=2, max_size=8, unique=True))
    cuts = sorted(c / 2.0 for c in cuts)  # half-hour breakpoints in [0, 24]
    if len(cuts) % 2:
        cuts = cuts[:-1]
    hours = tuple((cuts[k], cuts[k + 1]) for k in range(0, len(cuts), 2))
    return Calendar(weekdays=tuple(days), hours=hours)


def _hours(draw):
    cuts = sorted(c / 2.0 for c in draw(st.lists(st.integers(0, 48), min_size=0, max_size=6, unique=True)))
    cuts = cuts[: len(cuts) // 2 * 2]
    return tuple((cuts[k], cuts[k + 1]) for k in range(0, len(cuts), 2))


@st.composite
def dated_calendars(draw):
    """A weekly calendar on real dates: any start weekday, holidays and other special days in the first 6 weeks."""
    days = draw(st.lists(st.integers(0, 44), max_size=8, unique=True))
    special = {d: (() if draw(st.booleans()) else _hours(draw)) for d in days}
    return DatedCalendar(draw(calendars()), draw(st.integers(0, 6)), special)


CAL = st.one_of(st.just(OFFICE), st.just(LUNCH), st.just(ALWAYS), calendars(), dated_calendars())
TIME = st.floats(min_value=0.0, max_value=6 * WEEK, allow_nan=False, allow_infinity=False)
# Work is zero or at least a micro-hour: below the clock's float resolution "work" is meaningless.
WORK = st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=300.0, allow_nan=False, allow_infinity=False))


@settings(max_examples=300, deadline=None)
@given(cal=CAL, t=TIME, w=WORK)
def test_finish_is_after_start_and_takes_exactly_the_work(cal, t, w):
    end = cal.finish(t, w)
    assert end >= t
    assert cal.open_between(t, end) == pytest.approx(w, abs=1e-6)
    if w > 0:
        assert end > t
        # a job ends while open or exactly at a closing time, never inside a closed stretch
        assert cal.is_open(end - 1e-7) or math.isclose(cal.open_between(t, end - 1e-7), w, abs_tol=1e-6)


@settings(max_examples=300, deadline=None)
@given(cal=CAL, t=TIME, w1=WORK, w2=WORK)
def test_finish_is_monotone_in_work(cal, t, w1, w2):
    lo, hi = sorted((w1, w2))
    assert cal.finish(t, lo) <= cal.finish(t, hi) + 1e-9


@settings(max_examples=200, deadline=None)
@given(cal=CAL, t=TIME)
def test_next_open_is_open_and_nothing_open_before_it(cal, t):
    nxt = cal.next_open(t)
    assert nxt >= t
    assert cal.is_open(nxt)
    assert cal.open_between(t, nxt) == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(cal=CAL, t0=TIME, a=WORK, b=WORK)
def test_open_between_is_additive(cal, t0, a, b):
    t1, t2 = t0 + a, t0 + a + b
    assert cal.open_between(t0, t2) == pytest.approx(cal.open_between(t0, t1) + cal.open_between(t1, t2), abs=1e-6)
    assert 0.0 <= cal.open_between(t0, t1) <= (t1 - t0) + 1e-9


@settings(max_examples=60, deadline=None)
@given(cal=dated_calendars())
def test_dated_open_time_is_the_integral_of_is_open(cal):
    """Breakpoints fall on half hours, so the midpoint rule on a quarter-hour grid is exact."""
    grid = [0.125 + 0.25 * k for k in range(int(7 * WEEK / 0.25))]
    total = 0.0
    for k, t in enumerate(grid):
        total += 0.25 * cal.is_open(t)
        if k % 97 == 0:  # check the running integral at many points
            assert cal.open_between(0.0, t + 0.125) == pytest.approx(total, abs=1e-9)


def test_dated_calendar_shifts_the_week_and_closes_holidays():
    week = Calendar(weekdays=(0, 1, 2, 3, 4), hours=((9, 17),))
    cal = DatedCalendar(week, start_weekday=5, special={2: (), 7: ((9, 17),)})  # starts Saturday
    assert not cal.is_open(10.0)  # Saturday
    assert not cal.is_open(2 * DAY + 10)  # Monday, a holiday
    assert cal.is_open(3 * DAY + 10)  # Tuesday
    assert cal.is_open(7 * DAY + 10)  # the next Saturday: a make-up working day (调休)
    assert cal.next_open(0.0) == 3 * DAY + 9  # past the weekend and the holiday
    assert cal.finish(6 * DAY + 16, 2.0) == 7 * DAY + 10  # Friday 16:00 + 2 h: Saturday is worked
    assert cal.open_between(0.0, 14 * DAY) == 10 * 8.0  # two weeks: 10 weekdays, less Monday, plus Saturday


@pytest.mark.parametrize("t", [5e-324, 1e-300, 7 * WEEK + 1e-12])
def test_dated_calendar_never_answers_before_the_time_asked(t):
    """Shifting by the start's weekday rounds a tiny time away: the answers are clamped to it (found by hypothesis)."""
    cal = DatedCalendar(Calendar(weekdays=(0, 1, 2, 3, 4, 5, 6), hours=((0, 24),)), 3, {9: ()})
    assert cal.next_open(t) >= t and cal.finish(t, 1e-6) >= t
