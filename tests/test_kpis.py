"""The monthly frame to the 14 KPIs: each formula on hand-computed rows, division by zero."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import METRIC_INFO, METRICS, SourceFile, compute_kpis, ingest

# February 2023 has 28 days, March 31: day-based KPIs must differ for the same balances.
FEB_MAR = pd.DatetimeIndex(["2023-02-01", "2023-03-01"], name="month")


def frame(**columns: list[float]) -> pd.DataFrame:
    return pd.DataFrame(columns, index=FEB_MAR, dtype="float64")


FULL = frame(
    revenue=[1000.0, 1100.0],
    expenses=[600.0, 660.0],
    profit=[250.0, 330.0],
    cashflow=[200.0, 210.0],
    ar=[500.0, 550.0],
    ap=[200.0, 330.0],
    assets=[5000.0, 5200.0],
    liabilities=[2000.0, 2600.0],
)


@pytest.fixture(scope="module")
def kpis() -> pd.DataFrame:
    return compute_kpis(FULL).values


def test_every_metric_is_computed_from_a_full_export(kpis: pd.DataFrame) -> None:
    assert tuple(kpis.columns) == METRICS


def test_dso_counts_the_days_of_each_month(kpis: pd.DataFrame) -> None:
    # Same ratio ar/revenue = 0.5 in both months: 14 days in February, 15.5 in March.
    assert kpis["dso"].tolist() == pytest.approx([0.5 * 28, 0.5 * 31])


def test_dpo_is_payables_over_expenses_in_days(kpis: pd.DataFrame) -> None:
    assert kpis["dpo"].tolist() == pytest.approx([200 / 600 * 28, 330 / 660 * 31])


def test_cash_conversion_cycle_without_inventory_is_dso_minus_dpo() -> None:
    result = compute_kpis(FULL)
    expected = [0.5 * 28 - 200 / 600 * 28, 0.5 * 31 - 0.5 * 31]
    assert result.values["cash_conversion_cycle"].tolist() == pytest.approx(expected)
    assert "No inventory column" in result.notes["cash_conversion_cycle"]


def test_cash_conversion_cycle_adds_days_inventory_when_present() -> None:
    with_stock = FULL.assign(inventory=[120.0, 66.0])
    ccc = compute_kpis(with_stock).values["cash_conversion_cycle"]
    dio = [120 / 600 * 28, 66 / 660 * 31]
    expected = [0.5 * 28 + dio[0] - 200 / 600 * 28, 0.5 * 31 + dio[1] - 0.5 * 31]
    assert ccc.tolist() == pytest.approx(expected)


def test_working_capital_margin_expense_ratio_and_leverage(kpis: pd.DataFrame) -> None:
    assert kpis["working_capital"].tolist() == [3000.0, 2600.0]
    assert kpis["profit_margin"].tolist() == pytest.approx([25.0, 30.0])
    assert kpis["expense_ratio"].tolist() == pytest.approx([60.0, 60.0])
    assert kpis["debt_to_equity_ratio"].tolist() == pytest.approx([2000 / 3000, 2600 / 2600])


def test_growth_is_month_over_month_percent(kpis: pd.DataFrame) -> None:
    assert np.isnan(kpis["growth_rate"].iloc[0])  # no month before the first
    assert kpis["growth_rate"].iloc[1] == pytest.approx(10.0)


def test_growth_from_a_negative_month_is_measured_against_its_size() -> None:
    growth = compute_kpis(frame(revenue=[-100.0, 50.0])).values["growth_rate"]
    assert growth.iloc[1] == pytest.approx(150.0)  # better than before, so positive


def test_amount_series_pass_through_unchanged(kpis: pd.DataFrame) -> None:
    for metric in ("revenue", "expenses", "profit", "cashflow", "ar", "ap"):
        assert kpis[metric].tolist() == FULL[metric].tolist()


def test_division_by_zero_gives_missing_never_zero_or_infinity() -> None:
    zeros = frame(revenue=[0.0, 0.0], expenses=[0.0, 0.0], ar=[500.0, 0.0], ap=[100.0, 0.0],
                  assets=[1000.0, 0.0], liabilities=[1000.0, 0.0])
    values = compute_kpis(zeros).values

    for metric in ("dso", "dpo", "cash_conversion_cycle", "profit_margin", "expense_ratio",
                   "growth_rate"):
        assert values[metric].isna().all(), metric
    assert not np.isinf(values.to_numpy()).any()
    # Zero equity: debt to equity is not a number to forecast, and the reason names the months.
    assert "debt_to_equity_ratio" not in values
    assert compute_kpis(zeros).skipped["debt_to_equity_ratio"].startswith(
        "not meaningful: equity is negative or near zero in 2 months (Feb 2023, Mar 2023)")
    assert values["working_capital"].tolist() == [0.0, 0.0]  # a subtraction, not a division


def test_growth_after_a_zero_month_is_missing_and_into_it_is_minus_100() -> None:
    months = pd.date_range("2023-01-01", periods=3, freq="MS")
    revenue = pd.DataFrame({"revenue": [200.0, 0.0, 300.0]}, index=months)
    growth = compute_kpis(revenue).values["growth_rate"]
    assert growth.iloc[1] == pytest.approx(-100.0)
    assert np.isnan(growth.iloc[2])


def test_profit_is_derived_when_the_export_has_no_profit_column() -> None:
    result = compute_kpis(FULL.drop(columns=["profit"]))
    assert result.values["profit"].tolist() == [400.0, 440.0]
    assert result.values["profit_margin"].tolist() == pytest.approx([40.0, 40.0])
    assert result.notes["profit"] == "No profit column: profit = revenue − expenses."


def test_missing_columns_skip_their_metrics_with_a_reason() -> None:
    result = compute_kpis(frame(revenue=[1000.0, 1100.0]))

    assert set(result.values.columns) == {"revenue", "growth_rate"}
    assert result.skipped["dso"] == "needs the ar column."
    assert result.skipped["dpo"] == "needs the ap and expenses columns."
    assert result.skipped["cash_conversion_cycle"] == "needs both DSO and DPO."
    assert result.skipped["working_capital"] == (
        "needs current assets and current liabilities (or total assets and liabilities).")
    assert result.skipped["debt_to_equity_ratio"] == (
        "needs total liabilities and equity (or total assets).")
    assert result.skipped["profit_margin"] == "needs profit (or expenses)."
    assert set(result.values.columns) | set(result.skipped) == set(METRICS)


def test_seed_sample_latest_month_kpis(sample_csv_bytes: bytes) -> None:
    monthly = ingest([SourceFile("sample.csv", sample_csv_bytes)]).monthly
    latest = compute_kpis(monthly).values.loc["2024-12-01"]

    # December 2024 row: revenue 250,000, costs 128,000, profit 84,000, AR 80,000, AP 42,000,
    # assets 655,000, liabilities 340,000; November revenue 225,000.
    assert latest["dso"] == pytest.approx(80_000 / 250_000 * 31)
    assert latest["dpo"] == pytest.approx(42_000 / 128_000 * 31)
    assert latest["profit_margin"] == pytest.approx(84_000 / 250_000 * 100)
    assert latest["working_capital"] == 315_000
    assert latest["debt_to_equity_ratio"] == pytest.approx(340_000 / 315_000)
    assert latest["growth_rate"] == pytest.approx((250_000 / 225_000 - 1) * 100)


# --- one meaning per name -------------------------------------------------------------------


def test_working_capital_is_current_assets_minus_current_liabilities_when_present() -> None:
    split = FULL.assign(current_assets=[1800.0, 1900.0], current_liabilities=[900.0, 1200.0])
    result = compute_kpis(split)
    assert result.values["working_capital"].tolist() == [900.0, 700.0]
    assert result.label("working_capital") == "Working capital"
    assert "working_capital" not in result.notes


def test_working_capital_from_totals_only_is_labelled_net_assets() -> None:
    result = compute_kpis(FULL)
    assert result.values["working_capital"].tolist() == [3000.0, 2600.0]
    assert result.label("working_capital") == "Net assets (assets − liabilities)"
    assert "no current split in the data" in result.formula("working_capital")


def test_cost_of_goods_sold_is_added_to_expenses_and_drives_dpo() -> None:
    with_cogs = FULL.drop(columns=["profit"]).assign(cogs=[300.0, 330.0])
    values = compute_kpis(with_cogs).values
    assert values["expenses"].tolist() == [900.0, 990.0]  # operating 600 + COGS 300
    assert values["profit"].tolist() == [100.0, 110.0]
    assert values["dpo"].tolist() == pytest.approx([200 / 300 * 28, 330 / 330 * 31])


def test_leverage_uses_the_equity_column_when_the_export_has_one() -> None:
    values = compute_kpis(FULL.assign(equity=[2500.0, 2500.0])).values
    assert values["debt_to_equity_ratio"].tolist() == pytest.approx([2000 / 2500, 2600 / 2500])


def test_growth_and_margin_are_monthly_and_say_so() -> None:
    assert METRIC_INFO["growth_rate"].label == "Revenue growth (month over month)"
    assert METRIC_INFO["profit_margin"].label == "Profit margin (month)"


def test_seed_sample_working_capital_is_net_assets(sample_csv_bytes: bytes) -> None:
    result = compute_kpis(ingest([SourceFile("sample.csv", sample_csv_bytes)]).monthly)
    # December 2024: total assets 655,000, total liabilities 340,000, no current split.
    assert result.values.loc["2024-12-01", "working_capital"] == 655_000 - 340_000
    assert result.label("working_capital").startswith("Net assets")
