"""The languages: every marked message has its Chinese, the compiled catalogue is the edited one, and
``--lang`` (or a scenario's ``lang``) makes the terminal and the report speak it."""

from __future__ import annotations

import gettext
import re
import string

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from conftest import REPO

from sim.cli import main
from sim.i18n import LOCALE, _, catalogue, using

PO = LOCALE / "zh" / "LC_MESSAGES" / "gridsim.po"
MO = PO.with_suffix(".mo")


def _marked() -> set[str]:
    """The messages the code marks, found as ``scripts/catalogue.sh`` finds them."""
    found = extract_from_dir(
        str(REPO), method_map=[("sim/**.py", "python")], keywords={"_": None, "N_": None}, comment_tags=()
    )
    return {msg for _file, _line, msg, _comments, _context in found}


def _po() -> dict[str, str]:
    with PO.open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_marked_message_has_its_chinese():
    po = _po()
    missing = sorted(m for m in _marked() if not po.get(m))
    assert not missing, f"untranslated (run scripts/catalogue.sh and fill in {PO.name}): {missing}"


def test_translations_keep_the_placeholders():
    wrong = {m: t for m, t in _po().items() if _fields(m) != _fields(t)}
    assert not wrong


def test_the_compiled_catalogue_is_the_edited_one():
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = {m: t for m, t in _po().items() if compiled.gettext(m) != t}
    assert not stale, "sim/locale/zh/LC_MESSAGES/gridsim.mo is stale: run scripts/catalogue.sh"


def test_an_unknown_language_is_refused_before_any_work():
    with pytest.raises(ValueError, match="expected one of en, zh"):
        catalogue("fr")
    with pytest.raises(ValueError, match="expected one of en, zh"), using("fr"):
        pass


def test_the_command_line_refuses_an_unknown_language(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", "--lang", "fr"])
    assert exc.value.code == 2 and "invalid choice: 'fr'" in capsys.readouterr().err


def test_english_outside_and_after_a_chinese_block():
    with using("zh"):
        assert _("Result") == "结果"
    assert _("Result") == "Result"


@pytest.mark.parametrize("how", ["flag", "scenario"])
def test_run_speaks_chinese(tmp_path, capsys, how):
    out = tmp_path / "r"
    args = ["run", "--days", "5", "--set", "warmup_days=0", "--out", str(out), "--no-plots"]
    args += ["--lang", "zh"] if how == "flag" else ["--set", "lang=zh"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "多格合一综合网格对比条线网格" in printed and "办结时长中位数（小时）" in printed
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## 结果" in report and "## 比较" in report
    assert _("Result") == "Result"  # the command spoke Chinese for itself only


def test_run_speaks_english_by_default(tmp_path, capsys):
    assert main(["run", "--days", "5", "--set", "warmup_days=0", "--out", str(tmp_path / "r"), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "merged vs siloed, one replication" in printed
    assert not re.search(r"[\u4e00-\u9fff]{4}", printed.split("\n\n")[1])  # no Chinese sentence in the finding
