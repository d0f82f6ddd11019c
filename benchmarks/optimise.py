"""The staffing search on a street: wall time, replications simulated, and what it found (target: the
default street, both models, under 10 minutes on two cores).

    python benchmarks/optimise.py [SCENARIO] [--target '响应率>=0.95' ...] [--trials 120] [--workers 2]

Runs ``gridsim optimise`` into a fresh temporary folder (nothing cached), then prints the wall time,
the replications simulated per model and each model's least staffing with its confirmed bounds.
"""

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from sim.cli import main as gridsim


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?")
    ap.add_argument("--target", action="append", help="default: 响应率>=0.95 and 解决率>=0.95")
    ap.add_argument("--trials", type=int, default=120)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="write the results folder here (default: a temporary one)")
    ap.add_argument("--vary", action="append", default=[], help="passed to gridsim optimise")
    a = ap.parse_args()
    targets = a.target or ["响应率>=0.95", "解决率>=0.95"]
    with tempfile.TemporaryDirectory() as d:
        out = a.keep or Path(d) / "o"
        args = [*([a.scenario] if a.scenario else []), "--out", str(out), "--trials", str(a.trials)]
        args += ["--workers", str(a.workers), "--quiet", "--fresh"] + [x for t in targets for x in ("--target", t)]
        args += [x for v in a.vary for x in ("--vary", v)]
        t0 = time.perf_counter()
        code = gridsim(["optimise", *args])
        wall = time.perf_counter() - t0
        if code:
            raise SystemExit(code)
        trials = pd.read_csv(out / "trials.csv")
        confirmed = pd.read_csv(out / "confirmed.csv")
        reps = {m: sum(1 for _ in (out / "evals" / m).glob("*.csv")) for m in trials["model"].unique()}
        print(f"  wall time: {wall:.0f} s on {a.workers} worker(s), targets {', '.join(targets)}")
        for model, g in trials.groupby("model", sort=False):
            ok = g[g["meets_targets"]]
            best = ok.loc[ok["staffed_hours"].idxmin()] if len(ok) else None
            simulated = int(g["n_reps"].sum())
            line = f"  {model}: {len(g)} staffings, {simulated} search replications ({reps[model]} stages); "
            if best is None:
                reached = {c[:-5]: float(g[c].max()) for c in g.columns if c.endswith("_mean") and "rate" in c}
                print(
                    line
                    + "no staffing met the targets; best means "
                    + str({k: round(v, 4) for k, v in reached.items()})
                )
                continue
            c = confirmed[(confirmed["model"] == model) & (confirmed["key"] == best["key"])]
            bounds = ", ".join(f"{r.metric} {r.mean:.4f} (bound {r.bound:.4f})" for r in c.itertuples())
            print(
                line + f"least {best['staffed_hours']:,.0f} staffed hours ({best['headcount']:.0f} staff); "
                f"confirmed: {bounds or 'not confirmed'}"
            )


if __name__ == "__main__":
    main()
