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
"""
from __future__ import annotations

from collections import Counter, deque

import numpy as np

from ..citizen import staff_job, visit
from ..issues import another
from ..records import IN_PERSON, AppealRecord, note
from .base import Policy


class JointMeetings:
    """The periodic joint meeting: hard cases wait for it; it assigns up to ``capacity`` when it ends.

    Attending costs hours: each meeting with a case on its agenda books ``hours + per_case_hours``
    × (its own cases) as a job on the grid leader of each area concerned and on each department a
    case needs (one staff member each); the meeting lasts ``hours + per_case_hours`` × all cases.
    """

    def __init__(self, env, spec, leaders, depts):
        self.env, self.spec, self.leaders, self.depts = env, spec, leaders, depts
        self.waiting: deque = deque()
        self.held = 0
        env.process(self._run())

    def time_of(self, k: int) -> float:
        """Time of the ``k``-th meeting (k = 0, 1, …)."""
        return self.spec.weekday * 24.0 + self.spec.hour + k * self.spec.every_days * 24.0

    def wait(self, area: int, depts: list[int]):
        """An event that fires when a meeting has assigned this case (of ``area``, needing ``depts``)."""
        ev = self.env.event()
        self.waiting.append((ev, area, depts))
        return ev

    def _run(self):
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
            self.env.timeout(length).callbacks.append(lambda _e, agenda=agenda: [ev.succeed() for ev, _, _ in agenda])


class MergedPolicy(Policy):
    """One comprehensive grid per area."""

    name = "merged"

    def __init__(self, world, issues):
        self.stations, self.leaders, self.stationed = ([world.office(kind, a) for a in issues.areas]
                                                       for kind in ("station", "leader", "stationed"))
        super().__init__(world, issues)
        m, u, c = self.sc.merged, issues.u, issues.category
        self.intake = m.intake.ppf(u["intake"][:, 0])
        self.triage = m.triage.ppf(u["triage"][:, 0])
        self.coordination = m.coordination.ppf(u["coordination"][:, 0])
        self.closing = m.closing.ppf(u["closing"][:, 0])
        self.delegable = np.array([s.delegable for s in self.cats])[c]
        # a wrong dispatch goes to another area's grid, uniform over the others
        self.wrong_area = another(u["dispatch_pick"][:, 0], issues.area, len(self.areas))
        self.meetings = (JointMeetings(self.env, m.joint_meeting, self.leaders, self.depts)
                         if m.joint_meeting.enabled else None)

    PER_ISSUE = Policy.PER_ISSUE + ("intake", "triage", "coordination", "closing", "delegable", "wrong_area")

    def finders(self, u: dict, discoverable: np.ndarray):
        """The departments' inspection crews, then the grid's patrols (in each area with stationed staff)."""
        yield from super().finders(u, discoverable)
        staffed = np.array([o.capacity > 0 for o in self.stationed])[self.issues.area]
        yield "patrol", self.found_after(self.sc.merged.patrol, discoverable & staffed, u["patrol"][:, 0],
                                         u["patrol_delay"][:, 0], self.stationed[0].calendar)

    def start(self) -> None:
        super().start()
        p = self.sc.merged.patrol
        if p.chance() > 0:
            for office in self.stationed:
                if office.capacity > 0:
                    self.env.process(self.daily_work(office, p))

    def appeal(self, i: int, rec: AppealRecord):
        area = self.area_of[i]
        station = self.stations[area]
        if rec.events is not None:
            self.arises(i, rec)
        if not self.found(i, rec):   # a finder's find goes straight to triage
            door = self._door if self.channel[i] == IN_PERSON else self._work_order
            if not (yield from door(i, rec, area)):
                return self.abandon(rec)
        yield from self._handle(i, rec, area)
        yield from self.close(i, rec, station, lambda: self._reopen(i, rec, area))

    def _door(self, i: int, rec: AppealRecord, area: int):
        """Process body: the citizen files at the one door (一门受理); False if they gave up queueing."""
        env = self.env
        travel = self.groups[self.group_of[i]].travel.comprehensive_station
        note(rec, env.now, "decides to file at the one door of the comprehensive grid (一门受理)")
        if not (yield from visit(self.stations[area], rec, travel, self.intake[i], self.patience[i][0])):
            return False
        rec.first_response = env.now
        note(rec, env.now, "first response: intake done (响应)")
        return True

    def _work_order(self, i: int, rec: AppealRecord, area: int):
        """Process body: a hotline or online appeal goes to the area's grid (another area's first, sometimes)."""
        other = self.wrong_area[i]
        wrong = self.stations[other] if other != area else None
        return (yield from self.remote(i, rec, self.stations[area], self.intake[i], wrong, self.intake[i]))

    def _reopen(self, i: int, rec: AppealRecord, area: int):
        """A reopened case goes back to the grid's triage (the citizen comes in first if the model says so)."""
        station = self.stations[area]
        if self.fb.reopen_trip:
            yield from visit(station, rec, self.groups[self.group_of[i]].travel.comprehensive_station, 0.0)
        yield from self._handle(i, rec, area)

    def _handle(self, i: int, rec: AppealRecord, area: int):
        """Triage, then on-the-spot solving or coordination, joint meeting and parallel dispatch."""
        env = self.env
        leader = self.leaders[area]
        yield staff_job(leader, rec, self.triage[i])
        work = self.case_work(i)
        stationed = self.stationed[area]
        if self.delegable[i] and not self.hard[i] and stationed.capacity > 0:
            note(rec, env.now, "a delegated simple matter: solved on the spot by stationed staff")
            yield staff_job(stationed, rec, sum(h for _, h in work))  # delegated power: same work, one desk
            return
        meeting = self.hard[i] and self.meetings is not None
        if (self.unclear[i] or self.hard[i]) and not (meeting and self.sc.merged.joint_meeting.settles_ownership):
            note(rec, env.now, "the grid leader coordinates the departments instead of bouncing the case")
            yield staff_job(leader, rec, self.coordination[i])
        if meeting:
            note(rec, env.now, "a hard case: waits for the next joint meeting (联席会议)")
            yield self.meetings.wait(area, [d for d, _ in work])
            note(rec, env.now, "the joint meeting assigns it")
        if len(work) > 1:
            note(rec, env.now, lambda: f"dispatched to {len(work)} departments at once (parallel handling)")
        if len(work) == 1:  # nothing to fork
            yield self.dept_part(i, rec, *work[0])
        else:
            yield env.all_of([self.dept_part(i, rec, d, h) for d, h in work])
        yield staff_job(self.stations[area], rec, self.closing[i])
