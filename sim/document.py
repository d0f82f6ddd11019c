"""A report's content, built once and rendered twice: to Markdown and to HTML, by Jinja2 templates.

A report is a :class:`Document`: a title, a headline and :class:`Section` s of blocks
(:class:`Text`, :class:`Bullets`, :class:`Table`, :class:`Figure`, :class:`Code`).  The builders
(:mod:`sim.report`) say what a report contains, once; the templates in ``sim/templates`` say how
each format shows it.  Text may use two marks of Markdown, ```code``` and ``**strong**``, which the
HTML rendering turns into tags (after escaping everything else).

>>> doc = Document("A street", "Merged did better.", [Section("Result", [Bullets(["see `report.html`"])])])
>>> print(render(doc, "md"), end="")
# A street
<BLANKLINE>
**Merged did better.**
<BLANKLINE>
## Result
<BLANKLINE>
- see `report.html`
>>> "<li>see <code>report.html</code></li>" in render(doc, "html")
True
"""

from __future__ import annotations

import base64
import functools
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Literal

import numpy as np
import pandas as pd
from markupsafe import Markup, escape
from .i18n import current
from .webfont import FONT_STACK, embedded

FORMATS = ("md", "html")
DPI = 110  # the figures' resolution, in the folder and embedded in the page alike


@dataclass
class Text:
    """A paragraph."""

    text: str
    kind: ClassVar[str] = "text"


@dataclass
class Bullets:
    """A bullet list."""

    items: list[str]
    kind: ClassVar[str] = "bullets"


@dataclass
class Table:
    """A table of cells already formatted as text; ``numeric`` names the columns aligned right.

    Build one from numbers with :func:`table`.
    """

    frame: pd.DataFrame
    numeric: frozenset[str] = frozenset()
    index: bool = True
    kind: ClassVar[str] = "table"


@dataclass
class Figure:
    """A figure: the file it is saved as in the results folder (if it is), and how to draw it.

    Markdown links the file when the folder has it; HTML embeds the same PNG, or ``png`` (drawn
    already, see :func:`undrawn`), or draws one.  ``draw`` is a recipe (:mod:`sim.drawing`).
    """

    alt: str
    file: str | None = None
    draw: Callable[[], Any] | None = None
    png: bytes | None = None
    kind: ClassVar[str] = "figure"


@dataclass
class Code:
    """Preformatted text: a command to reproduce, a fixed-width table."""

    text: str
    kind: ClassVar[str] = "code"


Block = Text | Bullets | Table | Figure | Code


@dataclass
class Section:
    heading: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    title: str
    headline: str = ""
    sections: list[Section] = field(default_factory=list)
    lang: str = field(default_factory=current)  # the page's language: the one spoken when it was made


def table(df: pd.DataFrame, fmt: Callable[[Any, Any], str] | None = None, index: bool = True) -> Table:
    """A :class:`Table` of ``df``: ``fmt(column, value)`` formats each cell (missing values show as "–");
    columns holding numbers are aligned right.

    >>> t = table(pd.DataFrame({"n": [1.5, None], "who": ["a", "b"]}), index=False)
    >>> t.frame.values.tolist(), sorted(t.numeric)
    ([['1.5', 'a'], ['–', 'b']], ['n'])
    """
    fmt = fmt or (lambda c, v: _number(v))
    numeric = frozenset(str(c) for c in df.columns if not all(isinstance(v, str) for v in df[c]))
    cells = df.astype(object).copy()
    for c in df.columns:
        cells[c] = [v if isinstance(v, str) else "–" if pd.isna(v) else fmt(c, v) for v in df[c]]
    cells.columns = [str(c) for c in df.columns]
    return Table(cells, numeric, index)


def _number(v) -> str:
    """Whole numbers (and flags) as they are, others to four significant figures."""
    if isinstance(v, (bool, np.bool_, int, np.integer)):
        return str(v)
    return f"{v:.4g}"


def figure_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def figure_tag(fig, alt: str) -> str:
    """A figure as an embedded PNG ``<img>``, for pages made outside a :class:`Document` (the demo's)."""
    data = base64.b64encode(figure_png(fig)).decode()
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def render(doc: Document, fmt: Literal["md", "html"], figures: dict[str, bytes] | None = None) -> str:
    """``doc`` as Markdown or as one self-contained HTML page.

    ``figures``: the PNGs of the figures written into the results folder, by file name.  Markdown
    links those and leaves out the others; HTML embeds those and draws the others.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: expected one of {FORMATS}")
    figures = figures or {}
    images: dict[int, str] = {}
    for section in doc.sections:
        for b in section.blocks:
            if isinstance(b, Figure):
                images[id(b)] = _image(b, fmt, figures)
    text = (
        _templates()
        .get_template(f"report.{fmt}.j2")
        .render(doc=doc, image=lambda b: images.get(id(b), ""), font_stack=FONT_STACK)
    )
    if fmt == "html":
        text = embedded(text)  # the CJK glyphs the page uses, so that no machine shows boxes
    return text.rstrip() + "\n"


def undrawn(doc: Document) -> list[Figure]:
    """The figures of ``doc`` that the page draws itself (no file, no PNG yet): a
    :class:`~sim.drawing.Drawer` can draw them beforehand, into their ``png``."""
    figures = [b for s in doc.sections for b in s.blocks if isinstance(b, Figure)]
    return [f for f in figures if not f.file and f.png is None and f.draw is not None]


def _image(fig: Figure, fmt: str, figures: dict[str, bytes]) -> str:
    """How a figure shows: a link to its file (Markdown), a data URI (HTML), or "" when there is none."""
    if fmt == "md":
        return fig.file if fig.file in figures else ""
    png = figures.get(fig.file) if fig.file else fig.png
    if png is None and fig.draw is not None:
        png = figure_png(fig.draw())
    return "data:image/png;base64," + base64.b64encode(png).decode() if png else ""


_CODE = re.compile(r"`([^`]+)`")
_STRONG = re.compile(r"\*\*(.+?)\*\*")


def inline(text: str) -> Markup:
    """Escaped text with ```code``` and ``**strong**`` as tags.

    >>> str(inline("run `gridsim compare` <now>"))
    'run <code>gridsim compare</code> &lt;now&gt;'
    """
    s = str(escape(text))
    return Markup(_STRONG.sub(r"<strong>\1</strong>", _CODE.sub(r"<code>\1</code>", s)))


def md_table(t: Table) -> str:
    """A pipe table, padded so that it also reads as plain text; numeric columns aligned right."""
    frame = t.frame.reset_index() if t.index else t.frame
    if t.index:
        frame = frame.rename(columns={frame.columns[0]: t.frame.index.name or ""})
    cols = [str(c) for c in frame.columns]
    rows = [[str(v).replace("|", "\\|") for v in r] for r in frame.itertuples(index=False)]
    right = [c in t.numeric for c in cols]
    widths = [max(3, display_width(c), *(display_width(r[k]) for r in rows)) for k, c in enumerate(cols)]

    def line(cells: list[str]) -> str:
        padded = (pad(v, w, r) for v, w, r in zip(cells, widths, right))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if r else ("-" * (w + 2)) for w, r in zip(widths, right)) + "|"
    return "\n".join([line(cols), rule] + [line(r) for r in rows])


def display_width(s: str) -> int:
    """Columns ``s`` takes in a terminal or a fixed-width font: wide and full-width characters (CJK) take two.

    >>> display_width("满意率 rate"), display_width("，")
    (11, 2)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def pad(s: str, width: int, right: bool = False) -> str:
    """``s`` padded to ``width`` columns (by :func:`display_width`), on the left if ``right``."""
    gap = " " * max(width - display_width(s), 0)
    return gap + s if right else s + gap


_TOKEN = re.compile(r"\s+|[\u2e80-\uffef]|[^\s\u2e80-\uffef]+")


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """``text`` in lines of at most ``width`` columns (wide characters count two); a CJK line breaks between
    any two characters, other text between words (a word longer than the line is cut); later lines start with
    ``indent``.

    >>> wrap("the 城运网格 station takes it up", 12, "  ")
    ['the 城运网格', '  station', '  takes it', '  up']
    >>> wrap("网格长协调各部门", 6)
    ['网格长', '协调各', '部门']
    """
    lines, line = [], ""
    for token in _TOKEN.findall(text):
        if token.isspace():
            line += " " if line.strip() else ""
            continue
        while display_width(line + token) > width and display_width(line.rstrip()) > display_width(indent):
            lines.append(line.rstrip())
            line = indent
        while display_width(line + token) > width:  # a token longer than a whole line
            cut = max(1, width - display_width(line))
            while display_width(token[:cut]) > width - display_width(line) and cut > 1:
                cut -= 1
            lines.append(line + token[:cut])
            line, token = indent, token[cut:]
        line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


@functools.cache
def _templates():
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("sim", "templates"),
        autoescape=select_autoescape(["html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters |= {"inline": inline, "md_table": md_table}
    return env
