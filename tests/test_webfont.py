"""The pages embed the CJK glyphs they use, so that Chinese shows on a machine without a CJK font."""

from __future__ import annotations

import base64
import io
import re

import pytest
from fontTools.ttLib import TTFont

from sim import webfont


def _font(rule: str) -> TTFont:
    data = re.search(r"base64,([A-Za-z0-9+/=]+)\)", rule).group(1)
    return TTFont(io.BytesIO(base64.b64decode(data)))


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_the_rule_carries_the_page_s_cjk_glyphs_and_no_others():
    rule = webfont.font_face("网格长 grid leader: 响应率 − ± ÷，满意。")
    have = {chr(c) for c in _font(rule).getBestCmap()}
    assert set("网格长响应率满意，。") <= have
    assert not have & set("grid leader:−±÷")  # ASCII and the system's symbols stay in the system's font
    assert webfont.font_face("no Chinese here − ± ÷") == ""


def test_a_subset_is_cut_once_and_read_back(tmp_path):
    first = webfont.font_face("城运网格")
    cached = list((tmp_path / "cache" / "gridsim" / "fonts").glob("*.woff"))
    assert len(cached) == 1 and base64.b64encode(cached[0].read_bytes()).decode() in first
    cached[0].write_bytes(b"marker")  # what the cache holds is what the next page gets
    assert base64.b64encode(b"marker").decode() in webfont.font_face("格网运城")  # same characters, any order


def test_a_cache_that_cannot_be_written_costs_only_time(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert "@font-face" in webfont.font_face("综治网格")


def test_the_report_page_embeds_its_glyphs(tmp_path):
    from sim import load_scenario, run
    from sim.document import render
    from sim.report import comparison_table, run_document

    res = run(load_scenario(overrides=["horizon_days=3", "warmup_days=0"]))
    page = render(run_document(res, comparison_table(res.summary), "gridsim run"), "html")
    head = page[: page.index("</style>")]
    assert "@font-face" in head and webfont.FONT_STACK in head
    have = {chr(c) for c in _font(head).getBestCmap()}
    used = {c for c in page if ord(c) >= webfont.CJK_START}
    assert used and used <= have


def test_the_demo_page_carries_the_glyphs_of_the_chinese_finding_it_is_sent_later():
    from sim import load_scenario, run
    from sim.demo import server
    from sim.finding import of_run
    from sim.i18n import using

    srv = server.make_server(0, lang="zh")
    try:
        page = server.page()
    finally:
        srv.server_close()
    have = {chr(c) for c in _font(page[: page.index("</style>")]).getBestCmap()}
    with using("zh"):
        finding = " ".join(of_run(run(load_scenario(overrides=["horizon_days=20"]))))
    missing = {c for c in finding if ord(c) >= webfont.CJK_START} - have
    assert not missing, "".join(sorted(missing))
