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

__all__ = [
    "SEASON",
    "Forecast",
    "Forecaster",
    "check_forecast",
    "normal_bands",
    "quiet_fit",
    "sigma_from_bands",
    "z_value",
]

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
    """Reject non-finite or absurd forecasts (ETS can explode on some series) and broken bands.

    A band that does not contain its own point forecast, or a 95% band narrower than the 80%
    one, means the model's interval is broken: the candidate fails rather than have its band
    silently widened around the point (which would hide the defect).
    """
    arrays = [forecast.mean, *[b for pair in forecast.bands.values() for b in pair]]
    if any(len(a) != horizon or not np.all(np.isfinite(a)) for a in arrays):
        raise ModelError("the forecast has missing or infinite values")
    scale = float(np.max(np.abs(history.to_numpy()))) or 1.0
    if float(np.max(np.abs(forecast.mean))) > 10 * scale + 1:
        raise ModelError("the forecast is more than ten times the largest value in the history")
    mean = forecast.mean.astype("float64")
    # Sample quantiles can miss the point by rounding; anything larger is a broken interval.
    slack = 1e-6 * (scale + float(np.max(np.abs(mean))))
    for lower, upper in forecast.bands.values():
        if np.any(lower > mean + slack) or np.any(upper < mean - slack):
            raise ModelError("its uncertainty band does not contain its own forecast")
    if {80, 95} <= set(forecast.bands):
        (lo80, hi80), (lo95, hi95) = forecast.bands[80], forecast.bands[95]
        if np.any(lo95 > lo80 + slack) or np.any(hi95 < hi80 - slack):
            raise ModelError("its 95% band is narrower than its 80% band")
    return Forecast(
        mean,
        {
            lv: (lo.astype("float64"), hi.astype("float64"))
            for lv, (lo, hi) in forecast.bands.items()
        },
    )


def sigma_from_bands(forecast: Forecast) -> np.ndarray:
    """The standard deviation a family's own 95% band implies at each step (normal reading)."""
    lower, upper = forecast.bands[95]
    sigma: np.ndarray = np.maximum((upper - lower) / (2 * z_value(95)), 0.0)
    return sigma


@contextmanager
def quiet_fit() -> Iterator[None]:
    """Short-series warnings (too few observations, convergence) are expected: catch them here.

    statsmodels sets its convergence warnings to "always" when first imported; imported inside
    the block, that filter would win over this one, so it is imported before."""
    import statsmodels.tools.sm_exceptions  # noqa: F401

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def with_month_freq(y: pd.Series) -> pd.Series:
    """statsmodels wants a frequency on the index to date its forecasts."""
    return pd.Series(
        y.to_numpy(dtype="float64"), index=pd.DatetimeIndex(y.index, freq="MS"), name=y.name
    )
