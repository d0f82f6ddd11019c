"""Scenario schema versions: read a file written for an older schema as the current one.

A scenario file may state ``schema_version`` (an integer).  A file without it is read as the
oldest version whose fields it uses: a file with a version 1 field is version 1 (every file
written before versions existed); one with no old field reads the same either way and is left
alone, so new files need not state the version.

Migration is a list of steps, one per version (1 -> 2, then 2 -> 3 ...): each is a small
function that changes a deep copy of the raw data in place and returns its notes, lines of
the form ``field.path: what changed``, as error lines are.  The next rename is one more step
(and an entry in :data:`RENAMED`, for :func:`old_field_hint`).

>>> new, notes = migrate({"merged": {"patrol": {"discovery_share": 0.25, "staff_hours_per_day": 4}}}, "x.yaml")
>>> new
{'schema_version': 3, 'merged': {'patrol': {'effectiveness': 0.0719205, 'staff_hours_per_day': 4}}}
>>> notes[0]
'merged.patrol.discovery_share: renamed merged.patrol.effectiveness (0.25 at 4 h a day -> k = 0.0719)'
>>> migrate({"name": "new", "merged": {"patrol": {"effectiveness": 0.1}}}, "y.yaml")[1]
[]
>>> old_field_hint("merged.patrol.discovery_share").split(";")[0]
'merged.patrol.discovery_share: renamed merged.patrol.effectiveness in schema version 2'
>>> migrate({"areas": {"north": {"name_zh": "北片", "weight": 1}}}, "z.yaml")[0]["areas"]
{'north': {'label': {'zh': '北片'}, 'weight': 1}}
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from typing import Any

from .errors import ScenarioError

#: The schema version this gridsim writes and reads.
CURRENT = 3

#: Fields that a schema version renamed: old dotted path -> (new path, the version that renamed
#: it, what a user converting it by hand must know).
RENAMED: dict[str, tuple[str, int, str]] = {
    "merged.patrol.discovery_share": (
        "merged.patrol.effectiveness",
        2,
        (
            "the value is converted: it is now k in the finding chance 1 - exp(-k * staff_hours_per_day), "
            "no longer a share"
        ),
    ),
}

#: What a version 1 file relied on without saying so, and how it reads now.  The migration does
#: not change these values, it reports them so that the user can decide.  ``{calendar}`` is the
#: file's merged.calendar, ``{hard}`` says which categories have hard cases.
CHANGED_DEFAULTS_V2: list[str] = [
    (
        "merged.stationed_calendar: stationed staff now keep their department's hours by default "
        "(version 1: the grid's calendar); to keep the old behaviour set merged.stationed_calendar: {calendar}"
    ),
    (
        "categories.*.p_hard: hard cases now also exist in the siloed model (bounces, then escalation) and need "
        "extra work from the departments in both models ({hard})"
    ),
    "satisfaction: the headline satisfaction (满意率) is now the one reported at first resolution",
    (
        "siloed.feedback: the siloed model now has a feedback call (回访) too, off by default; "
        "set siloed.feedback.enabled: true to compare the models with the same call"
    ),
]

PATROL = ("merged", "patrol")
SHARE = PATROL + ("discovery_share",)
EFFECTIVENESS = PATROL + ("effectiveness",)
HOURS = PATROL + ("staff_hours_per_day",)
#: v1's defaults of the patrol fields.
DEFAULT_HOURS = 2.0
DEFAULT_SHARE_V1 = 0.2
#: A share of 1 cannot be reached by 1 - exp(-k * hours): k gives this chance instead.
SHARE_ONE_CHANCE = 0.999
#: Finding chances closer than this are the same for the check of a migrated file.
_TOLERANCE = 5e-4


def _fail(source: str, errors: list[str]):
    raise ScenarioError(source, errors)


# ---------------------------------------------------------------- the public API


def effectiveness(share: float, hours: float) -> float:
    """k with 1 - exp(-k * hours) = ``share``: a version 1 share found at ``hours`` a day.

    Zero hours (or a zero share) give 0; a share of 1 gives the k of a 0.999 chance.

    >>> round(effectiveness(0.25, 4), 6), effectiveness(0.5, 0), round(1 - math.exp(-effectiveness(1, 2) * 2), 6)
    (0.071921, 0.0, 0.999)
    """
    if share <= 0 or hours <= 0:
        return 0.0
    chance = SHARE_ONE_CHANCE if share >= 1 else share
    return -math.log(1.0 - chance) / hours


def schema_version(raw: dict, source: str) -> int:
    """The schema version ``raw`` is read as: the one it states, else the oldest whose fields it uses.

    A stated version that is not a whole number from 1 to :data:`CURRENT` raises ScenarioError.
    """
    if "schema_version" not in raw:
        found = [version - 1 for old, (_, version, _) in RENAMED.items() if _sets(raw, tuple(old.split(".")))]
        if _names_zh(raw):
            found.append(NAME_ZH_VERSION - 1)
        return min(found, default=CURRENT)
    value = raw["schema_version"]
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(source, [f"schema_version: expected a whole number from 1 to {CURRENT}, got {value!r}"])
    if value > CURRENT:
        from . import __version__

        _fail(
            source,
            [
                (
                    f"schema_version: the file is schema version {value}, written for a newer gridsim; "
                    f"this gridsim ({__version__}) reads schema versions 1 to {CURRENT}: upgrade gridsim "
                    "to use it"
                )
            ],
        )
    if value < 1:
        _fail(source, [f"schema_version: expected a whole number from 1 to {CURRENT}, got {value}"])
    return value


def migrate(raw: dict, source: str) -> tuple[dict, list[str]]:
    """``raw`` (a scenario file's data) migrated to schema version :data:`CURRENT`, and the notes.

    Returns a deep copy and a list of ``field.path: what changed`` lines.  A current file comes back
    unchanged with no notes, and so does one without ``schema_version`` that uses no old field.
    Raises ScenarioError for a version this gridsim cannot read or an old value it cannot convert.
    """
    if not isinstance(raw, dict):
        _fail(source, [f"expected a YAML map at the top level, got {type(raw).__name__}"])
    version = schema_version(raw, source)
    new = copy.deepcopy(raw)
    if version == CURRENT:
        return new, []
    notes = []
    for n in range(version, CURRENT):
        notes += STEPS[n - 1](new, source)
    if "schema_version" in new:
        new["schema_version"] = CURRENT
    else:
        new = {"schema_version": CURRENT, **new}
    return new, notes


def old_field_hint(path: str, source: str | None = None) -> str | None:
    """The error line for ``path`` if it is a field an older schema version had, else None.

    ``path`` is a dotted field path, alone or inside an override map (``variants.fast.set.merged...``);
    ``source`` names the file in the suggested command (default: ``FILE``).
    """
    keys = tuple(k for k in str(path).split(".") if k)
    if keys and keys[-1] == NAME_ZH:
        new = ".".join(keys[:-1] + ("label", "zh"))
        run = f"run `gridsim migrate {source or 'FILE'}`"
        return f"{path}: now {new} in schema version {NAME_ZH_VERSION}; {run} ({LABEL_HOW})"
    for old, (new, version, how) in RENAMED.items():
        o = tuple(old.split("."))
        if keys[-len(o) :] == o:
            return (
                f"{path}: renamed {new} in schema version {version}; run `gridsim migrate {source or 'FILE'}` ({how})"
            )
    return None


# ---------------------------------------------------------------- where a field is set


def _overrides(raw: dict) -> Iterator[tuple[str, dict]]:
    """``(label, map)`` of every override map: ``variants.<name>.set`` and ``city.streets.<kind>.set``."""
    variants = raw.get("variants")
    for name, v in variants.items() if isinstance(variants, dict) else ():
        if isinstance(v, dict) and isinstance(v.get("set"), dict):
            yield f"variants.{name}.set.", v["set"]
    city = raw.get("city")
    streets = city.get("streets") if isinstance(city, dict) else None
    for kind, spec in streets.items() if isinstance(streets, dict) else ():
        if isinstance(spec, dict) and isinstance(spec.get("set"), dict):
            yield f"city.streets.{kind}.set.", spec["set"]


def _find(node: dict, target: tuple[str, ...], dotted: bool, prefix: tuple[str, ...] = ()):
    """``(map, key, path)`` of each place in ``node`` that sets ``target``.

    In override maps (``dotted``) keys are dotted paths and values may be nested maps, as in ``--set``.
    """
    out = []
    for key, value in node.items():
        if not isinstance(key, str):
            continue
        path = prefix + (tuple(k for k in key.strip().split(".") if k) if dotted else (key,))
        if path == target:
            out.append((node, key, path))
        elif isinstance(value, dict) and path == target[: len(path)]:
            out += _find(value, target, dotted, path)
    return out


def _sets(raw: dict, target: tuple[str, ...]) -> bool:
    """Whether the file or one of its override maps sets the field ``target``."""
    return bool(_find(raw, target, False)) or any(_find(m, target, True) for _, m in _overrides(raw))


def _apply(raw: dict, overrides: dict) -> dict:
    """A copy of ``raw`` with an override map applied as the scenario applies it (a map value replaces)."""
    raw = copy.deepcopy(raw)
    for key, value in overrides.items():
        keys = [k for k in str(key).strip().split(".") if k]
        node = raw
        for k in keys[:-1]:
            if node.get(k) is None:
                node[k] = {}
            if not isinstance(node[k], dict):
                break  # not a map: the scenario loader reports it
            node = node[k]
        else:
            if keys:
                node[keys[-1]] = value
    return raw


def _get(raw: dict, path: tuple[str, ...], default=None):
    node: Any = raw
    for k in path:
        if not isinstance(node, dict) or k not in node:
            return default
        node = node[k]
    return node


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _rename(node: dict, key: str, new_key: str, value) -> None:
    """Replace ``key`` by ``new_key`` (with ``value``) where it stands in ``node``."""
    items = list(node.items())
    node.clear()
    node.update((new_key, value) if k == key else (k, v) for k, v in items)


# ---------------------------------------------------------------- the steps


def _v1_to_v2(raw: dict, source: str) -> list[str]:
    """merged.patrol.discovery_share (a share) becomes merged.patrol.effectiveness (k); changed defaults."""
    old = copy.deepcopy(raw)
    base = {k: v for k, v in old.items() if k not in ("variants", "city")}
    streets = {"": base} | {
        label.removesuffix(".set."): _apply(base, m) for label, m in _overrides(old) if label.startswith("city.")
    }
    notes, problems, converted = [], [], set()

    # 1. rename, converting each share at the hours in force where it is set
    for label, node in [("", raw), *_overrides(raw)]:
        dotted = bool(label)
        effective = _apply(base, node) if dotted else base
        scope = label.removesuffix(".set.")  # the (street, variant) whose hours convert its share:
        pair = (scope, "") if scope.startswith("city.") else ("", scope)
        hours = _get(effective, HOURS, DEFAULT_HOURS)
        hours_note = "" if _get(effective, HOURS) is not None else " (the default)"
        for parent, key, path in _find(node, SHARE, dotted):
            where = label + ".".join(path)
            share = parent[key]
            if _new_key(key) in parent:
                problems.append(
                    f"{where}: also sets {'.'.join(EFFECTIVENESS)}: keep one (a version 1 file "
                    "has only discovery_share)"
                )
                continue
            if not _number(share) or not 0 <= share <= 1:
                problems.append(f"{where}: expected a share from 0 to 1 to convert, got {share!r}")
                continue
            if not _number(hours) or hours < 0:
                problems.append(
                    f"{label}{'.'.join(HOURS)}: expected hours >= 0 to convert {'.'.join(SHARE)}, got {hours!r}"
                )
                continue
            k = float(f"{effectiveness(share, hours):.6g}")
            _rename(parent, key, _new_key(key), k)
            converted.add(pair)
            note = (
                f"{where}: renamed {'.'.join(EFFECTIVENESS)} ({share:g} at {hours:g} h a day{hours_note} "
                f"-> k = {k:.3g})"
            )
            if hours == 0 and share > 0:
                note += (
                    f": zero hours find nothing now (version 1 found {share:g} without staff hours); "
                    "give the patrol staff_hours_per_day for it to find issues"
                )
            elif share >= 1:
                note += f": a share of 1 cannot be reached now, k gives a {SHARE_ONE_CHANCE:g} chance"
            notes.append(note)
    if problems:
        _fail(source, problems)

    # 2. check every street and model against version 1, e.g. an override that sets only the hours
    new_base = {k: v for k, v in raw.items() if k not in ("variants", "city")}
    new_streets = {"": new_base} | {
        label.removesuffix(".set."): _apply(new_base, m) for label, m in _overrides(raw) if label.startswith("city.")
    }
    arms = [("", {}, {})] + [
        (label.removesuffix(".set."), m, n)
        for (label, m), (_, n) in zip(_overrides(old), _overrides(raw))
        if label.startswith("variants.")
    ]
    for street, v1_street in streets.items():
        seen = None
        for arm, v1_set, v2_set in arms:
            v1, v2 = _apply(v1_street, v1_set), _apply(new_streets[street], v2_set)
            share, k = _get(v1, SHARE), _get(v2, EFFECTIVENESS)
            hours = _get(v2, HOURS, DEFAULT_HOURS)
            state = (share, k, hours)
            if not arm:
                seen = state
            elif state == seen:
                continue  # the same as without the variant
            if (street, arm) in converted:
                continue  # converted at these hours: any difference is in the note of the conversion
            if share is None and k is None:
                if not street and not arm and _number(hours) and hours >= 0:
                    keep = effectiveness(DEFAULT_SHARE_V1, hours)
                    notes.append(
                        f"{'.'.join(SHARE)}: not set: version 1 used its default {DEFAULT_SHARE_V1:g} "
                        f"(at {hours:g} h a day); the default of {'.'.join(EFFECTIVENESS)} applies now; "
                        f"to keep {DEFAULT_SHARE_V1:g} set {'.'.join(EFFECTIVENESS)}: {keep:.6g}"
                    )
                continue
            if not (_number(share) and _number(k) and _number(hours) and hours >= 0):
                continue  # not convertible here: the scenario loader reports the values
            chance = 1 - math.exp(-k * hours)
            if abs(chance - share) <= _TOLERANCE or (share >= 1 and chance >= SHARE_ONE_CHANCE - _TOLERANCE):
                continue
            place = (f"{arm}.set" if arm else f"{street}.set") + "." + ".".join(PATROL)
            where = f" in {street} streets" if street and arm else ""
            fix = (
                "zero hours find nothing now"
                if hours == 0
                else f"to keep {share:g} set {'.'.join(EFFECTIVENESS)}: {effectiveness(share, hours):.6g} there"
            )
            notes.append(
                f"{place}: in version 1 patrols found {share:g} of discoverable issues{where} whatever "
                f"the hours; at {hours:g} h a day k = {k:.3g} finds {chance:.3g} now; {fix}"
            )

    # 3. what the file relied on without saying so
    categories = raw.get("categories")
    if not isinstance(categories, dict):
        categories = {}
    hard = sorted(
        k for k, c in categories.items() if isinstance(c, dict) and _number(c.get("p_hard")) and c["p_hard"] > 0
    )
    context = {
        "calendar": _get(raw, ("merged", "calendar"), "<merged.calendar>"),
        "hard": f"this file's categories with p_hard > 0: {', '.join(hard)}"
        if hard
        else "no category of this file has p_hard > 0",
    }
    return notes + [text.format(**context) for text in CHANGED_DEFAULTS_V2]


def _new_key(key: str) -> str:
    """The key that replaces ``key`` (``discovery_share`` or a dotted path ending in it)."""
    head, _, _ = key.strip().rpartition(".")
    return f"{head}.{EFFECTIVENESS[-1]}" if head else EFFECTIVENESS[-1]


#: Version 3 gave every named thing a ``label`` with Chinese and English in place of ``name_zh``.
NAME_ZH = "name_zh"
NAME_ZH_VERSION = 3
LABEL_HOW = "display names are now label: {zh: ..., en: ...}; the English one defaults to the code name"


def _names_zh(raw: dict, prefix: str = "") -> list[tuple[dict, str, str]]:
    """``(map, key, path)`` of every ``name_zh`` in ``raw``, in its maps and its override maps (dotted keys)."""
    out = []
    for key, value in list(raw.items()):
        if not isinstance(key, str):
            continue
        path = f"{prefix}{key}"
        if key == NAME_ZH or key.strip().endswith("." + NAME_ZH):
            out.append((raw, key, path))
        elif isinstance(value, dict):
            out += _names_zh(value, path + ".")
    return out


def _v2_to_v3(raw: dict, source: str) -> list[str]:
    """``name_zh: X`` becomes ``label: {zh: X}`` wherever it stands (dotted override keys too)."""
    places = _names_zh(raw)
    for node, key, _ in places:
        value = node[key]
        if key == NAME_ZH:
            label = node.pop("label") if isinstance(node.get("label"), dict) else {}
            _rename(node, key, "label", {"zh": value, **label})  # a label.zh given too wins
        else:
            _rename(node, key, key.strip()[: -len(NAME_ZH)] + "label.zh", value)
    if not places:
        return []
    shown = ", ".join(p for _, _, p in places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")
    return [f"name_zh ({shown}): now label.zh ({LABEL_HOW})"]


#: ``STEPS[n - 1]`` migrates raw data from schema version n to n + 1, in place, and returns notes.
STEPS: list[Callable[[dict, str], list[str]]] = [_v1_to_v2, _v2_to_v3]
assert len(STEPS) == CURRENT - 1
