"""An animated GIF of one simulated day: appeals arriving, queues growing and shrinking, both models.

    gridsim animate [SCENARIO] --day 2 --out day.gif

Each frame shows, for every office of each model (by its display name), staff at work (grey),
work under way but paused because the office is closed (hatched: it resumes when it opens), and
appeals queueing (colour), with a running count of issues arising that day.  The axes and names
are drawn once and only the bars and titles each frame (matplotlib blitting), so a day of 96
frames takes seconds; a progress bar shows on a terminal.  MP4 is written instead when the file
name ends in .mp4 and ffmpeg is present.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from .files import atomic_write
from .i18n import _
from .issues import generate_issues
from .scenario import Scenario, ScenarioError
from .style import styled

_ORDER = {"hotline": 0, "service_station": 0, "ladder": 1, "line": 1, "station": 1, "leader": 2, "surge": 2}
_ORDER |= {"stationed": 3, "volunteer": 3, "dept": 4}  # any other kind of office after these
#: Colours of work going on and work paused (the office closed with it under way).
WORKING, PAUSED = "#9a9a9a", "#e4e4e4"


def sample_day(sc: Scenario, day: int, step_minutes: float = 10.0) -> dict:
    """Queue, busy and open flags of every office, every ``step_minutes`` of day ``day`` (1-based), per model."""
    from .simulation import simulate

    if not 1 <= day <= sc.horizon_days:
        raise ScenarioError("--day", [f"expected a day between 1 and {sc.horizon_days:g}"])
    t0 = (day - 1) * 24.0
    times = t0 + np.arange(0, 24 * 60, step_minutes) / 60.0
    out: dict[str, Any] = {"times": times, "models": {}}
    for m in sc.models:
        policy, arm = sc.arm(m)
        issues = generate_issues(arm)
        frames: dict = {}

        def probe(world, frames=frames):
            env = world.env
            offices = sorted(world.offices.values(), key=lambda o: (_ORDER.get(o.name.split(":")[0], 5), o.name))
            frames["names"] = [o.name for o in offices]
            frames["labels"] = [o.label for o in offices]
            frames["queue"], frames["busy"], frames["open"] = [], [], []
            for t in times:
                yield env.timeout(t - env.now)
                frames["queue"].append([o.queue_length for o in offices])
                frames["busy"].append([o.busy for o in offices])
                frames["open"].append([o.calendar.is_open(t) for o in offices])

        simulate(arm, m, issues, policy=policy, probes=[probe])
        created = issues.created
        frames["arrived"] = np.searchsorted(created, times) - np.searchsorted(created, t0)
        out["models"][m] = frames
    return out


@styled
def animate(
    sc: Scenario, path: str, day: int = 2, step_minutes: float = 15.0, fps: int = 6, progress: bool = False
) -> str:
    """Write the animation of day ``day`` to ``path`` (GIF; MP4 if asked for and ffmpeg exists)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from .executors import progress as progress_bar
    from .models import colour
    from .style import subplots
    from .trace import clock

    mp4 = path.endswith(".mp4")
    if mp4 and not shutil.which("ffmpeg"):
        raise ScenarioError("--out", ["MP4 needs ffmpeg, which is not installed: use a .gif name"])
    data = sample_day(sc, day, step_minutes)
    models = list(data["models"])
    fig, axes = subplots(1, len(models), figsize=(6.5 * len(models), 7), squeeze=False)
    fig.set_dpi(80 if mp4 else 70)
    canvas = FigureCanvasAgg(fig)
    panels = []
    for ax, m in zip(axes[0], models):
        f = data["models"][m]
        n = len(f["names"])
        top = max(max(max(q) + max(b) for q, b in zip(f["queue"], f["busy"])), 1)
        busy = ax.barh(range(n), f["busy"][0], color=WORKING, label=_("staff at work"))
        queue = ax.barh(range(n), f["queue"][0], left=f["busy"][0], color=colour(m), label=_("appeals queueing"))
        ax.barh([0], [0], color=PAUSED, hatch="//", edgecolor="#888888", label=_("work paused: office closed"))
        ax.set_yticks(range(n), f["labels"], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, top + 1)
        ax.set_xlabel(_("appeals at the office (staff at work + queue)"))
        legend = ax.legend(loc="lower right", fontsize=8)
        heading = ax.set_title(" ", color=colour(m))
        moving = [*busy, *queue, heading, legend]  # the legend last: over the bars, as in a plain figure
        for a in moving:
            a.set_animated(True)  # left out of the background, drawn each frame
        panels.append((m, busy, queue, heading, moving))
    title = fig.suptitle(" ")
    title.set_animated(True)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)

    def frame(k: int) -> bytes:
        canvas.restore_region(background)
        for m, busy, queue, heading, moving in panels:
            f = data["models"][m]
            for j, (rb, rq) in enumerate(zip(busy, queue)):
                b = f["busy"][k][j]
                rb.set_width(b)
                paused = bool(b) and not f["open"][k][j]
                rb.set_facecolor(PAUSED if paused else WORKING)
                rb.set_hatch("//" if paused else None)
                rq.set_x(b)
                rq.set_width(f["queue"][k][j])
            heading.set_text(_("{model}: {n} issues arisen so far today").format(model=m, n=f["arrived"][k]))
            for a in moving:
                fig.draw_artist(a)
        title.set_text(f"{sc.name} — {clock(data['times'][k], sc.start_date)}")
        fig.draw_artist(title)
        return bytes(canvas.buffer_rgba())

    size = canvas.get_width_height()
    n_frames = len(data["times"])

    def frames():
        with progress_bar(progress, n_frames, "frame", "drawing the day") as bar:
            for k in range(n_frames):
                yield frame(k)
                bar.update()

    write = _mp4 if mp4 else _gif
    atomic_write(Path(path), lambda tmp: write(tmp, frames(), size, fps))  # whole, or not at all
    return path


def _gif(path: str, frames, size: tuple[int, int], fps: int) -> None:
    """The frames as a GIF, each turned into the first frame's palette as it comes (a day's raw frames would
    take hundreds of MiB): the legend puts every colour in the first frame, so nothing flickers."""
    from PIL import Image

    def image(raw: bytes):
        return Image.frombuffer("RGBA", size, raw, "raw", "RGBA", 0, 1).convert("RGB")

    stream = iter(frames)
    first = image(next(stream)).quantize(colors=128)
    rest = [image(raw).quantize(palette=first, dither=Image.Dither.NONE) for raw in stream]
    first.save(path, format="GIF", save_all=True, append_images=rest, duration=round(1000 / fps), loop=0)


def _mp4(path: str, frames, size: tuple[int, int], fps: int) -> None:
    """Frames piped to ffmpeg as raw RGBA (H.264, even sizes)."""
    w, h = size
    cmd = ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{w}x{h}"]
    cmd += ["-r", str(fps), "-i", "-", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p"]
    cmd += ["-f", "mp4", path]
    with subprocess.Popen(cmd, stdin=subprocess.PIPE) as ffmpeg:
        assert ffmpeg.stdin is not None
        for raw in frames:
            ffmpeg.stdin.write(raw)
        ffmpeg.stdin.close()
    if ffmpeg.returncode:
        raise subprocess.CalledProcessError(ffmpeg.returncode, cmd)
