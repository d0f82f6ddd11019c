"""Schema versions: a version 1 file migrated to version 2 (raw data only: the schema itself is
checked elsewhere), the notes, files left alone, versions refused, and ``gridsim migrate``."""

from __future__ import annotations

import copy
import math

import pytest
import yaml
from conftest import REPO, TINY

from sim.cli import main
from sim.migrate import (
    CHANGED_DEFAULTS_V2,
    CURRENT,
    RENAMED,
    STEPS,
    effectiveness,
    migrate,
    old_field_hint,
    schema_version,
)
from sim.scenario import ScenarioError


def v1(**patrol) -> dict:
    """The tiny scenario (a version 1 file: no schema_version) with these patrol fields."""
    raw = copy.deepcopy(TINY)
    raw["merged"]["patrol"] = {"enabled": True, **patrol}
    return raw


def keys_anywhere(node) -> set:
    """Every map key in nested data, dotted keys split."""
    if isinstance(node, dict):
        return {part for k in node for part in str(k).split(".")} | set().union(*map(keys_anywhere, node.values()))
    if isinstance(node, list):
        return set().union(*map(keys_anywhere, node))
    return set()


def chance(k, hours):
    return 1 - math.exp(-k * hours)


# ---------------------------------------------------------------- the conversion


def test_the_versions():
    assert CURRENT == 3 and len(STEPS) == CURRENT - 1


@pytest.mark.parametrize("share, hours", [(0.25, 4), (0.2, 2), (0.5, 1), (0.9, 8), (0.05, 0.5)])
def test_k_keeps_the_share_at_the_files_hours(share, hours):
    k = effectiveness(share, hours)
    assert k == pytest.approx(-math.log(1 - share) / hours)
    assert chance(k, hours) == pytest.approx(share)


def test_the_example_of_the_note():
    new, notes = migrate(v1(discovery_share=0.25, staff_hours_per_day=4), "x.yaml")
    patrol = new["merged"]["patrol"]
    assert patrol["effectiveness"] == pytest.approx(0.0719205, abs=1e-7)
    assert chance(patrol["effectiveness"], 4) == pytest.approx(0.25, abs=1e-6)
    assert list(patrol) == ["enabled", "effectiveness", "staff_hours_per_day"]  # where the old field stood
    assert notes[0] == (
        "merged.patrol.discovery_share: renamed merged.patrol.effectiveness (0.25 at 4 h a day -> k = 0.0719)"
    )
    assert new["schema_version"] == CURRENT and next(iter(new)) == "schema_version"


def test_default_hours_are_2_when_absent():
    new, notes = migrate(v1(discovery_share=0.2), "x.yaml")
    assert new["merged"]["patrol"]["effectiveness"] == pytest.approx(-math.log(0.8) / 2.0, rel=1e-5)
    assert "0.2 at 2 h a day (the default)" in notes[0]


def test_zero_hours_give_k_0_and_say_they_find_nothing_now():
    new, notes = migrate(v1(discovery_share=0.3, staff_hours_per_day=0), "x.yaml")
    assert new["merged"]["patrol"]["effectiveness"] == 0
    assert "-> k = 0" in notes[0] and "zero hours find nothing now" in notes[0]


def test_share_0_gives_k_0_without_the_zero_hours_warning():
    new, notes = migrate(v1(discovery_share=0, staff_hours_per_day=4), "x.yaml")
    assert new["merged"]["patrol"]["effectiveness"] == 0
    assert "-> k = 0" in notes[0] and "nothing" not in notes[0]


def test_share_1_gives_a_0999_chance_and_says_so():
    new, notes = migrate(v1(discovery_share=1, staff_hours_per_day=4), "x.yaml")
    k = new["merged"]["patrol"]["effectiveness"]
    assert chance(k, 4) == pytest.approx(0.999, abs=1e-6)
    assert "0.999" in notes[0] and "share of 1" in notes[0]


def test_the_input_is_not_changed():
    raw = v1(discovery_share=0.25, staff_hours_per_day=4)
    before = copy.deepcopy(raw)
    migrate(raw, "x.yaml")
    assert raw == before


#: The shipped scenarios as they were written for schema version 1.
V1 = REPO / "tests" / "data" / "v1"


@pytest.mark.parametrize("name", ["default.yaml", "tianping.yaml", "shanghai.yaml"])
def test_the_shipped_scenarios_migrate(name):
    raw = yaml.safe_load((V1 / name).read_text(encoding="utf-8"))
    new, notes = migrate(raw, name)
    assert new["schema_version"] == CURRENT and not {"discovery_share", "name_zh"} & keys_anywhere(new)
    assert len(notes) == 1 + len(CHANGED_DEFAULTS_V2) + 1  # the rename, the defaults, the labels: no street differs
    assert notes[-1].startswith("name_zh (") and "now label.zh" in notes[-1]
    p = raw["merged"]["patrol"]
    assert chance(new["merged"]["patrol"]["effectiveness"], p["staff_hours_per_day"]) == pytest.approx(
        p["discovery_share"], abs=1e-6
    )
    assert migrate(new, name) == (new, [])  # once is enough


# ---------------------------------------------------------------- override maps


def test_dotted_and_nested_variant_sets():
    raw = v1(discovery_share=0.25, staff_hours_per_day=4)
    raw["variants"] = {
        "dotted": {"policy": "merged", "set": {"merged.patrol.discovery_share": 0.5, "seed": 3}},
        "own_hours": {
            "policy": "merged",
            "set": {"merged.patrol.discovery_share": 0.5, "merged.patrol.staff_hours_per_day": 1},
        },
        "half": {"policy": "merged", "set": {"merged.patrol": {"discovery_share": 0.5, "staff_hours_per_day": 8}}},
        "nested": {"policy": "merged", "set": {"merged": {"patrol": {"discovery_share": 0.5}}}},
        "untouched": {"policy": "merged", "set": {"merged.stationed_share": 0.3}},
    }
    new, notes = migrate(raw, "x.yaml")
    v = new["variants"]
    # the base file's hours (4) where the variant does not set them
    assert v["dotted"]["set"] == {"merged.patrol.effectiveness": pytest.approx(-math.log(0.5) / 4, rel=1e-5), "seed": 3}
    assert v["own_hours"]["set"]["merged.patrol.effectiveness"] == pytest.approx(math.log(2), rel=1e-5)
    assert v["half"]["set"] == {
        "merged.patrol": {"effectiveness": pytest.approx(math.log(2) / 8, rel=1e-5), "staff_hours_per_day": 8}
    }
    # a map value replaces the whole of merged (as --set does), so the default hours apply
    assert v["nested"]["set"] == {"merged": {"patrol": {"effectiveness": pytest.approx(math.log(2) / 2, rel=1e-5)}}}
    assert v["untouched"] == raw["variants"]["untouched"]
    assert "discovery_share" not in keys_anywhere(new)
    assert any(
        n.startswith(
            "variants.dotted.set.merged.patrol.discovery_share: renamed merged.patrol."
            "effectiveness (0.5 at 4 h a day -> k = 0.173)"
        )
        for n in notes
    )
    assert any(n.startswith("variants.nested.set.merged.patrol.discovery_share: renamed") for n in notes)


def test_dotted_and_nested_city_street_kinds():
    raw = v1(discovery_share=0.2, staff_hours_per_day=4)
    raw["city"] = {
        "streets": {
            "urban": {"count": 3},
            "dotted": {"count": 2, "set": {"merged.patrol.discovery_share": 0.4}},
            "nested": {
                "count": 1,
                "set": {"merged.patrol": {"discovery_share": 0.4, "staff_hours_per_day": 2, "enabled": True}},
            },
            "mixed": {"count": 1, "set": {"merged": {"patrol.discovery_share": 1}}},
        }
    }
    new, notes = migrate(raw, "x.yaml")
    s = new["city"]["streets"]
    assert s["urban"] == {"count": 3}
    assert s["dotted"]["set"] == {"merged.patrol.effectiveness": pytest.approx(-math.log(0.6) / 4, rel=1e-5)}
    assert list(s["nested"]["set"]["merged.patrol"]) == ["effectiveness", "staff_hours_per_day", "enabled"]
    assert s["nested"]["set"]["merged.patrol"]["effectiveness"] == pytest.approx(-math.log(0.6) / 2, rel=1e-5)
    assert chance(s["mixed"]["set"]["merged"]["patrol.effectiveness"], 2) == pytest.approx(0.999, abs=1e-6)
    assert "discovery_share" not in keys_anywhere(new)
    assert sum(n.startswith("city.streets.") for n in notes) == 3


def test_an_override_of_the_hours_alone_is_reported_not_changed():
    """In version 1 the share found did not depend on the hours: now it does."""
    raw = v1(discovery_share=0.25, staff_hours_per_day=4)
    raw["variants"] = {"more": {"policy": "merged", "set": {"merged.patrol.staff_hours_per_day": 8}}}
    new, notes = migrate(raw, "x.yaml")
    assert new["variants"] == raw["variants"]
    (note,) = [n for n in notes if n.startswith("variants.more.set.merged.patrol:")]
    keep = -math.log(0.75) / 8
    assert "found 0.25" in note and "at 8 h a day" in note and f"effectiveness: {keep:.6g}" in note


def test_both_names_in_one_map_is_an_error():
    with pytest.raises(ScenarioError) as exc:
        migrate(v1(discovery_share=0.25, effectiveness=0.1), "x.yaml")
    assert exc.value.source == "x.yaml"
    assert exc.value.errors[0].startswith("merged.patrol.discovery_share: also sets merged.patrol.effectiveness")


@pytest.mark.parametrize(
    "patrol, path",
    [
        ({"discovery_share": 1.5}, "merged.patrol.discovery_share"),
        ({"discovery_share": "a lot"}, "merged.patrol.discovery_share"),
        ({"discovery_share": 0.2, "staff_hours_per_day": -1}, "merged.patrol.staff_hours_per_day"),
    ],
)
def test_values_that_cannot_be_converted_are_errors(patrol, path):
    with pytest.raises(ScenarioError) as exc:
        migrate(v1(**patrol), "x.yaml")
    assert exc.value.errors[0].startswith(f"{path}: expected")


# ---------------------------------------------------------------- the notes


def test_the_notes_list_the_changed_defaults():
    raw = v1(discovery_share=0.25, staff_hours_per_day=4)
    raw["categories"]["double"]["p_hard"] = 0.1
    _, notes = migrate(raw, "x.yaml")
    heads = [text.split(":")[0] for text in CHANGED_DEFAULTS_V2]
    assert [n.split(":")[0] for n in notes[-len(heads) :]] == heads
    assert heads == ["merged.stationed_calendar", "categories.*.p_hard", "satisfaction", "siloed.feedback"]
    assert "set merged.stationed_calendar: always" in notes[-4]  # the file's merged.calendar
    assert "p_hard > 0: double" in notes[-3]
    assert all(": " in n for n in notes)  # field.path: message


def test_a_file_stating_version_1_is_migrated_even_without_old_fields():
    raw = {"schema_version": 1, **copy.deepcopy(TINY)}
    del raw["merged"]["patrol"]["effectiveness"]  # a v1 patrol block that leaves the share to its default
    new, notes = migrate(raw, "x.yaml")
    assert new["schema_version"] == CURRENT and next(iter(new)) == "schema_version"
    assert notes[0].startswith("merged.patrol.discovery_share: not set: version 1 used its default 0.2")
    assert len(notes) == 1 + len(CHANGED_DEFAULTS_V2)


# ---------------------------------------------------------------- left alone, refused


def test_a_current_file_is_untouched():
    raw = {"schema_version": CURRENT, **copy.deepcopy(TINY)}
    raw["merged"]["patrol"] = {"enabled": True, "effectiveness": 0.1, "staff_hours_per_day": 2}
    before = copy.deepcopy(raw)
    new, notes = migrate(raw, "x.yaml")
    assert (new, notes) == (before, []) and new is not raw and raw == before


def test_a_file_without_version_or_old_fields_is_untouched():
    raw = copy.deepcopy(TINY)
    raw["merged"]["patrol"] = {"enabled": True, "effectiveness": 0.1}
    assert schema_version(raw, "x.yaml") == CURRENT
    assert migrate(raw, "x.yaml") == (raw, [])
    assert "schema_version" not in migrate(raw, "x.yaml")[0]


def test_an_old_field_only_in_an_override_makes_it_version_1():
    raw = copy.deepcopy(TINY)
    del raw["merged"]["patrol"]["effectiveness"]  # a v1 patrol block that leaves the share to its default
    raw["variants"] = {"v": {"policy": "merged", "set": {"merged": {"patrol": {"discovery_share": 0.5}}}}}
    assert schema_version(raw, "x.yaml") == 1
    assert migrate(raw, "x.yaml")[0]["schema_version"] == CURRENT


def test_a_newer_version_is_refused():
    with pytest.raises(ScenarioError) as exc:
        migrate({"schema_version": CURRENT + 1, "name": "x"}, "new.yaml")
    (line,) = exc.value.errors
    assert exc.value.source == "new.yaml"
    assert line.startswith(f"schema_version: the file is schema version {CURRENT + 1}, written for a newer gridsim")
    assert f"reads schema versions 1 to {CURRENT}" in line


@pytest.mark.parametrize("value", ["2", 2.0, True, None, 0, -1, [2]])
def test_a_version_that_is_not_a_whole_number_from_1_is_refused(value):
    with pytest.raises(ScenarioError) as exc:
        migrate({"schema_version": value, "name": "x"}, "x.yaml")
    assert exc.value.errors[0].startswith(f"schema_version: expected a whole number from 1 to {CURRENT}")


def test_old_field_hint():
    hint = old_field_hint("merged.patrol.discovery_share")
    assert hint.startswith(
        "merged.patrol.discovery_share: renamed merged.patrol.effectiveness in schema "
        "version 2; run `gridsim migrate FILE`"
    )
    assert "1 - exp(-k * staff_hours_per_day)" in hint
    assert "`gridsim migrate a.yaml`" in old_field_hint("merged.patrol.discovery_share", "a.yaml")
    assert old_field_hint("variants.v.set.merged.patrol.discovery_share").startswith("variants.v.set.merged")
    assert old_field_hint("merged.patrol.effectiveness") is None
    assert old_field_hint("merged.patrol.discovery") is None
    assert set(RENAMED) == {"merged.patrol.discovery_share"}


# ---------------------------------------------------------------- gridsim migrate


def _write(tmp_path, raw, name="old.yaml", comment="# my comment\n"):
    path = tmp_path / name
    path.write_text(comment + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_cli_to_stdout(tmp_path, capsys):
    path = _write(tmp_path, v1(discovery_share=0.25, staff_hours_per_day=4))
    before = path.read_bytes()
    assert main(["migrate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "# Comments of the original file are not kept" in out.splitlines()[1]
    assert yaml.safe_load(out) == migrate(yaml.safe_load(before), str(path))[0]
    assert f"{path}: schema version 1 -> {CURRENT}" in err and "merged.patrol.discovery_share: renamed" in err
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["old.yaml"]


def test_cli_out(tmp_path, capsys):
    path = _write(tmp_path, v1(discovery_share=0.25, staff_hours_per_day=4))
    out = tmp_path / "sub" / "new.yaml"
    assert main(["migrate", str(path), "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["merged"]["patrol"]["effectiveness"] == pytest.approx(
        0.0719205
    )
    assert main(["migrate", str(path), "--out", str(path)]) == 2  # that is --in-place's job
    assert "use --in-place" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_in_place_keeps_the_original_as_bak(gridsim_cli, tmp_path):
    path = _write(tmp_path, v1(discovery_share=0.25, staff_hours_per_day=4))
    original = path.read_bytes()
    res = gridsim_cli("migrate", str(path), "--in-place")
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    assert (tmp_path / "old.yaml.bak").read_bytes() == original
    text = path.read_text(encoding="utf-8")
    assert "Comments of the original file are not kept (the original is old.yaml.bak)" in text
    assert yaml.safe_load(text)["schema_version"] == CURRENT
    assert "merged.stationed_calendar:" in res.stderr and "siloed.feedback:" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.yaml", "old.yaml.bak"]  # no temp files left


def test_cli_in_place_does_not_overwrite_a_different_bak(tmp_path, capsys):
    path = _write(tmp_path, v1(discovery_share=0.25))
    (tmp_path / "old.yaml.bak").write_text("an earlier original\n", encoding="utf-8")
    before = path.read_bytes()
    assert main(["migrate", str(path), "--in-place"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert (tmp_path / "old.yaml.bak").read_text(encoding="utf-8") == "an earlier original\n"


@pytest.mark.slow
def test_cli_refuses_a_newer_version_and_writes_nothing(gridsim_cli, tmp_path):
    path = _write(tmp_path, {"schema_version": CURRENT + 1, **copy.deepcopy(TINY)})
    before = path.read_bytes()
    for extra in ([], ["--in-place"], ["--out", str(tmp_path / "new.yaml")]):
        res = gridsim_cli("migrate", str(path), *extra)
        assert res.returncode == 2, res.stderr
        assert res.stdout == "" and "Traceback" not in res.stderr
        newer = f"schema_version: the file is schema version {CURRENT + 1}, written for a newer gridsim"
        assert f"{path}: {newer}" in res.stderr
        assert f"reads schema versions 1 to {CURRENT}" in res.stderr
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["old.yaml"]


@pytest.mark.parametrize("content, message", [("a: [1\n", "not valid YAML"), ("", "file is empty")])
def test_cli_bad_input_writes_nothing(tmp_path, capsys, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    assert main(["migrate", str(path), "--in-place"]) == 2
    assert message in capsys.readouterr().err
    assert main(["migrate", str(tmp_path / "missing.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_cli_a_current_file_says_so(tmp_path, capsys):
    raw = {"schema_version": CURRENT, **copy.deepcopy(TINY)}
    path = _write(tmp_path, raw)
    before = path.read_bytes()
    assert main(["migrate", str(path), "--in-place"]) == 0
    assert f"already schema version {CURRENT}" in capsys.readouterr().err
    assert path.read_bytes() == before and not (tmp_path / "old.yaml.bak").exists()
    assert main(["migrate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == before.decode("utf-8") and "nothing to migrate" in err  # as it is, comments and all


@pytest.mark.slow
@pytest.mark.parametrize("name", ["default.yaml", "tianping.yaml"])
def test_a_version_1_file_loads_with_notes_and_runs(name):
    from sim.simulation import run
    from sim.scenario import ScenarioNote, load_scenario

    with pytest.warns(ScenarioNote, match="renamed merged.patrol.effectiveness"):
        sc = load_scenario(V1 / name, overrides=["horizon_days=3", "warmup_days=0"])
    assert sc.schema_version == CURRENT and sc.merged.patrol.chance() == pytest.approx(
        yaml.safe_load((V1 / name).read_text(encoding="utf-8"))["merged"]["patrol"]["discovery_share"]
    )
    assert len(run(sc).appeals) > 0


def test_an_old_field_set_on_a_current_scenario_names_what_it_became():
    from sim.scenario import ScenarioError, build_scenario, load_scenario

    raw = load_scenario().to_dict()
    raw["merged"]["patrol"]["discovery_share"] = 0.2
    with pytest.raises(ScenarioError) as exc:
        build_scenario(raw, "mine.yaml")
    assert any("renamed merged.patrol.effectiveness" in e for e in exc.value.errors)
    assert not any("unknown field" in e for e in exc.value.errors)


# ---------------------------------------------------------------- version 3: labels


def test_name_zh_becomes_a_label_wherever_it_stands():
    raw = copy.deepcopy(TINY)
    dept = next(iter(raw["departments"]))
    raw["departments"][dept]["name_zh"] = "派出所"
    raw["departments"][dept]["label"] = {"en": "police station"}  # an English label given beside it is kept
    raw["variants"] = {"v": {"policy": "merged", "set": {f"departments.{dept}.name_zh": "所"}}}
    assert schema_version(raw, "x.yaml") == 2  # no version stated: name_zh makes it version 2
    new, notes = migrate(raw, "x.yaml")
    assert new["departments"][dept]["label"] == {"zh": "派出所", "en": "police station"}
    assert "name_zh" not in keys_anywhere(new)
    assert new["variants"]["v"]["set"] == {f"departments.{dept}.label.zh": "所"}
    (note,) = notes
    assert note.startswith(f"name_zh (departments.{dept}.name_zh, variants.v.set.departments.{dept}.name_zh)")
    from sim.scenario import build_scenario

    sc = build_scenario(new, "x.yaml")
    assert sc.departments[dept].label.text("zh", dept) == "派出所"
    assert sc.departments[dept].label.both(dept) == "police station (派出所)"


def test_a_name_zh_override_points_to_the_label():
    hint = old_field_hint("departments.police.name_zh", "a.yaml")
    assert hint.startswith("departments.police.name_zh: now departments.police.label.zh in schema version 3")
    assert "`gridsim migrate a.yaml`" in hint


def test_labels_fall_back_to_the_other_language_then_the_code_name():
    from sim.scenario import Label

    assert Label().text("en", "city_ops") == "city ops" == Label().text("zh", "city_ops")
    assert Label(en="city operations grid").text("zh", "city_ops") == "city operations grid"
    assert Label(zh="城运网格").both("city_ops") == "city ops (城运网格)"
