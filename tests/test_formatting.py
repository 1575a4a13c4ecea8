"""One way to write money, percentages, days and ratios: the cards, the chart axes and hovers and
the narratives all read the same number the same way."""

from __future__ import annotations

import math
import re

import pytest

from forecasting.formatting import (
    axis_ticks,
    count,
    format_change,
    format_move,
    format_value,
    money,
    next_months,
)

UNITS = ("currency", "percent", "days", "ratio")


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (-0.3, "days", "0 days"),
        (-0.04, "percent", "0.0%"),
        (-0.001, "ratio", "0.00x"),
        (-1_234_567, "currency", "-$1.23M"),
        (41.6, "days", "42 days"),
        (152_000, "currency", "$152K"),
        (9_500, "currency", "$9,500"),
        (2_400_000_000, "currency", "$2.40B"),
        (None, "currency", "n/a"),
        (math.nan, "percent", "n/a"),
    ],
)
def test_values_read_as_finance_people_write_them(value: float, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown


def _scale_letter(text: str) -> str:
    return re.sub(r"[^KMB]", "", text)


@pytest.mark.parametrize(
    ("low", "high"),
    [(780_000, 1_250_000), (20_000, 95_000), (1.1e6, 2.4e6), (-250_000, 900_000), (3e8, 2.2e9)],
)
def test_money_axis_ticks_use_the_cards_scale_letters(low: float, high: float) -> None:
    """A tick and a card of the same size carry the same letter ($900K beside $932K, never
    900k); every tick is a money amount and the ticks cover the range."""
    values, labels = axis_ticks(low, high, "currency")
    assert values[0] <= low and values[-1] >= high
    assert len(set(labels)) == len(labels), labels  # no two ticks read the same
    for value, label in zip(values, labels, strict=True):
        assert re.fullmatch(r"-?\$[\d,.]+[KMB]?", label), label
        assert _scale_letter(label) == _scale_letter(format_value(value, "currency")) or value == 0


@pytest.mark.parametrize("unit", ["percent", "days", "ratio"])
@pytest.mark.parametrize(("low", "high"), [(0.8, 1.1), (30.1, 38.7), (-12.0, 4.0), (5.0, 5.0)])
def test_other_axis_ticks_carry_the_unit_and_are_distinct(unit: str, low: float,
                                                          high: float) -> None:
    values, labels = axis_ticks(low, high, unit)
    suffix = {"percent": "%", "days": " days", "ratio": "x"}[unit]
    assert values[0] <= low and values[-1] >= high
    assert all(label.endswith(suffix) for label in labels), labels
    assert len(set(labels)) == len(labels), labels


def test_changes_are_signed_and_carry_their_unit() -> None:
    assert format_change(100_000, "currency") == "+$100K"
    assert format_change(-2_500_000, "currency") == "-$2.50M"
    assert format_change(-0.34, "percent") == "-0.3 pts"
    assert format_change(0.44, "days") == "+0.4 days"
    assert format_change(-0.001, "ratio") == "+0.00"  # no "-0.00"
    assert format_move(200, 230, "currency") == "+15.0%"
    assert format_move(36.0, 34.5, "percent") == "-1.5 pts"
    assert format_move(41, 44, "days") == "+3.0 days"


def test_counts_agree_with_their_words() -> None:
    assert [count(n, "risk") for n in (0, 1, 2)] == ["0 risks", "1 risk", "2 risks"]
    assert count(1, "month") == "1 month" and count(12, "month") == "12 months"
    assert next_months(1) == "the next month" and next_months(3) == "the next 3 months"
    assert money(0.3) == "$0" and money(-0.3) == "$0"
