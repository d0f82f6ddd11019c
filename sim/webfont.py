"""The bundled CJK font, cut to the characters a page uses and embedded in it, so that Chinese
shows on any machine (none without a CJK font shows boxes).

:func:`font_face` gives a CSS ``@font-face`` rule for the family :data:`FAMILY`, with the
subset of WenQuanYi Micro Hei (:data:`sim.style.CJK_FONT`) that covers the page's CJK
characters, as WOFF in a data URI: a report's few hundred Chinese characters take tens of
kilobytes, not the font's five megabytes.  A subset is made once per set of characters
(fontTools, which matplotlib installs) and kept in the user's cache folder.

>>> rule = font_face("网格 grid")
>>> rule.startswith('@font-face{font-family:"gridsim CJK";src:url(data:font/woff;base64,')
True
>>> font_face("plain ASCII only, − ± ÷")
''
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
from functools import cache
from pathlib import Path

from .style import CJK_FONT

#: The family name pages use for the embedded font.
FAMILY = "gridsim CJK"
#: What a page's ``font-family`` lists: the embedded font first.  It has no ASCII glyph, so Latin text
#: takes the system's font, and CJK text looks the same on every machine.  (Listed after ``system-ui``,
#: Chromium showed the first CJK runs of a page as boxes even once the font had loaded.)
#: The first code point the embedded font is cut for (CJK radicals, punctuation, ideographs and full-width
#: forms lie above it): "−", "±" and "÷" stay in the system's font, which has them.
CJK_START = 0x2E80
FONT_STACK = f'"{FAMILY}",system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif'


#: The version of :func:`_cut`'s options, in the cache key: change it with them.
CUT = 1


def font_face(text: str) -> str:
    """A CSS ``@font-face`` rule with the CJK glyphs ``text`` needs, or "" when it needs none."""
    chars = "".join(sorted({c for c in text if ord(c) >= CJK_START} & _covered()))
    if not chars:
        return ""
    data = base64.b64encode(_subset(chars)).decode()
    source = f'url(data:font/woff;base64,{data}) format("woff")'
    return f'@font-face{{font-family:"{FAMILY}";src:{source}}}'


def embedded(page: str, marker: str = "/*font-face*/") -> str:
    """``page`` with ``marker`` (in its ``<style>``) replaced by the :func:`font_face` rule of its own text."""
    return page.replace(marker, font_face(page), 1)


@cache
def _covered() -> frozenset[str]:
    """The characters the bundled font has."""
    from fontTools.ttLib import TTFont

    with TTFont(CJK_FONT, fontNumber=0, lazy=True) as font:
        return frozenset(chr(c) for c in font.getBestCmap())


def _subset(chars: str) -> bytes:
    """The font cut to ``chars``, as WOFF: from the cache folder if it was made before."""
    import fontTools

    # a subset is the font, the tool and its options applied to the characters: all of them are in the key
    key = f"{CJK_FONT.stat().st_size}:{fontTools.version}:{CUT}:{chars}"
    folder = _cache_folder()
    cached = folder / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.woff" if folder else None
    try:
        if cached is not None:
            return cached.read_bytes()
    except OSError:
        pass
    data = _cut(chars)
    try:  # a cache that cannot be written only costs the next page the cut again
        from .files import atomic_write

        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(cached, lambda p: Path(p).write_bytes(data))
    except OSError:
        pass
    return data


def _cut(chars: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"  # zlib: no extra library (WOFF2 would need brotli)
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]  # FontForge's timestamps: fontTools cannot cut them and says so
    font = TTFont(CJK_FONT, fontNumber=0)
    sub = subset.Subsetter(options)
    sub.populate(text=chars)
    sub.subset(font)
    buf = io.BytesIO()
    font.flavor = "woff"
    font.save(buf)
    return buf.getvalue()


def _cache_folder() -> Path | None:
    """``$XDG_CACHE_HOME/gridsim/fonts`` (``~/.cache/gridsim/fonts`` by default); None where there is no home
    (a container's user without one): no cache then."""
    try:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except (RuntimeError, KeyError):
        return None
    return Path(base) / "gridsim" / "fonts"
