"""One real-browser test: the app under `streamlit run`, every page opened in headless Chromium.

Set SCREENSHOT_DIR to keep a full-page screenshot of each page (for review).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

#: (URL path, title shown on the page)
PAGES = [
    ("", "Overview"),
    ("contracts", "Contracts"),
    ("balance_sheets", "Balance sheets"),
    ("regions", "Regions"),
    ("sectors", "Sectors"),
    ("credit", "Credit"),
    ("trade_fairs", "Trade fairs"),
    ("deflators", "Deflators"),
    ("model_sectors", "Model sectors"),
    ("input_output", "Input-output shares"),
    ("sector_years", "Sector accounts"),
    ("region_sectors", "Regional activity"),
    ("populations", "Populations"),
    ("roads", "Roads"),
    ("linkage", "Linkage"),
    ("review", "Review queue"),
    ("direct-effects", "Direct effects"),
    ("spillovers", "Spillovers"),
    ("quant-model", "Quantitative model"),
    ("audit", "Audit log & undo"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer {url}/_stcore/health within {timeout:.0f} s")


@pytest.fixture
def app_url(tmp_path):
    """The app on a free port over a brand-new database (so it loads the synthetic demo itself)."""
    port = _free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "workbench/app.py", "--server.headless", "true",
         "--server.port", str(port), "--", "--db", str(tmp_path / "browser.duckdb")],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(f"http://localhost:{port}", server)
        yield f"http://localhost:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_rendered(page, title: str) -> None:
    """The page's title is shown and the script run has finished."""
    page.get_by_role("heading", name=title).first.wait_for(timeout=120_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=120_000)
    page.wait_for_timeout(1500)  # charts and tables draw after the run


def _screenshot(page, file: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to its height."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": max(900, int(height))})
    page.wait_for_timeout(1000)
    page.screenshot(path=str(file), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})


@pytest.mark.timeout(600)
def test_every_page_renders_in_a_real_browser(app_url):
    if not CHROMIUM.exists():
        pytest.skip("the real-browser test needs Debian's /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ["SCREENSHOT_DIR"]) if os.environ.get("SCREENSHOT_DIR") else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        try:
            for path, title in PAGES:
                page.goto(f"{app_url}/{path}")
                _wait_rendered(page, title)
                if shots:
                    _screenshot(page, shots / f"{path or 'overview'}.png")
                assert page.locator('[data-testid="stException"]').count() == 0, f"exception on {title}"
                assert page.get_by_text("SYNTHETIC DEMO DATA").count() >= 1, f"no synthetic badge on {title}"
        finally:
            browser.close()
