"""The one small interface every model family implements, and checks shared by all of them."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from statistics import NormalDist
from typing import Protocol, Self

import numpy as np
import pandas as pd

from ..errors import ModelError

__all__ = ["SEASON", "Forecast", "Forecaster", "check_forecast", "normal_bands", "quiet_fit"]

SEASON = 12  # monthly data: one season is a year


@dataclass(frozen=True)
class Forecast:
    """A point forecast and its bands: ``bands[level] = (lower, upper)`` for each level asked."""

    mean: np.ndarray
    bands: dict[int, tuple[np.ndarray, np.ndarray]]


class Forecaster(Protocol):
    """fit(y) on a month-start indexed series, then predict(horizon, levels)."""

    name: str
    family: str

    def fit(self, y: pd.Series) -> Self: ...

    def predict(self, horizon: int, levels: Sequence[int]) -> Forecast: ...


def z_value(level: int) -> float:
    return NormalDist().inv_cdf(0.5 + level / 200)


def normal_bands(mean: np.ndarray, sigma: np.ndarray, levels: Sequence[int]) -> Forecast:
    """Symmetric normal bands, for the baselines whose error grows by a known formula."""
    return Forecast(
        mean, {lv: (mean - z_value(lv) * sigma, mean + z_value(lv) * sigma) for lv in levels}
    )


def check_forecast(forecast: Forecast, history: pd.Series, horizon: int) -> Forecast:
    """Reject non-finite or absurd forecasts (ETS can explode on some series), order the bands."""
    arrays = [forecast.mean, *[b for pair in forecast.bands.values() for b in pair]]
    if any(len(a) != horizon or not np.all(np.isfinite(a)) for a in arrays):
        raise ModelError("the forecast has missing or infinite values")
    scale = float(np.max(np.abs(history.to_numpy()))) or 1.0
    if float(np.max(np.abs(forecast.mean))) > 10 * scale + 1:
        raise ModelError("the forecast is more than ten times the largest value in the history")
    mean = forecast.mean.astype("float64")
    bands = {
        lv: (np.minimum(lo, mean), np.maximum(hi, mean)) for lv, (lo, hi) in forecast.bands.items()
    }
    return Forecast(mean, bands)


@contextmanager
def quiet_fit() -> Iterator[None]:
    """Short-series warnings (too few observations, convergence) are expected: catch them here."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def with_month_freq(y: pd.Series) -> pd.Series:
    """statsmodels wants a frequency on the index to date its forecasts."""
    return pd.Series(
        y.to_numpy(dtype="float64"), index=pd.DatetimeIndex(y.index, freq="MS"), name=y.name
    )
