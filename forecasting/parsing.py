"""Reading amounts from messy cells — '$152,000', '(1,200)', '€3.4', '1.2M', '1.234,50' — column
by column, vectorised; which currencies a column is written in; dates live in ``dates``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

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
_NOISE: Final = rf"[\s'\u00a0]|{_CURRENCY}"
_AMOUNT: Final = r"^(?P<number>[0-9.,]*[0-9])(?P<scale>k|mm|m|bn|b)?$"


@dataclass(frozen=True)
class AmountColumn:
    """A column's numbers (missing where a cell is empty or unreadable), how many non-empty cells
    could not be read, and the currencies its cells are marked with (cells per currency)."""

    values: pd.Series
    unreadable: int
    currencies: dict[str, int] = field(default_factory=dict)
    out_of_range: int = 0


_EU_STRONG: Final = r"^[1-9]\d{0,2}(\.\d{3}){2,}(,\d+)?$|^[1-9]\d{0,2}(\.\d{3})+,\d+$"
_EU_GROUPS: Final = r"^[1-9]\d{0,2}(\.\d{3})+$"
_US_LIKE: Final = r"^\d+\.(\d{1,2}|\d{4,})$|^\d{1,3}(,\d{3})+(\.\d+)?$"


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


def _separators(number: pd.Series, decimal_comma: bool) -> pd.Series:
    """Digits with ',' and '.' to a plain decimal: '1.234,50' -> '1234.50', '3,4' -> '3.4',
    '3,400' -> '3400'."""
    if decimal_comma:
        return number.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    european = number.str.contains(r"\..*,\d*$", regex=True) | number.str.fullmatch(
        r"\d+,\d{1,2}"
    )
    european = european.fillna(False).astype(bool)
    plain = number.str.replace(",", "", regex=False)
    swapped = number.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return plain.where(~european, swapped)


def _slow_amounts(text: pd.Series, decimal_comma: bool) -> tuple[pd.Series, pd.Series]:
    """Formatted cells to numbers, and each cell's currency label ('' when none)."""
    currency = text.str.extract(f"({_CURRENCY})", expand=False).fillna("")
    brackets = text.str.startswith("(") & text.str.endswith(")")
    core = text.str.strip("()").str.replace(_NOISE, "", regex=True)
    core = core.str.replace("\u2212", "-", regex=False)
    minus = core.str.startswith("-") | core.str.endswith("-")
    core = core.str.strip("-").str.lstrip("+")
    parts = core.str.extract(_AMOUNT)
    number = pd.to_numeric(_separators(parts["number"].fillna(""), decimal_comma), errors="coerce")
    scale = parts["scale"].map(_SCALE).fillna(1.0).astype("float64")
    sign = np.where(brackets.to_numpy(dtype=bool) ^ minus.to_numpy(dtype=bool), -1.0, 1.0)
    values: pd.Series = number.astype("float64") * scale * sign
    return values, currency.map(lambda c: _CURRENCIES.get(c, "")).astype(str)


def parse_amount_column(
    values: pd.Series, decimal_comma: bool | None = None, semicolon_file: bool = False
) -> AmountColumn:
    """Read a column of amounts. Empty cells are missing (never zero); cells that cannot be read,
    infinities and amounts beyond ±1e15 are missing and counted. ``decimal_comma=None`` decides
    the separators from the column itself."""
    text = values.astype(str).str.strip().str.casefold()
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
        parsed[slow] = slow_values.to_numpy(dtype="float64", na_value=np.nan)
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
