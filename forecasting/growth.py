"""growth_rate: derived from the revenue forecast, its band from revenue's joint paths."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

import numpy as np
import pandas as pd

from .errors import ForecastingError
from .models import Forecast, z_value
from .scores import score_folds
from .selection import FoldForecast, Selection, scored_candidate

__all__ = ["derive_growth", "growth_band", "growth_bands", "growth_from_levels"]

_PATHS: Final = 2000  # the 2.5% tail from 50 draws: about 3% of the band's half-width
_SEED: Final = 20240601


def _pct(new: np.ndarray, base: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base != 0, (new - base) / np.abs(base) * 100, np.nan)


def growth_from_levels(last_actual: float, predicted: np.ndarray) -> np.ndarray:
    """Month-over-month growth (%) of a revenue path: step h against step h-1 (the last actual
    month for the first step)."""
    previous = np.concatenate([[last_actual], predicted[:-1]])
    return _pct(predicted, previous)


def _growth_samples(lasts: np.ndarray, means: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """Month-over-month growth along joint revenue paths, for ``k`` revenue forecasts of the same
    length at once (``means``, ``sigmas``: k x months): errors that carry over from month to
    month (a level that drifts) plus at least half of the first month's error fresh each month,
    rescaled to each month's own spread; revenue never below zero. Every forecast gets the same
    draws, so a forecast's band does not depend on what else is computed with it."""
    z = np.random.default_rng(_SEED).standard_normal((_PATHS, means.shape[1]))
    var = np.square(sigmas)
    fresh = np.maximum(np.diff(var, prepend=0.0, axis=1), var[:, :1] / 2)
    errors = np.cumsum(z[None, :, :] * np.sqrt(fresh)[:, None, :], axis=2)
    spread = errors.std(axis=1)
    errors *= np.where(spread > 0, sigmas / np.where(spread > 0, spread, 1), 0)[:, None, :]
    paths = np.maximum(means[:, None, :] + errors, 0.0)
    first = np.broadcast_to(lasts[:, None, None], (len(lasts), _PATHS, 1))
    previous = np.concatenate([first, paths[:, :, :-1]], axis=2)
    # Against the previous month's size, as the history's growth is (kpis): a month of net
    # refunds (negative revenue) can only be the last actual one, since the paths are not.
    with np.errstate(divide="ignore", invalid="ignore"):
        growth: np.ndarray = np.where(
            previous != 0, (paths - previous) / np.abs(previous) * 100, np.nan
        )
    return growth


Band = tuple[float, np.ndarray, np.ndarray, np.ndarray, int]  # last, mean, lower, upper, level


def growth_bands(requests: Sequence[Band]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The growth band of each revenue forecast (see ``growth_band``), computed together."""
    out: list[tuple[np.ndarray, np.ndarray]] = [(np.empty(0), np.empty(0))] * len(requests)
    by_length: dict[int, list[int]] = {}
    for i, (_, mean, *_rest) in enumerate(requests):
        by_length.setdefault(len(mean), []).append(i)
    for indices in by_length.values():
        chosen = [requests[i] for i in indices]
        sigmas = np.array(
            [np.maximum((hi - lo) / (2 * z_value(lv)), 0.0) for _, _, lo, hi, lv in chosen]
        )
        growth = _growth_samples(
            np.array([r[0] for r in chosen]), np.array([r[1] for r in chosen]), sigmas
        )
        quantile = np.nanquantile if np.isnan(growth).any() else np.quantile
        levels = np.array([r[4] for r in chosen])
        for level in np.unique(levels):
            rows = np.flatnonzero(levels == level)
            tail = (100 - float(level)) / 200
            with warnings.catch_warnings():  # a month every path starts at zero: NaN, said later
                warnings.simplefilter("ignore", RuntimeWarning)
                low, high = quantile(growth[rows], [tail, 1 - tail], axis=1)
            for k, row in enumerate(rows):
                out[indices[row]] = (np.maximum(low[k], -100.0), high[k])
    return out


def growth_band(
    last_actual: float, mean: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``level`` band of month-over-month growth from revenue's joint paths: never below
    -100% (revenue cannot fall below zero), and the first month measured from the last actual."""
    return growth_bands([(last_actual, mean, lower, upper, level)])[0]


def derive_growth(revenue: Selection, revenue_series: pd.Series) -> Selection:
    """Turn a revenue selection into a growth_rate one; every candidate re-scored on growth."""
    values = revenue_series.to_numpy(dtype="float64")
    last = float(values[-1])
    if last == 0:
        raise ForecastingError(
            f"growth cannot be forecast from a month of zero revenue (the last month, "
            f"{revenue_series.index[-1]:%Y-%m}): a percentage of zero is not a number"
        )
    folds = _growth_folds(values, revenue.folds)
    growth = _pct(values[1:], values[:-1])
    scores = [
        scored_candidate(s.family, s.name, score_folds(growth, folds[s.family]), s.seconds,
                         revenue.level)
        if s.family in folds
        else s
        for s in revenue.scores
    ]
    levels = list(revenue.forecast.bands)
    bands = growth_bands(
        [(last, revenue.forecast.mean, *revenue.forecast.bands[lv], lv) for lv in levels]
    )
    unknown = [int(i) for lo, hi in bands
               for i in np.flatnonzero(~np.isfinite(lo) | ~np.isfinite(hi))]
    if unknown:  # every path is at zero the month before: revenue's band is all at zero there
        zero = revenue.dates[min(unknown) - 1] if min(unknown) else revenue_series.index[-1]
        raise ForecastingError(
            f"growth cannot be forecast past {zero:%Y-%m}: the revenue forecast for that month "
            "is zero, and a percentage of zero is not a number"
        )
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
        forecast=Forecast(growth_from_levels(last, revenue.forecast.mean),
                          dict(zip(levels, bands, strict=True))),
        folds=folds,
        notes=notes,
        coverage=coverage,
    )


def _growth_folds(
    values: np.ndarray, folds: dict[str, list[FoldForecast]]
) -> dict[str, list[FoldForecast]]:
    """Every revenue fold as growth, from the month before its origin; all their bands from the
    joint paths in one computation."""
    flat = [(family, fold) for family, family_folds in folds.items() for fold in family_folds]
    requests = [
        (float(values[fold.origin - 1]), fold.predicted, lo, hi, lv)
        for _, fold in flat
        for lv, (lo, hi) in fold.bands.items()
    ]
    bands = iter(growth_bands(requests))
    out: dict[str, list[FoldForecast]] = {family: [] for family in folds}
    for family, fold in flat:
        last = float(values[fold.origin - 1])
        out[family].append(
            FoldForecast(
                fold.origin - 1, fold.start, growth_from_levels(last, fold.predicted),
                {lv: next(bands) for lv in fold.bands}, fold.level,
            )
        )
    return out
