"""Simple baselines every model must beat: seasonal naive (with and without drift), naive with
drift."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd

from ..errors import ModelError
from .base import SEASON, Forecast, normal_bands

__all__ = ["Drift", "SeasonalNaive", "SeasonalNaiveDrift"]


class SeasonalNaive:
    """Next January is this January; error grows with each extra year ahead."""

    name = "Seasonal naive"
    family = "seasonal_naive"

    def fit(self, y: pd.Series) -> Self:
        values = y.to_numpy(dtype="float64")
        if len(values) < SEASON:
            raise ModelError(f"seasonal naive needs {SEASON} months")
        self._last_season = values[-SEASON:]
        residuals = values[SEASON:] - values[:-SEASON]
        if len(residuals) < 3:  # under 15 months: the month-to-month error stands in
            residuals = np.diff(values)
        self._sigma = float(np.sqrt(np.mean(residuals**2)))
        return self

    def predict(self, horizon: int, levels: Sequence[int]) -> Forecast:
        steps = np.arange(horizon)
        mean = self._last_season[steps % SEASON]
        sigma = self._sigma * np.sqrt(steps // SEASON + 1)
        return normal_bands(mean, sigma, levels)


class Drift:
    """The last value plus the average monthly change so far (a straight line to the future)."""

    name = "Naive with drift"
    family = "drift"

    def fit(self, y: pd.Series) -> Self:
        values = y.to_numpy(dtype="float64")
        if len(values) < 3:
            raise ModelError("drift needs 3 months")
        self._n = len(values)
        self._last = values[-1]
        self._slope = (values[-1] - values[0]) / (self._n - 1)
        residuals = np.diff(values) - self._slope
        self._sigma = float(np.sqrt(np.sum(residuals**2) / max(self._n - 2, 1)))
        return self

    def predict(self, horizon: int, levels: Sequence[int]) -> Forecast:
        h = np.arange(1, horizon + 1, dtype="float64")
        mean = self._last + self._slope * h
        sigma = self._sigma * np.sqrt(h * (1 + h / (self._n - 1)))
        return normal_bands(mean, sigma, levels)


class SeasonalNaiveDrift:
    """Last year's same month plus the average year-over-year change: a growing company's
    January is last January plus a year of growth. With a single year there is no growth to
    measure yet: it repeats that year."""

    name = "Seasonal naive with drift"
    family = "snaive_drift"

    def fit(self, y: pd.Series) -> Self:
        values = y.to_numpy(dtype="float64")
        if len(values) < SEASON:
            raise ModelError(f"seasonal naive with drift needs {SEASON} months")
        self._last_season = values[-SEASON:]
        yearly = values[SEASON:] - values[:-SEASON]
        self._drift = float(np.mean(yearly)) if len(yearly) else 0.0
        self._k = max(len(yearly), 1)
        residuals = yearly - self._drift
        self._sigma = (
            float(np.sqrt(np.sum(residuals**2) / (self._k - 1)))
            if len(yearly) > 2
            else float(np.std(np.diff(values)) * np.sqrt(SEASON)) or abs(self._drift) or 1.0
        )
        return self

    def predict(self, horizon: int, levels: Sequence[int]) -> Forecast:
        steps = np.arange(horizon)
        years = steps // SEASON + 1
        mean = self._last_season[steps % SEASON] + years * self._drift
        # Random walk in yearly steps, plus the uncertainty of the estimated drift.
        sigma = self._sigma * np.sqrt(years + years**2 / self._k)
        return normal_bands(mean, sigma, levels)
