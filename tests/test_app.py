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
from exports import daily_flows_only, declining_company, unknown_revenue_header
from page import (
    FORECAST_TABS,
    chart_specs,
    download_file,
    download_report,
    forecast_charts,
    recorded_downloads,
    show_tab,
)
from paths import SEED_DIR
from streamlit.testing.v1 import AppTest

from components.safe_text import escape_markdown
from components.texts import GROUPS, TABS
from forecasting.logging_setup import logger
from forecasting.machine import OTHERS_BUSY
from forecasting.models import FAMILY_LABELS
from forecasting.settings import METRICS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
SEED_SAMPLE = SEED_DIR / "sample_financial_data.csv"
TIMEOUT = 240


@pytest.fixture(scope="module", autouse=True)
def _record_downloads() -> Iterator[None]:
    with recorded_downloads():
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
    return download_file(at, key)[1]


# --- reading the page ----------------------------------------------------------------------------
def chart_titles(at: AppTest) -> list[str]:
    titles = []
    for spec in chart_specs(at):
        title = spec["layout"].get("title", {})
        titles.append(title.get("text", "") if isinstance(title, dict) else str(title))
    return titles


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
    return upload_bytes(at, path.name, path.read_bytes())


def upload_bytes(at: AppTest, name: str, data: bytes) -> AppTest:
    at.sidebar.file_uploader[0].set_value((name, data, "text/csv")).run()
    return at


# --- tests --------------------------------------------------------------------------------------
def test_first_load_forecasts_the_bundled_sample() -> None:
    at = fresh_app()
    assert_fourteen_forecasts(at)
    labels = [m.label for m in at.metric]
    assert "Revenue" in labels and "Accuracy" in labels, labels
    revenue = next(m for m in at.metric if m.label == "Revenue")
    assert revenue.value.startswith("$"), revenue.value
    assert any("company_financials.csv (bundled sample)" in c.value for c in at.caption)
    # The first screen says what it shows and how to use one's own export.
    first = [i.value for i in at.info if "bundled sample" in i.value]
    assert first and "CSV exports" in first[0] and "sidebar" in first[0], first
    report = download_report(at)["full_analysis_report"]
    assert report["metadata"]["months"] == 60
    assert all(h["status"] == "ok" for h in report["model_health_report"].values())


def test_only_the_open_tab_is_drawn_and_a_choice_on_a_tab_is_kept_while_away() -> None:
    """A tab switch reruns the page, so only the open tab's charts are built and sent; what
    the user chose on a tab is still chosen when they come back to it."""
    at = fresh_app()
    drawn = [(spec["layout"].get("meta") or {}).get("metric") for spec in chart_specs(at)]
    assert sorted(drawn) == sorted(GROUPS["Core"])
    show_tab(at, "Model details").selectbox(key="detail-metric").set_value("dso").run()
    assert any(m.value.startswith("**DSO**") for m in at.markdown)
    show_tab(at, "Ratios")
    assert [t.label for t in at.tabs] == list(TABS) and not at.main.selectbox
    assert show_tab(at, "Model details").selectbox(key="detail-metric").value == "dso"


def test_upload_seed_sample_gives_fourteen_forecasts_and_a_json_report() -> None:
    sample = SEED_SAMPLE
    at = upload(fresh_app(), sample)
    assert_clean(at)
    assert_fourteen_forecasts(at)
    assert any("24 months, 2023-01 to 2024-12" in c.value for c in at.caption), \
        [c.value for c in at.caption]
    assert not [i.value for i in at.info if "bundled sample" in i.value]
    name, _ = download_file(at, "download-json")
    assert re.fullmatch(r"sample_financial_data_forecast_\d{4}-\d\d-\d\d\.json", name), name
    assert download_file(at, "download-csv")[0] == name.replace(".json", ".csv")
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
    messy = SEED_DIR / "messy_financial_data.csv"
    at = upload(fresh_app(), messy)
    assert_clean(at)
    errors = " ".join(e.value for e in at.error)
    assert re.search(r"\b6 month", errors), errors
    assert "12 months" in errors, errors
    assert not forecast_charts(at), "forecasts were drawn for data that cannot be forecast"
    assert not at.download_button, "a report was offered for data that cannot be forecast"


def test_mode_switch_changes_the_narrative_without_refitting() -> None:
    sample = SEED_SAMPLE
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


def test_narratives_are_written_once_per_view_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fitted report carries no narratives; the page writes them once for the mode and level
    shown, and a rerun that changes neither (another widget, a tab) writes none."""
    import forecasting.report as report

    written: list[str] = []
    real = report.build_narratives

    def counted(body: dict[str, Any], mode: str) -> dict[str, Any]:
        written.append(mode)
        return real(body, mode)

    monkeypatch.setattr(report, "build_narratives", counted)
    name, data = daily_flows_only(seed=43, months=25)
    at = fresh_app()  # the bundled sample, shown once
    assert written == ["finance_guardian"], written
    written.clear()
    upload_bytes(at, name, data)
    assert_clean(at)
    assert written == ["finance_guardian"], written
    at.segmented_control(key="window-Core").set_value("All history").run()
    assert written == ["finance_guardian"], "a rerun that changed no view wrote them again"
    at.sidebar.radio(key="mode").set_value("financial_storyteller").run()
    assert_clean(at)
    assert written == ["finance_guardian", "financial_storyteller"], written


def test_column_override_re_runs_ingest_with_the_users_mapping() -> None:
    """Telling the page 'Net Profit' is not profit makes it derive profit from revenue − costs."""
    sample = SEED_SAMPLE
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
    sample = SEED_SAMPLE
    at = show_tab(upload(fresh_app(), sample), "Timing")
    assert not [t for t in chart_titles(at) if t.startswith("Parallel run")]
    at.button(key="compare").click().run()
    return Compared(at, download_report(at))


def test_compare_shows_speedup_identical_forecasts_and_a_gantt(compared: Compared) -> None:
    at = compared.at
    assert_clean(at)
    metrics = {m.label: m for m in at.metric}
    for label in ("Sequential", "Parallel", "Speedup", "Efficiency", "CPUs the workers got",
                  "Load average", "Same forecasts"):
        assert label in metrics, f"{label!r} missing from {sorted(metrics)}"
    assert re.fullmatch(r"\d+\.\d\dx", metrics["Speedup"].value), metrics["Speedup"].value
    assert metrics["Same forecasts"].value == "✓ identical"
    assert re.fullmatch(r"\d\.\d of 2", metrics["CPUs the workers got"].value)
    # The parallel card's delta is the time saved: green when parallel took less time, red
    # when it took more (a busy machine), whatever the sign convention of a plain delta.
    parallel = metrics["Parallel"].proto
    saved = float(parallel.delta.split(" s")[0])
    assert (saved < 0) == (parallel.color == parallel.GREEN), (parallel.delta, parallel.color)
    assert (saved > 0) == (parallel.color == parallel.RED), (parallel.delta, parallel.color)
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    gantt = [s for s in specs if s["layout"].get("title", {}).get("text", "")
             == "Parallel run: one lane per worker process"]
    assert len(gantt) == 1
    bars = [trace["name"] for trace in gantt[0]["data"]]
    assert sorted(bars) == sorted(METRICS), "the gantt must show every metric job once"
    assert_fourteen_forecasts(at)


def test_compare_leads_with_one_sentence_that_says_what_the_speedup_measures(
        compared: Compared) -> None:
    """The headline carries both times; 'faster' is only claimed when the workers got their
    CPUs, and it is a warning, not a success, when they did not."""
    at = compared.at
    comparison = compared.report_at_click["full_analysis_report"]["timing"]["comparison"]
    seq, par = comparison["sequential_s"], comparison["parallel_s"]
    boxes = [(kind, box.value) for kind in ("success", "warning")
             for box in getattr(at, kind) if "one after another" in box.value]
    assert len(boxes) == 1, boxes
    kind, headline = boxes[0]
    assert f"{par:.1f} s in parallel against {seq:.1f} s one after another" in headline
    short = comparison["parallel_cpus"] < 0.8 * comparison["workers"] or \
        comparison["sequential_cpus"] < 0.8
    others = comparison["other_cpus"]
    assert (kind == "warning") == (comparison["verdict"] != "clean")
    if short and (others is None or others >= OTHERS_BUSY):
        # The headline rounds the measured CPUs, the report keeps two decimals of them.
        got = re.match(r"The machine was busy: the workers got (\d\.\d) of 2 CPUs", headline)
        assert got, headline
        assert float(got[1]) == pytest.approx(comparison["parallel_cpus"], abs=0.051), headline
    elif short:  # nothing else ran: the workers were waiting for work, and it says so
        assert "No other process held the CPUs" in headline, headline
    elif comparison["speedup"] > 2.1:
        assert "read it as at most 2x" in headline, headline


def test_json_offered_right_after_compare_includes_the_comparison(compared: Compared) -> None:
    """The user clicks Compare, opens Downloads and downloads: the comparison must be in it."""
    comparison = compared.report_at_click["full_analysis_report"]["timing"]["comparison"]
    assert comparison is not None
    assert comparison["identical"] is True
    assert comparison["jobs"] == 14 and comparison["workers"] == 2
    assert {row["metric"] for row in comparison["timeline"]} == set(METRICS)


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
                    download_report(at)["full_analysis_report"]["timing"]["tasks"]}
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
    ran_on = {row["worker"] for row in timing["tasks"]}
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
    at = show_tab(upload(fresh_app(), SEED_SAMPLE), "Model details")
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
    # Revenue's errors are money, written like its card ($104K, not 103600).
    assert all(re.fullmatch(r"\$[\d,.]+[KMB]?|n/a", v) for v in table["RMSE"]), table["RMSE"]


# --- what a new user sees -----------------------------------------------------------------------
def test_chart_titles_lead_with_the_metric_and_its_expected_change() -> None:
    at = fresh_app()
    body = download_report(at)["full_analysis_report"]
    charts = forecast_charts(at)
    for metric, spec in charts.items():
        title = spec["layout"]["title"]
        label = (body["kpi_cards"].get(metric) or {}).get("label") or \
            body["model_health_report"][metric]["label"]
        assert title["text"].startswith(f"<b>{label}</b> · ") and "expected" in title["text"]
        assert "MASE" not in title["text"] + title["subtitle"]["text"]
        assert not [f for f in FAMILY_LABELS.values() if f in title["text"]], title["text"]
    # Revenue's change, computed here: the forecast months' average against the same months
    # a year earlier.
    history = [p["value"] for p in body["history"]["revenue"]]
    forecast = [p["predicted"] for p in body["forecast_chart"]["revenue"]]
    months = len(forecast)
    then = sum(history[-12:-12 + months]) / months
    move = (sum(forecast) / months / then - 1) * 100
    assert charts["revenue"]["layout"]["title"]["text"] == f"<b>Revenue</b> · {move:+.1f}% expected"


def test_charts_open_on_two_years_and_the_forecast_with_the_whole_history_a_click_away() -> None:
    at = fresh_app()
    body = download_report(at)["full_analysis_report"]
    history = body["history"]["revenue"]
    assert len(history) == 60
    last_forecast = body["forecast_chart"]["revenue"][-1]["date"]
    layout = forecast_charts(at)["revenue"]["layout"]
    start, end = layout["xaxis"]["range"]
    assert history[-25]["date"] < start < history[-24]["date"], start
    assert end > last_forecast
    # The y range fits what is in view, both bands included; ticks are written like the card.
    low, high = layout["yaxis"]["range"]
    shown = [p["value"] for p in history[-24:]] + [
        b[f"{side}_{level}"] for b in body["forecast_bands"]["revenue"]
        for side in ("lower", "upper") for level in (80, 95)]
    assert low <= min(shown) and high >= max(shown)
    assert min(p["value"] for p in history) < low, "the opening view is not the whole history"
    card = next(m.value for m in at.metric if m.label == "Revenue")
    letter = card[-1]
    assert any(t.endswith(letter) for t in layout["yaxis"]["ticktext"]), layout["yaxis"]
    assert all(re.fullmatch(r"\$\d+(\.\d+)?[KM]", t) for t in layout["yaxis"]["ticktext"])
    forecast = next(t for t in forecast_charts(at)["revenue"]["data"] if t["name"] == "Forecast")
    assert "80%:" in forecast["customdata"][-1] and "95%:" in forecast["customdata"][-1]

    at.segmented_control(key="window-Core").set_value("All history").run()
    assert_clean(at)
    for metric, spec in forecast_charts(at).items():  # one choice for every tab
        first = body["history"][metric][0]["date"]
        assert spec["layout"]["xaxis"]["range"][0] < first, metric


def test_switching_the_interval_level_refits_nothing() -> None:
    at = upload(fresh_app(), SEED_SAMPLE)
    before = download_report(at)["full_analysis_report"]
    at.sidebar.radio(key="level").set_value(80).run()
    assert_clean(at)
    after = download_report(at)["full_analysis_report"]
    assert any("at 80%" in c.value for c in at.caption)
    assert after["metadata"]["interval_level"] == 80
    # A refit would start new jobs: new times, a new timestamp.
    assert after["timing"]["per_metric"] == before["timing"]["per_metric"]
    assert after["metadata"]["generated_at"] == before["metadata"]["generated_at"]
    for metric, rows in after["forecast_chart"].items():
        assert [r["lower"] for r in rows] == \
            [b["lower_80"] for b in before["forecast_bands"][metric]], metric


def test_a_horizon_change_does_not_read_the_files_again(monkeypatch: pytest.MonkeyPatch) -> None:
    import components.engine as engine

    reads: list[int] = []
    real = engine.ingest

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "ingest", counted)
    name, data = daily_flows_only(seed=41, months=26)
    at = upload_bytes(fresh_app(), name, data)
    assert_clean(at) and reads == [1]
    at.sidebar.slider(key="horizon").set_value(2).run()
    assert_clean(at)
    assert any("forecasting 2 months" in c.value for c in at.caption)
    assert reads == [1], "the horizon change read the files again"


def test_metrics_the_data_lacks_are_one_line_each_with_the_column_that_brings_them_back(
        ) -> None:
    name, data = daily_flows_only(seed=7)
    at = upload_bytes(fresh_app(), name, data)
    assert_clean(at)
    drawn = set(forecast_charts(at))
    assert drawn == {"revenue", "expenses", "profit", "profit_margin", "expense_ratio",
                     "growth_rate"}, drawn
    lines = ""
    for tab in FORECAST_TABS:
        show_tab(at, tab)
        lines += " ".join(m.value for m in at.markdown if "Not in this data" in m.value)
    for label, column in (("DSO", "Accounts receivable"), ("DPO", "Accounts payable"),
                          ("Operating cash flow", "Operating cash flow"),
                          ("Working capital", "Current assets"),
                          ("Debt to equity", "Total liabilities")):
        assert f"**{label}** — needs a column for {column}" in lines, (label, lines)
    assert lines.count("- **") == len(METRICS) - len(drawn)
    # The mapping opens where the user is, in a dialog with the mapping table.
    show_tab(at, "Working capital").button(key="open-mapping-Working capital").click().run()
    assert_clean(at)
    assert [e for e in at.data_editor if e.key.startswith("mapping-dialog-")]


def test_a_file_that_fails_validation_offers_the_mapping_to_fix_it() -> None:
    name, data, revenue = unknown_revenue_header(seed=3)
    at = upload_bytes(fresh_app(), name, data)
    assert_clean(at)
    assert any("No revenue column was found" in e.value for e in at.error)
    assert not forecast_charts(at) and not at.get("download_button")
    editor = at.data_editor[0]
    table = editor.value
    row = list(table["Source column"]).index(revenue)
    assert table["Mapped to"][row] == "ignore"
    at.session_state[editor.key] = {
        "edited_rows": {row: {"Mapped to": "revenue"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert_clean(at)
    assert not at.error
    body = download_report(at)["full_analysis_report"]
    assert body["metadata"]["column_mapping"][revenue] == "revenue"
    assert "revenue" in forecast_charts(at)


def test_the_risk_review_counts_the_boxes_it_shows() -> None:
    name, data = declining_company(seed=5)
    at = upload_bytes(fresh_app(), name, data)
    assert_clean(at)
    summary = next(m.value for m in at.markdown if "attention" in m.value
                   or "No risk thresholds" in m.value)
    found = re.match(r"(\d+) risks? needs? attention", unescape(summary))
    assert found, summary
    boxes = [b for b in [*at.error, *at.warning] if re.match(r"\*\*(HIGH|MEDIUM) ·", b.value)]
    elsewhere = sum(int(n) for n in re.findall(r"(\d+) risks? (?:is a|are) data checks?",
                                               " ".join(c.value for c in at.caption)))
    assert int(found[1]) == len(boxes) + elsewhere >= 1, (summary, [b.value for b in boxes])
    for box in boxes:
        assert "(s)" not in box.value
        trigger = re.search(r"trigger: (.+?)\)", unescape(box.value))
        assert trigger is None or re.search(r"[$%x]|pts|days|MASE|months?", trigger[1]), box.value


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _sweep_page() -> None:
    from components.timing_panel import sweep_ui

    # Other processes took half a CPU in every run: the machine was busy.
    rows = [{"sequential_s": 20.0, "workers": w, "parallel_s": 20.0 / s, "speedup": s,
             "ideal": w, "cpus": c, "other_cpus": 0.5}
            for w, s, c in ((1, 1.0, 0.98), (2, 1.2, 1.1), (3, 2.7, 2.9), (4, 3.5, None))]
    sweep_ui(rows)


def test_the_scaling_sweep_reads_in_whole_workers_and_plain_column_names() -> None:
    at = AppTest.from_function(_sweep_page, default_timeout=TIMEOUT)
    at.run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert list(table.columns) == ["Workers", "Time (s)", "Speedup", "Ideal",
                                   "CPUs the workers got", "One worker, one after another (s)"]
    assert list(table["Workers"]) == ["1", "2", "3", "4"]
    # A run whose workers' CPU could not be read (Dask on other machines) leaves the cell empty.
    assert list(table["CPUs the workers got"]) == ["1.0", "1.1", "2.9", ""]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["xaxis"]["tickvals"] == [1, 2, 3, 4]
    # 2 workers that got 1.1 CPUs are named as a busy machine; 3 that got 2.9 are not.
    assert any("with 2 workers they got less than 80%" in w.value for w in at.warning)


def test_the_gantt_gives_a_job_one_colour_on_every_chart() -> None:
    """The report's run and the comparison's run list their jobs in different orders; a metric
    keeps its colour from one Gantt to the other, and the legend follows the report's order."""
    from components.charts import gantt_figure

    def timeline(order: list[str]) -> list[dict[str, Any]]:
        return [{"key": f"{m}:fit{i}", "metric": m, "worker": 100 + i % 2, "start": float(i),
                 "end": i + 0.5} for i, m in enumerate(order)]

    report_run = gantt_figure(timeline(list(METRICS)), "report")
    comparison = gantt_figure(timeline(list(reversed(METRICS))), "comparison")
    colours = [{t.name: t.marker.color for t in fig.data} for fig in (report_run, comparison)]
    assert colours[0] == colours[1]
    assert len(set(colours[0].values())) == len(METRICS), "two jobs share a colour"
    assert [t.name for t in comparison.data] == list(METRICS)
