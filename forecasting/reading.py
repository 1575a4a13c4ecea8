"""One upload to a table of strings, bounded: size, line and field length, columns and rows are
limited (each refusal names its limit); the delimiter is found on a bounded sample; title lines
above the header, repeated headers and rows lost to a stray quote are found and named.

Every step is linear in the file's size: line ends are located with numpy, the cells are split
by pandas' C parser, and only cells that run across lines are looked into afterwards.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from .errors import DataValidationError
from .formatting import count
from .settings import INPUT_LIMITS, InputLimits
from .textfile import decode_text, describe_lines

__all__ = ["RawTable", "UnreadRows", "read_table"]

_DELIMITERS: Final = (",", ";", "\t", "|")
_SAMPLE_LINES: Final = 60
_SAMPLE_LINE_CHARS: Final = 4096
_QUOTED: Final = re.compile(r'"[^"\n]*"')
_BAD_LINE: Final = re.compile(r"Skipping line (\d+)")


@dataclass(frozen=True)
class UnreadRows:
    """Lines of the file that did not become rows, and why."""

    reason: str
    lines: tuple[int, ...]


@dataclass(frozen=True)
class RawTable:
    """The cells of one file as strings under its header, and what reading it found."""

    frame: pd.DataFrame
    delimiter: str
    encoding: str
    notes: tuple[str, ...] = ()
    unread: tuple[UnreadRows, ...] = ()
    row_lines: np.ndarray | None = field(default=None, repr=False)

    @property
    def unread_count(self) -> int:
        return sum(len(u.lines) for u in self.unread)


@dataclass(frozen=True)
class _Lines:
    """Where each physical line starts and ends in the UTF-8 bytes (0-based line numbers)."""

    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, raw: bytes) -> _Lines:
        newlines = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
        starts = np.concatenate([[0], newlines + 1])
        ends = np.concatenate([newlines, [len(raw)]])
        if starts[-1] == len(raw):  # the file ends with a line end: no empty last line
            starts, ends = starts[:-1], ends[:-1]
        return cls(starts, ends)


def _check_size(data: bytes, name: str, limits: InputLimits) -> None:
    if len(data) > limits.max_file_bytes:
        raise DataValidationError(
            f"{name} is {len(data) / 2**20:.1f} MB; the limit is "
            f"{limits.max_file_bytes / 2**20:.0f} MB per file. Export fewer months or columns."
        )


def _check_lines(lines: _Lines, name: str, limits: InputLimits) -> None:
    lengths = lines.ends - lines.starts
    longest = int(np.argmax(lengths)) if len(lengths) else 0
    if len(lengths) and lengths[longest] > limits.max_line_chars:
        raise DataValidationError(
            f"{name}: line {longest + 1} is {int(lengths[longest]):,} characters long; the limit "
            f"is {limits.max_line_chars:,} characters per line."
        )
    if len(lengths) > limits.max_rows + _SAMPLE_LINES:
        raise DataValidationError(
            f"{name} has {len(lengths):,} lines; the limit is {limits.max_rows:,} rows per file."
        )


def _sample(lines: _Lines, raw: bytes) -> list[tuple[int, str]]:
    """The first non-blank lines (0-based number, text), each cut to a bounded length."""
    out = []
    for number in range(min(len(lines.starts), _SAMPLE_LINES * 4)):
        start, end = int(lines.starts[number]), int(lines.ends[number])
        line = raw[start : min(end, start + _SAMPLE_LINE_CHARS)].decode("utf-8", "replace")
        if line.strip():
            out.append((number, line))
        if len(out) >= _SAMPLE_LINES:
            break
    return out


def _field_counts(sample: list[tuple[int, str]], delimiter: str) -> list[int]:
    return [_QUOTED.sub("", line).count(delimiter) + 1 for _, line in sample]


def _choose_delimiter(sample: list[tuple[int, str]]) -> tuple[str, int]:
    """The delimiter that splits most sample lines into the same number (> 1) of fields; the
    count of fields it gives. Quoted text is skipped, so '$1,200' in quotes does not vote."""
    best: tuple[float, int, str] = (0.0, 1, ",")
    for delimiter in _DELIMITERS:
        counts = _field_counts(sample, delimiter)
        values, freq = np.unique(counts, return_counts=True)
        modal = int(values[np.argmax(freq)])
        if modal < 2:
            continue
        agree = float(np.max(freq)) / len(counts)
        if (agree, modal) > best[:2]:
            best = (agree, modal, delimiter)
    if best[1] < 2:
        # Most sample lines hold one field (a long quoted cell runs across them): the first
        # line that splits into fields decides.
        for _, line in sample:
            for delimiter in _DELIMITERS:
                count = _field_counts([(0, line)], delimiter)[0]
                if count >= 2:
                    return delimiter, count
    return best[2], best[1]


def _header_position(sample: list[tuple[int, str]], delimiter: str, modal: int) -> int:
    """The first line that is a full row of names: title lines above it ('Acme Ltd',
    'Profit and Loss', a date range) have fewer fields or mostly empty ones."""
    for number, line in sample:
        cells = [c.strip().strip('"').strip() for c in line.split(delimiter)]
        filled = sum(1 for c in cells if c)
        if len(cells) >= modal and filled >= 2 and filled * 2 >= len(cells):
            return number
    return sample[0][0]


def _non_blank(lines: _Lines, first: int) -> np.ndarray:
    """0-based numbers of the non-blank lines from ``first`` on (pandas skips blank lines)."""
    after = np.arange(first, len(lines.starts))
    kept: np.ndarray = after[(lines.ends - lines.starts)[after] > 0]
    return kept


def _swallowed_in_cells(
    frame: pd.DataFrame, delimiter: str, modal: int, starts: np.ndarray | None
) -> list[int]:
    """Lines inside a quoted cell that look like rows of their own: a stray quote swallowed
    them. Returns their 1-based numbers (counted from the cell's row when lines are known)."""
    out: list[int] = []
    for column in frame.columns:
        cells = frame[column]
        multi = cells[cells.str.contains("\n", regex=False)]
        for row, cell in multi.items():
            for k, part in enumerate(str(cell).split("\n")[1:], start=1):
                if part.count(delimiter) >= modal - 1:
                    base = int(starts[int(str(row))]) if starts is not None else int(str(row)) + 1
                    out.append(base + k)
    return out


_EOF_IN_QUOTE: Final = re.compile(r"EOF inside string starting at row (\d+)")


def _parse(buffer: bytes, delimiter: str, skip: int) -> tuple[pd.DataFrame, list[int], int | None]:
    """pandas' C parser, every cell a string; lines with too many fields are skipped and their
    (1-based) numbers returned, with the row (0-based, from ``skip``) where a quote opens that is
    never closed, if any: the caller cuts the file there and parses again."""
    try:
        frame, bad = _parse_once(buffer, delimiter, skip)
    except pd.errors.EmptyDataError:  # nothing before a quote opened on the first row
        return pd.DataFrame(), [], None
    except pd.errors.ParserError as exc:
        found = _EOF_IN_QUOTE.search(str(exc))
        if found is None:
            raise DataValidationError(f"the file could not be split into cells: {exc}") from None
        return pd.DataFrame(), [], int(found[1])
    return frame, bad, None


def _parse_once(buffer: bytes, delimiter: str, skip: int) -> tuple[pd.DataFrame, list[int]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = pd.read_csv(
            io.BytesIO(buffer),
            sep=delimiter,
            header=None,
            skiprows=skip,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skipinitialspace=True,
            skip_blank_lines=True,
            on_bad_lines="warn",
            engine="c",
            encoding="utf-8",
            encoding_errors="replace",
        )
    bad = [int(n) for w in caught for n in _BAD_LINE.findall(str(w.message))]
    return frame, bad


def _headers(cells: list[str]) -> list[str]:
    """Header text cleaned; blanks named by position, repeats numbered, so every column has a
    distinct name the mapping review can show."""
    out: list[str] = []
    for i, cell in enumerate(cells):
        name = str(cell).strip().strip('"').strip() or f"column {i + 1}"
        base, k = name, 2
        while name in out:
            name, k = f"{base} ({k})", k + 1
        out.append(name)
    return out


def _unread_message(name: str, unread: list[UnreadRows], limits: InputLimits) -> str:
    total = sum(len(u.lines) for u in unread)
    detail = "; ".join(f"{u.reason}: {describe_lines(u.lines)}" for u in unread)
    return (
        f"{name}: {total:,} {'line' if total == 1 else 'lines'} could not be read as rows "
        f"({detail}). More than "
        f"{limits.max_unread_rows} unread rows would leave months incomplete: fix those lines "
        "(often a quote opened and never closed) and export again."
    )


def read_table(data: bytes, name: str, limits: InputLimits = INPUT_LIMITS) -> RawTable:
    """Read one CSV file into a frame of strings under its header row; raises
    :class:`DataValidationError` naming the limit, the lines or the encoding."""
    _check_size(data, name, limits)
    text, encoding = decode_text(data, name)
    raw = text.encode("utf-8")
    del text
    lines = _Lines.of(raw)
    _check_lines(lines, name, limits)
    sample = _sample(lines, raw)
    if not sample:
        raise DataValidationError(f"{name} is empty: export the data again with a header row.")
    delimiter, modal = _choose_delimiter(sample)
    header = _header_position(sample, delimiter, modal)
    # The sample cuts long lines; the header's own width is counted on the whole line.
    full = raw[int(lines.starts[header]) : int(lines.ends[header])].decode("utf-8", "replace")
    _check_columns(name, _field_counts([(header, full)], delimiter)[0], sample, limits)
    # Without a quote no cell can run across lines or be longer than its line: the per-cell
    # checks below are then decided from the line ends alone (most exports; ~4 ms a file).
    quoted = b'"' in raw
    frame, starts, unread = _cells(raw, lines, header, delimiter, modal, limits, quoted)
    if sum(len(u.lines) for u in unread) > limits.max_unread_rows:
        raise DataValidationError(_unread_message(name, unread, limits))
    titles = sum(1 for number, _ in sample if number < header)
    longest = int((lines.ends - lines.starts).max())
    check = quoted or longest > limits.max_field_chars
    return _finish(frame, starts, name, delimiter, encoding, titles, unread, limits, check)


def _cells(
    raw: bytes,
    lines: _Lines,
    header: int,
    delimiter: str,
    modal: int,
    limits: InputLimits,
    quoted: bool = True,
) -> tuple[pd.DataFrame, np.ndarray | None, list[UnreadRows]]:
    """The parsed cells, the line each record starts on, and the lines that became no row."""
    frame, bad, open_row = _parse(raw, delimiter, header)
    unread: list[UnreadRows] = []
    if open_row is not None:
        # A quote opened and never closed: everything after it is one cell. Read up to it.
        rows = _non_blank(lines, header)
        opening = int(rows[min(open_row, len(rows) - 1)])
        lost = tuple(int(n) + 1 for n in rows[rows >= opening])
        unread.append(UnreadRows("from a quote opened and never closed to the end", lost))
        if len(lost) > limits.max_unread_rows:
            return frame, None, unread
        frame, bad, _ = _parse(raw[: int(lines.starts[opening])], delimiter, header)
    unread.append(UnreadRows("more fields than the header", tuple(bad)))
    starts = _record_lines(frame, lines, header, bad, quoted)
    swallowed = _swallowed_in_cells(frame, delimiter, modal, starts) if quoted else []
    unread.append(UnreadRows("inside a quoted cell that runs across lines", tuple(swallowed)))
    return frame, starts, [u for u in unread if u.lines]


def _check_columns(
    name: str, modal: int, sample: list[tuple[int, str]], limits: InputLimits
) -> None:
    if modal > limits.max_columns:
        raise DataValidationError(
            f"{name} has {modal:,} columns; the limit is {limits.max_columns:,} columns."
        )
    if modal < 2:
        first = sample[0][1].strip()[:60]
        raise DataValidationError(
            f"{name} has only one column ({first!r}): it needs at least a date column and a "
            "revenue column, separated by commas, semicolons, tabs or '|'."
        )


def _finish(
    frame: pd.DataFrame,
    starts: np.ndarray | None,
    name: str,
    delimiter: str,
    encoding: str,
    titles: int,
    unread: list[UnreadRows],
    limits: InputLimits,
    check_fields: bool = True,
) -> RawTable:
    if frame.empty:
        why = "; ".join(f"{u.reason}: {describe_lines(u.lines)}" for u in unread)
        raise DataValidationError(
            f"{name} has no rows to read" + (f" ({why})." if why else ".")
        )
    frame.columns = _headers(list(frame.iloc[0]))
    frame = _drop_empty_columns(frame.iloc[1:].reset_index(drop=True))
    if frame.shape[1] == 0:
        raise DataValidationError(
            f"{name} holds no named column with values: it needs at least a date column and a "
            "revenue column under a header row."
        )
    if len(frame.columns) > limits.max_columns:
        raise DataValidationError(
            f"{name} has {len(frame.columns):,} columns; the limit is {limits.max_columns:,}."
        )
    if check_fields:
        _check_fields(frame, name, limits)
    row_lines = None if starts is None else starts[1:]
    frame, repeated = _drop_repeated_headers(frame, row_lines)
    if frame.empty:
        raise DataValidationError(f"{name} has a header row but no data rows.")
    notes = []
    if titles:
        notes.append(
            f"{name}: {count(titles, 'title line')} above the header "
            f"{'was' if titles == 1 else 'were'} skipped."
        )
    if repeated is not None:
        notes.append(f"{name}: the header repeated on {describe_lines(repeated[0])} was dropped.")
        if row_lines is not None:
            row_lines = np.delete(row_lines, repeated[1])
    if encoding != "UTF-8":
        notes.append(f"{name} was read as {encoding} text.")
    return RawTable(frame, delimiter, encoding, tuple(notes), tuple(unread), row_lines)


def _drop_empty_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Trailing delimiters make nameless, empty columns: they are not part of the export."""
    empty = [
        c
        for c in frame.columns
        if c.startswith("column ") and not frame[c].str.strip().astype(bool).any()
    ]
    return frame.drop(columns=empty)


def _check_fields(frame: pd.DataFrame, name: str, limits: InputLimits) -> None:
    for column in frame.columns:
        lengths = frame[column].str.len()
        if len(lengths) and int(lengths.max()) > limits.max_field_chars:
            raise DataValidationError(
                f"{name}: a cell in column {column[:40]!r} is {int(lengths.max()):,} "
                f"characters long; the limit is {limits.max_field_chars:,} characters per cell."
            )


def _record_lines(
    frame: pd.DataFrame, lines: _Lines, header: int, bad: list[int], quoted: bool = True
) -> np.ndarray | None:
    """The 1-based line each parsed record starts on (the header first): non-blank lines in
    order, skipping bad lines and the extra lines of cells that run across lines."""
    rows = _non_blank(lines, header) + 1
    rows = rows[~np.isin(rows, bad)]
    extra = np.zeros(len(frame), dtype=np.int64)
    for column in frame.columns if quoted else ():
        extra += frame[column].str.count("\n").to_numpy(dtype=np.int64)
    positions = np.arange(len(frame)) + np.concatenate([[0], np.cumsum(extra)[:-1]])
    if len(frame) == 0 or positions[-1] >= len(rows):
        return None
    starts: np.ndarray = rows[positions]
    return starts


def _drop_repeated_headers(
    frame: pd.DataFrame, row_lines: np.ndarray | None
) -> tuple[pd.DataFrame, tuple[list[int], np.ndarray] | None]:
    """Rows that repeat the header (a report printed page by page) are not data."""
    first = frame.columns[0]
    candidates = frame.index[frame[first].str.strip() == first]
    if not len(candidates):
        return frame, None
    names = [c for c in frame.columns if not c.startswith("column ")]
    block = frame.loc[candidates, names].apply(lambda col: col.str.strip())
    repeated = candidates[(block == pd.Series(names, index=names)).all(axis=1)]
    if not len(repeated):
        return frame, None
    positions = np.asarray(repeated)
    numbers = (
        [int(row_lines[p]) for p in positions] if row_lines is not None else
        [int(p) + 2 for p in positions]
    )
    return frame.drop(index=repeated).reset_index(drop=True), (numbers, positions)
