"""HTTP server of the demo: ``GET /`` is the page, ``GET /api/run?lever=value&...`` runs the scenario's models.

What the page shows comes from gridsim's registries, as every report's does: the models compared are
the scenario's ``models`` (a plug-in's or a variant too), with their labels and colours from
:mod:`sim.models`, each against the scenario's ``baseline`` (:func:`sim.models.pairs`); the metrics
are :data:`METRICS`, described by :mod:`sim.metrics` (labels, unit, kind), and ``/api/run`` sends
each one's description and how to write its values (:func:`describe_metric`), so that the page
knows no metric by name.  The levers that act on one model (:data:`MODEL_LEVERS`) are disabled,
with a note, when the scenario runs no such model.

>>> sc = scenario_for({"demand": 0.5, "days": 7})
>>> sc.horizon_days, sc.groups["residents"].arrivals_per_day
(7.0, 11.0)
>>> [m["label"] for m in model_info(sc)], inactive_levers(sc)
(['siloed line grids', 'merged comprehensive grid'], {})
"""

from __future__ import annotations

import copy
import errno
import html
import json
import math
import queue
import threading
from collections import OrderedDict
from concurrent.futures import Future
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from .. import models
from ..metrics import HEADLINE, METRICS as REGISTRY, Metric
from ..scenario import ScenarioError, build_scenario, delegate_simplest, load_scenario, read_scenario
from ..i18n import N_, _, catalogue, current, messages, using
from ..webfont import FONT_STACK, font_face

#: The levers on the page: name -> (label, min, max, step, default).
LEVERS = {
    "demand": (N_("Arrival rate (× base)"), 0.5, 1.5, 0.05, 1.0),
    "stationed_share": (N_("Staff stationed in grids (share)"), 0.0, 0.45, 0.05, 0.25),
    "delegated_share": (N_("Categories delegated to the grid (share)"), 0.0, 1.0, 0.1, 0.4),
    "meeting_every_days": (N_("Joint meeting every N days"), 1, 28, 1, 7),
    "gig_wrong_office": (N_("Gig workers' wrong-office probability"), 0.0, 0.9, 0.05, 0.5),
    "days": (N_("Days simulated"), 7, 90, 1, 60),
}
#: Inches of each figure on the page: at the figures' 110 dpi, 770 × 319 px, the right column of a 1280 × 800
#: projector; matplotlib's 10 pt text is then 15 px.
FIGURE_SIZE = (7.0, 2.9)
#: The page's own words, by the marker they replace in page.html (the script's are in ``<!--WORDS-->``).
PAGE_WORDS = {
    "INTRO": N_("Move a lever: every model runs again on the same people and issues (common random numbers)."),
    "LOADING": N_("loading…"),
}
SCRIPT_WORDS = {
    "metric": N_("metric"),
    "simulating": N_("simulating…"),
    "error": N_("error: "),
    "done": N_("{issues} issues per model, {seconds} s"),
}
#: The levers that act on one governance model (its scenario block): they change something only when
#: the scenario runs that model, a variant of it, or a plug-in model derived from it.
MODEL_LEVERS = {"stationed_share": "merged", "delegated_share": "merged", "meeting_every_days": "merged"}
#: The metrics the page shows: the headline metrics (sim.metrics.HEADLINE, in its order) but for those its
#: one table leaves to the reports; their labels, units and kinds are sim.metrics'.
METRICS: dict[str, Metric] = {
    k: REGISTRY[k]
    for k in HEADLINE
    if k not in ("satisfied_share", "share_3plus_trips", "abandonment_rate", "staff_hours_per_appeal")
}
#: How the page writes a value of each kind of metric (``scale`` × value to ``digits`` decimals, thousands
#: grouped if ``group``, then ``suffix``), as gridsim's tables do: rates in percent, counts whole; times (in
#: hours, the unit is in the label) and means to two decimals.
_BASE: dict = {"path": None, "lang": "en"}
# One simulation at a time: requests arrive on several threads, and matplotlib's pyplot
# (used for the figures) is not thread-safe.  The cache and the pages' latest requests have a
# light lock of their own, so that a setting already simulated never waits behind a slow run.
# The simulations themselves run on one long-lived thread (see _on_worker), not on the
# requests' threads.
_LOCK = threading.Lock()
_STATE = threading.Lock()
CACHE_SIZE = 64  # lever settings kept (each a few hundred KB of figures): memory stays bounded
PAGES = 1000  # pages whose latest request is remembered
_CACHE: OrderedDict = OrderedDict()
_LATEST: OrderedDict = OrderedDict()  # page id -> its newest request's number


class Superseded(Exception):
    """A newer request from the same page came in while this one waited: it is not run."""


def lever_overrides(levers: dict) -> list[str]:
    """The ``--set`` overrides equivalent to lever values, except the delegated share (a lever of its own)."""
    v = {k: levers.get(k, d[4]) for k, d in LEVERS.items()}
    base = load_scenario(_BASE["path"])
    days = int(v["days"])
    # the scenario's warm-up, but never more than a quarter of a short run (something must be measured)
    sets = [
        f"horizon_days={days}",
        f"warmup_days={min(base.warmup_days, days // 4)}",
        f"merged.stationed_share={v['stationed_share']}",
        f"merged.joint_meeting.every_days={int(v['meeting_every_days'])}",
    ]
    sets += [f"groups.{g}.arrivals_per_day={s.arrivals_per_day * v['demand']:g}" for g, s in base.groups.items()]
    if "gig_workers" in base.groups:
        sets.append(f"groups.gig_workers.p_right_line_grid={1 - v['gig_wrong_office']:g}")
    return sets


def scenario_for(levers: dict):
    """The scenario for lever values (missing levers take their defaults)."""
    from ..scenario import apply_overrides, DEFAULT_SCENARIO_PATH

    path = _BASE["path"] or DEFAULT_SCENARIO_PATH
    raw = apply_overrides(copy.deepcopy(read_scenario(path)), lever_overrides(levers))
    delegate_simplest(raw, float(levers.get("delegated_share", LEVERS["delegated_share"][4])))
    return build_scenario(raw, str(path))


def model_info(sc) -> list[dict]:
    """The models ``sc`` compares, as the page shows them: name, labels and colour from the model registry.

    A variant has its policy's Chinese label, its description (or "a variant of ...") and the colour
    the figures give it.
    """
    out = []
    for name in sc.models:
        variant = sc.variants.get(name)
        cls = models.get(variant.policy if variant else name, sc.plugins)
        label = f"{name}: {variant.description or f'a variant of the {cls.label}'}" if variant else cls.label
        out.append({"name": name, "label": label, "label_zh": cls.label_zh, "colour": models.colour(name)})
    return out


def inactive_levers(sc) -> dict[str, str]:
    """The levers that change nothing in ``sc``: lever -> why (the page disables them and says so)."""
    policies = [models.get(sc.variants[m].policy if m in sc.variants else m, sc.plugins) for m in sc.models]
    out = {}
    for lever, model in MODEL_LEVERS.items():
        if not any(issubclass(p, models.get(model)) for p in policies):
            out[lever] = f"no effect: this scenario runs no {model} model (models: {', '.join(sc.models)})"
    if "gig_workers" not in sc.groups:
        out["gig_wrong_office"] = "no effect: this scenario has no gig_workers group"
    return out


def describe_metric(m: Metric) -> dict:
    """A metric as ``/api/run`` describes it: the registry's fields, its label and unit, and how to write a value."""
    return {
        "name": m.name,
        "label": m.label_in(current()),
        "en": m.en,
        "zh": m.zh,
        "unit": m.unit,
        "kind": m.kind,
        "better": m.better,
        "format": m.format,
    }


def _value(v) -> float | None:
    """A metric's value for JSON: ``None`` where there is none (NaN is not JSON)."""
    return None if v is None or math.isnan(v) else float(v)


def _simulate(key: tuple) -> dict:
    """One lever setting's table and figures, in the server's language (this runs on the simulation thread)."""
    with using(_BASE["lang"]):
        return _simulated(key)


def _simulated(key: tuple) -> dict:
    from ..document import figure_tag
    from ..finding import of_run
    from ..plots import hotline_rates_figure, times_figure
    from ..simulation import run

    levers = dict(key)
    sc = scenario_for(levers)
    res = run(sc, dimensions=("all", "group"))
    s = res.summary[res.summary["dimension"] == "all"].set_index(["model", "metric"])["value"]
    table = {m: {model: _value(s.get((model, m))) for model in sc.models} for m in METRICS}
    compared = models.pairs(sc.models, sc.baseline)
    # only the two figures the page shows are made (without pyplot: nothing is left open), at the size they
    # show (FIGURE_SIZE): no scaling in the browser, so their text is as large as the page's
    plots = {
        "times": figure_tag(times_figure(res.appeals, FIGURE_SIZE), "times.png"),
        "rates": figure_tag(hotline_rates_figure(res.summary, FIGURE_SIZE), "rates.png"),
    }
    return {
        "levers": levers,
        "lang": current(),
        "models": model_info(sc),
        "baseline": compared[0][1] if compared else sc.models[0],
        "pairs": [list(p) for p in compared],
        "metrics": table,
        "described": [describe_metric(m) for m in METRICS.values()],
        "issues": int((res.appeals["model"] == sc.models[0]).sum()),  # the same issues under every model
        "plots": plots,
        "finding": " ".join(of_run(res)),  # what the report and the terminal lead with, for this setting
    }


_JOBS: queue.SimpleQueue = queue.SimpleQueue()
_WORKER: list[threading.Thread] = []  # the one simulation thread, started on first use


def _work() -> None:
    while True:
        fn, args, future = _JOBS.get()
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001 (handed to the waiting request, which answers 500)
                future.set_exception(exc)
        del fn, args, future  # nothing of a finished run stays referenced while the thread waits


def _on_worker(fn, *args):
    """``fn(*args)``, run on the one simulation thread; the caller waits for it.

    Requests arrive on a new thread each (``ThreadingHTTPServer``), and glibc gives a thread
    that starts while another is still running a malloc arena of its own, up to eight per
    core.  Were the simulations run on the requests' threads, each arena would in turn grow
    to a whole run's peak (NumPy, pandas and matplotlib buffers) and keep it: memory that
    steps up, tens of MiB at a time, long after the cache is full.  On one thread, every
    run's large allocations come from one arena, which the next run reuses.
    """
    with _STATE:
        if not _WORKER or not _WORKER[0].is_alive():
            _WORKER[:] = [threading.Thread(target=_work, name="gridsim-demo-simulation", daemon=True)]
            _WORKER[0].start()
    future: Future = Future()
    _JOBS.put((fn, args, future))
    return future.result()


def simulate_levers(levers: dict, page: str | None = None, number: int = 0) -> dict:
    """Run the scenario's models for lever values; cached, so moving back to a setting is instant.

    ``page`` and ``number`` identify the request (the page's id and its count of requests): one
    still waiting when a newer request of the same page arrives raises :class:`Superseded`.
    """
    clean = {k: float(levers.get(k, d[4])) for k, d in LEVERS.items()}
    for k, (label, lo, hi, step, default) in LEVERS.items():
        if not lo <= clean[k] <= hi:
            raise ValueError(f"{k} must be between {lo} and {hi}")
    key = tuple(sorted(clean.items()))
    with _STATE:
        if page is not None:
            _LATEST[page] = max(number, _LATEST.pop(page, number))
            while len(_LATEST) > PAGES:
                _LATEST.popitem(last=False)
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    with _LOCK:
        with _STATE:
            if key in _CACHE:  # simulated meanwhile for another request
                return _CACHE[key]
            if page is not None and _LATEST.get(page, number) > number:
                raise Superseded(f"request {number} of this page was superseded by a newer one")
        result = _on_worker(_simulate, key)  # the module's _simulate as it is now (tests replace it)
        with _STATE:
            _CACHE[key] = result
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
        return result


def clear_cache() -> None:
    with _STATE:
        _CACHE.clear()
        _LATEST.clear()


class Handler(BaseHTTPRequestHandler):
    timeout = 60  # seconds a connection may sit idle before the server drops it (a slow or stuck client)

    def log_message(self, *args):  # quiet: this is a classroom tool
        pass

    def _send(self, code: int, body: bytes, kind: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's name)
        url = urlparse(self.path)
        if url.path in ("/", "/index.html"):
            return self._send(200, page().encode(), "text/html; charset=utf-8")
        if url.path == "/api/run":
            try:
                query = parse_qs(url.query)
                q = {k: float(v[0]) for k, v in query.items() if k in LEVERS}
                page_id = query.get("page", [None])[0]
                data = simulate_levers(q, page_id[:64] if page_id else None, int(query.get("n", ["0"])[0]))
            except Superseded as exc:  # the page has moved on: nothing to show
                return self._send(409, json.dumps({"superseded": True, "error": str(exc)}).encode(), "application/json")
            except (ValueError, ScenarioError) as exc:  # bad lever values: the request's fault
                return self._send(400, json.dumps({"error": str(exc)}).encode(), "application/json")
            except Exception as exc:  # noqa: BLE001 (anything else: said to the page, the server keeps serving)
                return self._send(
                    500, json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode(), "application/json"
                )
            return self._send(200, json.dumps(data, ensure_ascii=False).encode(), "application/json")
        return self._send(404, b"not found", "text/plain")


def page() -> str:
    """The demo page in the server's language: its title names the scenario's models, with one slider per lever
    (disabled if inactive)."""
    with using(_BASE["lang"]):
        return _page()


def _page() -> str:
    sc = load_scenario(_BASE["path"])
    shown = model_info(sc)
    off = inactive_levers(sc)
    zh = current() == "zh"
    names = (
        f'<span style="color:{m["colour"]}">{html.escape(m["label_zh"] if zh and m["label_zh"] else m["label"])}</span>'
        + (f" ({html.escape(m['label_zh'])})" if m["label_zh"] and not zh else "")
        for m in shown
    )
    heading = _("Appeals under {models}").format(models=_(" vs ").join(names))
    controls = "".join(_control(k, _(spec[0]), *spec[1:], off.get(k)) for k, spec in LEVERS.items())
    text = (Path(__file__).with_name("page.html")).read_text(encoding="utf-8")
    for mark, value in (
        ("<!--LANG-->", current()),
        ("<!--TITLE-->", html.escape(" vs ".join(sc.models))),
        ("<!--HEADING-->", heading),
        ("<!--CONTROLS-->", controls),
        ("<!--FONT-STACK-->", FONT_STACK),
        *((f"<!--{k}-->", html.escape(_(v))) for k, v in PAGE_WORDS.items()),
        ("<!--WORDS-->", json.dumps({k: _(v) for k, v in SCRIPT_WORDS.items()}, ensure_ascii=False)),
    ):
        text = text.replace(mark, value)
    # the CJK glyphs of the page and of what its requests fill in (metric labels), so that no machine shows boxes
    # and the glyphs of what its requests fill in: the metric labels, and the finding (any message of the catalogue)
    described = " ".join(m.label_in(current()) for m in METRICS.values())
    return text.replace("/*font-face*/", font_face(text + described + messages(current())), 1)


def _control(k: str, label: str, lo, hi, step, d, note: str | None) -> str:
    """The slider of lever ``k``; with a ``note`` (why it changes nothing here), disabled and the note shown."""
    attrs = f'id="{k}" name="{k}" min="{lo}" max="{hi}" step="{step}" value="{d}"' + (" disabled" if note else "")
    said = f'<small id="{k}-note">{html.escape(note)}</small>' if note else ""
    kind = ' class="off"' if note else ""
    return f'<label{kind}>{label}<input type="range" {attrs}><output id="{k}-value">{d}</output>{said}</label>'


def make_server(
    port: int = 8050, scenario: str | None = None, host: str = "127.0.0.1", lang: str = "en"
) -> ThreadingHTTPServer:
    """A server for the demo (not started), speaking ``lang``; ``port=0`` picks a free port."""
    catalogue(lang)  # an unknown language fails before the server starts
    _BASE["path"], _BASE["lang"] = scenario, lang
    clear_cache()
    return ThreadingHTTPServer((host, port), Handler)


def open_server(
    port: int = 8050, scenario: str | None = None, host: str = "127.0.0.1", tries: int = 20, lang: str = "en"
):
    """:func:`make_server` on ``port``, or on the next free one of the ``tries`` from it when it is taken
    (another demo, say); a clear error naming ``--port`` or ``--host`` when none can be opened."""
    last = min(port + tries, 65536)
    for p in range(port, last) if port else [0]:
        try:
            return make_server(p, scenario, host, lang)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                continue
            flag = "--port" if exc.errno == errno.EACCES else "--host"
            raise ScenarioError(flag, [f"cannot serve on {host}:{p}: {exc.strerror or exc}"]) from None
    raise ScenarioError("--port", [f"ports {port} to {last - 1} are all in use on {host}: give a free one with --port"])


def serve_in_thread(port: int = 0, scenario: str | None = None, lang: str = "en"):
    """Start a demo server in a background thread; returns (server, url)."""
    server = make_server(port, scenario, lang=lang)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"
