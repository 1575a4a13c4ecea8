"""How sure a forecast is, in figures measured on its backtest and in one plain sentence.

Nothing here depends on the band level the report shows: coverage is given for both bands and
the sentence names both, so the page can switch level without recomputing anything."""

from __future__ import annotations

import functools
from typing import Final

import numpy as np
import pandas as pd

from .jsonvalues import number
from .narratives import format_value
from .report_types import AccuracyEntry
from .selection import Selection

__all__ = ["ACCURACY_DEFINITION", "accuracy_entry", "fold_months"]

ACCURACY_DEFINITION: Final = (
    "Measured on the backtest: the shipped forecast made from past months and compared with what "
    "happened. MASE is its mean absolute error divided by the history's mean absolute "
    "year-over-year change (month-to-month under two years): below 1 beats repeating last year. "
    "The typical error is the mean absolute error (as a share of the actual values for money). "
    "Coverage is the share of actual months inside the 80% and 95% bands. The report's "
    "kpis.forecast_accuracy is 100 minus the median backtest sMAPE of the money metrics."
)
# Half the 80% band as a share of the forecast: where "fairly sure" ends and "not very sure" starts.
_SURE: Final = ((0.05, "Fairly sure"), (0.15, "Moderately sure"))


def _typical_error(actual: np.ndarray, predicted: np.ndarray, unit: str) -> tuple[float, str]:
    error = np.abs(actual - predicted)
    if unit == "currency":
        share = float(np.sum(error) / max(float(np.sum(np.abs(actual))), 1e-9)) * 100
        return share, f"{share:.1f}%"
    mae = float(np.mean(error))
    return mae, f"{mae:.1f} pts" if unit == "percent" else format_value(mae, unit)


@functools.lru_cache(maxsize=256)
def fold_months(start: pd.Timestamp, months: int) -> tuple[pd.Timestamp, ...]:
    """The month starts a backtest fold covers (every family's folds share a few origins)."""
    return tuple(pd.date_range(start, periods=months, freq="MS"))


def _backtest(
    sel: Selection, history: pd.Series
) -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]:
    """The shipped forecast's backtest months with their actuals, matched by date, and whether
    each fell inside the 80% and the 95% band."""
    actual, predicted = [], []
    inside: dict[int, list[bool]] = {80: [], 95: []}
    by_month = dict(zip(pd.DatetimeIndex(history.index), history.to_numpy(dtype="float64"),
                        strict=True))
    for fold in sel.folds.get(sel.best, []):
        dates = fold_months(pd.Timestamp(fold.start), len(fold.predicted))
        values = np.array([by_month.get(d, np.nan) for d in dates], dtype="float64")
        keep = np.isfinite(values)
        actual.extend(values[keep])
        predicted.extend(fold.predicted[keep])
        for level, held in inside.items():
            lower, upper = fold.bands[level]
            held.extend((values[keep] >= lower[keep]) & (values[keep] <= upper[keep]))
    return (
        np.asarray(actual),
        np.asarray(predicted),
        {level: np.asarray(held, dtype=bool) for level, held in inside.items()},
    )


def _held(inside: dict[int, np.ndarray]) -> str:
    """How often both bands held in the backtest: the same words whichever band is shown."""
    months = len(inside[80])
    if not months:
        return ""
    return (
        f", and its bands held {int(inside[80].sum())} (80%) and {int(inside[95].sum())} (95%) "
        f"of {months} actual months"
    )


def _sentence(sel: Selection, unit: str, error_text: str, held: str) -> str:
    lower, upper = sel.forecast.bands[80]
    point = float(sel.forecast.mean[0])
    half = (float(upper[0]) - float(lower[0])) / 2
    relative = half / abs(point) if point else np.inf
    label = next((text for limit, text in _SURE if relative <= limit), "Not very sure")
    month = pd.Timestamp(sel.dates[0]).strftime("%B %Y")
    text = (
        f"{label}: {month} is expected between {format_value(float(lower[0]), unit)} and "
        f"{format_value(float(upper[0]), unit)} (8 chances in 10)."
    )
    if error_text:
        text += f" In the backtest the forecast missed by {error_text} on average{held}."
    return text


def accuracy_entry(sel: Selection, history: pd.Series, unit: str) -> AccuracyEntry:
    """Backtest accuracy and band coverage of the shipped forecast, and how sure it is in words."""
    actual, predicted, inside = _backtest(sel, history)
    error, error_text = _typical_error(actual, predicted, unit) if len(actual) else (None, "")
    shipped = next((s for s in sel.scores if s.family == sel.best), None)
    return {
        "backtest_mase": None if shipped is None else number(shipped.mase),
        "typical_error": number(error),
        "typical_error_text": error_text,
        "months_checked": len(actual),
        "coverage_80": number(sel.coverage.get(80)),
        "coverage_95": number(sel.coverage.get(95)),
        "certainty": _sentence(sel, unit, error_text, _held(inside)),
        "definition": ACCURACY_DEFINITION,
    }
