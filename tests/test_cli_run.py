"""The default scenario end to end through the command line: exit 0, the comparison table, and
every output file with the fields the spec asks for.  Also ``--model``, ``--version`` and the
embedded default scenario."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.issues import generate_issues
from sim.metrics import HEADLINE
from sim.scenario import DEFAULT_SCENARIO_PATH, build_scenario

REPO = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PLOTS = ("times.png", "rates.png", "trips.png", "backlog.png")
APPEAL_FIELDS = (
    "model",
    "replication",
    "group",
    "category",
    "area",
    "created",
    "filed",
    "first_response",
    "resolved",
    "abandoned",
    "trips",
    "referrals",
    "bounces",
    "departments",
    "reopened",
    "citizen_hours",
)
SUMMARY_COLUMNS = ["model", "metric", "dimension", "level", "value", "n"]


def _cli(*args: str, exe=None):
    cmd = [exe] if exe else [sys.executable, "-m", "sim"]
    return subprocess.run([*cmd, *args], check=False, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """The command-line calls of this module, run concurrently: the full default run (with plots),
    a merged-only run, and ``--version`` both ways."""
    root = tmp_path_factory.mktemp("cli")
    calls = {
        "default": lambda: _cli("run", "--out", str(root / "default")),
        "merged": lambda: _cli(
            "run",
            "--model",
            "merged",
            "--days",
            "5",
            "--set",
            "warmup_days=0",
            "--no-plots",
            "--out",
            str(root / "merged"),
        ),
        "version": lambda: _cli("--version"),
        "script": lambda: _cli("--version", exe=str(Path(sys.executable).with_name("gridsim"))),
    }
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = {k: pool.submit(f) for k, f in calls.items()}
        procs = {k: f.result() for k, f in futures.items()}
    return root, procs


@pytest.fixture(scope="module")
def default_run(cli):
    root, procs = cli
    p = procs["default"]
    assert p.returncode == 0, p.stderr
    return root / "default", p


@pytest.mark.slow
def test_exit_0_and_comparison_table(default_run):
    out, p = default_run
    assert "Traceback" not in p.stderr
    text = p.stdout
    assert "merged/siloed" in text
    header = next(line for line in text.splitlines() if "merged/siloed" in line)
    assert "siloed" in header.replace("merged/siloed", "") and "merged" in header.replace("merged/siloed", "")
    for label in ("响应率", "解决率", "满意率", "trips per appeal", "resolution time P50"):
        assert label in text, label
    assert str(out) in text  # where the results went


@pytest.mark.slow
def test_every_output_file_is_written(default_run):
    out, _ = default_run
    expected = {
        "appeals.csv",
        "summary.csv",
        "utilisation.csv",
        "backlog.csv",
        "scenario.yaml",
        "provenance.json",
        "report.md",
        "report.html",
        *PLOTS,
    }
    present = {p.name for p in out.iterdir()}
    assert expected <= present, expected - present
    for name in expected:
        assert (out / name).stat().st_size > 0, name
    assert not [p for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]


@pytest.mark.slow
def test_appeals_csv_has_every_per_appeal_field(default_run):
    out, _ = default_run
    a = pd.read_csv(out / "appeals.csv")
    missing = [f for f in APPEAL_FIELDS if f not in a.columns]
    assert not missing, missing
    assert set(a["model"]) == {"siloed", "merged"}
    assert (a["replication"] == 0).all()
    sc = sim.load_scenario()
    n = len(generate_issues(sc))
    assert a.groupby("model").size().to_dict() == {"siloed": n, "merged": n}
    assert set(a["group"]) == set(sc.groups) and set(a["area"]) == set(sc.areas)
    assert set(a["category"]) <= set(sc.categories)
    # departments involved: the category's departments, ';'-separated
    cat_depts = {k: ";".join(c.departments) for k, c in sc.categories.items()}
    assert (a["departments"] == a["category"].map(cat_depts)).all()
    assert a["state"].isin(["resolved", "abandoned", "open"]).all()
    for col in ("trips", "referrals", "bounces", "reopened"):
        assert pd.api.types.is_integer_dtype(a[col]) and (a[col] >= 0).all(), col
    assert (a["citizen_hours"] >= 0).all()
    # the printed issue count is the per-model row count
    _, p = default_run
    assert f"{n} issues per model" in p.stdout


@pytest.mark.slow
def test_summary_csv_is_long_form(default_run):
    out, _ = default_run
    s = pd.read_csv(out / "summary.csv")
    assert list(s.columns) == SUMMARY_COLUMNS
    assert {"all", "group", "category", "area"} <= set(s["dimension"])
    sc = sim.load_scenario()
    for model in ("siloed", "merged"):
        m = s[s["model"] == model]
        assert set(m.loc[m["dimension"] == "group", "level"]) == set(sc.groups)
        assert set(m.loc[m["dimension"] == "area", "level"]) == set(sc.areas)
        assert set(m.loc[m["dimension"] == "category", "level"]) <= set(sc.categories)
        overall = m[m["dimension"] == "all"]
        assert (overall["level"] == "all").all()
        assert set(HEADLINE) <= set(overall["metric"]), set(HEADLINE) - set(overall["metric"])
        assert overall["metric"].is_unique
        for rate in ("response_rate", "resolution_rate", "satisfaction_rate", "abandonment_rate"):
            v = overall.loc[overall["metric"] == rate, "value"].item()
            assert 0.0 <= v <= 1.0, (model, rate, v)
    a = pd.read_csv(out / "appeals.csv")
    issues = s[(s["metric"] == "issues") & (s["dimension"] == "all")].set_index("model")["value"]
    measured = a[a["created"] >= sc.warmup_days * 24.0]  # metrics leave the warm-up's issues out
    assert issues.to_dict() == {k: float(v) for k, v in measured.groupby("model").size().items()}


@pytest.mark.slow
def test_scenario_yaml_and_provenance(default_run):
    out, _ = default_run
    written = sim.load_scenario(out / "scenario.yaml")
    default = sim.load_scenario()
    assert written.to_dict() == default.to_dict()
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["version"] == sim.__version__
    assert prov["scenario_sha256_16"] == default.digest() == written.digest()
    assert prov["seed"] == default.seed
    assert prov["command"].startswith("gridsim run") and "--out" in prov["command"]
    started = datetime.fromisoformat(prov["started_utc"])
    assert started.tzinfo is not None
    assert prov["wall_seconds"] > 0
    assert prov["models"] == ["siloed", "merged"]


@pytest.mark.slow
def test_report_md(default_run):
    out, _ = default_run
    text = (out / "report.md").read_text(encoding="utf-8")
    assert text.startswith("#")
    assert "siloed" in text and "merged" in text
    assert "20241201" in text  # the seed is in the report


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow
@pytest.mark.parametrize("name", PLOTS)
def test_plots_are_png(default_run, name):
    out, _ = default_run
    data = (out / name).read_bytes()
    width, height = _png_size(data)
    assert width > 200 and height > 100
    assert len(data) > 5_000  # a real figure, not an empty canvas
    assert data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82")  # complete file


@pytest.mark.slow
def test_model_merged_runs_only_merged(cli):
    root, procs = cli
    p = procs["merged"]
    assert p.returncode == 0, p.stderr
    out = root / "merged"
    a = pd.read_csv(out / "appeals.csv")
    assert len(a) > 0 and set(a["model"]) == {"merged"}
    assert set(pd.read_csv(out / "summary.csv")["model"]) == {"merged"}
    assert json.loads((out / "provenance.json").read_text())["models"] == ["merged"]
    assert not (out / "times.png").exists()  # --no-plots


@pytest.mark.slow
def test_version(cli):
    _, procs = cli
    for key in ("version", "script"):
        p = procs[key]
        assert p.returncode == 0, (key, p.stderr)
        assert p.stdout.strip() == f"gridsim {sim.__version__}", (key, p.stdout)


def test_embedded_default_is_the_shipped_file():
    embedded = DEFAULT_SCENARIO_PATH.read_bytes()
    assert embedded == (REPO / "scenarios" / "default.yaml").read_bytes()
    assert DEFAULT_SCENARIO_PATH.parent.name == "data" and DEFAULT_SCENARIO_PATH.parent.parent.name == "sim"
    assert sim.load_scenario().name == "default"


@pytest.mark.slow
def test_a_run_where_no_issue_arises_writes_a_results_folder(tmp_path):
    """A quiet street (no issue drawn) is a result, not a crash: exit 0, zero issues reported, every
    table written with its columns, no appeals, no backlog, idle offices, and both models in the provenance."""
    import yaml
    from conftest import make_raw

    raw = make_raw("horizon_days=2", "warmup_days=0", "groups.residents.arrivals_per_day=0.01")
    assert len(generate_issues(build_scenario(raw))) == 0  # the precondition: this seed draws no issue
    path = tmp_path / "quiet.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    out = tmp_path / "out"
    p = _cli("run", str(path), "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert "0 issues per model" in p.stdout
    assert "Warning" not in p.stderr, p.stderr  # empty panels say so, rather than matplotlib complaining
    a = pd.read_csv(out / "appeals.csv")
    assert a.empty and set(APPEAL_FIELDS) <= set(a.columns)
    b = pd.read_csv(out / "backlog.csv")
    assert list(b.columns) == ["model", "time_h", "backlog"] and (b["backlog"] == 0).all()
    u = pd.read_csv(out / "utilisation.csv")
    assert set(u["model"]) == {"siloed", "merged"} and (u["jobs"] == 0).all()
    assert json.loads((out / "provenance.json").read_text())["models"] == ["siloed", "merged"]
    assert "No appeal was filed under merged or siloed" in (out / "report.md").read_text(encoding="utf-8")
    for name in ("report.md", "report.html", *PLOTS):
        assert (out / name).stat().st_size > 0, name


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, flag",
    [
        (["trace", "--width", "0"], "--width"),
        (["trace", "--first", "-1"], "--first"),
        (["warmup", "--reps", "0"], "--reps"),
        (["warmup", "--window", "-3"], "--window"),
        (["compare", "--max-reps", "0"], "--max-reps"),
        (["compare", "--precision", "nan"], "--precision"),
        (["compare", "--precision", "-1"], "--precision"),
        (["run", "--workers", "0"], "--workers"),
        (["run", "--model", "siloed", "--model", "siloed"], "--model"),
        (["animate", "--day", "0"], "--day"),
    ],
)
def test_bad_flags_are_refused_before_anything_runs(gridsim_cli, tmp_path, args, flag):
    p = gridsim_cli(*args, "--out", str(tmp_path / "out")) if args[0] != "animate" else gridsim_cli(*args)
    assert p.returncode == 2 and flag in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_out_at_an_existing_file_is_refused_before_simulating(gridsim_cli, tmp_path):
    target = tmp_path / "a_file"
    target.write_text("mine")
    p = gridsim_cli("run", "--out", str(target), "--no-plots")
    assert p.returncode == 2 and "--out" in p.stderr and "not a folder" in p.stderr
    assert target.read_text() == "mine"


@pytest.mark.slow
@pytest.mark.parametrize("command", [["run", "--no-plots"], ["compare", "--reps", "2"], ["explain", "--reps", "2"]])
def test_a_folder_of_the_users_is_never_written_into(gridsim_cli, tmp_path, command):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    p = gridsim_cli(*command, "--days", "2", "--set", "warmup_days=0", "--out", str(mine))
    assert p.returncode == 2 and "a folder of yours" in p.stderr and "notes.txt" in p.stderr, p.stderr
    assert [x.name for x in mine.iterdir()] == ["notes.txt"] and (mine / "notes.txt").read_text() == "mine"
    # the working folder is a folder of the user's too (`--out ""` is `--out .`)
    p = subprocess.run(
        [sys.executable, "-m", "sim", *command, "--days", "2", "--set", "warmup_days=0", "--out", ""],
        capture_output=True,
        text=True,
        cwd=mine,
    )
    assert p.returncode == 2 and "a folder of yours" in p.stderr
    assert [x.name for x in mine.iterdir()] == ["notes.txt"]


@pytest.mark.slow
def test_an_empty_folder_is_filled_and_a_results_folder_replaced(gridsim_cli, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    for seed in ("1", "2"):  # the second run finds the first's results folder (its provenance.json)
        assert (
            gridsim_cli(
                "run", "--no-plots", "--days", "2", "--seed", seed, "--set", "warmup_days=0", "--out", str(out)
            ).returncode
            == 0
        )
        assert json.loads((out / "provenance.json").read_text())["seed"] == int(seed)


@pytest.mark.slow
def test_animate_makes_its_folder_and_compare_survives_a_run_with_no_issue(gridsim_cli, tmp_path):
    gif = tmp_path / "new" / "deeper" / "day.gif"
    p = gridsim_cli("animate", "--out", str(gif))
    assert p.returncode == 0 and gif.stat().st_size > 0, p.stderr
    p = gridsim_cli(
        "compare",
        "--days",
        "0.01",
        "--set",
        "warmup_days=0",
        "--reps",
        "2",
        "--workers",
        "1",
        "--out",
        str(tmp_path / "cmp"),
        "--quiet",
    )
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr


@pytest.mark.slow
def test_a_measured_window_with_no_open_hours_still_reports(tmp_path):
    """Warm-up to Saturday, horizon Sunday: the departments never open in the measured window, utilisation is
    undefined, and the run still writes its whole folder (it crashed half-way through the report)."""
    from sim.cli import main

    out = tmp_path / "weekend"
    assert main(["run", "--set", "horizon_days=6", "--set", "warmup_days=5", "--quiet", "--out", str(out)]) == 0
    assert {"report.md", "report.html", "provenance.json"} <= {p.name for p in out.iterdir()}


@pytest.mark.slow
def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, capsys):
    """A Dask address nobody answers: exit 2 naming --scheduler after a short timeout, not a traceback."""
    from sim.cli import main

    code = main(
        [
            "run",
            str(REPO / "scenarios" / "shanghai.yaml"),
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--no-plots",
            "--quiet",
            "--out",
            str(tmp_path / "x"),
        ]
    )
    assert code == 2 and "--scheduler" in capsys.readouterr().err
