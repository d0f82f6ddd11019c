"""Reading an event log (XES / pm4py column names) as a work-order log, with the work it shows.

An event log has one row per step of a case: ``case:concept:name``, ``concept:name`` (the
activity), ``time:timestamp``, and often ``lifecycle:transition``, ``org:resource``,
``org:group`` and ``case:*`` attributes.  It is read as CSV, Parquet or XES (``.xes``,
``.xes.gz``) and turned into the standard table of :mod:`.logs`, one row per case:

- ``created``: the case's first ``filed`` event where the log has that activity (gridsim's own
  logs), else its first event;
- ``closed``: its last ``resolution`` event where the log has that activity, else its last event
  (a process-mining log records finished cases); a case that ``gave up`` is ``cancelled``;
- ``department``: the ``org:group`` of its first ``department work`` event, else the first of
  ``case:department``; ``category``, ``channel``, ``area`` and ``due`` from ``case:category``,
  ``case:channel``, ``case:area`` and ``case:deadline`` where present.

Work shows where ``department work`` has ``start`` and ``complete`` events: each pair is one
spell of a department's work on a case (:func:`work_spells`), which identifies work time
apart from queueing, unlike a work-order log's time to close.  Resources (often people's
names) are never kept.

>>> raw = pd.DataFrame({"case:concept:name": ["c1", "c1", "c1", "c1"],
...                     "concept:name": ["filed", "department work", "department work", "resolution"],
...                     "lifecycle:transition": ["complete", "start", "complete", "complete"],
...                     "org:group": ["", "police", "police", "police"], "org:resource": "",
...                     "time:timestamp": ["2024-01-01 08:00", "2024-01-01 09:00", "2024-01-01 11:30",
...                                        "2024-01-01 11:30"]})
>>> t, work = cases(raw)
>>> t[["department", "status"]].values.tolist(), work["hours"].tolist()
([['police', 'closed']], [2.5])
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd

from ..scenario import ScenarioError

CASE, ACTIVITY, TIME = "case:concept:name", "concept:name", "time:timestamp"
WORK = "department work"  # the activity whose start and complete bracket a department's work


def is_event_log(columns) -> bool:
    """Whether a table has the XES / pm4py columns of an event log."""
    return {CASE, ACTIVITY, TIME} <= set(columns)


def read_xes(path: Path) -> pd.DataFrame:
    """An XES file (``.xes`` or ``.xes.gz``) as an event table: trace attributes as ``case:<key>``, as text."""
    rows: list[dict] = []
    opener = gzip.open if path.suffix == ".gz" else open
    case: dict = {}
    in_trace = in_event = False
    try:
        with opener(path, "rb") as f:
            for ev, el in ET.iterparse(f, events=("start", "end")):
                tag = el.tag.rsplit("}", 1)[-1]
                if tag == "trace":
                    in_trace, case = ev == "start", {}
                elif tag == "event":
                    in_event = ev == "start"
                    if ev == "end":
                        rows.append(case | {c.get("key"): c.get("value") for c in el if c.get("key")})
                        el.clear()
                elif ev == "end" and in_trace and not in_event and el.get("key"):
                    case[f"case:{el.get('key')}"] = el.get("value")  # the trace's own attribute
    except (ET.ParseError, OSError, EOFError) as exc:
        raise ScenarioError(str(path), [f"not a readable XES file ({exc})"]) from None
    return pd.DataFrame(rows, dtype=object)


def _times(text: pd.Series) -> pd.Series:
    """Timestamps as the log writes them (a trailing UTC offset dropped: local wall-clock time)."""
    s = text.astype("string").str.strip().str.replace(r"(Z|[+-]\d\d:?\d\d)$", "", regex=True)
    s = s.str.replace("T", " ", regex=False)
    return pd.to_datetime(s, errors="coerce", format="mixed")


def cases(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The event table ``raw`` as one row per case (the fields of :mod:`.logs`), and its work spells."""
    ev = pd.DataFrame(
        {
            "id": raw[CASE].astype(str),
            "activity": raw[ACTIVITY].astype(str).str.strip(),
            "t": _times(raw[TIME]),
            "life": raw.get("lifecycle:transition", pd.Series("complete", index=raw.index))
            .fillna("complete")
            .astype(str)
            .str.lower(),
            "group": raw.get("org:group", pd.Series("", index=raw.index)).fillna("").astype(str),
        }
    )
    ev = ev[ev["t"].notna()].sort_values(["id", "t"], kind="stable")
    done = ev[ev["life"] != "start"]
    by = done.groupby("id", sort=False)
    acts = set(done["activity"])
    first = by["t"].min()
    created = done[done["activity"] == "filed"].groupby("id")["t"].min() if "filed" in acts else first
    closed = done[done["activity"] == "resolution"].groupby("id")["t"].max() if "resolution" in acts else by["t"].max()
    gave_up = set(done.loc[done["activity"] == "gave up", "id"])
    case_attr = raw.groupby(raw[CASE].astype(str), sort=False).first()
    ids = first.index
    table = pd.DataFrame(
        {"id": ids, "created": created.reindex(ids).fillna(first).to_numpy(), "closed": closed.reindex(ids).to_numpy()}
    )
    table["status"] = np.where(
        table["id"].isin(gave_up) & table["closed"].isna(),
        "cancelled",
        np.where(table["closed"].notna(), "closed", "open"),
    )
    work_dept = ev[ev["activity"] == WORK].groupby("id", sort=False)["group"].first()
    fallback = (
        case_attr["case:department"].astype(str).str.split(";").str[0]
        if "case:department" in case_attr
        else by["group"].agg(lambda g: next((x for x in g if x), ""))
    )
    table["department"] = work_dept.reindex(ids).fillna(fallback.reindex(ids)).fillna("").to_numpy()
    for field, col, default in (
        ("category", "case:category", "all"),
        ("channel", "case:channel", ""),
        ("area", "case:area", ""),
        ("due", "case:deadline", None),
    ):
        values = case_attr[col].reindex(ids) if col in case_attr else pd.Series(default, index=ids)
        table[field] = values.to_numpy()
    table["due"] = _times(table["due"].astype("string")) if table["due"].notna().any() else pd.NaT
    return table, work_spells(ev)


def work_spells(ev: pd.DataFrame) -> pd.DataFrame:
    """Each ``start`` of :data:`WORK` paired with the next ``complete`` of the same case and department."""
    w = ev[ev["activity"] == WORK]
    keys = ["id", "group"]
    starts, ends = w[w["life"] == "start"].copy(), w[w["life"] == "complete"].copy()
    for part in (starts, ends):
        part["k"] = part.groupby(keys).cumcount()
    pairs = starts.merge(ends, on=keys + ["k"], suffixes=("_start", "_end"))
    pairs = pairs[pairs["t_end"] >= pairs["t_start"]]
    return pd.DataFrame(
        {
            "id": pairs["id"].to_numpy(),
            "department": pairs["group"].to_numpy(),
            "start": pairs["t_start"].to_numpy(),
            "end": pairs["t_end"].to_numpy(),
            "hours": (pairs["t_end"] - pairs["t_start"]).dt.total_seconds().to_numpy() / 3600.0,
        }
    )
