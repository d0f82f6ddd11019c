"""The command line: ``gridsim run | compare | warmup | sweep | analyze | trace | animate | demo | validate |
schema | migrate``.  Thin: parse, call, print.

Bad input (a scenario or override that does not validate) prints every problem
with the file and field path, and exits with code 2, without a traceback and
before anything is written.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .errors import ScenarioError, ScenarioNote
from .i18n import LANGUAGES, choose, current, using

EXIT_BAD_INPUT = 2


def load_scenario(*args, **kwargs):
    """:func:`sim.scenario.load_scenario`, imported when a command first needs it: ``--help`` and
    ``--version`` load neither pydantic nor SciPy."""
    from .scenario import load_scenario as load

    return load(*args, **kwargs)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gridsim",
        description=(
            "Simulate citizens' appeals (诉求) under siloed line grids and the merged comprehensive grid (多格合一)."
        ),
    )
    p.add_argument("--version", action="version", version=f"gridsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="simulate both models on one scenario and write a results folder")
    _scenario_args(r)
    r.add_argument("--no-plots", action="store_true", help="skip the PNG plots and report.html")
    r.add_argument(
        "--shards",
        type=_whole(1),
        help="city scenarios: split the streets into this many shards (default: 8 per worker)",
    )
    r.add_argument("--workers", type=_whole(1), default=1, help="city scenarios: local processes (default 1)")
    r.add_argument(
        "--scheduler", help="city scenarios: Dask, 'local' for a LocalCluster or an address such as tcp://host:8786"
    )
    r.add_argument(
        "--appeals",
        action="store_true",
        help="city scenarios: also write per-appeal records, "
        "one appeals/<street>.csv.gz per street (off by default: millions of rows)",
    )
    r.add_argument(
        "--event-log",
        action="store_true",
        help="also write the event log (one row per step of every "
        "appeal, XES/pm4py column names) as events.csv.gz, events.parquet and events.xes.gz; city "
        "scenarios: one events/<street>.* per street",
    )

    c = sub.add_parser("compare", help="independent replications of every model, with paired CIs")
    _scenario_args(c)
    c.add_argument("--reps", default="30", help="replications, or 'auto' to stop at the precision target")
    c.add_argument(
        "--precision",
        type=_share,
        default=0.05,
        help="auto: CI half-width as a share of the mean, for times and counts (default 0.05)",
    )
    c.add_argument(
        "--abs-precision",
        type=_share,
        default=0.01,
        help="auto: CI half-width for rates and shares, absolute (default 0.01 = 1 point)",
    )
    c.add_argument("--max-reps", type=_whole(2), default=200, help="auto: the cap on replications")
    c.add_argument("--workers", type=_whole(1), default=os.cpu_count() or 1, help="processes (default: all cores)")
    c.add_argument(
        "--calibration-uncertainty",
        type=Path,
        metavar="BOOTSTRAP_CSV",
        help="bootstrap.csv of gridsim "
        "calibrate --bootstrap N: replication r runs on refit r mod N, so that the intervals include the "
        "calibration's uncertainty",
    )
    c.add_argument(
        "--event-log",
        action="store_true",
        help="also write each replication's event log as events/rep-<n>.csv.gz, .parquet and .xes.gz",
    )

    cal = sub.add_parser("calibrate", help="fit a scenario (the status quo) to a work-order log (12345, 311)")
    cal.add_argument("log", help="the log: CSV (UTF-8 or GB18030), or Excel")
    cal.add_argument(
        "--format",
        default="auto",
        help="auto, la311, la311-api, nyc311, nyc311-api, 12345 or eventlog "
        "(XES/pm4py column names, also .parquet, .xes, .xes.gz)",
    )
    cal.add_argument(
        "--columns",
        type=Path,
        help="YAML map of the log's column names (id, created, closed, due, "
        "department, category, channel, status, area)",
    )
    cal.add_argument(
        "--fit-window",
        nargs=2,
        metavar=("START", "END"),
        help="fit on requests created in [START, END) (dates or timestamps); default: the span of the log",
    )
    cal.add_argument("--name", help="the scenario's name (default: from the file name)")
    cal.add_argument(
        "--bootstrap",
        type=_whole(0),
        default=0,
        metavar="N",
        help="refit on N Poisson-bootstrap "
        "resamples of the log and write each parameter's spread to uncertainty.csv (default 0)",
    )
    cal.add_argument(
        "--work-calendar",
        metavar="YAML",
        help="when departments work, as a scenario calendar, e.g. "
        "'{weekdays: [0, 1, 2, 3, 4], hours: [[7, 17]], holidays: [us-federal-2017, us-federal-2018]}', "
        "or a map of them by the log's department names ('default' for the others): times to close "
        "are fitted in its open hours (default: always open)",
    )
    cal.add_argument(
        "--by-simulation",
        action="store_true",
        help="also fit each department's work time and "
        "headcount so that the simulated time to close (P50, P90) matches the log's, by least squares "
        "on common random numbers; a department the log cannot identify keeps the no-queue stand-in",
    )
    cal.add_argument("--sim-reps", type=_whole(1), default=3, help="--by-simulation: replications a step (default 3)")
    cal.add_argument("--out", type=Path, required=True, help="the folder to write")
    cal.add_argument("--quiet", action="store_true")

    cf = sub.add_parser(
        "check-fit", help="simulate a calibrated scenario and compare it with the log on days it was not fitted to"
    )
    cf.add_argument("scenario", help="the scenario (e.g. from gridsim calibrate)")
    cf.add_argument("--log", required=True, help="the work-order log")
    cf.add_argument("--format", default="auto", help="as for calibrate")
    cf.add_argument("--columns", type=Path, help="as for calibrate")
    cf.add_argument(
        "--window",
        nargs=2,
        metavar=("START", "END"),
        help="requests created in [START, END) (default: the log after the scenario's fit window)",
    )
    cf.add_argument("--reps", type=_whole(2), default=10, help="replications (default 10)")
    cf.add_argument(
        "--replay-arrivals",
        action="store_true",
        help="simulate the log's own requests of the window "
        "(times, categories, areas) instead of the scenario's arrivals: the service side alone",
    )
    cf.add_argument(
        "--tail-days",
        type=_share,
        default=60.0,
        help="days simulated after the window so that its requests can close (default 60, or as long as the log saw)",
    )
    cf.add_argument("--no-plots", action="store_true", help="skip fit.html")
    cf.add_argument("--out", type=Path, required=True)
    cf.add_argument("--quiet", action="store_true")

    e = sub.add_parser(
        "explain", help="where the difference comes from: each reform switch off in turn, with paired CIs"
    )
    _scenario_args(
        e,
        "the model whose difference from the baseline to decompose into its reform switches (default: the "
        "first of the scenario's models, other than the baseline, that declares switches: merged)",
    )
    e.add_argument("--reps", type=_whole(2), default=30, help="replications (default 30)")
    e.add_argument("--workers", type=_whole(1), default=os.cpu_count() or 1, help="processes (default: all cores)")
    e.add_argument(
        "--added", action="store_true", help="also add each switch alone to the line grids (one more arm per switch)"
    )
    e.add_argument(
        "--permutations",
        type=_whole(0),
        default=2,
        help="random orders a replication for the Shapley values (antithetic pairs; 0: none; default 2)",
    )
    e.add_argument("--no-plots", action="store_true", help="skip explain.png")

    w = sub.add_parser("warmup", help="Welch's plot to help pick the warm-up period")
    _scenario_args(w)
    w.add_argument("--reps", type=_whole(2), default=10)
    w.add_argument("--window", type=_whole(1), default=7, help="moving-average window, days")
    w.add_argument("--workers", type=_whole(1), default=os.cpu_count() or 1)

    sw = sub.add_parser("sweep", help="run a parameter sweep (resumable; local cores or Dask)")
    sw.add_argument("sweep", help="sweep YAML file")
    sw.add_argument("--out", type=Path, help="results folder (default: results/sweeps/<sweep name>)")
    sw.add_argument(
        "--workers", type=_whole(1), default=os.cpu_count() or 1, help="local processes (default: all cores)"
    )
    sw.add_argument("--scheduler", help="Dask: 'local' for a LocalCluster, or an address such as tcp://host:8786")
    sw.add_argument("--fresh", action="store_true", help="discard finished points and start over")
    sw.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field of the base scenario (repeatable)",
    )
    sw.add_argument("--quiet", action="store_true")

    op = sub.add_parser(
        "optimise",
        aliases=["optimize"],
        help="the least staff that meets targets, per model (Optuna; resumable; local cores or Dask)",
    )
    _scenario_args(op, "optimise this model (repeatable; default: the scenario's models, each in turn)")
    op.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="METRIC>=LEVEL",
        help="e.g. '响应率>=0.95', 'resolution_time_p90<=72' (repeatable; replaces the scenario's optimise.targets)",
    )
    op.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="PATH=LOW:HIGH[:STEP]",
        help="a decision variable, e.g. 'departments.*.headcount=1:12', 'merged.stationed_share=0.1:0.4:0.05', "
        "'line_grids.*.intake_staff=x0.5:x2' (repeatable; replaces optimise.variables; default: every "
        "department's headcount and line grid's intake staff from 1 to twice the scenario's, and for merged its "
        "grid leaders per area and stationed share)",
    )
    goal = op.add_mutually_exclusive_group()
    goal.add_argument("--minimise", "--minimize", dest="minimise", metavar="METRIC", help="default: the cost")
    goal.add_argument("--maximise", "--maximize", dest="maximise", metavar="METRIC", help="a metric, within --budget")
    op.add_argument(
        "--match",
        nargs="?",
        const=",".join(("响应率", "解决率", "满意率")),
        metavar="METRIC,...",
        help="targets: what the other model reaches at the scenario's own staffing, on these metrics (default: "
        "响应率,解决率,满意率): how many staff each model needs to match the other",
    )
    op.add_argument(
        "--cost",
        choices=["staffed_hours", "headcount", "wage_cost"],
        help="what staff cost (default staffed_hours; wage_cost: staffed hours times each role's --wage)",
    )
    op.add_argument(
        "--wage",
        action="append",
        default=[],
        metavar="ROLE=WAGE",
        help="wage per staffed hour of a role (office kind: dept, line, station, leader, stationed, hotline; "
        "1 for a role not named), for --cost wage_cost (repeatable)",
    )
    op.add_argument("--budget", type=_share, help="at most this much cost (with --minimise METRIC)")
    op.add_argument("--trials", type=_whole(1), help="distinct staffings judged per model (default 120)")
    op.add_argument("--reps", type=_whole(2), help="replications a staffing is judged on at first (default 5)")
    op.add_argument("--max-reps", type=_whole(2), help="at most, for a staffing near a target (default 20)")
    op.add_argument("--confirm-reps", type=_whole(2), help="fresh replications that confirm the choice (default 30)")
    op.add_argument("--sampler", choices=["tpe", "grid", "random"], default="tpe", help="grid: exhaustive")
    op.add_argument("--batch", type=_whole(1), default=4, help="staffings proposed at a time (default 4)")
    op.add_argument("--workers", type=_whole(1), default=os.cpu_count() or 1, help="local processes")
    op.add_argument("--scheduler", help="Dask: 'local' for a LocalCluster, or an address such as tcp://host:8786")
    op.add_argument("--fresh", action="store_true", help="discard an earlier search in --out and start over")
    op.add_argument("--no-plots", action="store_true", help="skip frontier.png")

    an = sub.add_parser("analyze", help="ratios, Sobol indices and PRIM boxes of a sweep results folder")
    an.add_argument("folder", type=Path)
    an.add_argument("--quiet", action="store_true")

    t = sub.add_parser("trace", help="narrate what happened to an appeal, both models side by side")
    _scenario_args(t)
    t.add_argument("--appeal", type=int, action="append", help="issue id to trace (repeatable)")
    t.add_argument("--group", help="trace the first appeals of this group instead")
    t.add_argument("--first", type=_whole(1), default=3, help="how many appeals with --group (default 3)")
    t.add_argument("--width", type=_whole(40), default=120, help="line width")

    a = sub.add_parser("animate", help="animated GIF of one simulated day, both models side by side")
    a.add_argument("scenario", nargs="?", help="scenario YAML (default: the embedded teaching street)")
    a.add_argument("--day", type=_whole(1), default=2, help="which day (1 = the first Monday)")
    a.add_argument("--out", default="day.gif", help="output file (.gif, or .mp4 where ffmpeg is present)")
    a.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    a.add_argument("--lang", choices=LANGUAGES, help="language of the frames: en or zh (default: the scenario's)")

    d = sub.add_parser("demo", help="start the classroom demo page on localhost")
    d.add_argument("scenario", nargs="?", help="scenario YAML (default: the embedded teaching street)")
    d.add_argument("--port", type=_port, default=8050, help="port (0 to 65535; 0: any free one; taken: the next free)")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--lang", choices=LANGUAGES, help="language of the page: en or zh (default: the scenario's)")

    v = sub.add_parser("validate", help="check a scenario file and report every error")
    v.add_argument("scenario")
    v.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")

    sub.add_parser("schema", help="print the JSON Schema of the scenario format")

    mg = sub.add_parser("migrate", help="rewrite a scenario file for the current schema version (to stdout)")
    mg.add_argument("scenario", help="scenario YAML to migrate")
    where = mg.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, help="write the migrated file here instead of to stdout")
    where.add_argument("--in-place", action="store_true", help="rewrite FILE itself, keeping the original as FILE.bak")
    for command in {id(c): c for c in sub.choices.values()}.values():  # an alias names its parser again
        command.add_argument(
            "--allow-large",
            action="store_true",
            help="lift the size limits on input (file "
            "bytes, YAML values, issues a street draws; see sim/limits.py): only memory bounds a run",
        )
    return p


def _whole(least: int):
    """An argparse type: a whole number of at least ``least`` (a bad one exits 2 with the flag named)."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if v < least:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {least}, got {v}")
        return v

    return parse


def _share(text: str) -> float:
    """An argparse type: a number above 0 (a precision target)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not v > 0 or v == float("inf"):  # NaN fails the comparison too
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text}")
    return v


def _scenario_args(
    p: argparse.ArgumentParser,
    model_help: str = "run only this model: siloed, merged or a variant named in the scenario (repeatable)",
) -> None:
    """Arguments every simulating command shares (``model_help`` says what ``--model`` does in this one)."""
    p.add_argument("scenario", nargs="?", help="scenario YAML (default: the embedded teaching street)")
    p.add_argument("--days", type=float, help="horizon in days (overrides horizon_days)")
    p.add_argument("--seed", type=int, help="master seed (overrides seed)")
    p.add_argument("--model", action="append", help=model_help)
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a scenario field, e.g. --set departments.police.headcount=4 (repeatable)",
    )
    p.add_argument("--out", type=Path, help="results folder (default: results/<scenario name>[-command])")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.add_argument(
        "--lang", choices=LANGUAGES, help="language of the reports, plots and terminal: en or zh (default: scenario's)"
    )


def _setup(args, suffix: str = "", city: bool = False):
    """Load the scenario (a city only if ``city``), check model names, fix the output folder and command line."""
    sc = load_scenario(args.scenario, _overrides(args))
    _speak(args, sc)
    if not city:
        sc.one_street(_source(args), f"`gridsim {args.command}`")
    for m in args.model or []:
        sc.arm(m)  # an unknown model name is bad input, reported before anything runs
    twice = sorted({m for m in args.model or [] if args.model.count(m) > 1})
    if twice:
        raise ScenarioError("--model", [f"{m}: given more than once (each model runs once)" for m in twice])
    out = args.out or Path("results") / f"{sc.name}{suffix}"
    _check_out(out)
    command = "gridsim " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return sc, out, command, started


def _speak(args, sc) -> None:
    """Speak ``--lang``, or the scenario's ``lang`` when it is not given (``main`` restores the language after)."""
    choose(getattr(args, "lang", None) or sc.lang)


def _writable_folder(folder: Path, flag: str) -> None:
    """Check, before any simulation runs, that files can be written in ``folder`` (made later if need be).

    Nothing is created: the nearest folder that exists must be a folder we may write in.
    """
    folder = Path(folder).absolute()
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        raise ScenarioError(flag, [f"{folder}: {existing} is a file, not a folder"])
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ScenarioError(flag, [f"{folder}: cannot write in {existing} (permission denied)"])


def _check_out(out: Path) -> None:
    """A results folder: not an existing file, not a folder of the user's, in a folder we may write in (it is
    staged beside ``out`` and renamed onto it), all checked before simulating."""
    from .output import foreign_entries

    if out.exists() and not out.is_dir():
        raise ScenarioError("--out", [f"{out}: exists and is not a folder (expected a results folder)"])
    foreign = foreign_entries(out)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise ScenarioError(
            "--out",
            [
                f"{out}: a folder of yours, not a gridsim results folder (it holds {shown} "
                "and no provenance.json): name a new or empty folder, nothing was written"
            ],
        )
    here = Path.cwd().resolve()
    if out.resolve() in (here, *here.parents):
        name = str(out) or '""'
        raise ScenarioError(
            "--out",
            [
                f"{name}: the working folder or one above it, which a run would replace as a "
                "whole: name a folder inside it, nothing was written"
            ],
        )
    _writable_folder(out.absolute().parent, "--out")  # the run is staged beside ``out``, then renamed onto it


def _source(args) -> str:
    """The scenario file named on the command line, for error messages."""
    return str(args.scenario or "the default scenario")


def _overrides(args) -> list[str]:
    extra = []
    if getattr(args, "days", None) is not None:
        extra.append(f"horizon_days={args.days}")
    if getattr(args, "seed", None) is not None:
        extra.append(f"seed={args.seed}")
    return list(args.overrides) + extra


def cmd_run(args) -> int:
    from .drawing import Drawer, worth_a_process

    # the figures' processes start first, before the heavy imports: theirs overlap ours and the simulation
    drawer = Drawer() if not args.no_plots and worth_a_process() else None
    with drawer or contextlib.nullcontext():
        return _run_street(args, drawer)


def _run_street(args, drawer) -> int:
    from . import finding
    from .output import write_results
    from .report import comparison_table, format_table, mechanisms, verdict
    from .simulation import run

    sc, out, command, started = _setup(args, city=True)
    if sc.city is not None:
        if drawer is not None:
            drawer.close()  # a city's workers take the cores; its few figures are drawn at the end, here
        return _run_city(args, sc, out, command, started)
    t0 = time.perf_counter()
    result = run(sc, models=args.model, progress=not args.quiet and sys.stderr.isatty(), events=args.event_log)
    wall = time.perf_counter() - t0
    write_results(result, out, command, started, wall, plots=not args.no_plots, drawer=drawer)
    if not args.quiet:
        print(
            f"{sc.name}: {sc.horizon_days:g} days, seed {sc.seed}, "
            f"{(result.appeals['model'] == result.runs[0].model).sum()} issues per model "
            f"(simulated in {wall:.1f} s)\n"
        )
        _print_finding(finding.of_run(result))
        print(format_table(comparison_table(result.summary, sc.baseline)))
        print()
        print("\n".join(verdict(result.summary, sc.baseline, sc=sc)))
        _print_checks(result.summary, sc.baseline, sc)
        drivers = mechanisms(result)
        if drivers:
            print("Mechanisms:\n" + "\n".join(f"  - {m}" for m in drivers))
        print(f"\nResults written to {out}/")
    return 0


def _print_finding(sentences: list[str]) -> None:
    """The finding in words (:mod:`sim.finding`), before the tables, in lines of 100 columns (CJK counts two)."""
    from .document import wrap

    for x in sentences:
        print("\n".join(wrap(x, 100)))
    print()


def _print_checks(summary, baseline: str, sc=None) -> None:
    from . import checks

    found = checks.lines(summary, baseline, sc)
    if found:
        print("Checks:\n" + "\n".join(f"  - {x}" for x in found))


def _run_city(args, sc, out, command, started) -> int:
    """``gridsim run`` on a city scenario: sharded streets, streaming metrics."""
    from .city import run_city
    from .output import ResultsFolder, write_city
    from . import finding
    from .report import city_verdict, comparison_table, format_table

    t0 = time.perf_counter()
    # several shards a worker, so that workers finishing early take more (streets differ in size)
    shards = args.shards or (1 if args.workers == 1 and not args.scheduler else 8 * args.workers)
    with ResultsFolder(out) as folder:
        result = run_city(
            sc,
            models=args.model,
            shards=shards,
            workers=args.workers,
            scheduler=args.scheduler,
            appeals_dir=folder.folder("appeals") if args.appeals else None,
            events_dir=folder.folder("events") if args.event_log else None,
            progress=not args.quiet and sys.stderr.isatty(),
        )
        wall = time.perf_counter() - t0
        write_city(result, folder, command, started, wall, plots=not args.no_plots)
    if not args.quiet:
        n = next(iter(result.issues.values()))
        print(
            f"{sc.name}: {len(result.streets)} streets, {sc.horizon_days:g} days, seed {sc.seed}, "
            f"{n:,} issues per model (simulated in {wall:.1f} s)\n"
        )
        _print_finding(finding.of_run(result, city=True))
        print(format_table(comparison_table(result.summary, sc.baseline)))
        print()
        print("\n".join(city_verdict(result.summary, sc.baseline, result.differences)))
        _print_checks(result.summary, sc.baseline, sc)
        print(f"\nResults written to {out}/")
    return 0


def cmd_compare(args) -> int:
    from . import finding
    from .experiment import experiment
    from .output import ResultsFolder, write_experiment
    from .report import comparison_sentences, format_comparison

    sc, out, command, started = _setup(args, "-compare")
    if args.reps != "auto" and not (args.reps.isdigit() and int(args.reps) >= 2):
        raise ScenarioError("--reps", [f"expected a whole number >= 2 or 'auto', got {args.reps!r}"])
    draws = None
    if args.calibration_uncertainty is not None:
        from .calibrate.uncertainty import read_draws, scenario_for

        draws = read_draws(args.calibration_uncertainty)
        scenario_for(sc, draws.iloc[0], str(args.calibration_uncertainty))  # a path that does not fit: exit 2 now
    t0 = time.perf_counter()
    with ResultsFolder(out) as folder:
        exp = experiment(
            sc,
            reps=args.reps if args.reps == "auto" else int(args.reps),
            models=args.model,
            workers=max(args.workers, 1),
            precision=args.precision,
            abs_precision=args.abs_precision,
            max_reps=args.max_reps,
            progress=not args.quiet and sys.stderr.isatty(),
            events_dir=folder.folder("events") if args.event_log else None,
            draws=draws,
        )
        wall = time.perf_counter() - t0
        write_experiment(exp, folder, command, started, wall)
    if not args.quiet:
        print(
            f"{sc.name}: {exp.n_reps} replications of {sc.horizon_days:g} days, master seed {sc.seed}, "
            f"{args.workers} worker(s), {wall:.1f} s\n"
        )
        _print_finding(finding.of_experiment(exp))
        print(format_comparison(exp.comparison))
        print("\n".join(comparison_sentences(exp.comparison) + exp.notes))
        print(f"\nResults written to {out}/")
    return 0


def cmd_calibrate(args) -> int:
    from .calibrate import calibrate, read_log, write_calibration
    from .calibrate.build import bootstrap, bootstrap_draws
    from .scenario import read_yaml

    _check_out(args.out)
    columns = read_yaml(args.columns) if args.columns else None
    window = _window(args.fit_window, "--fit-window")
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    log = read_log(args.log, args.format, columns)
    cal = calibrate(log, window, args.name, _work_calendar(args.work_calendar))
    draws = bootstrap_draws(log, args.bootstrap, window, _work_calendar(args.work_calendar)) if args.bootstrap else None
    spread = bootstrap(log, args.bootstrap, draws=draws) if args.bootstrap else None
    simfit = None
    if args.by_simulation:
        from .calibrate.simfit import applied, fit_by_simulation

        sf = fit_by_simulation(cal, log, args.sim_reps)
        cal, simfit = applied(cal, sf), sf.table
    wall = time.perf_counter() - t0
    write_calibration(
        cal,
        log,
        args.out,
        "gridsim " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        started,
        wall,
        spread,
        simfit,
        draws,
    )
    if not args.quiet:
        print(log.quality_frame().to_string(index=False))
        print(
            f"\n{len(cal.scenario.departments)} departments, {len(cal.scenario.categories)} categories, "
            f"{len(cal.scenario.groups)} group(s); fit window {cal.window[0]} to {cal.window[1]} ({wall:.1f} s)"
        )
        print("Not identified by the log (assumed):\n" + "\n".join(f"  - {f}" for f in cal.flags[1:]))
        print(f"\nResults written to {args.out}/ (scenario.yaml runs as it is: gridsim run {args.out}/scenario.yaml)")
    return 0


def _window(text: list[str] | None, flag: str):
    """Two timestamps, START before END (None if not given)."""
    import pandas as pd

    if not text:
        return None
    try:
        window = tuple(pd.Timestamp(w) for w in text)
    except ValueError as exc:
        raise ScenarioError(flag, [f"expected two dates or timestamps, got {text} ({exc})"]) from None
    if window[1] <= window[0]:
        raise ScenarioError(flag, [f"END must be after START, got {text}"])
    return window


def _work_calendar(text: str | None) -> dict | None:
    """``--work-calendar``: a YAML calendar, or a map of calendars by department, checked as scenario calendars."""
    import yaml
    from pydantic import ValidationError

    from .calibrate.build import is_calendar
    from .scenario import CalendarSpec

    if text is None:
        return None
    try:
        spec = yaml.safe_load(text)
        if not isinstance(spec, dict):
            raise TypeError(f"a mapping, not {type(spec).__name__}")
        if is_calendar(spec):
            return CalendarSpec(**spec).model_dump(mode="json")
        return {str(d): CalendarSpec(**c).model_dump(mode="json") for d, c in spec.items()}
    except (yaml.YAMLError, TypeError, ValidationError) as exc:
        raise ScenarioError(
            "--work-calendar",
            [
                f"expected a calendar such as '{{weekdays: [0, 1, 2, 3, 4], hours: "
                f"[[7, 17]]}}', or a map of them by department ('{{BOS: {{...}}, "
                f"default: {{...}}}}'), got {text!r} ({str(exc).splitlines()[0]})"
            ],
        ) from None


def cmd_check_fit(args) -> int:
    from .calibrate import read_log, write_fit_check
    from .calibrate.check import check_fit
    from .scenario import read_yaml

    _check_out(args.out)
    sc = load_scenario(args.scenario).one_street(args.scenario, "`gridsim check-fit`")
    window = _window(args.window, "--window")
    log = read_log(args.log, args.format, read_yaml(args.columns) if args.columns else None)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    fc = check_fit(sc, log, window, args.reps, args.tail_days, replay=args.replay_arrivals)
    wall = time.perf_counter() - t0
    write_fit_check(
        fc,
        log,
        sc,
        args.out,
        "gridsim " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        started,
        wall,
        plots=not args.no_plots,
    )
    if not args.quiet:
        t = fc.table[~fc.table["what"].str.contains("hour of day")]
        print(f"check window {fc.window[0]} to {fc.window[1]}, {fc.reps} replications ({wall:.1f} s)\n")
        print(t.drop(columns=["ci_lo", "ci_hi"]).to_string(index=False, float_format=lambda v: f"{v:.3g}"))
        hours = fc.table[fc.table["what"].str.contains("hour of day")]
        print(f"\narrivals by hour of day: {int(hours['inside'].sum())} of 24 hours inside the prediction interval")
        print(f"\nResults written to {args.out}/")
    return 0


def cmd_explain(args) -> int:
    from .explain import explain, format_explanation
    from .output import write_explanation

    sc, out, command, started = _setup(args, "-explain")
    if len(args.model or []) > 1:
        raise ScenarioError(
            "--model", ["explain decomposes one model's difference from the baseline into its switches: give one"]
        )
    t0 = time.perf_counter()
    ex = explain(
        sc,
        reps=args.reps,
        workers=args.workers,
        added=args.added,
        permutations=args.permutations,
        progress=not args.quiet and sys.stderr.isatty(),
        model=args.model[0] if args.model else None,
    )
    wall = time.perf_counter() - t0
    write_explanation(ex, out, command, started, wall, plots=not args.no_plots)
    if not args.quiet:
        print(
            f"{sc.name}: {ex.n_reps} replications of {sc.horizon_days:g} days, {len(ex.scenario.models)} arms, "
            f"master seed {sc.seed}, {args.workers} worker(s), {wall:.1f} s\n"
        )
        if args.permutations:
            print(
                f"Shapley value of each switch in {ex.model} − {ex.baseline} (they add up to the total; "
                "rates in points):\n"
            )
            print(format_explanation(ex.table, value="shapley") + "\n")
        print(f"One switch off at a time: {ex.model} − ({ex.model} without it) (rates in points):\n")
        print(format_explanation(ex.table))
        print("\n" + "\n".join(f"- {n}" for n in ex.notes))
        print(f"\nResults written to {out}/ (explain.csv has every headline metric)")
    return 0


def cmd_warmup(args) -> int:
    from .experiment import suggest_warmup, welch
    from .output import ResultsFolder
    from .plots import warmup_figure

    sc, out, command, started = _setup(args, "-warmup")
    t0 = time.perf_counter()
    series = welch(sc, reps=args.reps, window=args.window, models=args.model, workers=max(args.workers, 1))
    with ResultsFolder(out) as folder:
        folder.table("warmup.csv", series)
        folder.figures({"warmup.png": warmup_figure(series, args.window)})
        folder.provenance(
            sc,
            args.model or list(sc.models),
            command,
            started,
            time.perf_counter() - t0,
            replications=args.reps,
            window=args.window,
        )
    if not args.quiet:
        print(f"Welch's plot of {args.reps} replications written to {out}/warmup.png")
        print(
            f"suggested warm-up: {suggest_warmup(series)} days (when the moving-average backlog first comes "
            "within 10% of its second-half level; check the plot, then set warmup_days)"
        )
    return 0


def cmd_sweep(args) -> int:
    from .sweep.design import design_points
    from .sweep.runner import run_sweep
    from .sweep.spec import load_sweep

    plan = load_sweep(args.sweep, args.overrides)
    out = args.out or Path("results") / "sweeps" / plan.sweep.name
    n = len(design_points(plan))
    t0 = time.perf_counter()
    table = run_sweep(
        plan,
        out,
        workers=max(args.workers, 1),
        scheduler=args.scheduler,
        progress=not args.quiet and sys.stderr.isatty(),
        fresh=args.fresh,
    )
    if not args.quiet:
        where = f"Dask ({args.scheduler})" if args.scheduler else f"{args.workers} local process(es)"
        print(
            f"{plan.sweep.name}: {table['point'].nunique()}/{n} points x {plan.sweep.replications} replications "
            f"x {len(plan.sweep.models)} models on {where}, {time.perf_counter() - t0:.1f} s this run"
        )
        print(f"Results in {out}/sweep.csv; next: gridsim analyze {out}")
    return 0


def cmd_optimise(args) -> int:
    import pandas as pd

    from .optimise.plan import matching, merged_spec, problems, write
    from .optimise.report import finding, target_lines
    from .optimise.search import Outcome, search
    from .optimise.spec import find_metric, parse_variable
    from .output import ResultsFolder

    sc, out, command, started = _setup(args, "-optimise")
    given = {
        "targets": args.target,
        "minimise": args.minimise or args.maximise,
        "maximise": True if args.maximise else (False if args.minimise else None),  # the flag overrides the file
        "cost": args.cost,
        "budget": args.budget,
        "trials": args.trials,
        "replications": args.reps,
        "max_replications": args.max_reps,
        "confirm_replications": args.confirm_reps,
        "wages": _wages(args.wage) or None,
    }
    spec = merged_spec(sc.optimise, variables=[parse_variable(v) for v in args.vary], **given)
    source = "--vary" if args.vary else f"{_source(args)}: optimise.variables"
    plan = problems(sc, spec, args.model or sc.models, args.sampler, args.batch, bool(args.match), source)
    t0 = time.perf_counter()
    if args.match:
        metrics = [find_metric(m, "--match") for m in args.match.split(",") if m.strip()]
        if not metrics:
            raise ScenarioError("--match", [f"{args.match!r}: expected metrics to match, e.g. 响应率,满意率"])
        matching(plan, metrics, plan[0].confirm_replications, max(args.workers, 1), args.scheduler, sc.baseline)
    if not args.quiet:
        lines = target_lines([Outcome(p, pd.DataFrame()) for p in plan])
        print("\n".join(lines) + "\n" if lines else "", end="")
    how = {"workers": max(args.workers, 1), "scheduler": args.scheduler, "fresh": args.fresh}
    outcomes = [search(p, out, progress=not args.quiet and sys.stderr.isatty(), **how) for p in plan]
    wall = time.perf_counter() - t0
    folder = ResultsFolder(out, staged=False)
    write(outcomes, folder, command, plots=not args.no_plots)
    folder.provenance(sc, [p.model for p in plan], command, started, wall)
    if not args.quiet:
        _print_finding(finding(outcomes))
        print(f"Results written to {out}/ ({wall:.1f} s)")
    return 0


def _wages(items: list[str]) -> dict[str, float]:
    """``--wage ROLE=WAGE`` flags as a map (a bad one is bad input: exit 2)."""
    out = {}
    for item in items:
        role, _, text = item.partition("=")
        try:
            wage = float(text)
        except ValueError:
            wage = float("nan")
        if not role.strip() or not wage > 0 or wage == float("inf"):
            raise ScenarioError("--wage", [f"{item!r}: expected ROLE=WAGE with a wage above 0, e.g. leader=1.5"])
        out[role.strip()] = wage
    return out


def cmd_analyze(args) -> int:
    from .sweep.analysis import analyze

    res = analyze(args.folder)
    if not args.quiet:
        print(res["summary"])
        print("Written: " + ", ".join(p.name for p in res["written"]))
    return 0


def cmd_trace(args) -> int:
    from .trace import narrate, trace

    sc = load_scenario(args.scenario, _overrides(args)).one_street(_source(args), "`gridsim trace`")
    _speak(args, sc)
    for m in args.model or []:
        sc.arm(m)
    print(narrate(trace(sc, args.appeal, args.group, args.first, args.model), args.width, sc.start_date))
    return 0


def cmd_animate(args) -> int:
    from .animate import animate

    sc = load_scenario(args.scenario, args.overrides).one_street(_source(args), "`gridsim animate`")
    _speak(args, sc)
    if args.out is not None:
        _writable_folder(Path(args.out).parent, "--out")
    print(f"wrote {animate(sc, args.out, args.day, progress=sys.stderr.isatty())}")
    return 0


def cmd_demo(args) -> int:
    from .demo.server import open_server

    # bad input is reported before the server starts; the scenario's language is the page's by default
    sc = load_scenario(args.scenario).one_street(_source(args), "`gridsim demo`")
    server = open_server(args.port, args.scenario, args.host, lang=args.lang or sc.lang)
    port = server.server_address[1]
    if args.port and port != args.port:
        print(f"port {args.port} is in use: serving on {port} instead")
    print(f"gridsim demo on http://{args.host}:{port}/  (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except BrokenPipeError:  # the reader of our output went away (`gridsim trace | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def cmd_validate(args) -> int:
    sc = load_scenario(args.scenario, args.overrides)
    rate = sum(g.arrivals_per_day for g in sc.groups.values())
    print(
        f"{args.scenario}: OK: scenario {sc.name!r}, {len(sc.areas)} areas, {len(sc.groups)} groups, "
        f"{len(sc.categories)} categories, {len(sc.departments)} departments, "
        f"{rate:g} issues/day, {sc.horizon_days:g} days"
    )
    if sc.city is not None:
        streets = [street for _, street in sc.streets()]
        total = sum(g.arrivals_per_day for street in streets for g in street.groups.values())
        print(
            f"  city: {len(streets)} streets, {sum(len(s.areas) for s in streets)} areas, "
            f"{total:,.0f} issues/day in all ({total * sc.horizon_days:,.0f} over the horizon)"
        )
    return 0


def cmd_migrate(args) -> int:
    import yaml

    from . import __version__
    from .migrate import CURRENT, migrate, schema_version
    from .files import atomic_write
    from .scenario import read_yaml

    path, source = Path(args.scenario), str(args.scenario)
    raw = read_yaml(path)
    version = schema_version(raw, source)
    new, notes = migrate(raw, source)
    if args.out is not None and args.out.resolve() == path.resolve():
        raise ScenarioError(
            "--out", [(f"{args.out} is the file itself: use --in-place, which keeps the original as {source}.bak")]
        )
    if not notes:
        why = "states it" if "schema_version" in raw else "no schema_version, and no field of an older version"
        print(f"{source}: already schema version {CURRENT} ({why}): nothing to migrate", file=sys.stderr)
        text = path.read_text(encoding="utf-8")  # the file as it is, comments and all
    else:
        print(f"{source}: schema version {version} -> {CURRENT} ({len(notes)} notes):", file=sys.stderr)
        for note in notes:
            print(f"  {note}", file=sys.stderr)
        kept = f" (the original is {path.name}.bak)" if args.in_place else ""
        text = "".join(
            [
                f"# Migrated from schema version {version} to {CURRENT} by gridsim {__version__} "
                + f"(gridsim migrate {path.name}).\n",
                f"# Comments of the original file are not kept{kept}.\n",
                "# Notes:\n",
                *(f"#   {note}\n" for note in notes),
                "\n",
                yaml.safe_dump(new, sort_keys=False, allow_unicode=True),
            ]
        )
    if args.in_place and not notes:
        return 0  # nothing to rewrite, no .bak
    if not args.in_place and args.out is None:
        sys.stdout.write(text)
        return 0
    target = path if args.in_place else args.out
    try:
        if args.in_place:
            original = path.read_bytes()
            bak = path.with_name(path.name + ".bak")
            if bak.exists() and bak.read_bytes() != original:
                raise ScenarioError(
                    str(bak),
                    [
                        (
                            "already exists and differs from the file (an earlier original?): "
                            "move it away first, or use --out"
                        )
                    ],
                )
            atomic_write(bak, lambda tmp: Path(tmp).write_bytes(original))
        atomic_write(target, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(str(target), [f"cannot write ({exc.strerror or exc})"]) from None
    done = f"migrated in place, the original kept as {bak}" if args.in_place else f"wrote {target}"
    print(f"{source}: {done}", file=sys.stderr)
    return 0


def cmd_schema(args) -> int:
    from .scenario import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


def _show_note(message, category, filename, lineno, file=None, line=None) -> None:
    """Scenario notes (an older schema read as the current one) as plain lines; other warnings as usual."""
    if issubclass(category, ScenarioNote):
        print(f"note: {message}", file=sys.stderr)
    else:
        _SHOW_WARNING(message, category, filename, lineno, file, line)


_SHOW_WARNING = warnings.showwarning


def _port(text: str) -> int:
    """A TCP port for ``--port``: 0 to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return port


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``gridsim`` and ``python -m sim``; returns the exit code."""
    args = _parser().parse_args(argv)
    handler = {
        "run": cmd_run,
        "compare": cmd_compare,
        "explain": cmd_explain,
        "calibrate": cmd_calibrate,
        "check-fit": cmd_check_fit,
        "warmup": cmd_warmup,
        "sweep": cmd_sweep,
        "analyze": cmd_analyze,
        "optimise": cmd_optimise,
        "optimize": cmd_optimise,
        "trace": cmd_trace,
        "animate": cmd_animate,
        "demo": cmd_demo,
        "validate": cmd_validate,
        "schema": cmd_schema,
        "migrate": cmd_migrate,
    }[args.command]
    from .limits import allowing_large

    try:
        with (
            warnings.catch_warnings(),
            allowing_large() if args.allow_large else contextlib.nullcontext(),
            using(getattr(args, "lang", None) or current()),
        ):
            warnings.showwarning = _show_note
            return handler(args)
    except ScenarioError as exc:
        what = "input" if args.command in ("calibrate", "check-fit") or exc.source.startswith("--") else "scenario"
        print(
            f"error: invalid {what} ({len(exc.errors)} problem{'s' if len(exc.errors) != 1 else ''}):", file=sys.stderr
        )
        for e in exc.errors:
            print(f"  {exc.source}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader of our output went away (`gridsim trace | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 1
    except KeyboardInterrupt:
        print(
            "interrupted: nothing was written (a results folder is as it was; a sweep keeps its finished points, "
            "a staffing search what it judged)",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
