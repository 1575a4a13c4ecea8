"""The layouts accounting packages export: a report 'by month' — accounts down the rows (Total
Income, Total Expenses, Net Income, or Total Assets, Accounts Receivable), one column per month and
a Total column — is turned into one row per month with one column per account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pandas as pd

from .columns import normalise_header
from .dates import parse_date_column

__all__ = ["MONTH_COLUMN", "WideLayout", "months_across"]

MONTH_COLUMN: Final = "Month (from the column headers)"
_TOTAL_HEADERS: Final = frozenset({"total", "ytd", "year date", "full year", "grand total"})
_MIN_MONTH_COLUMNS: Final = 3


@dataclass(frozen=True)
class WideLayout:
    """The report turned long, and what was left out on the way (for the summary)."""

    frame: pd.DataFrame
    month_columns: tuple[str, ...]
    total_columns: tuple[str, ...]
    label_column: str
    empty_lines: int


def months_across(frame: pd.DataFrame) -> WideLayout | None:
    """The long form of a report by month, or None when months run down the rows already.

    A report by month has at least three headers that read as months, text labels in its first
    column (the accounts) and nothing but months, totals and labels across the top."""
    headers = list(frame.columns)
    # Every month header ("Jan 2024", "2024-01", "01/2024") carries a year: without three headers
    # holding digits there is nothing to parse (parsing costs ~40 ms a file).
    if sum(any(c.isdigit() for c in str(h)) for h in headers[1:]) < _MIN_MONTH_COLUMNS:
        return None
    readable = parse_date_column(pd.Series(headers[1:], dtype=str)).values.notna().tolist()
    months = [h for h, ok in zip(headers[1:], readable, strict=True) if ok]
    totals = [h for h in headers[1:] if normalise_header(h) in _TOTAL_HEADERS]
    if len(months) < _MIN_MONTH_COLUMNS or len(months) + len(totals) < 0.8 * (len(headers) - 1):
        return None
    label = headers[0]
    labels = frame[label].astype(str).str.strip()
    if parse_date_column(labels[labels != ""]).values.notna().mean() > 0.5:
        return None  # the first column holds dates: an ordinary export with dated rows
    values = frame[months].astype(str).apply(lambda col: col.str.strip())
    has_values = (values != "").any(axis=1) & (labels != "")
    accounts = values[has_values]
    long = accounts.T
    long.columns = _unique(list(labels[has_values]))
    long.insert(0, MONTH_COLUMN, months)
    return WideLayout(
        frame=long.reset_index(drop=True),
        month_columns=tuple(months),
        total_columns=tuple(totals),
        label_column=label,
        empty_lines=int((~has_values).sum()),
    )


def _unique(labels: list[str]) -> list[str]:
    out: list[str] = []
    for label in labels:
        name, k = label, 2
        while name in out or name == MONTH_COLUMN:
            name, k = f"{label} ({k})", k + 1
        out.append(name)
    return out
