"""An animated GIF of one simulated day: appeals arriving, queues growing and shrinking, both models.

    gridsim animate [SCENARIO] --day 2 --out day.gif

Each frame shows, for every office of each model, staff busy (grey) and appeals
queueing (colour), and a running count of issues arising that day.  MP4 is written
instead when the file name ends in .mp4 and ffmpeg is present.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from .issues import generate_issues
from .files import atomic_write
from .scenario import Scenario, ScenarioError
from .style import styled

_ORDER = {"hotline": 0, "service_station": 0, "ladder": 1, "line": 1, "station": 1, "leader": 2, "surge": 2}
_ORDER |= {"stationed": 3, "volunteer": 3, "dept": 4}  # any other kind of office after these


def sample_day(sc: Scenario, day: int, step_minutes: float = 10.0) -> dict:
    """Queue and busy counts of every office, every ``step_minutes`` of day ``day`` (1-based), per model."""
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
            frames["queue"], frames["busy"] = [], []
            for t in times:
                yield env.timeout(t - env.now)
                frames["queue"].append([o.queue_length for o in offices])
                frames["busy"].append([o.busy for o in offices])

        simulate(arm, m, issues, policy=policy, probes=[probe])
        created = issues.created
        frames["arrived"] = np.searchsorted(created, times) - np.searchsorted(created, t0)
        out["models"][m] = frames
    return out


@styled
def animate(sc: Scenario, path: str, day: int = 2, step_minutes: float = 15.0, fps: int = 6) -> str:
    """Write the animation of day ``day`` to ``path`` (GIF; MP4 if asked for and ffmpeg exists)."""
    from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter
    from .models import colour
    from .style import subplots
    from .trace import clock

    data = sample_day(sc, day, step_minutes)
    models = list(data["models"])
    fig, axes = subplots(1, len(models), figsize=(6.5 * len(models), 7), squeeze=False)
    bars = []
    for ax, m in zip(axes[0], models):
        f = data["models"][m]
        n = len(f["names"])
        top = max(max(max(q) + max(b) for q, b in zip(f["queue"], f["busy"])), 1)
        busy = ax.barh(range(n), f["busy"][0], color="#bbbbbb", label="staff busy")
        queue = ax.barh(range(n), f["queue"][0], left=f["busy"][0], color=colour(m), label="appeals queueing")
        ax.set_yticks(range(n), [x.replace(":", " ") for x in f["names"]], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, top + 1)
        ax.set_xlabel("appeals at the office (busy staff + queue)")
        ax.legend(loc="lower right", fontsize=8)
        bars.append((ax, m, busy, queue))
    title = fig.suptitle("")

    def draw(k):
        for ax, m, busy, queue in bars:
            f = data["models"][m]
            for j, (rb, rq) in enumerate(zip(busy, queue)):
                rb.set_width(f["busy"][k][j])
                rq.set_x(f["busy"][k][j])
                rq.set_width(f["queue"][k][j])
            ax.set_title(f"{m}: {f['arrived'][k]} issues arisen so far today", color=colour(m))
        title.set_text(f"{sc.name} — {clock(data['times'][k], sc.start_date)}")
        return []

    fig.tight_layout(rect=(0, 0, 1, 0.95))
    anim = FuncAnimation(fig, draw, frames=len(data["times"]), blit=False)
    writer: FFMpegWriter | PillowWriter
    if path.endswith(".mp4"):
        if not shutil.which("ffmpeg"):
            raise ScenarioError("--out", ["MP4 needs ffmpeg, which is not installed: use a .gif name"])
        writer, dpi = FFMpegWriter(fps=fps), 80
    else:
        writer, dpi = PillowWriter(fps=fps), 70
    atomic_write(Path(path), lambda tmp: anim.save(tmp, writer=writer, dpi=dpi))  # whole, or not at all
    return path
