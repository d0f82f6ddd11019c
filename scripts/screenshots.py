"""Screenshots of the report, the demo page and an animation frame, in English and Chinese, with
headless Debian chromium (on a machine without a CJK font the pages' Chinese comes from the font
they embed).

    python scripts/screenshots.py [OUT_DIR]      # default docs/screenshots

Writes report-LANG.png (the top of a 30-replication `gridsim compare` report, 1280 px wide),
demo-LANG.png (the demo at 1280 × 800, a projector) and animation-LANG.png (11:00 of day 2 from
`gridsim animate`), for LANG en and zh. Needs chromium and chromium-driver (apt-get install
chromium chromium-driver) and selenium.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

from sim.demo.server import serve_in_thread

LANGUAGES = ("en", "zh")
FRAME = 44  # 11:00 in frames of 15 minutes


def browser(width: int, height: int):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"):
        opts.add_argument(flag)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    # the viewport itself, not the window around it
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    return d


def small(src: Path, dst: Path, frame: int | None = None) -> None:
    """A PNG of 128 colours (the pictures are flat: a fraction of the bytes, nothing visible lost)."""
    with Image.open(src) as im:
        if frame is not None:
            im.seek(frame)
        im.convert("RGB").quantize(colors=128, dither=Image.Dither.NONE).save(dst, optimize=True)


def gridsim(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "sim", *args], check=True, stdout=subprocess.DEVNULL)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for lang in LANGUAGES:
            folder, raw = Path(tmp, f"compare-{lang}"), Path(tmp, f"shot-{lang}.png")
            gridsim("compare", "--reps", "30", "--quiet", "--lang", lang, "--out", str(folder))
            d = browser(1280, 1700)
            try:
                d.get((folder / "report.html").as_uri())
                d.save_screenshot(str(raw))
            finally:
                d.quit()
            small(raw, out / f"report-{lang}.png")

            server, url = serve_in_thread(0, lang=lang)
            d = browser(1280, 800)
            try:
                d.get(url)
                ready = lambda x: x.find_element("tag name", "body").get_attribute("data-state") == "ready"  # noqa: E731
                WebDriverWait(d, 120).until(ready)
                d.save_screenshot(str(raw))
            finally:
                d.quit()
                server.shutdown()
            small(raw, out / f"demo-{lang}.png")

            gif = Path(tmp, f"day-{lang}.gif")
            gridsim("animate", "--lang", lang, "--out", str(gif))
            small(gif, out / f"animation-{lang}.png", frame=FRAME)
    names = (f"{kind}-{lang}.png" for lang in LANGUAGES for kind in ("report", "demo", "animation"))
    print(f"wrote {', '.join(names)} in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots"))
