"""growth_rate: derived from the revenue forecast, its bounds from revenue's own bounds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .models import Forecast
from .selection import CandidateScore, FoldForecast, Selection, score_folds

__all__ = ["derive_growth", "growth_from_levels"]


def _pct(new: np.ndarray, base: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base != 0, (new - base) / np.abs(base) * 100, np.nan)


def growth_from_levels(
    last_actual: float, predicted: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Month-over-month growth (%) of a revenue path and its bounds.

    Step h compares revenue at h with the point forecast at h-1 (the last actual for h = 1), so
    the band at h is revenue's own band at h measured from where the path is expected to stand.
    """
    previous = np.concatenate([[last_actual], predicted[:-1]])
    return _pct(predicted, previous), _pct(lower, previous), _pct(upper, previous)


def derive_growth(revenue: Selection, revenue_series: pd.Series) -> Selection:
    """Turn a revenue selection into a growth_rate one; every candidate re-scored on growth."""
    values = revenue_series.to_numpy(dtype="float64")
    growth = _pct(values[1:], values[:-1])
    folds: dict[str, list[FoldForecast]] = {}
    scores: list[CandidateScore] = []
    for score in revenue.scores:
        if score.family not in revenue.folds:
            scores.append(score)
            continue
        folds[score.family] = [
            FoldForecast(
                fold.origin - 1,
                fold.start,
                *growth_from_levels(
                    values[fold.origin - 1], fold.predicted, fold.lower, fold.upper
                ),
            )
            for fold in revenue.folds[score.family]
        ]
        scores.append(replace(score, **score_folds(growth, folds[score.family])))
    bands = {}
    last = float(values[-1])
    for level, (lower, upper) in revenue.forecast.bands.items():
        mean, low, high = growth_from_levels(last, revenue.forecast.mean, lower, upper)
        bands[level] = (low, high)
    forecast = Forecast(mean, bands)
    notes = [
        *revenue.notes,
        f"Derived from the revenue forecast ({revenue.best_name}, chosen on "
        "revenue); bounds are revenue's bounds measured from the previous month's forecast.",
    ]
    return replace(revenue, scores=scores, forecast=forecast, folds=folds, notes=notes)
