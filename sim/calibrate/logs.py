"""Reading a work-order log (12345 工单, a 311 export) into one standard table, saying what was dropped and why.

The standard table has one row per request: ``id``, ``created``, ``closed`` and ``due``
(timestamps, NaT where absent), ``department`` (the owner or agency), ``category``,
``channel`` (in_person, hotline, online, inspection or other), ``source`` (the log's own channel
label), ``area`` and ``status`` (closed, open, cancelled, referred_out).  Nothing else is kept:
names, phone numbers, addresses and free text never leave this module.

Presets name the columns of the exports this project has seen; a small YAML column map
(``--columns map.yaml``, the keys of :data:`FIELDS`) covers any other.  An event log in the
XES / pm4py column names (CSV, Parquet or XES; ``--format eventlog``, or found by ``auto``) is read
one row per case by :mod:`.events`, with the spells of department work it shows (``Log.work``).

>>> sorted(PRESETS)
['12345', 'la311', 'la311-api', 'nyc311', 'nyc311-api']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..scenario import ScenarioError

#: The standard fields, and which a log must have.
FIELDS = ("id", "created", "closed", "due", "department", "category", "channel", "status", "area")
REQUIRED = ("created", "department", "category")

PRESETS: dict[str, dict[str, str]] = {
    "la311": {
        "id": "SRNumber",
        "created": "CreatedDate",
        "closed": "ClosedDate",
        "department": "Owner",
        "category": "RequestType",
        "channel": "RequestSource",
        "status": "Status",
        "area": "CD",
    },
    "la311-api": {
        "id": "srnumber",
        "created": "createddate",
        "closed": "closeddate",
        "department": "owner",
        "category": "requesttype",
        "channel": "requestsource",
        "status": "status",
        "area": "cd",
    },
    "nyc311": {
        "id": "Unique Key",
        "created": "Created Date",
        "closed": "Closed Date",
        "due": "Due Date",
        "department": "Agency",
        "category": "Complaint Type",
        "channel": "Open Data Channel Type",
        "status": "Status",
        "area": "Borough",
    },
    "nyc311-api": {
        "id": "unique_key",
        "created": "created_date",
        "closed": "closed_date",
        "due": "due_date",
        "department": "agency",
        "category": "complaint_type",
        "channel": "open_data_channel_type",
        "status": "status",
        "area": "borough",
    },
    # a 12345 hotline export (工单): the names most exports use
    "12345": {
        "id": "工单编号",
        "created": "受理时间",
        "closed": "办结时间",
        "due": "办结时限",
        "department": "承办单位",
        "category": "诉求类型",
        "channel": "来源渠道",
        "status": "工单状态",
        "area": "所属街道",
    },
}

#: Channel labels (lower case, matched as substrings, first match wins) -> the model's channel.
CHANNEL_WORDS = (
    ("driver self report", "inspection"),
    ("self report", "inspection"),
    ("主动发现", "inspection"),
    ("巡查", "inspection"),
    ("inspection", "inspection"),
    ("patrol", "inspection"),
    ("in_person", "in_person"),
    ("walk", "in_person"),
    ("desk", "in_person"),
    ("internet", "online"),
    ("来访", "in_person"),
    ("窗口", "in_person"),
    ("call", "hotline"),
    ("hotline", "hotline"),
    ("phone", "hotline"),
    ("电话", "hotline"),
    ("热线", "hotline"),
    ("12345", "hotline"),
    ("mobile", "online"),
    ("app", "online"),
    ("self service", "online"),
    ("online", "online"),
    ("email", "online"),
    ("e-mail", "online"),
    ("web", "online"),
    ("网站", "online"),
    ("微信", "online"),
    ("网络", "online"),
    ("小程序", "online"),
)
STATUS_WORDS = (
    ("cancel", "cancelled"),
    ("撤", "cancelled"),
    ("referred", "referred_out"),
    ("转出", "referred_out"),
    ("open", "open"),
    ("pending", "open"),
    ("in progress", "open"),
    ("assigned", "open"),
    ("处理中", "open"),
    ("待", "open"),
    ("closed", "closed"),
    ("办结", "closed"),
    ("已完成", "closed"),
)


@dataclass
class Log:
    """A log in the standard table, its source, the preset or map used, and the data-quality counts."""

    table: pd.DataFrame
    source: str
    format: str
    quality: list[tuple[str, int]] = field(default_factory=list)  # (what, rows)
    work: pd.DataFrame | None = None  # an event log's spells of department work (:func:`.events.work_spells`)

    def quality_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.quality, columns=["what", "rows"])


def _word(value, words, default: str) -> str:
    text = str(value).strip().lower()
    if not text or text == "nan":
        return default
    return next((out for w, out in words if w in text), default)


def _read_raw(path: Path) -> pd.DataFrame:
    """The file as text columns: CSV (UTF-8, or GB18030/GBK as 12345 exports come) or Excel."""
    if not path.is_file():
        raise ScenarioError(str(path), ["no such file"])
    name = path.name.lower()
    if name.endswith((".xes", ".xes.gz")):
        from .events import read_xes

        return read_xes(path)
    if name.endswith(".parquet"):
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise ScenarioError(str(path), [f"not a readable Parquet file ({exc})"]) from None
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        import zipfile

        try:
            return pd.read_excel(path, dtype=str)  # the first sheet
        except ImportError as exc:  # .xls (the old binary format) needs xlrd, not a dependency
            raise ScenarioError(
                str(path),
                [
                    f"reading this workbook needs a package that is not installed ({exc}); "
                    "save the sheet as .xlsx or CSV"
                ],
            ) from None
        except (zipfile.BadZipFile, ValueError, KeyError, OSError) as exc:
            raise ScenarioError(str(path), [f"not a readable Excel workbook ({type(exc).__name__}: {exc})"]) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, encoding=encoding, keep_default_na=False, na_values=[""])
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ScenarioError(str(path), [f"not a readable CSV table ({exc})"]) from None
    raise ScenarioError(str(path), ["neither UTF-8 nor GB18030 text: cannot read it"])


def columns_for(raw: pd.DataFrame, fmt: str, columns: dict | None, source: str) -> tuple[str, dict[str, str]]:
    """The preset (or ``columns`` map) naming this log's columns; ``auto`` picks the preset whose columns it has."""
    if columns:
        unknown = sorted(set(columns) - set(FIELDS))
        if unknown:
            raise ScenarioError("--columns", [f"unknown fields {unknown} (expected some of {list(FIELDS)})"])
        mapping, fmt = dict(columns), "columns"
    elif fmt == "auto":
        found = [k for k, m in PRESETS.items() if all(m[f] in raw.columns for f in REQUIRED)]
        if not found:
            raise ScenarioError(
                source,
                [
                    f"no preset matches its columns (presets: {sorted(PRESETS)}); name them "
                    f"with --columns map.yaml (fields {list(FIELDS)})"
                ],
            )
        fmt, mapping = found[0], PRESETS[found[0]]
    elif fmt in PRESETS:
        mapping = PRESETS[fmt]
    elif fmt == "eventlog":
        raise ScenarioError(
            source,
            [
                "--format eventlog: expected the columns case:concept:name, concept:name and "
                "time:timestamp (XES / pm4py names)"
            ],
        )
    else:
        raise ScenarioError("--format", [f"expected auto, eventlog or one of {sorted(PRESETS)}, got {fmt!r}"])
    missing = [f"{f} ({mapping.get(f)!r})" for f in REQUIRED if mapping.get(f) not in raw.columns]
    if missing:
        raise ScenarioError(source, [f"missing the columns of {', '.join(missing)} ({fmt})"])
    return fmt, {f: c for f, c in mapping.items() if c in raw.columns}


def _one_model(raw: pd.DataFrame, quality: list) -> pd.DataFrame:
    """A gridsim event log holds every model's cases: keep the status quo's (siloed), which a real log records."""
    if "case:model" not in raw.columns or raw["case:model"].nunique() < 2:
        return raw
    keep = raw["case:model"].astype(str) == "siloed"
    if not keep.any():
        raise ScenarioError(
            "case:model",
            [
                f"several models ({sorted(set(raw['case:model'].astype(str)))}) and no "
                "siloed among them: keep one model's cases in the file"
            ],
        )
    quality.append(("dropped: events of other models than siloed (the status quo)", int((~keep).sum())))
    return raw[keep]


def _times(text: pd.Series) -> pd.Series:
    """Timestamps, trying the 311 exports' ``12/31/2017 11:59:58 PM`` first, then ISO and friends."""
    t = pd.to_datetime(text, format="%m/%d/%Y %I:%M:%S %p", errors="coerce")
    rest = t.isna() & text.notna()
    if rest.any():
        t[rest] = pd.to_datetime(text[rest], errors="coerce", format="mixed")
    return t


def read_log(path, fmt: str = "auto", columns: dict | None = None) -> Log:
    """Read ``path`` into a :class:`Log`; bad rows are counted and dropped, never a crash."""
    from .events import cases, is_event_log

    path = Path(path)
    raw = _read_raw(path)
    work = None
    if fmt in ("auto", "eventlog") and not columns and is_event_log(raw.columns):
        quality = [("events read", len(raw))]
        raw = _one_model(raw, quality)
        df, work = cases(raw)
        fmt = "eventlog"
        quality.append(("rows read (one per case)", len(df)))
    else:
        fmt, cols = columns_for(raw, fmt, columns, str(path))
        df = pd.DataFrame({f: raw[c] for f, c in cols.items()})
        quality = [("rows read", len(df))]
        for f in ("created", "closed", "due"):
            df[f] = _times(df[f]) if f in df else pd.NaT
    df["source"] = df["channel"].fillna("") if "channel" in df else ""
    df["channel"] = [_word(v, CHANNEL_WORDS, "other") for v in df["source"]]
    status = df["status"] if "status" in df else pd.Series("", index=df.index)
    df["status"] = [_word(s, STATUS_WORDS, "closed" if pd.notna(c) else "open") for s, c in zip(status, df["closed"])]
    df["area"] = df["area"].fillna("").astype(str).str.strip() if "area" in df else ""
    for f in ("department", "category"):
        df[f] = df[f].fillna("").astype(str).str.strip()
    keep = pd.Series(True, index=df.index)
    for what, bad in (
        ("dropped: created date missing or unreadable", df["created"].isna()),
        ("dropped: department (owner) missing", df["department"] == ""),
        ("dropped: category missing", df["category"] == ""),
        ("dropped: duplicate id", df["id"].duplicated() if "id" in df else pd.Series(False, df.index)),
        ("dropped: closed before created", df["closed"] < df["created"]),
    ):
        bad = bad & keep
        quality.append((what, int(bad.sum())))
        keep &= ~bad
    df = df[keep].reset_index(drop=True)
    closed_unreadable = (df["status"] == "closed") & df["closed"].isna()
    quality.append(("kept, closed but with no readable close date (treated as open)", int(closed_unreadable.sum())))
    df.loc[closed_unreadable, "status"] = "open"
    for s in ("closed", "open", "cancelled", "referred_out"):
        quality.append((f"kept: {s.replace('_', ' ')}", int((df["status"] == s).sum())))
    for ch in ("in_person", "hotline", "online", "inspection", "other"):
        quality.append((f"kept: channel {ch}", int((df["channel"] == ch).sum())))
    quality.append(("kept: area missing", int((df["area"] == "").sum())))
    cols_out = ["id", "created", "closed", "due", "department", "category", "channel", "source", "area", "status"]
    if work is not None:
        work = work[work["id"].isin(df["id"])].reset_index(drop=True)
        quality.append(("spells of department work (start and complete)", len(work)))
    return Log(df.reindex(columns=cols_out), str(path), fmt, quality, work)
