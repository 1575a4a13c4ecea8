"""How forecasts are scored against what happened, one place for each measure.

MASE divides the mean absolute error by the history's mean absolute seasonal change (12 months
apart, with two years or more; month to month below), so 1 means "as good as repeating last
year". sMAPE follows the M4 convention, 200 |e| / (|y| + |f|). RMSE pools every error.
Coverage is the share of actual months inside a band.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypedDict

import numpy as np

from .models import SEASON

__all__ = [
    "FoldScores",
    "coverage",
    "mase",
    "mase_scale",
    "rmse",
    "score_folds",
    "score_paths",
    "smape",
]


def mase_scale(train: np.ndarray) -> float:
    """Mean absolute seasonal (two years or more) or month-to-month change of the history; a
    history that never changes is scaled by a thousandth of its level so errors stay finite."""
    lag = SEASON if len(train) >= 2 * SEASON else 1
    scale = float(np.mean(np.abs(train[lag:] - train[:-lag]))) if len(train) > lag else 0.0
    return scale or float(np.mean(np.abs(train))) * 1e-3 or 1.0


def mase(actual: np.ndarray, predicted: np.ndarray, train: np.ndarray) -> float:
    return float(np.mean(np.abs(actual - predicted))) / mase_scale(train)


def smape(actual: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Per month, in percent; a month where both are zero counts as no error."""
    denominator = np.abs(actual) + np.abs(predicted)
    safe = np.where(denominator > 0, denominator, 1.0)
    out: np.ndarray = np.where(denominator > 0, 200 * np.abs(actual - predicted) / safe, 0.0)
    return out


def rmse(errors: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(errors))))


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    return float(np.mean((actual >= lower) & (actual <= upper)))


def score_paths(
    y: np.ndarray, origins: Sequence[int], paths: Sequence[np.ndarray], steps: int | None = None
) -> float:
    """Mean over folds of MASE on the first ``steps`` months of each fold (all when None), each
    fold scaled by the history before its origin."""
    values = []
    for origin, path in zip(origins, paths, strict=True):
        k = len(path) if steps is None else min(steps, len(path))
        values.append(mase(y[origin : origin + k], path[:k], y[:origin]))
    return float(np.mean(values))


class _Fold(Protocol):
    @property
    def origin(self) -> int: ...
    @property
    def predicted(self) -> np.ndarray: ...
    @property
    def bands(self) -> dict[int, tuple[np.ndarray, np.ndarray]]: ...


class FoldScores(TypedDict):
    mase: float
    smape: float
    rmse: float
    coverage_80: float
    coverage_95: float


def score_folds(y: np.ndarray, folds: Sequence[_Fold]) -> FoldScores:
    """A candidate's backtest: MASE (mean over folds), sMAPE (mean over months), pooled RMSE,
    and the coverage of its 80% and 95% bands over every month."""
    pairs = [(y[f.origin : f.origin + len(f.predicted)], f) for f in folds]
    actual = np.concatenate([a for a, _ in pairs])
    predicted = np.concatenate([f.predicted for f in folds])

    def band(level: int, side: int) -> np.ndarray:
        return np.concatenate([f.bands[level][side] for f in folds])

    return FoldScores(
        mase=score_paths(y, [f.origin for f in folds], [f.predicted for f in folds]),
        smape=float(np.mean(smape(actual, predicted))),
        rmse=rmse(actual - predicted),
        coverage_80=coverage(actual, band(80, 0), band(80, 1)),
        coverage_95=coverage(actual, band(95, 0), band(95, 1)),
    )
