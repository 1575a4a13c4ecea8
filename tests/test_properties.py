"""Property-based: whatever the input, amount and date parsing, header normalisation, reading,
ingest and the KPI functions give a DataValidationError or finite-or-missing outputs; no other
exception escapes."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from forecasting import DataValidationError, SourceFile, compute_kpis, ingest
from forecasting.checks import plausibility_alerts
from forecasting.columns import CANONICAL_COLUMNS, closest_meaning, map_columns, normalise_header
from forecasting.dates import parse_date_column
from forecasting.headline import headline_kpis
from forecasting.parsing import parse_amount_column
from forecasting.reading import read_table
from forecasting.settings import MAX_AMOUNT

FAST = settings(max_examples=80, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])

cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
amount_like = st.builds(
    lambda sign, cur, digits, sep, scale, paren: (
        f"{'(' if paren else ''}{sign}{cur}{sep.join(digits)}{scale}{')' if paren else ''}"),
    st.sampled_from(["", "-", "+", "\u2212"]),
    st.sampled_from(["", "$", "€", "£", "¥", "USD ", "eur", "₹"]),
    st.lists(st.text("0123456789", min_size=1, max_size=4), min_size=1, max_size=5),
    st.sampled_from([",", ".", "", " ", "'", "\u00a0"]),
    st.sampled_from(["", "k", "m", "bn", "M", "e308", "e400"]),
    st.booleans(),
)


@FAST
@given(st.lists(st.one_of(cells, amount_like), min_size=1, max_size=40), st.booleans())
def test_any_amount_text_reads_as_a_finite_number_or_missing(values: list[str],
                                                             semicolon: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        column = parse_amount_column(pd.Series(values, dtype=str), semicolon_file=semicolon)
    parsed = column.values.to_numpy(dtype="float64")
    assert len(parsed) == len(values)
    assert np.all(np.isnan(parsed) | (np.isfinite(parsed) & (np.abs(parsed) <= MAX_AMOUNT)))
    assert 0 <= column.unreadable <= len(values)


date_like = st.builds(
    lambda a, b, y, sep: f"{a}{sep}{b}{sep}{y}",
    st.integers(0, 40), st.integers(0, 40), st.integers(0, 99999), st.sampled_from("/-. "),
)


@FAST
@given(st.lists(st.one_of(cells, date_like, st.integers(-10**9, 10**9).map(str)), min_size=1,
                max_size=40))
def test_any_date_text_reads_as_a_date_in_range_or_missing(values: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        column = parse_date_column(pd.Series(values, dtype=str))
    dates = column.values
    assert len(dates) == len(values)
    inside = dates.dropna()
    assert ((inside >= pd.Timestamp("1900-01-01")) & (inside <= pd.Timestamp("2199-12-31"))).all()
    assert isinstance(column.order, str) and isinstance(column.reason, str)


@FAST
@given(st.lists(cells, min_size=1, max_size=12))
def test_any_header_gets_one_decision(headers: list[str]) -> None:
    decisions = map_columns(headers)
    assert [d.source for d in decisions] == headers
    assert all(d.target is None or d.target in CANONICAL_COLUMNS for d in decisions)
    targets = [d.target for d in decisions if d.target]
    assert len(targets) == len(set(targets))  # one source per meaning
    for header in headers:
        assert isinstance(normalise_header(header), str)
        assert isinstance(closest_meaning(header)[1], str)


@FAST
@given(st.binary(max_size=600))
@example(b'\t"')  # found by this test: a quote opened at once, never closed
def test_any_bytes_are_read_or_refused(data: bytes) -> None:
    try:
        table = read_table(data, "upload.csv")
    except DataValidationError as refused:
        assert "\n" not in str(refused)
        return
    assert table.frame.shape[1] >= 1


rows = st.lists(st.tuples(st.one_of(date_like, cells, st.dates().map(str)),
                          st.one_of(amount_like, cells), st.one_of(amount_like, cells)),
                min_size=0, max_size=30)


@FAST
@given(rows, st.sampled_from([",", ";", "\t", "|"]),
       st.sampled_from([("Date", "Revenue", "Accounts Receivable"), ("Month", "Sales", "Notes"),
                        ("x", "y", "z")]))
def test_any_small_export_is_ingested_finite_or_refused(rows: list[tuple[str, str, str]],
                                                        sep: str, header: tuple[str, ...]) -> None:
    text = sep.join(header) + "\n" + "".join(
        sep.join(cell.replace(sep, " ").replace("\n", " ") for cell in row) + "\n" for row in rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            result = ingest([SourceFile("export.csv", text.encode())])
        except DataValidationError:
            return
        kpis = compute_kpis(result.monthly)
    assert not np.isinf(result.monthly.to_numpy()).any()
    assert not np.isinf(kpis.values.to_numpy()).any()


money = st.one_of(st.floats(-1e12, 1e12, allow_nan=False), st.just(0.0), st.just(math.nan))
COLUMNS = ("revenue", "expenses", "cogs", "profit", "ar", "ap", "inventory", "assets",
           "liabilities", "current_assets", "current_liabilities", "equity", "cashflow")


@FAST
@given(st.integers(2, 30).flatmap(lambda n: st.tuples(
    st.just(n), st.sets(st.sampled_from(COLUMNS[1:]), max_size=len(COLUMNS) - 1),
    st.lists(st.lists(money, min_size=n, max_size=n), min_size=len(COLUMNS),
             max_size=len(COLUMNS)))))
def test_kpis_headline_and_checks_are_finite_or_missing_for_any_amounts(drawn) -> None:
    months, chosen, columns = drawn
    names = ["revenue", *sorted(chosen)]
    index = pd.date_range("2021-01-01", periods=months, freq="MS")
    frame = pd.DataFrame({n: columns[i] for i, n in enumerate(names)}, index=index,
                         dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kpis = compute_kpis(frame)
        headline = headline_kpis(kpis.values, {})
        alerts = plausibility_alerts(frame, kpis)
    assert not np.isinf(kpis.values.to_numpy()).any()
    assert all(v is None or math.isfinite(v) for v in headline.values())
    assert all({"severity", "metric", "title", "detail"} <= set(a) for a in alerts)
    assert set(kpis.values.columns).isdisjoint(kpis.skipped)
