"""CSV bytes to the monthly frame: the seed system's real exports, headers, amounts, dates,
encodings, delimiters, aggregation, gaps, and the errors a finance user reads."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting import DataValidationError, SourceFile, ingest
from forecasting.columns import guess_mapping, map_columns
from forecasting.parsing import parse_amounts, parse_dates

MONTHS_14 = pd.date_range("2023-01-01", periods=14, freq="MS")


def csv_bytes(header: list[str], rows: list[list[object]], sep: str = ",",
              encoding: str = "utf-8") -> bytes:
    lines = [sep.join(header), *(sep.join(str(v) for v in row) for row in rows)]
    return ("\n".join(lines) + "\n").encode(encoding)


def monthly_rows(n: int = 14, start: str = "2023-01-01") -> list[list[object]]:
    """n month-end rows: date, revenue 1000, 1010, ..."""
    months = pd.date_range(start, periods=n, freq="ME")
    return [[f"{m:%Y-%m-%d}", 1000 + 10 * i] for i, m in enumerate(months)]


def ingest_one(data: bytes, name: str = "export.csv", mapping: dict[str, str] | None = None):
    return ingest([SourceFile(name, data)], mapping)


# --- the seed system's three exports -------------------------------------------------------


def test_seed_sample_gives_24_months_with_every_column_mapped(sample_csv_bytes: bytes) -> None:
    result = ingest_one(sample_csv_bytes, "sample_financial_data.csv")

    assert result.summary.column_mapping == {
        "Transaction Date": "date",
        "Sales Revenue": "revenue",
        "Operating Costs": "expenses",
        "Marketing Spend": "marketing",
        "Region": "region",
        "Department": "department",
        "Net Profit": "profit",
        "Cash Flow from Operations": "cashflow",
        "Accounts Receivable": "ar",
        "Accounts Payable": "ap",
        "Total Assets": "assets",
        "Total Liabilities": "liabilities",
    }
    assert result.summary.ignored_columns == {}
    assert len(result.monthly) == 24
    assert result.monthly.index[0] == pd.Timestamp("2023-01-01")
    assert result.monthly.index[-1] == pd.Timestamp("2024-12-01")
    assert result.summary.rows_read == result.summary.rows_used == 24
    assert result.monthly.loc["2023-01-01", "revenue"] == 120_500
    assert result.monthly.loc["2024-12-01", "liabilities"] == 340_000


def test_seed_sample_keeps_the_day_first_row(sample_csv_bytes: bytes) -> None:
    # The export writes one date as 24/08/2024: that row is August 2024, not dropped, not a gap.
    result = ingest_one(sample_csv_bytes)

    august = result.monthly.loc["2024-08-01"]
    assert august["revenue"] == 175_000
    assert august["profit"] == 57_000
    assert not result.filled.loc["2024-08-01"].any()
    assert sum(result.summary.rows_dropped.values()) == 0


def test_seed_sample_reports_its_empty_cells_as_filled(sample_csv_bytes: bytes) -> None:
    result = ingest_one(sample_csv_bytes)

    # Empty in the CSV: Operating Costs 2023-10, Cash Flow 2023-05, Marketing Spend 2023-08.
    assert result.summary.filled_months == {
        "expenses": ["Oct 2023"], "cashflow": ["May 2023"], "marketing": ["Aug 2023"]}
    assert result.filled.loc["2023-10-01", "expenses"]
    assert int(result.filled.to_numpy().sum()) == 3
    # Filled from the neighbours (linear), never as zero.
    assert result.monthly.loc["2023-10-01", "expenses"] == pytest.approx((98_000 + 105_000) / 2)
    assert result.monthly.loc["2023-05-01", "cashflow"] == pytest.approx((35_000 + 45_000) / 2)
    assert any("Expenses was missing in 1 month (Oct 2023)" in line
               for line in result.summary.lines())


def test_seed_messy_export_is_refused_for_having_6_months(seed_dir: Path) -> None:
    data = (seed_dir / "messy_financial_data.csv").read_bytes()

    with pytest.raises(DataValidationError) as caught:
        ingest_one(data, "messy_financial_data.csv")

    # June's income cell is empty: the history ends where revenue ends, and the message says so.
    message = str(caught.value)
    assert "Only 5 months" in message
    assert "Jan 2024 to May 2024" in message
    assert "the file covers 6 months, but 1 of them has no revenue" in message
    assert "at least 12 months" in message


@pytest.fixture(scope="module")
def comprehensive(seed_dir: Path):
    data = (seed_dir / "comprehensive_financial_data.csv").read_bytes()
    return data, ingest_one(data, "comprehensive_financial_data.csv")


def test_seed_comprehensive_daily_rows_become_every_month_without_gaps(comprehensive) -> None:
    data, result = comprehensive
    dates = [row["Transaction Date"] for row in csv.DictReader(io.StringIO(data.decode()))]
    first, last = pd.Timestamp(min(dates)), pd.Timestamp(max(dates))

    expected = pd.date_range(first.to_period("M").to_timestamp(),
                             last.to_period("M").to_timestamp(), freq="MS")
    assert list(result.monthly.index) == list(expected)
    assert not result.filled.to_numpy().any()
    assert result.summary.filled_months == {}
    assert result.summary.rows_read == result.summary.rows_used == 10_500
    assert result.summary.column_mapping["Inventory"] == "inventory"
    for extra in ("Employee Cost", "Capital Expenditure", "Accounts Receivable Aging",
                  "Transaction Type", "Quarter"):
        assert extra in result.summary.ignored_columns


def test_seed_comprehensive_sums_flows_and_sums_each_regions_last_balance(comprehensive) -> None:
    data, result = comprehensive
    revenue: dict[str, float] = defaultdict(float)
    last_ar: dict[tuple[str, str], tuple[str, float]] = {}
    for row in csv.DictReader(io.StringIO(data.decode())):
        month = row["Transaction Date"][:7]
        revenue[month] += float(row["Sales Revenue"])
        key = (month, row["Region"])
        if key not in last_ar or row["Transaction Date"] >= last_ar[key][0]:
            last_ar[key] = (row["Transaction Date"], float(row["Accounts Receivable"]))

    for month in ("2020-01", "2021-06", "2024-02"):
        company_ar = sum(ar for (m, _), (_, ar) in last_ar.items() if m == month)
        assert result.monthly.loc[f"{month}-01", "revenue"] == pytest.approx(revenue[month])
        assert result.monthly.loc[f"{month}-01", "ar"] == pytest.approx(company_ar)
    assert "one reading per region and date" in result.summary.balance_basis["ar"]


def test_generated_company_export_gives_60_months_with_inventory(company_csv: Path) -> None:
    result = ingest_one(company_csv.read_bytes(), company_csv.name)

    assert len(result.monthly) == 60
    assert result.monthly.index[0] == pd.Timestamp("2021-01-01")
    assert result.summary.column_mapping["Inventory"] == "inventory"
    assert result.summary.filled_months == {}
    assert result.monthly.loc["2021-01-01", "revenue"] == 1_143_601


# --- headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "canonical"), [
    # the seed system's headers (README)
    ("Transaction Date", "date"),
    ("Sales Revenue", "revenue"),
    ("Operating Costs", "expenses"),
    ("Net Profit", "profit"),
    ("Cash Flow from Operations", "cashflow"),
    ("Accounts Receivable", "ar"),
    ("Accounts Payable", "ap"),
    ("Total Assets", "assets"),
    ("Total Liabilities", "liabilities"),
    ("Marketing Spend", "marketing"),
    ("Region", "region"),
    ("Department", "department"),
    ("Inventory", "inventory"),
    # plain names
    ("Date", "date"),
    ("Revenue", "revenue"),
    ("Expenses", "expenses"),
    ("Profit", "profit"),
    ("Cash Flow", "cashflow"),
    ("AR", "ar"),
    ("AP", "ap"),
    ("Month", "date"),
    # the messy export's headers
    (' "Profit (pre-tax)" ', "profit"),
    ("Date of Sale", "date"),
    (" Total Income ", "revenue"),
    ("Operational Expenses", "expenses"),
    ("REGION", "region"),
])
def test_header_is_recognised(header: str, canonical: str) -> None:
    mapping, ignored = guess_mapping([header])
    assert mapping == {header: canonical}
    assert ignored == {}


@pytest.mark.parametrize(("header", "why"), [
    ("Notes", "not a column the forecasts use"),
    ("Transaction Type", "not a column the forecasts use"),
    ("Quarter", "not a column the forecasts use"),
    ("Employee Cost", "closest meaning expenses, not taken: one cost line"),
    ("Capital Expenditure", "closest meaning expenses, not taken: capital spending"),
    ("Accounts Receivable Aging", "closest meaning accounts receivable, not taken: an aging"),
])
def test_unrelated_header_is_ignored_not_misread(header: str, why: str) -> None:
    # Capital expenditure is not operating expenses; receivables aging is not receivables.
    mapping, ignored = guess_mapping([header])
    assert mapping == {}
    assert ignored[header].startswith(why)


def test_second_column_for_the_same_meaning_is_ignored_with_the_reason() -> None:
    mapping, ignored = guess_mapping(["Date", "Sales", "Total Revenue"])
    assert mapping == {"Date": "date", "Sales": "revenue"}
    assert ignored == {"Total Revenue": "Revenue already comes from 'Sales'"}


def test_caller_mapping_overrides_the_guess() -> None:
    data = csv_bytes(["Date", "Sales", "Gross Revenue"],
                     [[d, 1, 500 + i] for i, (d, _) in enumerate(monthly_rows())])

    guessed = ingest_one(data)
    chosen = ingest_one(data, mapping={"Gross Revenue": "revenue"})
    dropped = ingest_one(data, mapping={"Sales": "ignore"})

    assert guessed.monthly["revenue"].iloc[0] == 1
    assert chosen.summary.column_mapping == {"Date": "date", "Gross Revenue": "revenue"}
    assert chosen.monthly["revenue"].iloc[0] == 500
    assert chosen.summary.ignored_columns == {"Sales": "Revenue already comes from 'Gross Revenue'"}
    assert dropped.summary.ignored_columns == {"Sales": "ignored at your request"}
    assert dropped.monthly["revenue"].iloc[-1] == 513


def test_messy_style_export_with_13_months_reads_every_amount(data_dir: Path) -> None:
    result = ingest_one((data_dir / "messy_13_months.csv").read_bytes(), "messy_13_months.csv")
    monthly = result.monthly

    assert result.summary.column_mapping == {
        "Date of Sale": "date", "Total Income": "revenue", "Operational Expenses": "expenses",
        "REGION": "region", "Profit (pre-tax)": "profit"}
    assert "Notes" in result.summary.ignored_columns
    assert len(monthly) == 13
    assert monthly.loc["2023-01-01", "revenue"] == 152_000
    assert monthly.loc["2023-01-01", "expenses"] == 85_000
    assert monthly.loc["2023-02-01", "revenue"] == 145_500
    assert monthly.loc["2023-07-01", "revenue"] == 198_250.5
    assert monthly.loc["2023-07-01", "profit"] == -2_500
    assert monthly.loc["2023-05-01", "revenue"] == 210_000
    assert result.summary.unreadable_values == {}
    # The two empty cells are missing (filled from neighbours and flagged), never zero.
    assert result.summary.filled_months == {"revenue": ["Jun 2023"], "expenses": ["Mar 2023"]}
    assert monthly.loc["2023-06-01", "revenue"] == pytest.approx((210_000 + 198_250.5) / 2)
    assert monthly.loc["2023-03-01", "expenses"] == pytest.approx((82_300 + 98_000) / 2)


# --- amounts --------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "value"), [
    ("$152,000", 152_000.0),
    (" $85,000 ", 85_000.0),
    ("1,234.50", 1_234.5),
    ("(1,200)", -1_200.0),
    ("-500", -500.0),
    ("€3.4", 3.4),
    ("-$1,234", -1_234.0),
    ("12,345,678", 12_345_678.0),
    ("1.2M", 1_200_000.0),
    ("250k", 250_000.0),
    ("0", 0.0),
])
def test_amount_is_read(raw: str, value: float) -> None:
    parsed, unreadable = parse_amounts(pd.Series([raw]))
    assert parsed.iloc[0] == pytest.approx(value)
    assert unreadable == 0


@pytest.mark.parametrize("raw", ["", "  ", "n/a", "NaN", "-", "null"])
def test_empty_amount_is_missing_not_zero(raw: str) -> None:
    parsed, unreadable = parse_amounts(pd.Series([raw]))
    assert np.isnan(parsed.iloc[0])
    assert unreadable == 0  # empty is not an error, just missing


def test_unreadable_amount_is_missing_and_counted() -> None:
    parsed, unreadable = parse_amounts(pd.Series(["12", "twelve", "$", "7"]))
    assert parsed.iloc[0] == 12 and parsed.iloc[3] == 7
    assert parsed.iloc[1:3].isna().all()
    assert unreadable == 2


def test_unreadable_amount_in_a_file_is_reported_and_filled() -> None:
    rows = monthly_rows()
    rows[3][1] = "oops"
    result = ingest_one(csv_bytes(["Date", "Revenue"], rows))

    assert result.summary.unreadable_values == {"revenue": 1}
    assert result.summary.filled_months == {"revenue": ["Apr 2023"]}
    assert result.monthly.loc["2023-04-01", "revenue"] == pytest.approx(1030)
    assert any("1 revenue value could not be read" in line for line in result.summary.lines())


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.integers(min_value=-(10**12), max_value=10**12), min_size=1, max_size=20),
       st.sampled_from(["{:,}", "${:,}", " {:,} ", "USD {:,}", "{:,}.00", "€{:,}"]))
def test_formatted_integers_round_trip(values: list[int], template: str) -> None:
    def formatted(n: int) -> str:
        text = template.format(abs(n))
        return f"-{text.strip()}" if n < 0 else text

    parsed, unreadable = parse_amounts(pd.Series([formatted(n) for n in values]))
    assert parsed.tolist() == [float(n) for n in values]
    assert unreadable == 0


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(st.integers(min_value=1, max_value=10**11), min_size=1, max_size=20))
def test_accounting_negatives_round_trip(values: list[int]) -> None:
    parsed, _ = parse_amounts(pd.Series([f"(${n:,})" for n in values]))
    assert parsed.tolist() == [-float(n) for n in values]


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "day"), [
    ("2024-01-15", "2024-01-15"),
    ("2024/01/15", "2024-01-15"),
    ("24/08/2024", "2024-08-24"),
    ("Jan 2024", "2024-01-01"),
    ("January 2024", "2024-01-01"),
    ("2024-01", "2024-01-01"),
    ("2024-01-15 00:00:00", "2024-01-15"),
])
def test_date_is_read(raw: str, day: str) -> None:
    assert parse_dates(pd.Series([raw])).iloc[0] == pd.Timestamp(day)


def test_month_first_column_is_read_month_first() -> None:
    # 01/31/2024 can only be month-first, so the ambiguous 03/04/2024 is March 4th too.
    parsed = parse_dates(pd.Series(["01/31/2024", "03/04/2024"]))
    assert list(parsed) == [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-03-04")]


def test_month_names_in_a_file_give_one_row_per_month() -> None:
    rows = [[f"{m:%b %Y}", 100 + i] for i, m in enumerate(MONTHS_14)]
    result = ingest_one(csv_bytes(["Month", "Revenue"], rows))
    assert list(result.monthly.index) == list(MONTHS_14)
    assert result.monthly["revenue"].iloc[-1] == 113


def test_unreadable_dates_are_dropped_and_counted() -> None:
    rows = [*monthly_rows(), ["not a date", 5], ["31/13/2024", 6], ["", 7]]
    result = ingest_one(csv_bytes(["Date", "Revenue"], rows))

    assert result.summary.rows_dropped["date could not be read"] == 3
    assert result.summary.rows_read == 17 and result.summary.rows_used == 14
    assert "3 rows dropped: date could not be read." in result.summary.lines()
    assert result.monthly["revenue"].max() == 1130  # none of 5, 6, 7 was added to a month


# --- encodings and delimiters --------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "cp1252"])
def test_encoding_keeps_accented_text(encoding: str) -> None:
    rows = [[d, r, "Île-de-France"] for d, r in monthly_rows()]
    data = csv_bytes(["Date", "Revenue", "Catégorie"], rows, encoding=encoding)
    result = ingest_one(data)

    # The BOM does not stick to the first header ("\ufeffDate" would not be found as a date).
    assert result.summary.column_mapping == {"Date": "date", "Revenue": "revenue"}
    assert result.summary.ignored_columns == {"Catégorie": "not a column the forecasts use"}
    assert len(result.monthly) == 14


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_is_detected(sep: str) -> None:
    rows = [[d, r, r // 2] for d, r in monthly_rows()]
    result = ingest_one(csv_bytes(["Date", "Revenue", "Expenses"], rows, sep=sep))
    assert result.monthly["revenue"].tolist() == [1000 + 10 * i for i in range(14)]
    assert result.monthly["expenses"].iloc[0] == 500


def test_semicolon_file_with_decimal_commas() -> None:
    rows = [[f"{m:%d.%m.%Y}", f"1.234,{i:02d}", f"{i},5"] for i, m in enumerate(MONTHS_14)]
    result = ingest_one(csv_bytes(["Date", "Revenue", "Expenses"], rows, sep=";"))
    assert result.monthly["revenue"].iloc[1] == pytest.approx(1234.01)
    assert result.monthly["expenses"].iloc[2] == pytest.approx(2.5)


# --- aggregation, duplicates, gaps ----------------------------------------------------------


def test_balances_take_the_months_last_reading_and_flows_are_summed() -> None:
    rows = []
    for month in MONTHS_14:
        # written out of date order on purpose: the 28th is the month's last reading
        for day, receivable in ((20, 300), (5, 100), (28, 999), (12, 200)):
            rows.append([f"{month.replace(day=day):%Y-%m-%d}", 10, receivable])
    result = ingest_one(csv_bytes(["Date", "Revenue", "Accounts Receivable"], rows))

    assert (result.monthly["revenue"] == 40).all()
    assert (result.monthly["ar"] == 999).all()


def test_exact_duplicates_across_two_files_are_dropped() -> None:
    rows = monthly_rows()
    first = SourceFile("jan-aug.csv", csv_bytes(["Date", "Revenue"], rows[:8]))
    second = SourceFile("jun-feb.csv", csv_bytes(["Date", "Revenue"], rows[5:]))
    result = ingest([first, second])

    assert result.monthly["revenue"].tolist() == [1000 + 10 * i for i in range(14)]
    assert result.summary.rows_dropped["exact duplicate of another row"] == 3
    assert result.summary.source_files == ["jan-aug.csv", "jun-feb.csv"]
    assert "3 rows dropped: exact duplicate of another row." in result.summary.lines()


def test_interior_missing_month_is_filled_and_flagged() -> None:
    rows = [row for row in monthly_rows() if not row[0].startswith("2023-05")]
    result = ingest_one(csv_bytes(["Date", "Revenue"], rows))

    assert len(result.monthly) == 14
    assert result.monthly.loc["2023-05-01", "revenue"] == pytest.approx(1040)
    assert result.filled.loc["2023-05-01", "revenue"]
    assert int(result.filled["revenue"].sum()) == 1
    assert result.summary.filled_months == {"revenue": ["May 2023"]}


def test_mostly_missing_column_is_skipped_with_a_reason() -> None:
    rows = [[d, r, 50 if i < 5 else ""] for i, (d, r) in enumerate(monthly_rows())]
    result = ingest_one(csv_bytes(["Date", "Revenue", "Marketing"], rows))

    assert "marketing" not in result.monthly
    assert result.summary.skipped_columns["marketing"].startswith("only 5 of 14 months")
    assert any(line.startswith("Marketing spend not forecast: only 5 of 14 months")
               for line in result.summary.lines())


def test_a_column_with_one_value_says_one_month_has_it() -> None:
    rows = [[d, r, 50 if i == 3 else ""] for i, (d, r) in enumerate(monthly_rows())]
    result = ingest_one(csv_bytes(["Date", "Revenue", "Marketing"], rows))

    assert result.summary.skipped_columns["marketing"].startswith(
        "only 1 of 14 months has a value")


def test_mostly_missing_revenue_is_refused() -> None:
    rows = [[d, r if i < 5 else ""] for i, (d, r) in enumerate(monthly_rows())]
    with pytest.raises(DataValidationError,
                       match=r"Only 5 month.*the file covers 14 months, but 9 of them have no "
                             r"revenue"):
        ingest_one(csv_bytes(["Date", "Revenue"], rows))


def test_revenue_with_gaps_in_most_months_is_refused() -> None:
    rows = [[d, r if i % 3 == 0 else ""] for i, (d, r) in enumerate(monthly_rows())]
    with pytest.raises(DataValidationError,
                       match="Revenue is missing in most months: only 5 of 13 months"):
        ingest_one(csv_bytes(["Date", "Revenue"], rows))


def test_partial_first_and_last_month_of_daily_data_are_left_out() -> None:
    days = pd.date_range("2023-01-20", "2024-06-05", freq="D")  # Jan: 12 days, Jun: 5 days
    rows = [[f"{d:%Y-%m-%d}", 100] for d in days]
    result = ingest_one(csv_bytes(["Date", "Revenue"], rows))

    assert result.monthly.index[0] == pd.Timestamp("2023-02-01")
    assert result.monthly.index[-1] == pd.Timestamp("2024-05-01")
    assert result.monthly.loc["2023-02-01", "revenue"] == 2_800
    warnings = " ".join(result.summary.warnings)
    assert "Jan 2023 has only 12 rows" in warnings and "Jun 2024 has only 5 rows" in warnings


def test_rows_left_out_of_both_partial_months_are_all_counted() -> None:
    days = pd.date_range("2023-01-20", "2024-06-05", freq="D")  # 12 + 5 rows left out
    rows = [[f"{d:%Y-%m-%d}", 100] for d in days]
    result = ingest_one(csv_bytes(["Date", "Revenue"], rows))

    summary = result.summary
    assert summary.rows_read - summary.rows_used == 17
    assert summary.rows_dropped["in a partial month left out"] == 17


def test_malformed_row_is_counted_not_silently_lost() -> None:
    text = "Date,Revenue\n" + "\n".join(f"{d},{r}" for d, r in monthly_rows())
    text += "\n2024-03-31,1,234\n"  # the export forgot to quote a thousands separator
    result = ingest_one(text.encode())

    # "built from 14 of 14 rows" while the export holds 15 data rows: the loss is invisible.
    assert result.summary.rows_read == 15


# --- errors a person can act on -------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \n\n"])
def test_empty_file_is_refused_by_name(data: bytes) -> None:
    with pytest.raises(DataValidationError, match=r"^q3-export\.csv is empty"):
        ingest_one(data, "q3-export.csv")


@pytest.mark.parametrize("data", [
    b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",  # an .xlsx is a zip
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00",  # legacy .xls
])
def test_binary_file_is_refused_by_name(data: bytes) -> None:
    with pytest.raises(DataValidationError) as caught:
        ingest_one(data, "report.xlsx")
    assert str(caught.value).startswith("report.xlsx is not a CSV file")
    assert "CSV" in str(caught.value)


def test_file_without_a_date_column_names_the_file_and_its_columns(data_dir: Path) -> None:
    with pytest.raises(DataValidationError) as caught:
        ingest_one((data_dir / "no_date_column.csv").read_bytes(), "no_date_column.csv")
    message = str(caught.value)
    assert message.startswith("no_date_column.csv has no date column")
    assert "'Period Label', 'Revenue', 'Expenses'" in message


def test_file_without_a_revenue_column_names_the_columns_found(data_dir: Path) -> None:
    with pytest.raises(DataValidationError) as caught:
        ingest_one((data_dir / "no_revenue_column.csv").read_bytes(), "no_revenue_column.csv")
    message = str(caught.value)
    assert message.startswith("No revenue column was found")
    assert "'Amount'" in message
    assert "map it to 'revenue'" in message


def test_file_with_one_column_says_what_separators_work() -> None:
    with pytest.raises(DataValidationError, match=re.escape("only one column ('Date')")):
        ingest_one(b"Date\n2024-01-31\n2024-02-29\n")


def test_no_files_is_refused() -> None:
    with pytest.raises(DataValidationError, match="No file was given"):
        ingest([])


def test_too_few_months_gives_the_count_and_the_minimum() -> None:
    with pytest.raises(DataValidationError) as caught:
        ingest_one(csv_bytes(["Date", "Revenue"], monthly_rows(11)))
    assert "Only 11 months" in str(caught.value)
    assert "Jan 2023 to Nov 2023" in str(caught.value)
    assert "at least 12 months" in str(caught.value)


# --- real exports that used to give wrong money figures ----------------------------------------


def test_two_invoices_of_the_same_amount_on_one_day_are_two_sales() -> None:
    months = pd.date_range("2023-01-31", periods=14, freq="ME")
    rows = [[f"{m:%Y-%m-%d}", f"INV-{i}-{k}", 500] for i, m in enumerate(months) for k in (1, 2)]
    result = ingest_one(csv_bytes(["Date", "Invoice", "Revenue"], rows))

    assert (result.monthly["revenue"] == 1000).all()
    assert result.summary.rows_dropped["exact duplicate of another row"] == 0


def test_a_month_two_files_report_differently_is_flagged() -> None:
    rows = monthly_rows(14)
    restated = [[rows[6][0], 9999], *rows[7:]]  # the second export restates July
    result = ingest([SourceFile("q1.csv", csv_bytes(["Date", "Revenue"], rows[:7])),
                     SourceFile("q2.csv", csv_bytes(["Date", "Revenue"], restated))])

    warning = " ".join(result.summary.warnings)
    assert "1 date appears in more than one file" in warning
    assert "q1.csv and q2.csv" in warning
    assert result.summary.rows_dropped["exact duplicate of another row"] == 0


@pytest.mark.parametrize("sep", [";", ","])
def test_european_thousands_are_read_as_thousands(sep: str) -> None:
    amounts = ["1.143.601", "152.000", "714.120", "(1.200)", "2.000.000,50"]
    quote = '"' if sep == "," else ""  # a comma-delimited export quotes "2.000.000,50"
    rows = [[f"{m:%d.%m.%Y}", f"{quote}{amounts[i % len(amounts)]}{quote}"]
            for i, m in enumerate(pd.date_range("2023-01-31", periods=14, freq="ME"))]
    result = ingest_one(csv_bytes(["Datum", "Revenue"], rows, sep=sep), mapping={"Datum": "date"})

    assert list(result.monthly["revenue"].iloc[:5]) == [1_143_601, 152_000, 714_120, -1_200,
                                                        2_000_000.5]


def test_a_lone_dotted_thousand_is_european_only_in_a_semicolon_file() -> None:
    values = pd.Series(["714.120", "152.000"])
    assert list(parse_amounts(values, semicolon_file=True)[0]) == [714_120, 152_000]
    assert list(parse_amounts(values)[0]) == [714.12, 152.0]


def test_unreadable_revenue_is_named_as_the_cause() -> None:
    rows = [[f"{m:%Y-%m-%d}", "lots"] for m in pd.date_range("2023-01-31", periods=14, freq="ME")]
    with pytest.raises(DataValidationError, match=r"14 revenue values could not be read"):
        ingest_one(csv_bytes(["Date", "Revenue"], rows))


def test_daily_export_cut_off_mid_month_leaves_that_month_out() -> None:
    days = pd.date_range("2023-01-01", "2024-01-19", freq="D")  # January 2024: 19 of 31 days
    result = ingest_one(csv_bytes(["Date", "Revenue"], [[f"{d:%Y-%m-%d}", 100] for d in days]))

    assert result.monthly.index[-1] == pd.Timestamp("2023-12-01")
    assert "Jan 2024" in " ".join(result.summary.warnings)


def test_future_months_are_counted() -> None:
    rows = monthly_rows(14, start=f"{pd.Timestamp.today().year + 1}-01-01")
    result = ingest_one(csv_bytes(["Date", "Revenue"], rows))
    assert result.summary.future_months == 14


# --- hostile files: silent losses and crashes that used to happen ----------------------------


def test_infinity_as_an_amount_is_missing_and_said() -> None:
    rows = monthly_rows()
    rows[4][1] = "inf"
    rows[6][1] = "1e400"
    result = ingest_one(csv_bytes(["Date", "Revenue"], rows))
    assert np.isfinite(result.monthly["revenue"]).all()
    assert result.summary.unreadable_values == {"revenue": 2}
    assert result.summary.filled_months == {"revenue": ["May 2023", "Jul 2023"]}
    assert "2 revenue values in export.csv are infinite or beyond ±1e15" in " ".join(
        result.summary.warnings)


@pytest.mark.parametrize("marks", [("$", "¥"), ("€", "USD "), ("£", "$")])
def test_revenue_in_two_currencies_is_refused(marks: tuple[str, str]) -> None:
    rows = [[d, f"{marks[i % 2]}{r:,}"] for i, (d, r) in enumerate(monthly_rows())]
    rows = [[d, f'"{v}"'] for d, v in rows]
    with pytest.raises(DataValidationError, match=r"'Revenue' in export\.csv mixes currencies"):
        ingest_one(csv_bytes(["Date", "Revenue"], rows))


def test_another_column_in_two_currencies_is_left_out_with_the_reason() -> None:
    rows = [[d, r, f"{'$' if i % 2 else '¥'}{r // 2}"] for i, (d, r) in enumerate(monthly_rows())]
    result = ingest_one(csv_bytes(["Date", "Revenue", "Expenses"], rows))
    assert "expenses" not in result.monthly
    assert "mixes currencies" in result.summary.skipped_columns["expenses"]
    assert result.monthly["revenue"].iloc[-1] == 1130


def test_a_file_name_is_one_clean_line_in_every_message() -> None:
    with pytest.raises(DataValidationError) as caught:
        ingest_one(b"", "q3\nexport\x07.csv")
    assert str(caught.value).startswith("q3 export?.csv is empty")


def test_a_month_given_twice_in_a_monthly_export_is_named() -> None:
    rows = monthly_rows(14)
    corrected = [rows[-1][0], rows[-1][1] + 20]  # December again, revenue corrected
    result = ingest_one(csv_bytes(["Date", "Revenue"], [*rows, corrected]))

    (alert,) = result.summary.alerts
    assert alert["title"] == "1 month given twice"
    assert "Feb 2024: 2 rows" in alert["detail"]
    assert "keep only the correction" in alert["detail"]


def test_a_row_dated_into_the_month_before_is_named_with_the_month_it_left_empty() -> None:
    rows = monthly_rows(14)
    rows[6][0] = "2023-06-15"  # July's row dated into June
    result = ingest_one(csv_bytes(["Date", "Revenue"], rows))

    (alert,) = result.summary.alerts
    assert "Jun 2023: 2 rows" in alert["detail"]
    assert "1 month has none (Jul 2023): a row may carry the wrong date" in alert["detail"]


def test_several_rows_a_month_are_not_called_a_month_given_twice() -> None:
    months = pd.date_range("2023-01-31", periods=14, freq="ME")
    rows = [[f"{m:%Y-%m-%d}", f"INV-{i}-{k}", 500] for i, m in enumerate(months) for k in (1, 2)]
    rows.append([f"{months[3]:%Y-%m-%d}", "INV-3-3", 500])
    result = ingest_one(csv_bytes(["Date", "Invoice", "Revenue"], rows))

    assert not result.summary.alerts


QUARTER_ENDS = pd.date_range("2022-03-31", periods=12, freq="QE")


@pytest.mark.parametrize(("header", "labels", "expected"), [
    ("Quarter", [f"{q.year}-Q{q.quarter}" for q in QUARTER_ENDS], "is by quarter ('Quarter'"),
    ("Date", [f"Q{q.quarter} {q.year}" for q in QUARTER_ENDS], "is by quarter ('Date'"),
    ("Date", [f"{q:%Y-%m-%d}" for q in QUARTER_ENDS],
     "The rows come once a quarter (Mar 2022, Jun 2022, Sep 2022, ...)"),
])
def test_a_quarterly_export_is_refused_as_quarterly(header: str, labels: list[str],
                                                    expected: str) -> None:
    rows = [[label, 300_000 + 1000 * i] for i, label in enumerate(labels)]
    with pytest.raises(DataValidationError) as caught:
        ingest_one(csv_bytes([header, "Revenue"], rows), name="by-quarter.csv")
    assert expected in str(caught.value)
    assert "Export the figures by month." in str(caught.value)


def test_a_monthly_export_with_a_quarter_column_is_read() -> None:
    months = pd.date_range("2023-01-31", periods=14, freq="ME")
    rows = [[f"{m:%Y-%m-%d}", f"{m.year}-Q{m.quarter}", 1000 + i] for i, m in enumerate(months)]
    result = ingest_one(csv_bytes(["Date", "Fiscal Quarter", "Revenue"], rows))
    assert len(result.monthly) == 14


def test_amounts_that_all_have_three_decimals_in_a_comma_file_are_questioned_once() -> None:
    months = pd.date_range("2023-01-31", periods=14, freq="ME")
    rows = [[f"{m:%Y-%m-%d}", f"{100 + i}.{(37 * i) % 1000:03d}", f"{60 + i}.500"]
            for i, m in enumerate(months)]
    result = ingest_one(csv_bytes(["Date", "Revenue", "Expenses"], rows))

    assert result.monthly["revenue"].iloc[0] == 100.0  # read as written: decimals
    (warning,) = [w for w in result.summary.warnings if "three decimals" in w]
    assert warning.startswith("Every amount in 'Revenue', 'Expenses' (export.csv) has exactly")
    assert "every amount is 1,000 times larger" in warning


def test_amounts_with_cents_are_not_questioned() -> None:
    rows = [[d, f"{r}.50"] for d, r in monthly_rows()]
    result = ingest_one(csv_bytes(["Date", "Revenue"], rows))
    assert not [w for w in result.summary.warnings if "three decimals" in w]


def test_net_cash_flow_is_taken_as_operating_cash_flow_with_a_caveat() -> None:
    (decision,) = map_columns(["Net Cash Flow"])
    assert decision.target == "cashflow"
    assert decision.confidence == "medium"
    assert "investing and financing flows" in decision.reason
    (plain_name,) = map_columns(["Operating Cash Flow"])
    assert plain_name.confidence == "high"
