"""Siloed line grids (条线网格各自为战).

The citizen picks a line grid (right with the group's probability).  A wrong
pick costs an intake, a referral and one more trip.  The right station passes
the first department's part on; each further department is one more trip, in
turn (多头跑).  Unclear ownership and hard cases (which need several departments'
extra work) bounce (踢皮球): each bounce is an assessment at a department, a
referral and a trip; after ``max_bounces`` the street takes the case, waits its
escalation delay and has the departments handle it in turn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..citizen import staff_job, visit
from ..issues import IssueStream, another, quantiles
from ..records import IN_PERSON, AppealRecord, note, step
from ..world import Office, World, line_stations
from .base import Policy, ProcessBody

if TYPE_CHECKING:
    from ..scenario import Scenario, Travel


class SiloedPolicy(Policy):
    """Line grids each on their own, departments at full headcount.

    The process of an appeal is a template, ``appeal``: filed (:meth:`door`) unless a finder found it,
    handled (:meth:`handle`), closed (:meth:`close`, by :meth:`closer`, redone by :meth:`reopen`).
    The merged grid overrides these steps, each behind a reform switch that falls back to this class.
    """

    name, config_block = "siloed", "siloed"
    label, label_zh, colour = "siloed line grids", "条线网格", "#d95f02"

    @classmethod
    def offices(cls, sc: Scenario) -> dict[str, int]:
        """Every department at full headcount, and one station per line grid per area."""
        return {f"dept:{d}": s.headcount for d, s in sc.departments.items()} | line_stations(sc)

    @classmethod
    def assumptions(cls, sc: Scenario) -> list[str]:
        s = sc.siloed
        return [
            f"Unclear ownership bounces {s.max_bounces} times before the street takes the case (mean escalation "
            f"{s.escalation.mean_value:.0f} h); hard cases (extra work from several departments) bounce and escalate."
        ] + super().assumptions(sc)

    def __init__(self, world: World, issues: IssueStream) -> None:
        super().__init__(world, issues)
        sc, u, g, c = self.sc, issues.u, issues.group, issues.category
        self.line_names = list(sc.line_grids)
        lines = self.line_names
        n_lines = len(lines)
        right = np.array([lines.index(s.line_grid) for s in self.cats])[c]
        p_right = np.array([s.p_right_line_grid for s in self.groups])[g]
        wrong = another(u["pick_wrong"][:, 0], right, n_lines)  # a wrong pick: uniform over the other line grids
        self.right, self.wrong_line = right, wrong
        self.pick = np.where(u["pick_right"][:, 0] < p_right, right, wrong)
        intake = [sc.line_grids[k].intake for k in lines]
        self.line_intake = np.column_stack(
            [
                quantiles(u["intake"][:, 0], self.pick, dict(enumerate(intake))),
                quantiles(u["intake"][:, 1], right, dict(enumerate(intake))),
            ]
        )
        self.escalation = sc.siloed.escalation.ppf(u["escalation"][:, 0])
        self._bounce_plan(u, c)
        self.line_stations = [[world.offices.get(f"line:{g}:{a}") for a in self.areas] for g in lines]  # [line][area]

    PER_ISSUE = Policy.PER_ISSUE + (
        "pick",
        "right",
        "wrong_line",
        "line_intake",
        "escalation",
        "bounce_dept",
        "assessment",
    )

    def _bounce_plan(self, u: dict[str, np.ndarray], c: np.ndarray) -> None:
        """Departments visited by each bounce and their assessment hours (vectorised)."""
        n_dept, n_b = len(self.dept_names), self.sc.siloed.max_bounces
        assess = {d: self.sc.departments[name].assessment for d, name in enumerate(self.dept_names)}
        cur = np.array([deps[0] for deps in self.cat_depts])[c]
        self.bounce_dept = np.zeros((len(c), n_b), dtype=int)
        self.assessment = np.zeros((len(c), n_b))
        for k in range(n_b):
            self.bounce_dept[:, k] = cur
            self.assessment[:, k] = quantiles(u["assessment"][:, k], cur, assess)
            cur = another(u["bounce_dept"][:, k], cur, n_dept)  # next department: uniform over the others

    def appeal(self, i: int, rec: AppealRecord) -> ProcessBody[None]:
        if rec.events is not None:
            self.arises(i, rec)
        last = None
        if self.via_ladder(i):  # a resident's matter goes up the grassroots ladder first
            last = yield from self.ladder(i, rec)  # the level that settled it; None: passed up as a work order
            if last is None and not (yield from self._work_order(i, rec)):
                return self.abandon(rec)
        elif not self.found(i, rec):  # a finder's find needs no door: no trips
            if not (yield from self.door(i, rec)):
                return self.abandon(rec)
        if last is None:
            last = yield from self.handle(i, rec)
        if last is not None:  # closed by the model's closer, with its feedback call (a settled matter's too)
            yield from self.close(i, rec, self.closer(i, last), lambda: self.reopen(i, rec, last))

    def door(self, i: int, rec: AppealRecord) -> ProcessBody[bool]:
        """Process body: the citizen files (in person at a line station, or a work order); False if they gave up."""
        if self.channel[i] == IN_PERSON:
            return (yield from self._doors(i, rec, self.groups[self.group_of[i]].travel))
        return (yield from self._work_order(i, rec))

    def carried(self, i: int) -> bool:
        """Whether the citizen carries the case from office to office (nobody holds it): filed in person (not
        passed up by the ladder)."""
        return self.channel[i] == IN_PERSON and not self.via_ladder(i)

    def handle(self, i: int, rec: AppealRecord) -> ProcessBody[tuple[Office, float] | None]:
        """Process body: bounces if no line owns it alone, then the departments in turn.

        Returns the office that closes the case and its hours (None when the citizen gave up).
        """
        carried, work = self.carried(i), self.case_work(i)
        if self.unclear[i] or self.hard[i]:  # no line owns it alone
            if not (yield from self.ownership(i, rec, carried)):
                self.abandon(rec)
                return None
            carried = False
        return (yield from self.in_turn(i, rec, work, carried))

    def ownership(self, i: int, rec: AppealRecord, carried: bool) -> ProcessBody[bool]:
        """Process body: who owns a case no line owns alone: bounces, then the street; False if the citizen gave up."""
        return (yield from self._bounce(i, rec, self.groups[self.group_of[i]].travel, carried))

    def in_turn(
        self, i: int, rec: AppealRecord, work: list[tuple[int, float]], carried: bool
    ) -> ProcessBody[tuple[Office, float]]:
        """Process body: the departments one after another; each after the first is a trip if the citizen carries it.

        Returns the last department's office and hours.
        """
        travel = self.groups[self.group_of[i]].travel
        for k, (d, hours) in enumerate(work):
            office = self.depts[d]
            if k == 0 or not carried:  # passed on by the station, the work order or whoever holds the case
                yield self.dept_part(i, rec, d, hours)
            else:
                note(rec, self.env.now, lambda: f"must take the next part to the {office.label} in person (多头跑)")
                yield from visit(office, rec, travel.department, hours)
        return self.depts[work[-1][0]], work[-1][1]

    def closer(self, i: int, last: tuple[Office, float]) -> Office:
        """The office that closes the case and makes the feedback call: the last to work on it."""
        return last[0]

    def _doors(self, i: int, rec: AppealRecord, travel: Travel) -> ProcessBody[bool]:
        """Process body: the chosen line station, and the right one after a wrong pick; False if the citizen gave up."""
        env, area, pick, right = self.env, self.area_of[i], self.pick[i], self.right[i]
        note(
            rec,
            env.now,
            lambda: (
                f"decides to file; picks the {self.line_names[pick]} line grid"
                + (" (the right one)" if pick == right else f" (wrong: it is {self.line_names[right]}'s)")
            ),
        )
        station = self.line_stations[pick][area]
        if not (
            yield from visit(station, rec, travel.line_station, self.line_intake[i][0], self.patience[i][0], "intake")
        ):
            return False
        self.responds(rec, station)
        note(rec, env.now, "first response: intake done (响应)")
        if pick != right:
            rec.referrals += 1
            step(rec, env.now, "referral", station)
            note(rec, env.now, lambda: f"referred to the {self.line_names[right]} line grid: another trip")
            if self.gives_up(i, rec, 0):
                return False
            station = self.line_stations[right][area]
            if not (
                yield from visit(
                    station, rec, travel.line_station, self.line_intake[i][1], self.patience[i][1], "intake"
                )
            ):
                return False
        return True

    def _work_order(self, i: int, rec: AppealRecord) -> ProcessBody[bool]:
        """Process body: a hotline or online appeal goes to the right line grid (a wrong one first, sometimes)."""
        area, right, wrong = self.area_of[i], self.right[i], self.wrong_line[i]
        stations = self.line_stations
        return (
            yield from self.remote(
                i,
                rec,
                stations[right][area],
                self.line_intake[i][1],
                stations[wrong][area] if wrong != right else None,
                self.line_intake[i][1],
            )
        )

    def reopen(self, i: int, rec: AppealRecord, last: tuple[Office, float]) -> ProcessBody[None]:
        """Process body: a reopened case: the office that closed it redoes its part (in person if the model says so)."""
        office, hours = last
        if self.fb.reopen_trip:
            yield from visit(office, rec, self.groups[self.group_of[i]].travel.department, hours)
        else:
            yield staff_job(office, rec, hours)

    def _bounce(self, i: int, rec: AppealRecord, travel: Travel, carried: bool = True) -> ProcessBody[bool]:
        """Bounces between departments, then escalation to the street (one trip each, if the citizen carries it).

        Returns False if the citizen gave up after a bounce.
        """
        for k in range(self.sc.siloed.max_bounces):
            office = self.depts[self.bounce_dept[i][k]]
            if k == 0 or not carried:  # the station passed it on: no trip for the first assessment
                yield from self.handed_over(i, rec, office)
                yield staff_job(office, rec, self.assessment[i][k], "assessment")
            else:
                yield from visit(office, rec, travel.department, self.assessment[i][k], activity="assessment")
            rec.bounces += 1
            rec.referrals += 1
            step(rec, self.env.now, "bounce", office)
            note(rec, self.env.now, lambda: f"{office.label} says it is not theirs: bounce {rec.bounces} (踢皮球)")
            if carried and self.gives_up(i, rec, 1 + k):
                return False
        note(rec, self.env.now, "goes to the street office, which takes the case (escalation)")
        if carried:
            rec.trips += 1  # the trip to the street office
            rec.citizen_hours += travel.department
        rec.escalated = True
        step(rec, self.env.now, "escalation", lifecycle="start")
        yield self.env.timeout(self.escalation[i])
        step(rec, self.env.now, "escalation")
        note(rec, self.env.now, "the street assigns the departments")
        return True
