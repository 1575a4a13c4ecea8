"""The dashboard page under Streamlit's AppTest: real engine, real process pool, real uploads.

Streamlit's caches are process-wide, so the first test pays for the fits and later tests that
load the same data reuse them (that reuse is itself the behaviour under test for the mode switch).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
import streamlit.testing.v1.app_test as app_test_module
from paths import SEED_DIR
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from components.safe_text import escape_markdown
from forecasting.kpis import METRIC_INFO
from forecasting.logging_setup import logger
from forecasting.settings import METRICS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
SEED = SEED_DIR
TIMEOUT = 240


def _seed_file(name: str) -> Path:
    path = SEED / name
    if not path.is_file():
        pytest.skip(f"seed fixture {path} is absent (the shared seed-system fixtures are not "
                    "checked out on this machine)")
    return path


# --- capturing what the download buttons serve -------------------------------------------------
# AppTest creates a fresh in-memory media store for every run and drops it afterwards; the
# download button's proto only carries a URL into that store. Recording the stores lets the
# tests read the exact bytes a user would download.
_stores: list[MemoryMediaFileStorage] = []


class _RecordingStorage(MemoryMediaFileStorage):
    def __init__(self, media_endpoint: str) -> None:
        super().__init__(media_endpoint)
        _stores.append(self)
        del _stores[:-8]  # only the latest runs matter


@pytest.fixture(scope="module", autouse=True)
def _record_downloads() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app_test_module, "MemoryMediaFileStorage", _RecordingStorage)
        yield


# A script run installs the page as sys.modules["__main__"] and leaves it there; a spawn or
# forkserver process started later in this pytest session (e.g. a Dask worker) would then re-run
# app.py as __mp_main__ and die. Put the real __main__ back after every test.
_REAL_MAIN = sys.modules["__main__"]


@pytest.fixture(autouse=True)
def _restore_main() -> Iterator[None]:
    yield
    sys.modules["__main__"] = _REAL_MAIN


@pytest.fixture(scope="module", autouse=True)
def _release_pool() -> Iterator[None]:
    yield
    sys.modules["__main__"] = _REAL_MAIN
    st.cache_resource.clear()  # on_release shuts the warm worker pool down


def download_bytes(at: AppTest, key: str) -> bytes:
    url = at.download_button(key=key).proto.url
    name = url.rsplit("/", 1)[-1]
    for store in reversed(_stores):
        try:
            return store.get_file(name).content
        except Exception:  # not in this run's store
            continue
    raise AssertionError(f"download {key!r} ({url}) is not in any recorded media store")


def download_report(at: AppTest) -> dict[str, Any]:
    return json.loads(download_bytes(at, "download-json"))


# --- reading the page ----------------------------------------------------------------------------
def chart_titles(at: AppTest) -> list[str]:
    titles = []
    for chart in at.get("plotly_chart"):
        title = json.loads(chart.proto.spec)["layout"].get("title", {})
        titles.append(title.get("text", "") if isinstance(title, dict) else str(title))
    return titles


def forecast_charts(at: AppTest) -> dict[str, dict[str, Any]]:
    """The forecast tab's charts by metric, recognised by their '<label> · ...' title."""
    out: dict[str, dict[str, Any]] = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        title = spec["layout"].get("title", {}).get("text", "")
        for metric in METRICS:
            if title.startswith(f"{METRIC_INFO[metric].label} · "):
                assert metric not in out, f"two charts claim {metric}: {title!r}"
                out[metric] = spec
    return out


def page_text(at: AppTest) -> str:
    """Every element's content on the page (main and sidebar), as text."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return "\n".join(parts)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert "Traceback" not in page_text(at)


def assert_fourteen_forecasts(at: AppTest) -> None:
    charts = forecast_charts(at)
    assert set(charts) == set(METRICS), f"missing charts for {set(METRICS) - set(charts)}"
    for metric, spec in charts.items():
        title = spec["layout"]["title"]["text"]
        assert "not forecast" not in title, title
        names = [trace.get("name") for trace in spec["data"]]
        assert "Forecast" in names and "Actual" in names, (metric, names)


def fresh_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert_clean(at)
    return at


def upload(at: AppTest, path: Path) -> AppTest:
    at.sidebar.file_uploader[0].set_value((path.name, path.read_bytes(), "text/csv")).run()
    return at


# --- tests --------------------------------------------------------------------------------------
def test_first_load_forecasts_the_bundled_sample() -> None:
    at = fresh_app()
    assert_fourteen_forecasts(at)
    labels = [m.label for m in at.metric]
    assert "Revenue" in labels and "Forecast accuracy" in labels, labels
    revenue = next(m for m in at.metric if m.label == "Revenue")
    assert revenue.value.startswith("$"), revenue.value
    assert any("company_financials.csv (bundled sample)" in c.value for c in at.caption)
    report = download_report(at)["full_analysis_report"]
    assert report["metadata"]["months"] == 60
    assert all(h["status"] == "ok" for h in report["model_health_report"].values())


def test_upload_seed_sample_gives_fourteen_forecasts_and_a_json_report() -> None:
    sample = _seed_file("sample_financial_data.csv")
    at = upload(fresh_app(), sample)
    assert_clean(at)
    assert_fourteen_forecasts(at)
    assert any("24 months, 2023-01 to 2024-12" in c.value for c in at.caption), \
        [c.value for c in at.caption]
    body = download_report(at)["full_analysis_report"]
    assert body["metadata"]["source_files"] == ["sample_financial_data.csv"]
    assert body["metadata"]["months"] == 24
    chart = body["forecast_chart"]
    assert set(chart) == set(METRICS)
    for metric, rows in chart.items():
        assert len(rows) == 3, metric  # the default horizon
        assert all(r["predicted"] is not None for r in rows), metric
    csv_text = download_bytes(at, "download-csv").decode()
    assert csv_text.splitlines()[0] == "metric,date,predicted,lower,upper,model"
    assert len(csv_text.splitlines()) == 1 + 14 * 3


def test_six_month_export_gets_a_clear_error_not_a_traceback() -> None:
    messy = _seed_file("messy_financial_data.csv")
    at = upload(fresh_app(), messy)
    assert_clean(at)
    errors = " ".join(e.value for e in at.error)
    assert re.search(r"\b6 month", errors), errors
    assert "12 months" in errors, errors
    assert not forecast_charts(at), "forecasts were drawn for data that cannot be forecast"
    assert not at.download_button, "a report was offered for data that cannot be forecast"


def test_mode_switch_changes_the_narrative_without_refitting() -> None:
    sample = _seed_file("sample_financial_data.csv")
    at = upload(fresh_app(), sample)
    before = download_report(at)["full_analysis_report"]
    assert before["dashboard_mode"] == "finance_guardian"
    assert [s.value for s in at.subheader] == ["Risk review"]

    at.sidebar.radio(key="mode").set_value("financial_storyteller").run()
    assert_clean(at)
    after = download_report(at)["full_analysis_report"]
    assert after["dashboard_mode"] == "financial_storyteller"
    assert [s.value for s in at.subheader] == ["The story so far"]
    assert after["narratives"]["summary_text"] != before["narratives"]["summary_text"]
    # The page shows the narrative as text (Markdown characters escaped, see safe_text).
    shown = escape_markdown(after["narratives"]["summary_text"])
    assert any(shown in m.value for m in at.markdown)
    # A refit would start new jobs: new start/end times, a new wall time, a new timestamp.
    assert after["timing"]["per_metric"] == before["timing"]["per_metric"]
    assert after["timing"]["wall_seconds"] == before["timing"]["wall_seconds"]
    assert after["metadata"]["generated_at"] == before["metadata"]["generated_at"]
    assert after["forecast_chart"] == before["forecast_chart"]
    assert_fourteen_forecasts(at)


def test_column_override_re_runs_ingest_with_the_users_mapping() -> None:
    """Telling the page 'Net Profit' is not profit makes it derive profit from revenue − costs."""
    sample = _seed_file("sample_financial_data.csv")
    at = upload(fresh_app(), sample)
    editor = at.data_editor[0]
    table = editor.value
    mapped = dict(zip(table["Source column"], table["Mapped to"], strict=True))
    assert mapped["Net Profit"] == "profit"
    row = list(table["Source column"]).index("Net Profit")
    at.session_state[editor.key] = {
        "edited_rows": {row: {"Mapped to": "ignore"}}, "added_rows": [], "deleted_rows": []}
    at.run()  # the override is stored, then the page re-runs ingest with it
    assert_clean(at)
    body = download_report(at)["full_analysis_report"]
    assert "Net Profit" not in body["metadata"]["column_mapping"]
    assert body["metadata"]["ignored_columns"]["Net Profit"] == "ignored at your request"
    assert "profit = revenue − expenses" in " ".join(body["model_health_report"]["profit"]["notes"])
    table = at.data_editor[0].value  # the rows keep the file's order, so edits stay on their row
    assert list(table["Source column"])[row] == "Net Profit"
    assert dict(zip(table["Source column"], table["Mapped to"], strict=True)) == {
        **mapped, "Net Profit": "ignore"}
    assert_fourteen_forecasts(at)


@dataclass
class Compared:
    at: AppTest
    report_at_click: dict[str, Any]  # the JSON offered by the run in which Compare was clicked


@pytest.fixture(scope="module")
def compared() -> Compared:
    """The seed sample uploaded, then 'Compare sequential vs parallel' clicked (runs 28 jobs)."""
    sample = _seed_file("sample_financial_data.csv")
    at = upload(fresh_app(), sample)
    assert not [t for t in chart_titles(at) if t.startswith("Parallel run")]
    at.button(key="compare").click().run()
    return Compared(at, download_report(at))


def test_compare_shows_speedup_identical_forecasts_and_a_gantt(compared: Compared) -> None:
    at = compared.at
    assert_clean(at)
    metrics = {m.label: m for m in at.metric}
    for label in ("Sequential", "Parallel", "Speedup", "Efficiency", "Same forecasts"):
        assert label in metrics, f"{label!r} missing from {sorted(metrics)}"
    assert re.fullmatch(r"\d+\.\d\dx", metrics["Speedup"].value), metrics["Speedup"].value
    assert metrics["Same forecasts"].value == "✓ identical"
    assert metrics["Parallel"].proto.delta == "2 workers"
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    gantt = [s for s in specs if s["layout"].get("title", {}).get("text", "")
             == "Parallel run: one lane per worker process"]
    assert len(gantt) == 1
    bars = [trace["name"] for trace in gantt[0]["data"]]
    assert sorted(bars) == sorted(METRICS), "the gantt must show every metric job once"
    lanes = {trace["y"][0] for trace in gantt[0]["data"]}
    assert len(lanes) == 2, lanes
    assert_fourteen_forecasts(at)


def test_json_offered_right_after_compare_includes_the_comparison(compared: Compared) -> None:
    """The user clicks Compare, opens Downloads and downloads: the comparison must be in it."""
    comparison = compared.report_at_click["full_analysis_report"]["timing"]["comparison"]
    assert comparison is not None
    assert comparison["identical"] is True
    assert comparison["jobs"] == 14 and comparison["workers"] == 2
    assert sorted(row["metric"] for row in comparison["timeline"]) == sorted(METRICS)


def test_comparison_runs_in_the_servers_worker_pool_not_in_the_server(
        compared: Compared) -> None:
    """Both sides run in warm pool workers (the sequential one in a single worker), so a
    comparison fits nothing in the server process and other sessions keep being served."""
    comparison = compared.report_at_click["full_analysis_report"]["timing"]["comparison"]
    server = os.getpid()
    assert len(comparison["sequential_workers"]) == 1, comparison["sequential_workers"]
    assert server not in comparison["sequential_workers"]
    assert server not in {row["worker"] for row in comparison["timeline"]}


def test_comparison_stays_after_the_next_rerun(compared: Compared) -> None:
    """Another interaction keeps the comparison on the page and puts it in the JSON."""
    at = compared.at
    at.run()
    assert_clean(at)
    assert "Same forecasts" in [m.label for m in at.metric]
    timing = download_report(at)["full_analysis_report"]["timing"]
    assert timing["comparison"] is not None
    assert timing["comparison"]["identical"] is True
    assert timing["comparison"]["jobs"] == 14


def test_sequential_choice_and_time_limit_run_on_the_servers_one_pool(data_dir: Path) -> None:
    """Choosing another executor or worker count starts no pool: the sequential choice runs
    one job at a time in one of the server pool's warm workers, under the sidebar's limit."""
    at = fresh_app()
    pool_workers = {row["worker"] for row in
                    download_report(at)["full_analysis_report"]["timing"]["per_metric"]}
    runs: list[dict[str, Any]] = []
    logger.enable("forecasting")
    sink = logger.add(lambda m: runs.append(dict(m.record["extra"]))
                      if m.record["extra"].get("event") == "run" else None, level="INFO")
    try:
        at.sidebar.number_input(key="time_limit").set_value(45)
        at.sidebar.selectbox(key="executor").set_value("sequential")
        upload(at, data_dir / "messy_13_months.csv")  # a short export: six quick jobs
    finally:
        logger.remove(sink)
    assert_clean(at)
    timing = download_report(at)["full_analysis_report"]["timing"]
    assert timing["executor"] == "sequential"
    ran_on = {row["worker"] for row in timing["per_metric"]}
    assert len(ran_on) == 1 and ran_on <= pool_workers, (ran_on, pool_workers)
    assert [(r["executor"], r["workers"], r["time_limit"]) for r in runs] == \
        [("sequential", 1, 45.0)]


def test_forecast_bands_are_shaded_areas_without_markers() -> None:
    """Regression: with no mode, Plotly dotted each band's corners in stray red and cyan."""
    at = fresh_app()
    seen = 0
    for metric, spec in forecast_charts(at).items():
        for trace in spec["data"]:
            if not str(trace.get("name", "")).endswith("% band"):
                continue
            # Plotly.js: an unset mode means "lines+markers" below 20 points.
            mode = trace.get("mode") or ("lines+markers" if len(trace["x"]) < 20 else "lines")
            assert "markers" not in mode, (metric, trace["name"], mode)
            assert trace.get("fill") == "toself", (metric, trace["name"])
            seen += 1
    assert seen == 2 * len(METRICS), "each forecast chart has an 80% and a 95% band"


def test_model_details_show_measured_accuracy_coverage_and_how_sure() -> None:
    at = upload(fresh_app(), _seed_file("sample_financial_data.csv"))
    assert_clean(at)
    sure = [i.value for i in at.info if "8 chances in 10" in i.value]
    assert sure and sure[0].split(":")[0] in {"Fairly sure", "Moderately sure", "Not very sure"}
    assert "In the backtest the forecast missed by" in sure[0]
    text = " ".join(m.value for m in at.markdown)
    assert "Measured accuracy (backtest" in text and "(95% band)" in text
    # The shipped combination with its weights, and what a choice by backtest would have been.
    assert "Weighted combination of 5 models" in text and "would have picked" in text
    table = next(d.value for d in at.dataframe if "Shipped" in d.value.columns)
    assert "Best by backtest" in table.columns
    assert (table["Shipped"] == "✓").sum() == 1 and (table["Best by backtest"] == "✓").sum() == 1
