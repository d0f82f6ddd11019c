"""The reform's switches: every way the merged arm differs from siloed, and how to turn each off.

A switch belongs to a governance model: the model lists its switches in its class attribute
``switches`` (:attr:`sim.governance.Policy.switches`; ``MergedPolicy.switches`` is :data:`SWITCHES`),
and each switch reads and sets the model's own scenario block (its ``config_block``, here ``merged``).
A switch is off when the model does that step as the baseline does.  ``off(sc)`` gives the ``--set``
overrides that turn it off in scenario ``sc``; all of a model's together (:func:`null_overrides`)
make the *null reform*, the model that is the baseline (siloed) process draw for draw (a test checks
the per-appeal records are identical, for every registered model that declares switches).
``gridsim explain`` turns them off one at a time.  The features both arms have (:data:`COMMON`) are
no model's: they are switches of the whole scenario.

>>> from sim.scenario import load_scenario
>>> sc = load_scenario()
>>> [s.name for s in SWITCHES if s.on(sc)][:3]
['one_door', 'triage', 'stationing']
>>> switch("triage").off(sc)
['merged.reform.triage=false']
>>> off = load_scenario(overrides=null_overrides(sc))
>>> [s.name for s in SWITCHES if s.on(off)]
[]
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Callable

from ..scenario import Reform, Scenario


PLUGIN_BLOCK = "settings."  # a plug-in model's own block: settings.<name>


@dataclass(frozen=True)
class Switch:
    """One difference between the arms: its name, what it is, whether it is on, how to turn it off.

    ``is_on(settings, sc)`` and ``overrides(settings, sc)`` are given ``settings``, the scenario's block
    ``block`` (a model's ``config_block``; the whole scenario when ``block`` is empty, as for the features
    of both arms), and the scenario; ``overrides`` are ``--set`` overrides with paths under that block.
    :meth:`on` and :meth:`off` apply them to a scenario.
    """

    name: str
    label: str
    is_on: Callable[[Any, Scenario], bool]
    overrides: Callable[[Any, Scenario], list[str]]
    block: str = ""
    reform: bool = True  # False: a difference that is not the reform (capacity), reported all the same
    #: False for a setting both arms may share (a platform): "off" then means "the same as the baseline's",
    #: not a step of the reform left out, and the checks do not list it as off.
    stated_off: bool = True

    def settings(self, sc: Scenario) -> Any:
        """The part of ``sc`` this switch reads: its block (a plug-in's ``settings.<name>``), or the whole scenario."""
        if self.block.startswith(PLUGIN_BLOCK):
            from .. import models

            return models.get(self.block.removeprefix(PLUGIN_BLOCK), sc.plugins).settings(sc)
        return getattr(sc, self.block) if self.block else sc

    def on(self, sc: Scenario) -> bool:
        """Whether the switch is on in ``sc``."""
        return bool(self.is_on(self.settings(sc), sc))

    def off(self, sc: Scenario) -> list[str]:
        """The ``--set`` overrides (whole paths) that turn the switch off in ``sc``."""
        prefix = f"{self.block}." if self.block else ""
        return [prefix + o for o in self.overrides(self.settings(sc), sc)]


def _flag(name: str, label: str) -> Switch:
    return Switch(name, label, lambda m, sc: getattr(m.reform, name), lambda m, sc: [f"reform.{name}=false"], "merged")


def _enabled(name: str, label: str, stated_off: bool = True) -> Switch:
    """A step of merged's with a block ``merged.<name>`` that is on while its ``enabled`` is."""
    return Switch(
        name,
        label,
        lambda m, sc: getattr(m, name).enabled,
        lambda m, sc: [f"{name}.enabled=false"],
        "merged",
        stated_off=stated_off,
    )


def _capacity(name: str, label: str, is_on: Callable[[Any, Scenario], bool], off: str) -> Switch:
    """A difference in the merged arm's capacity, not the reform: reported and explained all the same."""
    return Switch(name, label, is_on, lambda m, sc: [off], "merged", reform=False)


def _same_feedback(m: Any, sc: Scenario) -> list[str]:
    return [f"feedback={json.dumps(sc.siloed.feedback.model_dump(mode='json'))}"]


def _same_platform(m: Any, sc: Scenario) -> list[str]:
    return [f"platform={json.dumps(sc.siloed.platform.model_dump(mode='json'))}"]


#: The merged model's switches (``MergedPolicy.switches``), under its block ``merged``.
SWITCHES: tuple[Switch, ...] = (
    _flag("one_door", "one door (一门受理): one station per area, its dispatch, closing step and call-back"),
    _flag("triage", "triage by the grid leader (网格长研判)"),
    _flag("stationing", "stationed staff (下沉力量), with their delegation and patrols"),
    Switch(
        "delegation",
        "on-the-spot solving by stationed staff (赋权)",
        lambda m, sc: m.reform.delegation and m.reform.stationing,
        lambda m, sc: ["reform.delegation=false"],
        "merged",
    ),
    _flag("parallel_dispatch", "parallel dispatch to departments (instead of in turn)"),
    _flag("coordination", "coordination by the grid leader (instead of bounces and escalation)"),
    _enabled("joint_meeting", "the joint meeting for hard cases (联席会议)"),
    # an institution a scenario may add, not a step of the default reform left out when off
    _enabled(
        "whistle",
        "吹哨报到: hard cases call their departments on site, at priority (instead of the joint meeting)",
        stated_off=False,
    ),
    Switch(
        "patrols",
        "the grid's patrols (主动发现)",
        lambda m, sc: m.patrol.chance() > 0 and m.reform.stationing,
        lambda m, sc: ["patrol.enabled=false"],
        "merged",
    ),
    Switch(
        "feedback",
        "the feedback call and reopening (回访), as merged makes it",
        lambda m, sc: m.feedback != sc.siloed.feedback,
        _same_feedback,
        "merged",
    ),
    Switch(
        "platform",
        "the grid's case platform (one record across hand-offs), where it differs from the line grids'",
        lambda m, sc: m.platform != sc.siloed.platform,
        _same_platform,
        "merged",
        stated_off=False,
    ),
    _capacity(
        "volunteers",
        "party-member volunteers who report in (党员报到): part-time capacity for delegated matters (capacity)",
        lambda m, sc: m.volunteers_per_area() > 0,
        "volunteers.per_area=0",
    ),
    _capacity(
        "surge_protocol",
        "extra grid leaders on surge days, who take triage when the grid leader is busy (capacity)",
        lambda m, sc: sc.surge_leaders() > 0,
        "surge_protocol.leaders_per_area=0",
    ),
    _capacity(
        "extra_staff",
        "extra staff beyond the siloed headcount (capacity, not the reform)",
        lambda m, sc: m.extra_staff.intake_per_area + m.extra_staff.stationed_per_area > 0,
        "extra_staff={intake_per_area: 0, stationed_per_area: 0}",
    ),
)
assert {s.name for s in SWITCHES} >= set(Reform.model_fields), "every reform flag is a switch"


def _without_stations(sc: Scenario, _: Scenario) -> list[str]:
    """Overrides that close the service stations: who would file at one files in person instead."""
    out = []
    for k, g in sc.groups.items():
        mix = dict(g.channel_mix)
        if mix.get("station", 0.0) > 0:
            mix["in_person"] = mix.get("in_person", 0.0) + mix.pop("station")
            out.append(f"groups.{k}.channel_mix={json.dumps(mix)}")
    return out


def _every_category(name: str, label: str, field: str) -> Switch:
    """A feature of both arms that categories have when their ``field`` is above 0; off sets it to 0 in all."""
    return Switch(
        name,
        label,
        lambda sc, _: any(getattr(c, field) > 0 for c in sc.categories.values()),
        lambda sc, _: [f"categories.{k}.{field}=0" for k in sc.categories],
        reform=False,
    )


#: Features common to both arms, no model's and not the reform: ``gridsim explain`` turns each off in *both*
#: arms at once and reports how much of the model's difference from the baseline (merged − siloed) rides on it
#: (the difference with it less the difference without).  Their block is the whole scenario.
COMMON: tuple[Switch, ...] = (
    Switch(
        "remote_channels",
        "hotline, online and service-station filing (off: everyone files in person)",
        lambda sc, _: any(g.channel_mix.get("in_person", 0.0) < 1.0 for g in sc.groups.values()),
        lambda sc, _: [f"groups.{g}.channel_mix={{in_person: 1}}" for g in sc.groups],
        reform=False,
    ),
    Switch(
        "inspection",
        "the departments' inspection crews (主动发现 by departments)",
        lambda sc, _: any(d.inspection is not None and d.inspection.chance() > 0 for d in sc.departments.values()),
        lambda sc, _: [
            f"departments.{k}.inspection.enabled=false" for k, d in sc.departments.items() if d.inspection is not None
        ],
        reform=False,
    ),
    Switch(
        "service_stations",
        "gig-worker service stations (驿站) as filing points (off: who would file there files in person)",
        lambda sc, _: any(g.channel_mix.get("station", 0.0) > 0 for g in sc.groups.values()),
        _without_stations,
        reform=False,
    ),
    Switch(
        "riders",
        "riders and couriers as problem collectors (问题收集员)",
        lambda sc, _: sc.channels.riders.chance() > 0,
        lambda sc, _: ["channels.riders.enabled=false"],
        reform=False,
    ),
    Switch(
        "ladder",
        "the grassroots ladder (楼组, 微网格, 居民区) takes residents' matters first",
        lambda sc, _: sc.ladder_on(),
        lambda sc, _: ["ladder.enabled=false"],
        reform=False,
    ),
    Switch(
        "shared_platform",
        "a shared case platform in both arms (off: every hand-off to a department is re-entered)",
        lambda sc, _: sc.siloed.platform.shared and sc.merged.platform.shared,
        lambda sc, _: ["siloed.platform.shared=false", "merged.platform.shared=false"],
        reform=False,
    ),
    _every_category("priorities", "urgency: offices serve higher-priority categories first", "priority"),
    Switch(
        "surges",
        "surges of demand (a typhoon day)",
        lambda sc, _: bool(sc.surges),
        lambda sc, _: ["surges=[]"],
        reform=False,
    ),
    _every_category("hard_cases", "hard cases needing several departments' extra work", "p_hard"),
    _every_category("unclear_ownership", "cases of unclear ownership", "p_unclear"),
)


def switch(name: str, switches: Iterable[Switch] = SWITCHES) -> Switch:
    """The switch called ``name`` (of the merged model's unless ``switches`` are given)."""
    switches = tuple(switches)
    for s in switches:
        if s.name == name:
            return s
    raise KeyError(f"unknown reform switch {name!r} (expected one of {[s.name for s in switches]})")


def null_overrides(sc: Scenario, switches: Iterable[Switch] = SWITCHES) -> list[str]:
    """The ``--set`` overrides that turn every switch off (of merged's unless ``switches`` are a model's):
    the model becomes the baseline (siloed) process."""
    return [o for s in switches for o in s.off(sc)]
