"""Model families behind one interface (fit(y) -> self, predict(h, levels) -> Forecast)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from .base import SEASON, Forecast, Forecaster, check_forecast
from .baselines import Drift, SeasonalNaive
from .prophet_model import ProphetModel, silence_prophet
from .statsmodels_family import ETS, SARIMA, Theta

__all__ = [
    "FAMILIES",
    "FAMILY_LABELS",
    "SEASON",
    "Forecast",
    "Forecaster",
    "build_candidates",
    "check_forecast",
    "silence_prophet",
]

FAMILY_LABELS: Final[dict[str, str]] = {
    "prophet": "Prophet",
    "ets": "ETS",
    "sarima": "SARIMA",
    "theta": "Theta",
    "seasonal_naive": "Seasonal naive",
    "drift": "Naive with drift",
    "ensemble": "Ensemble (mean of best 3)",
}
FAMILIES: Final = tuple(FAMILY_LABELS)

_FACTORIES: Final[dict[str, Callable[[bool], Forecaster]]] = {
    "prophet": ProphetModel,
    "ets": ETS,
    "sarima": SARIMA,
    "theta": Theta,
    "seasonal_naive": lambda seasonal: SeasonalNaive(),
    "drift": lambda seasonal: Drift(),
}


def build_candidates(seasonal: bool, train_length: int) -> dict[str, Forecaster]:
    """Fresh, unfitted candidates for a series; short histories get fewer of them."""
    families = [f for f in _FACTORIES if f != "seasonal_naive" or train_length >= SEASON]
    return {family: _FACTORIES[family](seasonal) for family in families}
