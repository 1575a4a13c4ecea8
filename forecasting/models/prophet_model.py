"""Prophet set up for monthly points: additive yearly seasonality only, L-BFGS, bounded fits."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections.abc import Sequence
from typing import Any, Final, Self

import numpy as np
import pandas as pd

from ..errors import ModelError
from .base import SEASON, Forecast

__all__ = ["ProphetModel", "silence_prophet"]

# Its band is read as a spread (then calibrated), for which 200 draws are enough.
_SAMPLES: Final = 200
_FIT_TIMEOUT_S: Final = 20.0
_YEARLY_FOURIER_ORDER: Final = 4  # 12 points a year identify at most 5 harmonics
# Prophet samples with numpy's global generator; threads must not reseed it under each other.
_SAMPLING_LOCK: Final = threading.Lock()


def silence_prophet() -> None:
    """Prophet and cmdstanpy log every fit at INFO; a report of 14 metrics needs none of it."""
    for name in ("prophet", "cmdstanpy"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.ERROR)
        logger.propagate = False
    logging.getLogger("cmdstanpy").disabled = True


class ProphetModel:
    """Prophet with additive yearly seasonality when the history holds two full years.

    Sub-yearly Fourier terms (a 91-day "quarterly" season) alias on monthly points and made the
    replaced system's fits crawl for 23-31 s; L-BFGS fits a 36-month series in ~0.05 s.
    """

    family = "prophet"
    name = "Prophet"

    def __init__(self, seasonal: bool) -> None:
        self.seasonal = seasonal

    def fit(self, y: pd.Series) -> Self:
        from prophet import Prophet

        silence_prophet()
        yearly: bool | int = (
            _YEARLY_FOURIER_ORDER if self.seasonal and len(y) >= 2 * SEASON else False
        )
        model = Prophet(
            growth="linear",
            yearly_seasonality=yearly,
            weekly_seasonality=False,
            daily_seasonality=False,
            seasonality_mode="additive",
            uncertainty_samples=_SAMPLES,
        )
        # Fits write CSV files; parallel fits filled /tmp (prophet#2668), so each gets its own dir.
        output_dir = tempfile.mkdtemp(prefix="prophet-fit-")
        try:
            model.fit(
                pd.DataFrame({"ds": pd.DatetimeIndex(y.index), "y": y.to_numpy(dtype="float64")}),
                algorithm="LBFGS",
                iter=2000,
                timeout=_FIT_TIMEOUT_S,
                output_dir=output_dir,
                seed=42,
            )
        except (RuntimeError, TimeoutError) as exc:
            raise ModelError(f"Prophet could not fit: {exc}") from None
        finally:
            shutil.rmtree(output_dir, ignore_errors=True)
        self._model: Any = model
        self._last = pd.Timestamp(y.index[-1])
        return self

    def predict(self, horizon: int, levels: Sequence[int]) -> Forecast:
        future = pd.DataFrame(
            {"ds": pd.date_range(self._last + pd.offsets.MonthBegin(1), periods=horizon, freq="MS")}
        )
        model = self._model
        model.uncertainty_samples = 0
        mean = model.predict(future)["yhat"].to_numpy(dtype="float64")
        model.uncertainty_samples = _SAMPLES
        # Prophet draws its trend changes with numpy's global generator: seed it for repeatability.
        with _SAMPLING_LOCK:
            state = np.random.get_state()
            np.random.seed(12345)
            try:
                samples = model.predictive_samples(future)["yhat"]
            finally:
                np.random.set_state(state)
        bands = {
            level: (
                np.quantile(samples, 0.5 - level / 200, axis=1),
                np.quantile(samples, 0.5 + level / 200, axis=1),
            )
            for level in levels
        }
        return Forecast(mean, bands)
