"""Reading amounts from messy cells — '$152,000', '(1,200)', '€3.4', '1.2M', '1.234,50' — column
by column, vectorised; which currencies a column is written in; dates live in ``dates``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .dates import parse_dates
from .settings import MAX_AMOUNT

__all__ = [
    "AmountColumn",
    "parse_amount_column",
    "parse_amounts",
    "parse_dates",
    "uses_decimal_comma",
]

_MISSING: Final = ["", "na", "n/a", "nan", "null", "none", "-", "--", "#n/a", "nil", "n.a."]
_SCALE: Final = {"k": 1e3, "m": 1e6, "mm": 1e6, "bn": 1e9, "b": 1e9}
_CURRENCIES: Final = {
    "$": "USD ($)", "usd": "USD ($)", "us$": "USD ($)",
    "€": "EUR (€)", "eur": "EUR (€)",
    "£": "GBP (£)", "gbp": "GBP (£)",
    "¥": "JPY/CNY (¥)", "jpy": "JPY/CNY (¥)", "cny": "JPY/CNY (¥)", "rmb": "JPY/CNY (¥)",
    "₹": "INR (₹)", "inr": "INR (₹)",
    "chf": "CHF", "cad": "CAD", "aud": "AUD", "sek": "SEK", "nok": "NOK", "dkk": "DKK",
}
_CURRENCY: Final = r"us\$|\$|€|£|¥|₹|usd|eur|gbp|jpy|cny|rmb|inr|chf|cad|aud|sek|nok|dkk"
# Written for RE2 (pyarrow's engine): no \s, \d or \u escapes, so no cell falls back to Python.
_NOISE: Final = f"[ \t'\u00a0\u202f]|{_CURRENCY}"
_AMOUNT: Final = r"^(?P<number>[0-9.,]*[0-9])(?P<scale>k|mm|m|bn|b)?$"


@dataclass(frozen=True)
class AmountColumn:
    """A column's numbers (missing where a cell is empty or unreadable), how many non-empty cells
    could not be read, and the currencies its cells are marked with (cells per currency)."""

    values: pd.Series
    unreadable: int
    currencies: dict[str, int] = field(default_factory=dict)
    out_of_range: int = 0


_EU_STRONG: Final = (
    r"^[1-9][0-9]{0,2}(\.[0-9]{3}){2,}(,[0-9]+)?$|^[1-9][0-9]{0,2}(\.[0-9]{3})+,[0-9]+$"
)
_EU_GROUPS: Final = r"^[1-9][0-9]{0,2}(\.[0-9]{3})+$"
_US_LIKE: Final = r"^[0-9]+\.([0-9]{1,2}|[0-9]{4,})$|^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$"
_SIGNS: Final = "[ \t$€£¥₹'\u00a0()+\u2212-]"


def _arrow(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The column as pyarrow strings, without a copy when pandas already holds it that way."""
    return pa.array(values.astype(str).array)


def _any(mask: pa.Array) -> bool:
    return bool(pc.any(pc.fill_null(mask, False)).as_py())


def uses_decimal_comma(values: pd.Series, semicolon_file: bool = False) -> bool:
    """Whether a column writes 1.234.567,89 (dots group thousands, the comma is the decimal).

    Decided once per column, so '152.000' is never read as 152 next to '1.143.601'. A lone
    '714.120' style counts as European only in a semicolon-delimited file (a European export).
    """
    text = _arrow(values)
    if not semicolon_file and not _any(pc.match_substring(text, ",")):
        return False  # 1.234.567,89 needs a comma; without one, dots are decimals
    cleaned = pc.replace_substring_regex(text, _SIGNS, "")
    if _any(pc.match_substring_regex(cleaned, _US_LIKE)):
        return False
    if _any(pc.match_substring_regex(cleaned, _EU_STRONG)):
        return True
    return semicolon_file and _any(pc.match_substring_regex(cleaned, _EU_GROUPS))


def _separators(number: pa.Array, decimal_comma: bool) -> pa.Array:
    """Digits with ',' and '.' to a plain decimal: '1.234,50' -> '1234.50', '3,4' -> '3.4',
    '3,400' -> '3400'."""
    swapped = pc.replace_substring(pc.replace_substring(number, ".", ""), ",", ".")
    if decimal_comma:
        return swapped
    european = pc.or_(
        pc.match_substring_regex(number, r"\..*,[0-9]*$"),
        pc.match_substring_regex(number, r"^[0-9]+,[0-9]{1,2}$"),
    )
    return pc.if_else(pc.fill_null(european, False), swapped, pc.replace_substring(number, ",", ""))


def _slow_amounts(text: pd.Series, decimal_comma: bool) -> tuple[np.ndarray, pd.Series]:
    """Formatted cells to numbers, and each cell's currency label ('' when none): every step a
    vectorised pyarrow kernel, so a column of '$1,234.50' costs no Python loop."""
    cells = _arrow(text)
    found = pc.struct_field(pc.extract_regex(cells, f"(?P<c>{_CURRENCY})"), [0])
    brackets = pc.and_(pc.starts_with(cells, "("), pc.ends_with(cells, ")"))
    core = pc.replace_substring_regex(pc.utf8_trim(cells, "()"), _NOISE, "")
    core = pc.replace_substring(core, "\u2212", "-")
    minus = pc.or_(pc.starts_with(core, "-"), pc.ends_with(core, "-"))
    core = pc.utf8_ltrim(pc.utf8_trim(core, "-"), "+")
    parts = pc.extract_regex(core, _AMOUNT)
    number = pc.fill_null(pc.struct_field(parts, [0]), "")
    scale = pd.Series(pc.fill_null(pc.struct_field(parts, [1]), "").to_numpy(zero_copy_only=False))
    digits = pd.Series(_separators(number, decimal_comma).to_numpy(zero_copy_only=False))
    values = pd.to_numeric(digits.replace("", np.nan), errors="coerce").to_numpy(dtype="float64")
    values = values * scale.map(_SCALE).fillna(1.0).to_numpy(dtype="float64")
    negative = np.asarray(pc.xor(brackets, minus).to_numpy(zero_copy_only=False), dtype=bool)
    currency = pd.Series(pc.fill_null(found, "").to_numpy(zero_copy_only=False), index=text.index)
    return np.where(negative, -values, values), currency.map(_CURRENCIES).fillna("").astype(str)


def parse_amount_column(
    values: pd.Series, decimal_comma: bool | None = None, semicolon_file: bool = False
) -> AmountColumn:
    """Read a column of amounts. Empty cells are missing (never zero); cells that cannot be read,
    infinities and amounts beyond ±1e15 are missing and counted. ``decimal_comma=None`` decides
    the separators from the column itself."""
    text = values.astype(str).str.strip().str.lower()
    if decimal_comma is None:
        decimal_comma = uses_decimal_comma(text, semicolon_file)
    empty = text.isin(_MISSING).to_numpy(dtype=bool)
    parsed = pd.Series(np.nan, index=values.index, dtype="float64")
    if not decimal_comma:
        parsed[:] = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    slow = np.isnan(parsed.to_numpy()) & ~empty
    currencies: dict[str, int] = {}
    if slow.any():
        slow_values, currency = _slow_amounts(text[slow], decimal_comma)
        parsed[slow] = slow_values
        currencies = {str(k): int(v) for k, v in currency[currency != ""].value_counts().items()}
    as_array = parsed.to_numpy()
    beyond = ~np.isfinite(as_array) & ~np.isnan(as_array) | (np.abs(as_array) > MAX_AMOUNT)
    parsed[beyond] = np.nan
    unreadable = int((np.isnan(parsed.to_numpy()) & ~empty).sum())
    return AmountColumn(parsed, unreadable, currencies, int(beyond.sum()))


def parse_amounts(
    values: pd.Series, decimal_comma: bool | None = None, semicolon_file: bool = False
) -> tuple[pd.Series, int]:
    """Read amounts such as '$152,000', '(1,200)', '€3.4', '1.2M', '1.234,50'; returns values and
    the number of non-empty cells that could not be read (those become missing, never zero)."""
    column = parse_amount_column(values, decimal_comma, semicolon_file)
    return column.values, column.unreadable
