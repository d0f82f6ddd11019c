"""The policy interface, and what every governance model shares.

A policy turns the issue stream's uniforms into this model's times once, in
vectorised blocks, then runs one process per appeal.  Draws that both models use
(report delay, patience, service work per department, unclear ownership, hard
case and its extra work, filing channel, finding by inspection crews, giving up,
coming in, satisfaction, reopening) come from the same uniform columns, so the
two models see the same issues with the same demands.  The steps both models
share live here too: finding issues, hotline and online filing, a department's
part, resolving, the feedback loop and giving up.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

import numpy as np
import simpy
from pydantic import BaseModel

from ..citizen import call, p_satisfied, staff_job, visit
from ..issues import HANDOFF_SLOTS, IssueStream, pick, quantiles
from ..records import CHANNELS, CITIZEN_CHANNELS, HOTLINE, IN_PERSON, ONLINE, RIDER, STATION, AppealRecord, note, step
from ..world import Office, World, ladder_offices, service_stations, uses_hotline

if TYPE_CHECKING:
    import pandas as pd

    from ..calendar import Calendar, DatedCalendar
    from ..distributions import Distribution
    from ..scenario import Discovery, Dispatch, Merged, Scenario, Siloed
    from .reform import Switch

_T = TypeVar("_T")
#: A SimPy process body: it yields events, and returns a ``_T`` to the process that runs it by ``yield from``.
ProcessBody = Generator[simpy.Event, Any, _T]


FINDER_LABELS = {"inspection": "a department's inspection crew", "patrol": "a grid patrol", "rider": "a rider"}
FIRST_FINDER = CHANNELS.index("inspection")  # channel codes from here on are finders
#: The order the channel draw is read in: a service station's share beside in person's, so that closing the
#: stations (its filers go in person) leaves every other citizen's channel as it was (common random numbers).
PICK_ORDER = (IN_PERSON, STATION, HOTLINE, ONLINE)


class Policy:
    """Base class: ``appeal(i, rec)`` is the process body of issue ``i``.

    It starts ``start_delay[i]`` hours after the issue arises, at its first step
    (the citizen sets off to file, or a patrol finds it), so waiting to report
    costs no event.
    """

    name = "base"
    #: How reports and plots show the model (see :mod:`sim.models`): its name in English and Chinese,
    #: and its colour.
    label, label_zh, colour = "", "", ""
    #: The scenario block of this model's settings (``siloed``, ``merged``): a plug-in that refines a
    #: shipped model reads that model's block.
    config_block = ""
    #: This model's own kinds of office, one per area (office key ``kind:area``), with their labels.
    area_offices: dict[str, str] = {}
    #: Every way this model differs from the baseline (siloed), each a :class:`~sim.governance.reform.Switch`
    #: that says whether it is on and how to turn it off as overrides under ``config_block``: with all of them
    #: off the model is the baseline process, draw for draw (tests/test_null_reform.py).  ``gridsim explain``
    #: decomposes the model's difference into them; a model without switches cannot be explained.  Declared by
    #: each model itself, not inherited (:func:`sim.models.register`).
    switches: tuple[Switch, ...] = ()
    #: A plug-in's own settings: a pydantic model of the block ``settings.<name>`` of a scenario (its
    #: fields' defaults apply where the scenario has none; :meth:`settings` reads it).  Its switches may
    #: set that block (``Switch(..., block="settings.<name>")``).
    Settings: ClassVar[type[BaseModel] | None] = None

    @classmethod
    def settings(cls, sc: Scenario) -> Any:
        """This model's own settings in ``sc`` (an instance of :attr:`Settings`), defaults filled in."""
        if cls.Settings is None:
            raise TypeError(f"the {cls.name} model takes no settings of its own")
        return cls.Settings.model_validate(sc.settings.get(cls.name, {}))

    @classmethod
    def offices(cls, sc: Scenario) -> dict[str, int]:
        """Headcount by office key of this model's own offices (``dept:X``, ``line:G:A``, ...)."""
        raise NotImplementedError

    @classmethod
    def staffing(cls, sc: Scenario) -> dict[str, int]:
        """Headcount by office key: the model's :meth:`offices`, and the 12345 hotline, the gig-worker service
        stations and the grassroots ladder's levels, the same in every model, when any appeal uses them."""
        hotline = {"hotline:12345": sc.channels.hotline.operators} if uses_hotline(sc) else {}
        return cls.offices(sc) | hotline | service_stations(sc) | ladder_offices(sc)

    @classmethod
    def mechanisms(cls, appeals: pd.DataFrame, utilisation: pd.DataFrame, model: str, base: str) -> list[str]:
        """What drives ``model``'s difference from ``base`` in a run, for the report: one line each, measured
        (``appeals`` and ``utilisation`` are the run's tables).  Trips, bounces and discovery here; a model
        adds its own."""
        a = appeals[appeals["filed"].notna()]
        trips = a.groupby("model")["trips"].mean()
        share3 = (a["trips"] >= 3).groupby(a["model"]).mean()
        lines = [
            f"multi-office trips (多头跑): {trips[base]:.2f} trips per appeal {base} vs "
            f"{trips[model]:.2f} {model}; {100 * share3[base]:.0f}% of {base} appeals need 3+ trips"
        ]
        unclear = a[a["unclear"]]
        if len(unclear):
            b = unclear.groupby("model")["bounces"].mean()
            lines.append(
                f"bounces (踢皮球): unclear-ownership appeals bounce {b.get(base, 0):.1f} times {base}, "
                f"{b.get(model, 0):.1f} {model}"
            )
        found = a.groupby("model")["channel"].value_counts(normalize=True)
        return lines + [cls.discovery(found, model, base)]

    @staticmethod
    def discovery(found: pd.Series, model: str, base: str) -> str:
        """The line on issues found before anyone filed; ``found`` is the share of appeals by (model, channel)."""
        return (
            f"proactive discovery (主动发现): departments' inspection crews found "
            f"{100 * found.get((model, 'inspection'), 0):.0f}% of {model} appeals and "
            f"{100 * found.get((base, 'inspection'), 0):.0f}% of {base}"
        )

    @classmethod
    def assumptions(cls, sc: Scenario) -> list[str]:
        """What the report states this model assumes, from its own settings (``sc``: the arm's scenario);
        what every model shares, the report states once.  Dispatch of work orders and the feedback call
        here (every model's block has them); a model adds its own."""
        block = getattr(sc, cls.config_block, None)
        if block is None:
            return []
        fb, pf = block.feedback, block.platform
        return [
            f"Hotline and online work orders go to a wrong unit first with probability {block.dispatch.p_wrong:g}.",
            "Case platform: "
            + (
                "shared (one record of an appeal across hand-offs)."
                if pf.shared
                else f"each office its own system: a case passed on to a department costs "
                f"{pf.reentry.mean_value:.2f} h "
                f"of re-entry; {100 * pf.p_lost:.0f}% of hand-offs lose information and the citizen is reached "
                f"again after {pf.recontact.mean_value:.0f} h on average."
            ),
            "Feedback call (回访) after closing: "
            + (
                f"yes; an unsatisfied appeal reopens with probability {fb.reopen_probability:g}."
                if fb.enabled
                else "none."
            ),
        ]

    def __init__(self, world: World, issues: IssueStream) -> None:
        sc = world.scenario
        self.world, self.env, self.sc, self.issues = world, world.env, sc, issues
        u, g, c = issues.u, issues.group, issues.category
        self.groups = [sc.groups[k] for k in issues.groups]
        self.cats = [sc.categories[k] for k in issues.categories]
        self.areas = issues.areas
        self.dept_names = issues.departments
        index = {d: i for i, d in enumerate(self.dept_names)}
        self.cat_depts = [[index[d] for d in spec.departments] for spec in self.cats]
        self.report_delay = self.by_key(u["report_delay"][:, 0], g, [s.report_delay for s in self.groups])
        self.patience = np.column_stack(
            [self.by_key(u["patience"][:, k], g, [s.patience for s in self.groups]) for k in range(2)]
        )
        self.service = np.column_stack(
            [
                self.by_key(u["service"][:, d], c, [s.service.get(name) for s in self.cats])
                for d, name in enumerate(self.dept_names)
            ]
        )
        self.unclear = u["unclear"][:, 0] < np.array([s.p_unclear for s in self.cats])[c]
        self.hard = u["hard"][:, 0] < np.array([s.p_hard for s in self.cats])[c]
        self.hard_work = np.nan_to_num(
            np.column_stack(
                [
                    self.by_key(u["hard_work"][:, d], c, [s.hard_work.get(name) for s in self.cats])
                    for d, name in enumerate(self.dept_names)
                ]
            )
        )
        # departments a hard case needs beyond its category's, in scenario order
        self.hard_only = [[index[d] for d in spec.hard_work if d not in spec.departments] for spec in self.cats]
        self.fb = self.config().feedback
        self.feedback_delay = self.fb.delay.ppf(u["feedback_delay"][:, 0])
        self.call = self.fb.call.ppf(u["call"][:, 0])
        self.depts = [world.office("dept", d) for d in self.dept_names]  # by department index
        self._channels(sc, u, g, c)
        self._discover(u, np.array([s.discoverable for s in self.cats])[c])
        ch = sc.channels  # work orders' dispatch: the hotline's, a station's, else the online form's (riders too)
        self.dispatch = np.select(
            [self.channel == HOTLINE, self.channel == STATION],
            [ch.hotline.dispatch.ppf(u["dispatch"][:, 0]), ch.station.dispatch.ppf(u["dispatch"][:, 0])],
            ch.online.dispatch.ppf(u["dispatch"][:, 0]),
        )
        self._ladder(sc, u, g, c)

    #: Per-issue arrays that processes read one element at a time.  :meth:`ready` turns them
    #: into lists of Python numbers: indexing NumPy arrays and NumPy scalar arithmetic cost
    #: several times more than lists and floats, and every later step of an appeal would pay.
    PER_ISSUE: tuple[str, ...] = (
        "patience",
        "service",
        "unclear",
        "hard",
        "hard_work",
        "channel",
        "feedback_delay",
        "call",
        "come_in",
        "talk",
        "hotline_patience",
        "dispatch",
        "wrong_dispatch",
        "redispatch",
    )

    #: The grassroots ladder's per-issue arrays, there only when the ladder takes any matter.
    LADDER = ("ladder_start", "ladder_service", "ladder_settled", "ladder_escalation")

    def ready(self) -> Self:
        """Finish building (vectorised work done): per-issue arrays become lists for the processes."""
        for name in self.PER_ISSUE + (self.LADDER if self.ladder_on else ()):
            setattr(self, name, getattr(self, name).tolist())
        iss = self.issues
        self.area_of, self.group_of, self.category_of = iss.area.tolist(), iss.group.tolist(), iss.category.tolist()
        self.u_satisfied, self.u_reopen = iss.u["satisfied"].tolist(), iss.u["reopen"].tolist()
        self.u_give_up = iss.u["give_up"].tolist()
        return self

    def config(self) -> Siloed | Merged:
        """This model's block of the scenario (``siloed`` or ``merged``)."""
        return getattr(self.sc, self.config_block or self.name)

    def dispatch_spec(self) -> Dispatch:
        """How hotline and online work orders reach the handling unit in this model (``Dispatch``)."""
        return self.config().dispatch

    @staticmethod
    def by_key(u: np.ndarray, keys: np.ndarray, dists: list[Distribution | None]) -> np.ndarray:
        """``dists[keys[i]].ppf(u[i])`` for every issue, vectorised per key."""
        return quantiles(u, keys, {k: d for k, d in enumerate(dists) if d is not None})

    def case_work(self, i: int) -> list[tuple[int, float]]:
        """(department, staff hours) of everything issue ``i`` needs: its category's work, plus a hard case's extra.

        The same in every model: only the order, the trips and the waiting differ.
        """
        c, row = self.category_of[i], self.service[i]
        if not self.hard[i]:
            return [(d, row[d]) for d in self.cat_depts[c]]
        extra = self.hard_work[i]
        return [(d, row[d] + extra[d]) for d in self.cat_depts[c]] + [(d, extra[d]) for d in self.hard_only[c]]

    # ---- filing channels: in person, hotline (12345), online; the same draws in every model
    def _channels(self, sc: Scenario, u: dict[str, np.ndarray], g: np.ndarray, c: np.ndarray) -> None:
        """How each citizen would file (``filing``), and the draws of the hotline, online and dispatch steps."""
        n = len(g)
        self.filing = np.zeros(n, dtype=np.int8)
        for k, spec in enumerate(self.groups):
            m = g == k
            mix = np.array([spec.channel_mix.get(CITIZEN_CHANNELS[c], 0.0) for c in PICK_ORDER])
            self.filing[m] = np.array(PICK_ORDER)[pick(mix, u["channel"][m, 0])]
        ch = sc.channels
        self.come_in = u["come_in"] < np.array([s.p_come_in for s in self.cats])[c][:, None]
        # the hotline's talk, or the station's intake: one uniform, as a citizen files by one or the other
        self.talk = np.where(
            self.filing == STATION, ch.station.intake.ppf(u["talk"][:, 0]), ch.hotline.talk.ppf(u["talk"][:, 0])
        )
        self.hotline_patience = ch.hotline.patience.ppf(u["hotline_patience"][:, 0])
        d = self.dispatch_spec()  # to the right line grid, or to the area's grid
        self.wrong_dispatch = u["dispatch_wrong"][:, 0] < d.p_wrong
        self.redispatch = d.redispatch.ppf(u["redispatch"][:, 0])
        self.platform = self.config().platform
        if not self.platform.shared:  # each hand-off's re-entry, loss and wait to reach the citizen again
            p = self.platform
            self.reentry, self.recontact = (
                p.reentry.ppf(u["reentry"]).tolist(),
                p.recontact.ppf(u["recontact"]).tolist(),
            )
            self.lost = (u["lost"] < p.p_lost).tolist()
            self.handoffs = [0] * len(u["lost"])
        self.hotline = self.world.offices.get("hotline:12345")  # None where no group calls it
        self.service_stations = [self.world.offices.get(f"service_station:{a}") for a in self.areas]

    def remote(
        self,
        i: int,
        rec: AppealRecord,
        right: Office,
        right_hours: float,
        wrong: Office | None = None,
        wrong_hours: float = 0.0,
    ) -> ProcessBody[bool]:
        """Process body: a hotline call or an online filing reaches the handling unit ``right``.

        The call waits for an operator (the caller may hang up: False) and takes the talk time; the
        work order then reaches the unit after its dispatch delay, going first, with the model's
        chance, to ``wrong``, which spends ``wrong_hours`` on it before a re-dispatch delay (no trip).
        The first response is the right unit's intake (``right_hours``): its first contact with the
        citizen, as 12345 counts it, not the operator answering.
        """
        env, channel = self.env, self.channel[i]
        if channel == STATION:
            if not (yield from self.at_station(i, rec)):
                return False
        elif rec.filed is None:  # (a matter the ladder passes up was filed with it)
            rec.filed = env.now
            step(rec, env.now, "filed", self.hotline if channel == HOTLINE else None)
        if channel == HOTLINE:
            assert self.hotline is not None  # a group calls the hotline, so it is staffed (Policy.staffing)
            if not (yield from call(self.hotline, rec, self.talk[i], self.hotline_patience[i])):
                return False
        if channel == ONLINE:
            note(rec, env.now, "files online (app or website): no trip")
        if channel == RIDER:
            note(rec, env.now, "a rider passing by reports it on the app (问题收集员): filed online, no trip")
        yield env.timeout(self.dispatch[i])
        if self.wrong_dispatch[i] and wrong is not None:
            note(rec, env.now, lambda: f"dispatched to the wrong unit first: the {wrong.label}")
            step(rec, env.now, "dispatch", wrong)
            rec.referrals += 1
            yield staff_job(wrong, rec, wrong_hours, "intake")
            step(rec, env.now, "referral", wrong)
            yield env.timeout(self.redispatch[i])
            note(rec, env.now, "re-dispatched (no trip)")
        step(rec, env.now, "dispatch", right)
        yield staff_job(right, rec, right_hours, "intake")
        if rec.first_response is None:
            self.responds(rec, right)
            note(rec, env.now, "first response: the handling unit contacts the citizen (响应)")
        else:  # (a level of the ladder answered the citizen already)
            note(rec, env.now, "the handling unit takes it up")
        return True

    def at_station(self, i: int, rec: AppealRecord) -> ProcessBody[bool]:
        """Process body: a short trip to the area's gig-worker service station (驿站), whose staff take the appeal
        and file it as a work order; False if the citizen gave up queueing there."""
        station = self.service_stations[self.area_of[i]]
        assert station is not None  # a group files at stations, so they are staffed (Policy.staffing)
        note(rec, self.env.now, "goes to the nearest gig-worker service station (驿站) to file")
        travel = self.sc.channels.station.travel
        return (yield from visit(station, rec, travel, self.talk[i], self.patience[i][0], "station intake"))

    def dept_part(self, i: int, rec: AppealRecord, d: int, hours: float) -> simpy.Event:
        """The event of department ``d``'s part: a visit if it asks the citizen to come in, else its staff's work.

        The chance (``p_come_in`` of the category, against a pre-drawn uniform per department) is the same in
        every model.
        """
        office = self.depts[d]
        if not self.platform.shared:
            return self.env.process(self._passed_on(i, rec, d, hours))
        if not self.come_in[i][d]:
            return staff_job(office, rec, hours)
        note(rec, self.env.now, lambda: f"the {office.label} asks the citizen to come in")
        return self.env.process(visit(office, rec, self.groups[self.group_of[i]].travel.department, hours))

    def _passed_on(self, i: int, rec: AppealRecord, d: int, hours: float) -> ProcessBody[None]:
        """Process body: department ``d``'s part of a case passed on to it without a shared record."""
        office = self.depts[d]
        yield from self.handed_over(i, rec, office)
        if not self.come_in[i][d]:
            yield staff_job(office, rec, hours)
        else:
            note(rec, self.env.now, lambda: f"the {office.label} asks the citizen to come in")
            yield from visit(office, rec, self.groups[self.group_of[i]].travel.department, hours)

    def handed_over(self, i: int, rec: AppealRecord, office: Office) -> ProcessBody[None]:
        """Process body: ``office`` receives a case passed on by another office (not carried by the citizen).

        With a shared platform it reads the one record (nothing happens).  Without, it re-enters the case,
        and a lossy hand-off makes it reach the citizen again (:class:`~sim.scenario.Platform`).
        """
        if self.platform.shared:
            return
        k = min(self.handoffs[i], HANDOFF_SLOTS - 1)
        self.handoffs[i] += 1
        yield staff_job(office, rec, self.reentry[i][k], "re-entry")
        if self.lost[i][k]:
            note(
                rec, self.env.now, lambda: f"information lost on the way: the {office.label} contacts the citizen again"
            )
            rec.recontacts += 1
            rec.citizen_hours += self.platform.citizen_hours
            yield self.env.timeout(self.recontact[i][k])

    # ---- the grassroots ladder (楼组, 微网格, 居民区): the same levels and draws in every model
    def _ladder(self, sc: Scenario, u: dict[str, np.ndarray], g: np.ndarray, c: np.ndarray) -> None:
        """Where each appeal enters the ladder (``ladder_start``: a level index, or -1: not the ladder's), and the
        draws of every level: its work, whether it settles the matter, its delay in passing it up."""
        self.ladder_on = sc.ladder_on()
        if not self.ladder_on:
            return
        names, specs = list(sc.ladder.levels), list(sc.ladder.levels.values())
        self.level_names = names
        self.ladder_desks = [[self.world.offices[f"ladder:{k}:{a}"] for a in self.areas] for k in names]
        staffed = np.array([[o.capacity > 0 for o in row] for row in self.ladder_desks])  # [level, area]
        entry = np.array([names.index(s.ladder) if s.ladder else len(names) for s in self.cats])[c]
        lives = np.isin(g, [self.issues.groups.index(k) for k in sc.ladder.groups if k in self.issues.groups])
        # the first staffed level at or above the category's, in the appeal's area (-1: none, or not a resident's)
        start = np.full(len(c), -1)
        for k in reversed(range(len(names))):
            start = np.where((entry <= k) & staffed[k][self.issues.area], k, start)
        self.ladder_start = np.where(lives & (self.channel == IN_PERSON), start, -1)
        self.ladder_service = np.column_stack([s.service.ppf(u["ladder_service"][:, k]) for k, s in enumerate(specs)])
        can = ~self.hard[:, None] | np.array([s.settles_hard for s in specs])  # a hard case needs departments
        self.ladder_settled = (u["ladder_resolve"] < np.array([s.p_resolve for s in specs])) & can
        self.ladder_escalation = np.column_stack(
            [s.escalation.ppf(u["ladder_escalation"][:, k]) for k, s in enumerate(specs)]
        )

    def via_ladder(self, i: int) -> bool:
        """Whether appeal ``i`` is taken to the grassroots ladder first (a resident's matter a level takes)."""
        return self.ladder_on and self.ladder_start[i] >= 0

    def ladder(self, i: int, rec: AppealRecord) -> ProcessBody[tuple[Office, float] | None]:
        """Process body: up the grassroots ladder from the appeal's first level; the level that settled it and its
        hours (the model then closes it, with its feedback call), or None when no level did.

        The citizen walks to the first level (its work is the first response; no one gives up there); each level
        works on the matter and settles it, or passes it up after its delay (no walk): above the top level, that
        delay hands it to the model, whose work order then takes its dispatch delay.  Unstaffed levels are passed
        over.
        """
        env, area, specs = self.env, self.area_of[i], list(self.sc.ladder.levels.values())
        for k in range(self.ladder_start[i], len(specs)):
            desk = self.ladder_desks[k][area]
            if not desk.capacity:
                continue
            if rec.filed is None:
                note(rec, env.now, lambda: f"takes it to the {desk.label} first (the grassroots ladder)")
                yield from visit(desk, rec, specs[k].travel, self.ladder_service[i][k], activity="ladder")
                self.responds(rec, desk)
            else:
                yield staff_job(desk, rec, self.ladder_service[i][k], "ladder")
            if self.ladder_settled[i][k]:
                rec.resolved_at = self.level_names[k]
                return desk, self.ladder_service[i][k]
            note(rec, env.now, lambda: f"the {desk.label} cannot settle it: passes it up")
            yield env.timeout(self.ladder_escalation[i][k])
        note(rec, env.now, "the ladder passes it to the handling unit as a work order (no walk)")
        return None

    # ---- discovery (主动发现): who files each issue, and when
    def _discover(self, u: dict[str, np.ndarray], discoverable: np.ndarray) -> None:
        """Race every finder against the citizen: ``channel`` (index into CHANNELS) and ``start_delay``.

        The earliest finder that finds an issue before its citizen would file it files it instead
        (ties go to the finder listed first).
        """
        best = np.full(len(discoverable), np.inf)
        channel = np.zeros(len(discoverable), dtype=np.int8)
        for name, delays in self.finders(u, discoverable):
            better = delays < best
            best[better], channel[better] = delays[better], CHANNELS.index(name)
        found = best < self.report_delay
        self.channel = np.where(found, channel, self.filing)
        self.start_delay = np.where(found, best, self.report_delay)  # hours from arising to the first step

    def finders(self, u: dict[str, np.ndarray], discoverable: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
        """``(channel, hours from arising to being found)`` of each finder: the departments' inspection crews, then
        the riders who report what they pass (both models alike)."""
        yield from self._inspection(u, discoverable)
        riders = self.sc.channels.riders
        if riders.chance() > 0:
            seen = discoverable
            if riders.categories is not None:  # only what is on their routes
                on_routes = [self.issues.categories.index(k) for k in riders.categories]
                seen = discoverable & np.isin(self.issues.category, on_routes)
            calendar = self.world.calendar(riders.calendar)
            yield "rider", self.found_after(riders, seen, u["rider"][:, 0], u["rider_delay"][:, 0], calendar)

    def _inspection(self, u: dict[str, np.ndarray], discoverable: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
        cat = self.issues.category
        for d, name in enumerate(self.dept_names):
            spec = self.sc.departments[name].inspection
            needs = np.array([d in deps for deps in self.cat_depts])[cat]
            yield (
                "inspection",
                self.found_after(
                    spec,
                    discoverable & needs,
                    u["inspection"][:, d],
                    u["inspection_delay"][:, d],
                    self.depts[d].calendar,
                ),
            )

    def found_after(
        self,
        spec: Discovery,
        covers: np.ndarray,
        u_find: np.ndarray,
        u_delay: np.ndarray,
        calendar: Calendar | DatedCalendar,
    ) -> np.ndarray:
        """Hours from arising until ``spec``'s finder finds each issue (inf where it does not).

        Found with chance ``spec.chance()`` among the issues it ``covers``, ``spec.delay`` open hours
        of ``calendar`` after arising: a finder works only in its working hours.
        """
        out = np.full(len(covers), np.inf)
        idx = np.flatnonzero(covers & (u_find < spec.chance()))
        if len(idx):
            created = self.issues.created[idx].tolist()
            delay = spec.delay.ppf(u_delay[idx]).tolist()
            out[idx] = [calendar.add_open(t, x) - t for t, x in zip(created, delay)]
        return out

    def start(self) -> None:
        """Start the model's background processes: the inspection crews' daily work (others in subclasses)."""
        for d, name in enumerate(self.dept_names):
            spec = self.sc.departments[name].inspection
            if spec.chance() > 0 and self.depts[d].capacity > 0:
                self.env.process(self.daily_work(self.depts[d], spec))

    def daily_work(self, office: Office, spec: Discovery) -> ProcessBody[None]:
        """Process body: ``spec.staff_hours_per_day`` of ``office``'s time from ``spec.start_hour`` on each open day."""
        day = 0
        while True:
            t = day * 24.0 + spec.start_hour
            if office.calendar.open_between(day * 24.0, day * 24.0 + 24.0) > 0:  # closed days: no finding work
                if t > self.env.now:
                    yield self.env.timeout(t - self.env.now)
                yield office.job(spec.staff_hours_per_day)
            day = max(day + 1, int(self.env.now // 24) + 1)

    def found(self, i: int, rec: AppealRecord) -> bool:
        """If a finder found issue ``i``, it is filed and answered now (no citizen trip); returns whether."""
        if self.channel[i] < FIRST_FINDER or self.channel[i] == RIDER:  # a rider's report is filed online
            return False
        rec.filed = self.env.now
        step(rec, rec.filed, "filed")
        self.responds(rec)
        note(
            rec,
            self.env.now,
            lambda: f"found by {FINDER_LABELS[rec.channel]} before anyone files it (主动发现): first response",
        )
        return True

    def appeal(self, i: int, rec: AppealRecord) -> ProcessBody[None]:
        """Process body for issue ``i``, started ``start_delay[i]`` hours after it arises."""
        raise NotImplementedError

    def arises(self, i: int, rec: AppealRecord) -> None:
        """Log what the issue is (for a traced appeal)."""
        spec = self.cats[self.category_of[i]]
        g = self.groups[self.group_of[i]]
        extra = [w for w, flag in (("ownership unclear", self.unclear[i]), ("a hard case", self.hard[i])) if flag]
        note(
            rec,
            rec.created,
            lambda: (
                f"{g.label.both(rec.group)} in {rec.area}: a {spec.label.both(rec.category)} problem needing "
                f"{', '.join(spec.departments)}" + (f"; {', '.join(extra)}" if extra else "")
            ),
        )

    # ---- shared steps
    def responds(self, rec: AppealRecord, office: Office | None = None) -> None:
        """The first response (响应): the first contact of the handling unit with the citizen, now (kept, if a level
        of the ladder gave it already)."""
        if rec.first_response is not None:
            return
        rec.first_response = self.env.now
        step(rec, rec.first_response, "response", office)

    def resolve(self, i: int, rec: AppealRecord, round_: int = 0) -> bool:
        """Close the appeal now and draw satisfaction; returns whether the citizen is satisfied.

        Round 0 is the first resolution, whose satisfaction is the headline in both models;
        a later round (after a reopening) draws again, from its own pre-drawn uniform.
        """
        rec.resolved = self.env.now
        rec.state = "resolved"
        step(rec, rec.resolved, "resolution")
        p = p_satisfied(self.sc.satisfaction, rec.resolved - rec.created, rec.trips, rec.bounces)
        rec.satisfied = self.u_satisfied[i][round_] < p
        if round_ == 0:
            rec.first_resolved, rec.satisfied_first = rec.resolved, rec.satisfied
        if rec.events is not None:
            note(
                rec,
                self.env.now,
                f"closed: resolved {rec.resolved - rec.created:.1f} h after the issue arose; "
                f"the citizen is {'satisfied' if rec.satisfied else 'NOT satisfied'} "
                f"(P = {p:.2f})",
            )
        return rec.satisfied

    def close(
        self, i: int, rec: AppealRecord, office: Office, redo: Callable[[], ProcessBody[object]]
    ) -> ProcessBody[None]:
        """Process body: resolve, then the feedback loop (回访) if this model makes the call.

        ``office`` (the one that closed the case) makes the call; an unsatisfied citizen's case
        reopens with the model's ``reopen_probability`` (against a pre-drawn uniform, the same in
        both models) and ``redo()`` (a process body) does the work again, up to ``max_reopens`` times.
        """
        fb = self.fb
        for round_ in range(fb.max_reopens + 1):
            satisfied = self.resolve(i, rec, round_)
            if not fb.enabled:
                return
            if satisfied or round_ == fb.max_reopens or self.u_reopen[i][round_] >= fb.reopen_probability:
                return self._feedback_call(office, rec, self.feedback_delay[i], self.call[i])  # the appeal is done
            yield self.env.timeout(self.feedback_delay[i])
            note(rec, self.env.now, "feedback call (回访)")
            yield staff_job(office, rec, self.call[i], "feedback call")
            rec.reopened += 1
            note(rec, self.env.now, "unsatisfied: the appeal is reopened")
            step(rec, self.env.now, "reopen", office)
            rec.state, rec.resolved, rec.satisfied = "open", None, None
            yield from redo()

    def _feedback_call(self, office: Office, rec: AppealRecord, delay: float, hours: float) -> None:
        """The feedback call (回访) of an appeal that will not reopen: the office's time, no process."""

        def call(_event: simpy.Event) -> None:
            note(rec, self.env.now, "feedback call (回访)")
            staff_job(office, rec, hours, "feedback call")

        self.env.timeout(delay).callbacks.append(call)

    def gives_up(self, i: int, rec: AppealRecord, k: int) -> bool:
        """After the ``k``-th referral or bounce of a citizen's own appeal: do they give up?

        The same rule in every model, against a pre-drawn uniform per occasion, so that the same
        citizen gives up at the same occasion in both models.
        """
        if self.u_give_up[i][k] < self.groups[self.group_of[i]].p_give_up_after_referral:
            note(rec, self.env.now, "told to go elsewhere, the citizen gives up")
            return True
        return False

    def abandon(self, rec: AppealRecord) -> None:
        """The citizen gave up (while queueing, or when sent elsewhere)."""
        rec.abandoned = self.env.now
        rec.state = "abandoned"
        step(rec, rec.abandoned, "gave up")
        note(rec, self.env.now, "the appeal is abandoned")
