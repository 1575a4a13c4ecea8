"""Exports written by the page's tests: each call varies the headers, separator, date format and
numbers (from its seed), so a test never depends on one hand-written shape."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

__all__ = ["daily_flows_only", "declining_company", "unknown_revenue_header"]

_REVENUE = ("Revenue", "Net Sales", "Sales Revenue", "Turnover")
_EXPENSES = ("Operating Expenses", "Opex", "Expenses", "Total Expenses")
_UNKNOWN_REVENUE = ("Takings", "Till takings", "Money in")
_DATE_FORMATS = (("%d/%m/%Y", "Day"), ("%Y-%m-%d", "Date"), ("%d.%m.%Y", "Booking date"))


def _write(header: list[str], rows: list[list[str]], sep: str) -> bytes:
    lines = [sep.join(header)] + [sep.join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def daily_flows_only(seed: int, months: int = 30) -> tuple[str, bytes]:
    """A daily export of sales and costs and nothing else: no cash flow, no balances."""
    rng = random.Random(seed)
    fmt, date_header = rng.choice(_DATE_FORMATS)
    sep = rng.choice((",", ";", "\t"))
    header = [date_header, rng.choice(_REVENUE), rng.choice(_EXPENSES)]
    start, rows = date(2022 + rng.randrange(2), 1, 1), []
    day = start
    while (day.year - start.year) * 12 + day.month - start.month < months:
        t = (day - start).days
        sales = 2_000 + 2 * t + 500 * math.sin(2 * math.pi * t / 365) + rng.gauss(0, 150)
        rows.append([day.strftime(fmt), f"{sales:.2f}", f"{sales * 0.7 + rng.gauss(0, 80):.2f}"])
        day += timedelta(days=1)
    return f"daily {seed}.{'tsv' if sep == chr(9) else 'csv'}", _write(header, rows, sep)


def unknown_revenue_header(seed: int, months: int = 36) -> tuple[str, bytes, str]:
    """A monthly export whose revenue column has a name no vocabulary knows; returns the file
    name, its bytes and that header."""
    rng = random.Random(seed)
    revenue = rng.choice(_UNKNOWN_REVENUE)
    header = ["Month", revenue, rng.choice(_EXPENSES)]
    rows = []
    for i in range(months):
        sales = 40_000 + 400 * i + 6_000 * math.sin(2 * math.pi * i / 12) + rng.gauss(0, 800)
        rows.append([f"{2021 + i // 12}-{i % 12 + 1:02d}-01", f"{sales:.0f}",
                     f"{sales * 0.65:.0f}"])
    return f"ledger {seed}.csv", _write(header, rows, ","), revenue


def declining_company(seed: int, months: int = 36) -> tuple[str, bytes]:
    """Monthly sales falling 4% a month while receivables pile up: the forecast worsens."""
    rng = random.Random(seed)
    header = ["Date", rng.choice(_REVENUE), rng.choice(_EXPENSES), "Accounts Receivable",
              "Accounts Payable"]
    rows = []
    for i in range(months):
        sales = 500_000 * 0.96**i * (1 + 0.05 * math.sin(2 * math.pi * i / 12))
        sales *= 1 + rng.gauss(0, 0.01)
        rows.append([f"{2021 + i // 12}-{i % 12 + 1:02d}-28", f"{sales:.0f}",
                     f"{sales * 0.8 + 60_000:.0f}", f"{sales * (0.5 + 0.03 * i):.0f}",
                     f"{sales * 0.3:.0f}"])
    return f"falling {seed}.csv", _write(header, rows, ",")
