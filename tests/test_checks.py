"""Plausibility alerts a finance user needs before signing off: days outside 1–365, negative or
near-zero equity, margins beyond ±100%, a month of revenue ten times its neighbours, zero-revenue
months — each naming the months and the numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import SourceFile, compute_kpis, ingest
from forecasting.checks import plausibility_alerts

MONTHS = pd.date_range("2023-01-01", periods=24, freq="MS")


def monthly(**columns: list[float] | np.ndarray) -> pd.DataFrame:
    base = {"revenue": np.linspace(10_000, 13_000, 24), "expenses": np.full(24, 6_000.0)}
    return pd.DataFrame({**base, **columns}, index=MONTHS, dtype="float64")


def alerts_for(frame: pd.DataFrame) -> dict[str, dict[str, str]]:
    return {a["title"]: a for a in plausibility_alerts(frame, compute_kpis(frame))}


def test_a_sensible_company_raises_no_alert() -> None:
    frame = monthly(ar=np.linspace(15_000, 19_000, 24), ap=np.full(24, 4_000.0),
                    assets=np.full(24, 90_000.0), liabilities=np.full(24, 40_000.0))
    assert alerts_for(frame) == {}


def test_dso_under_a_day_says_the_column_may_hold_transactions() -> None:
    frame = monthly(ar=np.full(24, 120.0))  # 120 of receivables against 10,000+ of sales
    alert = alerts_for(frame)["DSO is implausible"]
    dso = 120 / 13_000 * 31
    assert alert["severity"] == "medium"
    assert "in 24 of 24 months" in alert["detail"]
    assert f"{dso:.1f} days in Dec 2024" in alert["detail"]
    assert "per-transaction amounts" in alert["detail"]


def test_dpo_over_a_year_is_flagged() -> None:
    frame = monthly(ap=np.full(24, 6_000.0 * 13))  # 13 months of expenses unpaid
    assert "more than a year" in alerts_for(frame)["DPO is implausible"]["detail"]


@pytest.mark.parametrize(("liabilities", "months"), [
    (np.full(24, 60_000.0), "24 months (Jan 2023, Feb 2023, Mar 2023, ...)"),  # negative
    (np.r_[np.full(20, 40_000.0), np.full(4, 49_999.9)], "4 months (Sep 2024"),  # near zero
])
def test_negative_or_near_zero_equity_makes_leverage_not_meaningful(liabilities: np.ndarray,
                                                                    months: str) -> None:
    frame = monthly(assets=np.full(24, 50_000.0), liabilities=liabilities)
    kpis = compute_kpis(frame)
    assert "debt_to_equity_ratio" not in kpis.values
    assert months in kpis.skipped["debt_to_equity_ratio"]
    alert = alerts_for(frame)["Debt to equity is not meaningful"]
    assert alert["severity"] == "high"
    assert "neither shown nor forecast" in alert["detail"]


def test_margins_beyond_100_percent_are_flagged_with_their_months() -> None:
    expenses = np.full(24, 6_000.0)
    expenses[[4, 9]] = 30_000.0  # costs in the wrong unit in two months
    frame = monthly(expenses=expenses)
    detail = alerts_for(frame)["Expense ratio beyond ±100%"]["detail"]
    assert "in 2 months (May 2023, Oct 2023" in detail
    assert "Profit margin beyond ±100%" in alerts_for(frame)


def test_a_month_ten_times_its_neighbours_is_flagged() -> None:
    revenue = np.linspace(10_000, 13_000, 24)
    revenue[7] *= 12  # a cumulative figure pasted into August
    detail = alerts_for(monthly(revenue=revenue))[
        "A month of revenue far above its neighbours"]["detail"]
    neighbours = (revenue[6] + revenue[8]) / 2
    assert detail.startswith(f"Revenue in Aug 2023 is {revenue[7] / neighbours:.0f}×")


def test_zero_revenue_months_are_named() -> None:
    revenue = np.linspace(10_000, 13_000, 24)
    revenue[[2, 3]] = 0.0
    detail = alerts_for(monthly(revenue=revenue))["Months without revenue"]["detail"]
    assert detail.startswith("Revenue is zero in 2 months (Mar 2023, Apr 2023)")


def test_a_late_starting_column_starts_late_and_is_not_filled_backwards() -> None:
    months = pd.date_range("2022-01-31", periods=24, freq="ME")
    lines = ["Date,Revenue,Accounts Receivable"] + [
        f"{m:%Y-%m-%d},{1000 + i},{'' if i < 8 else 1500 + i}" for i, m in enumerate(months)]
    result = ingest([SourceFile("late.csv", ("\n".join(lines) + "\n").encode())])
    ar = result.monthly["ar"]
    assert ar.iloc[:8].isna().all()  # never the first reading copied backwards
    assert ar.iloc[8] == 1508
    assert not result.filled["ar"].any()
    assert "Accounts receivable starts in Sep 2022, 8 months after revenue" in " ".join(
        result.summary.lines())
    dso = compute_kpis(result.monthly).values["dso"]
    assert dso.first_valid_index() == pd.Timestamp("2022-09-01")


def test_a_column_that_stops_early_is_left_out_with_the_reason() -> None:
    months = pd.date_range("2022-01-31", periods=24, freq="ME")
    lines = ["Date,Revenue,Cash Flow"] + [
        f"{m:%Y-%m-%d},{1000 + i},{'' if i >= 20 else 300}" for i, m in enumerate(months)]
    result = ingest([SourceFile("stops.csv", ("\n".join(lines) + "\n").encode())])
    assert "cashflow" not in result.monthly
    assert result.summary.skipped_columns["cashflow"].startswith(
        "it stops in Aug 2023, 4 months before the data ends")


def test_zero_revenue_in_the_prior_year_gives_no_year_over_year_growth() -> None:
    from forecasting.headline import headline_kpis

    revenue = np.r_[np.zeros(12), np.linspace(500, 600, 12)]
    kpis = headline_kpis(compute_kpis(monthly(revenue=revenue)).values, {})
    assert kpis["revenue_growth_yoy"] is None  # once a ZeroDivisionError after all fitting
    assert kpis["total_revenue"] == pytest.approx(revenue[12:].sum())


def test_negative_revenue_is_named_and_not_blamed_on_receivables() -> None:
    revenue = np.linspace(10_000, 13_000, 24)
    revenue[8] = -5_000.0  # a month of credit notes
    frame = monthly(revenue=revenue, ar=np.full(24, 15_000.0))
    alerts = alerts_for(frame)
    assert alerts["Months of negative revenue"]["detail"] == (
        "Revenue is negative in 1 month (Sep 2023: -$5,000): credit notes or returns exceed "
        "sales there; days sales outstanding and margins for that month are not meaningful.")
    assert "DSO is implausible" not in alerts  # receivables are normal; revenue is the cause
    assert "Profit margin beyond ±100%" not in alerts
    assert "Expense ratio beyond ±100%" not in alerts


def test_receivables_under_a_day_are_still_flagged_beside_a_negative_revenue_month() -> None:
    revenue = np.linspace(10_000, 13_000, 24)
    revenue[8] = -5_000.0
    ar = np.full(24, 15_000.0)
    ar[20] = 100.0
    detail = alerts_for(monthly(revenue=revenue, ar=ar))["DSO is implausible"]["detail"]
    assert detail.startswith("DSO is outside 1–365 days in 1 of 24 months (Sep 2024;")
    assert "per-transaction amounts" in detail


def test_a_payables_column_of_zeros_is_said_to_be_zero() -> None:
    detail = alerts_for(monthly(ap=np.zeros(24)))["DPO is implausible"]["detail"]
    assert "in 24 of 24 months" in detail
    assert detail.endswith("accounts payable is 0 in every month: the export probably leaves "
                           "the column empty.")
    assert "per-transaction" not in detail


def test_payables_zero_in_some_months_name_those_months() -> None:
    ap = np.full(24, 4_000.0)
    ap[[3, 4]] = 0.0
    detail = alerts_for(monthly(ap=ap))["DPO is implausible"]["detail"]
    assert detail.endswith("accounts payable is 0 in 2 months (Apr 2023, May 2023).")


def test_the_example_value_is_printed_outside_the_range_it_breaks() -> None:
    ap = np.full(24, 4_000.0)
    ap[-1] = 6_000.0 * 0.96 / 31  # 0.96 days of December's costs
    expenses = np.full(24, 6_000.0)
    expenses[-1] = 13_000 * 1.005  # an expense ratio of 100.5%
    alerts = alerts_for(monthly(ap=ap))
    assert "(Dec 2024; 0.96 days in Dec 2024)" in alerts["DPO is implausible"]["detail"]
    ratio = alerts_for(monthly(expenses=expenses))["Expense ratio beyond ±100%"]["detail"]
    assert "(Dec 2024; +100.5%)" in ratio


@pytest.mark.parametrize(("columns", "detail"), [
    ({"cogs": np.full(24, 2_000.0)},
     "Cost of goods sold is negative in 2 months (Mar 2023: -$300, Apr 2023: -$300): returns "
     "or reversals exceed costs there; days payable outstanding for those months is not "
     "meaningful."),
    ({}, "Expenses are negative in 2 months (Mar 2023: -$300, Apr 2023: -$300): refunds or "
         "reversals exceed costs there; days payable outstanding for those months is not "
         "meaningful."),
])
def test_negative_costs_under_payables_are_named_instead_of_the_balance(
        columns: dict[str, np.ndarray], detail: str) -> None:
    costs = np.full(24, 2_000.0)
    costs[[2, 3]] = -300.0
    column = "cogs" if columns else "expenses"
    frame = monthly(**{**columns, column: costs}, ap=np.full(24, 4_000.0))
    alerts = alerts_for(frame)
    assert "DPO is implausible" not in alerts
    assert [a["detail"] for a in alerts.values() if a["detail"].startswith(detail[:20])] == [
        detail]


def test_a_profit_column_far_from_revenue_minus_expenses_is_questioned() -> None:
    frame = monthly(profit=np.linspace(10_000, 13_000, 24) * 0.45)  # 45% margin, books say ~45%
    assert "Profit column differs from revenue − expenses" not in alerts_for(frame)
    frame = monthly(profit=np.linspace(10_000, 13_000, 24) * 0.80)  # 80%: other income?
    alert = alerts_for(frame)["Profit column differs from revenue − expenses"]
    assert alert["severity"] == "low"
    assert "in 24 of 24 months" in alert["detail"]
    assert "Dec 2024: profit 80% of revenue, revenue − expenses 54%" in alert["detail"]


def test_marketing_shown_apart_counts_as_a_cost_line() -> None:
    revenue = np.linspace(10_000, 13_000, 24)
    frame = monthly(marketing=np.full(24, 1_500.0), profit=revenue - 6_000 - 1_500)
    assert "Profit column differs from revenue − expenses" not in alerts_for(frame)
