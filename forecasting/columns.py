"""Which source header means which financial column: synonyms and header normalisation."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

__all__ = [
    "BALANCES",
    "CANONICAL_COLUMNS",
    "CATEGORIES",
    "COLUMN_LABELS",
    "FLOWS",
    "IGNORE",
    "guess_mapping",
    "normalise_header",
]

FLOWS: Final = ("revenue", "expenses", "profit", "cashflow", "marketing")
"""Amounts that accumulate over a month: a month's value is the sum of its rows."""

BALANCES: Final = ("ar", "ap", "assets", "liabilities", "inventory")
"""Amounts read at a point in time: a month's value is its last reading."""

CATEGORIES: Final = ("region", "department")
"""Labels recognised so they are not reported as unknown; amounts are summed across them."""

CANONICAL_COLUMNS: Final = ("date", *FLOWS, *BALANCES, *CATEGORIES)
IGNORE: Final = "ignore"

COLUMN_LABELS: Final[dict[str, str]] = {
    "date": "Date",
    "revenue": "Revenue",
    "expenses": "Expenses",
    "profit": "Profit",
    "cashflow": "Operating cash flow",
    "marketing": "Marketing spend",
    "ar": "Accounts receivable",
    "ap": "Accounts payable",
    "assets": "Total assets",
    "liabilities": "Total liabilities",
    "inventory": "Inventory",
    "region": "Region",
    "department": "Department",
}

_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "date": (
        "date",
        "transactiondate",
        "dateofsale",
        "saledate",
        "month",
        "period",
        "postingdate",
        "invoicedate",
        "reportingdate",
        "monthend",
        "monthending",
        "periodend",
        "ds",
        "day",
        "bookingdate",
        "valuedate",
        "yearmonth",
    ),
    "revenue": (
        "revenue",
        "revenues",
        "sales",
        "salesrevenue",
        "totalincome",
        "income",
        "totalrevenue",
        "netsales",
        "totalsales",
        "turnover",
        "grossrevenue",
        "netrevenue",
        "salesamount",
        "operatingrevenue",
    ),
    "expenses": (
        "expenses",
        "expense",
        "operatingcosts",
        "operatingcost",
        "operationalexpenses",
        "operatingexpenses",
        "opex",
        "costs",
        "cost",
        "totalexpenses",
        "totalcosts",
        "totalcost",
        "expenditure",
        "spend",
        "totalspend",
    ),
    "profit": (
        "profit",
        "netprofit",
        "profitpretax",
        "pretaxprofit",
        "profitbeforetax",
        "netincome",
        "operatingprofit",
        "operatingincome",
        "ebit",
        "earnings",
        "netearnings",
    ),
    "cashflow": (
        "cashflow",
        "cashflows",
        "cashflowfromoperations",
        "operatingcashflow",
        "cashfromoperations",
        "cfo",
        "netcashflow",
        "netcashfromoperatingactivities",
    ),
    "marketing": (
        "marketing",
        "marketingspend",
        "marketingexpense",
        "marketingexpenses",
        "marketingcost",
        "marketingcosts",
        "adspend",
        "advertising",
    ),
    "ar": ("ar", "accountsreceivable", "receivables", "tradereceivables", "debtors"),
    "ap": ("ap", "accountspayable", "payables", "tradepayables", "creditors"),
    "assets": ("assets", "totalassets"),
    "liabilities": ("liabilities", "totalliabilities"),
    "inventory": ("inventory", "inventories", "stock", "stockonhand"),
    "region": ("region", "area", "territory", "market", "country", "geo"),
    "department": ("department", "dept", "division", "businessunit", "costcenter", "costcentre"),
}

_LOOKUP: Final[dict[str, str]] = {
    synonym: canonical for canonical, synonyms in _SYNONYMS.items() for synonym in synonyms
}


def normalise_header(header: str) -> str:
    """Reduce a header to lowercase letters and digits: ' "Profit (pre-tax)" ' -> 'profitpretax'."""
    return re.sub(r"[^0-9a-z]", "", header.casefold())


def guess_mapping(
    headers: Iterable[str], overrides: Mapping[str, str] | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Map source headers to canonical columns.

    Returns ``(mapping, ignored)``: ``mapping`` is source header -> canonical name, ``ignored`` is
    source header -> why it was not used. A caller's override (source header -> canonical name or
    ``"ignore"``) wins over the guess; headers are matched after normalisation on both sides.
    """
    wanted = {normalise_header(k): v for k, v in (overrides or {}).items()}
    mapping: dict[str, str] = {}
    ignored: dict[str, str] = {}
    taken: dict[str, str] = {}
    headers = list(headers)
    ordered = list(headers)
    # Overrides first, so a guessed column never steals a name the user assigned explicitly.
    ordered.sort(key=lambda h: normalise_header(h) not in wanted)
    for header in ordered:
        key = normalise_header(header)
        target = wanted.get(key, _LOOKUP.get(key))
        if target == IGNORE:
            ignored[header] = "ignored at your request"
        elif target is None:
            ignored[header] = "not a column the forecasts use"
        elif target not in CANONICAL_COLUMNS:
            ignored[header] = f"unknown target {target!r}"
        elif target in taken:
            ignored[header] = f"{COLUMN_LABELS[target]} already comes from {taken[target]!r}"
        else:
            mapping[header] = target
            taken[target] = header
    headers_in_order = [h for h in headers if h in mapping or h in ignored]
    return (
        {h: mapping[h] for h in headers_in_order if h in mapping},
        {h: ignored[h] for h in headers_in_order if h in ignored},
    )
