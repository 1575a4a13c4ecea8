"""Reports by month as accounting packages export them: title lines, accounts down the rows, one
column per month, a Total column; a P&L and a balance sheet uploaded together."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import SourceFile, compute_kpis, ingest

MONTHS = pd.date_range("2023-01-01", periods=24, freq="MS")
RNG = np.random.default_rng(5)
SALES = np.round(50_000 + 800 * np.arange(24) + RNG.normal(0, 2_000, 24), 2)
SERVICES = np.round(8_000 + RNG.normal(0, 500, 24), 2)
MATERIALS = np.round(0.4 * SALES, 2)
RENT = np.full(24, 4_000.0)
SALARIES = np.round(15_000 + RNG.normal(0, 300, 24), 2)
INCOME = SALES + SERVICES
COGS = MATERIALS
EXPENSES = RENT + SALARIES
NET_INCOME = INCOME - COGS - EXPENSES + 150.0  # other income 150 a month


def money(value: float, style: str) -> str:
    if style == "us":
        return f'"{value:,.2f}"' if value >= 0 else f'"({-value:,.2f})"'
    return f"{value:.2f}"


def report(title: list[str], rows: list[tuple[str, np.ndarray | None]], headers: list[str],
           sep: str, style: str, total: bool = True) -> bytes:
    lines = [*title, "", sep.join(["", *headers, *(["Total"] if total else [])])]
    for label, values in rows:
        if values is None:  # a section heading
            lines.append(sep.join([label] + [""] * (len(headers) + total)))
        else:
            cells = [money(v, style) for v in values]
            cells += [money(float(values.sum()), style)] if total else []
            lines.append(sep.join([label, *cells]))
    return ("\n".join(lines) + "\n").encode()


def profit_and_loss(month_format: str, sep: str, style: str) -> bytes:
    rows = [
        ("Income", None), ("Sales", SALES), ("Services", SERVICES), ("Total Income", INCOME),
        ("Cost of Goods Sold", None), ("Materials", MATERIALS),
        ("Total Cost of Goods Sold", COGS), ("Gross Profit", INCOME - COGS),
        ("Expenses", None), ("Rent", RENT), ("Salaries", SALARIES),
        ("Total Expenses", EXPENSES), ("Net Operating Income", INCOME - COGS - EXPENSES),
        ("Other Income", np.full(24, 150.0)), ("Net Income", NET_INCOME),
    ]
    headers = [f"{m:{month_format}}" for m in MONTHS]
    return report(["Acme Trading Ltd", "Profit and Loss", "January 2023 - December 2024"], rows,
                  headers, sep, style)


CASH = np.round(30_000 + RNG.normal(0, 1_000, 24), 2)
AR = np.round(INCOME * 45 / 30, 2)  # 45 days of sales outstanding
INVENTORY = np.round(COGS * 20 / 30, 2)
AP = np.round(COGS * 30 / 30, 2)  # 30 days of cost of goods sold
CURRENT_ASSETS = CASH + AR + INVENTORY
FIXED = np.full(24, 200_000.0)
CURRENT_LIABILITIES = AP + 5_000
LIABILITIES = CURRENT_LIABILITIES + 120_000


def balance_sheet(sep: str) -> bytes:
    rows = [
        ("Assets", None), ("Cash at Bank", CASH), ("Accounts Receivable", AR),
        ("Inventory", INVENTORY), ("Total Current Assets", CURRENT_ASSETS),
        ("Fixed Assets", FIXED), ("Total Assets", CURRENT_ASSETS + FIXED),
        ("Liabilities", None), ("Accounts Payable", AP), ("Accrued Expenses", np.full(24, 5e3)),
        ("Total Current Liabilities", CURRENT_LIABILITIES), ("Long-term Debt", np.full(24, 12e4)),
        ("Total Liabilities", LIABILITIES), ("Equity", None),
        ("Total Equity", CURRENT_ASSETS + FIXED - LIABILITIES),
    ]
    headers = [f"{m + pd.offsets.MonthEnd(0):%Y-%m-%d}" for m in MONTHS]
    return report(["Acme Trading Ltd", "Balance Sheet", "As of each month end"], rows, headers,
                  sep, "plain", total=False)


@pytest.mark.parametrize(("month_format", "sep", "style"), [
    ("%b %Y", ",", "us"), ("%b-%y", ";", "plain"), ("%Y-%m", "\t", "plain"),
])
def test_profit_and_loss_by_month_is_turned_long_and_mapped(month_format: str, sep: str,
                                                            style: str) -> None:
    result = ingest([SourceFile("pnl-2023-2024.csv", profit_and_loss(month_format, sep, style))])
    monthly, summary = result.monthly, result.summary

    assert list(monthly.index) == list(MONTHS)  # the Total column is not a month
    assert monthly["revenue"].to_numpy() == pytest.approx(INCOME)
    assert monthly["cogs"].to_numpy() == pytest.approx(COGS)
    assert monthly["expenses"].to_numpy() == pytest.approx(EXPENSES)
    assert monthly["profit"].to_numpy() == pytest.approx(NET_INCOME)
    mapped = {v: k for k, v in summary.column_mapping.items()}
    assert (mapped["revenue"], mapped["cogs"], mapped["expenses"], mapped["profit"]) == (
        "Total Income", "Total Cost of Goods Sold", "Total Expenses", "Net Income")
    assert "pnl-2023-2024.csv: 3 title lines above the header were skipped." in summary.lines()
    layout = next(n for n in summary.notes if "report by month" in n)
    assert "24 month columns" in layout and "'Total' column was left out" in layout
    # Detail lines are amounts the forecasts do not use: each is listed, with why.
    assert "Gross Profit" in summary.doubts and "Sales" in summary.doubts

    kpis = compute_kpis(monthly).values
    assert kpis["expenses"].to_numpy() == pytest.approx(COGS + EXPENSES)
    assert kpis["profit_margin"].to_numpy() == pytest.approx(NET_INCOME / INCOME * 100)


def test_balance_sheet_beside_the_pnl_gives_working_capital_and_days() -> None:
    files = [SourceFile("pnl.csv", profit_and_loss("%b %Y", ",", "us")),
             SourceFile("balance-sheet.csv", balance_sheet(";"))]
    result = ingest(files)
    kpis = compute_kpis(result.monthly)
    days = MONTHS.days_in_month.to_numpy()

    assert len(result.monthly) == 24
    assert kpis.values["working_capital"].to_numpy() == pytest.approx(
        CURRENT_ASSETS - CURRENT_LIABILITIES)
    assert kpis.label("working_capital") == "Working capital"
    assert kpis.values["dso"].to_numpy() == pytest.approx(AR / INCOME * days)
    assert kpis.values["dpo"].to_numpy() == pytest.approx(AP / COGS * days)
    assert kpis.values["dso"].mean() == pytest.approx(45 * days.mean() / 30, rel=1e-6)
    assert kpis.values["debt_to_equity_ratio"].to_numpy() == pytest.approx(
        LIABILITIES / (CURRENT_ASSETS + FIXED - LIABILITIES))
    mapping = result.summary.column_mapping
    assert mapping["Total Equity"] == "equity" and mapping["Cash at Bank"] == "cash"
    assert "Fixed Assets" not in mapping  # fixed assets alone are not total assets
