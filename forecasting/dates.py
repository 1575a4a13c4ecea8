"""Reading a date column the way the file means it: ISO, month names, Excel serial numbers, and
day/month order decided by the values that allow only one reading or, when every value is
ambiguous, by the order that gives a regular calendar (one date a month, or daily)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from .formatting import count as count_of

__all__ = ["DateColumn", "parse_date_column", "parse_dates"]

_ISO_LIKE: Final = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y-%m", "%Y/%m")
_DAY_FIRST: Final = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d-%m-%y", "%d.%m.%y")
_MONTH_FIRST: Final = ("%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%m/%d/%y", "%m-%d-%y")
_MONTH_NAMES: Final = (
    "%b %Y", "%B %Y", "%b-%Y", "%B-%Y", "%b-%y", "%b %y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y",
    "%d-%b-%y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%Y %b", "%m/%Y", "%m-%Y", "%b. %Y",
)
_EARLIEST: Final = pd.Timestamp("1900-01-01")
_LATEST: Final = pd.Timestamp("2199-12-31")
_EXCEL_RANGE: Final = (20_000, 80_000)  # 1954-10-03 .. 2119-01-10
_EXCEL_ORIGIN: Final = pd.Timestamp("1899-12-30")
_SLASHED: Final = r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$"
DAY_FIRST_LABEL: Final = "day first (DD/MM/YYYY)"
MONTH_FIRST_LABEL: Final = "month first (MM/DD/YYYY)"


@dataclass(frozen=True)
class DateColumn:
    """The dates (NaT where unreadable), how the column was read and why, and how many values
    were valid dates outside 1900-2199 (left out rather than read as nonsense)."""

    values: pd.Series
    order: str
    reason: str
    out_of_range: int = 0


def _try(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[s]")
    for fmt in formats:
        todo = result.isna()
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        result.loc[todo] = parsed.astype("datetime64[s]")
    return result


def _regular(dates: pd.Series) -> str | None:
    """Which regular calendar a set of dates follows, if any."""
    unique = pd.DatetimeIndex(dates.dropna().unique()).sort_values()
    if len(unique) < 3:
        return None
    periods = unique.to_period("M")
    months = np.diff(periods.year * 12 + periods.month)
    monthly = len(set(periods)) == len(unique) and float(np.mean(months == 1)) >= 0.8
    if monthly and (unique.day == 1).all():
        return "one date per month, each on the 1st"
    if monthly and unique.is_month_end.all():
        return "one date per month, each at the month's end"
    if monthly and len(set(unique.day)) == 1:
        return f"one date per month, each on day {unique[0].day}"
    if monthly:  # a month's first business day, or whenever the books closed
        return f"one date per month (days {unique.day.min()} to {unique.day.max()})"
    days = np.diff(unique.to_numpy().astype("datetime64[D]").astype(np.int64))
    if int(days.max()) <= 5:  # weekends and holidays are not gaps
        return "daily dates without gaps"
    return None


def _months_covered(dates: pd.Series) -> int:
    return int(dates.dropna().dt.to_period("M").nunique())


def _excel_serials(text: pd.Series) -> pd.Series | None:
    numbers = pd.to_numeric(text, errors="coerce")
    present = text != ""
    if not present.any() or numbers[present].isna().mean() > 0.1:
        return None
    low, high = _EXCEL_RANGE
    inside = numbers.between(low, high)
    if inside[present].mean() < 0.9:
        return None
    days = numbers.where(inside)
    return (_EXCEL_ORIGIN + pd.to_timedelta(days, unit="D")).astype("datetime64[s]")


def _order_of_slashed(text: pd.Series) -> tuple[bool, str, str]:
    """(day first?, the order's label, why) from the d/m/y values of a column."""
    parts = text.str.extract(_SLASHED).dropna()
    if parts.empty:
        return True, DAY_FIRST_LABEL, ""
    first, second = parts[0].astype(int), parts[1].astype(int)
    day_first_only = int(((first > 12) & (second <= 12)).sum())
    month_first_only = int(((second > 12) & (first <= 12)).sum())
    if day_first_only or month_first_only:
        day_first = day_first_only >= month_first_only
        count = day_first_only if day_first else month_first_only
        example = text[parts.index[(first > 12) if day_first else (second > 12)][0]]
        return (
            day_first,
            DAY_FIRST_LABEL if day_first else MONTH_FIRST_LABEL,
            f"{count_of(count, 'date')} such as {example} can only be read that way",
        )
    return _order_by_calendar(text[parts.index])


def _order_by_calendar(ambiguous: pd.Series) -> tuple[bool, str, str]:
    """Every value reads both ways: the order that gives a regular calendar wins; when both
    do, the one that spreads the dates over more months (the other crowds them into a few)."""
    day_first_dates, month_first_dates = _try(ambiguous, _DAY_FIRST), _try(ambiguous, _MONTH_FIRST)
    as_day_first, as_month_first = _regular(day_first_dates), _regular(month_first_dates)
    if as_day_first and as_month_first:
        spread = _months_covered(day_first_dates), _months_covered(month_first_dates)
        if spread[0] != spread[1]:
            crowded = "day" if spread[0] < spread[1] else "month"
            if crowded == "day":
                as_day_first = None
            else:
                as_month_first = None
    months = (_months_covered(day_first_dates), _months_covered(month_first_dates))
    if as_month_first and not as_day_first:
        return False, MONTH_FIRST_LABEL, (
            f"every date reads both ways; read month first they are {as_month_first} over "
            f"{months[1]} months, read day first they would fall in {count_of(months[0], 'month')}"
        )
    if as_day_first and not as_month_first:
        return True, DAY_FIRST_LABEL, (
            f"every date reads both ways; read day first they are {as_day_first} over "
            f"{months[0]} months, read month first they would fall in "
            f"{count_of(months[1], 'month')}"
        )
    if not as_day_first and not as_month_first and months[0] != months[1]:
        day_first = months[0] > months[1]  # the other order crowds the dates into fewer months
        wide, narrow = (months if day_first else months[::-1])
        return day_first, DAY_FIRST_LABEL if day_first else MONTH_FIRST_LABEL, (
            "every date reads both ways and neither order gives a regular calendar; read "
            f"{'day' if day_first else 'month'} first they fall in {count_of(wide, 'month')}, "
            f"read the other way in {count_of(narrow, 'month')}: check the dates"
        )
    return True, DAY_FIRST_LABEL, (
        "every date reads both ways and neither order is more regular: read day first, "
        "check the dates"
    )


def parse_date_column(values: pd.Series) -> DateColumn:
    """Read a column of dates in mixed formats; unreadable or out-of-range ones become NaT."""
    raw = values.astype(str).str.strip()
    codes, uniques = pd.factorize(raw)
    text = pd.Series(np.asarray(uniques, dtype=object), dtype=str)
    parsed, order, reason = _parse_unique(text)
    outside = parsed.notna() & ~parsed.between(_EARLIEST, _LATEST)
    parsed = parsed.where(~outside).astype("datetime64[ns]")
    taken = parsed.to_numpy()[codes]
    taken[codes < 0] = np.datetime64("NaT")
    result = pd.Series(taken, index=values.index, dtype="datetime64[ns]")
    out_of_range = int(np.isin(codes, np.flatnonzero(outside.to_numpy())).sum())
    return DateColumn(result, order, reason, out_of_range)


def _parse_unique(text: pd.Series) -> tuple[pd.Series, str, str]:
    if text.empty:
        return pd.Series(dtype="datetime64[s]"), "", ""
    serial = _excel_serials(text)
    if serial is not None:
        return serial, "Excel serial numbers", "numbers such as 45292 count days from 1899-12-30"
    # Drop a time of day ("2024-01-15 00:00:00", "2024-01-15T10:00Z") unless the date has words.
    has_words = text.str.contains(r"[A-Za-z]{3}", regex=True)
    plain = text.where(has_words, text.str.split(r"[T ]", n=1, regex=True).str[0])
    result = _try(plain, _ISO_LIKE)
    day_first, order, reason = _order_of_slashed(plain[result.isna()])
    slashed = _DAY_FIRST + _MONTH_FIRST if day_first else _MONTH_FIRST + _DAY_FIRST
    todo = result.isna()
    result[todo] = _try(plain[todo], slashed + _MONTH_NAMES)
    if not reason:
        order, reason = "year first (ISO) or month names", "no date reads two ways"
    return result, order, reason


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates in mixed formats (see :func:`parse_date_column`); unreadable ones become NaT."""
    return parse_date_column(values).values
