"""The teaching trace: a hand-built appeal's steps in the right order at the right times."""

import numpy as np
from conftest import make_scenario

from sim.trace import clock, narrate, trace

# tiny scenario: arrivals 2/day; report delay 1 h; travel 0.5 h to a station, 1 h to a department;
# intake 0.25 h; department work alpha 2 h, beta 3 h; triage 0.5 h; closing 0.25 h; always open.


def _steps(rec):
    return [(round(t - rec.created, 6), text) for t, text in rec.events]


def test_siloed_two_department_appeal_steps_and_times():
    sc = make_scenario("groups.residents.category_mix={double: 1.0}", "groups.residents.arrivals_per_day=0.2")
    rec = trace(sc, appeals=[0], models=["siloed"])[0]["siloed"]
    steps = _steps(rec)
    texts = [s for _, s in steps]
    order = [
        "double problem",
        "decides to file",
        "sets off for the ops line-grid station",
        "is seen in person at the ops",
        "first response",
        "alpha department takes it up",
        "alpha department has done",
        "must take the next part to the beta department",
        "sets off for the beta department",
        "is seen in person at the beta department",
        "closed: resolved",
    ]
    pos = [next(k for k, s in enumerate(texts) if key in s) for key in order]
    assert pos == sorted(pos), texts
    at = {key: steps[p][0] for key, p in zip(order, pos)}
    assert at["decides to file"] == 1.0  # report delay
    assert at["is seen in person at the ops"] == 1.5  # + travel 0.5
    assert at["first response"] == 1.75  # + intake 0.25
    assert at["alpha department has done"] == 3.75  # + alpha 2
    assert at["is seen in person at the beta department"] == 4.75  # + travel 1
    assert at["closed: resolved"] == 7.75  # + beta 3
    assert rec.resolved - rec.created == 7.75 and rec.trips == 2


def test_merged_parallel_dispatch_steps_and_times():
    sc = make_scenario("groups.residents.category_mix={double: 1.0}", "groups.residents.arrivals_per_day=0.2")
    rec = trace(sc, appeals=[0], models=["merged"])[0]["merged"]
    steps = _steps(rec)
    at = lambda key: next(t for t, s in steps if key in s)  # noqa: E731
    assert at("first response") == 1.75  # 1 + 0.5 + 0.25
    assert at("grid leader (网格长) in only has done") == 2.25  # triage 0.5
    assert at("dispatched to 2 departments at once") == 2.25
    assert at("alpha department has done") == 4.25  # in parallel:
    assert at("beta department has done") == 5.25  # max(2, 3), not 2 + 3
    assert at("closed: resolved") == 5.5  # + closing 0.25
    assert rec.trips == 1


def test_both_models_trace_the_same_issue_and_narrate_side_by_side():
    sc = make_scenario()
    logs = trace(sc, group="residents", first=2)
    assert len(logs) == 2
    for i, by_model in logs.items():
        first = {m: r.events[0] for m, r in by_model.items()}
        assert first["siloed"] == first["merged"]  # same issue, same person, same moment
    text = narrate(logs, width=100)
    assert "SILOED" in text and "MERGED" in text and "OUTCOME" in text


def test_clock():
    assert clock(0) == "Mon d1 00:00"
    assert clock(24 * 6 + 13.25) == "Sun d7 13:15"
    assert clock(24 * 7) == "Mon d8 00:00"


def test_trace_cli_bad_group(gridsim_cli):
    p = gridsim_cli("trace", "--group", "aliens")
    assert p.returncode == 2 and "unknown group 'aliens'" in p.stderr and "Traceback" not in p.stderr


def test_chinese_labels_render_without_missing_glyphs(recwarn):
    """Plots carry Chinese and English labels; the shipped font covers the Chinese (no tofu boxes), in the
    texts a figure function makes and in the tick labels made later, when the figure is drawn."""
    import warnings

    from sim.style import styled, subplots

    @styled
    def figure():
        fig, ax = subplots()
        ax.set_title("满意率 satisfaction rate · 多格合一 网格长 小个专 新就业群体")
        ax.bar(["网格长", "下沉力量"], [1, 2])  # category tick labels: made at draw time
        return fig

    fig = figure()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        fig.canvas.draw()


def test_animation_of_one_day(tmp_path):
    from PIL import Image

    from sim.animate import animate, sample_day

    sc = make_scenario("horizon_days=3", "warmup_days=0")
    data = sample_day(sc, day=2, step_minutes=120)
    assert len(data["times"]) == 12 and data["times"][0] == 24.0
    for m, f in data["models"].items():
        assert len(f["queue"]) == 12 and all(min(q) >= 0 for q in f["queue"])
        assert list(f["arrived"]) == sorted(f["arrived"])  # a running count
    path = animate(sc, str(tmp_path / "day.gif"), day=2, step_minutes=120)
    with Image.open(path) as im:
        assert im.n_frames == 12


def test_the_animation_names_offices_and_shows_work_paused_at_night(tmp_path):
    from PIL import Image

    from sim import load_scenario
    from sim.animate import PAUSED, animate, sample_day

    sc = load_scenario(overrides=["horizon_days=3", "warmup_days=0"])
    data = sample_day(sc, day=2, step_minutes=60)
    f = data["models"]["siloed"]
    assert any("(派出所)" in x for x in f["labels"])  # display names, not office keys
    night = [(k, j) for k in range(24) for j, b in enumerate(f["busy"][k]) if b and not f["open"][k][j]]
    assert night  # offices closed for the night with work under way
    path = animate(sc, str(tmp_path / "day.gif"), day=2, step_minutes=60)
    paused = tuple(int(PAUSED[i : i + 2], 16) for i in (1, 3, 5))
    day = next(k for k in range(24) if not any(b and not o for b, o in zip(f["busy"][k], f["open"][k])))

    def greys(k: int) -> int:  # pixels of the paused grey in frame k (the legend's swatch has some in every frame)
        with Image.open(path) as im:
            im.seek(k)
            return sum(n for n, c in im.convert("RGB").getcolors(1 << 16) if sum(map(abs, np.subtract(c, paused))) <= 6)

    assert greys(night[0][0]) > greys(day) + 100  # paused work is drawn as paused, and only then


def test_columns_line_up_by_display_width_with_chinese_labels():
    from sim import load_scenario
    from sim.document import display_width

    sc = load_scenario(overrides=["horizon_days=3", "warmup_days=0"])  # labels with Chinese in every step
    text = narrate(trace(sc, first=3), width=100)
    rows = [line for line in text.splitlines() if " | " in line]
    assert any(any(ord(c) >= 0x4E00 for c in r) for r in rows)
    bars = {display_width(r[: r.index(" | ")]) for r in rows}
    assert len(bars) == 1  # the bar between the models stands in one column on every line
    assert max(display_width(r) for r in rows) <= 100
