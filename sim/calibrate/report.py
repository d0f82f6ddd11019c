"""What ``gridsim calibrate`` writes for people: the scenario with its provenance in comments, and a page."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .build import Calibration
from .logs import Log
from ..document import Bullets, Code, Document, Figure, Section, render, table
from ..style import styled


def scenario_yaml(cal: Calibration) -> str:
    """The calibrated scenario as YAML, headed by the fit window and every assumption as comments."""
    head = [
        "# Calibrated by gridsim calibrate: the status quo (siloed) a work-order log records.",
        f"# Fit window: {cal.window[0]} to {cal.window[1]}.",
        "# Not identified by the log (assumed):",
    ]
    head += [f"#   - {f}" for f in cal.flags[1:]]
    return "\n".join(head) + "\n" + cal.scenario.to_yaml()


def _table(df: pd.DataFrame):
    return table(df.reset_index(drop=True), index=False)


def calibration_html(cal: Calibration, log: Log, command: str) -> str:
    """A self-contained page: data quality, arrivals observed against fitted, the fitted times to close."""
    arrivals = []
    for group, prof in cal.arrivals.items():
        seen = prof["exposure"] > 0
        obs, exp = prof["observed"][seen], prof["expected"][seen]
        chi = float(((obs - exp) ** 2 / np.maximum(exp, 1e-9)).sum())
        arrivals.append(
            {
                "group": group,
                "requests": prof["n"],
                "arrivals per day": prof["arrivals_per_day"],
                "observed hour slots": int(seen.sum()),
                "Pearson X² (weekday × hour)": chi,
                "weekdays not observed": ", ".join(map(str, prof["unobserved_weekdays"])) or "none",
            }
        )
    cols = ["category", "department", "dist", "mean", "cv", "n_closed", "n_open", "n_stale", "note"]
    sections = [
        Section("Data quality", [_table(log.quality_frame())]),
        Section(
            "Arrivals (fitted as rate = base × weekday × hour on the observed hours)", [_table(pd.DataFrame(arrivals))]
        ),
        Section(
            "Time to close, fitted with open requests censored (AIC among exponential, lognormal, gamma)",
            [_table(cal.fits[[c for c in cols if c in cal.fits]])],
        ),
        Section("Not identified by the log, assumed", [Bullets(list(cal.flags))]),
        Section("Reproduce", [Code(command)]),
    ]
    head = (
        f"{len(log.table):,} requests kept ({log.format}); {len(cal.scenario.departments)} departments, "
        f"{len(cal.scenario.categories)} categories; fit window {cal.window[0]} to {cal.window[1]}."
    )
    return render(Document(f"Calibration from {log.source}", head, sections), "html")


@styled
def fit_figure(fc):
    """One panel per department: the log's time to close against each replication's, as CDFs."""
    from ..style import log_axis, subplots

    depts = list(fc.curves)
    cols = min(3, len(depts))
    rows = -(-len(depts) // cols)
    fig, axes = subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, d in zip(axes.flat, depts):
        for k, (t, f) in enumerate(fc.curves[d]["sim"]):
            ax.step(
                np.maximum(t, 1e-2),
                f,
                where="post",
                color="#1b9e77",
                alpha=0.35,
                lw=1,
                label="simulated (each replication)" if k == 0 else None,
            )
        t, f = fc.curves[d]["log"]
        ax.step(np.maximum(t, 1e-2), f, where="post", color="black", lw=2, label="log")
        log_axis(ax.xaxis)
        ax.set_title(d, fontsize=10)
        ax.set_xlabel("hours from filing to closing")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(depts) :]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel("share closed")
    axes[0, 0].legend(fontsize=7, loc="upper left")
    fig.suptitle(
        f"Time to close in the check window {fc.window[0]} to {fc.window[1]}: log against simulation "
        f"({fc.reps} replications; open requests censored)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def fit_html(fc, log, command: str) -> str:
    """fit.html: the table of fit.csv and the time-to-close panels."""
    t = fc.table
    judged = t[t["inside"].notna()]
    head = (
        f"{int(judged['inside'].sum())} of {len(judged)} checked figures of the log lie inside the "
        f"simulation's 95% prediction interval ({fc.reps} replications) for requests created "
        f"{fc.window[0]} to {fc.window[1]}."
    )
    sections = [
        Section(
            "Time to close by department",
            [Figure("time to close, log against simulation", draw=lambda: fit_figure(fc))],
        ),
        Section("Figures (fit.csv)", [_table(t)]),
        Section("Reproduce", [Code(command)]),
    ]
    return render(Document(f"Check of the fit against {log.source}", head, sections), "html")
