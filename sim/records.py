"""The per-appeal record and its end states.

Every issue that arises gets exactly one record per model, and at the horizon
each record is in exactly one end state: ``resolved``, ``abandoned`` or ``open``.

>>> r = AppealRecord(model="merged", replication=0, issue=0, group="residents",
...                  category="noise", area="north", created=1.5)
>>> r.state
'open'
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, fields
from typing import Literal, Optional

import pandas as pd

END_STATES = ("resolved", "abandoned", "open")
#: How a citizen files (the keys of a group's ``channel_mix``).
CitizenChannel = Literal["in_person", "hotline", "online", "station"]
CITIZEN_CHANNELS: tuple[CitizenChannel, ...] = ("in_person", "hotline", "online", "station")
#: How an appeal was filed: by the citizen (in person, by the 12345 hotline, online or by app, at a gig-worker
#: service station), or by a finder before them (a department's inspection crew, a grid patrol, a rider who
#: reports what they pass).
CHANNELS: tuple[str, ...] = CITIZEN_CHANNELS + ("inspection", "patrol", "rider")
IN_PERSON, HOTLINE, ONLINE, STATION = 0, 1, 2, 3
RIDER = CHANNELS.index("rider")


@dataclass(slots=True)
class AppealRecord:
    """What happened to one issue under one governance model (times in hours from t = 0)."""

    model: str
    replication: int
    issue: int
    group: str
    category: str
    area: str
    created: float
    departments: str = ""
    channel: str = "in_person"  # how it was filed (CHANNELS): by the citizen, or by a finder first
    filed: Optional[float] = None
    first_response: Optional[float] = None
    first_resolved: Optional[float] = None  # the first resolution, before any reopening
    resolved: Optional[float] = None
    abandoned: Optional[float] = None
    state: str = "open"
    trips: int = 0
    referrals: int = 0
    bounces: int = 0
    escalated: bool = False
    unclear: bool = False
    hard: bool = False
    reopened: int = 0
    satisfied_first: Optional[bool] = None  # at the first resolution: what the citizen lived through
    satisfied: Optional[bool] = None  # at the final resolution, after any feedback loop
    citizen_hours: float = 0.0
    staff_hours: float = 0.0
    recontacts: int = 0  # times an office had to reach the citizen again after a lossy hand-off (no shared platform)
    priority: int = 0  # its category's: offices serve higher priorities first (0: the usual)
    reports: int = 0  # departments called on site by the whistle (吹哨报到) that reported
    late_reports: int = 0  # of those, the reports later than the whistle's deadline
    resolved_at: str = ""  # the grassroots ladder's level that settled it (ladder.levels); "" otherwise
    events: Optional[list] = None  # (time, text) steps, kept only for appeals being traced
    steps: Optional[list] = None  # (time, activity, office, lifecycle), kept only for an event log


COLUMNS = [f.name for f in fields(AppealRecord) if f.name not in ("events", "steps")]


def note(rec: AppealRecord, t: float, text) -> None:
    """Log a step of a traced appeal (a no-op for the others).

    ``text`` is a string, or a function returning one, so that untraced appeals
    (nearly all) never pay for formatting it.
    """
    if rec.events is not None:
        rec.events.append((float(t), text() if callable(text) else text))


def step(rec: AppealRecord, t: float, activity: str, office=None, lifecycle: str = "complete") -> None:
    """Log an activity of the appeal for the event log (a no-op unless one is asked for).

    ``office`` is the :class:`~sim.world.Office` doing it (None for the citizen's own steps);
    ``lifecycle`` is XES's ``start`` or ``complete``.  See :mod:`sim.eventlog`.
    """
    if rec.steps is not None:
        rec.steps.append((float(t), activity, office, lifecycle))


_row = operator.attrgetter(*COLUMNS)


def to_frame(records: list[AppealRecord]) -> pd.DataFrame:
    """Records as a table with one row per appeal, in issue order."""
    df = pd.DataFrame([_row(r) for r in records], columns=COLUMNS)
    for col in ("filed", "first_response", "first_resolved", "resolved", "abandoned"):
        df[col] = df[col].astype(float)
    for col in ("satisfied_first", "satisfied"):
        df[col] = df[col].astype("boolean")
    return df


#: Times of an appeal shown as real dates when the scenario has a start date (``<time>_at`` columns).
DATED = ("created", "filed", "first_response", "resolved", "abandoned")


def with_dates(df: pd.DataFrame, start) -> pd.DataFrame:
    """``df`` with a ``<time>_at`` timestamp beside each time in hours of :data:`DATED` (t = 0 is ``start`` 00:00).

    >>> from datetime import date
    >>> with_dates(pd.DataFrame({c: [30.5] for c in DATED}), date(2024, 3, 4))["created_at"].iloc[0]
    Timestamp('2024-03-05 06:30:00')
    """
    origin = pd.Timestamp(start)
    return df.assign(**{f"{c}_at": origin + pd.to_timedelta(df[c], unit="h").dt.round("s") for c in DATED})
