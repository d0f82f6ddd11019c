"""The world of one governance model: SimPy resources built from the scenario.

Offices are staffed desks with opening hours.  Siloed: one station per line grid
per area, and the departments at full headcount.  Merged: one comprehensive
station per area (its intake staff, a grid leader 网格长 and the staff stationed
下沉 from departments), and departments thinned by what they stationed.  Both
have the same total headcount unless the scenario adds staff to merged (``extra_staff``, volunteers,
surge leaders); offices every model has (the hotline, service stations, the grassroots ladder) are the
same in both.

>>> from sim.scenario import load_scenario
>>> sc = load_scenario()
>>> sum(staffing(sc, "siloed").values()) == sum(staffing(sc, "merged").values())
True
"""

from __future__ import annotations

import math
from collections import deque
from typing import Callable

import simpy

from .calendar import ALWAYS, Calendar, DatedCalendar, on_days
from .scenario import Scenario


class Claim:
    """A job's claim on one staff member of an office.

    ``granted`` at once when a desk is free (no event at all); otherwise ``event``
    succeeds when a desk frees (value True, first come first served) or when the
    job gives up (value False, see :meth:`Office.give_up_at`).
    """

    __slots__ = ("office", "since", "granted", "cancelled", "event", "on_grant", "end")

    def __init__(self, office: "Office", since: float):
        self.office, self.since, self.granted, self.cancelled = office, since, False, False
        self.event: simpy.Event | None = None
        # called, instead of succeeding ``event``, when a desk frees for it
        self.on_grant: Callable[[], None] | None = None
        self.end = 0.0  # when its work ends, once started

    def ended(self, _event) -> None:
        """Callback: the work is done; the desk frees."""
        self.office._finish(self)


class Office:
    """A desk of ``capacity`` staff that works only while its calendar is open.

    A multi-server queue, first come first served within a priority (a job of a higher
    ``priority`` is served before any queued job of a lower one, without interrupting work
    under way), lighter than ``simpy.Resource`` (a job that finds a free desk costs no event).  It records what queueing
    theory checks need, so callers record nothing: staff hours worked, jobs, the
    most staff busy at once, waits in queue, time in system of finished jobs,
    and the time integral of the number present.
    """

    def __init__(self, env: simpy.Environment, name: str, capacity: int, calendar: Calendar):
        self.env, self.name, self.capacity, self.calendar = env, name, capacity, calendar
        self.label = name
        self.free = max(capacity, 1)  # an unstaffed office (capacity 0) is never routed to
        self.queue: deque[Claim] = deque()  # priority 0, the usual
        self.urgent: dict[int, deque[Claim]] = {}  # priorities above 0: served first, the highest first
        self.serving: set[Claim] = set()  # claims whose work takes time and is under way
        self.busy = 0
        self.present = 0  # jobs queueing or in service now
        self._releasing = False  # a desk is being handed on (see _release)
        self._freed = 0  # desks freed meanwhile, handed on by the same loop
        self.reset()

    def reset(self) -> None:
        """Start the statistics afresh from now (at the end of the warm-up); jobs present stay.

        Work under way counts from now on; waits and times in system count only after now.
        """
        now = self.env.now
        self.since = now
        self.work_hours = sum(self.calendar.open_between(now, c.end) for c in self.serving)
        self.max_busy = self.busy
        self.jobs = 0
        self.wait_sum = 0.0  # hours waited in queue (after ``since``) by jobs that started service
        self.waited = 0  # of those, jobs that waited at all
        self.sojourn_sum = 0.0  # hours in system of jobs that left (served or gave up)
        self.finished = 0
        self.present_area = 0.0  # integral of ``present`` over time
        self._last = self.env.now
        self.since_sum = self.present * self.env.now  # sum over jobs present of max(arrival, reset)

    @property
    def queue_length(self) -> int:
        """Jobs waiting for a desk now."""
        return self.present - self.busy

    def request(self, event: bool = True, priority: int = 0) -> Claim:
        """Claim one of this office's staff; the job counts as present from now.

        A claim that must queue gets an ``event`` to wait on; with ``event=False`` the
        caller sets the claim's ``on_grant`` instead, called when a desk frees for it.
        It queues behind the claims of its ``priority`` and above.

        >>> import simpy
        >>> from sim.calendar import ALWAYS
        >>> office = Office(simpy.Environment(), "desk", 1, ALWAYS)
        >>> first, normal, urgent = office.request(), office.request(), office.request(priority=2)
        >>> first.granted, normal.granted, urgent.granted
        (True, False, False)
        >>> office._release(); urgent.granted, normal.granted  # the desk frees: the urgent job goes first
        (True, False)
        """
        now = self.env.now
        self.present_area += self.present * (now - self._last)
        self._last = now
        self.present += 1
        self.since_sum += now
        claim = Claim(self, now)
        if self.free:
            self.free -= 1
            claim.granted = True
        else:
            if event:
                claim.event = self.env.event()
            if priority > 0:
                self.urgent.setdefault(priority, deque()).append(claim)
            else:
                self.queue.append(claim)
        return claim

    def give_up_at(self, claim: Claim, t: float) -> None:
        """A queued job leaves unserved at time ``t`` if it has not been granted a desk by then (reneging).

        Only for a claim with an ``event`` (its process learns from it that the job gave up).
        """
        event = claim.event
        if event is None:
            raise ValueError(f"{self.name}: give_up_at needs a claim made with request(event=True)")

        def give_up(_event):
            if not claim.granted:
                claim.cancelled = True  # dropped when it reaches the head of the queue
                self._depart(claim)
                event.succeed(False)

        self.env.timeout(t - self.env.now).callbacks.append(give_up)

    def _release(self) -> None:
        """A desk frees: hand it to the first job still queueing, or leave it free.

        Handing it on can start zero-length work that frees a desk at once; that desk is
        handed on by this same loop, not by a nested call, however many such jobs queue.
        """
        if self._releasing:
            self._freed += 1
            return
        self._releasing = True
        freed = 1
        while freed:
            freed -= 1
            self._hand_on()
            freed += self._freed
            self._freed = 0
        self._releasing = False

    def _hand_on(self) -> None:
        if self.urgent:
            for level in sorted(self.urgent, reverse=True):
                queue = self.urgent[level]
                while queue:
                    if self._grant(queue.popleft()):
                        return
                del self.urgent[level]
        while self.queue:
            if self._grant(self.queue.popleft()):
                return
        self.free += 1

    def _grant(self, claim: Claim) -> bool:
        """Give the freed desk to ``claim`` unless it gave up meanwhile; whether it took it."""
        if claim.cancelled:
            return False
        claim.granted = True
        if claim.on_grant is None:
            assert claim.event is not None  # a claim has an event, or its caller set on_grant
            claim.event.succeed(True)
        else:  # a job with no process: its work starts now, with no event in between
            on_grant, claim.on_grant = claim.on_grant, None  # no cycle left for the collector
            on_grant()
        return True

    def _depart(self, claim: Claim) -> None:
        now = self.env.now
        self.finished += 1
        start = claim.since if claim.since > self.since else self.since
        self.sojourn_sum += now - start
        self.since_sum -= start
        self.present_area += self.present * (now - self._last)
        self._last = now
        self.present -= 1

    def start(self, claim: Claim, hours: float):
        """Start ``hours`` of open-time work on a granted ``claim``; the desk frees itself when done.

        Returns the event that fires when the work ends, or None when it takes no time
        (a zero-length step costs no event).
        """
        env = self.env
        now = env.now
        wait = now - (claim.since if claim.since > self.since else self.since)
        self.wait_sum += wait
        self.waited += wait > 1e-12
        self.busy += 1
        if self.busy > self.max_busy:
            self.max_busy = self.busy
        self.jobs += 1
        self.work_hours += hours
        end = self.calendar.finish(now, hours)
        if end > now:
            claim.end = end
            self.serving.add(claim)
            done = env.timeout(end - now)
            done.callbacks.append(claim.ended)  # before any waiting process: the desk frees first
            return done
        self._finish(claim)
        return None

    def _finish(self, claim: Claim) -> None:
        self.serving.discard(claim)
        self.busy -= 1
        self._release()
        self._depart(claim)

    def job(self, hours: float, on_start: Callable[[], None] | None = None, priority: int = 0) -> simpy.Event:
        """Queue for a staff member (at ``priority``) and work ``hours`` of open time, with no process of its own.

        Returns the event that fires when the work is done; ``on_start()`` is called when a
        staff member takes it up (for the event log: no event of its own, so nothing reorders).
        """
        claim = self.request(event=False, priority=priority)
        if claim.granted:
            if on_start is not None:
                on_start()
            end = self.start(claim, hours)
            return self.env.timeout(0) if end is None else end
        done = self.env.event()

        def granted():  # when a desk frees for the queued claim
            if on_start is not None:
                on_start()
            end = self.start(claim, hours)
            if end is None:
                done.succeed()
            else:
                end.callbacks.append(done.trigger)

        claim.on_grant = granted
        return done

    def worked_hours(self, horizon: float) -> float:
        """Staff hours worked from the last reset to ``horizon`` (work still under way counts up to it)."""
        beyond = sum(self.calendar.open_between(horizon, c.end) for c in self.serving if c.end > horizon)
        return self.work_hours - beyond

    def utilisation(self, horizon: float) -> float:
        """Share of staffed open hours spent working, from the last reset to ``horizon``."""
        available = self.staffed_hours(self.since, horizon)
        return self.worked_hours(horizon) / available if available > 0 else float("nan")

    def mean_present(self, horizon: float) -> float:
        """Time-average number of jobs present (queueing or in service) since the last reset."""
        return (self.present_area + self.present * (horizon - self._last)) / (horizon - self.since)

    def staffed_hours(self, start: float, end: float) -> float:
        """Person-hours on duty between ``start`` and ``end``: headcount × open hours of the calendar.

        >>> import simpy
        >>> from sim.calendar import ALWAYS
        >>> Office(simpy.Environment(), "desk", 3, ALWAYS).staffed_hours(0.0, 10.0)
        30.0
        """
        return self.capacity * self.calendar.open_between(start, end)

    def edge_hours(self, horizon: float) -> float:
        """Hours spent in the system, up to ``horizon``, by jobs still present then (Little's law edge term)."""
        return self.present * horizon - self.since_sum


def largest_remainder(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` in whole numbers (Hamilton's method).

    >>> largest_remainder(5, [1, 1, 1])
    [2, 2, 1]
    """
    quotas = [total * w / sum(weights) for w in weights]
    base = [math.floor(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - base[i]), i))
    for i in order[: total - sum(base)]:
        base[i] += 1
    return base


def stationed_counts(sc: Scenario) -> dict[str, int]:
    """Staff each department stations in the comprehensive grids when merged."""
    return {d: sc.stationed(d) for d in sc.departments}


def uses_hotline(sc: Scenario) -> bool:
    """Whether any group files by the 12345 hotline."""
    return any(g.channel_mix.get("hotline", 0.0) > 0 for g in sc.groups.values())


def ladder_offices(sc: Scenario) -> dict[str, int]:
    """Full-time equivalents of each level of the grassroots ladder in each area (``ladder:LEVEL:AREA``), the same
    in every model: the level's units (``ladder.population`` / its residents per unit) split over the areas by
    weight, times its staff per unit, rounded.

    >>> from sim.scenario import load_scenario
    >>> sc = load_scenario("scenarios/institutions/ladder.yaml")
    >>> [ladder_offices(sc)[f"ladder:building_group:{a}"] for a in sc.areas]  # 600 building groups, 0.02 each
    [5, 4, 3]
    """
    if not sc.ladder_on():
        return {}
    weights = [a.weight for a in sc.areas.values()]
    out: dict[str, int] = {}
    for name, level in sc.ladder.levels.items():
        units = largest_remainder(round(sc.ladder.population / level.residents_per_unit), weights)
        out |= {f"ladder:{name}:{a}": round(n * level.staff_per_unit) for a, n in zip(sc.areas, units)}
    return out


def service_stations(sc: Scenario) -> dict[str, int]:
    """Headcount of the gig-worker service stations (``service_station:A``, the same in every model): one per
    area when any group files there."""
    if not any(g.channel_mix.get("station", 0.0) > 0 for g in sc.groups.values()):
        return {}
    return {f"service_station:{a}": sc.channels.station.staff_per_area for a in sc.areas}


def staffing(sc: Scenario, model: str) -> dict[str, int]:
    """Headcount by office key (``dept:X``, ``line:G:A``, ``station:A``, ``leader:A``, ``stationed:A``,
    and ``hotline:12345``, the same in both models, when any group calls it): the registered model's
    own rule (``Policy.staffing``)."""
    from .models import get

    return get(model, sc.plugins).staffing(sc)


def line_stations(sc: Scenario, leaders: int = 0, extra: int = 0) -> dict[str, int]:
    """Headcount of each line grid's station in each area (``line:G:A``), in line-grid order.

    ``extra`` intake staff per area join its first line grid's station; ``leaders`` per area are taken
    from its stations, one at a time from the largest (the first on a tie), for the merged arm without
    its one door.

    >>> from sim.scenario import load_scenario
    >>> sc = load_scenario()
    >>> [line_stations(sc, leaders=1)[f"line:{g}:north"] for g in sc.line_grids]
    [1, 1, 2]
    """
    n = {g: s.intake_staff for g, s in sc.line_grids.items()}
    n[next(iter(n))] += extra
    for _ in range(leaders):
        n[max(n, key=lambda g: n[g])] -= 1
    return {f"line:{g}:{a}": n[g] for g in sc.line_grids for a in sc.areas}


def office_label(sc: Scenario, key: str) -> str:
    """A readable name for an office key, with the Chinese term where the scenario gives one; a model's own
    kinds of office are named by the model (``Policy.area_offices``)."""
    kind, name, *rest = key.split(":")
    if kind == "dept":
        return _named(sc.departments[name].label, name, "department")
    if kind == "line":
        return _named(sc.line_grids[name].label, name, "line-grid") + f" station in {rest[0]}"
    if kind == "hotline":
        return f"hotline operators in {name}"
    if kind == "ladder":
        return _named(sc.ladder.levels[name].label, name, "") + f" in {rest[0]}"
    if kind == "service_station":
        return f"gig-worker service station (驿站) in {name}"
    from .models import area_offices

    return f"{area_offices().get(kind, kind)} in {name}"


def _named(label, code: str, kind: str) -> str:
    """ "police station (派出所)" from a label; without an English one, the code name and its kind."""
    en = label.en or " ".join(x for x in (code.replace("_", " "), kind) if x)
    return f"{en} ({label.zh})" if label.zh else en


class World:
    """The offices of one governance model on one SimPy environment."""

    def __init__(self, sc: Scenario, model: str, env: simpy.Environment | None = None):
        self.scenario, self.model = sc, model
        self.env = env or simpy.Environment()
        cals = {k: c.build(sc.start_date) for k, c in sc.calendars.items()}
        self.calendars = cals
        self.offices: dict[str, Office] = {}
        for key, n in staffing(sc, model).items():
            kind, name, *rest = key.split(":")
            if kind == "dept":
                cal = cals[sc.departments[name].calendar]
            elif kind == "line":
                cal = cals[sc.line_grids[name].calendar]
            elif kind == "stationed":  # stationed staff keep their departments' hours unless moved
                cal = cals[sc.stationed_calendar()]
            elif kind == "surge":  # the grid's hours, on surge days only
                cal = on_days(cals[sc.merged.calendar], sc.surge_days(), sc.horizon_days)
            elif kind == "ladder":
                cal = cals[sc.ladder.levels[name].calendar or sc.merged.calendar]
            elif kind == "volunteer":
                cal = cals[sc.merged.volunteers.calendar or sc.merged.calendar]
            elif kind in ("hotline", "service_station"):
                cal = self.calendar(sc.channels.hotline.calendar if kind == "hotline" else sc.channels.station.calendar)
            else:
                cal = cals[sc.merged.calendar]
            self.offices[key] = Office(self.env, key, n, cal)
            self.offices[key].label = office_label(sc, key)

    def calendar(self, key: str | None) -> Calendar | DatedCalendar:
        """The scenario's calendar ``key``, built; None: open all the time."""
        return ALWAYS if key is None else self.calendars[key]

    def office(self, *parts: str) -> Office:
        """The office with key ``':'.join(parts)``, e.g. ``world.office('dept', 'police')``."""
        return self.offices[":".join(parts)]
