"""The report of the seed sample: shape of the original's full_analysis_report, strict JSON,
narrative modes, and the forecasts CSV a finance user opens in a spreadsheet."""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import json
import math
import re
from typing import Any

import pytest

from forecasting import METRICS, analyse, build_report, dumps, forecasts_csv, loads, with_mode
from forecasting.formatting import format_value
from forecasting.report import with_view

# The session report runs the full 14-metric engine once.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("single_blas_thread")]

FORECAST_DATES = ["2025-01-01", "2025-02-01", "2025-03-01"]  # the sample ends December 2024
SEVERITY = {"high": 0, "medium": 1, "low": 2}


@pytest.fixture
def body(sample_report: dict[str, Any]) -> dict[str, Any]:
    return sample_report["full_analysis_report"]


def seed_rows(sample_csv_bytes: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(sample_csv_bytes.decode())))


# --- forecast_chart -------------------------------------------------------------------------


def test_forecast_chart_holds_the_14_metrics(body: dict[str, Any]) -> None:
    assert len(body["forecast_chart"]) == 14
    assert list(body["forecast_chart"]) == list(METRICS)


@pytest.mark.parametrize("metric", METRICS)
def test_forecast_rows_start_the_month_after_the_data(body: dict[str, Any], metric: str) -> None:
    rows = body["forecast_chart"][metric]
    assert [row["date"] for row in rows] == FORECAST_DATES
    for row in rows:
        assert set(row) == {"date", "predicted", "lower", "upper"}
        assert all(isinstance(row[k], float) for k in ("predicted", "lower", "upper"))
        assert row["lower"] <= row["predicted"] <= row["upper"]


def test_money_forecasts_are_on_the_scale_of_the_export(body: dict[str, Any],
                                                        sample_csv_bytes: bytes) -> None:
    revenue_2024 = [float(r["Sales Revenue"]) for r in seed_rows(sample_csv_bytes)][-12:]
    for row in body["forecast_chart"]["revenue"]:
        assert 0.5 * min(revenue_2024) < row["predicted"] < 2 * max(revenue_2024)


def test_bands_are_the_requested_level_and_80_is_inside_95(body: dict[str, Any]) -> None:
    assert body["metadata"]["interval_level"] == 95
    for metric in METRICS:
        for chart, band in zip(body["forecast_chart"][metric], body["forecast_bands"][metric],
                               strict=True):
            assert chart["lower"] == band["lower_95"] and chart["upper"] == band["upper_95"]
            assert band["lower_95"] <= band["lower_80"] <= band["upper_80"] <= band["upper_95"]


# --- model_health_report --------------------------------------------------------------------


@pytest.mark.parametrize("metric", METRICS)
def test_model_health_names_the_model_and_its_backtest(body: dict[str, Any], metric: str) -> None:
    health = body["model_health_report"][metric]
    assert health["status"] == "ok"
    assert isinstance(health["best_model_selected"], str) and health["best_model_selected"]
    # Folds start a year, 8 and 4 months before the data ends: Jan 2024 forecasts the same
    # calendar months as the forecast, a year earlier (24 months of data)
    assert health["backtest_origins"] == ["2024-01-01", "2024-05-01", "2024-09-01"]
    candidates = health["candidates"]
    assert len(candidates) >= 5
    for candidate in candidates:
        assert {"model", "family", "status", "mase", "smape", "rmse", "coverage"} <= set(candidate)
    ok = [c for c in candidates if c["status"] == "ok"]
    for candidate in ok:
        assert candidate["mase"] >= 0 and candidate["smape"] >= 0 and candidate["rmse"] >= 0
        assert 0 <= candidate["coverage"] <= 1
    chosen = next(c for c in candidates if c["family"] == health["best_model_family"])
    assert chosen["model"] == health["best_model_selected"]
    assert chosen["mase"] == health["backtest_mase"]
    # The choice by backtest stays visible: the single model with the lowest backtest MASE
    # (growth_rate keeps revenue's, re-scored on growth).
    singles = [c for c in ok if c["family"] != "combination"]
    by_backtest = next(c for c in candidates if c["family"] == health["best_by_backtest_family"])
    if metric != "growth_rate":
        assert by_backtest["mase"] == min(c["mase"] for c in singles)


@pytest.mark.parametrize("metric", METRICS)
def test_model_health_states_accuracy_coverage_and_how_sure(body: dict[str, Any],
                                                            metric: str) -> None:
    health = body["model_health_report"][metric]
    accuracy = health["accuracy"]
    assert accuracy["months_checked"] >= 9  # three folds, three months each at horizon 3
    assert accuracy["backtest_mase"] == health["backtest_mase"] and accuracy["backtest_mase"] > 0
    assert accuracy["typical_error_text"]
    assert "forecast_accuracy" in accuracy["definition"]
    if metric != "growth_rate":
        assert 0 <= accuracy["coverage_80"] <= accuracy["coverage_95"] <= 1
    sentence = health["certainty"]
    assert sentence.split(":")[0] in {"Fairly sure", "Moderately sure", "Not very sure"}
    assert "January 2025 is expected between" in sentence
    assert "In the backtest the forecast missed by" in sentence


def test_model_health_says_24_months_learn_a_season_but_backtest_without(
        body: dict[str, Any]) -> None:
    health = body["model_health_report"]["revenue"]
    assert health["seasonal_models"] is True
    assert any("Seasonal models need 24 months" in note and "the forecast uses them" in note
               for note in health["notes"])


def test_growth_rate_health_says_it_is_derived_from_revenue(body: dict[str, Any]) -> None:
    health = body["model_health_report"]["growth_rate"]
    assert health["best_model_selected"] == body["model_health_report"]["revenue"][
        "best_model_selected"]
    assert any("Derived from the revenue forecast" in note for note in health["notes"])


# --- kpis, metadata, history -------------------------------------------------------------


def test_kpis_are_the_last_12_months_of_the_export(body: dict[str, Any],
                                                   sample_csv_bytes: bytes) -> None:
    rows = seed_rows(sample_csv_bytes)
    revenue = [float(r["Sales Revenue"]) for r in rows]
    profit = [float(r["Net Profit"]) for r in rows]
    kpis = body["kpis"]

    # The replaced system's keys stay; the second basis of growth and margin has its own key.
    assert set(kpis) == {
        "total_revenue", "total_expenses", "profit_margin", "cashflow", "growth_rate", "dso",
        "dpo", "cash_conversion_cycle", "working_capital", "debt_to_equity_ratio",
        "forecast_accuracy", "revenue_growth_yoy", "revenue_growth_mom", "profit_margin_12m",
        "profit_margin_latest_month"}
    assert kpis["total_revenue"] == sum(revenue[12:]) == 2_185_000
    assert kpis["revenue_growth_yoy"] == pytest.approx(
        (sum(revenue[12:]) / sum(revenue[:12]) - 1) * 100)
    assert kpis["profit_margin_12m"] == pytest.approx(sum(profit[12:]) / sum(revenue[12:]) * 100)
    assert kpis["working_capital"] == 655_000 - 340_000
    assert kpis["dso"] == pytest.approx(80_000 / 250_000 * 31)
    assert 0 < kpis["forecast_accuracy"] <= 100


def test_growth_and_margin_mean_the_same_on_card_json_and_narrative(
        sample_report: dict[str, Any], sample_csv_bytes: bytes) -> None:
    body = sample_report["full_analysis_report"]
    revenue = [float(r["Sales Revenue"]) for r in seed_rows(sample_csv_bytes)]
    december_margin = 84_000 / 250_000 * 100
    kpis, cards = body["kpis"], body["kpi_cards"]

    assert kpis["growth_rate"] == kpis["revenue_growth_mom"] == pytest.approx(
        (revenue[-1] / revenue[-2] - 1) * 100)
    assert cards["growth_rate"]["value"] == pytest.approx(kpis["growth_rate"])
    assert "month over month" in cards["growth_rate"]["label"]
    assert kpis["profit_margin"] == kpis["profit_margin_latest_month"] == pytest.approx(
        december_margin)
    assert cards["profit_margin"]["value"] == pytest.approx(december_margin)
    assert "(month)" in cards["profit_margin"]["label"]
    story = with_mode(sample_report, "financial_storyteller")["full_analysis_report"]
    insights = " ".join(story["narratives"]["analyst_insights"])
    assert f"over the last 12 months: {kpis['profit_margin_12m']:.1f}%" in insights
    assert f"in the latest month: {december_margin:.1f}%" in insights
    definitions = body["metadata"]["kpi_definitions"]
    assert set(definitions) == set(kpis)
    assert "latest month" in definitions["growth_rate"]
    assert "12 months" in definitions["revenue_growth_yoy"]


def test_working_capital_without_a_current_split_says_net_assets(body: dict[str, Any]) -> None:
    # The seed sample has total assets and liabilities only.
    card = body["kpi_cards"]["working_capital"]
    assert card["label"] == "Net assets (assets − liabilities)"
    assert "no current split in the data" in card["formula"]
    assert "no current split in the data" in body["model_health_report"]["working_capital"][
        "formula"]
    assert "no current split in the data" in body["metadata"]["kpi_definitions"][
        "working_capital"]


def test_metadata_describes_the_run(body: dict[str, Any]) -> None:
    meta = body["metadata"]
    assert {"generated_at", "data_start_date", "data_end_date", "months", "source_files",
            "column_mapping", "ignored_columns", "ingest_summary", "warnings", "horizon_months",
            "interval_level", "version"} <= set(meta)
    assert meta["data_start_date"] == "2023-01-01"
    assert meta["data_end_date"] == "2024-12-01"
    assert meta["months"] == 24
    assert meta["horizon_months"] == 3
    assert meta["source_files"] == ["sample_financial_data.csv"]
    assert meta["column_mapping"]["Sales Revenue"] == "revenue"
    assert meta["ingest_summary"][0].startswith("24 months from Jan 2023 to Dec 2024")
    assert body["dashboard_mode"] == "finance_guardian"


def test_history_flags_the_month_that_was_filled(body: dict[str, Any]) -> None:
    def history(metric: str) -> dict[str, dict[str, Any]]:
        return {point["date"]: point for point in body["history"][metric]}

    # Operating Costs is empty for 2023-10 in the export, Marketing Spend for 2023-08.
    expenses = history("expenses")
    assert len(expenses) == 24
    assert expenses["2023-10-01"]["filled"] is True
    assert expenses["2023-10-01"]["value"] == pytest.approx(101_500)
    assert sum(point["filled"] for point in expenses.values()) == 1
    assert history("expense_ratio")["2023-10-01"]["filled"] is True  # computed from expenses
    # Revenue was in the export every month: no revenue point is marked as filled.
    assert not any(point["filled"] for point in history("revenue").values())


# --- strict JSON ----------------------------------------------------------------------------


def test_report_round_trips_through_strict_json(sample_report: dict[str, Any]) -> None:
    text = dumps(sample_report)
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == sample_report
    assert loads(text) == sample_report


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_dumps_refuses_nan_and_infinity(sample_report: dict[str, Any], bad: float) -> None:
    report = copy.deepcopy(sample_report)
    report["full_analysis_report"]["forecast_chart"]["revenue"][0]["predicted"] = bad
    with pytest.raises(ValueError):
        dumps(report)


def test_loads_names_a_section_a_report_lacks(sample_report: dict[str, Any]) -> None:
    """A report file cut short (no timing section) is refused by name, not read half-way."""
    body = {k: v for k, v in sample_report["full_analysis_report"].items() if k != "timing"}
    with pytest.raises(ValueError, match="no timing section"):
        loads(json.dumps({"full_analysis_report": body}))


def test_loads_refuses_json_that_is_not_a_report() -> None:
    with pytest.raises(ValueError, match="not a forecast report"):
        loads('{"forecast_chart": {}}')


# --- narrative modes ------------------------------------------------------------------------


def test_modes_change_the_narrative_only(sample_report: dict[str, Any]) -> None:
    before = copy.deepcopy(sample_report)
    story = with_mode(sample_report, "financial_storyteller")["full_analysis_report"]
    guardian = sample_report["full_analysis_report"]

    assert story["dashboard_mode"] == "financial_storyteller"
    assert story["narratives"]["summary_text"] != guardian["narratives"]["summary_text"]
    assert story["narratives"]["recommendations"] != guardian["narratives"]["recommendations"]
    for key in ("forecast_chart", "model_health_report", "kpis", "metadata"):
        assert story[key] == guardian[key]
    assert sample_report == before  # the shared (cached) report is not modified
    back = with_mode(with_mode(sample_report, "financial_storyteller"), "finance_guardian")
    assert back["full_analysis_report"]["narratives"] == guardian["narratives"]


def test_storyteller_headline_quotes_the_last_12_months(sample_report: dict[str, Any],
                                                        sample_csv_bytes: bytes) -> None:
    """Revenue of the export's last 12 months and its change on the 12 before, computed here
    from the CSV, in the words a stakeholder reads."""
    revenue = [float(r["Sales Revenue"]) for r in seed_rows(sample_csv_bytes)]
    last, before = sum(revenue[-12:]), sum(revenue[-24:-12])
    story = with_mode(sample_report, "financial_storyteller")["full_analysis_report"]
    summary = story["narratives"]["summary_text"]
    assert summary.startswith(
        f"Revenue reached {format_value(last, 'currency')} in the 12 months to 2024-12 "
        f"({(last / before - 1) * 100:+.1f}% year over year)"
    )
    assert "the next 3 months are forecast at" in summary


def _risky_report(sample_report: dict[str, Any]) -> dict[str, Any]:
    """The seed report with one rule of each severity set off."""
    report = copy.deepcopy(sample_report)
    body = report["full_analysis_report"]
    body["kpis"]["debt_to_equity_ratio"] = 3.2  # high: leverage
    body["model_health_report"]["dpo"].update(status="failed", reason="test: no model fitted")
    body["metadata"]["warnings"] = ["2 months lie in the future"]  # low: data quality
    body["forecast_chart"]["cashflow"][1]["predicted"] = -5_000.0  # high: negative cash
    for point in body["forecast_chart"]["dpo"]:  # low, and found first: DPO forecast collapses
        point.update(predicted=0.0, lower=0.0, upper=0.0)
    return report


def test_guardian_ranks_alerts_most_severe_first(sample_report: dict[str, Any]) -> None:
    report = _risky_report(sample_report)
    narratives = with_mode(report, "finance_guardian")["full_analysis_report"]["narratives"]
    severities = [alert["severity"] for alert in narratives["alerts"]]
    assert {"high", "medium", "low"} <= set(severities)
    assert any(a["metric"] == "dpo" and a["severity"] == "low" for a in narratives["alerts"])
    assert severities == sorted(severities, key=SEVERITY.__getitem__)
    assert narratives["analyst_insights"][0].startswith("[HIGH]")
    assert any("leverage" in r.lower() for r in narratives["recommendations"])


def test_guardian_summary_counts_what_it_lists(sample_report: dict[str, Any]) -> None:
    """'N risks need attention and M notes are worth a look': N is the high and medium alerts,
    M the low ones, and the words agree with the numbers (no 'risk(s)')."""
    narratives = with_mode(_risky_report(sample_report), "finance_guardian")[
        "full_analysis_report"]["narratives"]
    severities = [alert["severity"] for alert in narratives["alerts"]]
    found = re.match(r"(\d+) (risks?) (needs?) attention and (\d+) (notes?) (is|are) worth a look",
                     narratives["summary_text"])
    assert found, narratives["summary_text"]
    risks, notes = int(found[1]), int(found[4])
    assert risks == sum(s != "low" for s in severities) and notes == severities.count("low")
    assert (found[2], found[3]) == (("risk", "needs") if risks == 1 else ("risks", "need"))
    assert (found[5], found[6]) == (("note", "is") if notes == 1 else ("notes", "are"))
    text = json.dumps(narratives)
    assert "(s)" not in text, re.findall(r"\w+\(s\)", text)


def test_every_alert_value_is_shown_with_its_unit(sample_report: dict[str, Any]) -> None:
    """A trigger is never a bare number: money in $, moves in % or pts or days, leverage in x,
    a hard series by its MASE."""
    alerts = with_mode(_risky_report(sample_report), "finance_guardian")[
        "full_analysis_report"]["narratives"]["alerts"]
    with_value = [a for a in alerts if a["value"] is not None]
    assert with_value
    for alert in with_value:
        assert alert["value_text"], alert
        assert re.search(r"\$|%| pts| days|x$|MASE|months?$", alert["value_text"]), alert
    cash = next(a for a in alerts if a["metric"] == "cashflow")
    assert cash["value_text"] == "-$5,000"
    leverage = next(a for a in alerts if a["metric"] == "debt_to_equity_ratio")
    assert leverage["value_text"] == "3.20x"


def test_storyteller_headline_quotes_a_12_month_forecast(sample_prepared) -> None:
    jobs = [job for job in sample_prepared.jobs if job.metric == "revenue"]
    prepared = dataclasses.replace(
        sample_prepared, horizon=12, jobs=[dataclasses.replace(jobs[0], horizon=12)])
    report = build_report(analyse(prepared), "financial_storyteller")

    summary = report["full_analysis_report"]["narratives"]["summary_text"]
    assert len(report["full_analysis_report"]["forecast_chart"]["revenue"]) == 12
    assert "the next 12 months are forecast at" in summary


# --- the interval level is a display choice ------------------------------------------------


def test_another_level_swaps_the_bands_and_refits_nothing(sample_report: dict[str, Any]) -> None:
    before = copy.deepcopy(sample_report)
    shown = with_view(sample_report, "finance_guardian", 80)["full_analysis_report"]
    fitted = sample_report["full_analysis_report"]
    assert sample_report == before  # the cached report is not modified
    assert shown["metadata"]["interval_level"] == 80
    for metric, rows in shown["forecast_chart"].items():
        bands = fitted["forecast_bands"][metric]
        assert [r["lower"] for r in rows] == [b["lower_80"] for b in bands], metric
        assert [r["upper"] for r in rows] == [b["upper_80"] for b in bands], metric
        assert [r["predicted"] for r in rows] == [
            r["predicted"] for r in fitted["forecast_chart"][metric]], metric
    for key in ("forecast_bands", "model_health_report", "kpis", "history", "timing"):
        assert shown[key] == fitted[key], key
    # The CSV a user downloads carries the level shown.
    rows = read_csv(forecasts_csv({"full_analysis_report": shown}))
    revenue = next(r for r in rows if r["metric"] == "revenue")
    assert float(revenue["lower"]) == fitted["forecast_bands"]["revenue"][0]["lower_80"]


def test_the_view_shown_is_the_fitted_report_itself_when_nothing_changes(
        sample_report: dict[str, Any]) -> None:
    """Narratives are written once: the fitted report already is the default view."""
    assert with_view(sample_report, "finance_guardian", 95) is sample_report
    story = with_view(sample_report, "financial_storyteller", 95)["full_analysis_report"]
    assert story["narratives"] == with_mode(sample_report, "financial_storyteller")[
        "full_analysis_report"]["narratives"]


# --- the forecasts CSV ----------------------------------------------------------------------


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_forecasts_csv_has_one_row_per_metric_and_month(sample_report: dict[str, Any]) -> None:
    rows = read_csv(forecasts_csv(sample_report))
    body = sample_report["full_analysis_report"]

    assert len(rows) == 14 * 3
    assert list(rows[0]) == ["metric", "date", "predicted", "lower", "upper", "model"]
    for row in rows:
        chart = body["forecast_chart"][row["metric"]]
        expected = next(point for point in chart if point["date"] == row["date"])
        assert float(row["predicted"]) == expected["predicted"]
        assert float(row["lower"]) == expected["lower"]
        assert float(row["upper"]) == expected["upper"]
        assert row["model"] == body["model_health_report"][row["metric"]]["best_model_selected"]


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1:A2)"])
def test_forecasts_csv_escapes_formula_text(sample_report: dict[str, Any], text: str) -> None:
    report = copy.deepcopy(sample_report)
    body = report["full_analysis_report"]
    body["model_health_report"]["revenue"]["best_model_selected"] = text
    body["forecast_chart"][text] = copy.deepcopy(body["forecast_chart"]["expenses"])
    body["model_health_report"][text] = {"best_model_selected": "Prophet"}

    rows = read_csv(forecasts_csv(report))
    assert {row["model"] for row in rows if row["metric"] == "revenue"} == {"'" + text}
    assert {row["metric"] for row in rows} >= {"'" + text}
    assert all(not row[k].startswith(("=", "+", "-", "@")) for row in rows
               for k in ("metric", "model"))


def test_forecasts_csv_keeps_negative_numbers_numeric(sample_report: dict[str, Any]) -> None:
    report = copy.deepcopy(sample_report)
    cash = report["full_analysis_report"]["forecast_chart"]["cashflow"][0]
    cash.update(predicted=-1234.5, lower=-2000.25, upper=-10.0)

    rows = read_csv(forecasts_csv(report))
    row = next(r for r in rows if r["metric"] == "cashflow" and r["date"] == FORECAST_DATES[0])
    assert (row["predicted"], row["lower"], row["upper"]) == ("-1234.5", "-2000.25", "-10.0")
    growth = [r for r in rows if r["metric"] == "growth_rate"]
    assert all(float(r["lower"]) <= float(r["predicted"]) for r in growth)
    assert not any(r["lower"].startswith("'") for r in rows)


def test_data_dated_in_the_future_is_a_high_alert(sample_report: dict[str, Any]) -> None:
    report = copy.deepcopy(sample_report)
    meta = report["full_analysis_report"]["metadata"]
    meta["future_months"] = 3
    meta["warnings"] = ["3 months lie in the future (Jan 2027 onwards): check the date column."]
    alerts = with_mode(report, "finance_guardian")["full_analysis_report"]["narratives"]["alerts"]

    assert alerts[0]["severity"] == "high"
    assert alerts[0]["title"] == "Data runs into the future"
    assert alerts[0]["value"] == 3 and alerts[0]["value_text"] == "3 months"
