"""Balances per entity: each region's (store's, branch's...) last reading in the month, summed over
the entities; a balance repeated on every row of a region counts once; balance columns that behave
like per-transaction amounts get a data alert; per-entity monthly flows are kept for later."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting import SourceFile, compute_kpis, ingest

DAYS = pd.date_range("2023-01-01", "2024-12-31", freq="D")
REGIONS = {"North": 3_000.0, "South": 1_500.0, "West": 600.0}  # typical daily sales


def region_books(seed: int = 3, dso: float = 45.0) -> dict[str, pd.DataFrame]:
    """Each region's daily sales and its receivables balance at the end of each day: sales are
    invoiced, 1/dso of the open balance is collected every day (so DSO settles near ``dso``)."""
    rng = np.random.default_rng(seed)
    books = {}
    for region, size in REGIONS.items():
        sales = np.round(size * rng.gamma(8, 1 / 8, len(DAYS)), 2)
        balance = np.empty(len(DAYS))
        open_ar = size * dso
        for i, sale in enumerate(sales):
            open_ar = open_ar + sale - open_ar / dso
            balance[i] = round(open_ar, 2)
        books[region] = pd.DataFrame({"date": DAYS, "sales": sales, "ar": balance})
    return books


def daily_export(books: dict[str, pd.DataFrame], header: tuple[str, str, str, str],
                 sep: str, date_format: str, seed: int = 9) -> bytes:
    rng = np.random.default_rng(seed)
    rows = []
    for region, book in books.items():
        rows += [(d, region, s, a) for d, s, a in book.itertuples(index=False)]
    order = rng.permutation(len(rows))  # regions interleaved in no fixed order within a day
    rows = sorted((rows[i] for i in order), key=lambda r: r[0])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    writer.writerows((f"{d:{date_format}}", r, f"{s:.2f}", f"{a:.2f}") for d, r, s, a in rows)
    return out.getvalue().encode()


def true_dso(books: dict[str, pd.DataFrame]) -> pd.Series:
    """Company DSO per month from the books: regions' month-end balances over month sales."""
    total = sum(b.set_index("date")["ar"] for b in books.values())
    sales = sum(b.set_index("date")["sales"] for b in books.values())
    month_end_ar = total.groupby(total.index.to_period("M")).last()
    month_sales = sales.groupby(sales.index.to_period("M")).sum()
    days = month_sales.index.days_in_month
    return (month_end_ar / month_sales * days).set_axis(month_sales.index.to_timestamp())


@pytest.mark.parametrize(("header", "sep", "date_format"), [
    (("Date", "Region", "Revenue", "Accounts Receivable"), ",", "%Y-%m-%d"),
    (("Posting Date", "Branch", "Net Sales", "Trade Debtors"), ";", "%d.%m.%Y"),
    (("Day", "Store", "Sales (USD)", "AR Balance"), "\t", "%m/%d/%Y"),
])
def test_three_regions_daily_give_the_companys_dso(header: tuple[str, str, str, str], sep: str,
                                                   date_format: str) -> None:
    books = region_books()
    result = ingest([SourceFile("regions.csv", daily_export(books, header, sep, date_format))])
    dso = compute_kpis(result.monthly).values["dso"]
    truth = true_dso(books)

    assert list(dso.index) == list(truth.index)
    assert np.abs(dso - truth).max() < 3  # within a few days of the truth, every month
    assert 35 < float(dso.iloc[-1]) < 55
    entity = result.summary.entity_columns
    assert len(entity) == 1
    assert "summed" in result.summary.balance_basis["ar"]
    assert not result.summary.alerts  # a running balance is not a per-transaction amount
    # One region's balance, as "the last row of the month" read it, is far from the company's.
    assert float(dso.iloc[-1]) > 1.5 * float(books["South"]["ar"].iloc[-1]
                                             / result.monthly["revenue"].iloc[-1] * 31)


def test_a_region_balance_repeated_on_each_department_row_counts_once() -> None:
    rows = ["Date,Region,Department,Revenue,Accounts Receivable"]
    balances = {"North": 90_000.0, "South": 30_000.0}
    for i, month_end in enumerate(pd.date_range("2023-01-31", periods=14, freq="ME")):
        for region, ar in balances.items():
            for department in ("Sales", "Support", "R&D"):
                rows.append(f"{month_end:%Y-%m-%d},{region},{department},100,{ar + i}")
    result = ingest([SourceFile("repeated.csv", ("\n".join(rows) + "\n").encode())])

    assert result.monthly["ar"].iloc[0] == 90_000 + 30_000
    assert result.monthly["ar"].iloc[-1] == 90_013 + 30_013
    assert "the rows of one region repeat the same value" in result.summary.balance_basis["ar"]


def test_a_company_balance_repeated_on_every_row_is_the_company_balance() -> None:
    rows = ["Date|Store|Revenue|Total Assets"]
    for i, day in enumerate(pd.date_range("2023-01-01", periods=400, freq="D")):
        for store in ("A1", "B2", "C3", "D4"):
            rows.append(f"{day:%Y-%m-%d}|{store}|50|{1_000_000 + i}")
    result = ingest([SourceFile("stores.csv", ("\n".join(rows) + "\n").encode())])
    assert result.monthly["assets"].iloc[0] == 1_000_030  # Jan 31st's reading, once
    assert result.summary.balance_basis["assets"] == (
        "the last reading in the month, once for the company (every row of a date repeats the "
        "same value)")


def test_per_entity_monthly_flows_are_kept_for_later_forecasts() -> None:
    books = region_books(seed=4)
    data = daily_export(books, ("Date", "Region", "Revenue", "Accounts Receivable"), ",",
                        "%Y-%m-%d")
    result = ingest([SourceFile("regions.csv", data)])
    flows = result.entity_flows

    assert flows is not None
    assert list(flows.columns) == ["month", "region", "revenue"]
    north = flows[flows["region"] == "North"].set_index("month")["revenue"]
    book = books["North"].set_index("date")["sales"]
    expected = book.groupby(book.index.to_period("M")).sum()
    assert north.to_numpy() == pytest.approx(expected.to_numpy())
    assert result.summary.entity_columns == ["region"]


@pytest.fixture(scope="module")
def comprehensive(seed_dir: Path):
    data = (seed_dir / "comprehensive_financial_data.csv").read_bytes()
    return data, ingest([SourceFile("comprehensive_financial_data.csv", data)])


def test_seed_comprehensive_balances_are_flagged_as_per_transaction(comprehensive) -> None:
    _, result = comprehensive
    alerts = {a["metric"]: a for a in result.summary.alerts}
    assert set(alerts) == {"dso", "dpo", "cash_conversion_cycle"}
    assert alerts["dso"]["title"] == "Accounts receivable behaves like per-transaction amounts"
    assert "of that row's revenue and moves with it" in alerts["dso"]["detail"]
    assert alerts["dso"]["detail"] in result.summary.warnings


def test_seed_comprehensive_kpis_match_an_independent_reading(comprehensive) -> None:
    data, result = comprehensive
    revenue: dict[str, float] = {}
    last_ar: dict[tuple[str, str], tuple[str, float]] = {}
    for row in csv.DictReader(io.StringIO(data.decode())):
        month = row["Transaction Date"][:7]
        revenue[month] = revenue.get(month, 0.0) + float(row["Sales Revenue"])
        key = (month, row["Region"])
        if key not in last_ar or row["Transaction Date"] >= last_ar[key][0]:
            last_ar[key] = (row["Transaction Date"], float(row["Accounts Receivable"]))
    kpis = compute_kpis(result.monthly).values
    for month in ("2020-03", "2023-07", "2024-12"):
        ar = sum(v for (m, _), (_, v) in last_ar.items() if m == month)
        days = pd.Timestamp(f"{month}-01").days_in_month
        assert kpis.loc[f"{month}-01", "dso"] == pytest.approx(ar / revenue[month] * days)
        assert kpis.loc[f"{month}-01", "revenue"] == pytest.approx(revenue[month])
    assert result.summary.entity_columns == ["region", "department"]
    assert result.entity_flows is not None
    assert set(result.entity_flows.columns) == {"month", "region", "department", "revenue",
                                                "expenses", "profit"}


def _regional_months(total_label: str | None, total_share: float = 1.0) -> bytes:
    """Three regions a month for 14 months, and a row per month labelled ``total_label`` whose
    amounts are ``total_share`` times the regions' sum."""
    rows = ["Date,Region,Revenue,Accounts Receivable"]
    for i, month_end in enumerate(pd.date_range("2023-01-31", periods=14, freq="ME")):
        sales = {"North": 3000.0 + i, "South": 2000.0, "West": 1000.0}
        for region, amount in sales.items():
            rows.append(f"{month_end:%Y-%m-%d},{region},{amount},{amount * 1.5}")
        if total_label is not None:
            total = sum(sales.values()) * total_share
            rows.append(f"{month_end:%Y-%m-%d},{total_label},{total},{total * 1.5}")
    return ("\n".join(rows) + "\n").encode()


@pytest.mark.parametrize("label", ["Total", "All regions", "Grand Total", "TOTAL:"])
def test_a_total_row_per_month_is_left_out_not_counted_twice(label: str) -> None:
    plain_result = ingest([SourceFile("regions.csv", _regional_months(None))])
    result = ingest([SourceFile("regions.csv", _regional_months(label))])

    pd.testing.assert_frame_equal(result.monthly, plain_result.monthly)
    assert result.monthly["revenue"].iloc[0] == 6000.0
    assert result.entity_flows is not None
    assert set(result.entity_flows["region"]) == {"North", "South", "West"}
    assert f"The rows with Region '{label}' hold the sum" in " ".join(result.summary.warnings)


def test_a_total_like_region_that_is_not_the_sum_of_the_others_stays_a_region() -> None:
    result = ingest([SourceFile("regions.csv", _regional_months("Total Logistics", 0.4))])

    assert result.monthly["revenue"].iloc[0] == 6000.0 * 1.4
    assert result.entity_flows is not None
    assert "Total Logistics" in set(result.entity_flows["region"])
    assert "Region 'Total Logistics' reads like a total but its revenue is not the sum" in (
        " ".join(result.summary.warnings))
