"""The scenario: a typed, validated, immutable description of one street.

A scenario is YAML.  Named collections (calendars, departments, line grids,
areas, groups, categories) are maps keyed by id, so any field has a dotted path
that ``--set`` can address (``departments.police.headcount=4``).  Unknown keys
are errors, and every error names the file, the field path and what was
expected:

>>> sc = load_scenario(DEFAULT_SCENARIO_PATH)
>>> sc.name
'default'
>>> apply_overrides({"a": {"b": 1}}, ["a.b=2", "a.c=[1, 2]"])
{'a': {'b': 2, 'c': [1, 2]}}
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import warnings
from functools import cache
from pathlib import Path
from datetime import date, datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional, Union, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from .calendar import Calendar, DatedCalendar
from .holidays import HOLIDAYS, expand
from .distributions import Distribution
from . import models
from .errors import ScenarioError, ScenarioNote
from .limits import HINT, limits
from .migrate import migrate, old_field_hint
from .optimise.spec import OptimiseSpec

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

DEFAULT_SCENARIO_PATH = Path(__file__).with_name("data") / "default.yaml"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
MODELS = ("siloed", "merged")  # the shipped models, run by default; plug-ins: sim.models
Probability = Field(ge=0.0, le=1.0)
Weight = Annotated[float, Field(ge=0.0, le=1e6)]  # a relative weight: large enough for any profile, never inf


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except (TypeError, ValueError):
        return False
    return True


class Strict(BaseModel):
    # Defaults are validated too, so a distribution's default is written as scenario data ({"dist": ...});
    # such a field repeats validate_default=True, which tells type checkers the default is data to validate.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)


class CalendarSpec(Strict):
    """Opening hours: the same ``hours`` (``[open, close]`` pairs) on each listed weekday, less ``holidays``.

    Holidays and worked weekend days need the scenario's ``start_date``.
    """

    weekdays: list[int] = Field(default=[0, 1, 2, 3, 4], description="0 = Monday … 6 = Sunday")
    hours: list[tuple[float, float]] = Field(default=[(9.0, 17.0)])
    holidays: list[str] = Field(
        default_factory=list,
        description=(
            "dates the office is closed (YYYY-MM-DD), or names of shipped lists, which also bring their worked "
            "weekend days (调休): " + ", ".join(HOLIDAYS)
        ),
    )
    workdays: list[str] = Field(
        default_factory=list,
        description=("dates worked at the weekly hours although their weekday is closed (YYYY-MM-DD, 调休)"),
    )

    @field_validator("holidays", "workdays", mode="before")
    @classmethod
    def _dates_as_text(cls, v):
        """YAML reads an unquoted 2024-05-01 as a date: keep it as its ISO text."""
        return [d.isoformat() if isinstance(d, date) else d for d in v] if isinstance(v, list) else v

    @model_validator(mode="after")
    def _check(self):
        problems = []
        if not self.weekdays or any(not 0 <= d <= 6 for d in self.weekdays):
            problems.append("weekdays: expected a non-empty list of integers 0..6")
        spans = sorted(self.hours)
        if not spans or any(not 0 <= a < b <= 24 for a, b in spans):
            problems.append("hours: expected [open, close] pairs with 0 <= open < close <= 24")
        elif any(spans[i][1] > spans[i + 1][0] for i in range(len(spans) - 1)):
            problems.append("hours: intervals overlap")
        for name in ("holidays", "workdays"):
            for d in getattr(self, name):
                if not (name == "holidays" and d in HOLIDAYS) and not _is_date(d):
                    known = f" or one of {sorted(HOLIDAYS)}" if name == "holidays" else ""
                    problems.append(f"{name}: expected dates as YYYY-MM-DD{known}, got {d!r}")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def build(self, start: date | None = None):
        """The calendar; with a ``start`` date (of ``t = 0``), on real dates with its holidays."""
        week = Calendar(weekdays=tuple(self.weekdays), hours=tuple(self.hours))
        if start is None:
            return week
        closed, worked = expand(self.holidays)
        worked += [date.fromisoformat(d) for d in self.workdays]
        special = {(d - start).days: tuple(self.hours) for d in worked}
        special |= {(d - start).days: () for d in closed}  # a date both closed and worked: closed
        return DatedCalendar(week, start.weekday(), {k: v for k, v in special.items() if k >= 0})


class Discovery(Strict):
    """Finding issues before anyone files them, by spending staff hours on it.

    An issue the finder covers is found with chance ``1 - exp(-effectiveness × staff_hours_per_day)``
    (zero hours find nothing; more hours find more, with diminishing returns), against a pre-drawn
    uniform; if found, it is found ``delay`` *open hours* of the finder's calendar after it arises
    (so only in working hours), and it counts only if that is before the citizen would file.  The
    hours are a daily job on the finder's own staff, on each day its calendar is open.
    """

    enabled: bool = True
    effectiveness: NonNegativeFloat = Field(default=0.1, description="k in the finding chance 1 - exp(-k × hours)")
    delay: Distribution = Field(
        default={"dist": "exponential", "mean": 8.0},
        validate_default=True,
        description="open hours of the finder from an issue arising to finding it",
    )
    staff_hours_per_day: NonNegativeFloat = Field(default=2.0, description="staff hours a day spent finding")
    start_hour: float = Field(default=9.0, ge=0.0, lt=24.0, description="when the day's finding work starts")

    def chance(self) -> float:
        """The chance an issue the finder covers is found (before the race with the citizen).

        >>> round(Discovery(effectiveness=0.1, staff_hours_per_day=4).chance(), 4)
        0.3297
        >>> Discovery(staff_hours_per_day=0).chance()
        0.0
        """
        return 1.0 - math.exp(-self.effectiveness * self.staff_hours_per_day) if self.enabled else 0.0


class Patrol(Discovery):
    """Proactive discovery (主动发现) by the grid: stationed staff's patrols and visits (走访), per area."""


class Inspection(Discovery):
    """A department's own inspection crew (both models): finds issues of the categories that need it."""

    staff_hours_per_day: NonNegativeFloat = Field(
        default=0.0, description="staff hours a day spent inspecting (for the whole street)"
    )


class Label(Strict):
    """What a thing is called on a page, in Chinese and English (``label: {zh: 城运网格, en: city operations grid}``).

    Either may be left out: :meth:`text` falls back to the other, then to the code name.

    >>> Label(zh="城运网格").text("en", "city_ops"), Label(zh="城运网格").text("zh", "city_ops")
    ('city ops', '城运网格')
    """

    zh: str = ""
    en: str = ""

    def text(self, lang: str, code: str) -> str:
        """The label in ``lang`` ("zh" or "en"); English falls back to the code name, Chinese to English."""
        if lang == "zh":
            return self.zh or self.en or code.replace("_", " ")
        return self.en or code.replace("_", " ")

    def both(self, code: str) -> str:
        """The English label with the Chinese in brackets, as English pages show a term: "police grid (警务网格)"."""
        en = self.text("en", code)
        return f"{en} ({self.zh})" if self.zh else en


LABEL = Field(default_factory=Label, description="display names in Chinese and English: {zh: ..., en: ...}")


class Department(Strict):
    """A line department (条线部门) with its own office and headcount."""

    label: Label = LABEL
    headcount: PositiveInt
    calendar: str = Field(description="id of a calendar in `calendars`")
    stationed_share: Optional[float] = Field(
        default=None,
        ge=0.0,
        lt=1.0,
        description="share of staff stationed (下沉) in comprehensive grids when merged; "
        "defaults to merged.stationed_share",
    )
    assessment: Distribution = Field(
        default={"dist": "lognormal", "mean": 0.5, "cv": 0.5},
        validate_default=True,
        description="staff hours to assess a case whose ownership is unclear (siloed bounce)",
    )
    inspection: Inspection = Field(
        default_factory=Inspection, description="the department's own inspection crew (both models); none by default"
    )


class LineGrid(Strict):
    """A line grid (城运/警务/综治网格): one intake station per area when siloed."""

    label: Label = LABEL
    intake_staff: PositiveInt = Field(description="intake staff per station (per area)")
    calendar: str
    intake: Distribution


class Area(Strict):
    """An area of the street: one comprehensive grid when merged."""

    label: Label = LABEL
    weight: PositiveFloat = Field(le=1e12, description="relative share of the street's issues")


class Travel(Strict):
    """Hours of travel per trip, by kind of destination."""

    line_station: NonNegativeFloat
    comprehensive_station: NonNegativeFloat
    department: NonNegativeFloat


class Group(Strict):
    """A group of citizens who file appeals (居民, 小个专, 新就业群体)."""

    label: Label = LABEL
    arrivals_per_day: NonNegativeFloat = Field(le=1e7, description="mean issues arising per day")
    hourly_profile: list[Weight] = Field(default=[1.0] * 24, description="24 relative weights, hour of day 0..23")
    weekday_profile: list[Weight] = Field(default=[1.0] * 7, description="7 relative weights, Monday..Sunday")
    category_mix: dict[str, NonNegativeFloat] = Field(description="probabilities, summing to 1")
    area_mix: Optional[dict[str, NonNegativeFloat]] = Field(
        default=None, description="probabilities summing to 1; default: the areas' weights"
    )
    p_right_line_grid: float = Field(ge=0.0, le=1.0, description="chance of picking the right line grid (siloed)")
    report_delay: Distribution = Field(description="hours from an issue arising to setting off to file it")
    patience: Distribution = Field(description="open hours a citizen will queue in person before giving up")
    p_give_up_after_referral: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="chance a citizen gives up each time they are referred or bounced elsewhere (both models)",
    )
    travel: Travel
    channel_mix: dict[Literal["in_person", "hotline", "online", "station"], NonNegativeFloat] = Field(
        default={"in_person": 1.0},
        description="how this group files: shares of in person, hotline (12345), online/app and at a gig-worker "
        "service station (驿站, channels.station), summing to 1",
    )

    @model_validator(mode="after")
    def _check(self):
        problems = []
        if len(self.hourly_profile) != 24 or sum(self.hourly_profile) <= 0:
            problems.append("hourly_profile: expected 24 non-negative weights, not all zero")
        if len(self.weekday_profile) != 7 or sum(self.weekday_profile) <= 0:
            problems.append("weekday_profile: expected 7 non-negative weights, not all zero")
        for name in ("category_mix", "area_mix", "channel_mix"):
            mix = getattr(self, name)
            if mix is not None and not math.isclose(sum(mix.values()), 1.0, abs_tol=1e-6):
                problems.append(f"{name}: probabilities must sum to 1 (they sum to {sum(mix.values()):.6g})")
        if problems:
            raise ValueError("\n".join(problems))
        return self


class Category(Strict):
    """A kind of appeal and the departments it needs."""

    label: Label = LABEL
    departments: list[str] = Field(min_length=1, description="departments needed, in the order visited when siloed")
    line_grid: str = Field(description="the line grid that is the right door when siloed")
    service: dict[str, Distribution] = Field(description="staff hours per needed department")
    delegable: bool = Field(default=False, description="merged grid may solve it on the spot (delegated power)")
    ladder: Optional[str] = Field(
        default=None,
        description="the lowest level of the grassroots ladder that takes it (a key of ladder.levels; null: none)",
    )
    p_unclear: float = Field(default=0.0, ge=0.0, le=1.0, description="chance ownership is unclear")
    p_hard: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="chance it is a hard case: extra work from several departments (hard_work); "
        "siloed bounces and escalates it, merged takes it to the joint meeting",
    )
    hard_work: dict[str, Distribution] = Field(
        default_factory=dict,
        description="extra staff hours a hard case needs, by department (any department, the same in both models)",
    )
    discoverable: bool = Field(
        default=True, description="patrols and inspection crews can find it before a citizen files"
    )
    priority: int = Field(
        default=0,
        ge=0,
        le=3,
        description="urgency: every office serves higher priorities first (no interruption of work under way); "
        "e.g. 3 emergency (Beijing: resolved within 2 h), 2 water, power, gas and heating (24 h), "
        "1 general (7 days), 0 complex or usual",
    )
    response_deadline_hours: PositiveFloat = Field(default=24.0, description="响应率 deadline, hours from filing")
    resolution_deadline_hours: Optional[PositiveFloat] = Field(
        default=None,
        description=(
            "办结时限 (NYC's due date): hours from filing to the first closure; resolved_in_time_rate reports the "
            "share within it; null: none"
        ),
    )
    p_come_in: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="chance a department asks the citizen to come in for its part of an appeal "
        "filed by hotline or online (a trip; the same in both models)",
    )


class JointMeeting(Strict):
    """The grid's joint meeting (网格党建联席会议), which assigns hard cases.

    It costs its attendees' hours (the grid leader of each area with a case on the agenda and one
    staff member of each department a case needs, each for ``hours + per_case_hours`` × its own
    cases) and assigns its cases when it ends (``hours + per_case_hours`` × all cases).  Its
    benefit is that ownership is settled there, so an assigned case needs no coordination by the
    grid leader (``settles_ownership``).  Without meetings the grid leader coordinates a hard case.
    """

    enabled: bool = True
    weekday: int = Field(default=2, ge=0, le=6)
    hour: float = Field(default=14.0, ge=0.0, lt=24.0)
    every_days: PositiveInt = 7
    capacity: Optional[PositiveInt] = Field(default=None, description="cases assigned per meeting; null = all")
    hours: NonNegativeFloat = Field(default=1.0, description="length of a meeting with any case on it, hours")
    per_case_hours: NonNegativeFloat = Field(
        default=0.25, description="added per case on the agenda, to the meeting and to each attendee it concerns"
    )
    settles_ownership: bool = Field(default=True, description="assigned cases need no grid-leader coordination")


class Whistle(Strict):
    """吹哨报到 ("the grassroots blow the whistle, departments report"): a hard case calls its departments on site.

    Instead of waiting for the joint meeting, the grid leader calls (``call_hours`` of the grid leader's time)
    every department a hard case needs; each sends one staff member, whose job (``travel_hours`` there, then
    the department's part of the case, done on site) is served before the department's queued work below
    ``priority``.  A department *reports* when its staff member arrives; a report later than ``deadline``
    hours after the call is counted late (``late_reports`` in appeals.csv, of ``reports``).  Ownership is
    settled on site, so a whistled case needs no coordination; on site there is no hand-off of records (no
    platform re-entry), no asking the citizen in, and every department comes at once.  The same hard cases as the
    meeting's, so the
    two are compared on the same cases (``scenarios/institutions/whistle.yaml``).  The travel is staff time,
    counted in the departments' hours.
    """

    enabled: bool = Field(default=False, description="hard cases go to the whistle instead of the joint meeting")
    deadline: PositiveFloat = Field(default=2.0, description="hours from the call by which a department must report")
    priority: int = Field(
        default=3, ge=0, le=3, description="the call's priority at the departments (3: served before all else)"
    )
    call_hours: NonNegativeFloat = Field(default=0.1, description="grid leader's hours to call the departments")
    travel_hours: NonNegativeFloat = Field(
        default=0.5, description="a reporting department's staff hours to reach the site (open hours)"
    )


class Volunteers(Strict):
    """Party members who report in at the grassroots (党员报到, 双报到): part-time capacity for simple matters.

    ``per_area`` volunteers are on duty in each comprehensive grid in the open hours of ``calendar`` (e.g.
    Saturday mornings: Chifeng's 2.3 万 organ party members each serve at least twice a year).  A delegated
    simple matter goes to them when one is free and on duty, else to the stationed staff.  They are capacity,
    not the reform: their staffed hours are counted and the capacity check states them.
    """

    per_area: NonNegativeInt = Field(default=0, description="volunteers on duty at once in each area (0: none)")
    calendar: Optional[str] = Field(
        default=None, description="id of the calendar of their duty hours (null: the comprehensive stations')"
    )


class SurgeProtocol(Strict):
    """A surge protocol: on the days a surge touches, extra grid leaders on duty in each grid take the triage the
    grid leader has no time for (a leader free first, then a surge desk free, else the leader's queue).  Their
    hours are capacity, not the reform: staffed hours of the merged arm on those days, flagged by the check.
    """

    leaders_per_area: NonNegativeInt = Field(default=0, description="extra grid leaders on surge days, per area")


class Feedback(Strict):
    """The feedback call (回访) after closing; an unsatisfied appeal may reopen.

    Made by the office that closed the case (merged: the comprehensive station; siloed: the
    last department), which also redoes the work of a reopened case: the grid handles it again
    from triage, a siloed department redoes its own part.
    """

    enabled: bool = True
    delay: Distribution = Field(default={"dist": "fixed", "value": 24.0}, validate_default=True)
    call: Distribution = Field(default={"dist": "fixed", "value": 0.1}, validate_default=True)
    reopen_probability: float = Field(default=0.5, ge=0.0, le=1.0)
    max_reopens: int = Field(default=1, ge=0, le=3)
    reopen_trip: bool = Field(
        default=False,
        description="the citizen must come in again for a reopened case (one trip to the office that redoes the work)",
    )


class ExtraStaff(Strict):
    """Staff added by the reform on top of the siloed headcount (reported when non-zero)."""

    intake_per_area: NonNegativeInt = 0
    stationed_per_area: NonNegativeInt = Field(
        default=0,
        description=(
            "extra stationed staff per area (they join the intake desks when merged.reform.stationing is off)"
        ),
    )


class Dispatch(Strict):
    """How hotline and online work orders reach this model's handling unit: a wrong unit first, sometimes.

    A wrong dispatch costs the wrong unit an intake and the work order a re-dispatch delay; no trip.
    """

    p_wrong: float = Field(default=0.1, ge=0.0, le=1.0, description="chance a work order goes to a wrong unit first")
    redispatch: Distribution = Field(
        default={"dist": "exponential", "mean": 24.0},
        validate_default=True,
        description="hours from the wrong unit's intake to the right unit",
    )


class Level(Strict):
    """One rung of the grassroots ladder below the grids (楼组, 微网格, 居民区): who takes a matter first.

    A level has ``residents_per_unit`` residents per unit (a building group, a micro-grid, a residents'
    committee), so ``ladder.population`` gives its units, split over the areas by weight; each unit has
    ``staff_per_unit`` staff on duty for appeals in the hours of ``calendar`` (building-group leaders and
    volunteers give a sliver of their time), rounded to whole desks per area.  A matter it takes costs
    ``service`` staff hours; it is settled there with chance ``p_resolve`` (a hard case only where
    ``settles_hard``: by rule it needs the departments), else passed up after ``escalation`` hours.
    """

    label: Label = LABEL
    residents_per_unit: PositiveFloat = Field(description="residents a unit of this level serves")
    staff_per_unit: NonNegativeFloat = Field(
        description="staff a unit has on duty for appeals in the level's hours (a building group: a sliver)"
    )
    calendar: Optional[str] = Field(default=None, description="the level's hours; null = the comprehensive grid's")
    travel: NonNegativeFloat = Field(default=0.05, description="hours of the citizen's walk to it (the first level)")
    service: Distribution = Field(description="staff hours a matter takes at this level")
    p_resolve: float = Field(ge=0.0, le=1.0, description="chance a matter it takes is settled at this level")
    settles_hard: bool = Field(
        default=False, description="it may settle a hard case (one needing departments' extra work); else passes it up"
    )
    escalation: Distribution = Field(
        default={"dist": "exponential", "mean": 24.0},
        validate_default=True,
        description="hours from giving up on a matter to the next level having it",
    )


class Ladder(Strict):
    """The grassroots ladder (五级: 街镇 → 片区网格 → 居民区 → 微网格 → 楼组), the same in both models.

    The street and the area grid are the models' own (the line grids or the comprehensive grid, and the
    street's escalation); below them, ``levels`` from the lowest (the building group) up.  A resident of one
    of ``groups`` who would file in person a matter whose category names a level (``categories.*.ladder``)
    takes it to that level first; a level settles it or passes it up; above the top level it reaches the
    model's handling unit as a work order (dispatched as the model dispatches online filings), so nobody
    walks again.  The levels' staff count in both models' staffed hours.
    """

    enabled: bool = True
    population: NonNegativeInt = Field(default=0, description="residents of the street: the levels' units follow")
    groups: list[str] = Field(default=["residents"], description="the groups who live here and use the ladder")
    levels: dict[str, Level] = Field(default_factory=dict, description="from the lowest level up")


class Surge(Strict):
    """A surge of demand (a typhoon day, a heatwave, a festival): the arrivals of some categories multiplied
    over a window, in every model alike (it is the world's, not a model's)."""

    categories: list[str] = Field(default_factory=list, description="the categories that surge (empty: all)")
    start: Union[date, NonNegativeFloat] = Field(
        description="when it begins: a date (needs start_date) or days from t = 0"
    )
    days: PositiveFloat = Field(description="how long it lasts, in days")
    multiplier: NonNegativeFloat = Field(le=100, description="arrivals of those categories are this many times as many")


class Platform(Strict):
    """The case record an arm's offices work from: one shared platform, or each office's own system.

    Shared (``shared: true``, the default in both models): an appeal keeps one record (一网统管, 社区通)
    and an office that receives a case passed on by another reads it there.  Not shared: every case
    passed on to a department (by a station, a work order, the grid or another department; not a case
    the citizen carries in person, which costs trips instead) costs the department ``reentry`` hours of
    re-entry first, and with chance ``p_lost`` information is lost on the way: the department waits
    ``recontact`` hours to reach the citizen again, who spends ``citizen_hours`` re-telling it.
    """

    shared: bool = True
    reentry: Distribution = Field(
        default={"dist": "fixed", "value": 0.25},
        validate_default=True,
        description="staff hours to re-enter a case passed on without a shared record",
    )
    p_lost: float = Field(default=0.1, ge=0.0, le=1.0, description="chance a hand-off loses information")
    recontact: Distribution = Field(
        default={"dist": "exponential", "mean": 8.0},
        validate_default=True,
        description="hours until the receiving office reaches the citizen again after a lossy hand-off",
    )
    citizen_hours: NonNegativeFloat = Field(default=0.25, description="the citizen's hours re-telling the case")


class Hotline(Strict):
    """The 12345 hotline: operators answer (an M/M/c queue with abandonment when times are exponential)."""

    operators: NonNegativeInt = Field(default=2, description="operators on duty (the same in both models)")
    calendar: Optional[str] = Field(default=None, description="operators' calendar; null = 24 hours a day")
    talk: Distribution = Field(
        default={"dist": "lognormal", "mean": 0.1, "cv": 0.5},
        validate_default=True,
        description="operator hours per call",
    )
    patience: Distribution = Field(
        default={"dist": "exponential", "mean": 0.05},
        validate_default=True,
        description="open hours a caller waits for an operator before hanging up",
    )
    dispatch: Distribution = Field(
        default={"dist": "exponential", "mean": 2.0},
        validate_default=True,
        description="hours from the end of the call to the handling unit",
    )


class Online(Strict):
    """Online and app filing: no trip and no queue; the work order reaches the handling unit after ``dispatch``."""

    dispatch: Distribution = Field(
        default={"dist": "exponential", "mean": 1.0},
        validate_default=True,
        description="hours from filing to the handling unit (whose intake waits for its opening hours)",
    )


class ServiceStations(Strict):
    """Gig-worker service stations (驿站; Nanchang's 15-minute service circle): filing points on the riders' routes.

    A citizen whose channel is ``station`` makes a short trip (``travel``), queues at the area's station desk
    (``staff_per_area`` staff on ``calendar``: long hours; patience as in person) and is served ``intake``
    hours; the station files a work order that reaches the handling unit after ``dispatch`` hours, as an
    online filing does (the unit's intake is the first response).  The same in both models, and its staff
    are staffed hours of both.
    """

    staff_per_area: NonNegativeInt = Field(default=0, description="desk staff of each area's station (0: none)")
    calendar: Optional[str] = Field(default=None, description="the stations' calendar; null = 24 hours a day")
    travel: NonNegativeFloat = Field(default=0.1, description="hours of a trip to the nearest station")
    intake: Distribution = Field(
        default={"dist": "fixed", "value": 0.2},
        validate_default=True,
        description="station staff hours to take an appeal and file it (drawn from the hotline talk's uniform)",
    )
    dispatch: Distribution = Field(
        default={"dist": "exponential", "mean": 1.0},
        validate_default=True,
        description="hours from the station's filing to the handling unit",
    )


class Riders(Discovery):
    """Delivery riders and couriers as problem collectors (问题收集员): they report issues they pass.

    An issue of a discoverable category is seen with chance 1 − exp(−``effectiveness`` × ``staff_hours_per_day``),
    here the riders' hours on the street's routes a day (volunteered while they deliver: not staffed hours),
    ``delay`` open hours of ``calendar`` (their routes' hours) after it arises; the rider reports it on the app
    (channel ``rider``), so it goes to the handling unit as an online filing (``channels.online.dispatch``), in
    both models alike.  It counts only if that is before the citizen would file.
    """

    enabled: bool = False
    staff_hours_per_day: NonNegativeFloat = Field(
        default=0.0, description="riders' hours on the street's routes a day (volunteered, not staffed hours)"
    )
    calendar: Optional[str] = Field(default=None, description="the riders' routes' hours; null = 24 hours a day")
    categories: Optional[list[str]] = Field(
        default=None, description="the categories riders see on their routes (null: every discoverable one)"
    )


class Channels(Strict):
    """How appeals are filed other than in person: the same for both models (channels are not the reform)."""

    hotline: Hotline = Hotline()
    online: Online = Online()
    station: ServiceStations = Field(
        default=ServiceStations(), description="gig-worker service stations (驿站), a filing point in each area"
    )
    riders: Riders = Field(default=Riders(), description="riders and couriers as problem collectors (问题收集员)")


class Reform(Strict):
    """The reform's switches (多格合一), each on by default: every way the merged arm differs from siloed.

    Each switch off, the merged arm does that step as the line grids do; with all six off and the
    joint meeting, the patrols and the feedback call as siloed has them (``gridsim explain`` and
    ``sim.governance.reform.null_overrides`` say how), the merged arm is the siloed process, draw for draw.
    """

    one_door: bool = Field(
        default=True,
        description=(
            "one comprehensive station per area (一门受理) takes every appeal in person, on merged.calendar, with "
            "merged.intake; hotline and online work orders go to the area's grid with merged.dispatch; the station "
            "closes each case (merged.closing), makes the feedback call and sends a reopened case back to the grid. "
            "Off: the line grids' stations (citizens pick one), siloed.dispatch, no closing step, and the closing "
            "department calls back and redoes its part"
        ),
    )
    triage: bool = Field(default=True, description="the grid leader (网格长) triages every case (merged.triage)")
    stationing: bool = Field(
        default=True,
        description=(
            "departments station staff in the grids (下沉, stationed_share); off: none, so no delegation or patrols"
        ),
    )
    delegation: bool = Field(
        default=True, description=("a delegable simple matter is solved on the spot by the stationed staff")
    )
    parallel_dispatch: bool = Field(
        default=True,
        description=(
            "the departments a case needs work on it at once (fork-join); off: one after another, and a citizen "
            "whose case nobody holds takes each further part in person (多头跑)"
        ),
    )
    coordination: bool = Field(
        default=True,
        description=(
            "the grid leader coordinates a case of unclear ownership (or a hard case no meeting settles) "
            "(merged.coordination); off: it bounces between departments and goes to the street (siloed.max_bounces, "
            "siloed.escalation)"
        ),
    )

    @classmethod
    def none(cls) -> "Reform":
        """Every switch off: the line grids' way (the siloed arm)."""
        return cls(**{k: False for k in cls.model_fields})


class Merged(Strict):
    """The comprehensive grid (综合网格) of 多格合一."""

    reform: Reform = Field(default_factory=Reform, description="the reform's switches (all on by default)")

    calendar: str = Field(description="id of the calendar of the comprehensive stations (intake and grid leaders)")
    stationed_share: float = Field(default=0.2, ge=0.0, lt=1.0)
    stationed_calendar: Optional[str] = Field(
        default=None,
        description="calendar of the staff stationed (下沉) in the grids: null = they keep their departments' "
        "hours (one desk per grid: the calendar of most stationed staff, if departments differ); a "
        "calendar id (e.g. the grid's) moves them to it; reports state the staffed hours either way",
    )
    grid_leaders_per_area: PositiveInt = Field(
        default=1, description="grid leaders (网格长) per comprehensive grid, taken from the area's intake staff"
    )
    dispatch: Dispatch = Field(
        default=Dispatch.model_validate({"p_wrong": 0.05, "redispatch": {"dist": "exponential", "mean": 4.0}}),
        description="hotline and online work orders to the area's comprehensive grid",
    )
    intake: Distribution
    triage: Distribution
    coordination: Distribution
    closing: Distribution
    joint_meeting: JointMeeting = JointMeeting()
    whistle: Whistle = Field(default=Whistle(), description="吹哨报到: hard cases call their departments on site")
    volunteers: Volunteers = Field(
        default=Volunteers(), description="party members who report in (党员报到): part-time capacity"
    )
    surge_protocol: SurgeProtocol = Field(
        default=SurgeProtocol(), description="extra grid leaders on surge days (capacity)"
    )
    patrol: Patrol = Patrol()
    feedback: Feedback = Feedback()
    platform: Platform = Field(default=Platform(), description="the case record the grid and departments share")
    extra_staff: ExtraStaff = ExtraStaff()

    def volunteers_per_area(self) -> int:
        """Volunteers on duty per area: none without delegated matters for them (delegation needs stationing)."""
        r = self.reform
        return self.volunteers.per_area if r.delegation and r.stationing else 0


class Siloed(Strict):
    """Line grids on their own."""

    max_bounces: NonNegativeInt = Field(default=2, le=20, description="bounces before the street takes the case")
    escalation: Distribution = Field(
        default={"dist": "exponential", "mean": 48.0},
        validate_default=True,
        description="hours for the street to take and assign an escalated case",
    )
    dispatch: Dispatch = Field(default=Dispatch(), description="hotline and online work orders to the right line grid")
    feedback: Feedback = Field(
        default=Feedback(enabled=False),
        description="the feedback call (回访) of the closing department; off by default "
        "(the closed loop is part of the reform)",
    )
    platform: Platform = Field(default=Platform(), description="the case record the line grids and departments share")


class Satisfaction(Strict):
    """P(satisfied) = logistic(b0 - b1*hours - b2*(trips - 1) - b3*bounces)."""

    b0: float = 3.0
    b1: NonNegativeFloat = 0.01
    b2: NonNegativeFloat = 0.5
    b3: NonNegativeFloat = 0.7


class Variant(Strict):
    """A named governance variant: one of the policies with scenario fields changed.

    ``set`` maps dotted field paths to values, as ``--set`` does; e.g. merged without
    joint meetings is ``{policy: merged, set: {merged.joint_meeting.enabled: false}}``.
    """

    policy: str = Field(description="the governance model it varies: siloed, merged or a plug-in's")
    description: str = ""
    set: dict[str, Any] = Field(default_factory=dict)


class StreetKind(Strict):
    """A kind of street (街道) in a city: how many there are, and how they differ from the scenario's street.

    ``set`` maps dotted field paths to values, as ``--set`` does, e.g.
    ``{groups.residents.arrivals_per_day: 40, areas: {a1: {weight: 1}, a2: {weight: 1}}}``.
    """

    count: PositiveInt
    description: str = ""
    set: dict[str, Any] = Field(default_factory=dict)


class City(Strict):
    """A city as independent streets: streets share no grid station, office or staff.

    Each kind of street is the scenario's own street with the kind's ``set`` applied;
    streets are numbered in the order of ``streets`` and of ``count``, and each has
    its own issue stream (seeded by replication and street number).
    """

    label: Label = LABEL
    streets: dict[str, StreetKind] = Field(min_length=1)


class CalibrationInfo(Strict):
    """Where a calibrated scenario's numbers came from (written by ``gridsim calibrate``)."""

    log: str = Field(description="the work-order log it was fitted to")
    format: str = ""
    fit_window: tuple[datetime, datetime] = Field(description="requests created in [start, end) were fitted")
    assumed: list[str] = Field(default_factory=list, description="what the log could not identify")


class Scenario(Strict):
    """One street (or, with ``city``, many), both governance models, one horizon."""

    schema_version: int = Field(
        default=3,
        ge=3,
        le=3,
        description="the scenario format's version; older files are migrated (gridsim migrate FILE)",
    )
    name: str = Field(description="letters, digits, '_', '-' and '.' (it names the results folder)")
    plugins: list[str] = Field(
        default_factory=list,
        description=(
            "modules (dotted paths) that register governance models of their own (sim.models), imported when "
            "the scenario is read and in every worker that runs it"
        ),
    )
    description: str = ""
    lang: Literal["en", "zh"] = Field(
        default="en", description="the language of its reports, plots and terminal output (gridsim --lang overrides)"
    )
    seed: NonNegativeInt = 0
    horizon_days: PositiveFloat = Field(
        le=1e5,
        description=(
            "days simulated (at most 100,000: a textbook queue's long run; a street's issues are bounded apart)"
        ),
    )
    warmup_days: NonNegativeFloat = 0.0
    start_date: Optional[date] = Field(
        default=None,
        description=(
            "the date of t = 0 (00:00): the clock runs on real dates (weekdays, calendars' holidays) and outputs "
            "show them; null: an abstract week starting on a Monday"
        ),
    )
    models: list[str] = Field(
        default=list(MODELS), min_length=1, description="what to run: siloed, merged and/or names of variants"
    )
    baseline: str = Field(default="siloed", description="the model others are compared with")
    variants: dict[str, Variant] = Field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description=(
            "a plug-in model's own settings, under its name, checked by the model's Settings class "
            "(sim.governance.Policy.Settings); the shipped models read their blocks siloed and merged"
        ),
    )
    calendars: dict[str, CalendarSpec]
    departments: dict[str, Department] = Field(min_length=1)
    line_grids: dict[str, LineGrid] = Field(min_length=1)
    areas: dict[str, Area] = Field(min_length=1)
    groups: dict[str, Group] = Field(min_length=1)
    categories: dict[str, Category] = Field(min_length=1)
    siloed: Siloed = Siloed()
    merged: Merged
    satisfaction: Satisfaction = Satisfaction()
    surges: list[Surge] = Field(default_factory=list, description="surges of demand, in every model alike")
    ladder: Ladder = Field(
        default_factory=lambda: Ladder(enabled=False), description="the grassroots ladder below the grids (both models)"
    )
    channels: Channels = Field(default_factory=Channels, description="hotline and online filing (both models)")
    city: Optional[City] = Field(
        default=None, description="many independent streets; `gridsim run` simulates them sharded"
    )
    calibration: Optional[CalibrationInfo] = Field(
        default=None, description="set by gridsim calibrate: the log, the fit window and what was assumed"
    )
    optimise: Optional[OptimiseSpec] = Field(
        default=None,
        exclude=True,  # a search's settings, not the street: not in the resolved scenario, its hash or its runs
        description="a staffing search (gridsim optimise): decision variables, targets, objective",
    )

    @field_validator("name")
    @classmethod
    def _safe_name(cls, v: str) -> str:
        if not _NAME.fullmatch(v):
            raise ValueError(
                f"expected 1 to 100 letters, digits, '_', '-' or '.', starting with a letter or digit "
                f"(it names the results folder), got {v!r}"
            )
        return v

    @model_validator(mode="after")
    def _references(self):
        problems = list(_reference_problems(self))
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def first_weekday(self) -> int:
        """The weekday of t = 0 (0 = Monday): the start date's, or Monday without one."""
        return self.start_date.weekday() if self.start_date else 0

    @property
    def horizon(self) -> float:
        """Horizon in hours."""
        return self.horizon_days * 24.0

    def surge_hours(self) -> list[tuple[float, float, list[str], float]]:
        """Each surge as (first hour, end hour, its categories (all if none are named), multiplier)."""
        out = []
        for surge in self.surges:
            start = surge.start
            if isinstance(start, date):  # validated: a date comes with a start date
                day = float((start - self.start_date).days) if self.start_date else 0.0
            else:
                day = float(start)
            out.append(
                (24.0 * day, 24.0 * (day + surge.days), surge.categories or list(self.categories), surge.multiplier)
            )
        return out

    def surge_days(self) -> list[int]:
        """The days (from t = 0) that any surge touches."""
        return sorted({d for a, b, _, _ in self.surge_hours() for d in range(int(a // 24), int(math.ceil(b / 24)))})

    def surge_leaders(self) -> int:
        """Extra grid leaders per area on surge days when merged: none without surges or triage."""
        m = self.merged
        return m.surge_protocol.leaders_per_area if self.surges and m.reform.triage else 0

    def stationed_share(self, dept: str) -> float:
        """The share of ``dept``'s staff stationed in comprehensive grids when merged."""
        own = self.departments[dept].stationed_share
        return self.merged.stationed_share if own is None else own

    def stationed_calendar(self) -> str:
        """Id of the calendar stationed staff work to: their departments' unless ``merged.stationed_calendar``.

        Stationed staff share one desk per grid, so with departments on different calendars the desk
        keeps the calendar of most of them (the first department's on a tie); the staffed-hours check
        of the reports shows what that costs or adds.
        """
        if self.merged.stationed_calendar is not None:
            return self.merged.stationed_calendar
        count: dict[str, int] = {}
        for k, d in self.departments.items():
            count[d.calendar] = count.get(d.calendar, 0) + self.stationed(k)
        best = max(count, key=lambda c: count[c])
        return best if count[best] > 0 else self.merged.calendar

    def stationed(self, dept: str) -> int:
        """Staff ``dept`` stations in comprehensive grids when merged (rounded, ties to even; 0 without stationing)."""
        if self.merged is not None and not self.merged.reform.stationing:
            return 0
        return round(self.departments[dept].headcount * self.stationed_share(dept))

    def ladder_on(self) -> bool:
        """Whether the grassroots ladder takes any matter: enabled, with residents and a category that names a level."""
        lad = self.ladder
        return lad.enabled and lad.population > 0 and any(c.ladder for c in self.categories.values())

    def grid_leaders(self) -> int:
        """Grid leaders per area when merged: none when nothing needs one (no triage, coordination, meeting or
        whistle)."""
        m = self.merged
        needed = m.reform.triage or m.reform.coordination or m.joint_meeting.enabled or m.whistle.enabled
        return m.grid_leaders_per_area if needed else 0

    def known_models(self) -> list[str]:
        """Every registered governance model, this scenario's plug-ins loaded (:mod:`sim.models`)."""
        models.load(self.plugins)
        return models.names()

    def arm(self, name: str) -> tuple[str, "Scenario"]:
        """The policy and the scenario of a model or variant called ``name``."""
        if name not in self.variants:
            if name in self.known_models():
                return name, self
            raise ScenarioError("models", [f"unknown model {name!r} (expected one of {self.arm_names()})"])
        v = self.variants[name]
        raw = self.to_dict()
        raw["variants"], raw["models"] = {}, [v.policy]
        for path, value in v.set.items():
            set_path(raw, path, value, f"variants.{name}.set")
        return v.policy, build_scenario(raw, f"variants.{name}")

    def one_street(self, source: str, what: str) -> "Scenario":
        """This scenario, if it is one street; a city is bad input for ``what`` (which simulates one).

        Rather than quietly simulating a city's base street, say so and how to do either.
        """
        if self.city is not None:
            n = sum(k.count for k in self.city.streets.values())
            raise ScenarioError(
                source,
                [
                    f"city: a city scenario ({n} streets), but {what} simulates one street; "
                    "run the city with `gridsim run`, or add --set city=null to use "
                    "its base street"
                ],
            )
        return self

    def streets(self) -> list[tuple[str, "Scenario"]]:
        """``(name, scenario)`` of each street, in street-number order: just this one without ``city``.

        Streets of one kind share one scenario object; names are ``<kind>-001`` onwards.
        """
        if self.city is None:
            return [(self.name, self)]
        out = []
        for kind, spec in self.city.streets.items():
            raw = self.to_dict()
            raw["city"] = None
            for path, value in spec.set.items():
                set_path(raw, path, value, f"city.streets.{kind}.set")
            street = build_scenario(raw, f"city.streets.{kind}")
            out += [(f"{kind}-{k + 1:03d}", street) for k in range(spec.count)]
        return out

    def arm_names(self) -> list[str]:
        """Every model and variant name this scenario can run."""
        return self.known_models() + list(self.variants)

    def to_dict(self) -> dict:
        """Plain data (JSON/YAML-ready), with every default filled in."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """The fully resolved scenario as YAML."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def digest(self) -> str:
        """A stable hash of the resolved scenario."""
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def street_kind(street: str) -> str:
    """The kind of a street from its name (``<kind>-001`` onwards).

    >>> street_kind("large_town-017")
    'large_town'
    """
    return street.rsplit("-", 1)[0]


def _reference_problems(sc: Scenario, complete: bool = True):
    """Yield ``path: message`` for every reference to something that does not exist.

    With ``complete=False``, ``sc`` holds only the well-formed parts of a scenario that has field
    errors (see :func:`_well_formed`): a section that is not well formed is None, and so is each
    entry of a named collection that is not; a check that needs a part that is not there is skipped.
    """

    def entries(section):
        return [(k, v) for k, v in (section or {}).items() if v is not None]

    def whole(section):  # every entry well formed
        return section is not None and None not in section.values()

    def unknown(names, ref, kind):
        return names is not None and ref not in names and f"unknown {kind} {ref!r} (expected one of {sorted(names)})"

    merged = [("merged.calendar", sc.merged.calendar)] if sc.merged is not None else []
    if sc.channels is not None:
        for name in ("hotline", "station", "riders"):
            if (cal := getattr(sc.channels, name).calendar) is not None:
                merged.append((f"channels.{name}.calendar", cal))
    for path, ref in (
        [(f"departments.{k}.calendar", d.calendar) for k, d in entries(sc.departments)]
        + [(f"line_grids.{k}.calendar", g.calendar) for k, g in entries(sc.line_grids)]
        + merged
    ):
        if problem := unknown(sc.calendars, ref, "calendar"):
            yield f"{path}: {problem}"
    if sc.channels is not None and sc.categories is not None:
        for name in sc.channels.riders.categories or []:
            if problem := unknown(sc.categories, name, "category"):
                yield f"channels.riders.categories: {problem}"
    for k, c in entries(sc.categories):
        for d in c.departments:
            if problem := unknown(sc.departments, d, "department"):
                yield f"categories.{k}.departments: {problem}"
        if len(set(c.departments)) != len(c.departments):
            yield f"categories.{k}.departments: a department is listed twice"
        if problem := unknown(sc.line_grids, c.line_grid, "line grid"):
            yield f"categories.{k}.line_grid: {problem}"
        for d in c.hard_work:
            if problem := unknown(sc.departments, d, "department"):
                yield f"categories.{k}.hard_work: {problem}"
        if set(c.service) != set(c.departments):
            yield (
                f"categories.{k}.service: expected one distribution for each of its departments "
                f"{sorted(c.departments)}, got {sorted(c.service)}"
            )
    for k, g in entries(sc.groups):
        for name, names, kind in (("category_mix", sc.categories, "category"), ("area_mix", sc.areas, "area")):
            for ref in getattr(g, name) or {}:
                if problem := unknown(names, ref, kind):
                    yield f"groups.{k}.{name}: {problem}"
    for k, d in entries(sc.departments):
        if (d.stationed_share is not None or sc.merged is not None) and d.headcount - sc.stationed(k) < 1:
            yield f"departments.{k}.stationed_share: stationing leaves the department no staff when merged"
    leaders = sc.grid_leaders() if sc.merged is not None else 1
    one_door = sc.merged is None or sc.merged.reform.one_door
    if whole(sc.line_grids):
        least = leaders + (1 if one_door else len(sc.line_grids))  # each line station keeps one
        extra = sc.merged.extra_staff.intake_per_area if sc.merged is not None else 0
        if sum(g.intake_staff for g in sc.line_grids.values()) + extra < least:
            yield (
                f"line_grids: merged needs at least {least} intake staff per area ({leaders} of them grid "
                f"leaders, merged.grid_leaders_per_area"
                + ("" if one_door else ", and one for each line station, merged.reform.one_door is off")
                + ")"
            )
    if sc.merged is not None and whole(sc.departments) and sc.calendars is not None:
        for field, cal in (
            ("stationed_calendar", sc.merged.stationed_calendar),
            ("volunteers.calendar", sc.merged.volunteers.calendar),
        ):
            if cal is not None and (problem := unknown(sc.calendars, cal, "calendar")):
                yield f"merged.{field}: {problem}"
    for k, c in entries(sc.calendars):
        if (c.holidays or c.workdays) and sc.start_date is None:
            yield f"calendars.{k}.holidays: holidays and workdays need the scenario's start_date (YYYY-MM-DD)"
    if None not in (sc.warmup_days, sc.horizon_days) and sc.warmup_days >= sc.horizon_days:
        yield (
            f"warmup_days: expected less than horizon_days ({sc.horizon_days:g}), got {sc.warmup_days:g}: "
            "nothing would be measured; shorten the warm-up too (e.g. --set warmup_days=0) or lengthen the run"
        )
    try:
        models.load(sc.plugins or [])
    except ScenarioError as exc:
        yield from (f"plugins: {e}" for e in exc.errors)
    known = models.names()
    if sc.variants is not None:
        for m in [*(sc.models or []), *([sc.baseline] if sc.baseline is not None else [])]:
            if m not in known and m not in sc.variants:
                yield f"models: unknown model {m!r} (expected {', '.join(known)} or a name in variants)"
    for name, raw in (sc.settings or {}).items():
        yield from _settings_problems(name, raw, known)
    for name, v in (sc.variants or {}).items():
        if name in known:
            yield f"variants.{name}: a variant cannot be called like a governance model"
        elif v is not None and v.policy not in known:
            yield f"variants.{name}.policy: unknown governance model {v.policy!r} (expected {', '.join(known)})"
        elif complete:  # a variant is checked as a whole scenario, so only when this one is
            try:
                sc.arm(name)
            except ScenarioError as exc:
                yield from (f"variants.{name}: {e}" for e in exc.errors)
    if complete and sc.city is not None:  # each kind of street is checked as a whole scenario
        for kind, spec in sc.city.streets.items():
            if any(path.split(".")[0] == "city" for path in spec.set):
                yield f"city.streets.{kind}.set: a street cannot set city"
                continue
            try:
                sc.model_copy(update={"city": City(streets={kind: spec})}).streets()
            except ScenarioError as exc:
                yield from (f"city.streets.{kind}: {e}" for e in exc.errors)
    if (
        whole(sc.groups)
        and sc.channels is not None
        and sc.channels.hotline.operators == 0
        and any(g.channel_mix.get("hotline", 0.0) > 0 for g in sc.groups.values())
    ):
        yield "channels.hotline.operators: groups call the hotline (channel_mix.hotline > 0) but it has no operators"
    if (
        whole(sc.groups)
        and sc.channels is not None
        and sc.channels.station.staff_per_area == 0
        and any(g.channel_mix.get("station", 0.0) > 0 for g in sc.groups.values())
    ):
        yield (
            "channels.station.staff_per_area: groups file at service stations (channel_mix.station > 0) but they "
            "have no staff"
        )
    if whole(sc.groups) and sc.horizon_days is not None:
        expected = sum(g.arrivals_per_day for g in sc.groups.values()) * sc.horizon_days
        if expected > limits().street_issues:
            yield (
                f"groups: about {expected / 1e6:,.0f} million issues over {sc.horizon_days:g} days, more than the "
                f"{limits().street_issues / 1e6:.0f} million a street may draw (the Shanghai year is 5.2 million "
                f"over 215 streets): shorten horizon_days or lower arrivals_per_day {HINT}"
            )
    if whole(sc.groups) and not any(g.arrivals_per_day > 0 for g in sc.groups.values()):
        yield "groups: expected at least one group with arrivals_per_day > 0"
    for k, surge in enumerate(sc.surges or []):
        for c in surge.categories:
            if sc.categories is not None and c not in sc.categories:
                yield f"surges.{k}.categories: unknown category {c!r} (expected one of {', '.join(sc.categories)})"
        if isinstance(surge.start, date) and sc.start_date is None:
            yield f"surges.{k}.start: a date needs the scenario's start_date (or give days from t = 0)"
    if sc.ladder is not None:
        yield from _ladder_problems(sc)


def _ladder_problems(sc: Scenario) -> Iterator[str]:
    """The ladder's references: its groups, its levels' calendars, the categories' levels."""
    lad = sc.ladder
    for g in lad.groups if lad.enabled else []:  # (the default, disabled, names residents whoever the groups are)
        if sc.groups is not None and g not in sc.groups:
            yield f"ladder.groups: unknown group {g!r} (expected one of {', '.join(sc.groups)})"
    for name, level in lad.levels.items():
        if level.calendar is not None and sc.calendars is not None and level.calendar not in sc.calendars:
            yield (
                f"ladder.levels.{name}.calendar: unknown calendar {level.calendar!r} "
                f"(expected one of {sorted(sc.calendars)})"
            )
    for k, c in (sc.categories or {}).items():
        if c is not None and c.ladder is not None and c.ladder not in lad.levels:
            yield (
                f"categories.{k}.ladder: unknown level {c.ladder!r} "
                f"(expected one of {', '.join(lad.levels) or 'none'}: ladder.levels)"
            )


#: The named collections of a scenario (maps keyed by id).
def _settings_problems(name: str, raw: Any, known: list[str]) -> Iterator[str]:
    """A plug-in model's settings block against its Settings class."""
    if name not in known:
        yield f"settings.{name}: unknown governance model {name!r} (expected one of {', '.join(known)})"
        return
    spec = models.get(name).Settings
    if spec is None:
        yield f"settings.{name}: the {name} model takes no settings of its own"
        return
    try:
        spec.model_validate(raw or {})
    except ValidationError as exc:
        for e in exc.errors():
            yield f"settings.{name}." + ".".join(map(str, e["loc"])) + f": {e['msg']}"


_COLLECTIONS = ("calendars", "departments", "line_grids", "areas", "groups", "categories", "variants")


def _valid_or_none(model: type[BaseModel], value):
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


@cache
def _field_model(name: str) -> type[BaseModel]:
    """A model holding just the scenario field ``name`` (with its type, constraints and default)."""
    field = Scenario.model_fields[name]
    # Any: a ** mapping must fit create_model's own keywords (__config__, ...) as well as the fields
    definition: dict[str, Any] = {name: (field.annotation, field)}
    return create_model(f"Scenario_{name}", __base__=Strict, **definition)


def _well_formed(raw: dict) -> Scenario:
    """The well-formed parts of raw scenario data, as an unvalidated :class:`Scenario`.

    Each top-level field is validated on its own and each entry of a named collection on its
    own; what is not well formed (or required and missing) is None, so cross-reference checks can
    run on the rest.  The names of a collection are its keys even where the entry is bad.
    """
    parts: dict[str, Any] = {}
    for name, field in Scenario.model_fields.items():
        if name not in raw:
            if field.is_required():
                parts[name] = None  # else model_construct fills in the default
        elif name in _COLLECTIONS:
            model = get_args(field.annotation)[1]
            value = raw[name]
            parts[name] = (
                {k: _valid_or_none(model, v) for k, v in value.items() if isinstance(k, str)}
                if isinstance(value, dict)
                else None
            )
        else:
            part = _valid_or_none(_field_model(name), {name: raw[name]})
            parts[name] = None if part is None else getattr(part, name)
    return Scenario.model_construct(**parts)


# ---------------------------------------------------------------- loading


def set_path(raw: dict, path: str, value, source: str = "--set") -> dict:
    """Set the field at dotted ``path`` in raw scenario data (creating maps on the way)."""
    keys = [k for k in str(path).strip().split(".") if k]
    if not keys:
        raise ScenarioError(source, [f"{path!r}: empty field path"])
    node = raw
    for i, k in enumerate(keys[:-1]):
        nxt = node.get(k)
        if nxt is None:
            nxt = node[k] = {}
        if not isinstance(nxt, dict):
            raise ScenarioError(source, [f"{'.'.join(keys[: i + 1])}: is not a map, cannot set {path}"])
        node = nxt
    node[keys[-1]] = value
    return raw


def delegate_simplest(raw: dict, share: float) -> dict:
    """Make the simplest ``share`` of categories delegable (least mean total service work first).

    A lever for sweeps and the demo: "share of categories delegated to the grid".
    """
    cats = raw["categories"]
    work = {k: sum(Category.model_validate(c).service[d].mean_value for d in c["departments"]) for k, c in cats.items()}
    order = sorted(cats, key=lambda k: (work[k], list(cats).index(k)))
    k = int(round(share * len(cats)))
    for i, name in enumerate(order):
        cats[name]["delegable"] = i < k
    return raw


def delegated_share_of(raw: dict) -> float:
    """The share of categories delegable in raw scenario data (the base value of that lever)."""
    cats = raw["categories"]
    return sum(bool(c.get("delegable")) for c in cats.values()) / len(cats)


def file_in_person(raw: dict, share: float) -> dict:
    """Every group files in person with chance ``share``; the rest keeps the group's hotline : online : station ratio.

    A lever for sweeps (channels are not the reform, so it moves both models together).  A group
    that filed only in person splits the rest as the scenario's groups do on average (all hotline if none).

    >>> mix = file_in_person({"groups": {"a": {"channel_mix": {"in_person": 0.2, "hotline": 0.6, "online": 0.2}}}},
    ...                      0.5)["groups"]["a"]["channel_mix"]
    >>> {k: round(v, 6) for k, v in mix.items()}
    {'in_person': 0.5, 'hotline': 0.375, 'online': 0.125}
    """
    mixes = [dict(g.get("channel_mix") or {"in_person": 1.0}) for g in raw["groups"].values()]
    others = ("hotline", "online", "station")
    remote = [[m.get(c, 0.0) for c in others] for m in mixes]
    totals = [sum(col) for col in zip(*remote)]
    default = [t / sum(totals) for t in totals] if sum(totals) > 0 else [1.0, 0.0, 0.0]
    for g, r in zip(raw["groups"].values(), remote):
        hotline, online, station = [x / sum(r) for x in r] if sum(r) > 0 else default
        g["channel_mix"] = {
            "in_person": share,
            "hotline": (1 - share) * hotline,
            "online": (1 - share) * (1 - hotline - station) if online else 0.0,  # the rest, as before stations
        } | ({"station": (1 - share) * station} if station else {})
    return raw


def in_person_share_of(raw: dict) -> float:
    """The arrivals-weighted share of appeals filed in person in raw scenario data."""
    groups = raw["groups"].values()
    rate = sum(g["arrivals_per_day"] for g in groups)
    return (
        sum(g["arrivals_per_day"] * (g.get("channel_mix") or {"in_person": 1.0}).get("in_person", 0.0) for g in groups)
        / rate
    )


#: Named levers for sweeps: name -> (set it in raw data to a value, read its base value).
LEVERS = {
    "delegated_share": (delegate_simplest, delegated_share_of),
    "in_person_share": (file_in_person, in_person_share_of),
}


def yaml_problem(exc: Exception) -> str:
    """What is wrong with some YAML, on one line, and where: PyYAML's messages span several lines, and a value
    it cannot build (a date such as 2024-02-30) is a ValueError.

    >>> try:
    ...     yaml.safe_load("a: b: c")
    ... except yaml.YAMLError as exc:
    ...     yaml_problem(exc)
    'not valid YAML at line 1, column 5: mapping values are not allowed here'
    """
    where = getattr(exc, "problem_mark", None)
    at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
    what = getattr(exc, "problem", None) or str(exc)
    if isinstance(exc, ValueError):
        what += " (a date that does not exist?)"
    return " ".join(f"not valid YAML{at}: {what}".split())


def apply_overrides(raw: dict, overrides: list[str]) -> dict:
    """Apply ``path.to.field=value`` overrides (values parsed as YAML) to raw scenario data."""
    for item in overrides or []:
        if "=" not in item:
            raise ScenarioError("--set", [f"{item!r}: expected path.to.field=value"])
        path, _, text = item.partition("=")
        try:
            value = yaml.safe_load(text)
        except (yaml.YAMLError, ValueError) as exc:
            raise ScenarioError("--set", [f"{path}: value is {yaml_problem(exc)}"]) from None
        except RecursionError:
            raise ScenarioError("--set", [f"{path}: nested too deeply"]) from None
        check_size(value, f"--set {path}")
        set_path(raw, path, value)
    return raw


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one map is an error, not "the last one wins"."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (a map may give each key once)", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def check_size(raw, source: str) -> None:
    """Refuse data that would expand past the values or nest past the depth :func:`sim.limits.limits` allows.

    YAML aliases let a few kilobytes stand for billions of values (a "billion laughs"): loading
    shares them, but validating and copying a scenario expands them.  Counting each shared part
    once with its expanded size costs no expansion.

    >>> shared = [1] * 1000
    >>> check_size({"a": [shared] * 10}, "x")             # 10,000 values: fine
    >>> check_size({"a": [[shared] * 1000] * 1000}, "x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sim.errors.ScenarioError: x: expands to 1,001,001 values or more (YAML aliases?), ...
    """
    sizes: dict[int, int] = {}  # expanded size of each container done; -1 while its contents are counted
    most, deepest = limits().yaml_values, limits().yaml_depth
    parts = lambda x: x.values() if isinstance(x, dict) else x  # noqa: E731
    # depth first with a stack of its own, not recursion: a deep file must not exhaust Python's stack
    stack: list[tuple[Any, int, bool]] = [(raw, 0, False)]
    while stack:
        x, depth, counted = stack.pop()
        if not isinstance(x, (dict, list)):
            continue
        k = id(x)
        if counted:  # its contents are all done
            sizes[k] = n = 1 + sum(sizes[id(v)] if isinstance(v, (dict, list)) else 1 for v in parts(x))
            if n > most:
                too_many = f"expands to {n:,} values or more (YAML aliases?), over the {most:,.0f} a scenario may hold"
                raise ScenarioError(source, [f"{too_many} {HINT}"])
        elif k in sizes:
            if sizes[k] < 0:  # met again inside itself
                raise ScenarioError(source, ["a YAML alias refers to itself: not a scenario"])
        elif depth > deepest:
            raise ScenarioError(source, [f"nested more than {deepest} levels deep: not a scenario {HINT}"])
        else:
            sizes[k] = -1
            stack.append((x, depth, True))
            stack.extend((v, depth + 1, False) for v in parts(x))


def read_scenario(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict:
    """Read a scenario file into raw data (:func:`read_yaml`); a file with ``base:`` is built on another
    scenario file (:func:`_extended`)."""
    raw = read_yaml(path)
    return _extended(raw, Path(path), _seen) if "base" in raw else raw


def read_yaml(path: str | Path) -> dict:
    """Read a YAML file (a scenario, a sweep, a column map) into raw data, with clear errors for missing,
    empty or non-YAML files."""
    source = str(path)
    try:
        size = Path(path).stat().st_size
        if size > limits().file_bytes:
            raise ScenarioError(
                source, [f"{size:,} bytes, more than the {limits().file_bytes:,.0f} a scenario file may have {HINT}"]
            )
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(source, [f"cannot read file ({exc})"]) from None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except (yaml.YAMLError, ValueError) as exc:
        raise ScenarioError(source, [yaml_problem(exc)]) from None
    except RecursionError:
        raise ScenarioError(source, ["nested too deeply to be a scenario"]) from None
    check_size(raw, source)
    if raw is None:
        raise ScenarioError(source, ["file is empty: expected a scenario (a YAML map)"])
    if not isinstance(raw, dict):
        raise ScenarioError(source, [f"expected a YAML map at the top level, got {type(raw).__name__}"])
    return raw


MAX_BASES = 8  # scenarios built on scenarios, at most this deep


def _extended(raw: dict, path: Path, seen: tuple[Path, ...]) -> dict:
    """A scenario built on another (``base:``, a path relative to this file): the base's data with this file's
    ``set:`` (dotted paths, as ``--set``) applied, then this file's other top-level keys in place of the base's.

    So an institution's scenario is the default street and the few settings that make it, not a copy.
    """
    source, base = str(path), raw.pop("base")
    changes = raw.pop("set", None) or {}
    if not isinstance(base, str) or not isinstance(changes, dict):
        raise ScenarioError(source, ["base: expected a path to a scenario file, with set: a map of field paths"])
    target = (path.parent / base).resolve()
    if target in seen or len(seen) >= MAX_BASES:
        chain = " -> ".join(str(p) for p in (*seen, target))
        raise ScenarioError(
            source, [f"base: scenarios built on each other in a loop or over {MAX_BASES} deep ({chain})"]
        )
    data = read_scenario(target, (*seen, path.resolve()))
    for field_path, value in changes.items():
        set_path(data, field_path, value, f"{source}: set")
    return data | raw


_LEADING_FIELD = re.compile(r"([A-Za-z_]\w*): (.*)", re.DOTALL)
_DIST_TAGS = ("exponential", "lognormal", "gamma", "triangular", "uniform", "fixed")


def _format_error(err: ErrorDetails) -> list[str]:
    """One pydantic error as ``field.path: message`` lines."""
    # Drop the discriminated-union tag pydantic puts into paths (e.g. '...service.lognormal.cv').
    loc = [str(p) for p in err["loc"] if p not in _DIST_TAGS or err["type"] == "union_tag_invalid"]
    path = ".".join(loc)
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden" and (hint := old_field_hint(path)):
        return [hint]
    if err["type"] == "extra_forbidden":
        msg = "unknown field (not in the scenario schema; check the spelling)"
    elif err["type"] == "missing":
        msg = "required field is missing"
    lines = msg.split("\n")
    if not path:
        return lines
    fold = err["type"] == "value_error"  # a model validator's message may name a field first: 'hours: ...'
    return [
        f"{path}.{m[1]}: {m[2]}" if fold and (m := _LEADING_FIELD.fullmatch(line)) else f"{path}: {line}"
        for line in lines
    ]


def build_scenario(raw: dict, source: str = "<scenario>") -> Scenario:
    """Validate raw data into a :class:`Scenario`, or raise :class:`ScenarioError` listing every problem.

    Data written for an older schema version is migrated first, each change given as a
    :class:`ScenarioNote` warning.
    """
    if isinstance(raw, dict):
        raw, notes = migrate(raw, source)
        for n in notes:
            warnings.warn(ScenarioNote(f"{source}: {n}"), stacklevel=2)
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        errors = [line for e in exc.errors() for line in _format_error(e)]
        if isinstance(raw, dict) and any(e["loc"] for e in exc.errors()):
            # Field errors stop pydantic before the cross-reference checks: run them on the parts
            # that are well formed, so that one try reports both kinds.
            errors += [p for p in _reference_problems(_well_formed(raw), complete=False) if p not in errors]
        raise ScenarioError(source, errors) from None


def load_scenario(path: str | Path | None = None, overrides: list[str] | None = None) -> Scenario:
    """Load, override and validate a scenario file (the embedded default when ``path`` is None)."""
    path = DEFAULT_SCENARIO_PATH if path is None else Path(path)
    raw = apply_overrides(read_scenario(path), overrides or [])
    return build_scenario(raw, str(path))


def json_schema() -> dict:
    """The JSON Schema of the scenario format (for editors)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "gridsim scenario"
    return schema
