"""Opening hours (办公时间): when a resource is open, and how open time adds up.

The clock is in hours and ``t = 0`` is a Monday 00:00, unless the scenario gives a
start date (then :class:`DatedCalendar` shifts the week and closes public holidays).
A :class:`Calendar` is a weekly pattern of open intervals.  Work measured in *open hours* pauses while a
resource is closed and resumes when it opens again:

>>> office = Calendar(weekdays=[0, 1, 2, 3, 4], hours=[(9, 17)])
>>> office.is_open(10.0), office.is_open(18.0)
(True, False)
>>> office.finish(16.0, 2.0)      # a 2 h job started Monday 16:00 ends Tuesday 10:00
34.0
>>> office.next_open(17.5)        # Monday 17:30 -> Tuesday 09:00
33.0
>>> office.open_between(16.0, 34.0)
2.0
>>> ALWAYS.finish(5.0, 3.0)
8.0
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

WEEK = 168.0


@dataclass(frozen=True)
class Calendar:
    """A weekly opening pattern: the same ``hours`` on each day in ``weekdays``.

    ``weekdays`` are 0 = Monday … 6 = Sunday; ``hours`` a list of ``(open, close)``
    pairs in hours of the day, ``0 <= open < close <= 24``, not overlapping.
    """

    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    hours: tuple[tuple[float, float], ...] = ((0.0, 24.0),)
    _starts: list[float] = field(init=False, repr=False, compare=False)
    _ends: list[float] = field(init=False, repr=False, compare=False)
    _cum: list[float] = field(init=False, repr=False, compare=False)
    always: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "weekdays", tuple(sorted(set(self.weekdays))))
        object.__setattr__(self, "hours", tuple(sorted(tuple(map(float, h)) for h in self.hours)))
        # Weekly intervals, merged where one day's close meets the next day's open.
        raw = [(d * 24 + a, d * 24 + b) for d in self.weekdays for a, b in self.hours]
        merged: list[list[float]] = []
        for a, b in sorted(raw):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        if not merged:
            raise ValueError("a calendar must be open at some time in the week")
        starts = [a for a, _ in merged]
        ends = [b for _, b in merged]
        cum = [0.0]
        for a, b in merged:
            cum.append(cum[-1] + (b - a))
        object.__setattr__(self, "_starts", starts)
        object.__setattr__(self, "_ends", ends)
        object.__setattr__(self, "_cum", cum)
        object.__setattr__(self, "always", starts == [0.0] and ends == [WEEK])

    @property
    def open_hours_per_week(self) -> float:
        """Open hours in one week."""
        return self._cum[-1]

    def is_open(self, t: float) -> bool:
        """Whether the resource is open at time ``t``."""
        if self.always:
            return True
        w = t % WEEK
        i = bisect.bisect_right(self._starts, w) - 1
        return i >= 0 and w < self._ends[i]

    def next_open(self, t: float) -> float:
        """The first time ``>= t`` at which the resource is open."""
        if self.always:
            return t
        base = t - (t % WEEK)
        w = t - base
        i = bisect.bisect_right(self._starts, w) - 1
        if i >= 0 and w < self._ends[i]:
            return t
        if i + 1 < len(self._starts):
            return base + self._starts[i + 1]
        return base + WEEK + self._starts[0]

    def _open_before(self, t: float) -> float:
        """Open hours in ``[0, t)``: a monotone clock that only runs while open."""
        weeks, w = divmod(t, WEEK)
        i = bisect.bisect_right(self._starts, w) - 1
        within = 0.0 if i < 0 else self._cum[i] + min(w, self._ends[i]) - self._starts[i]
        return weeks * self._cum[-1] + within

    def open_between(self, t0: float, t1: float) -> float:
        """Open hours between ``t0`` and ``t1`` (zero if ``t1 <= t0``)."""
        if t1 <= t0:
            return 0.0
        if self.always:
            return t1 - t0
        return self._open_before(t1) - self._open_before(t0)

    def finish(self, t: float, work: float) -> float:
        """When ``work`` open hours, started at ``t``, are done (pausing while closed)."""
        if self.always:
            return t + work
        if work <= 0:
            return self.next_open(t)
        w = t % WEEK
        i = bisect.bisect_right(self._starts, w) - 1
        if i >= 0 and w + work <= self._ends[i]:  # the common case: done before this opening closes
            return t + work
        target = self._open_before(t) + work
        per_week = self._cum[-1]
        weeks, rem = divmod(target, per_week)
        if rem == 0.0 and weeks > 0:  # ends exactly at a week's last closing
            weeks, rem = weeks - 1, per_week
        i = bisect.bisect_left(self._cum, rem) - 1
        i = max(i, 0)
        return max(t, weeks * WEEK + self._starts[i] + (rem - self._cum[i]))

    def add_open(self, t: float, hours: float) -> float:
        """The time by which ``hours`` of open time have passed since ``t``."""
        return self.finish(t, hours)


ALWAYS = Calendar()


class DatedCalendar:
    """A :class:`Calendar` on real dates: ``t = 0`` is 00:00 of a day whose weekday is ``start_weekday``,
    and some days (``special``, by day number from ``t = 0``) keep other hours: ``()`` for a public
    holiday, the weekly ``hours`` for a working day that falls on a weekend (调休).

    The weekly pattern's arithmetic is used wherever no special day lies in the way, so a calendar
    with a few holidays costs about what a weekly one does.

    >>> week = Calendar(weekdays=[0, 1, 2, 3, 4], hours=[(9, 17)])
    >>> cal = DatedCalendar(week, start_weekday=2, special={1: ()})   # starts on a Wednesday; Thursday off
    >>> cal.is_open(10.0), cal.is_open(34.0), cal.is_open(58.0)
    (True, False, True)
    >>> cal.finish(16.0, 2.0)      # Wednesday 16:00 + 2 h: Thursday is a holiday, so Friday 10:00
    58.0
    >>> cal.open_between(0.0, 72.0)
    16.0
    """

    def __init__(self, week: Calendar, start_weekday: int = 0, special: dict[int, tuple] | None = None):
        self.week, self.shift = week, 24.0 * start_weekday
        self.special = {int(d): tuple(tuple(map(float, h)) for h in hs) for d, hs in sorted((special or {}).items())}
        self.days = list(self.special)
        self.always = week.always and not self.special
        # cum[k]: open hours the special days before days[k] add (or take) against the weekly pattern
        self.cum = [0.0]
        for d in self.days:
            self.cum.append(self.cum[-1] + self._day_hours(d) - self._week_between(d * 24.0, d * 24.0 + 24.0))

    @property
    def open_hours_per_week(self) -> float:
        return self.week.open_hours_per_week

    # the weekly pattern, shifted to the start's weekday
    def _week_between(self, t0: float, t1: float) -> float:
        return self.week.open_between(t0 + self.shift, t1 + self.shift)

    def _day_hours(self, d: int) -> float:
        return sum(b - a for a, b in self.special[d])

    def _special_in(self, t0: float, t1: float) -> bool:
        """Whether a special day overlaps ``[t0, t1]``."""
        k = bisect.bisect_left(self.days, int(t0 // 24))
        return k < len(self.days) and self.days[k] * 24.0 <= t1

    def is_open(self, t: float) -> bool:
        d = int(t // 24)
        if d in self.special:
            h = t - 24.0 * d
            return any(a <= h < b for a, b in self.special[d])
        return self.week.is_open(t + self.shift)

    def _open_before(self, t: float) -> float:
        """Open hours in ``[0, t)``."""
        d = int(t // 24)
        k = bisect.bisect_left(self.days, d)
        out = self.week._open_before(t + self.shift) - self.week._open_before(self.shift) + self.cum[k]
        if k < len(self.days) and self.days[k] == d:  # inside a special day: its own hours so far
            h = t - 24.0 * d
            out += sum(max(0.0, min(b, h) - a) for a, b in self.special[d]) - self._week_between(24.0 * d, t)
        return out

    def open_between(self, t0: float, t1: float) -> float:
        if t1 <= t0:
            return 0.0
        if self.always:
            return t1 - t0
        if not self._special_in(t0, t1):
            return self._week_between(t0, t1)
        return self._open_before(t1) - self._open_before(t0)

    def next_open(self, t: float) -> float:
        while True:
            d = int(t // 24)
            if d in self.special:
                h = t - 24.0 * d
                for a, b in self.special[d]:
                    if h < b:
                        return max(t, 24.0 * d + a)
                t = 24.0 * (d + 1)
                continue
            nxt = max(t, self.week.next_open(t + self.shift) - self.shift)  # the shift may round t away
            if not self._special_in(t, nxt):
                return nxt
            t = 24.0 * self.days[bisect.bisect_left(self.days, d)]  # a special day comes first

    def finish(self, t: float, work: float) -> float:
        if self.always:
            return t + work
        if work <= 0:
            return self.next_open(t)
        end = max(t, self.week.finish(t + self.shift, work) - self.shift)
        if not self._special_in(t, end):
            return end
        target = self._open_before(t) + work
        t = self.next_open(t)
        while True:  # day by day through the special days, then the weekly arithmetic again
            if self._open_before(t) >= target:  # done exactly when a special day begins
                return t
            d = int(t // 24)
            if d in self.special:
                for a, b in self.special[d]:
                    a, b = 24.0 * d + a, 24.0 * d + b
                    if b > t:
                        left = target - self._open_before(max(t, a))
                        if left <= b - max(t, a):
                            return max(t, a) + left
                t = self.next_open(24.0 * (d + 1))
                continue
            end = max(t, self.week.finish(t + self.shift, target - self._open_before(t)) - self.shift)
            if not self._special_in(t, end):
                return end
            t = self.next_open(24.0 * self.days[bisect.bisect_left(self.days, d)])

    def add_open(self, t: float, hours: float) -> float:
        return self.finish(t, hours)


def on_days(calendar: Calendar | DatedCalendar, days: list[int], horizon_days: float) -> DatedCalendar:
    """``calendar`` open only on ``days`` (day numbers from ``t = 0``) up to the horizon, closed on every other
    day (a desk on duty only on surge days, say).

    >>> office = Calendar(weekdays=[0, 1, 2, 3, 4], hours=[(9, 17)])
    >>> cal = on_days(office, [1], horizon_days=3)      # Tuesday only
    >>> cal.is_open(10.0), cal.is_open(34.0), cal.open_between(0.0, 72.0)
    (False, True, 8.0)
    """
    if isinstance(calendar, DatedCalendar):
        week, start, special = calendar.week, int(calendar.shift // 24), dict(calendar.special)
    else:
        week, start, special = calendar, 0, {}
    keep = set(days)
    special |= {d: () for d in range(int(math.ceil(horizon_days)) + 1) if d not in keep}
    return DatedCalendar(week, start_weekday=start, special=special)
