"""Reading uploads within limits: every refusal names its limit or the lines; encodings, line ends,
title lines, repeated headers and stray quotes are handled and said in the summary."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from forecasting import DataValidationError, SourceFile, ingest
from forecasting.reading import read_table
from forecasting.settings import INPUT_LIMITS, InputLimits

MONTHS = pd.date_range("2022-01-31", periods=30, freq="ME")


def export(sep: str = ",", rows: int = 30, header: tuple[str, ...] = ("Date", "Revenue", "Notes"),
           end: str = "\n") -> str:
    lines = [sep.join(header)]
    lines += [sep.join([f"{m:%Y-%m-%d}", str(1000 + 7 * i), f"note {i}"])
              for i, m in enumerate(MONTHS[:rows])]
    return end.join(lines) + end


def read(text: str | bytes, name: str = "ledger.csv", **limits: int):
    data = text.encode() if isinstance(text, str) else text
    return ingest([SourceFile(name, data)], limits=InputLimits(**limits) if limits
                  else INPUT_LIMITS)


# --- limits: each refusal is one line naming the limit ---------------------------------------


@pytest.mark.parametrize(("limits", "data", "says"), [
    ({"max_file_bytes": 500}, export(), "the limit is 0 MB per file"),
    ({"max_field_chars": 20}, export().replace("note 3", "n" * 30),
     "is 30 characters long; the limit is 20 characters per cell"),
    ({"max_columns": 2}, export(), "has 3 columns; the limit is 2 columns"),
    ({"max_rows": 10}, export(), "has 31 lines; the limit is 10 rows per file"),
])
def test_each_limit_is_named_in_one_line(limits: dict[str, int], data: str, says: str) -> None:
    # _SAMPLE_LINES of slack on the row limit: 31 lines against 10 + 60 passes, so shrink it.
    if "max_rows" in limits:
        data = export(rows=30) + "".join(export(rows=30).splitlines(True)[1:]) * 3
        says = "has 121 lines; the limit is 10 rows per file"
    with pytest.raises(DataValidationError) as caught:
        read(data, **limits)
    message = str(caught.value)
    assert says in message
    assert message.startswith("ledger.csv")
    assert "\n" not in message


def test_the_longest_line_is_named_with_its_length() -> None:
    data = export().replace("note 3", "n" * 60)
    longest = data.splitlines()[4]  # the header, then rows 0..3
    with pytest.raises(DataValidationError) as caught:
        read(data, max_line_chars=40)
    assert str(caught.value) == (f"ledger.csv: line 5 is {len(longest)} characters long; the "
                                 "limit is 40 characters per line.")


def test_the_default_limits_refuse_a_file_over_the_upload_cap() -> None:
    data = export().encode() * (INPUT_LIMITS.max_file_bytes // len(export()) + 1)
    with pytest.raises(DataValidationError, match=r"the limit is 50 MB per file"):
        read(data, "huge.csv")


@pytest.mark.parametrize("size", [500_000, 12_500_000])
def test_a_huge_quoted_cell_is_refused_by_the_line_limit(size: int) -> None:
    # csv.Sniffer took minutes on such a cell; the line limit answers from the line ends alone.
    data = b'Date,Revenue,Notes\n2024-01-31,5,"' + b"x," * (size // 2) + b'"\n'
    with pytest.raises(DataValidationError, match=r"line 2 is [\d,]+ characters long"):
        read(data)


def test_more_files_than_the_limit_are_refused() -> None:
    files = [SourceFile(f"part-{i}.csv", export().encode()) for i in range(3)]
    with pytest.raises(DataValidationError, match="3 files were given; the limit is 2 files"):
        ingest(files, limits=InputLimits(max_files=2))


# --- delimiters, encodings, line ends ----------------------------------------------------------


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_is_found_when_quoted_cells_hold_other_delimiters(sep: str) -> None:
    header = ("Date", "Revenue", "Notes")
    lines = [sep.join(header)] + [
        sep.join([f"{m:%Y-%m-%d}", str(1000 + i), '"a, b; c | d"']) for i, m in enumerate(MONTHS)
    ]
    result = read("\n".join(lines) + "\n")
    assert len(result.monthly) == 30
    assert result.monthly["revenue"].iloc[-1] == 1029


@pytest.mark.parametrize(("encoding", "label"), [
    ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16"),
])
def test_utf16_is_read_and_named(encoding: str, label: str) -> None:
    result = read(export(";").encode(encoding), "export-utf16.csv")
    assert result.monthly["revenue"].iloc[0] == 1000
    assert result.summary.encodings["export-utf16.csv"] == label
    assert f"export-utf16.csv was read as {label} text." in result.summary.lines()


@pytest.mark.parametrize("end", ["\r", "\r\n"])
def test_old_mac_and_windows_line_ends_are_lines(end: str) -> None:
    result = read(export("\t", end=end))
    assert len(result.monthly) == 30


def test_latin9_euro_amounts_are_read_and_the_encoding_named() -> None:
    lines = ["Datum;Umsatz (EUR)"] + [f"{m:%d.%m.%Y};€{1000 + i}" for i, m in enumerate(MONTHS)]
    data = ("\n".join(lines) + "\n").encode("iso8859_15")
    result = read(data, "umsatz.csv")
    assert result.summary.unreadable_values == {}
    assert result.monthly["revenue"].iloc[-1] == 1029
    assert "umsatz.csv was read as Latin-9 (ISO-8859-15) text." in result.summary.lines()
    assert result.summary.currencies["revenue"] == "EUR (€)"


def test_unreadable_revenue_names_the_encoding_it_was_read_in() -> None:
    lines = ["Date;Revenue"] + [f"{m:%Y-%m-%d};{1000 + i} units" for i, m in enumerate(MONTHS)]
    data = ("\n".join(lines) + "\n").encode("cp1252").replace(b"units", b"\xe4")
    with pytest.raises(DataValidationError, match=r"read as Windows-1252 text"):
        read(data)


# --- title lines, repeated headers ----------------------------------------------------------


@pytest.mark.parametrize("titles", [
    ["Acme Trading Ltd", "General ledger", "Printed 2024-07-01"],
    ["Acme Trading Ltd,,", "", "Period: Jan 2022 - Jun 2024,,"],
])
def test_title_lines_above_the_header_are_skipped(titles: list[str]) -> None:
    result = read("\n".join(titles) + "\n" + export())
    assert len(result.monthly) == 30
    assert result.summary.column_mapping["Revenue"] == "revenue"
    assert "ledger.csv: 3 title lines above the header were skipped." in result.summary.lines() \
        or "ledger.csv: 2 title lines above the header were skipped." in result.summary.lines()


def test_a_header_repeated_mid_file_is_dropped_with_its_line() -> None:
    lines = export(";").splitlines()
    lines.insert(13, lines[0])  # the report printed on two pages
    result = read("\n".join(lines) + "\n")
    assert len(result.monthly) == 30
    assert result.summary.rows_dropped.get("date could not be read", 0) == 0
    assert "ledger.csv: the header repeated on line 14 was dropped." in result.summary.lines()


# --- rows that are not what the header promises ---------------------------------------------


def test_an_unbalanced_quote_swallowing_many_rows_is_refused_with_the_lines() -> None:
    lines = export(rows=30).splitlines()
    lines[10] = lines[10].replace("note 9", '"note 9')  # opened on line 11, never closed
    with pytest.raises(DataValidationError) as caught:
        read("\n".join(lines) + "\n")
    message = str(caught.value)
    assert "21 lines could not be read as rows" in message
    assert "lines 11–31" in message
    assert "quote opened and never closed" in message


@pytest.mark.parametrize(("text", "says"), [
    ('\t"', "no rows to read (from a quote opened and never closed to the end: line 1)"),
    ('a;"\n1;2', "no rows to read"),
    ('Date,Revenue\n"2024-01', "a header row but no data rows"),
])
def test_a_quote_opened_at_once_and_never_closed_is_refused_in_one_line(
        text: str, says: str) -> None:
    """Nothing is left to read once the open quote's rows are set aside: a plain refusal,
    never pandas' own 'No columns to parse from file'."""
    with pytest.raises(DataValidationError) as caught:
        read_table(text.encode(), "upload.csv")
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_a_quote_swallowing_two_rows_is_read_and_the_rows_named() -> None:
    lines = export().splitlines()
    lines[5] = lines[5].replace("note 4", '"note 4')
    lines[7] = lines[7] + '"'  # closed two lines later: lines 7 and 8 sit inside the cell
    result = read("\n".join(lines) + "\n")
    summary = result.summary
    assert summary.unread_rows["ledger.csv"] == [
        ("inside a quoted cell that runs across lines", (7, 8))]
    assert any("2 lines could not be read as rows" in line and "lines 7–8" in line
               for line in summary.lines())
    assert summary.rows_read == 30  # 28 rows read + 2 unread
    assert summary.filled_months == {"revenue": ["Jun 2022", "Jul 2022"]}


def test_rows_with_too_many_fields_are_named_by_line() -> None:
    lines = export().splitlines()
    lines[4] += ",1,234"
    result = read("\n".join(lines) + "\n")
    assert result.summary.unread_rows["ledger.csv"] == [("more fields than the header", (5,))]
    assert result.summary.rows_read == 30 and result.summary.rows_used == 29


def test_rows_missing_their_trailing_fields_are_read() -> None:
    lines = export(header=("Date", "Revenue", "Expenses", "Notes")).splitlines()
    lines = [lines[0]] + [",".join(line.split(",")[:2]) for line in lines[1:]]  # no costs, notes
    result = read("\n".join(lines) + "\n")
    assert len(result.monthly) == 30
    assert "expenses" in result.summary.skipped_columns


def test_the_reader_keeps_cells_as_written() -> None:
    table = read_table(b"Date;Revenue\n2024-01-31;  1.234,50 \n", "eu.csv")
    assert table.delimiter == ";"
    assert table.frame["Revenue"].tolist() == ["1.234,50 "]
    assert re.fullmatch(r"UTF-8", table.encoding)
