"""Headers recognised by meaning: units, currency codes, total/net prefixes, &/and, plurals and
accounting vocabulary; every column gets a decision with a confidence and a reason, and a column
of amounts that is not used is listed with its best guess."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from forecasting import DataValidationError, SourceFile, ingest
from forecasting.columns import guess_mapping, map_columns, normalise_header

MONTHS = pd.date_range("2022-01-31", periods=24, freq="ME")

# (what a column means, ways exports write it)
VOCABULARY = {
    "revenue": ["Total Income", "Net Sales", "Turnover", "Sales Revenue", "Revenue (USD)",
                "REVENUE [EUR]", "Sales", "revenues", "Total Revenue (in thousands)",
                "Turnover (£)"],
    "expenses": ["Total Operating Expenses", "Opex", "SG&A", "Operating Expenses (USD)",
                 "Selling, General and Administrative", "Total Expenses", "Overheads",
                 "Operating costs [k€]"],
    "cogs": ["Cost of Sales", "COGS", "Cost of Goods Sold", "Total Cost of Goods Sold",
             "Cost of Revenue (USD)"],
    "profit": ["Net Income", "Net Earnings", "Net Profit", "Profit (pre-tax)",
               "Total Net Income", "Net income (loss)", "Earnings"],
    "cashflow": ["Operating Cash Flow", "Cash Flow from Operations",
                 "Net cash from operating activities", "Cash Flows (Operating)"],
    "ar": ["Trade Debtors", "Trade Receivables", "Accounts Receivable", "Receivables (USD)",
           "A/R", "Debtors"],
    "ap": ["Trade Creditors", "Trade Payables", "Accounts Payable", "Creditors", "A/P"],
    "current_assets": ["Current Assets", "Total Current Assets"],
    "current_liabilities": ["Current Liabilities", "Total current liabilities"],
    "cash": ["Cash", "Cash and Cash Equivalents", "Cash at Bank"],
    "inventory": ["Inventory", "Inventories", "Stock on hand"],
    "date": ["Date", "Month (MM/DD/YYYY)", "Date (UTC)", "Posting Date", "Period Ending",
             "Transaction date [local]"],
}


@pytest.mark.parametrize(("canonical", "header"), [
    (canonical, header) for canonical, headers in VOCABULARY.items() for header in headers
])
def test_accounting_vocabulary_is_recognised(canonical: str, header: str) -> None:
    decision, = map_columns([header])
    assert decision.target == canonical, (header, decision)
    assert decision.confidence in ("high", "medium")
    assert decision.reason


@pytest.mark.parametrize(("a", "b"), [
    ("Revenue (USD)", "revenue"), ("Total Operating Expenses", "total operating expenses"),
    ("Receivables", "receivable"), ("R&D", "R and D"), ("Revenue [k€]", "Revenue"),
    ("  Net   Sales ", "net sales"), ("Liabilities", "liability"),
])
def test_notes_units_case_plural_and_ampersand_do_not_change_a_name(a: str, b: str) -> None:
    assert normalise_header(a) == normalise_header(b)


@pytest.mark.parametrize(("header", "guess", "why"), [
    ("Gross Profit", "profit", "gross profit comes before operating expenses"),
    ("Capital Expenditure", "expenses", "capital spending is an investment"),
    ("Employee Cost", "expenses", "one cost line"),
    ("Revenue Target", "revenue", "a plan, not what happened"),
    ("Sales Tax", "revenue", "a tax line"),
    ("Days Sales Outstanding", "revenue", "a number of days"),
    ("AR Aging 30-60", "accounts receivable", "an aging bucket"),
    ("Free Cash Flow", "operating cash flow", "free cash flow is after capital spending"),
    ("EBITDA", "profit", "EBITDA leaves out depreciation"),
])
def test_a_near_miss_is_not_taken_and_says_why(header: str, guess: str, why: str) -> None:
    decision, = map_columns([header])
    assert decision.target is None
    assert decision.confidence == "low"
    assert decision.reason.startswith(f"closest meaning {guess}, not taken: {why}")


def test_net_income_is_profit_and_total_income_is_revenue() -> None:
    mapping, _ = guess_mapping(["Period", "Total Income", "Net Income", "Income"])
    assert mapping == {"Period": "date", "Total Income": "revenue", "Net Income": "profit"}


def test_an_exact_name_beats_a_near_one_whatever_the_order() -> None:
    for order in itertools.permutations(["Net Operating Income", "Net Income", "Date"]):
        mapping, ignored = guess_mapping(order)
        assert mapping["Net Income"] == "profit", order
        assert ignored["Net Operating Income"] == "Profit already comes from 'Net Income'"


def export_with(columns: dict[str, list[object]], sep: str = ",") -> bytes:
    header = ["Month", *columns]
    lines = [sep.join(header)]
    for i, month in enumerate(MONTHS):
        lines.append(sep.join([f"{month:%Y-%m-%d}", *(str(v[i]) for v in columns.values())]))
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("sep", [",", ";", "|"])
def test_unit_headers_from_a_real_layout_are_all_used(sep: str) -> None:
    revenue = [10_000 + 100 * i for i in range(24)]
    data = export_with({
        "Turnover (USD)": revenue,
        "Total Operating Expenses [USD]": [6_000] * 24,
        "Net income (USD)": [r - 6_000 for r in revenue],
        "Trade Debtors (USD)": [15_000] * 24,
    }, sep)
    result = ingest([SourceFile("units.csv", data)])
    assert set(result.summary.column_mapping.values()) == {
        "date", "revenue", "expenses", "profit", "ar"}
    assert result.monthly["revenue"].iloc[-1] == revenue[-1]
    assert result.monthly["expenses"].iloc[0] == 6_000


def test_an_unused_column_of_amounts_is_listed_with_its_best_guess() -> None:
    data = export_with({
        "Revenue": [10_000 + i for i in range(24)],
        "Capital Expenditure": [f'"${1_200 + 3 * i:,}"' for i in range(24)],
        "Invoice Count": [40 + i for i in range(24)],
        "Comment": ["ok"] * 24,
    })
    result = ingest([SourceFile("capex.csv", data)])
    doubts = result.summary.doubts
    assert set(doubts) == {"Capital Expenditure"}  # counts and text are not money
    assert doubts["Capital Expenditure"].startswith("24 values read as amounts; closest meaning "
                                                    "expenses, not taken: capital spending")
    assert any(line.startswith("'Capital Expenditure' looks like amounts but was not used")
               for line in result.summary.lines())


def test_every_column_gets_a_decision_with_its_confidence() -> None:
    data = export_with({"Net Sales": [5] * 24, "Opex": [2] * 24, "Notes": ["x"] * 24})
    summary = ingest([SourceFile("d.csv", data)]).summary
    decided = {d.source: (d.target, d.confidence) for d in summary.mapping_decisions}
    assert decided == {"Month": ("date", "high"), "Net Sales": ("revenue", "high"),
                       "Opex": ("expenses", "high"), "Notes": (None, "none")}
    lines = summary.decision_lines()
    assert "'Net Sales' → revenue (high confidence: a known name)." in lines
    assert "'Notes' not used: not a column the forecasts use." in lines


def test_a_guess_its_values_contradict_is_not_taken() -> None:
    # "Period Label" reads like a date column, but its values are quarters: the real date wins.
    data = export_with({"Period Label": [f"Q{i % 4 + 1}" for i in range(24)],
                        "Revenue": [100 + i for i in range(24)]})
    result = ingest([SourceFile("q.csv", data)])
    decision = next(d for d in result.summary.mapping_decisions if d.source == "Period Label")
    assert decision.target is None
    assert result.summary.column_mapping["Month"] == "date"
    only_quarters = ("Period Label,Revenue\n" + "".join(f"Q{i % 4 + 1},{i}\n" for i in range(24)))
    with pytest.raises(DataValidationError, match="has no date column"):
        ingest([SourceFile("q.csv", only_quarters.encode())])
