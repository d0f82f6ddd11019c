"""Verification against queueing theory: scenarios that reduce gridsim to textbook queues.

Run ``python -m sim.verification`` to regenerate ``docs/validation.md``: every check,
its formula and source, and the measured agreement (the tests in
``tests/test_queueing_theory.py`` assert the same checks).

Everything that is not the queue under test is switched off or takes no time:
stations always open, zero intake/triage/closing, no travel, no report delay,
infinite patience, a constant Poisson arrival rate, one area, one group.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .distributions import MAX_HOURS
from .scenario import Scenario, build_scenario
from .statistics import mean_ci

ZERO = {"dist": "fixed", "value": 0.0}


def textbook_scenario(
    lam: float,
    services: dict[str, dict],
    headcount: dict[str, int],
    hours: float,
    warmup_hours: float,
    seed: int = 11,
    intake: dict = ZERO,
    intake_staff: int = 2,
    patience: dict | None = None,
) -> Scenario:
    """One category needing ``services`` (department -> distribution), arrivals at ``lam`` per hour.

    The line station's ``intake`` (``intake_staff`` desks) takes no time unless given; citizens
    queueing there never give up unless ``patience`` is given.
    """
    depts = list(services)
    raw = {
        "name": "textbook",
        "seed": seed,
        "horizon_days": hours / 24.0,
        "warmup_days": warmup_hours / 24.0,
        "calendars": {"always": {"weekdays": list(range(7)), "hours": [[0, 24]]}},
        "departments": {d: {"headcount": headcount[d], "calendar": "always", "stationed_share": 0.0} for d in depts},
        "line_grids": {"only": {"intake_staff": intake_staff, "calendar": "always", "intake": intake}},
        "areas": {"a": {"weight": 1.0}},
        "groups": {
            "g": {
                "arrivals_per_day": lam * 24.0,
                "category_mix": {"c": 1.0},
                "p_right_line_grid": 1.0,
                "report_delay": ZERO,
                "patience": patience or {"dist": "fixed", "value": MAX_HOURS},  # never gives up
                "p_give_up_after_referral": 0.0,
                "travel": {"line_station": 0.0, "comprehensive_station": 0.0, "department": 0.0},
            }
        },
        "categories": {"c": {"departments": depts, "line_grid": "only", "service": services}},
        "merged": {
            "calendar": "always",
            "stationed_share": 0.0,
            "intake": ZERO,
            "triage": ZERO,
            "coordination": ZERO,
            "closing": ZERO,
            "joint_meeting": {"enabled": False},
            "patrol": {"enabled": False},
            "feedback": {"enabled": False},
        },
    }
    return build_scenario(raw, "textbook")


def erlang_c(c: int, lam: float, mu: float) -> tuple[float, float, float]:
    """M/M/c: P(wait > 0), mean wait in queue, utilisation (Erlang C)."""
    a, rho = lam / mu, lam / (c * mu)
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait, p_wait / (c * mu - lam), rho


def pollaczek_khinchine(lam: float, mean: float, second_moment: float) -> float:
    """M/G/1 mean wait in queue: lambda E[S^2] / (2 (1 - rho))."""
    return lam * second_moment / (2 * (1 - lam * mean))


def nelson_tantawi_2(lam: float, mu: float) -> float:
    """Mean response time of a fork-join of two identical M/M/1 stations: (12 - rho)/8 / (mu - lam).

    Exact for two servers (Flatto & Hahn 1984; Nelson & Tantawi 1988).
    """
    return (12 - lam / mu) / 8 / (mu - lam)


def ci(values, level: float = 0.99) -> tuple[float, float, float]:
    """Mean and Student-t interval over independent replications."""
    return mean_ci(np.asarray(values, dtype=float), level)


def office_stats(args) -> dict:
    """One replication: the utilisation row of ``office`` (module-level, so worker processes can run it)."""
    from .simulation import run

    sc, model, office, rep = args
    res = run(sc, models=[model], replication=rep, dimensions=("all",))
    return res.utilisation.set_index("office").loc[office].to_dict()


def sojourns(args) -> float:
    """One replication: mean filing-to-resolution time of appeals created after the warm-up and
    at least ``tail`` hours before the horizon (all of which must be resolved)."""
    from .simulation import run

    sc, model, rep, tail = args
    a = run(sc, models=[model], replication=rep, dimensions=("all",)).appeals
    keep = a[(a["created"] >= sc.warmup_days * 24) & (a["created"] <= sc.horizon - tail)]
    assert (keep["state"] == "resolved").all(), "an appeal well before the horizon is unresolved"
    return float((keep["resolved"] - keep["filed"]).mean())


def replicate(fn, jobs):
    """Run independent replications on both cores, results in the order of ``jobs``."""
    from .executors import in_order

    return in_order(_call, jobs, workers=2, shared=fn)


def _call(fn, job):
    return fn(job)


REPS = 10
CUSTOMERS = 15_000  # per replication, after the warm-up


def horizon(lam: float, rho: float) -> tuple[float, float]:
    """Run length and warm-up (hours): warm-up ~5 relaxation times 1/(mu (1 - sqrt(rho)))^2, mu = 1."""
    warm = 5.0 / (1 - rho**0.5) ** 2
    return warm + CUSTOMERS / lam, warm


def mmc_check(c: int, rho: float, reps: int = REPS) -> list[dict]:
    """M/M/c at load ``rho``: rows (check, analytic, estimate, lo, hi) for Wq, P(wait > 0), utilisation."""
    lam = rho * c
    hours, warm = horizon(lam, rho)
    sc = textbook_scenario(
        lam, {"d": {"dist": "exponential", "mean": 1.0}}, {"d": c}, hours, warm, seed=100 + 10 * c + round(10 * rho)
    )
    rows = replicate(office_stats, [(sc, "siloed", "dept:d", r) for r in range(reps)])
    p_wait, wq, util = erlang_c(c, lam, 1.0)
    name = f"M/M/{c}, rho = {rho}"
    return [
        {
            "check": f"{name}: mean wait in queue (h)",
            "formula": "Erlang C: C(c,a) / (c mu - lambda)",
            "analytic": wq,
            "estimate": ci([r["mean_wait_h"] for r in rows]),
        },
        {
            "check": f"{name}: P(wait > 0)",
            "formula": "Erlang C",
            "analytic": p_wait,
            "estimate": ci([r["share_waited"] for r in rows]),
        },
        {
            "check": f"{name}: utilisation",
            "formula": "lambda / (c mu)",
            "analytic": util,
            "estimate": ci([r["utilisation"] for r in rows]),
        },
        {"max_busy": max(r["max_busy"] for r in rows), "c": c},
    ]


MG1_CASES = {
    # A moderate cv: with heavy tails (cv >= 1.5) replication means are so skewed that a
    # t-interval under-covers at any affordable run length: that would test the CI, not the engine.
    "lognormal": ({"dist": "lognormal", "mean": 1.0, "cv": 0.75}, 1.0 + 0.75**2),
    "deterministic": ({"dist": "fixed", "value": 1.0}, 1.0),
}


def mg1_check(kind: str, reps: int = REPS) -> dict:
    """M/G/1 at rho = 0.8: Pollaczek–Khinchine mean wait."""
    service, m2 = MG1_CASES[kind]
    lam = 0.8
    hours, warm = horizon(lam, lam)
    sc = textbook_scenario(lam, {"d": service}, {"d": 1}, hours, warm, seed=200 + list(MG1_CASES).index(kind))
    rows = replicate(office_stats, [(sc, "siloed", "dept:d", r) for r in range(reps)])
    return {
        "check": f"M/G/1 {kind}, rho = 0.8: mean wait in queue (h)",
        "formula": "Pollaczek–Khinchine: lambda E[S^2] / (2 (1 - rho))",
        "analytic": pollaczek_khinchine(lam, 1.0, m2),
        "estimate": ci([r["mean_wait_h"] for r in rows]),
    }


def tandem_check(reps: int = REPS) -> dict:
    """Siloed two-department path as two M/M/1 in tandem (Jackson network)."""
    lam, mu1, mu2 = 0.5, 1.0, 0.8
    hours, warm = horizon(lam, lam / mu2)
    services = {"d1": {"dist": "exponential", "mean": 1 / mu1}, "d2": {"dist": "exponential", "mean": 1 / mu2}}
    sc = textbook_scenario(lam, services, {"d1": 1, "d2": 1}, hours, warm, seed=300)
    return {
        "check": "siloed two departments = tandem M/M/1 (lambda 0.5, mu 1 and 0.8): sojourn (h)",
        "formula": "Jackson: 1/(mu1 - lambda) + 1/(mu2 - lambda)",
        "analytic": 1 / (mu1 - lam) + 1 / (mu2 - lam),
        "estimate": ci(replicate(sojourns, [(sc, "siloed", r, 200.0) for r in range(reps)])),
    }


def fork_join_check(reps: int = REPS) -> dict:
    """Merged parallel dispatch to two departments as a fork-join of two M/M/1."""
    lam, mu = 0.5, 1.0
    hours, warm = horizon(lam, lam / mu)
    services = {"d1": {"dist": "exponential", "mean": 1 / mu}, "d2": {"dist": "exponential", "mean": 1 / mu}}
    sc = textbook_scenario(lam, services, {"d1": 1, "d2": 1}, hours, warm, seed=400)
    return {
        "check": "merged parallel dispatch = fork-join of two M/M/1 (lambda 0.5, mu 1): response (h)",
        "formula": "Flatto–Hahn / Nelson–Tantawi: (12 - rho)/8 / (mu - lambda)",
        "analytic": nelson_tantawi_2(lam, mu),
        "estimate": ci(replicate(sojourns, [(sc, "merged", r, 200.0) for r in range(reps)])),
    }


def little_check(model: str, overrides: tuple[str, ...] = ()) -> dict:
    """Little's law at every office of the default scenario (finite-horizon form, from the warm-up on)."""
    from .simulation import run
    from .scenario import load_scenario

    sc = load_scenario(overrides=list(overrides))
    util = run(sc, models=[model], dimensions=("all",)).utilisation
    util = util[util["jobs"] > 0]
    lw = util["throughput_per_h"] * util["mean_sojourn_h"] + util["edge_hours"] / (sc.horizon - util["since_h"])
    worst = float(((util["mean_present"] - lw).abs() / util["mean_present"]).max())
    return {
        "check": f"Little's law, every office of the default street ({model}, {len(util)} offices)",
        "formula": "L = lambda W + edge / T",
        "analytic": 0.0,
        "estimate": (worst, float("nan"), float("nan")),
        "note": "largest relative error",
    }


# ---- the same checks through the path users run: a scenario file and `gridsim compare`
EXP = {"dist": "exponential", "mean": 1.0}


def erlang_a_abandonment(lam: float, mu: float, theta: float, c: int, cap: int = 400) -> float:
    """M/M/c+M (Erlang A): P(a customer gives up), from the birth-death chain with deaths min(n, c) mu + (n - c)+ theta.

    >>> round(erlang_a_abandonment(1.0, 1.0, 1e-9, 2), 6)   # no patience limit: nobody leaves
    0.0
    """
    n = np.arange(cap + 1)
    death = np.minimum(n, c) * mu + np.maximum(n - c, 0) * theta
    logp = np.concatenate([[0.0], np.cumsum(np.log(lam) - np.log(death[1:]))])
    p = np.exp(logp - logp.max())
    p /= p.sum()
    return theta * float((np.maximum(n - c, 0) * p).sum()) / lam


#: A check run through the CLI: (metric, what it measures, formula, analytic value).
CliCheck = tuple[str, str, str, float]
#: A case of them: the scenario, its title, its checks and the largest relative half-width allowed.
CliCase = tuple[Scenario, str, list[CliCheck], float]


def _mmc_case(c: int, rho: float, tol: float, customers: int, service: dict = EXP, m2: float | None = None) -> CliCase:
    lam = rho * c
    hours, warm = horizon(lam, rho)
    sc = textbook_scenario(
        lam,
        {"d": service},
        {"d": c},
        warm + customers / lam,
        warm,
        seed=500 + 10 * c + round(100 * rho) + len(str(service)),
    )
    if m2 is None:
        p_wait, wq, util = erlang_c(c, lam, 1.0)
        kind = f"M/M/{c}"
        checks = [
            ("mean_wait_h@dept:d", "mean wait in queue (h)", "Erlang C", wq),
            ("share_waited@dept:d", "P(wait > 0)", "Erlang C", p_wait),
        ]
    else:
        kind = f"M/G/1 {service['dist']}"
        checks = [
            ("mean_wait_h@dept:d", "mean wait in queue (h)", "Pollaczek–Khinchine", pollaczek_khinchine(lam, 1.0, m2))
        ]
    checks.append(("utilisation@dept:d", "utilisation", "lambda / (c mu)", rho))
    return sc, f"{kind}, rho = {rho}", checks, tol


def _intake_case(tol: float, customers: int) -> CliCase:
    """The line station's intake desk as M/M/2 at rho 0.7: its waits, and the response time (wait + intake)."""
    c, rho, s = 2, 0.7, 0.5
    lam = rho * c / s
    hours, warm = horizon(lam * s / c, rho)
    sc = textbook_scenario(
        lam,
        {"d": ZERO},
        {"d": 1},
        warm + customers / lam,
        warm,
        seed=610,
        intake={"dist": "exponential", "mean": s},
        intake_staff=c,
    )
    p_wait, wq, _ = erlang_c(c, lam, 1 / s)
    return (
        sc,
        "intake desk M/M/2, rho = 0.7",
        [
            ("mean_wait_h@line:only:a", "mean wait in queue (h)", "Erlang C", wq),
            ("share_waited@line:only:a", "P(wait > 0)", "Erlang C", p_wait),
            ("response_time_from_filing_mean", "mean response time (h)", "Wq + E[intake]", wq + s),
        ],
        tol,
    )


def _patience_case(tol: float, customers: int) -> CliCase:
    """Citizens who give up queueing at the intake desk: M/M/3+M (Erlang A), offered load 1.0 per desk."""
    c, lam, mu, theta = 3, 3.0, 1.0, 1.0
    hours, warm = horizon(lam / c, 0.8)
    sc = textbook_scenario(
        lam,
        {"d": ZERO},
        {"d": 1},
        warm + customers / lam,
        warm,
        seed=620,
        intake={"dist": "exponential", "mean": 1 / mu},
        intake_staff=c,
        patience={"dist": "exponential", "mean": 1 / theta},
    )
    return (
        sc,
        "intake desk M/M/3+M (Erlang A), lambda 3, mu 1, patience 1 h",
        [("abandonment_rate", "P(gives up)", "Erlang A birth-death chain", erlang_a_abandonment(lam, mu, theta, c))],
        tol,
    )


#: name -> (builder, kwargs): the checks run through `gridsim compare`; ``tol`` is the largest relative 99%
#: half-width allowed, so that a bias of 2 × tol (5% at rho <= 0.8, 10% at 0.9) could not pass.
CLI_CASES: dict[str, tuple[Callable[..., CliCase], dict[str, Any]]] = {
    "M/M/1 rho 0.5": (_mmc_case, dict(c=1, rho=0.5, tol=0.025, customers=120_000)),
    "M/M/1 rho 0.8": (_mmc_case, dict(c=1, rho=0.8, tol=0.025, customers=450_000)),
    "M/M/1 rho 0.9": (_mmc_case, dict(c=1, rho=0.9, tol=0.05, customers=300_000)),
    "M/M/5 rho 0.8": (_mmc_case, dict(c=5, rho=0.8, tol=0.025, customers=550_000)),
    "M/G/1 gamma": (
        _mmc_case,
        dict(c=1, rho=0.8, tol=0.025, customers=400_000, service={"dist": "gamma", "mean": 1.0, "cv": 0.5}, m2=1.25),
    ),
    "M/G/1 uniform": (
        _mmc_case,
        dict(
            c=1,
            rho=0.8,
            tol=0.025,
            customers=400_000,
            service={"dist": "uniform", "low": 0.0, "high": 2.0},
            m2=1 + 1 / 3,
        ),
    ),
    "M/G/1 triangular": (
        _mmc_case,
        dict(
            c=1,
            rho=0.8,
            tol=0.025,
            customers=200_000,
            service={"dist": "triangular", "low": 0.0, "mode": 1.0, "high": 2.0},
            m2=1 + 1 / 6,
        ),
    ),
    "intake M/M/2": (_intake_case, dict(tol=0.025, customers=350_000)),
    "Erlang A": (_patience_case, dict(tol=0.025, customers=60_000)),
}


def cli_check(name: str, folder, reps: int = REPS, workers: int = 2, scale: float = 1.0) -> list[dict]:
    """Write the case's scenario file, run ``gridsim compare`` on it, and judge each measure at 99%.

    Rows as :func:`all_checks` gives, with ``tol`` and ``half_rel`` (the 99% half-width over the
    analytic value): a row passes when the analytic value lies in the interval and ``half_rel <= tol``.
    """
    import pandas as pd
    from pathlib import Path

    from .cli import main

    build, kw = CLI_CASES[name]
    kw = dict(kw, customers=int(kw["customers"] * scale))
    sc, title, checks, tol = build(**kw)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "scenario.yaml"
    path.write_text(sc.to_yaml(), encoding="utf-8")
    out = folder / "compare"
    code = main(
        [
            "compare",
            str(path),
            "--reps",
            str(reps),
            "--model",
            "siloed",
            "--workers",
            str(workers),
            "--quiet",
            "--out",
            str(out),
        ]
    )
    if code != 0:
        raise RuntimeError(f"gridsim compare exited {code} on {path}")
    reps_df = pd.read_csv(out / "replications.csv")
    rows = []
    for metric, what, formula, analytic in checks:
        est = ci(reps_df.loc[reps_df["metric"] == metric, "value"].to_numpy(dtype=float))
        half_rel = (est[2] - est[1]) / 2 / abs(analytic)
        rows.append(
            {
                "check": f"{title}: {what}",
                "formula": formula,
                "analytic": analytic,
                "estimate": est,
                "tol": tol,
                "half_rel": half_rel,
            }
        )
    return rows


def all_checks() -> list[dict]:
    """Every verification check, as table rows."""
    rows = []
    for c in (1, 3):
        for rho in (0.5, 0.7, 0.9):
            rows += mmc_check(c, rho)[:3]
    rows += [
        mg1_check("lognormal"),
        mg1_check("deterministic"),
        tandem_check(),
        fork_join_check(),
        little_check("siloed"),
        little_check("merged"),
    ]
    return rows


def markdown(rows: list[dict]) -> str:
    """The validation table in Markdown."""
    out = ["| check | formula | analytic | simulated (99% CI) | agrees |", "|---|---|---|---|---|"]
    for r in rows:
        mean, lo, hi = r["estimate"]
        if r.get("note"):
            out.append(
                f"| {r['check']} | {r['formula']} | exact | {r['note']}: {mean:.1e} | "
                f"{'yes' if mean < 1e-9 else 'NO'} |"
            )
            continue
        ok = lo <= r["analytic"] <= hi
        out.append(
            f"| {r['check']} | {r['formula']} | {r['analytic']:.4f} | {mean:.4f} [{lo:.4f}, {hi:.4f}] | "
            f"{'yes' if ok else 'NO'} |"
        )
    return "\n".join(out)


def cli_markdown(rows: list[dict]) -> str:
    """The table of the checks run through ``gridsim compare``, with each one's power requirement."""
    out = [
        "| check | formula | analytic | simulated (99% CI) | half-width | allowed | agrees |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        mean, lo, hi = r["estimate"]
        ok = lo <= r["analytic"] <= hi and r["half_rel"] <= r["tol"]
        out.append(
            f"| {r['check']} | {r['formula']} | {r['analytic']:.4f} | {mean:.4f} [{lo:.4f}, {hi:.4f}] | "
            f"±{100 * r['half_rel']:.1f}% | ±{100 * r['tol']:.1f}% | {'yes' if ok else 'NO'} |"
        )
    return "\n".join(out)


def _replace_block(doc: str, tag: str, block: str) -> str:
    start, end = f"<!-- {tag}:start -->", f"<!-- {tag}:end -->"
    block = f"{start}\n{block}\n{end}"
    return doc.split(start)[0] + block + doc.split(end)[1] if start in doc else doc + "\n" + block + "\n"


if __name__ == "__main__":  # pragma: no cover - a script that writes docs/validation.md
    import sys
    import tempfile
    import time
    from pathlib import Path

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/validation.md")
    doc = target.read_text(encoding="utf-8") if target.exists() else ""
    t0 = time.time()
    table = markdown(all_checks())
    doc = _replace_block(
        doc,
        "table",
        f"{table}\n\n_Generated by `python -m sim.verification` in "
        f"{time.time() - t0:.0f} s, {REPS} replications of {CUSTOMERS:,} customers "
        "per check after warm-up._",
    )
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [r for name in CLI_CASES for r in cli_check(name, Path(tmp) / name.replace("/", "-"))]
    cli = cli_markdown(rows)
    doc = _replace_block(
        doc,
        "cli",
        f"{cli}\n\n_Generated by `python -m sim.verification` in {time.time() - t0:.0f} "
        f"s: each case a scenario file run by `gridsim compare --reps {REPS}`._",
    )
    target.write_text(doc, encoding="utf-8")
    print(table + "\n\n" + cli)
