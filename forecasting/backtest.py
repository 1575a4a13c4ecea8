"""The backtest as separate, picklable pieces: a plan, one fit per family and window, its output.

A family's backtest (``fit_backtest``: estimated once on the earliest fold's window, its
parameters re-applied at the later origins) and its final fit on all the data (``fit_final``)
are module-level functions of plain data, so each can run as its own task on any executor; the
choice, combination and calibration come after, from these outputs alone (``combine.py``).

Nothing here depends on the horizon the user asked for: folds start at fixed distances from the
end and every fit forecasts ``STEPS`` months, so the first forecast months are the same at any
horizon; a shorter horizon only shows fewer of them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd
from loguru import logger

from .errors import ModelError, first_line
from .models import Forecaster, build_candidates, check_forecast, quiet_fit

__all__ = [
    "FOLD_GAPS",
    "MIN_TRAIN",
    "STEPS",
    "BacktestPlan",
    "FitOutput",
    "cpu_seconds",
    "fit_backtest",
    "fit_final",
    "plain_reason",
    "plan_backtest",
]

STEPS: Final = 12  # every fit forecasts a year; the user's horizon (1-12) shows the first months
FOLD_GAPS: Final = (12, 8, 4)  # folds end 12, 8 and 4 months before the last month
MIN_TRAIN: Final = 6
LEVELS: Final = (80, 95)


@dataclass(frozen=True)
class BacktestPlan:
    """Where each fold's training data ends (exclusive) and how many months it can be checked on."""

    n: int
    origins: tuple[int, ...]

    @property
    def seasonal(self) -> bool:
        """Whether every fold had two years to learn a season from (seasonal models as used)."""
        return self.origins[0] >= 24

    def steps(self, origin: int) -> int:
        return min(STEPS, self.n - origin)


@dataclass(frozen=True)
class FitOutput:
    """One family fitted on ``series[:origin]``: its forecast of the next ``STEPS`` months (or the
    months left), its own 80%/95% bands, the CPU it took; or why it failed."""

    family: str
    name: str
    origin: int
    status: Literal["ok", "failed"]
    mean: np.ndarray
    bands: dict[int, tuple[np.ndarray, np.ndarray]]
    seconds: float
    reason: str = ""


def plan_backtest(n: int, horizon: int = 1) -> BacktestPlan:
    """Folds ending 12, 8 and 4 months before the data does (those with 6+ months to train on).

    The plan depends on the length alone, never on the horizon asked: a fold is checked on every
    month it has, up to a year, and scores at horizon h read its first h months. A horizon longer
    than the earliest fold can check is refused.
    """
    origins = tuple(n - gap for gap in FOLD_GAPS if n - gap >= MIN_TRAIN)
    # A forecast is shipped only as far ahead as some fold can check it on real months.
    if not origins or horizon > min(STEPS, n - origins[0]):
        raise ModelError(f"{n} months are too few to backtest a {horizon}-month forecast")
    return BacktestPlan(n=n, origins=origins)


def cpu_seconds() -> float:
    """This process's CPU time plus its finished children's (Prophet fits in a Stan subprocess);
    the process's own to the microsecond, the children's to the clock tick (10 ms)."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


def plain_reason(exc: BaseException) -> str:
    """A failure in words a finance user reads; the technical detail goes to the log."""
    if isinstance(exc, ModelError):
        return first_line(exc, limit=200)
    if isinstance(exc, TimeoutError):
        return "the model took too long to fit this series"
    return "the model could not be fitted to this series (its numbers did not converge)"


def _output(
    family: str, model: Forecaster, train: pd.Series, origin: int, steps: int, started: float
) -> FitOutput:
    """A fitted model's checked forecast as an output (or why it failed), with its CPU time."""
    forecast = check_forecast(model.predict(steps, LEVELS), train, steps)
    return FitOutput(
        family, model.name, origin, "ok", forecast.mean, forecast.bands, cpu_seconds() - started
    )


def _failed(family: str, name: str, origin: int, exc: Exception, started: float) -> FitOutput:
    logger.debug("{} failed on {} months: {}", family, origin, first_line(exc, True))
    return FitOutput(
        family, name, origin, "failed", np.empty(0), {}, cpu_seconds() - started,
        plain_reason(exc),
    )


def _later(model: Forecaster, family: str, train: pd.Series) -> Forecaster:
    """The model at a later origin: its parameters re-applied to the longer history where the
    family can (ETS, SARIMA: the new months update its states), else fitted afresh (cheap)."""
    apply = getattr(model, "apply", None)
    if callable(apply):
        applied: Forecaster = apply(train)
        return applied
    return build_candidates(True, len(train))[family].fit(train)


def fit_backtest(family: str, series: pd.Series, origins: Sequence[int]) -> list[FitOutput]:
    """Every backtest fold of one family: estimated once on the earliest fold's window, its
    parameters re-applied at the later origins (no look-ahead: they come from months before
    every origin). Each fold forecasts up to ``STEPS`` months, checked on the months it has."""
    outputs: list[FitOutput] = []
    model: Forecaster | None = None
    for origin in origins:
        train, steps = series.iloc[:origin], min(STEPS, len(series) - origin)
        started = cpu_seconds()
        candidate = build_candidates(True, origin)[family]
        try:
            with quiet_fit():
                model = candidate.fit(train) if model is None else _later(model, family, train)
                outputs.append(_output(family, model, train, origin, steps, started))
        except Exception as exc:  # one failing fit never sinks the metric: it is an output too
            outputs.append(_failed(family, candidate.name, origin, exc, started))
            model = None  # the next fold estimates afresh
    return outputs


def fit_final(family: str, series: pd.Series) -> FitOutput:
    """The final fit: ``family`` estimated on all the months, forecasting the next year."""
    n = len(series)
    candidate = build_candidates(True, n)[family]
    started = cpu_seconds()
    try:
        with quiet_fit():
            return _output(family, candidate.fit(series), series, n, STEPS, started)
    except Exception as exc:  # one failing fit never sinks the metric: it is an output too
        return _failed(family, candidate.name, n, exc, started)
