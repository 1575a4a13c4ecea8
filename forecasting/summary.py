"""What ingest did, in sentences a finance user can check against the export."""

from __future__ import annotations

from dataclasses import dataclass, field

from .columns import COLUMN_LABELS, MappingDecision
from .formatting import count
from .report_types import Alert, Severity
from .textfile import describe_lines, plain

__all__ = ["IngestSummary"]


@dataclass
class IngestSummary:
    """Every column used, ignored or doubted; every row dropped, unread or filled; and why."""

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
    mapping_decisions: list[MappingDecision] = field(default_factory=list)
    doubts: dict[str, str] = field(default_factory=dict)  # unmapped money-like columns: why
    date_orders: dict[str, str] = field(default_factory=dict)  # file -> order and why
    encodings: dict[str, str] = field(default_factory=dict)
    unread_rows: dict[str, list[tuple[str, tuple[int, ...]]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    currencies: dict[str, str] = field(default_factory=dict)  # canonical -> currency
    entity_columns: list[str] = field(default_factory=list)  # canonical entity columns
    balance_basis: dict[str, str] = field(default_factory=dict)  # canonical balance -> how
    alerts: list[Alert] = field(default_factory=list)

    def add_drop(self, why: str, count: int) -> None:
        if count:
            self.rows_dropped[why] = self.rows_dropped.get(why, 0) + count

    def add_alert(self, severity: Severity, metric: str, title: str, detail: str) -> None:
        """A data alert: shown on the page and carried in the report, beside its warning."""
        self.alerts.append(
            {"severity": severity, "metric": metric, "title": title, "detail": detail}
        )
        self.warnings.append(detail)

    def unread_total(self) -> int:
        return sum(len(lines) for parts in self.unread_rows.values() for _, lines in parts)

    def decision_lines(self) -> list[str]:
        """One sentence per source column: what it became, how sure, and why."""
        out = []
        for d in self.mapping_decisions:
            name = plain(d.source)
            if d.target is not None:
                out.append(
                    f"{name} → {COLUMN_LABELS[d.target].lower()} ({d.confidence} confidence: "
                    f"{d.reason})."
                )
            else:
                doubt = self.doubts.get(d.source)
                out.append(f"{name} not used: {doubt or d.reason}.")
        return out

    def lines(self) -> list[str]:
        """The summary in plain sentences, for the page and the CLI."""
        out = [
            f"{self.months} months from {self.start} to {self.end}, built from {self.rows_used} "
            f"of {self.rows_read} rows in {count(len(self.source_files), 'file')}."
        ]
        out += self.notes
        # Only a decision is worth a line: ISO dates and month names read one way.
        out += [
            f"{f}: dates read {how}."
            for f, how in self.date_orders.items()
            if not how.startswith("year first")
        ]
        for name, parts in self.unread_rows.items():
            for why, lines in parts:
                out.append(
                    f"{name}: {count(len(lines), 'line')} could not be read as rows ({why}: "
                    f"{describe_lines(lines)})."
                )
        out += [f"{count(n, 'row')} dropped: {why}." for why, n in self.rows_dropped.items() if n]
        out += self._value_lines()
        out += [
            f"{COLUMN_LABELS[c]} not forecast: {why}" for c, why in self.skipped_columns.items()
        ]
        out += [f"{COLUMN_LABELS[c]}: {how}." for c, how in self.balance_basis.items()]
        out += [
            f"{plain(h)} looks like amounts but was not used: {why}."
            for h, why in self.doubts.items()
        ]
        return out + self.warnings

    def _value_lines(self) -> list[str]:
        out = []
        for col, n in self.unreadable_values.items():
            encoding = ", ".join(sorted({e for e in self.encodings.values() if e != "UTF-8"}))
            hint = f" (the file was read as {encoding} text)" if encoding else ""
            out.append(
                f"{count(n, COLUMN_LABELS[col].lower() + ' value')} could not be read as numbers "
                f"and were treated as missing{hint}."
            )
        for col, months in self.filled_months.items():
            out.append(
                f"{COLUMN_LABELS[col]} was missing in {count(len(months), 'month')} "
                f"({', '.join(months[:4])}{', ...' if len(months) > 4 else ''}): "
                "filled from the neighbouring months and flagged."
            )
        out += [f"{COLUMN_LABELS[c]} amounts are in {cur}." for c, cur in self.currencies.items()]
        return out
