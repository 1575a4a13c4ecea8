"""Made-up members of a combination: backtest misses and final forecasts chosen by the test, so
weights and pooled forecasts can be computed by hand."""

from __future__ import annotations

import numpy as np

from forecasting.backtest import FitOutput
from forecasting.scores import mase_scale


def member(family: str, y: np.ndarray, origins: tuple[int, ...], miss: np.ndarray,
           final: float) -> tuple[list[FitOutput], FitOutput]:
    """A member whose backtest misses by ``miss[s]`` MASE scales at forecast month s + 1, and
    whose final forecast is a flat ``final`` with a band of +-10."""
    folds = []
    for origin in origins:
        k = min(12, len(y) - origin)
        mean = y[origin : origin + k] + miss[:k] * mase_scale(y[:origin])
        folds.append(FitOutput(family, family, origin, "ok", mean,
                               {80: (mean - 5, mean + 5), 95: (mean - 10, mean + 10)}, 0.0))
    flat = np.full(12, final)
    return folds, FitOutput(family, family, len(y), "ok", flat,
                            {80: (flat - 5, flat + 5), 95: (flat - 10, flat + 10)}, 0.0)
