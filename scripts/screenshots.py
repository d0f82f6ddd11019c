"""Screenshots of the demo page and of a report page, with headless Debian chromium.

    python scripts/screenshots.py [OUT_DIR]      # default docs/screenshots

Needs chromium and chromium-driver (apt-get install chromium chromium-driver) and selenium.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

from sim.demo.server import serve_in_thread


def browser(width: int, height: int):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        "--hide-scrollbars",
    ):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    server, url = serve_in_thread(0)
    d = browser(1400, 1700)
    try:
        d.get(url)
        WebDriverWait(d, 120).until(lambda x: x.find_element("tag name", "body").get_attribute("data-state") == "ready")
        d.save_screenshot(str(out / "demo.png"))
    finally:
        d.quit()
        server.shutdown()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "sim", "compare", "--reps", "10", "--quiet", "--out", tmp], check=True)
        d = browser(1200, 2400)
        try:
            d.get(Path(tmp, "report.html").as_uri())
            d.save_screenshot(str(out / "report.png"))
        finally:
            d.quit()
    print(f"wrote {out / 'demo.png'} and {out / 'report.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots"))
