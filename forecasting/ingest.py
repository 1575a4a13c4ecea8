"""CSV exports (bytes) to one validated monthly frame, with a summary of what was mapped/fixed.

Each file is read within its limits (``reading``), turned long when it is a report by month
(``layouts``), its headers mapped by meaning (``columns``) and checked against their values, its
cells read (``parsing``, ``dates``); rows of all files are merged, then summed into months with
balances read per entity (``balances``) and month-level rules applied (``months``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from .balances import aggregate_months
from .columns import BALANCES, COLUMN_LABELS, ENTITIES, FLOWS
from .errors import DataValidationError
from .fileframe import canonical_frame
from .formatting import count
from .months import (
    MIN_MONTHS,
    check_length,
    drop_partial_edge_months,
    fill_gaps,
    month_label,
    refuse_spaced_rows,
    trim_to_revenue,
)
from .settings import INPUT_LIMITS, InputLimits
from .subtotals import drop_subtotal_rows, warn_repeated_months
from .summary import IngestSummary
from .textfile import clean_name, plain

__all__ = ["MIN_MONTHS", "IngestResult", "IngestSummary", "SourceFile", "ingest"]

_METRIC_OF: dict[str, str] = {"ar": "dso", "ap": "dpo", "inventory": "cash_conversion_cycle"}


@dataclass(frozen=True)
class SourceFile:
    """One uploaded file: its name (for messages) and its raw bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class IngestResult:
    """The monthly frame (month-start index, one float column per amount), which months were
    filled, the summary, and — when the data has entity columns — the monthly flows of each
    entity (a long frame: ``month``, the entity columns, then revenue/expenses/profit)."""

    monthly: pd.DataFrame
    filled: pd.DataFrame
    summary: IngestSummary
    entity_flows: pd.DataFrame | None = None


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
                f"{count(len(shared), 'date')} {'appears' if len(shared) == 1 else 'appear'} in "
                "more than one file with different values "
                f"(e.g. {first:%Y-%m-%d} in {' and '.join(names)}): their "
                "amounts were added together. If one export restates the other, upload only the "
                "newer one."
            )
    return rows


def _rows(files: Sequence[SourceFile], mapping: Mapping[str, str] | None,
          summary: IngestSummary, limits: InputLimits) -> pd.DataFrame:
    frames = [canonical_frame(f.name, f.data, mapping, summary, limits) for f in files]
    if "revenue" not in summary.column_mapping.values():
        raise DataValidationError(
            "No revenue column was found. Columns found: "
            f"{', '.join(plain(c, 40) for c in summary.source_columns[:30])}. Name one of them "
            "'Revenue' (or 'Sales Revenue', 'Total Income'), or map it to 'revenue'."
        )
    rows = pd.concat(frames, ignore_index=True)
    unreadable = rows["date"].isna()
    outside = summary.rows_dropped.get("date outside 1900–2199", 0)
    summary.add_drop("date could not be read", int(unreadable.sum()) - outside)
    rows = _drop_duplicates(rows[~unreadable], summary)
    if rows.empty:
        raise DataValidationError(
            "No row has a date that can be read (expected e.g. 2024-01-31, 31/01/2024 or Jan 2024)."
        )
    rows = rows.assign(month=rows["date"].dt.to_period("M").dt.to_timestamp())
    warn_repeated_months(rows, summary)
    return rows.drop(columns=["_row", "_file"]).sort_values("date", kind="stable")


def _alert_transactions(jumpy: dict[str, str], summary: IngestSummary) -> None:
    for column, why in jumpy.items():
        label = COLUMN_LABELS[column]
        summary.add_alert(
            "medium",
            _METRIC_OF.get(column, "data"),
            f"{label} behaves like per-transaction amounts",
            f"{label} behaves like per-transaction amounts, not a balance: {why}. KPIs built on "
            "it (days outstanding, cash cycle) may be far from the truth: check that the column "
            "holds each entity's balance at that date.",
        )


def ingest(
    files: Sequence[SourceFile],
    mapping: Mapping[str, str] | None = None,
    limits: InputLimits = INPUT_LIMITS,
) -> IngestResult:
    """Read one or more CSV exports into one monthly frame.

    ``mapping`` (source header -> canonical column or ``"ignore"``) overrides the guessed mapping.
    Raises :class:`DataValidationError` with a message for a person when the data cannot be used.
    """
    if not files:
        raise DataValidationError("No file was given: upload at least one CSV export.")
    if len(files) > limits.max_files:
        raise DataValidationError(
            f"{len(files)} files were given; the limit is {limits.max_files} files at once."
        )
    files = [SourceFile(clean_name(f.name), f.data) for f in files]
    summary = IngestSummary([f.name for f in files], {}, {})
    rows = drop_partial_edge_months(_rows(files, mapping, summary, limits), summary)
    rows = drop_subtotal_rows(rows, [c for c in ENTITIES if c in rows], summary)
    refuse_spaced_rows(rows["month"])
    summary.rows_used = len(rows)
    # A label on a one-row-per-month export (the company's row tagged with a region) is not a
    # split of the company: only several rows in a month make entities.
    several = bool((rows.groupby("month").size() > 1).any())
    entities = [c for c in ENTITIES if c in rows and several and rows[c].nunique() > 1]
    summary.entity_columns = entities
    aggregated = aggregate_months(rows, entities)
    if entities:
        summary.balance_basis = aggregated.basis
    _alert_transactions(aggregated.transaction_like, summary)
    monthly, without_revenue = trim_to_revenue(aggregated.monthly, summary)
    check_length(monthly, without_revenue)
    monthly, filled = fill_gaps(monthly, summary)
    summary.months = len(monthly)
    summary.start, summary.end = (month_label(monthly.index[0]), month_label(monthly.index[-1]))
    future = monthly.index[monthly.index > pd.Timestamp(date.today())]
    summary.future_months = len(future)
    if len(future):
        summary.warnings.append(
            f"{count(len(future), 'month')} {'lies' if len(future) == 1 else 'lie'} in the future "
            f"({month_label(future[0])} onwards): "
            "check the date column."
        )
    flows = aggregated.entity_flows
    if flows is not None:
        flows = flows[flows["month"].isin(monthly.index)].reset_index(drop=True)
    ordered = [c for c in (*FLOWS, *BALANCES) if c in monthly]
    return IngestResult(monthly[ordered], filled[ordered], summary, flows)
