"""One file to rows of canonical columns: read it, recognise a report by month, map its headers
(checking each guess against the column's values), read its cells, and note every doubt."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from .columns import COLUMN_LABELS, ENTITIES, MappingDecision, map_columns
from .dates import parse_date_column
from .errors import DataValidationError
from .formatting import count
from .layouts import MONTH_COLUMN, WideLayout, months_across
from .parsing import AmountColumn, parse_amount_column
from .reading import RawTable, read_table
from .settings import InputLimits
from .summary import IngestSummary
from .textfile import plain

__all__ = ["canonical_frame"]

_SAMPLE: Final = 500
_READABLE: Final = 0.5  # share of a guessed column's values that must read as its kind
_MONEY_LIKE: Final = 0.9
_NOT_MONEY_WORDS: Final = ("id", "number", "code", "year", "quarter", "qty", "count", "no")


def _sample(column: pd.Series) -> pd.Series:
    values = column.astype(str).str.strip()
    values = values[values != ""]
    return values.iloc[:: max(1, len(values) // _SAMPLE)].iloc[:_SAMPLE]


def _contradiction(column: pd.Series, target: str) -> str | None:
    """Why a column's values contradict a guessed meaning, or None when they fit it."""
    values = _sample(column)
    if values.empty or target in ENTITIES:
        return None
    if target == "date":
        readable = parse_date_column(values).values.notna().mean()
        kind = "dates"
    else:
        readable = 1 - parse_amount_column(values).unreadable / len(values)
        kind = "amounts"
    if readable >= _READABLE:
        return None
    return (
        f"its name suggests {COLUMN_LABELS[target].lower()}, but its values are not {kind} "
        f"(e.g. {plain(str(values.iloc[0]), 30)})"
    )


def _decide(
    frame: pd.DataFrame, overrides: Mapping[str, str] | None, prefer_totals: bool
) -> list[MappingDecision]:
    """Map the headers; a guess (not an exact name, not the user's choice) whose values
    contradict it is set aside and the mapping done again."""
    unusable: dict[str, str] = {}
    for _ in range(4):
        decisions = map_columns(frame.columns, overrides, prefer_totals, unusable)
        doubtful = {
            d.source: why
            for d in decisions
            if d.target is not None and d.confidence == "medium"
            and (why := _contradiction(frame[d.source], d.target)) is not None
        }
        if not doubtful:
            return decisions
        unusable.update(doubtful)
    return decisions


def _money_like(column: pd.Series, header: str) -> str | None:
    """'1,234 of 1,234 values read as amounts' for a column of money, None otherwise: IDs,
    years and counts are numbers but not money."""
    words = set(header.casefold().replace("_", " ").split())
    if words & set(_NOT_MONEY_WORDS):
        return None
    values = _sample(column)
    if len(values) < 3:
        return None
    amounts = parse_amount_column(values)
    readable = amounts.values.dropna()
    if len(readable) < _MONEY_LIKE * len(values):
        return None
    integers = bool((readable == readable.round()).all())
    steps = readable.diff().dropna()
    numbered = len(steps) > 0 and bool((steps == 1).all())  # 1, 2, 3, ...: row numbers or IDs
    if integers and (numbered or readable.between(1900, 2100).all()):
        return None
    if readable.abs().max() < 10:
        return None
    total = int((column.astype(str).str.strip() != "").sum())
    return f"{total:,} values read as amounts"


def _record_decisions(
    name: str, raw: pd.DataFrame, decisions: list[MappingDecision], summary: IngestSummary
) -> None:
    summary.source_columns += [c for c in raw.columns if c not in summary.source_columns]
    summary.mapping_decisions += [
        d for d in decisions if d.source not in {m.source for m in summary.mapping_decisions}
    ]
    for d in decisions:
        if d.target is not None:
            summary.column_mapping[d.source] = d.target
            continue
        summary.ignored_columns[d.source] = d.reason
        if d.confidence in ("set by you",) or d.source == MONTH_COLUMN:
            continue
        money = _money_like(raw[d.source], d.source)
        if money is not None:
            summary.doubts[d.source] = f"{money}; {d.reason}"


def _layout(table: RawTable, name: str, summary: IngestSummary) -> pd.DataFrame:
    wide: WideLayout | None = months_across(table.frame)
    if wide is None:
        return table.frame
    summary.notes.append(
        f"{name} is a report by month: {len(wide.month_columns)} month columns "
        f"({wide.month_columns[0]} to {wide.month_columns[-1]}), one row per account"
        + (
            f"; the {', '.join(plain(t) for t in wide.total_columns)} column was left out "
            "(months are summed here, not taken from the report's total)"
            if wide.total_columns
            else ""
        )
        + "."
    )
    return wide.frame


_THREE_DECIMALS: Final = re.compile(r"^-?[1-9][0-9]{0,2}\.[0-9]{3}$")


def _three_decimals(cells: pd.Series, column: AmountColumn) -> str | None:
    """The first cell, when every amount has exactly three decimals ('100.691') and was read
    as a decimal, as a comma-delimited file writes them: they may be thousands with a dot
    (100,691), as some European exports write them, which would make each 1,000 times larger."""
    present = cells.dropna()
    if not _sample(present).str.match(_THREE_DECIMALS).all():  # most columns stop here
        return None
    text = present.astype(str).str.strip()
    text = text[text != ""]
    if len(text) < 3 or not text.str.match(_THREE_DECIMALS).all():
        return None
    read = np.abs(column.values.to_numpy(dtype=float))
    if not np.isfinite(read).any() or float(np.nanmax(read)) >= 1000:
        return None
    return str(text.iloc[0])


def _warn_three_decimals(name: str, found: dict[str, str], summary: IngestSummary) -> None:
    if not found:
        return
    headers = [plain(h, 40) for h in found]
    shown = ", ".join(headers[:3]) + (f" and {len(headers) - 3} more" if len(headers) > 3 else "")
    example = next(iter(found.values()))
    summary.warnings.append(
        f"Every amount in {shown} ({name}) has exactly three decimals (e.g. {plain(example, 20)}):"
        " they were read as decimals. If the dot separates thousands "
        f"({example} meaning {example.replace('.', ',')}), every amount is 1,000 times larger: "
        "export with a semicolon delimiter, or without thousands separators."
    )


def _amounts(
    name: str, header: str, canonical: str, cells: pd.Series, semicolon: bool,
    summary: IngestSummary, three_decimals: dict[str, str],
) -> pd.Series | None:
    column: AmountColumn = parse_amount_column(cells, semicolon_file=semicolon)
    example = _three_decimals(cells, column)
    if example is not None:
        three_decimals[header] = example
    if column.unreadable:
        summary.unreadable_values[canonical] = (
            summary.unreadable_values.get(canonical, 0) + column.unreadable
        )
    if column.out_of_range:
        summary.warnings.append(
            f"{count(column.out_of_range, COLUMN_LABELS[canonical].lower() + ' value')} in {name} "
            "are infinite or beyond ±1e15 and were treated as missing."
        )
    found = set(column.currencies)
    earlier = summary.currencies.get(canonical)
    if earlier is not None:
        found.add(earlier)
    if len(found) > 1:
        counts = ", ".join(f"{c} in {count(n, 'cell')}" for c, n in column.currencies.items())
        why = (
            f"{plain(header)} in {name} mixes currencies ({counts or ', '.join(found)}); "
            "amounts in different currencies cannot be added. Convert them to one currency, or "
            "map the column to 'ignore'."
        )
        if canonical == "revenue":
            raise DataValidationError(why)
        summary.skipped_columns[canonical] = why
        return None
    if found:
        summary.currencies[canonical] = found.pop()
    return column.values


_QUARTER: Final = re.compile(
    r"^\s*(?:(?:19|20)\d{2}\s*[-/ ]?\s*(?:Q|QTR|QUARTER)\s*[1-4]"
    r"|(?:Q|QTR|QUARTER)\s*[1-4]\s*[-/ ,']?\s*(?:(?:19|20)?\d{2}))\s*$",
    re.IGNORECASE,
)


def _refuse_quarters(name: str, header: str, column: pd.Series) -> None:
    """A column of quarter labels ('2022-Q1', 'Q3 2023') where a date column would be: the
    export is by quarter, and monthly figures cannot be made from it."""
    values = column.dropna().astype(str).str.strip()
    values = values[values != ""]
    if len(values) < 2 or values.str.match(_QUARTER).mean() < 0.8:
        return
    raise DataValidationError(
        f"{name} is by quarter ({plain(header, 40)} holds quarters, e.g. "
        f"{plain(values.iloc[0], 20)}): the forecasts need one row per month (or per day). "
        "Export the figures by month."
    )


def canonical_frame(
    name: str,
    data: bytes,
    overrides: Mapping[str, str] | None,
    summary: IngestSummary,
    limits: InputLimits,
) -> pd.DataFrame:
    """The file's rows with one column per mapped canonical name, plus a hash of the whole row
    (``_row``, for exact duplicates) and the file name (``_file``)."""
    table = read_table(data, name, limits)
    summary.encodings[name] = table.encoding
    summary.notes += list(table.notes)
    if table.unread:
        summary.unread_rows[name] = [(u.reason, u.lines) for u in table.unread]
    raw = _layout(table, name, summary)
    wide = MONTH_COLUMN in raw.columns
    wanted = {**({MONTH_COLUMN: "date"} if wide else {}), **(overrides or {})}
    decisions = _decide(raw, wanted, prefer_totals=wide)
    _record_decisions(name, raw, decisions, summary)
    mapping = {d.source: d.target for d in decisions if d.target is not None}
    if "date" not in mapping.values():
        # An unmapped column of quarters instead: a quarterly export (only looked for here, as
        # a monthly one may carry a quarter column beside its dates).
        for header in raw.columns:
            if header not in mapping:
                _refuse_quarters(name, header, raw[header])
        raise DataValidationError(
            f"{name} has no date column. Columns found: "
            f"{', '.join(plain(c, 40) for c in raw.columns[:30])}. Name one of them 'Date' (or "
            "'Transaction Date', 'Month'), or map it to 'date'."
        )
    frame = pd.DataFrame(index=raw.index)
    three_decimals: dict[str, str] = {}
    for header, canonical in mapping.items():
        if canonical == "date":
            dates = parse_date_column(raw[header])
            if dates.values.notna().mean() < 0.5:  # quarter labels read as no date at all
                _refuse_quarters(name, header, raw[header])
            frame["date"] = dates.values
            summary.date_orders[name] = f"{dates.order} ({dates.reason})"
            summary.add_drop("date outside 1900–2199", dates.out_of_range)
        elif canonical in ENTITIES:
            frame[canonical] = raw[header].astype(str).str.strip()
        else:
            values = _amounts(name, header, canonical, raw[header], table.delimiter == ";",
                              summary, three_decimals)
            if values is not None:
                frame[canonical] = values
    _warn_three_decimals(name, three_decimals, summary)
    # "Exact duplicate" compares every column of the export, ignored ones too: two invoices of
    # the same amount on the same day are two sales, not one.
    frame["_row"] = pd.util.hash_pandas_object(raw, index=False).to_numpy(dtype=np.uint64)
    frame["_file"] = name
    summary.rows_read += len(frame) + table.unread_count
    return frame
