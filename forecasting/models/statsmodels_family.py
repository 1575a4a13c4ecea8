"""statsmodels families: ETS (AICc over trend variants), SARIMA (AIC over a few orders), Theta."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from ..errors import ModelError
from .base import SEASON, Forecast, quiet_fit, with_month_freq

__all__ = ["ETS", "SARIMA", "Theta"]


def _best_by(results: list[Any], criterion: str) -> Any:
    scored = [r for r in results if np.isfinite(getattr(r, criterion, np.nan))]
    if not scored:
        raise ModelError("none of its variants could be fitted to this series")
    return min(scored, key=lambda r: getattr(r, criterion))


class ETS:
    """Exponential smoothing state space model: additive or damped trend, seasonal with 2 years."""

    family = "ets"

    def __init__(self, seasonal: bool) -> None:
        self.seasonal = seasonal
        self.name = "ETS (seasonal)" if seasonal else "ETS"

    def fit(self, y: pd.Series) -> Self:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        y = with_month_freq(y)
        seasonal = "add" if self.seasonal and len(y) >= 2 * SEASON else None
        fits = []
        with quiet_fit():
            for damped in (False, True):
                # Heuristic seasonal start values: 0.01 s a fit instead of 0.25-0.5 s with
                # 12 estimated seasonal states, and as good on short monthly series.
                model = ETSModel(
                    y,
                    error="add",
                    trend="add",
                    damped_trend=damped,
                    seasonal=seasonal,
                    seasonal_periods=SEASON if seasonal else None,
                    initialization_method="heuristic" if seasonal else "estimated",
                )
                try:
                    fits.append(model.fit(disp=False, maxiter=200))
                except (ValueError, np.linalg.LinAlgError):
                    continue
        self._result = _best_by(fits, "aicc")
        self._n = len(y)
        return self

    def predict(self, horizon: int, levels: Sequence[int]) -> Forecast:
        with quiet_fit():
            prediction = self._result.get_prediction(start=self._n, end=self._n + horizon - 1)
            bands = {}
            for level in levels:
                frame = prediction.summary_frame(alpha=1 - level / 100)
                bands[level] = (frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy())
        return Forecast(np.asarray(frame["mean"], dtype="float64"), bands)


class SARIMA:
    """Seasonal ARIMA over a small set of orders, the best by AIC."""

    family = "sarima"
    # The airline model alone: its AR twin doubled the time of every seasonal fit and won
    # rarely; without a season, two small orders with drift.
    _SEASONAL_ORDERS = ((0, 1, 1),)
    _ORDERS = ((0, 1, 1), (1, 1, 0))

    def __init__(self, seasonal: bool) -> None:
        self.seasonal = seasonal
        self.name = "SARIMA" if seasonal else "ARIMA"

    def fit(self, y: pd.Series) -> Self:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        y = with_month_freq(y)
        seasonal = self.seasonal and len(y) >= 2 * SEASON
        seasonal_order = (0, 1, 1, SEASON) if seasonal else (0, 0, 0, 0)
        fits = []
        with quiet_fit():
            for order in self._SEASONAL_ORDERS if seasonal else self._ORDERS:
                try:
                    model = SARIMAX(
                        y,
                        order=order,
                        seasonal_order=seasonal_order,
                        trend="n" if seasonal else "t",
                        concentrate_scale=True,
                    )
                    fits.append(model.fit(disp=False, maxiter=50))
                except (ValueError, np.linalg.LinAlgError):
                    continue
        self._result = _best_by(fits, "aic")
        order = self._result.model.order
        self.name = f"{'SARIMA' if seasonal else 'ARIMA'}{order}"
        return self

    def predict(self, horizon: int, levels: Sequence[int]) -> Forecast:
        with quiet_fit():
            prediction = self._result.get_forecast(horizon)
            bands = {}
            for level in levels:
                frame = prediction.summary_frame(alpha=1 - level / 100)
                bands[level] = (
                    frame["mean_ci_lower"].to_numpy(),
                    frame["mean_ci_upper"].to_numpy(),
                )
        return Forecast(np.asarray(frame["mean"], dtype="float64"), bands)


class Theta:
    """The Theta method (M3 winner on short monthly series), deseasonalised when seasonal."""

    family = "theta"
    name = "Theta"

    def __init__(self, seasonal: bool) -> None:
        self.seasonal = seasonal

    def fit(self, y: pd.Series) -> Self:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        y = with_month_freq(y)
        deseasonalize = self.seasonal and len(y) >= 2 * SEASON
        # Multiplicative deseasonalising needs strictly positive data.
        method = "multiplicative" if bool((y > 0).all()) else "additive"
        with quiet_fit():
            self._result = ThetaModel(
                y, period=SEASON, deseasonalize=deseasonalize, use_test=False, method=method
            ).fit()
        return self

    def predict(self, horizon: int, levels: Sequence[int]) -> Forecast:
        with quiet_fit():
            mean = np.asarray(self._result.forecast(horizon), dtype="float64")
            bands = {}
            for level in levels:
                frame = self._result.prediction_intervals(horizon, alpha=1 - level / 100)
                bands[level] = (frame["lower"].to_numpy(), frame["upper"].to_numpy())
        return Forecast(mean, bands)
