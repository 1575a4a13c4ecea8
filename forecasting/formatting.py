"""How the finance team reads each unit — $1.2M, 34.5%, 41 days, 1.05x — written once for the
KPI cards, the chart axes and hovers, the narratives and the report's alert texts.

Money scales with K, M and B at every size, so an axis tick and a card never disagree ("$900K"
beside "$932K", never "900k").
"""

from __future__ import annotations

import math
from typing import Final, Literal

__all__ = [
    "Unit",
    "axis_ticks",
    "count",
    "format_change",
    "format_move",
    "format_value",
    "money",
    "next_months",
]

Unit = Literal["currency", "percent", "days", "ratio"]

_SCALES: Final = ((1e9, "B"), (1e6, "M"), (1e4, "K"))
_DEFAULT_DECIMALS: Final = {"B": 2, "M": 2, "K": 0, "": 0}
_ROUNDING: Final = {"percent": 1, "days": 0, "ratio": 2}


def _scale(size: float) -> tuple[float, str]:
    for bound, letter in _SCALES:
        if size >= bound:
            # 1e4 starts the K scale ("$15K"); smaller amounts are written out ("$9,500").
            return (1e3 if letter == "K" else bound), letter
    return 1.0, ""


def money(value: float, decimals: int | None = None, *, signed: bool = False) -> str:
    """$1.23M, $152K, $9,500, -$1.23M; ``decimals`` fixes the digits after the point."""
    size = abs(value)
    divisor, letter = _scale(size)
    digits = _DEFAULT_DECIMALS[letter] if decimals is None else decimals
    number = f"{size / divisor:,.{digits}f}"
    if float(number.replace(",", "")) == 0:
        return "$0"
    sign = "-" if value < 0 else ("+" if signed else "")
    return f"{sign}${number}{letter}"


def format_value(value: float | None, unit: str) -> str:
    """A level as the cards, hovers and narratives show it; ``None`` reads "n/a"."""
    if value is None or not math.isfinite(value):
        return "n/a"
    # Round first so that -0.3 days reads "0 days", never "-0 days".
    value = round(value, _ROUNDING.get(unit, 0)) + 0.0
    if unit == "currency":
        return money(value)
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "days":
        return f"{value:.0f} days"
    return f"{value:.2f}x"


def format_change(change: float, unit: str) -> str:
    """A signed difference of two levels: +$100K, -0.3 pts, +0.4 days, -0.10 (a change is
    smaller than a level, so days keep one decimal)."""
    if unit == "currency":
        return money(round(change) + 0.0, signed=True)
    if unit == "percent":
        return f"{round(change, 1) + 0.0:+.1f} pts"
    if unit == "days":
        return f"{round(change, 1) + 0.0:+.1f} days"
    return f"{round(change, 2) + 0.0:+.2f}"


def format_move(now: float, ahead: float, unit: str) -> str:
    """The change from ``now`` to ``ahead`` as a finance reader states it: money in percent of
    where it stands (+4.5%), percentages in points, days in days, ratios as a difference."""
    if unit == "currency":
        return f"{(ahead / abs(now) - 1) * 100:+.1f}%" if now else format_change(ahead - now, unit)
    return format_change(ahead - now, unit)


def count(n: int, word: str, plural: str | None = None) -> str:
    """1 risk, 3 risks, 1 month, 12 months — never "risk(s)"."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def next_months(n: int) -> str:
    """'the next month' or 'the next 3 months'."""
    return "the next month" if n == 1 else f"the next {n} months"


def _nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)


def _tick_text(value: float, unit: str, step: float) -> str:
    if unit == "currency":
        divisor, _ = _scale(abs(value))
        decimals = max(0, min(3, math.ceil(-math.log10(step / divisor) - 1e-9)))
        return money(value, decimals)
    decimals = max(0, min(3, math.ceil(-math.log10(step) - 1e-9)))
    if unit == "percent":
        return f"{value:.{decimals}f}%"
    if unit == "days":
        return f"{value:.{decimals}f} days"
    return f"{value:.{max(decimals, 1)}f}x"


def axis_ticks(
    low: float, high: float, unit: str, target: int = 6
) -> tuple[list[float], list[str]]:
    """About ``target`` round tick values covering [low, high] and their labels, written like
    the cards (a Plotly format string cannot write K, M and B)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [], []
    if high <= low:
        high = low + (abs(low) or 1.0)
    step = _nice_step(high - low, target)
    first = math.floor(low / step) * step
    values = [first + i * step for i in range(math.ceil((high - first) / step) + 1)]
    values = [round(v, 10) + 0.0 for v in values]
    return values, [_tick_text(v, unit, step) for v in values]
