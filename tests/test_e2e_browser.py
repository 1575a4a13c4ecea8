"""End to end in a real headless Chromium at a laptop's 1280 px: `streamlit run app.py`, the first
screen, the charts' views and PNG toolbar, tabs that stay put, a level switch that refits nothing,
metrics the data lacks, the speed demo on a busy machine, downloads, and a refused file fixed in
its mapping. Screenshots go to artifacts/e2e/."""

from __future__ import annotations

import contextlib
import json
import os
import re
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
from exports import daily_flows_only, unknown_revenue_header
from playwright.sync_api import Locator, Page, expect, sync_playwright
from shape import mismatches

from forecasting.machine import cpus_available
from forecasting.report_types import Report

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "e2e"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
RUN_TIMEOUT_MS = 180_000
WIDTH = 1280  # a laptop


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


def _wait_until_idle(page: Page) -> None:
    """The page has finished running: Streamlit's app root says its script is not running and
    no forecast progress bar is shown, for a moment in a row (a rerun can start right after one
    ends, e.g. the mapping table settling)."""
    finished = page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
    progress = page.locator('[data-testid="stProgress"]')
    for _ in range(2):
        page.wait_for_timeout(500)
        finished.wait_for(state="attached", timeout=RUN_TIMEOUT_MS)
        progress.first.wait_for(state="hidden", timeout=RUN_TIMEOUT_MS)


def _screenshot_whole_page(page: Page, name: str) -> None:
    """Streamlit scrolls inside its main container, so grow the viewport to fit it first, then
    go back to the laptop's 1280 x 900."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
        "[data-testid=stAppViewContainer], body')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": WIDTH, "height": min(int(height) + 50, 8000)})
    page.wait_for_timeout(1000)  # let Plotly redraw at the new size
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    page.wait_for_timeout(300)


# --- reading the page ----------------------------------------------------------------------------
def _active_tab(page: Page) -> str:
    return page.locator("[role=tab][aria-selected=true]").inner_text().strip()


def _plot(page: Page, title: str) -> Locator:
    """The visible Plotly chart whose title starts with ``title``."""
    return page.locator(".js-plotly-plot").filter(visible=True).filter(
        has=page.locator(".gtitle", has_text=title)).first


def _x_range(chart: Locator) -> list[str]:
    return list(chart.evaluate("gd => gd.layout.xaxis.range.map(String)"))


def _choose(page: Page, option: str) -> None:
    """Click a visible option of a segmented control."""
    page.get_by_text(option, exact=True).filter(visible=True).first.click()


def _upload(page: Page, path: Path, shown: str) -> None:
    page.set_input_files("input[type=file]", str(path))
    expect(page.get_by_text(shown, exact=False).first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    _wait_until_idle(page)


def _watch_for_fits(page: Page) -> None:
    """From now on, window.__fitted turns true if a forecast progress bar ever appears."""
    page.evaluate("""() => { window.__fitted = false;
        new MutationObserver(() => { if (document.querySelector('[data-testid=stProgress]'))
            window.__fitted = true; }).observe(document.body, {childList: true, subtree: true});
    }""")


def _assert_fits_a_laptop(page: Page) -> None:
    """Nothing scrolls sideways at 1280 px and no card label or value is cut off."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= WIDTH, f"the page is {width} px wide"
    cut = page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid=stMetricLabel] p, [data-testid=stMetricValue] div')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)""")
    assert not cut, f"cut off at {WIDTH} px: {cut}"


# --- the walk-through ---------------------------------------------------------------------------
def _first_screen(page: Page) -> None:
    """What the page shows and how to use one's own export; charts on the last two years with
    the whole history a click away; Plotly's PNG download named after the file."""
    expect(page.get_by_text("This page shows the bundled sample").first).to_be_visible(
        timeout=RUN_TIMEOUT_MS)
    expect(_plot(page, "Revenue")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    _wait_until_idle(page)
    expect(page.get_by_text("CSV exports").first).to_be_visible()
    _assert_fits_a_laptop(page)
    page.screenshot(path=str(ARTIFACTS / "01-first-screen.png"))

    revenue = _plot(page, "Revenue")
    # The title leads with the metric and its expected change; the axis writes money like the
    # card above it ($2.2M beside $2.33M, never 2.2m).
    title = revenue.locator(".gtitle").first.text_content() or ""
    assert re.fullmatch(r"Revenue · [+-]\d+\.\d% expected", title), title
    card = page.locator("[data-testid=stMetric]").filter(has_text="Revenue").first
    letter = card.locator("[data-testid=stMetricValue]").inner_text().strip()[-1]
    ticks = revenue.locator(".ytick text").all_text_contents()
    assert ticks and all(re.fullmatch(r"\$\d+(\.\d+)?[KM]", t) for t in ticks), ticks
    assert letter in {t[-1] for t in ticks}, (letter, ticks)
    opened = _x_range(revenue)
    _choose(page, "All history")
    _wait_until_idle(page)
    whole = _x_range(_plot(page, "Revenue"))
    assert whole[0] < "2021-01-01" < opened[0], (opened, whole)  # the sample starts in 2021
    _screenshot_whole_page(page, "02-core-all-history.png")
    _choose(page, "Last 2 years and the forecast")
    _wait_until_idle(page)
    assert _x_range(_plot(page, "Revenue"))[0] > "2023-06-01"

    revenue = _plot(page, "Revenue")
    revenue.hover()
    png = revenue.locator('.modebar-btn[data-title="Download plot as a PNG"]')
    with page.expect_download(timeout=60_000) as download_info:
        png.click()
    assert download_info.value.suggested_filename == "company_financials_revenue.png"


def _display_choices_refit_nothing(page: Page) -> None:
    """On the Timing tab: the mode and the interval level change what is shown, never the tab
    the user is on, and neither starts a fit."""
    page.get_by_role("tab", name="Timing").click()
    _wait_until_idle(page)
    _watch_for_fits(page)
    page.get_by_text("Financial storyteller").click()
    _wait_until_idle(page)
    assert _active_tab(page) == "Timing"
    expect(page.get_by_text("The story so far")).to_be_visible()
    page.get_by_text("80%", exact=True).click()
    _wait_until_idle(page)
    expect(page.get_by_text("at 80%", exact=False).first).to_be_visible()
    assert _active_tab(page) == "Timing"
    assert page.evaluate("() => window.__fitted") is False, "a display choice refitted"


def _missing_metrics(page: Page) -> None:
    """A daily export without balances: one line per metric the data lacks, with the column
    that brings it back and the mapping a click away; the horizon changes on the tab in use."""
    page.get_by_role("tab", name="Ratios").click()
    _wait_until_idle(page)
    slider = page.get_by_role("slider").first
    slider.focus()
    page.keyboard.press("ArrowRight")  # 3 -> 4 months
    expect(page.get_by_text("forecasting 4 months", exact=False).first).to_be_visible(
        timeout=RUN_TIMEOUT_MS)
    _wait_until_idle(page)
    assert _active_tab(page) == "Ratios"

    page.get_by_role("tab", name="Working capital").click()
    _wait_until_idle(page)
    panel = page.get_by_role("tabpanel").filter(visible=True)
    expect(panel.get_by_text("Not in this data")).to_be_visible()
    expect(panel.get_by_text("needs a column for Accounts receivable").first).to_be_visible()
    assert panel.locator(".js-plotly-plot").count() == 0, "empty charts for missing metrics"
    panel.get_by_role("button", name="Open the column mapping").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Apply this mapping")).to_be_visible(timeout=30_000)
    _screenshot_whole_page(page, "03-missing-metrics-mapping-dialog.png")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def _speed_demo_on_a_busy_machine(page: Page) -> None:
    """One CPU burner per CPU beside the comparison: the headline says the machine was busy
    instead of quoting the speedup; the sweep has whole-worker ticks and readable columns."""
    page.get_by_role("tab", name="Timing").click()
    _wait_until_idle(page)
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
               for _ in range(cpus_available())]
    try:
        page.get_by_role("button", name="Compare sequential vs parallel").click()
        expect(page.get_by_text("Same forecasts")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    _wait_until_idle(page)
    _assert_fits_a_laptop(page)
    expect(page.get_by_text("The machine was busy: the workers got").first).to_be_visible()
    expect(page.get_by_text("is not a measure of the engine").first).to_be_visible()
    _screenshot_whole_page(page, "04-timing-busy-machine.png")

    page.get_by_role("button", name="Scaling sweep").click()
    expect(page.get_by_text("Speedup by number of workers").first).to_be_visible(
        timeout=RUN_TIMEOUT_MS)
    _wait_until_idle(page)
    # Whole workers on the axis as drawn (the table's column names are checked in test_app).
    ticks = _plot(page, "Speedup by number of workers").locator(".xtick text").all_text_contents()
    assert ticks and all(t.isdigit() for t in ticks), ticks
    _screenshot_whole_page(page, "05-timing-sweep.png")


def _downloads(page: Page, stem: str) -> None:
    page.get_by_role("tab", name="Downloads").click()
    button = page.get_by_role("button", name="Download report (JSON)")
    expect(button).to_be_visible(timeout=30_000)
    with page.expect_download(timeout=60_000) as download_info:
        button.click()
    download = download_info.value
    assert re.fullmatch(rf"{stem}_forecast_\d{{4}}-\d\d-\d\d\.json",
                        download.suggested_filename), download.suggested_filename
    written = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    # The download, with the comparison and the sweep this session measured, has the declared
    # shape throughout.
    assert mismatches(written, Report) == []
    report = written["full_analysis_report"]
    comparison = report["timing"]["comparison"]
    assert comparison["verdict"] == "busy" and comparison["headline"].startswith("The machine")
    scaling = report["timing"]["scaling"]
    assert [row["workers"] for row in scaling] == list(range(1, len(scaling) + 1))
    assert all(len(rows) == 4 for rows in report["forecast_chart"].values() if rows)


def _refused_file_fixed_in_its_mapping(page: Page, path: Path) -> None:
    _upload(page, path, "This data cannot be forecast yet")
    grid = page.locator('[data-testid="stDataFrame"]').filter(visible=True).first
    expect(grid).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "06-refused-file-mapping.png"))
    box = grid.bounding_box()
    assert box is not None
    # The grid is drawn on a canvas: row 2 (the revenue column), column 'Mapped to'. A double
    # click opens the cell's dropdown; the option is chosen like a user would, by typing.
    page.mouse.dblclick(box["x"] + box["width"] * 0.27, box["y"] + 36 + 35 + 17)
    choice = page.locator("input[role=combobox][aria-expanded=true]")
    expect(choice).to_be_focused(timeout=30_000)
    page.keyboard.type("revenue")
    page.get_by_role("option", name="revenue", exact=True).click()
    expect(page.get_by_text("36 months, 2021-01 to 2023-12").first).to_be_visible(
        timeout=RUN_TIMEOUT_MS)
    _wait_until_idle(page)
    # The grid's cells are mirrored in a hidden accessible table: the column reads 'set by you'.
    expect(page.locator("td[role=gridcell]", has_text="set by you")).to_have_count(1)


def test_a_new_user_and_the_speed_demo_in_chromium(server: str, tmp_path: Path) -> None:
    daily_name, daily = daily_flows_only(seed=2, months=26)
    daily_path = tmp_path / daily_name
    daily_path.write_bytes(daily)
    refused_name, refused, _ = unknown_revenue_header(seed=4)
    refused_path = tmp_path / refused_name
    refused_path.write_bytes(refused)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": WIDTH, "height": 900},
                                       accept_downloads=True).new_page()
            page.goto(server, wait_until="domcontentloaded")
            _first_screen(page)
            _display_choices_refit_nothing(page)
            _refused_file_fixed_in_its_mapping(page, refused_path)
            page.get_by_role("button", name=f"Remove {refused_name}").click()
            _upload(page, daily_path, "26 months")
            _assert_fits_a_laptop(page)
            _missing_metrics(page)
            _speed_demo_on_a_busy_machine(page)
            _downloads(page, daily_path.stem.replace(" ", "_"))
            text = page.inner_text("[data-testid=stMain]")
            for word in ("risk(s)", "month(s)", "worker(s)", "thing(s)", "check(s)"):
                assert word not in text, word
            assert "Traceback" not in page.inner_text("body")
        finally:
            browser.close()
