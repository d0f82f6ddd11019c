"""The command line under fuzzing (issue 16): random cases, each run in a forked, limited child.

Shared by tests/test_fuzz_cli.py (about a hundred cases in CI) and scripts/fuzz_cli.py (the full
thousand).  A case is either a mutant of a shipped scenario (one field at any depth replaced with a
hostile value, as in test_fuzz.py) written to a file and run as ``validate FILE`` and ``run FILE``,
or the default scenario with random ``--set PATH=VALUE`` through validate and run, trace or compare.

Each call of ``sim.cli.main`` runs in a forked child with an address-space limit, no core dumps,
and a wall-clock limit enforced by the parent (which kills the child's process group), so that a
regression that loops or eats memory fails the case instead of hanging CI or the machine.  The
parent imports the simulation first, so that a child starts in milliseconds.

The property (:func:`problems`): exit 0, having written what the command writes; or exit 2 with a
refusal on stderr (argparse's usage and one error line, or the CLI's header and one line per
problem), nothing on stdout and nothing written.  Anything else -- another exit code, a signal,
the time or memory limit, a traceback -- is a failure.
"""

from __future__ import annotations

import dataclasses
import os
import re
import resource
import signal
import sys
import time
import traceback
import warnings
from pathlib import Path

import yaml
from hypothesis import strategies as st

import sim.cli
import sim.experiment  # what the commands import lazily, imported once in the parent
import sim.output
import sim.plots
import sim.report
import sim.trace
from sim.scenario import DEFAULT_SCENARIO_PATH

from test_fuzz import BASES, HOSTILE, PATHS, REPO, _put

TIMEOUT = 60.0  # seconds a call may take (one takes about a second)
MEMORY = 2 << 30  # bytes of address space a call may map (the parent maps about 0.6 GiB)
DAYS = (1, 2)  # --days of the simulating commands: short, so that a case runs in about a second

#: Plausible values too, so that many cases get past validation and simulate something odd.
PLAUSIBLE = st.one_of(st.integers(0, 100), st.floats(0, 100))
#: --set values, as typed: numbers at and past the limits of a float, YAML that does not parse or
#: expands (aliases, nesting), YAML tags, and the hostile values of test_fuzz.py written as YAML.
HOSTILE_TEXT = st.one_of(
    st.sampled_from(
        [
            "1e308",
            "-1e308",
            "1e-308",
            "5e-324",
            "-1",
            "0",
            "nan",
            ".nan",
            ".inf",
            "-.inf",
            "[]",
            "{}",
            "[[]]",
            "{a: *b}",
            "&a [*a]",
            "x",
            "",
            "~",
            "true",
            "1" + "0" * 30,
            "9" * 400,
            "0x7fffffffffffffff",
            "2024-02-30",
            "!!python/name:os.system",
            "!!binary aGk=",
            "a: b: c",
            "[" * 2000 + "]" * 2000,
            "[" * 50,
            "'open",
            "{dist: gamma, mean: 1, cv: 1e-200}",
            "{dist: fixed, value: -1}",
            "{dist: lognormal, mean: 1e308, cv: 1}",
            (
                "[&a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a], "
                "&c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b], [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]]"
            ),
        ]
    ),
    st.one_of(HOSTILE, PLAUSIBLE).map(
        lambda v: yaml.safe_dump(v, default_flow_style=True, width=10**9).removesuffix("\n...\n").strip()
    ),
    st.text(max_size=8),
)
#: --set paths: every field of the default scenario (a list item's index too), and paths that are not one.
SET_PATHS = st.one_of(
    st.sampled_from([".".join(map(str, p)) for p in PATHS["default"]]),
    st.sampled_from(
        [
            "",
            ".",
            "a..b",
            "nosuch",
            "name.x",
            "seed.",
            "部门",
            "departments.police.x",
            "groups.residents.arrivals_per_day.mean",
            "calendars.office.hours.0",
            "start_date",
            "models",
            "baseline",
            "variants",
            "plugins",
            "city",
        ]
    ),
)
#: Where a mutant's hostile YAML text goes (a plain scalar in the dump, replaced by the text).
SPLICE = "fuzz-yaml-text-here"


class YamlText(str):
    """A mutant's new value given as YAML text, spliced into the file as written (bad dates, aliases...)."""

    def __repr__(self) -> str:
        return f"YAML text {str(self)!r}"


@st.composite
def mutant_cases(draw) -> dict:
    """A shipped scenario with one field (any depth) made hostile: a value, or YAML text in its place."""
    name = draw(st.sampled_from(sorted(BASES)))
    path = draw(st.sampled_from(PATHS[name]))
    value = draw(st.one_of(HOSTILE, PLAUSIBLE, HOSTILE_TEXT.map(YamlText)))
    days = str(draw(st.sampled_from(DAYS)))
    return {
        "mutant": (name, path, value),
        "calls": [
            ["validate", "{scenario}"],
            ["run", "{scenario}", "--days", days, "--no-plots", "--out", "{out}", "--quiet"],
        ],
    }


def mutant_text(name: str, path: tuple, value) -> str:
    """The mutant's file: the shipped scenario, warm-up off (so that a short run measures something), one field
    replaced."""
    raw = _put(_put(BASES[name], ("warmup_days",), 0), path, SPLICE if isinstance(value, YamlText) else value)
    text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    return text.replace(SPLICE, value, 1) if isinstance(value, YamlText) else text


@st.composite
def set_cases(draw) -> dict:
    """The default scenario (the file or the embedded one) with one to three random ``--set PATH=VALUE``,
    through ``validate`` (which takes no embedded scenario: the file it is) and one of run, trace and compare."""
    sets = draw(st.lists(st.tuples(SET_PATHS, st.one_of(HOSTILE_TEXT, PLAUSIBLE.map(str))), min_size=1, max_size=3))
    args = [a for p, v in sets for a in ("--set", f"{p}={v}")]
    where = draw(st.sampled_from([[], [str(REPO / "scenarios" / "default.yaml")]]))  # the embedded one, or the file
    days = ["--days", str(draw(st.sampled_from(DAYS))), "--set", "warmup_days=0"]
    command = draw(
        st.sampled_from(
            [
                ["run", *where, *days, "--no-plots", "--out", "{out}", "--quiet"],
                ["trace", *where, *days],
                ["compare", *where, *days, "--reps", "2", "--workers", "1", "--out", "{out}", "--quiet"],
            ]
        )
    )
    return {"mutant": None, "calls": [["validate", *(where or [str(DEFAULT_SCENARIO_PATH)]), *args], command + args]}


#: The two kinds, drawn half and half (hypothesis's one_of favoured the --set cases three to one).
KINDS = {"mutant": mutant_cases(), "set": set_cases()}


@dataclasses.dataclass
class Outcome:
    """What one call did: exit code (minus the signal number if killed), output, and whether it ran out of time."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool


def _mapped() -> int:
    """Bytes of address space this process maps already: a forked child inherits the parent's (a whole test
    session's, with coverage), so its limit is this plus the memory a call may take."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def run_cli(argv: list[str], cwd: Path, logs: Path, timeout: float = TIMEOUT, memory: int = MEMORY) -> Outcome:
    """``sim.cli.main(argv)`` in a forked child in ``cwd``, its stdout and stderr kept in ``logs``."""
    logs.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns, whatever happens
        code = 1
        try:
            os.setpgid(0, 0)
            limit = _mapped() + memory  # on top of what the parent maps already
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            os.chdir(cwd)
            for fd, name in ((0, os.devnull), (1, logs / "stdout"), (2, logs / "stderr")):
                f = os.open(name, os.O_RDONLY if fd == 0 else os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(f, fd)
                os.close(f)
            # not pytest's capture objects: the real fds, as gridsim has them
            sys.stdout, sys.stderr = (
                open(fd, "w", encoding="utf-8", errors="backslashreplace", closefd=False) for fd in (1, 2)
            )
            warnings.resetwarnings()  # Python's defaults, not pytest's
            for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                warnings.simplefilter("ignore", category)
            sys.argv = ["gridsim", *argv]
            try:
                code = sim.cli.main(argv)
            except SystemExit as exc:  # argparse, as the gridsim script would exit
                code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
                if isinstance(exc.code, str):
                    print(exc.code, file=sys.stderr)
            except BaseException:  # noqa: BLE001 (as the interpreter would print it)
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code if isinstance(code, int) and 0 <= code < 256 else 1)
    try:
        os.setpgid(pid, pid)  # also in the parent, so that killpg cannot come first
    except OSError:
        pass
    timed_out = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - t0 > timeout:
            timed_out = True
            os.killpg(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.01)
    try:
        os.killpg(pid, signal.SIGKILL)  # anything the call left behind
    except OSError:
        pass
    stdout, stderr = (
        (logs / name).read_text(encoding="utf-8", errors="backslashreplace") for name in ("stdout", "stderr")
    )
    return Outcome(os.waitstatus_to_exitcode(status), stdout, stderr, time.monotonic() - t0, timed_out)


_HEADER = re.compile(r"error: invalid (scenario|input) \((\d+) problems?\):")
_ARGPARSE = re.compile(r"gridsim( [\w-]+)?: error: .+")


def refusal_problem(stderr: str) -> str | None:
    """What is wrong with a refusal's stderr (None: as gridsim prints one -- notes, then argparse's usage and
    error line, or the CLI's header and one indented line for each problem it counts)."""
    if not stderr.strip():
        return "exit 2 with nothing on stderr"
    # split at "\n" only (not str.splitlines, which also splits at the form feeds a problem may quote)
    lines = [line for line in stderr.rstrip("\n").split("\n") if not line.startswith("note: ")]
    if (
        _ARGPARSE.fullmatch(lines[-1])
        and lines[0].startswith("usage: ")
        and all(line.startswith(" ") for line in lines[1:-1])
    ):
        return None
    head = _HEADER.fullmatch(lines[0])
    if not head:
        return "exit 2 without the error header on stderr"
    if len(lines) != 1 + int(head[2]) or not all(line.startswith("  ") for line in lines[1:]):
        return f"exit 2, but {head[2]} problem(s) on {len(lines) - 1} lines (a message of several lines?)"
    return None


def problems(argv: list[str], outcome: Outcome, cwd: Path, out: Path) -> list[str]:
    """What is wrong with one call's outcome (nothing: it ran, or it refused cleanly)."""
    if outcome.timed_out:
        return [f"no exit within the time limit (killed after {outcome.seconds:.0f} s)"]
    if outcome.code < 0:
        return [f"killed by signal {signal.Signals(-outcome.code).name}"]
    stray = sorted(p.name for p in cwd.iterdir())  # nothing may land in the working folder
    crashed = "Traceback" in outcome.stderr or "MemoryError" in outcome.stderr
    found = [f"wrote {stray} in the working folder"] * bool(stray) + ["a traceback on stderr"] * crashed
    if outcome.code == 0:
        if "{out}" in argv and not (out / "provenance.json").is_file():
            found.append(f"exit 0 without {out.name}/provenance.json")
    elif outcome.code == 2:
        if not crashed and (wrong := refusal_problem(outcome.stderr)):
            found.append(wrong)
        if outcome.stdout:
            found.append("exit 2 with output on stdout")
        if out.exists() and any(out.iterdir()):
            found.append(f"exit 2, but wrote {sorted(p.name for p in out.iterdir())} in {out.name}/")
    else:
        found.append(f"exit {outcome.code}")
    return found


def run_case(case: dict, root: Path) -> list[dict]:
    """Every call of ``case``, each in fresh folders under ``root``: argv, exit code, seconds, problems, stderr."""
    scenario, mutant = root / "in" / "mutant.yaml", None
    if case["mutant"] is not None:
        name, path, value = case["mutant"]
        mutant = f"{name}.yaml with {'.'.join(map(str, path))} = {value!r}"
        scenario.parent.mkdir(parents=True)
        scenario.write_text(mutant_text(*case["mutant"]), encoding="utf-8")
    results = []
    for i, template in enumerate(case["calls"]):
        cwd, out = root / f"cwd{i}", root / f"out{i}"
        cwd.mkdir(parents=True)
        argv = [a.replace("{scenario}", str(scenario)).replace("{out}", str(out)) for a in template]
        o = run_cli(argv, cwd, root / f"logs{i}")
        results.append(
            {
                "argv": argv,
                "mutant": mutant,
                "code": o.code,
                "seconds": round(o.seconds, 2),
                "problems": problems(template, o, cwd, out),
                "stderr": o.stderr,
                "stdout": o.stdout,
            }
        )
    return results


def report(result: dict, tail: int = 12) -> str:
    """One failed call, for a human: the problems, the command line, the mutant, and the end of stderr."""
    lines = ["; ".join(result["problems"]), "argv: gridsim " + " ".join(map(repr, result["argv"]))]
    if result["mutant"]:
        lines.append(f"mutant: {result['mutant']}")
    lines += ["stderr (tail):", *("  " + s for s in result["stderr"].splitlines()[-tail:])]
    return "\n".join(lines)
