"""The merged comprehensive grid (多格合一): one door, a grid leader, stationed staff.

One trip to the area's comprehensive station; intake; triage by the grid leader
(网格长); a delegated simple matter is solved on the spot by stationed staff
(下沉力量); otherwise unclear ownership costs the grid leader coordination time
(no bounce), a hard case waits for the next joint meeting (联席会议), which costs
its attendees' hours and settles ownership (else the grid leader coordinates it), and all
needed departments work in parallel (fork-join); the case closes when the last
finishes plus a closing step.  A feedback call (回访) follows; an unsatisfied
appeal may reopen and go back to triage.  Patrols (主动发现) by stationed staff
find issues before citizens file them, beside the departments' inspection crews
that both models have; what either finds goes to the grid's triage.

Each of these steps is a switch in ``merged.reform`` (or, for the meeting, the patrols and the
feedback call, in their own blocks): off, the step is done as the line grids do it, by the
siloed policy's own code, so that with every switch off this is the siloed process
(``tests/test_null_reform.py``).  The model declares them as ``MergedPolicy.switches``
(:data:`sim.governance.reform.SWITCHES`), which ``gridsim explain`` turns off one at a time.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, cast

import numpy as np
import simpy

from ..citizen import staff_job, visit
from ..issues import IssueStream, another
from ..records import IN_PERSON, AppealRecord, note, step
from ..world import Office, World, largest_remainder, line_stations, stationed_counts
from .base import ProcessBody
from .reform import SWITCHES
from .siloed import SiloedPolicy

if TYPE_CHECKING:
    import pandas as pd

    from ..scenario import Dispatch, JointMeeting, Merged, Scenario


class JointMeetings:
    """The periodic joint meeting: hard cases wait for it; it assigns up to ``capacity`` when it ends.

    Attending costs hours: each meeting with a case on its agenda books ``hours + per_case_hours``
    × (its own cases) as a job on the grid leader of each area concerned and on each department a
    case needs (one staff member each); the meeting lasts ``hours + per_case_hours`` × all cases.
    """

    def __init__(
        self,
        env: simpy.Environment,
        spec: JointMeeting,
        leaders: list[Office],
        depts: list[Office],
        first_weekday: int = 0,
    ) -> None:
        self.env, self.spec, self.leaders, self.depts = env, spec, leaders, depts
        self.first_weekday = first_weekday  # the weekday of t = 0
        self.waiting: deque[tuple[simpy.Event, int, list[int]]] = deque()
        self.held = 0
        env.process(self._run())

    def time_of(self, k: int) -> float:
        """Time of the ``k``-th meeting (k = 0, 1, …), the first on the first ``weekday`` from ``t = 0``."""
        first = (self.spec.weekday - self.first_weekday) % 7
        return first * 24.0 + self.spec.hour + k * self.spec.every_days * 24.0

    def wait(self, area: int, depts: list[int]) -> simpy.Event:
        """An event that fires when a meeting has assigned this case (of ``area``, needing ``depts``)."""
        ev = self.env.event()
        self.waiting.append((ev, area, depts))
        return ev

    def _run(self) -> ProcessBody[None]:
        spec = self.spec
        while True:
            yield self.env.timeout(self.time_of(self.held) - self.env.now)
            self.held += 1
            n = len(self.waiting) if spec.capacity is None else min(spec.capacity, len(self.waiting))
            if not n:
                continue
            agenda = [self.waiting.popleft() for _ in range(n)]
            cases = Counter(self.leaders[area] for _, area, _ in agenda)
            cases.update(self.depts[d] for _, _, ds in agenda for d in ds)
            for office, k in cases.items():  # each attendee sits through the opening and its own cases
                office.job(spec.hours + spec.per_case_hours * k)
            length = spec.hours + spec.per_case_hours * n

            def assign(_event: simpy.Event, agenda: list[tuple[simpy.Event, int, list[int]]] = agenda) -> None:
                for ev, _, _ in agenda:  # the meeting ends: its cases are assigned
                    ev.succeed()

            self.env.timeout(length).callbacks.append(assign)


class MergedPolicy(SiloedPolicy):
    """One comprehensive grid per area: the line grids' process with the reform's steps switched on.

    Each step checks its switch in ``merged.reform`` and, when it is off, does what the line grids
    do (the parent class); with every switch off this is the siloed process, draw for draw.
    """

    name, config_block = "merged", "merged"
    label, label_zh, colour = "merged comprehensive grid", "多格合一综合网格", "#1b9e77"
    switches = SWITCHES  # every step below that differs from siloed, and how to turn it off (reform.py)
    area_offices = {
        "station": "comprehensive grid station (综合网格)",
        "leader": "grid leader (网格长)",
        "stationed": "stationed staff (下沉力量)",
        "volunteer": "party-member volunteers (党员报到)",
        "surge": "surge-duty grid leaders",
    }

    @classmethod
    def mechanisms(cls, appeals: pd.DataFrame, utilisation: pd.DataFrame, model: str, base: str) -> list[str]:
        """The grid leaders' load, the departments thinned by stationing and the joint meetings' hard cases,
        then the trips, bounces and discovery every model reports."""
        a, u, lines = appeals, utilisation, []
        # a measured window with no open hours leaves utilisation undefined (NaN): nothing to say then
        leaders = u[(u["model"] == model) & u["office"].str.startswith("leader:")].dropna(subset=["utilisation"])
        if len(leaders):
            top = leaders.loc[leaders["utilisation"].idxmax()]
            lines.append(
                f"grid leader load: busiest grid leader ({top['office'].split(':')[1]}) works "
                f"{100 * top['utilisation']:.0f}% of open hours (triage and coordination of every appeal)"
            )
        depts = u[u["office"].str.startswith("dept:")].pivot(index="office", columns="model", values="utilisation")
        gap = (depts[model] - depts[base]).dropna() if {model, base} <= set(depts.columns) else depts
        if len(gap):
            worst = gap.idxmax()
            lines.append(
                f"thinner departments: {worst.split(':')[1]} goes from {100 * depts.loc[worst, base]:.0f}% "
                f"to {100 * depts.loc[worst, model]:.0f}% utilisation after stationing staff in grids"
            )
        called = a[(a["model"] == model) & (a["reports"] > 0)] if "reports" in a else a.iloc[:0]
        if len(called):
            lines.append(
                f"吹哨报到: {100 * called['late_reports'].sum() / called['reports'].sum():.0f}% of "
                f"{called['reports'].sum()} department reports on site came after the deadline"
            )
        hard = a[a["hard"] & a["resolved"].notna()]
        if len(hard):
            t = (hard["resolved"] - hard["created"]).groupby(hard["model"]).median()
            lines.append(
                f"joint meetings: hard cases resolve in a median {t.get(model, np.nan):.0f} h {model} "
                f"vs {t.get(base, np.nan):.0f} h {base} ({(a['hard'] & (a['model'] == model)).sum()} "
                "hard cases)"
            )
        return lines + super().mechanisms(appeals, utilisation, model, base)

    @staticmethod
    def discovery(found: pd.Series, model: str, base: str) -> str:
        return (
            f"proactive discovery (主动发现): grid patrols found {100 * found.get((model, 'patrol'), 0):.0f}% "
            f"of {model} appeals before anyone filed; departments' inspection crews "
            f"{100 * found.get((model, 'inspection'), 0):.0f}% {model} and "
            f"{100 * found.get((base, 'inspection'), 0):.0f}% {base}"
        )

    @classmethod
    def offices(cls, sc: Scenario) -> dict[str, int]:
        """Which offices there are follows the switches of ``merged.reform``: one station per area (one door)
        or the line stations, grid leaders only when a step needs one, stationed staff only with stationing."""
        stationed = stationed_counts(sc)
        out = {f"dept:{d}": s.headcount - stationed[d] for d, s in sc.departments.items()}
        reform, extra, leaders = sc.merged.reform, sc.merged.extra_staff, sc.grid_leaders()
        volunteers = sc.merged.volunteers_per_area()  # party members on duty, for delegated matters
        # extra staff for stationing join the intake desks when nothing is stationed
        extra_intake = extra.intake_per_area + (0 if reform.stationing else extra.stationed_per_area)
        if not reform.one_door:
            out |= line_stations(sc, leaders, extra_intake)
        weights = [a.weight for a in sc.areas.values()]
        per_area = largest_remainder(sum(stationed.values()), weights)  # one pool per comprehensive grid
        intake = sum(g.intake_staff for g in sc.line_grids.values())
        for a, n in zip(sc.areas, per_area):
            if reform.one_door:
                out[f"station:{a}"] = intake - leaders + extra_intake
            if leaders:
                out[f"leader:{a}"] = leaders
            if reform.stationing:
                out[f"stationed:{a}"] = int(n) + extra.stationed_per_area
            if volunteers:
                out[f"volunteer:{a}"] = volunteers
            if sc.surge_leaders():
                out[f"surge:{a}"] = sc.surge_leaders()
        return out

    @staticmethod
    def _hard_cases(m: Merged) -> str:
        """The assumption of how hard cases are assigned: the whistle, the joint meeting or the grid leader."""
        w, meeting = m.whistle, m.joint_meeting
        if w.enabled:
            return (
                f"吹哨报到: the grid leader calls a hard case's departments on site ({w.call_hours:g} h); each sends "
                f"one staff member at priority {w.priority} ({w.travel_hours:g} h of travel, then its part on site), "
                f"due within {w.deadline:g} h; ownership is settled on site."
            )
        if not meeting.enabled:
            return "No joint meetings: the grid leader coordinates hard cases."
        return (
            f"Hard cases wait for the joint meeting every {meeting.every_days} days (weekday {meeting.weekday}, "
            f"{meeting.hour:g}:00), which costs its attendees {meeting.hours:g} h + {meeting.per_case_hours:g} h "
            "a case" + (" and settles ownership." if meeting.settles_ownership else ".")
        )

    @staticmethod
    def _headcount(sc: Scenario) -> str:
        """The assumption of the staff counts: equal, or what is added (extra staff, surge leaders, volunteers)."""
        m, checked = sc.merged, "; staffed hours are compared in the checks."
        if m.extra_staff.intake_per_area or m.extra_staff.stationed_per_area:
            return (
                f"**Extra staff**: {m.extra_staff.intake_per_area} intake and {m.extra_staff.stationed_per_area} "
                "stationed per area; the comparison is not at equal headcount."
            )
        if sc.surge_leaders():
            return "Equal headcount but on surge days, when the surge leaders above are extra paid staff" + checked
        if m.volunteers_per_area():
            return "Equal paid headcount: merging moves staff, it adds none; the volunteers are unpaid" + checked
        return "Equal total headcount: merging moves staff, it adds none" + checked

    @classmethod
    def assumptions(cls, sc: Scenario) -> list[str]:
        """Stationing, the grid leaders, the joint meeting, delegation, patrols and the staff counts; then dispatch
        and feedback (as every model states them: not the line grids' bouncing, which the grid leader replaces)."""
        m = sc.merged
        volunteers = m.volunteers_per_area()
        items = [
            f"{100 * m.stationed_share:.0f}% of department staff are stationed in the grids (default share), so "
            "departments are thinner for the work that still reaches them.",
            "The grid leaders of each area triage every appeal and coordinate unclear ownership "
            f"(triage {m.triage.mean_value:.2f} h, coordination {m.coordination.mean_value:.2f} h on average).",
            cls._hard_cases(m),
            "Delegated categories solved on the spot: "
            + (", ".join(k for k, c in sc.categories.items() if c.delegable) or "none")
            + ".",
            (
                f"Patrols find {100 * m.patrol.chance():.0f}% of discoverable issues (1 − exp(−"
                f"{m.patrol.effectiveness:g} × {m.patrol.staff_hours_per_day:g} stationed staff hours per area a "
                "day)) if they find them before the citizen files."
                if m.patrol.chance() > 0
                else "No patrols."
            ),
            "Stationed staff work to the "
            + (
                f"'{m.stationed_calendar}' calendar (moved by the scenario)"
                if m.stationed_calendar
                else f"departments' own calendar ('{sc.stationed_calendar()}')"
            )
            + f"; {sc.grid_leaders()} grid leader(s) per area.",
            *(
                [
                    f"**Volunteers**: {m.volunteers.per_area} party-member volunteer(s) per area (党员报到) on the "
                    f"'{m.volunteers.calendar or m.calendar}' calendar take delegated matters when free; their hours "
                    "are staffed hours of the merged arm (the capacity check counts them)."
                ]
                if volunteers
                else []
            ),
            *(
                [
                    f"**Surge protocol**: {sc.surge_leaders()} extra grid leader(s) per area on the "
                    f"{len(sc.surge_days())} day(s) a surge touches take triage when the grid leader is busy; "
                    "their hours are staffed hours of the merged arm."
                ]
                if sc.surge_leaders()
                else []
            ),
            cls._headcount(sc),
        ]
        return items + super(SiloedPolicy, cls).assumptions(sc)

    def __init__(self, world: World, issues: IssueStream) -> None:
        self.reform = world.scenario.merged.reform
        # each area's station, grid leaders and stationed staff: None where the reform's switches leave none
        per_area: list[list[Office | None]] = [
            [world.offices.get(f"{kind}:{a}") for a in issues.areas] for kind in ("station", "leader", "stationed")
        ]
        self.stations, self.leaders, self.stationed = per_area
        self.volunteers = [world.offices.get(f"volunteer:{a}") for a in issues.areas]
        self.surge_desks = [world.offices.get(f"surge:{a}") for a in issues.areas]
        super().__init__(world, issues)
        m, u, c = self.sc.merged, issues.u, issues.category
        self.intake = m.intake.ppf(u["intake"][:, 0])
        self.triage = m.triage.ppf(u["triage"][:, 0])
        self.coordination = m.coordination.ppf(u["coordination"][:, 0])
        self.closing = m.closing.ppf(u["closing"][:, 0])
        self.delegable = np.array([s.delegable for s in self.cats])[c]
        # a wrong dispatch goes to another area's grid, uniform over the others
        self.wrong_area = another(u["dispatch_pick"][:, 0], issues.area, len(self.areas))
        self.whistle_on = m.whistle.enabled
        # a meeting needs a grid leader in every area, so there are some (Scenario.grid_leaders)
        self.meetings = (
            JointMeetings(
                self.env, m.joint_meeting, cast(list[Office], self.leaders), self.depts, self.sc.first_weekday
            )
            if m.joint_meeting.enabled
            else None
        )

    def whistle(self, rec: AppealRecord, area: int, work: list[tuple[int, float]]) -> ProcessBody[tuple[Office, float]]:
        """Process body: 吹哨报到.  The grid leader calls every department the case needs; each sends one staff
        member, served before its queued work below the whistle's priority, who travels to the site and does the
        department's part there (no hand-off of records, no trip for the citizen).  Counts the reports, and those
        later than the deadline (:class:`~sim.scenario.Whistle`).  Returns the last department and its hours.
        """
        env, w = self.env, self.sc.merged.whistle
        note(rec, env.now, "a hard case: the grid leader blows the whistle (吹哨), calling its departments on site")
        yield staff_job(cast(Office, self.leaders[area]), rec, w.call_hours, "whistle")
        called, level = env.now, max(w.priority, rec.priority)

        def reports(office: Office) -> Callable[[], None]:
            def arrives() -> None:  # taken up now: on site after the travel, in the office's open hours
                late = office.calendar.finish(env.now, w.travel_hours) - called > w.deadline
                rec.reports += 1
                rec.late_reports += late
                note(rec, env.now, lambda: f"the {office.label} reports (报到){' late' if late else ''}")

            return arrives

        jobs = [
            staff_job(self.depts[d], rec, w.travel_hours + h, "on-site work", level, reports(self.depts[d]))
            for d, h in work
        ]
        yield env.all_of(jobs)
        return self.depts[work[-1][0]], work[-1][1]

    PER_ISSUE = SiloedPolicy.PER_ISSUE + ("intake", "triage", "coordination", "closing", "delegable", "wrong_area")

    def dispatch_spec(self) -> Dispatch:
        """Work orders go to the area's grid (``merged.dispatch``) with one door, else to a line grid as siloed."""
        return self.sc.merged.dispatch if self.reform.one_door else self.sc.siloed.dispatch

    def finders(self, u: dict[str, np.ndarray], discoverable: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
        """The departments' inspection crews, then the grid's patrols (in each area with stationed staff)."""
        yield from super().finders(u, discoverable)
        if self.reform.stationing:
            stationed = cast(list[Office], self.stationed)  # with stationing, every area has stationed staff
            staffed = np.array([o.capacity > 0 for o in stationed])[self.issues.area]
            yield (
                "patrol",
                self.found_after(
                    self.sc.merged.patrol,
                    discoverable & staffed,
                    u["patrol"][:, 0],
                    u["patrol_delay"][:, 0],
                    stationed[0].calendar,
                ),
            )

    def start(self) -> None:
        super().start()
        p = self.sc.merged.patrol
        if p.chance() > 0 and self.reform.stationing:
            for office in cast(list[Office], self.stationed):  # with stationing, every area has stationed staff
                if office.capacity > 0:
                    self.env.process(self.daily_work(office, p))

    def door(self, i: int, rec: AppealRecord) -> ProcessBody[bool]:
        if not self.reform.one_door:
            return (yield from super().door(i, rec))
        if self.channel[i] == IN_PERSON:
            return (yield from self._door(i, rec, self.area_of[i]))
        return (yield from self._work_order(i, rec))

    def _work_order(self, i: int, rec: AppealRecord) -> ProcessBody[bool]:
        """Process body: a work order to the area's grid (another area's first, sometimes); without the one door,
        to a line grid as siloed."""
        if not self.reform.one_door:
            return (yield from super()._work_order(i, rec))
        area, other = self.area_of[i], self.wrong_area[i]
        wrong = self.stations[other] if other != area else None
        return (yield from self.remote(i, rec, self.stations[area], self.intake[i], wrong, self.intake[i]))

    def _door(self, i: int, rec: AppealRecord, area: int) -> ProcessBody[bool]:
        """Process body: the citizen files at the one door (一门受理); False if they gave up queueing."""
        env = self.env
        travel = self.groups[self.group_of[i]].travel.comprehensive_station
        note(rec, env.now, "decides to file at the one door of the comprehensive grid (一门受理)")
        station = self.stations[area]
        assert station is not None  # with one door, every area has its station
        if not (yield from visit(station, rec, travel, self.intake[i], self.patience[i][0], "intake")):
            return False
        self.responds(rec, station)
        note(rec, env.now, "first response: intake done (响应)")
        return True

    def carried(self, i: int) -> bool:
        """With one door the grid holds every case: the citizen carries nothing."""
        return super().carried(i) and not self.reform.one_door

    def closer(self, i: int, last: tuple[Office, float]) -> Office:
        """The one door closes the case and calls back; without it, the last office to work on it."""
        return self.stations[self.area_of[i]] if self.reform.one_door else super().closer(i, last)

    def reopen(self, i: int, rec: AppealRecord, last: tuple[Office, float]) -> ProcessBody[None]:
        """A reopened case goes back to the grid (the citizen comes in first if the model says so)."""
        if not self.reform.one_door:
            return (yield from super().reopen(i, rec, last))
        if self.fb.reopen_trip:
            travel = self.groups[self.group_of[i]].travel.comprehensive_station
            yield from visit(self.stations[self.area_of[i]], rec, travel, 0.0, activity="intake")
        yield from self.handle(i, rec, again=True)

    def takes_now(self, office: Office | None, hours: float) -> bool:
        """Whether ``office`` (a part-time desk) is free, open now, and can finish ``hours`` before it next closes."""
        now = self.env.now
        return (
            office is not None
            and bool(office.free)
            and office.calendar.is_open(now)
            and office.calendar.finish(now, hours) <= now + hours + 1e-9
        )

    def triager(self, area: int, hours: float) -> Office:
        """Who triages now: the grid leader, or on a surge day a surge-duty leader when the grid leader is busy
        (and the surge desk can finish before it closes)."""
        leader, surge = cast(Office, self.leaders[area]), self.surge_desks[area]
        return cast(Office, surge) if not leader.free and self.takes_now(surge, hours) else leader

    def on_the_spot(self, area: int, stationed: Office, hours: float) -> Office:
        """Who solves a delegated matter: a party-member volunteer free and on duty now who can finish it before the
        duty ends, else the stationed staff."""
        volunteers = self.volunteers[area]
        return cast(Office, volunteers) if self.takes_now(volunteers, hours) else stationed

    def ownership(self, i: int, rec: AppealRecord, carried: bool) -> ProcessBody[bool]:
        """The grid leader coordinates the departments instead of bouncing the case (when coordination is on)."""
        if not self.reform.coordination:
            return (yield from super().ownership(i, rec, carried))
        note(rec, self.env.now, "the grid leader coordinates the departments instead of bouncing the case")
        yield staff_job(self.leaders[self.area_of[i]], rec, self.coordination[i], "coordination")
        return True

    def handle(self, i: int, rec: AppealRecord, again: bool = False) -> ProcessBody[tuple[Office, float] | None]:
        """Triage, then on-the-spot solving, or ownership, the joint meeting and the departments; the closing step.

        ``again`` for a reopened case, whose ownership is settled already (no coordination or bounce).
        Returns the office that worked on it last and its hours (None when the citizen gave up).
        """
        env, r, area = self.env, self.reform, self.area_of[i]
        carried, work = self.carried(i), self.case_work(i)
        if r.triage:
            yield staff_job(self.triager(area, self.triage[i]), rec, self.triage[i], "triage")
            carried = False  # the grid holds the case now
        stationed = self.stationed[area]
        if r.delegation and self.delegable[i] and not self.hard[i] and stationed is not None and stationed.capacity:
            hours = sum(h for _, h in work)
            desk = self.on_the_spot(area, stationed, hours)
            note(rec, env.now, lambda: f"a delegated simple matter: solved on the spot by the {desk.label}")
            yield staff_job(desk, rec, hours, "on-the-spot work")  # delegated power: same work, one desk
            return stationed, hours  # the stationed staff own it (a volunteer only lent a hand): they call back
        whistled = self.hard[i] and self.whistle_on  # a hard case calls its departments on site (吹哨报到)
        meetings = self.meetings if self.hard[i] and not whistled else None  # or waits for the joint meeting
        settled = again or whistled or (meetings is not None and self.sc.merged.joint_meeting.settles_ownership)
        if (self.unclear[i] or self.hard[i]) and not settled:
            if not (yield from self.ownership(i, rec, carried)):
                self.abandon(rec)
                return None
            carried = False
        if meetings is not None:
            note(rec, env.now, "a hard case: waits for the next joint meeting (联席会议)")
            step(rec, env.now, "joint meeting", lifecycle="start")
            yield meetings.wait(area, [d for d, _ in work])
            step(rec, env.now, "joint meeting")
            note(rec, env.now, "the joint meeting assigns it")
            carried = False
        if whistled:
            last = yield from self.whistle(rec, area, work)
        elif not r.parallel_dispatch:
            last = yield from self.in_turn(i, rec, work, carried)
        elif len(work) == 1:  # nothing to fork
            yield self.dept_part(i, rec, *work[0])
            last = self.depts[work[0][0]], work[0][1]
        else:
            note(rec, env.now, lambda: f"dispatched to {len(work)} departments at once (parallel handling)")
            yield env.all_of([self.dept_part(i, rec, d, h) for d, h in work])
            last = self.depts[work[-1][0]], work[-1][1]
        if r.one_door:
            yield staff_job(self.stations[area], rec, self.closing[i], "closing")
        return last
