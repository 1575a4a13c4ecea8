"""A corpus of hostile and odd exports, generated here (names, separators, encodings and sizes
vary), each with the outcome a user must get: forecast (CLI exit 0) or refused with a message
(exit 2) — never a crash."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["CORPUS", "Case"]


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    accepted: bool
    says: str = ""  # refused: a fragment the one-line message must hold
    horizon: int = 1

    @property
    def id(self) -> str:
        return self.name.encode("ascii", "replace").decode()[:40]


def _months(n: int, start: str = "2022-01-31") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="ME")


def _table(header: list[str], rows: list[list[object]], sep: str = ",", end: str = "\n") -> str:
    return end.join([sep.join(header), *(sep.join(str(v) for v in row) for row in rows)]) + end


def _revenue(n: int = 15, sep: str = ",", fmt: str = "%Y-%m-%d", start: str = "2022-01-31",
             header: tuple[str, str] = ("Date", "Revenue")) -> str:
    rows = [[f"{m:{fmt}}", 1000 + 13 * i + (i % 3) * 7] for i, m in enumerate(_months(n, start))]
    return _table(list(header), rows, sep)


def _refused() -> list[Case]:
    r15 = _revenue()
    lines = r15.splitlines()
    unbalanced = "\n".join([lines[0], *lines[1:4], lines[4] + ',"oops', *lines[5:]]) + "\n"
    extra = "\n".join([lines[0]] + [f"{row},1,2" if i % 2 else row
                                    for i, row in enumerate(lines[1:])]) + "\n"
    wide = ",".join(f"col{i}" for i in range(600)) + "\n" + ",".join("1" * 600) + "\n"
    return [
        Case("empty.csv", b"", False, "is empty"),
        Case("blank lines.csv", b"  \n\n\t\n", False, "is empty"),
        Case("Q3 forecast.xlsx", b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), False,
             "not a CSV file"),
        Case("workbook renamed.csv", b"PK\x03\x04\x14\x00\x06\x00" + bytes(300), False,
             "not a CSV file"),
        Case("statement.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", False, "not a CSV file"),
        Case("chart.png", b"\x89PNG\r\n\x1a\n" + bytes(64), False, "not a CSV file"),
        Case("export.csv.gz", b"\x1f\x8b\x08\x00" + bytes(64), False, "not a CSV file"),
        Case("noise.bin", bytes(range(256)) * 8, False, "not a CSV file"),
        Case("header only.csv", b"Date,Revenue\n", False, "a header row but no data rows"),
        Case("one column.csv", b"Revenue\n1\n2\n3\n", False, "only one column"),
        Case("quarters.csv", _table(["Period Label", "Revenue"],
                                    [[f"Q{i % 4 + 1}", 5] for i in range(20)]).encode(), False,
             "has no date column"),
        Case("costs only;semi.csv", _revenue(15, ";", header=("Date", "Amount")).encode(),
             False, "No revenue column was found"),
        Case("six months.csv", _revenue(6).encode(), False, "Only 6 months"),
        Case("eleven|months.csv", _revenue(11, "|").encode(), False, "Only 11 months"),
        Case("dates gone.csv", _table(["Date", "Revenue"],
                                      [["soon", 1], ["later", 2], ["31/13/2024", 3]]).encode(),
             False, "No row has a date that can be read"),
        Case("words.csv", _table(["Date", "Revenue"],
                                 [[f"{m:%Y-%m-%d}", "lots"] for m in _months(14)]).encode(),
             False, "could not be read as numbers"),
        Case("unbalanced quote.csv", unbalanced.encode(), False,
             "could not be read as rows"),
        Case("huge cell.csv", b'Date,Revenue,Notes\n2024-01-31,5,"' + b"y" * 500_000 + b'"\n',
             False, "characters long; the limit is 100,000"),
        Case("multi-line cell.csv", b'Date,Revenue,Notes\n2024-01-31,5,"' + b"abc\n" * 4_000
             + b'"\n', False, "the limit is 10,000 characters per cell"),
        Case("600 columns.csv", wide.encode(), False, "has 600 columns; the limit is 500"),
        Case("mixed currencies.csv", _table(
            ["Date", "Revenue"],
            [[f"{m:%Y-%m-%d}", f"{'$' if i % 2 else '¥'}{1000 + i}"]
             for i, m in enumerate(_months(14))]).encode(), False, "mixes currencies"),
        Case("a year at 12 months.csv", _revenue(12).encode(), False,
             "12 months support at most a 4-month horizon", horizon=12),
        Case("gaps.csv", _table(["Date", "Revenue"], [
            [f"{m:%Y-%m-%d}", 100 + i if i % 3 == 0 else ""]
            for i, m in enumerate(_months(20))]).encode(), False, "missing in most months"),
        Case("ragged.csv", extra.encode(), False, "more fields than the header"),
        Case("commas.csv", b",,,\n,,,\n,,,\n", False, "holds no named column with values"),
        Case("letter.txt", b"Dear team,\nplease find the figures attached.\nBest, Sam\n",
             False, "a header row but no data rows"),
        Case("report.json", b'{"Date": "2024-01-31", "Revenue": 5}\n', False,
             "a header row but no data rows"),
        Case("table.html", b"<table><tr><td>Date</td><td>Revenue</td></tr></table>\n", False,
             "only one column"),
        Case("headers all the way.csv", ("Date,Revenue\n" * 30).encode(), False,
             "a header row but no data rows"),
    ]


def _utf16_bom() -> bytes:
    return codecs.BOM_UTF16_LE + _revenue(14, "\t").encode("utf-16-le")


def _accepted_simple() -> list[Case]:
    latin9 = _table(["Datum", "Umsatz"], [[f"{m:%d.%m.%Y}", f"€{1000 + i}"]
                                          for i, m in enumerate(_months(14))], ";")
    rows = _revenue(16).splitlines()
    short = _table(["Date", "Revenue", "Expenses", "Notes"],
                   [[f"{m:%Y-%m-%d}", 1000 + i] for i, m in enumerate(_months(15))])
    year_2999 = _revenue(15).replace("2022-05-31", "2999-05-31")
    with_inf = _revenue(15).replace(",1052\n", ",inf\n")
    title = "Acme Ltd\nMonthly sales\n\n" + _revenue(15, "\t")
    return [
        Case("plain.csv", _revenue(15).encode(), True),
        Case("semicolon decimal commas.csv", _table(
            ["Datum", "Revenue"], [[f"{m:%d.%m.%Y}", f"1.{200 + i:03d},5{i % 10}"]
                                   for i, m in enumerate(_months(15))], ";").encode(), True),
        Case("tabs with titles.tsv", title.encode(), True),
        Case("pipes old mac.csv", _revenue(14, "|").replace("\n", "\r").encode(), True),
        Case("utf16 bom.csv", _utf16_bom(), True),
        Case("umsatz latin9.csv", latin9.encode("iso8859_15"), True),
        Case("bom.csv", codecs.BOM_UTF8 + _revenue(14).encode(), True),
        Case("short rows.csv", short.encode(), True),
        Case("year 2999.csv", year_2999.encode(), True),
        Case("infinity.csv", with_inf.encode(), True),
        Case("windows.csv", "\r\n".join(rows).encode() + b"\r\n", True),
        Case("us firsts.csv", _revenue(18, ",", "%m/%d/%Y", "2022-01-01").replace(
            "/31/", "/01/").encode(), True),
    ]


def _odd_values() -> list[Case]:
    months = _months(26)
    zero_year = _table(["Date", "Revenue"], [[f"{m:%Y-%m-%d}", 0 if i < 12 else 500 + i]
                                             for i, m in enumerate(months)])
    equity = _table(["Date", "Revenue", "Total Assets", "Total Liabilities"], [
        [f"{m:%Y-%m-%d}", 1000 + i, 50_000, 50_000 - (0.01 if i % 2 else -0.01)]
        for i, m in enumerate(months[:14])])
    negative_equity = _table(["Date", "Revenue", "Assets", "Liabilities"], [
        [f"{m:%Y-%m-%d}", 1000 + i, 40_000, 55_000] for i, m in enumerate(months[:14])])
    huge = _table(["Date", "Revenue"], [[f"{m:%Y-%m-%d}", f"{9.1e13 + i * 1e11:.0f}"]
                                        for i, m in enumerate(months[:14])])
    negative = _table(["Date", "Revenue"], [[f"{m:%Y-%m-%d}", (-1) ** i * (100 + i)]
                                            for i, m in enumerate(months[:14])])
    serials = _table(["Period", "Sales"], [[(m - pd.Timestamp("1899-12-30")).days, 70 + i]
                                           for i, m in enumerate(months[:14])])
    spaces = _table(["Date", "Chiffre d'affaires"], [
        [f"{m:%d/%m/%Y}", f'"1 2{i:02d} 345,50"'] for i, m in enumerate(months[:14])])
    return [
        Case("zero prior year.csv", zero_year.encode(), True),
        Case("near zero equity.csv", equity.encode(), True),
        Case("negative equity.csv", negative_equity.encode(), True),
        Case("huge amounts.csv", huge.encode(), True),
        Case("sign flips.csv", negative.encode(), True),
        Case("excel serials.csv", serials.encode(), True),
        Case("french spaces.csv", spaces.encode(), True),
    ]


def _layouts_and_injection() -> list[Case]:
    months = _months(14)
    pnl_header = ["", *(f"{m:%b %Y}" for m in months), "Total"]
    income = [2000 + 10 * i for i in range(14)]
    pnl = _table(pnl_header, [
        ["Total Income", *income, sum(income)],
        ["Total Expenses", *(1200 for _ in months), 1200 * 14],
        ["Net Income", *(v - 1200 for v in income), sum(income) - 1200 * 14],
    ])
    injected = _table(
        ["Date", "Revenue", "=HYPERLINK(\"http://evil.example\")", "[click](http://e.x)"],
        [[f"{m:%Y-%m-%d}", 1000 + i, "=1+1", 250 + 3 * i] for i, m in enumerate(months)])
    lines = _revenue(15).splitlines()
    two_swallowed = "\n".join([*lines[:3], lines[3] + ',"a', lines[4], lines[5] + '"',
                               *lines[6:]]) + "\n"
    header_again = "\n".join([*lines[:8], lines[0], *lines[8:]]) + "\n"
    rng = np.random.default_rng(1)
    daily = _table(["Date", "Region", "Revenue", "AR"], [
        [f"{d:%Y-%m-%d}", region, round(float(rng.gamma(5, 40)), 2), 5_000 + i]
        for i, d in enumerate(pd.date_range("2023-01-01", periods=400, freq="D"))
        for region in ("N", "S")])
    dupes = _revenue(14) + "\n".join(_revenue(14).splitlines()[1:4]) + "\n"
    return [
        Case("P&L by month.csv", pnl.encode(), True),
        Case("[report](javascript:alert(1)) <img src=x onerror=alert(1)>.csv",
             injected.encode(), True),
        Case("=cmd|' -C calc'!A0.csv", _revenue(14).encode(), True),
        Case("two swallowed.csv", two_swallowed.encode(), True),
        Case("header again.csv", header_again.encode(), True),
        Case("daily regions.csv", daily.encode(), True),
        Case("duplicates.csv", dupes.encode(), True),
        Case("émoji 📈 headers.csv", _table(["Date 📅", "Revenue 💰"], [
            [f"{m:%Y-%m-%d}", 1000 + i] for i, m in enumerate(months)]).encode(), True),
        Case("trailing delimiters.csv", _revenue(14).replace("\n", ",\n").encode(), True),
        Case("times and zones.csv", _table(["Timestamp", "Revenue"], [
            [f"{m:%Y-%m-%d}T23:59:00+02:00", 10 + i] for i, m in enumerate(months)]).encode(),
             True),
        Case("long notes.csv", _table(["Date", "Revenue", "Notes"], [
            [f"{m:%Y-%m-%d}", 5 + i, "n" * 5_000] for i, m in enumerate(months)]).encode(), True),
    ]


CORPUS: list[Case] = [*_refused(), *_accepted_simple(), *_odd_values(),
                      *_layouts_and_injection()]
