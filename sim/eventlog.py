"""Event logs out: one row per step of every appeal, in the XES / pm4py column names.

A run asked for an event log (``gridsim run --event-log``) keeps each appeal's steps
(:func:`sim.records.step`); this module turns them into a table with the columns of
process-mining tools (those of ``wabo_receipt_eventlog.csv``: ``case:concept:name``,
``concept:name``, ``time:timestamp``, ``org:resource``, ``org:group``,
``lifecycle:transition``, ``case:*`` attributes) and writes it as CSV, Parquet and XES
(IEEE 1849), which pm4py, ProM, Disco or Celonis read as they are.

Timestamps are real dates from the scenario's ``start_date``; a scenario without one
starts on :data:`NOMINAL_START`, a Monday (so weekdays are right, the dates nominal).

>>> from sim.scenario import load_scenario
>>> from sim.simulation import simulate
>>> from sim.issues import generate_issues
>>> sc = load_scenario(overrides=["horizon_days=3", "warmup_days=0"])
>>> log = frame(simulate(sc, "siloed", generate_issues(sc), events=True), sc)
>>> log.groupby("case:concept:name")["concept:name"].first().unique().tolist()
['issue arises']
>>> {"filed", "intake", "department work", "resolution"} <= set(log["concept:name"])
True
"""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

#: The activities (``concept:name``) and what each is; work has a ``start`` and a ``complete`` event.
ACTIVITIES = {
    "issue arises": "the problem appears (the citizen or a finder may file it later)",
    "filed": "first filed: at a desk (in person), by the hotline, online, or by a finder (主动发现)",
    "hotline call": "a 12345 operator takes the call (start, complete)",
    "dispatch": "the work order reaches a unit (the wrong one first, sometimes)",
    "intake": "a line-grid station, the one door or the unit of a work order takes the appeal in (start, complete)",
    "referral": "sent to another line grid or unit",
    "response": "the first response (响应): the handling unit's first contact with the citizen",
    "assessment": "a department assesses a case no line owns alone (start, complete)",
    "bounce": "the department says it is not theirs (踢皮球)",
    "escalation": "the street office takes an unowned case and assigns it (start, complete)",
    "triage": "the grid leader triages the case (start, complete)",
    "coordination": "the grid leader coordinates the departments of a case no line owns alone (start, complete)",
    "joint meeting": "a hard case waits for the joint meeting (联席会议) that assigns it (start, complete)",
    "on-the-spot work": "stationed staff solve a delegated simple matter (start, complete)",
    "department work": "a department's part of the work (start, complete)",
    "closing": "the one door closes the case (start, complete)",
    "resolution": "the appeal is resolved (办结)",
    "feedback call": "the feedback call (回访) (start, complete)",
    "reopen": "an unsatisfied citizen's appeal reopens",
    "gave up": "the citizen gave up (queueing, hung up, or told to go elsewhere)",
}

NOMINAL_START = date(2024, 1, 1)  # a Monday, as the clock's t = 0 is without a start date

#: Case attributes: (column, record field).
CASE = (
    ("case:model", "model"),
    ("case:replication", "replication"),
    ("case:issue", "issue"),
    ("case:group", "group"),
    ("case:category", "category"),
    ("case:area", "area"),
    ("case:channel", "channel"),
    ("case:department", "departments"),
)
#: Columns with few values, kept as categoricals (a log has many rows).
_CATEGORICAL = (
    "concept:name",
    "lifecycle:transition",
    "org:resource",
    "org:group",
    "case:model",
    "case:group",
    "case:category",
    "case:area",
    "case:channel",
    "case:department",
)


def office_group(key: str) -> str:
    """The organisation an office belongs to (``org:group``), from its key.

    >>> office_group("dept:police"), office_group("line:police:north"), office_group("leader:north")
    ('police', 'police line grid', 'comprehensive grid')
    >>> office_group("ladder:micro_grid:north"), office_group("service_station:north")
    ('micro grid', 'service stations')
    """
    kind, name, *_ = key.split(":")
    if kind == "dept":
        return name
    if kind == "line":
        return f"{name} line grid"
    shared = {"hotline": "12345 hotline", "service_station": "service stations", "ladder": name.replace("_", " ")}
    return shared.get(kind, "comprehensive grid")  # the offices every model has are no grid's


def frame(run, sc, street: str | None = None) -> pd.DataFrame:
    """The event log of one :class:`~sim.simulation.ModelRun` simulated with ``events=True``, in time order per case."""
    recs = [r for r in run.records if r.steps is not None]
    n = [1 + len(r.steps) for r in recs]
    steps = [s for r in recs for s in [(r.created, "issue arises", None, "complete"), *r.steps]]
    t = np.array([s[0] for s in steps], dtype=float)
    offices = [s[2] for s in steps]
    origin = pd.Timestamp(sc.start_date or NOMINAL_START)
    df = pd.DataFrame(
        {
            "case:concept:name": np.repeat([f"{r.model}-{r.replication}-{r.issue}" for r in recs], n),
            "concept:name": [s[1] for s in steps],
            "time:timestamp": origin + pd.to_timedelta(t, unit="h").round("ms"),
            "time:hours": t,
            "lifecycle:transition": [s[3] for s in steps],
            "org:resource": [o.label if o is not None else "" for o in offices],
            "org:group": [office_group(o.name) if o is not None else "" for o in offices],
        }
    )
    for col, attr in CASE:
        df[col] = np.repeat([getattr(r, attr) for r in recs], n)
    deadlines = {k: c.resolution_deadline_hours for k, c in sc.categories.items()}
    due = np.array([deadlines.get(r.category) or np.nan for r in recs]) + np.array([r.created for r in recs])
    df["case:deadline"] = origin + pd.to_timedelta(np.repeat(due, n), unit="h").round("s")
    if street is not None:
        df.insert(1, "case:street", street)
    order = np.lexsort((t, np.repeat(np.arange(len(recs)), n)))  # cases in issue order, steps by time
    df = df.iloc[order].reset_index(drop=True)
    for col in _CATEGORICAL:
        df[col] = df[col].astype("category")
    return df


def frames(runs, sc, street: str | None = None) -> pd.DataFrame:
    """The event logs of several runs (models, replications) as one table."""
    return pd.concat([frame(r, sc, street) for r in runs], ignore_index=True) if runs else pd.DataFrame()


def process_map(df: pd.DataFrame) -> pd.DataFrame:
    """The directly-follows graph of the log's ``complete`` events: source, target, cases' transitions.

    ``source`` is ``▶`` for a case's first activity and ``target`` ``■`` after its last, as
    process-mining tools draw start and end; pm4py's ``discover_dfg`` gives the same counts.

    >>> log = pd.DataFrame({"case:concept:name": ["a", "a", "b"], "concept:name": ["filed", "resolution", "filed"],
    ...                     "lifecycle:transition": "complete"})
    >>> process_map(log).values.tolist()
    [['▶', 'filed', 2], ['filed', 'resolution', 1], ['filed', '■', 1], ['resolution', '■', 1]]
    """
    done = df[df["lifecycle:transition"] == "complete"]
    case = done["case:concept:name"].astype(str).to_numpy()
    act = done["concept:name"].astype(str).to_numpy()
    first = np.r_[True, case[1:] != case[:-1]]
    last = np.r_[first[1:], True]
    src = np.where(first, "▶", np.concatenate([[""], act[:-1]]))
    edges = pd.DataFrame(
        {"source": np.concatenate([src, act[last]]), "target": np.concatenate([act, np.full(last.sum(), "■")])}
    )
    counts = edges.value_counts().rename("transitions").reset_index()
    return counts.sort_values(
        ["transitions", "source", "target"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)


def mermaid(edges: pd.DataFrame, title: str, min_share: float = 0.01) -> str:
    """A process map as a Mermaid flowchart (GitHub and most Markdown viewers draw it).

    Edges taken by fewer than ``min_share`` of the cases are left out (and counted in a note).
    """
    cases = edges.loc[edges["source"] == "▶", "transitions"].sum()
    keep = edges[edges["transitions"] >= min_share * cases]
    nodes = {n: f"n{k}" for k, n in enumerate(dict.fromkeys([*keep["source"], *keep["target"]]))}
    lines = [
        f"%% {title}: {cases} cases; edges under {min_share:.0%} of cases left out "
        f"({len(edges) - len(keep)} of {len(edges)})",
        "flowchart TD",
    ]
    lines += [f'  {k}(["{n}"])' if n in ("▶", "■") else f'  {k}["{n}"]' for n, k in nodes.items()]
    lines += [f"  {nodes[s]} -->|{n}| {nodes[t]}" for s, t, n in keep.itertuples(index=False)]
    return "\n".join(lines)


def process_maps(df: pd.DataFrame) -> str:
    """The process map of each model in the log, as Markdown with a Mermaid chart each."""
    parts = [
        "# Process maps",
        "",
        "Directly-follows graphs of the event log's completed activities, one per model (all replications "
        "in the file; the numbers are transitions). Activities: see `sim/eventlog.py`.",
        "",
    ]
    for model, g in df.groupby("case:model", observed=True, sort=False):
        parts += [f"## {model}", "", "```mermaid", mermaid(process_map(g), str(model)), "```", ""]
    return "\n".join(parts)


#: The files an event log is written as, by suffix.
FILES = (".csv.gz", ".parquet", ".xes.gz", "-process-map.md")


def write(df: pd.DataFrame, put, stem: str = "events") -> None:
    """Write ``df`` as ``<stem>.csv.gz``, ``.parquet``, ``.xes.gz`` and its process maps, through ``put(name, writer)``.

    ``put`` is :meth:`sim.output.ResultsFolder.put` (atomic files) or any callable of a name and a
    function that writes a path.
    """
    put(f"{stem}.csv.gz", lambda p: df.to_csv(p, index=False, compression="gzip", date_format="%Y-%m-%d %H:%M:%S.%f"))
    put(f"{stem}.parquet", lambda p: df.to_parquet(p, index=False))
    put(f"{stem}.xes.gz", lambda p: write_xes(df, p))
    put(f"{stem}-process-map.md", lambda p: Path(p).write_text(process_maps(df), encoding="utf-8"))


def write_into(folder, df: pd.DataFrame, stem: str) -> None:
    """:func:`write` into ``folder``, each file atomically (a replication's or a street's log)."""
    from .files import atomic_write

    write(df, lambda name, writer: atomic_write(Path(folder) / name, writer), stem)


_XES_HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
<global scope="trace"><string key="concept:name" value="__INVALID__"/></global>
<global scope="event"><string key="concept:name" value="__INVALID__"/><date key="time:timestamp" \
value="1970-01-01T00:00:00.000"/></global>
<classifier name="Activity" keys="concept:name"/>
<classifier name="Activity and lifecycle" keys="concept:name lifecycle:transition"/>
"""


def write_xes(df: pd.DataFrame, path) -> None:
    """Write the event log ``df`` (as :func:`frame` makes it) as XES, gzipped when ``path`` ends in ``.gz``.

    One ``<trace>`` per case with the ``case:*`` columns as its attributes (without the prefix),
    one ``<event>`` per row; empty resources are left out.
    """
    case_cols = [c for c in df.columns if c.startswith("case:") and c != "case:concept:name"]
    stamps = df["time:timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3].to_numpy()
    cols = {
        c: df[c].astype(str).to_numpy() for c in ("concept:name", "lifecycle:transition", "org:resource", "org:group")
    }
    hours = df["time:hours"].to_numpy()
    cases = df["case:concept:name"].astype(str).to_numpy()
    starts = np.flatnonzero(np.r_[True, cases[1:] != cases[:-1]])
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as f:
        f.write(_XES_HEAD)
        for a, b in zip(starts, np.r_[starts[1:], len(df)]):
            f.write(f'<trace><string key="concept:name" value={quoteattr(cases[a])}/>')
            f.write("".join(_attr(c.removeprefix("case:"), df[c].iat[a]) for c in case_cols))
            for k in range(a, b):
                res = cols["org:resource"][k]
                f.write(
                    f'<event><string key="concept:name" value={quoteattr(cols["concept:name"][k])}/>'
                    f'<date key="time:timestamp" value="{stamps[k]}"/>'
                    f'<string key="lifecycle:transition" value="{cols["lifecycle:transition"][k]}"/>'
                    + (
                        f'<string key="org:resource" value={quoteattr(res)}/>'
                        f'<string key="org:group" value={quoteattr(cols["org:group"][k])}/>'
                        if res
                        else ""
                    )
                    + f'<float key="time:hours" value="{hours[k]!r}"/></event>'
                )
            f.write("</trace>\n")
        f.write("</log>\n")


def _attr(key: str, value) -> str:
    """One XES attribute element, typed as XES wants (int, float, date or string)."""
    if isinstance(value, (bool, np.bool_)):
        return f'<boolean key="{key}" value="{str(bool(value)).lower()}"/>'
    if isinstance(value, (int, np.integer)):
        return f'<int key="{key}" value="{int(value)}"/>'
    if isinstance(value, pd.Timestamp):
        return f'<date key="{key}" value="{value:%Y-%m-%dT%H:%M:%S}"/>'
    if value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""
    return f'<string key="{key}" value={quoteattr(str(value))}/>'
