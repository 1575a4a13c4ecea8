"""End to end in a real headless Chromium: `streamlit run app.py`, upload, charts, JSON download."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from paths import SEED_DIR

from forecasting.settings import METRICS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SEED = SEED_DIR
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "e2e"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
RUN_TIMEOUT_MS = 120_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"streamlit exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"streamlit was not healthy after {limit:.0f} s:\n{log.read_text()}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL to the server's own process group (its pool workers included)."""
    if server.poll() is None:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # the group this test created for the server
    server.wait(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: `make browser` installs Debian's chromium "
                    "(Playwright cannot download its own browser here)")
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log, limit=90)
        yield url
    finally:
        _stop(proc)


def _wait_until_idle(page: object) -> None:
    """The page has finished running: no 'Running...' status widget, for a moment in a row."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    # The widget's running icon carries aria-label "Running..." and this test id.
    running = page.locator('[data-testid="stStatusWidgetRunningIcon"]')
    for _ in range(3):  # a rerun can start right after one ends (e.g. the mapping table settling)
        running.first.wait_for(state="hidden", timeout=RUN_TIMEOUT_MS)
        page.wait_for_timeout(1000)


def _screenshot_whole_page(page: object, path: Path) -> None:
    """Streamlit scrolls inside its main container, so grow the viewport to fit it first."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
        "[data-testid=stAppViewContainer], body')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 50, 8000)})
    page.wait_for_timeout(1500)  # let Plotly redraw at the new size
    page.screenshot(path=str(path), full_page=True)


def test_upload_forecast_and_download_report_in_chromium(server: str) -> None:
    sample = SEED / "sample_financial_data.csv"
    if not sample.is_file():
        pytest.skip(f"seed fixture {sample} is absent")
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                          accept_downloads=True)
            page = context.new_page()
            page.goto(server, wait_until="domcontentloaded")

            # The bundled sample first: the page is usable before anything is uploaded.
            expect(page.get_by_text("company_financials.csv (bundled sample)").first) \
                .to_be_visible(timeout=RUN_TIMEOUT_MS)
            _wait_until_idle(page)

            page.set_input_files("input[type=file]", str(sample))
            # The caption names the months of the uploaded file once it has been analysed.
            expect(page.get_by_text("24 months, 2023-01 to 2024-12", exact=False).first) \
                .to_be_visible(timeout=RUN_TIMEOUT_MS)
            _wait_until_idle(page)
            core_charts = page.locator(".js-plotly-plot").filter(visible=True)
            expect(core_charts.nth(3)).to_be_visible(timeout=RUN_TIMEOUT_MS)
            assert core_charts.count() >= 4
            expect(page.get_by_text("Revenue ·", exact=False).first).to_be_visible()

            page.get_by_role("tab", name="Downloads").click()
            button = page.get_by_role("button", name="Download report (JSON)")
            expect(button).to_be_visible(timeout=30_000)
            with page.expect_download(timeout=60_000) as download_info:
                button.click()
            download = download_info.value
            assert download.suggested_filename == "forecast_report.json"
            body = json.loads(Path(download.path()).read_text(encoding="utf-8"))
            report = body["full_analysis_report"]
            assert set(report["forecast_chart"]) == set(METRICS)
            assert all(len(rows) == 3 for rows in report["forecast_chart"].values())
            assert report["metadata"]["source_files"] == ["sample_financial_data.csv"]

            page.get_by_role("tab", name="Core").click()
            _screenshot_whole_page(page, ARTIFACTS / "dashboard.png")
            text = page.inner_text("body")
            assert "Traceback" not in text
            assert "This data cannot be forecast" not in text
        finally:
            browser.close()
