"""What happened to one appeal, step by step, in both models side by side (for teaching).

>>> from sim.scenario import load_scenario
>>> logs = trace(load_scenario(overrides=["horizon_days=5", "warmup_days=0"]), appeals=[0])
>>> sorted(logs[0])
['merged', 'siloed']
>>> logs[0]["siloed"].events[0][0] == logs[0]["merged"].events[0][0]   # the same issue, same moment
True
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

from .document import pad, wrap
from .issues import generate_issues
from .records import AppealRecord
from .scenario import Scenario, ScenarioError

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def clock(t: float, start: date | None = None) -> str:
    """Simulated time as weekday, day number and hh:mm (t = 0 is Monday 00:00 of day 1), or as a date.

    >>> clock(33.5)
    'Tue d2 09:30'
    >>> clock(33.5, date(2024, 2, 9))
    'Sat 2024-02-10 09:30'
    """
    if start is not None:
        return f"{datetime.combine(start, time()) + timedelta(minutes=round(t * 60)):%a %Y-%m-%d %H:%M}"
    day, rem = divmod(t, 24.0)
    minutes = int(round(rem * 60))
    if minutes == 24 * 60:
        day, minutes = day + 1, 0
    return f"{DAYS[int(day) % 7]} d{int(day) + 1} {minutes // 60:02d}:{minutes % 60:02d}"


def select(sc: Scenario, appeals=None, group: str | None = None, first: int = 3) -> list[int]:
    """Issue ids to trace: the given ids, or the first ``first`` issues of ``group``."""
    issues = generate_issues(sc)
    if appeals:
        bad = [a for a in appeals if not 0 <= a < len(issues)]
        if bad:
            raise ScenarioError("--appeal", [f"no appeal {bad[0]}: this run has appeals 0..{len(issues) - 1}"])
        return list(appeals)
    if group is not None:
        if group not in issues.groups:
            raise ScenarioError("--group", [f"unknown group {group!r} (expected one of {issues.groups})"])
        g = issues.groups.index(group)
        return [i for i in range(len(issues)) if issues.group[i] == g][:first]
    return list(range(min(first, len(issues))))


def trace(
    sc: Scenario, appeals=None, group: str | None = None, first: int = 3, models: list[str] | None = None
) -> dict[int, dict[str, AppealRecord]]:
    """Run the models with step logs for the selected appeals: ``{issue: {model: record}}``."""
    from .simulation import simulate

    ids = select(sc, appeals, group, first)
    out: dict[int, dict[str, AppealRecord]] = {i: {} for i in ids}
    for m in models or sc.models:
        policy, arm = sc.arm(m)
        run = simulate(arm, m, generate_issues(arm), policy=policy, traced=ids)
        for i in ids:
            out[i][m] = run.records[i]
    return out


def _outcome(rec: AppealRecord, start: date | None = None) -> str:
    end = {"resolved": rec.resolved, "abandoned": rec.abandoned}.get(rec.state)
    when = f" at {clock(end, start)}" if end is not None else " (still open at the horizon)"
    return (
        f"OUTCOME: {rec.state}{when}; {rec.trips} trip(s), {rec.referrals} referral(s), "
        f"{rec.bounces} bounce(s), {rec.citizen_hours:.1f} citizen hours"
    )


def narrate(logs: dict[int, dict[str, AppealRecord]], width: int = 120, start: date | None = None) -> str:
    """The traces as text, the models in columns side by side (times as dates from ``start``, if given)."""
    blocks = []
    for i, by_model in logs.items():
        models = list(by_model)
        col = (width - 3 * (len(models) - 1)) // len(models)
        columns = []
        for m in models:
            rec = by_model[m]
            lines = [m.upper().center(col, "-")]
            for t, text in rec.events or []:
                lines += wrap(f"{clock(t, start)}  {text}", col, " " * 14)
            lines += wrap(_outcome(rec, start), col, "  ")
            columns.append(lines)
        blocks.append(f"Appeal {i}")
        for row in itertools.zip_longest(*columns, fillvalue=""):
            blocks.append(" | ".join(pad(cell, col) for cell in row).rstrip())
        blocks.append("")
    return "\n".join(blocks)
