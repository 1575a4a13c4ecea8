"""Model families behind one interface (fit(y) -> self, predict(h, levels) -> Forecast)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from .arima import SARIMA
from .base import SEASON, Forecast, Forecaster, check_forecast, quiet_fit, sigma_from_bands, z_value
from .baselines import Drift, SeasonalNaive, SeasonalNaiveDrift
from .ets import ETS
from .prophet_model import ProphetModel, silence_prophet
from .theta import Theta

__all__ = [
    "FAMILIES",
    "FAMILY_LABELS",
    "SEASON",
    "SINGLE_FAMILIES",
    "Forecast",
    "Forecaster",
    "build_candidates",
    "check_forecast",
    "quiet_fit",
    "sigma_from_bands",
    "silence_prophet",
    "z_value",
]

FAMILY_LABELS: Final[dict[str, str]] = {
    "prophet": "Prophet",
    "ets": "ETS",
    "sarima": "SARIMA",
    "theta": "Theta",
    "seasonal_naive": "Seasonal naive",
    "drift": "Naive with drift",
    "snaive_drift": "Seasonal naive with drift",
    "combination": "Combination (weighted by backtest)",
}
FAMILIES: Final = tuple(FAMILY_LABELS)

_FACTORIES: Final[dict[str, Callable[[bool], Forecaster]]] = {
    "prophet": ProphetModel,
    "ets": ETS,
    "sarima": SARIMA,
    "theta": Theta,
    "seasonal_naive": lambda seasonal: SeasonalNaive(),
    "drift": lambda seasonal: Drift(),
    "snaive_drift": lambda seasonal: SeasonalNaiveDrift(),
}
SINGLE_FAMILIES: Final = tuple(_FACTORIES)
_MIN_MONTHS: Final = {"seasonal_naive": SEASON, "snaive_drift": SEASON}


def build_candidates(seasonal: bool, train_length: int) -> dict[str, Forecaster]:
    """Fresh, unfitted candidates for a series; short histories get fewer of them."""
    families = [f for f in _FACTORIES if train_length >= _MIN_MONTHS.get(f, 0)]
    return {family: _FACTORIES[family](seasonal) for family in families}
