"""What a citizen does in person or on the phone: travel, queue (and maybe give up), be served.

Patience applies only while queueing in person at an intake desk, before any
grid or department holds the case.  A citizen who reaches a closed office waits
(at home) for it to open; queueing time counts only while the office is open.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .records import AppealRecord, note, step
from .world import Office


def visit(
    office: Office,
    rec: AppealRecord,
    travel: float,
    work: float,
    patience: float | None = None,
    activity: str = "department work",
):
    """Process body: one trip to ``office`` and service there (``activity``); returns False if the citizen gave up.

    Counts the trip and the citizen hours (travel, open-hours queueing, service),
    sets ``filed`` on the appeal's first arrival anywhere.
    """
    env = office.env
    now = env.now
    traced = rec.events is not None
    rec.trips += 1
    rec.citizen_hours += travel
    arrive = office.calendar.next_open(now + travel)
    if traced:
        note(rec, now, f"sets off for the {office.label} (trip {rec.trips}, {travel:.1f} h travel)")
        if arrive > now + travel:
            note(
                rec, now + travel, f"the {office.label} is closed then: arrives at its opening instead (no wasted trip)"
            )
    if arrive > now:
        yield env.timeout(arrive - now)
    if rec.filed is None:
        rec.filed = arrive
        step(rec, arrive, "filed", office)
    return (yield from served(office, rec, work, patience, "in person", activity))


def call(office: Office, rec: AppealRecord, talk: float, patience: float | None):
    """Process body: a call to the hotline ``office`` (12345): wait for an operator, maybe hang up, talk.

    No trip; the wait and the talk count as citizen hours.  Returns False if the caller hung up.
    """
    note(rec, office.env.now, "calls the 12345 hotline")
    return (yield from served(office, rec, talk, patience, "on the phone", "hotline call"))


def served(office: Office, rec: AppealRecord, work: float, patience: float | None, how: str, activity: str):
    """Process body: queue at ``office`` from now (giving up after ``patience`` open hours), then ``work`` hours.

    Returns False if the citizen gave up; the open hours queued and the work count as citizen hours.
    """
    env = office.env
    arrive = env.now
    claim = office.request(priority=rec.priority)
    if not claim.granted:
        if patience is not None:
            office.give_up_at(claim, office.calendar.add_open(arrive, patience))
        if not (yield claim.event):
            note(
                rec,
                env.now,
                lambda: (
                    f"gives up {'queueing' if how == 'in person' else 'waiting'} at the "
                    f"{office.label} (patience ran out)"
                ),
            )
            rec.citizen_hours += office.calendar.open_between(arrive, env.now)
            return False
    now = env.now
    rec.citizen_hours += office.calendar.open_between(arrive, now) + work
    rec.staff_hours += work
    if rec.events is not None:
        seen = (
            f"is seen in person at the {office.label} after queueing"
            if how == "in person"
            else f"is answered by the {office.label} after waiting"
        )
        note(rec, now, f"{seen} {now - arrive:.1f} h ({work:.1f} h of work)")
    step(rec, now, activity, office, "start")
    end = office.start(claim, work)
    if end is not None:
        yield end
    step(rec, env.now, activity, office)
    return True


def staff_job(
    office: Office,
    rec: AppealRecord,
    hours: float,
    activity: str = "department work",
    priority: int | None = None,
    on_start: Callable[[], None] | None = None,
):
    """Start ``office``'s work (``activity``) on the appeal (no process of its own); the event of its end.

    ``yield staff_job(...)`` in a process waits for it; several at once run in parallel.  It queues at the
    appeal's priority unless ``priority`` is given; ``on_start()`` is called when a staff member takes it up.
    """
    rec.staff_hours += hours
    level = rec.priority if priority is None else priority
    if rec.steps is None:
        end = office.job(hours, on_start, level)
    else:  # the event log: when staff take it up, and when they are done
        end = office.job(hours, _logged(rec, office, activity, on_start), level)
        end.callbacks.append(lambda _e: step(rec, office.env.now, activity, office))
    if rec.events is not None:
        note(rec, office.env.now, f"{office.label} takes it up ({hours:.1f} h of work)")
        end.callbacks.append(lambda _e: note(rec, office.env.now, f"{office.label} has done its part"))
    return end


def _logged(rec: AppealRecord, office: Office, activity: str, then: Callable[[], None] | None) -> Callable[[], None]:
    """The ``on_start`` of a logged staff job: the event log's start step, then ``then()``."""

    def start() -> None:
        step(rec, office.env.now, activity, office, "start")
        if then is not None:
            then()

    return start


def p_satisfied(b, hours: float, trips: int, bounces: int) -> float:
    """满意率 model: logistic(b0 - b1*hours - b2*(trips - 1) - b3*bounces).

    ``hours`` is the resolution time from the moment the issue arose; a patrol-found
    appeal (no trip) is not rewarded beyond a one-trip appeal.

    >>> from sim.scenario import Satisfaction
    >>> round(p_satisfied(Satisfaction(b0=0, b1=0, b2=0, b3=0), 10, 1, 0), 2)
    0.5
    >>> p_satisfied(Satisfaction(b0=3, b1=0.01, b2=0, b3=0), 1e6, 1, 0)   # a century late: no overflow
    0.0
    """
    x = b.b0 - b.b1 * hours - b.b2 * max(trips - 1, 0) - b.b3 * bounces
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)  # the same, without overflow for a very long wait
    return z / (1.0 + z)
