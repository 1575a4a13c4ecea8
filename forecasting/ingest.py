"""CSV exports (bytes) to one validated monthly frame, with a summary of what was mapped/fixed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

import pandas as pd

from .columns import BALANCES, CATEGORIES, COLUMN_LABELS, FLOWS, guess_mapping
from .errors import DataValidationError
from .parsing import parse_amounts, parse_dates, read_table

__all__ = ["MIN_MONTHS", "IngestResult", "IngestSummary", "SourceFile", "ingest"]

MIN_MONTHS: Final = 12
_MOSTLY_MISSING: Final = 0.5  # a column present in fewer than half the months is not forecast


@dataclass(frozen=True)
class SourceFile:
    """One uploaded file: its name (for messages) and its raw bytes."""

    name: str
    data: bytes


@dataclass
class IngestSummary:
    """What ingest did, in terms a finance user can check against the export."""

    source_files: list[str]
    column_mapping: dict[str, str]
    ignored_columns: dict[str, str]
    source_columns: list[str] = field(default_factory=list)  # every header, in file order
    rows_read: int = 0
    rows_used: int = 0
    rows_dropped: dict[str, int] = field(default_factory=dict)
    unreadable_values: dict[str, int] = field(default_factory=dict)
    filled_months: dict[str, list[str]] = field(default_factory=dict)
    skipped_columns: dict[str, str] = field(default_factory=dict)
    months: int = 0
    future_months: int = 0
    start: str = ""
    end: str = ""
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary in plain sentences, for the page and the CLI."""
        out = [
            f"{self.months} months from {self.start} to {self.end}, built from {self.rows_used} "
            f"of {self.rows_read} rows in {len(self.source_files)} file(s)."
        ]
        out += [f"{n} row(s) dropped: {why}." for why, n in self.rows_dropped.items() if n]
        for col, n in self.unreadable_values.items():
            out.append(
                f"{n} {COLUMN_LABELS[col].lower()} value(s) could not be read as numbers "
                "and were treated as missing."
            )
        for col, months in self.filled_months.items():
            out.append(
                f"{COLUMN_LABELS[col]} was missing in {len(months)} month(s) "
                f"({', '.join(months[:4])}{', ...' if len(months) > 4 else ''}): "
                "filled from the neighbouring months and flagged."
            )
        out += [
            f"{COLUMN_LABELS[c]} not forecast: {why}" for c, why in self.skipped_columns.items()
        ]
        return out + self.warnings


@dataclass(frozen=True)
class IngestResult:
    """The monthly frame (month-start index, one float column per amount) and its summary."""

    monthly: pd.DataFrame
    filled: pd.DataFrame
    summary: IngestSummary


def _month_label(ts: pd.Timestamp) -> str:
    return ts.strftime("%b %Y")


def _canonical_frame(
    source: SourceFile, overrides: Mapping[str, str] | None, summary: IngestSummary
) -> pd.DataFrame:
    raw, delimiter, malformed = read_table(source.data, source.name)
    if malformed:
        key = "malformed row (more fields than the header)"
        summary.rows_dropped[key] = summary.rows_dropped.get(key, 0) + malformed
        summary.rows_read += malformed
    mapping, ignored = guess_mapping(raw.columns, overrides)
    summary.source_columns += [c for c in raw.columns if c not in summary.source_columns]
    summary.column_mapping.update(mapping)
    summary.ignored_columns.update(ignored)
    if "date" not in mapping.values():
        raise DataValidationError(
            f"{source.name} has no date column. Columns found: {', '.join(map(repr, raw.columns))}."
            " Name one of them 'Date' (or 'Transaction Date', 'Month'), or map it to 'date'."
        )
    frame = pd.DataFrame(index=raw.index)
    for header, canonical in mapping.items():
        if canonical == "date":
            frame["date"] = parse_dates(raw[header])
        elif canonical in CATEGORIES:
            frame[canonical] = raw[header].astype(str).str.strip()
        else:
            frame[canonical], bad = parse_amounts(raw[header], semicolon_file=delimiter == ";")
            if bad:
                summary.unreadable_values[canonical] = (
                    summary.unreadable_values.get(canonical, 0) + bad
                )
    # "Exact duplicate" compares every column of the export, ignored ones too: two invoices of
    # the same amount on the same day are two sales, not one.
    frame["_row"] = raw.astype(str).agg("\x1f".join, axis=1)
    frame["_file"] = source.name
    summary.rows_read += len(frame)
    return frame


def _drop_duplicates(rows: pd.DataFrame, summary: IngestSummary) -> pd.DataFrame:
    """Drop rows repeated exactly (across files too); warn about dates that two files report
    differently, since their amounts are summed (one export may restate the other)."""
    before = len(rows)
    rows = rows.drop_duplicates(subset=[c for c in rows.columns if c != "_file"])
    summary.rows_dropped["exact duplicate of another row"] = before - len(rows)
    if rows["_file"].nunique() > 1:
        files_per_date = rows.groupby("date")["_file"].nunique()
        shared = files_per_date[files_per_date > 1]
        if len(shared):
            first = pd.Timestamp(shared.index[0])
            names = sorted(set(rows.loc[rows["date"] == first, "_file"]))
            summary.warnings.append(
                f"{len(shared)} date(s) appear in more than one file with different values "
                f"(e.g. {first:%Y-%m-%d} in {' and '.join(names)}): their amounts were added "
                "together. If one export restates the other, upload only the newer one."
            )
    return rows.drop(columns=["_row", "_file"])


def _drop_partial_edge_months(rows: pd.DataFrame, summary: IngestSummary) -> pd.DataFrame:
    """With daily rows, a first or last month holding a few days would read as a collapse.

    A month is partial when it has few rows for this export, or when its dates cover less than
    80% of the calendar month (a cut-off on the 19th)."""
    per_month = rows.groupby("month").size()
    typical = float(per_month.median())
    if typical < 4 or len(per_month) <= MIN_MONTHS:
        return rows
    days = rows.groupby("month")["date"].agg(["min", "max"])
    for month in sorted({per_month.index[0], per_month.index[-1]}):
        span = (days.loc[month, "max"] - days.loc[month, "min"]).days + 1
        if per_month[month] < 0.6 * typical or span < 0.8 * month.days_in_month:
            rows = rows[rows["month"] != month]
            key = "in a partial month left out"
            summary.rows_dropped[key] = summary.rows_dropped.get(key, 0) + int(per_month[month])
            summary.warnings.append(
                f"{_month_label(month)} has only {per_month[month]} rows against a typical "
                f"{typical:.0f} (dates cover {span} of {month.days_in_month} days): left out so "
                "a partial month does not read as a drop."
            )
    return rows


def _aggregate(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.sort_values("date", kind="stable")
    grouped = rows.groupby("month")
    parts = []
    flows = [c for c in FLOWS if c in rows]
    balances = [c for c in BALANCES if c in rows]
    if flows:
        parts.append(grouped[flows].sum(min_count=1))
    if balances:
        parts.append(grouped[balances].last())
    monthly = pd.concat(parts, axis=1)
    full = pd.date_range(monthly.index.min(), monthly.index.max(), freq="MS", name="month")
    return monthly.reindex(full).astype("float64")


def _fill_gaps(monthly: pd.DataFrame, summary: IngestSummary) -> tuple[pd.DataFrame, pd.DataFrame]:
    missing = monthly.isna()
    kept = []
    for col in monthly.columns:
        present = int((~missing[col]).sum())
        if present < _MOSTLY_MISSING * len(monthly):
            reason = (
                f"only {present} of {len(monthly)} months have a value, too few to "
                "forecast without inventing data."
            )
            if col == "revenue":
                unreadable = summary.unreadable_values.get("revenue", 0)
                cause = (
                    f" {unreadable} revenue value(s) could not be read as numbers (expected "
                    "e.g. 152000, $152,000 or 152.000,00)."
                    if unreadable
                    else ""
                )
                raise DataValidationError(f"Revenue is missing in most months: {reason}{cause}")
            summary.skipped_columns[col] = reason
            continue
        kept.append(col)
        if missing[col].any():
            summary.filled_months[col] = [_month_label(m) for m in monthly.index[missing[col]]]
    filled = monthly[kept].interpolate(method="linear", limit_area="inside").ffill().bfill()
    return filled, missing[kept]


def _check_length(monthly: pd.DataFrame) -> None:
    months = len(monthly)
    if months < MIN_MONTHS:
        span = f"{_month_label(monthly.index[0])} to {_month_label(monthly.index[-1])}"
        raise DataValidationError(
            f"Only {months} month(s) of data were found ({span}); forecasting needs at least "
            f"{MIN_MONTHS} months. Upload a longer export, or several exports together."
        )


def ingest(files: Sequence[SourceFile], mapping: Mapping[str, str] | None = None) -> IngestResult:
    """Read one or more CSV exports into one monthly frame.

    ``mapping`` (source header -> canonical column or ``"ignore"``) overrides the guessed mapping.
    Raises :class:`DataValidationError` with a message for a person when the data cannot be used.
    """
    if not files:
        raise DataValidationError("No file was given: upload at least one CSV export.")
    summary = IngestSummary([f.name for f in files], {}, {})
    frames = [_canonical_frame(f, mapping, summary) for f in files]
    if "revenue" not in summary.column_mapping.values():
        raise DataValidationError(
            "No revenue column was found. Columns found: "
            f"{', '.join(map(repr, summary.source_columns))}. Name one of them 'Revenue' (or "
            "'Sales Revenue', 'Total Income'), or map it to 'revenue'."
        )
    rows = pd.concat(frames, ignore_index=True)
    unreadable = rows["date"].isna()
    summary.rows_dropped["date could not be read"] = int(unreadable.sum())
    rows = rows[~unreadable]
    rows = _drop_duplicates(rows, summary)
    if rows.empty:
        raise DataValidationError(
            "No row has a date that can be read (expected e.g. 2024-01-31, 31/01/2024 or Jan 2024)."
        )
    rows = rows.assign(month=rows["date"].dt.to_period("M").dt.to_timestamp())
    rows = _drop_partial_edge_months(rows, summary)
    summary.rows_used = len(rows)
    monthly = _aggregate(rows)
    _check_length(monthly)
    monthly, filled = _fill_gaps(monthly, summary)
    summary.months = len(monthly)
    summary.start, summary.end = (_month_label(monthly.index[0]), _month_label(monthly.index[-1]))
    future = monthly.index[monthly.index > pd.Timestamp(date.today())]
    summary.future_months = len(future)
    if len(future):
        summary.warnings.append(
            f"{len(future)} month(s) lie in the future ({_month_label(future[0])} onwards): "
            "check the date column."
        )
    return IngestResult(monthly=monthly, filled=filled, summary=summary)
