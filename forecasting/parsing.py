"""Reading messy cells: CSV bytes to text and rows, amounts such as "$152,000", mixed dates."""

from __future__ import annotations

import csv
import io
import re
from typing import Final

import numpy as np
import pandas as pd

from .errors import DataValidationError

__all__ = ["decode_csv", "parse_amounts", "parse_dates", "read_table", "uses_decimal_comma"]

_DELIMITERS: Final = ",;\t|"
_ENCODINGS: Final = ("utf-8-sig", "cp1252", "latin-1")
_MISSING: Final = {"", "na", "n/a", "nan", "null", "none", "-", "--", "#n/a", "nil"}
_SCALE: Final = {"k": 1e3, "m": 1e6, "mm": 1e6, "bn": 1e9, "b": 1e9}
_AMOUNT: Final = re.compile(r"^(?P<number>[0-9.,]*[0-9])(?P<scale>k|mm|m|bn|b)?$")


def decode_csv(data: bytes, name: str) -> str:
    """Bytes to text, refusing empty and binary files with a message that names the file."""
    if not data.strip():
        raise DataValidationError(f"{name} is empty: export the data again with a header row.")
    head = data[:4096]
    if b"\x00" in head or head.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")):
        raise DataValidationError(
            f"{name} is not a CSV file (it holds binary data, such as an Excel workbook or a "
            "PDF). Save it as 'CSV (comma delimited)' and upload that."
        )
    for encoding in _ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t")
        if controls > 8:
            break
        return text
    raise DataValidationError(
        f"{name} does not read as text: it is not a CSV file. Export it as CSV (UTF-8)."
    )


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in _DELIMITERS}
        return max(counts, key=lambda d: counts[d])


def read_table(data: bytes, name: str) -> tuple[pd.DataFrame, str, int]:
    """Parse one CSV file into a frame of strings; returns the frame, its delimiter and how many
    malformed rows (more fields than the header has) were left out, so the summary can say so."""
    text = decode_csv(data, name)
    delimiter = _sniff_delimiter(text)
    malformed: list[list[str]] = []

    def skip(line: list[str]) -> None:
        malformed.append(line)

    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            skip_blank_lines=True,
            on_bad_lines=skip,
            engine="python",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise DataValidationError(f"{name} could not be read as CSV: {exc}") from None
    frame.columns = [str(c).strip().strip('"').strip() for c in frame.columns]
    if frame.shape[1] < 2:
        raise DataValidationError(
            f"{name} has only one column ({frame.columns[0]!r}): it needs at least a date "
            "column and a revenue column, separated by commas, semicolons, tabs or '|'."
        )
    if frame.empty:
        raise DataValidationError(f"{name} has a header row but no data rows.")
    return frame, delimiter, len(malformed)


def _one_amount(raw: str, decimal_comma: bool) -> float:
    text = raw.strip().casefold()
    if text in _MISSING:
        return np.nan
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    text = re.sub(r"[\s$€£¥₹'\u00a0]|usd|eur|gbp|chf", "", text).replace("\u2212", "-")
    if text.startswith("-") or text.endswith("-"):
        negative = not negative
        text = text.strip("-")
    text = text.lstrip("+")
    match = _AMOUNT.match(text)
    if match is None:
        return np.nan
    number = match["number"]
    if decimal_comma:
        number = number.replace(".", "").replace(",", ".")
    elif "," in number and "." in number and number.rfind(",") > number.rfind("."):
        number = number.replace(".", "").replace(",", ".")  # 1.234,50
    elif re.fullmatch(r"\d+,\d{1,2}", number):
        number = number.replace(",", ".")  # 3,4 is a decimal, 3,400 is not
    else:
        number = number.replace(",", "")
    try:
        value = float(number) * _SCALE.get(match["scale"] or "", 1.0)
    except ValueError:
        return np.nan
    return -value if negative else value


_EU_STRONG: Final = re.compile(r"^[1-9]\d{0,2}(\.\d{3}){2,}(,\d+)?$|^[1-9]\d{0,2}(\.\d{3})+,\d+$")
_EU_GROUPS: Final = re.compile(r"^[1-9]\d{0,2}(\.\d{3})+$")
_US_LIKE: Final = re.compile(r"^\d+\.(\d{1,2}|\d{4,})$|^\d{1,3}(,\d{3})+(\.\d+)?$")


def uses_decimal_comma(values: pd.Series, semicolon_file: bool = False) -> bool:
    """Whether a column writes 1.234.567,89 (dots group thousands, the comma is the decimal).

    Decided once per column, so '152.000' is never read as 152 next to '1.143.601'. A lone
    '714.120' style counts as European only in a semicolon-delimited file (a European export).
    """
    cleaned = values.astype(str).str.replace(r"[\s$€£¥₹'\u00a0()+\-\u2212]", "", regex=True)
    if cleaned.str.fullmatch(_US_LIKE).any():
        return False
    if cleaned.str.fullmatch(_EU_STRONG).any():
        return True
    return semicolon_file and bool(cleaned.str.fullmatch(_EU_GROUPS).any())


def parse_amounts(
    values: pd.Series, decimal_comma: bool | None = None, semicolon_file: bool = False
) -> tuple[pd.Series, int]:
    """Read amounts such as '$152,000', '(1,200)', '€3.4', '1.2M', '1.234,50'; returns values and
    the number of non-empty cells that could not be read (those become missing, never zero).
    ``decimal_comma=None`` decides the separators from the column itself."""
    if decimal_comma is None:
        decimal_comma = uses_decimal_comma(values, semicolon_file)
    as_text = values.astype(str)
    # Fast path for plain numbers; only the cells that fail go through the slow reader.
    parsed = pd.to_numeric(as_text.str.strip(), errors="coerce").astype("float64")
    if decimal_comma:
        parsed[:] = np.nan
    slow = parsed.isna()
    if slow.any():
        parsed.loc[slow] = np.array(
            [_one_amount(v, decimal_comma) for v in as_text[slow]], dtype="float64"
        )
    empty = as_text.str.strip().str.casefold().isin(_MISSING)
    unreadable = int((parsed.isna() & ~empty).sum())
    return parsed, unreadable


_ISO_LIKE: Final = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y-%m", "%Y/%m")
_DAY_FIRST: Final = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")
_MONTH_FIRST: Final = ("%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y")
_MONTH_NAMES: Final = (
    "%b %Y",
    "%B %Y",
    "%b-%Y",
    "%b-%y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%Y %b",
    "%m/%Y",
    "%m-%Y",
)


def _prefer_day_first(text: pd.Series) -> bool:
    parts = text.str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}$").dropna().astype(int)
    if parts.empty:
        return True
    day_first_only = int(((parts[0] > 12) & (parts[1] <= 12)).sum())
    month_first_only = int(((parts[1] > 12) & (parts[0] <= 12)).sum())
    return day_first_only >= month_first_only


def parse_dates(values: pd.Series) -> pd.Series:
    """Read dates in mixed formats; unreadable ones become NaT.

    ISO first, then dd/mm vs mm/dd: a value is read the only way it is valid (24/08/2024 is
    day-first), and an ambiguous one (03/04/2024) the way most unambiguous values in the column
    are written (day-first when the column gives no hint).
    """
    raw = values.astype(str).str.strip()
    # Drop a time of day ("2024-01-15 00:00:00", "2024-01-15T10:00") unless the date has words.
    has_words = raw.str.contains(r"[A-Za-z]{3}", regex=True)
    text = raw.where(has_words, raw.str.split(r"[T ]", n=1, regex=True).str[0])
    slashed = _DAY_FIRST + _MONTH_FIRST
    if not _prefer_day_first(text):
        slashed = _MONTH_FIRST + _DAY_FIRST
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in (*_ISO_LIKE, *slashed, *_MONTH_NAMES):
        todo = result.isna()
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        result.loc[todo] = parsed.astype("datetime64[ns]")
    return result
