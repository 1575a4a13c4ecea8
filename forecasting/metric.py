"""One metric's shipped forecast from its series' fits, as one small task: combine or choose
(``selection.assemble``), derive growth_rate from revenue's, floor what cannot be negative, and
refuse non-finite numbers. Nothing here fits a model."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from .backtest import BacktestPlan, FitOutput, cpu_seconds
from .errors import first_line
from .growth import derive_growth
from .kpis import NON_NEGATIVE
from .models import Forecast
from .selection import Selection, assemble

__all__ = ["Assembled", "MetricRequest", "assemble_metric", "finish_selection"]

Derive = Literal["growth_rate"] | None


@dataclass(frozen=True)
class MetricRequest:
    """Everything a metric's last step needs: its prepared series, its backtest plan, its
    series' fits, and what the user asked for."""

    metric: str
    series: pd.Series
    plan: BacktestPlan
    folds: Mapping[str, Sequence[FitOutput]]
    finals: Mapping[str, FitOutput]
    horizon: int
    level: int
    derive: Derive = None
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Assembled:
    """A metric's shipped forecast, or why there is none; where and when it was assembled."""

    metric: str
    selection: Selection | None
    reason: str
    worker: int
    started: float
    finished: float
    cpu_seconds: float
    host: str = ""  # the machine it ran on (a Dask cluster spans several)


def finish_selection(
    selection: Selection, metric: str, derive: Derive, series: pd.Series
) -> Selection:
    """From the series' forecast to the metric's: growth_rate derived from revenue's forecast,
    a metric that cannot be negative floored at zero (bands and backtest too), non-finite
    numbers refused."""
    if derive == "growth_rate":
        selection = derive_growth(selection, series)
    if metric in NON_NEGATIVE:
        selection = _floor_at_zero(selection)
    _check_finite(selection)
    return selection


def assemble_metric(request: MetricRequest) -> Assembled:
    """The task: never raises; a metric that cannot be forecast is a result with the reason."""
    started, cpu = time.time(), cpu_seconds()
    selection: Selection | None = None
    reason = ""
    try:
        selection = assemble(
            request.series, request.plan, request.folds, request.finals, request.horizon,
            request.level, notes=request.notes,
        )
        selection = finish_selection(selection, request.metric, request.derive, request.series)
    except Exception as exc:  # per-metric isolation: one metric failing never fails the batch
        selection, reason = None, first_line(exc, with_type=True)
    return Assembled(
        request.metric, selection, reason, os.getpid(), started, time.time(),
        cpu_seconds() - cpu, socket.gethostname(),
    )


def _floor(values: np.ndarray) -> np.ndarray:
    floored: np.ndarray = np.maximum(values, 0.0)
    return floored


def _floor_at_zero(selection: Selection) -> Selection:
    """Revenue, receivables, days outstanding cannot be negative: neither can their bands."""
    fc = selection.forecast
    floored = Forecast(
        _floor(fc.mean), {lv: (_floor(lo), _floor(hi)) for lv, (lo, hi) in fc.bands.items()}
    )
    return replace(selection, forecast=floored)


def _check_finite(selection: Selection) -> None:
    arrays = [selection.forecast.mean, *[b for p in selection.forecast.bands.values() for b in p]]
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise ValueError("the forecast holds non-finite numbers")
