"""How gridsim's figures look, applied only while a figure function runs.

Nothing here touches matplotlib's global state: a notebook that imports gridsim keeps its
backend and its style.  Figures are made without pyplot (:func:`subplots`), so no backend is
needed to save them; the shipped CJK font is registered on first use (that adds a font to
matplotlib's list and changes no setting), and :data:`STYLE` applies inside :func:`styled`
functions only.  Importing this module does not import matplotlib.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# Chinese labels render with the shipped WenQuanYi Micro Hei (Apache-2.0), as a fallback to DejaVu Sans.
CJK_FONT = Path(__file__).with_name("fonts") / "wqy-microhei.ttc"
#: The settings every figure of gridsim is drawn with.
STYLE: dict[RcKeyType, Any] = {"font.family": ["DejaVu Sans", "WenQuanYi Micro Hei"]}


@functools.cache
def _register_font() -> None:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(CJK_FONT))


def styled(figure_function):
    """Run a figure function in :data:`STYLE` (text takes its font when it is made, so while the function runs)."""

    @functools.wraps(figure_function)
    def run(*args, **kwargs):
        import matplotlib

        _register_font()
        with matplotlib.rc_context(STYLE):
            return figure_function(*args, **kwargs)

    return run


@functools.cache
def _figure_class():
    """A Figure drawn in :data:`STYLE`: tick labels and legend texts are made when a figure is drawn (saved),
    after the figure function has returned, so the style must hold then too."""
    import matplotlib
    from matplotlib.figure import Figure

    class StyledFigure(Figure):
        def draw(self, renderer):
            with matplotlib.rc_context(STYLE):
                return super().draw(renderer)

    return StyledFigure


def subplots(nrows: int = 1, ncols: int = 1, *, figsize=None, **kwargs):
    """``plt.subplots`` without pyplot: a figure of its own, saved with ``savefig``, freed when dropped.

    >>> fig, ax = subplots(figsize=(2, 2))
    >>> fig.canvas.manager is None  # pyplot does not know it
    True
    """
    _register_font()
    fig = _figure_class()(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def log_axis(axis) -> None:
    """A log scale on ``axis`` (``ax.xaxis``) labelled with plain numbers ("0.1", "10", "1000"): easier to read
    than 10^n, and matplotlib's mathtext for 10^n cost a third of a second a figure."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axis.axes.set_xscale("log") if axis.axis_name == "x" else axis.axes.set_yscale("log")
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())
