"""The month-level rules of ingest: partial edge months, the span revenue covers, columns that
start late or stop early, interior gaps. Nothing is invented: no value is carried backwards
before a column starts or forwards after it stops."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from .columns import COLUMN_LABELS
from .errors import DataValidationError
from .formatting import count
from .summary import IngestSummary

__all__ = [
    "MIN_MONTHS",
    "check_length",
    "drop_partial_edge_months",
    "fill_gaps",
    "month_label",
    "refuse_spaced_rows",
    "trim_to_revenue",
]

MIN_MONTHS: Final = 12
_MOSTLY_MISSING: Final = 0.5  # a column present in fewer than half the months is not forecast


def month_label(ts: object) -> str:
    return pd.Timestamp(str(ts)).strftime("%b %Y")


def _months_text(months: pd.Index) -> str:
    labels = [month_label(m) for m in months]
    return ", ".join(labels[:4]) + (", ..." if len(labels) > 4 else "")


def drop_partial_edge_months(rows: pd.DataFrame, summary: IngestSummary) -> pd.DataFrame:
    """With daily rows, a first or last month holding a few days would read as a collapse.

    Only for data dated on many days of each month: a month is partial when it has few rows for
    this export, or when its dates cover less than 80% of the calendar month (a cut-off on the
    19th). Month-end rows of several regions are one date a month, never partial."""
    per_month = rows.groupby("month").size()
    dates = rows.groupby("month")["date"].agg(["min", "max", "nunique"])
    if float(dates["nunique"].median()) < 4 or len(per_month) <= MIN_MONTHS:
        return rows
    typical = float(per_month.median())
    for month in sorted({per_month.index[0], per_month.index[-1]}):
        span = (dates.loc[month, "max"] - dates.loc[month, "min"]).days + 1
        if per_month[month] < 0.6 * typical or span < 0.8 * month.days_in_month:
            rows = rows[rows["month"] != month]
            summary.add_drop("in a partial month left out", int(per_month[month]))
            summary.warnings.append(
                f"{month_label(month)} has only {per_month[month]} rows against a typical "
                f"{typical:.0f} (dates cover {span} of {month.days_in_month} days): left out so "
                "a partial month does not read as a drop."
            )
    return rows


def _revenue_cause(summary: IngestSummary) -> str:
    unreadable = summary.unreadable_values.get("revenue", 0)
    if not unreadable:
        return ""
    encodings = sorted({e for e in summary.encodings.values() if e != "UTF-8"})
    read_as = f" The file was read as {', '.join(encodings)} text." if encodings else ""
    return (
        f" {count(unreadable, 'revenue value')} could not be read as numbers (expected e.g. "
        "152000, "
        f"$152,000 or 152.000,00).{read_as}"
    )


def trim_to_revenue(monthly: pd.DataFrame, summary: IngestSummary) -> tuple[pd.DataFrame, int]:
    """The history is the months revenue covers: months before its first value or after its
    last hold other columns only, and a KPI needs revenue."""
    revenue = monthly["revenue"]
    first, last = revenue.first_valid_index(), revenue.last_valid_index()
    if first is None or last is None:
        raise DataValidationError(
            "Revenue has no readable value in any month." + _revenue_cause(summary)
        )
    outside = monthly.index[(monthly.index < first) | (monthly.index > last)]
    if len(outside):
        summary.warnings.append(
            f"{count(len(outside), 'month')} {'has' if len(outside) == 1 else 'have'} no revenue "
            "at the start or end of the data "
            f"({_months_text(outside)}): left out, the history runs from {month_label(first)} "
            f"to {month_label(last)}."
        )
    return monthly.loc[first:last], len(outside)


def check_length(monthly: pd.DataFrame, without_revenue: int = 0) -> None:
    months = len(monthly)
    if months < MIN_MONTHS:
        span = f"{month_label(monthly.index[0])} to {month_label(monthly.index[-1])}"
        more = (
            f"; the file covers {months + without_revenue} months, but {without_revenue} of "
            f"them {'has' if without_revenue == 1 else 'have'} no revenue"
            if without_revenue
            else ""
        )
        raise DataValidationError(
            f"Only {count(months, 'month')} of data {'was' if months == 1 else 'were'} found "
            f"({span}){more}; forecasting needs at "
            f"least {MIN_MONTHS} months. Upload a longer export, or several exports together."
        )


def _skip_reason(series: pd.Series, months: int) -> str | None:
    present = int(series.notna().sum())
    if present < _MOSTLY_MISSING * months:
        return (
            f"only {present} of {months} months {'has' if present == 1 else 'have'} a value, "
            "too few to forecast without inventing data."
        )
    last = series.last_valid_index()
    if last is not None and last < series.index[-1]:
        gap = int((series.index > last).sum())
        return (
            f"it stops in {month_label(last)}, {count(gap, 'month')} before the data ends; a "
            "forecast "
            "would start from months it does not have."
        )
    return None


def refuse_spaced_rows(months: pd.Series) -> None:
    """Rows in every third (or twelfth) month only: a quarterly (or yearly) export, not a
    monthly one with gaps (a month with a row and no revenue is a gap)."""
    present = pd.DatetimeIndex(sorted(set(months)))
    if len(present) < 3:
        return
    steps = np.diff([m.year * 12 + m.month for m in present])
    for step, what in ((3, "quarter"), (12, "year")):
        if float(np.mean(steps == step)) >= 0.8:
            shown = ", ".join(month_label(m) for m in present[:3])
            raise DataValidationError(
                f"The rows come once a {what} ({shown}, ...): the forecasts need one row per "
                "month (or per day). Export the figures by month."
            )


def fill_gaps(monthly: pd.DataFrame, summary: IngestSummary) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Interior gaps interpolated and flagged; a column that starts late keeps its missing first
    months (its metrics start where it starts); mostly-missing or early-stopping columns are
    left out with the reason."""
    kept = []
    for col in monthly.columns:
        reason = _skip_reason(monthly[col], len(monthly))
        if reason is not None:
            if col == "revenue":
                raise DataValidationError(
                    f"Revenue is missing in most months: {reason}{_revenue_cause(summary)}"
                )
            summary.skipped_columns[col] = reason
            continue
        kept.append(col)
        first = monthly[col].first_valid_index()
        if first is not None and first > monthly.index[0]:
            late = int((monthly.index < first).sum())
            summary.notes.append(
                f"{COLUMN_LABELS[col]} starts in {month_label(first)}, {count(late, 'month')} "
                "after "
                "revenue: its metrics start there, nothing is filled before it."
            )
    values = monthly[kept]
    filled = values.interpolate(method="linear", limit_area="inside")
    flagged = values.isna() & filled.notna()
    for col in kept:
        if flagged[col].any():
            summary.filled_months[col] = [month_label(m) for m in monthly.index[flagged[col]]]
    return filled, flagged
