"""The reform's switches: every way the merged arm differs from siloed, and how to turn each off.

A switch is off when the merged arm does that step as the line grids do.  ``off(sc)`` gives the
``--set`` overrides that turn it off in scenario ``sc``; all of them together (:func:`null_overrides`)
make the *null reform*, the merged arm that is the siloed process draw for draw (a test checks the
per-appeal records are identical).  ``gridsim explain`` turns them off one at a time.

>>> from sim.scenario import load_scenario
>>> sc = load_scenario()
>>> [s.name for s in SWITCHES if s.on(sc)][:3]
['one_door', 'triage', 'stationing']
>>> off = load_scenario(overrides=null_overrides(sc))
>>> [s.name for s in SWITCHES if s.on(off)]
[]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from ..scenario import Reform, Scenario


@dataclass(frozen=True)
class Switch:
    """One difference between the arms: its name, what it is, whether it is on, how to turn it off."""

    name: str
    label: str
    on: Callable[[Scenario], bool]
    off: Callable[[Scenario], list[str]]
    reform: bool = True  # False: a difference that is not the reform (capacity), reported all the same


def _flag(name: str, label: str) -> Switch:
    return Switch(name, label, lambda sc: getattr(sc.merged.reform, name), lambda sc: [f"merged.reform.{name}=false"])


def _same_feedback(sc: Scenario) -> list[str]:
    return [f"merged.feedback={json.dumps(sc.siloed.feedback.model_dump(mode='json'))}"]


SWITCHES: tuple[Switch, ...] = (
    _flag("one_door", "one door (一门受理): one station per area, its dispatch, closing step and call-back"),
    _flag("triage", "triage by the grid leader (网格长研判)"),
    _flag("stationing", "stationed staff (下沉力量), with their delegation and patrols"),
    Switch(
        "delegation",
        "on-the-spot solving by stationed staff (赋权)",
        lambda sc: sc.merged.reform.delegation and sc.merged.reform.stationing,
        lambda sc: ["merged.reform.delegation=false"],
    ),
    _flag("parallel_dispatch", "parallel dispatch to departments (instead of in turn)"),
    _flag("coordination", "coordination by the grid leader (instead of bounces and escalation)"),
    Switch(
        "joint_meeting",
        "the joint meeting for hard cases (联席会议)",
        lambda sc: sc.merged.joint_meeting.enabled,
        lambda sc: ["merged.joint_meeting.enabled=false"],
    ),
    Switch(
        "patrols",
        "the grid's patrols (主动发现)",
        lambda sc: sc.merged.patrol.chance() > 0 and sc.merged.reform.stationing,
        lambda sc: ["merged.patrol.enabled=false"],
    ),
    Switch(
        "feedback",
        "the feedback call and reopening (回访), as merged makes it",
        lambda sc: sc.merged.feedback != sc.siloed.feedback,
        _same_feedback,
    ),
    Switch(
        "extra_staff",
        "extra staff beyond the siloed headcount (capacity, not the reform)",
        lambda sc: sc.merged.extra_staff.intake_per_area + sc.merged.extra_staff.stationed_per_area > 0,
        lambda sc: ["merged.extra_staff={intake_per_area: 0, stationed_per_area: 0}"],
        reform=False,
    ),
)
assert {s.name for s in SWITCHES} >= set(Reform.model_fields), "every reform flag is a switch"


#: Features common to both arms, not the reform: ``gridsim explain`` turns each off in *both* arms at once
#: and reports how much of merged − siloed rides on it (the difference with it less the difference without).
COMMON: tuple[Switch, ...] = (
    Switch(
        "remote_channels",
        "hotline and online filing (off: everyone files in person)",
        lambda sc: any(g.channel_mix.get("in_person", 0.0) < 1.0 for g in sc.groups.values()),
        lambda sc: [f"groups.{g}.channel_mix={{in_person: 1}}" for g in sc.groups],
        reform=False,
    ),
    Switch(
        "inspection",
        "the departments' inspection crews (主动发现 by departments)",
        lambda sc: any(d.inspection is not None and d.inspection.chance() > 0 for d in sc.departments.values()),
        lambda sc: [
            f"departments.{k}.inspection.enabled=false" for k, d in sc.departments.items() if d.inspection is not None
        ],
        reform=False,
    ),
    Switch(
        "hard_cases",
        "hard cases needing several departments' extra work",
        lambda sc: any(c.p_hard > 0 for c in sc.categories.values()),
        lambda sc: [f"categories.{k}.p_hard=0" for k in sc.categories],
        reform=False,
    ),
    Switch(
        "unclear_ownership",
        "cases of unclear ownership",
        lambda sc: any(c.p_unclear > 0 for c in sc.categories.values()),
        lambda sc: [f"categories.{k}.p_unclear=0" for k in sc.categories],
        reform=False,
    ),
)


def switch(name: str) -> Switch:
    """The switch called ``name``."""
    for s in SWITCHES:
        if s.name == name:
            return s
    raise KeyError(f"unknown reform switch {name!r} (expected one of {[s.name for s in SWITCHES]})")


def null_overrides(sc: Scenario) -> list[str]:
    """The ``--set`` overrides that turn every switch off: the merged arm becomes the siloed process."""
    return [o for s in SWITCHES for o in s.off(sc)]
