"""Dates read the way the file means them: ambiguous day/month order decided by the calendar it
gives, Excel serial numbers, out-of-range years left out by row; the summary says which order was
chosen and why."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting import SourceFile, ingest
from forecasting.dates import parse_date_column

FIRSTS = pd.date_range("2023-01-01", periods=24, freq="MS")


def ingest_dates(dates: list[str], header: str = "Date", sep: str = ",", name: str = "d.csv"):
    lines = [f"{header}{sep}Revenue"] + [f"{d}{sep}{1000 + i}" for i, d in enumerate(dates)]
    return ingest([SourceFile(name, ("\n".join(lines) + "\n").encode())])


@pytest.mark.parametrize(("fmt", "sep", "header"), [
    ("%m/%d/%Y", ",", "Month (MM/DD/YYYY)"),
    ("%m-%d-%Y", ";", "Date"),
    ("%m/%d/%y", "\t", "Posting Date"),
])
def test_us_first_of_month_dates_give_every_month_of_two_years(fmt: str, sep: str,
                                                               header: str) -> None:
    # 02/01/2024 reads both ways in every row; day first would crowd two years into January.
    result = ingest_dates([f"{m:{fmt}}" for m in FIRSTS], header, sep, "us-export.csv")
    assert list(result.monthly.index) == list(FIRSTS)
    assert result.monthly["revenue"].tolist() == [1000 + i for i in range(24)]
    order = result.summary.date_orders["us-export.csv"]
    assert order.startswith("month first (MM/DD/YYYY)")
    assert "one date per month, each on the 1st over 24 months" in order
    assert "read day first they would fall in 2 months" in order


def test_european_first_of_month_dates_are_read_day_first() -> None:
    result = ingest_dates([f"{m:%d.%m.%Y}" for m in FIRSTS])
    assert list(result.monthly.index) == list(FIRSTS)
    assert result.summary.date_orders["d.csv"].startswith("day first (DD/MM/YYYY)")


def test_values_that_read_one_way_only_decide_the_column() -> None:
    twentieths = [m + pd.Timedelta(days=19) for m in FIRSTS]  # 20/01/2023 is day first only
    dates = [f"{d:%d/%m/%Y}" for d in twentieths]
    dates[3] = "01/04/2023"  # ambiguous on its own: read like the rest, 1 April
    result = ingest_dates(dates)
    assert list(result.monthly.index) == list(FIRSTS)
    order = result.summary.date_orders["d.csv"]
    assert order == ("day first (DD/MM/YYYY) (23 dates such as 20/01/2023 can only be read "
                     "that way)")


def test_excel_serial_dates_are_read_as_days_from_1899() -> None:
    month_ends = pd.date_range("2022-01-31", periods=18, freq="ME")
    serials = [str((m - pd.Timestamp("1899-12-30")).days) for m in month_ends]
    result = ingest_dates(serials, "Period")
    assert list(result.monthly.index) == list(month_ends.to_period("M").to_timestamp())
    assert result.summary.date_orders["d.csv"].startswith("Excel serial numbers")


def test_a_date_in_the_year_2999_is_left_out_alone() -> None:
    dates = [f"{m:%Y-%m-%d}" for m in FIRSTS]
    dates[5] = "2999-06-01"
    result = ingest_dates(dates)
    assert len(result.monthly) == 24  # June 2023 is filled between its neighbours, flagged
    assert result.summary.rows_dropped["date outside 1900–2199"] == 1
    assert result.summary.filled_months == {"revenue": ["Jun 2023"]}
    assert "1 row dropped: date outside 1900–2199." in result.summary.lines()


@pytest.mark.parametrize(("raw", "day"), [
    ("2024-01-15T10:00:00Z", "2024-01-15"),
    ("2024-01-15 10:00:00+00:00", "2024-01-15"),
    ("Jan-24", "2024-01-01"),
    ("15 Jan 2024", "2024-01-15"),
    ("January 15, 2024", "2024-01-15"),
    ("20240115", "2024-01-15"),
    ("45306", "2024-01-15"),
])
def test_date_formats_of_real_exports(raw: str, day: str) -> None:
    assert parse_date_column(pd.Series([raw])).values.iloc[0] == pd.Timestamp(day)


def test_monthly_dates_on_the_first_business_days_are_called_monthly() -> None:
    # One date a month on its 1st to 5th, DD/MM: 02/05/2023 is the 2nd of May, not February 5th.
    dates = [f"{m + pd.Timedelta(days=i % 5):%d/%m/%Y}" for i, m in enumerate(FIRSTS)]
    result = ingest_dates(dates)
    assert list(result.monthly.index) == list(FIRSTS)
    order = result.summary.date_orders["d.csv"]
    assert order.startswith("day first (DD/MM/YYYY)")
    assert "read day first they are one date per month (days 1 to 5) over 24 months" in order
    assert "daily" not in order


def test_irregular_dates_that_read_both_ways_are_not_called_daily() -> None:
    # Invoice dates on days 1 to 3, weeks apart: neither order is a regular calendar.
    days = pd.to_datetime(["2023-01-02", "2023-02-01", "2023-02-03", "2023-04-02", "2023-05-01",
                           "2023-05-03", "2023-07-02", "2023-08-01", "2023-10-03", "2023-12-02"])
    column = parse_date_column(pd.Series([f"{d:%d/%m/%Y}" for d in days]))
    assert list(column.values) == list(days)  # the order that spreads them over more months
    assert column.reason == ("every date reads both ways and neither order gives a regular "
                             "calendar; read day first they fall in 8 months, read the other "
                             "way in 3 months: check the dates")
