"""growth_rate: derived from the revenue forecast, its band from revenue's joint paths."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

import numpy as np
import pandas as pd

from .models import Forecast, z_value
from .scores import score_folds
from .selection import FoldForecast, Selection, scored_candidate

__all__ = ["derive_growth", "growth_band", "growth_from_levels"]

_PATHS: Final = 4000
_SEED: Final = 20240601


def _pct(new: np.ndarray, base: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base != 0, (new - base) / np.abs(base) * 100, np.nan)


def growth_from_levels(last_actual: float, predicted: np.ndarray) -> np.ndarray:
    """Month-over-month growth (%) of a revenue path: step h against step h-1 (the last actual
    month for the first step)."""
    previous = np.concatenate([[last_actual], predicted[:-1]])
    return _pct(predicted, previous)


def _revenue_paths(mean: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Joint revenue paths whose every month matches revenue's band: errors that carry over
    from month to month (a level that drifts) plus at least half of the first month's error
    fresh each month, rescaled to each month's own spread; revenue never below zero."""
    rng = np.random.default_rng(_SEED)
    var = np.square(sigma)
    fresh = np.maximum(np.diff(var, prepend=0.0), var[0] / 2)
    errors = np.cumsum(rng.standard_normal((_PATHS, len(mean))) * np.sqrt(fresh), axis=1)
    spread = errors.std(axis=0)
    errors *= np.where(spread > 0, sigma / np.where(spread > 0, spread, 1), 0)
    paths: np.ndarray = np.maximum(mean + errors, 0.0)
    return paths


def growth_band(
    last_actual: float, mean: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``level`` band of month-over-month growth from revenue's joint paths: never below
    -100% (revenue cannot fall below zero), and the first month measured from the last actual."""
    sigma = np.maximum((upper - lower) / (2 * z_value(level)), 0.0)
    paths = _revenue_paths(mean, sigma)
    previous = np.concatenate([np.full((_PATHS, 1), last_actual), paths[:, :-1]], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(previous > 0, (paths - previous) / previous * 100, np.nan)
    tail = (100 - level) / 200
    low = np.nanquantile(growth, tail, axis=0)
    high = np.nanquantile(growth, 1 - tail, axis=0)
    return np.maximum(low, -100.0), high


def derive_growth(revenue: Selection, revenue_series: pd.Series) -> Selection:
    """Turn a revenue selection into a growth_rate one; every candidate re-scored on growth."""
    values = revenue_series.to_numpy(dtype="float64")
    growth = _pct(values[1:], values[:-1])
    folds = {
        family: [_growth_fold(values, fold) for fold in family_folds]
        for family, family_folds in revenue.folds.items()
    }
    scores = [
        scored_candidate(s.family, s.name, score_folds(growth, folds[s.family]), s.seconds,
                         revenue.level)
        if s.family in folds
        else s
        for s in revenue.scores
    ]
    last = float(values[-1])
    mean = growth_from_levels(last, revenue.forecast.mean)
    bands = {
        lv: growth_band(last, revenue.forecast.mean, lo, hi, lv)
        for lv, (lo, hi) in revenue.forecast.bands.items()
    }
    shipped = next(s for s in scores if s.family == revenue.best)
    notes = [
        *revenue.notes,
        f"Derived from the revenue forecast ({revenue.best_name}); its band comes from "
        "revenue's joint paths (month-to-month errors that carry over), never below -100%.",
    ]
    coverage = {
        lv: c for lv, c in ((80, shipped.coverage_80), (95, shipped.coverage_95)) if c is not None
    }
    return replace(
        revenue,
        scores=scores,
        forecast=Forecast(mean, bands),
        folds=folds,
        notes=notes,
        coverage=coverage,
    )


def _growth_fold(values: np.ndarray, fold: FoldForecast) -> FoldForecast:
    """A revenue fold as growth: from the month before its origin, both bands from the joint
    paths."""
    last = float(values[fold.origin - 1])
    bands = {
        lv: growth_band(last, fold.predicted, lo, hi, lv) for lv, (lo, hi) in fold.bands.items()
    }
    return FoldForecast(
        fold.origin - 1, fold.start, growth_from_levels(last, fold.predicted), bands, fold.level
    )
