"""Public holidays shipped with gridsim, by name: the dates offices close, and the weekend days worked instead.

China's official holiday notices (国务院办公厅关于节假日安排的通知) move working days to weekends
around the long holidays (调休); only the Spring Festival (春节) and National Day (国庆) weeks are
listed here, the ones long enough to matter for a backlog.  US federal holidays are the observed
dates (5 U.S.C. 6103), for the 311 logs of ``../shared/data``.  A scenario may list any other dates
itself.

>>> sorted(HOLIDAYS)[:2]
['cn-2024', 'cn-2025']
>>> len(HOLIDAYS["us-federal-2017"]["closed"])
10
"""

from __future__ import annotations

from datetime import date, timedelta


def _span(first: str, last: str) -> list[str]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [(a + timedelta(days=k)).isoformat() for k in range((b - a).days + 1)]


#: name -> {"closed": dates offices close, "workdays": weekend dates worked instead (调休)}
HOLIDAYS: dict[str, dict[str, list[str]]] = {
    # 国办发明电〔2023〕7号: 春节 2月10日至17日, 2月4日(周日)、2月18日(周日)上班;
    # 国庆 10月1日至7日, 9月29日(周日)、10月12日(周六)上班
    "cn-2024": {
        "closed": _span("2024-02-10", "2024-02-17") + _span("2024-10-01", "2024-10-07"),
        "workdays": ["2024-02-04", "2024-02-18", "2024-09-29", "2024-10-12"],
    },
    # 国办发明电〔2024〕12号: 春节 1月28日至2月4日, 1月26日(周日)、2月8日(周六)上班;
    # 国庆 10月1日至8日, 9月28日(周日)、10月11日(周六)上班
    "cn-2025": {
        "closed": _span("2025-01-28", "2025-02-04") + _span("2025-10-01", "2025-10-08"),
        "workdays": ["2025-01-26", "2025-02-08", "2025-09-28", "2025-10-11"],
    },
    "us-federal-2017": {
        "closed": [
            "2017-01-02",
            "2017-01-16",
            "2017-02-20",
            "2017-05-29",
            "2017-07-04",
            "2017-09-04",
            "2017-10-09",
            "2017-11-10",
            "2017-11-23",
            "2017-12-25",
        ],
        "workdays": [],
    },
    "us-federal-2018": {
        "closed": [
            "2018-01-01",
            "2018-01-15",
            "2018-02-19",
            "2018-05-28",
            "2018-07-04",
            "2018-09-03",
            "2018-10-08",
            "2018-11-12",
            "2018-11-22",
            "2018-12-25",
        ],
        "workdays": [],
    },
}


def expand(entries: list[str]) -> tuple[list[date], list[date]]:
    """The closed dates and the worked weekend dates of ``entries`` (ISO dates or names of shipped lists).

    >>> closed, worked = expand(["cn-2024", "2024-05-01"])
    >>> len(closed), len(worked), str(closed[-1])
    (16, 4, '2024-05-01')
    """
    closed, worked = [], []
    for e in entries:
        if e in HOLIDAYS:
            closed += [date.fromisoformat(d) for d in HOLIDAYS[e]["closed"]]
            worked += [date.fromisoformat(d) for d in HOLIDAYS[e]["workdays"]]
        else:
            closed.append(date.fromisoformat(e))
    return closed, worked
