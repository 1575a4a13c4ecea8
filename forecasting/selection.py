"""One metric's forecast: backtest every family, then combine (shipped) or choose by backtest.

``select_and_forecast`` runs the pieces of ``backtest.py`` in this process (every family on
every fold, and once on all the data) and hands their outputs to ``assemble``, which fits
nothing: it scores, combines or chooses, and calibrates. A scheduler may run the same fits as
separate tasks anywhere and call ``assemble`` on what comes back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, TypedDict

import numpy as np
import pandas as pd

from .backtest import BacktestPlan, FitOutput, fit_final, fit_fold, plan_backtest
from .combine import (
    SHIPPED,
    Combined,
    CombineSettings,
    as_forecast,
    combine_outputs,
    ok_families,
    score_paths,
)
from .errors import ModelError
from .models import FAMILY_LABELS, SEASON, Forecast, build_candidates

__all__ = [
    "CHART_LEVELS",
    "BacktestPlan",
    "CandidateScore",
    "FoldForecast",
    "Method",
    "Selection",
    "assemble",
    "plan_backtest",
    "run_fits",
    "score_folds",
    "select_and_forecast",
]

Method = Literal["combination", "best"]
CHART_LEVELS: Final = (80, 95)


@dataclass(frozen=True)
class FoldForecast:
    """One backtest fold of one candidate: what it predicted from the origin, and what happened."""

    origin: int
    start: pd.Timestamp
    predicted: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True)
class CandidateScore:
    family: str
    name: str
    status: str  # "ok" or "failed"
    reason: str = ""
    mase: float | None = None
    smape: float | None = None
    rmse: float | None = None
    coverage: float | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class Selection:
    """The shipped forecast, every candidate's backtest score, and the backtest folds."""

    best: str
    best_name: str
    scores: list[CandidateScore]
    forecast: Forecast
    dates: pd.DatetimeIndex
    folds: dict[str, list[FoldForecast]]
    plan: BacktestPlan
    notes: list[str] = field(default_factory=list)
    family_seconds: dict[str, float] = field(default_factory=dict)
    method: Method = "combination"
    best_single: str = ""  # the family a choice by backtest would have picked
    coverage: dict[int, float] = field(default_factory=dict)  # shipped bands, in the backtest
    weights: dict[str, float] = field(default_factory=dict)
    seasonal: bool = False  # the final fits learned a yearly season
    level: int = 95  # the level of the folds' bands


class FoldScores(TypedDict):
    mase: float
    smape: float
    rmse: float
    coverage: float


def score_folds(y: np.ndarray, folds: list[FoldForecast]) -> FoldScores:
    """MASE (mean over folds), sMAPE in % (M4 convention), pooled RMSE, interval coverage."""
    smapes: list[float] = []
    errors: list[float] = []
    inside: list[bool] = []
    for fold in folds:
        actual = y[fold.origin : fold.origin + len(fold.predicted)]
        error = actual - fold.predicted
        denom = np.abs(actual) + np.abs(fold.predicted)
        smapes.extend(np.where(denom > 0, 200 * np.abs(error) / np.where(denom > 0, denom, 1), 0))
        errors.extend(error)
        inside.extend((actual >= fold.lower) & (actual <= fold.upper))
    mase = score_paths(y, [f.origin for f in folds], [f.predicted for f in folds])
    return FoldScores(
        mase=mase,
        smape=float(np.mean(smapes)),
        rmse=float(np.sqrt(np.mean(np.square(errors)))),
        coverage=float(np.mean(inside)),
    )


def run_fits(
    series: pd.Series, plan: BacktestPlan, families: Sequence[str] | None = None
) -> tuple[dict[str, list[FitOutput]], dict[str, FitOutput]]:
    """Every family on every fold and on all the data, in this process, one after another."""
    chosen = families or list(build_candidates(True, plan.origins[0]))
    folds = {f: [fit_fold(f, series, origin) for origin in plan.origins] for f in chosen}
    finals = {f: fit_final(f, series) for f in chosen}
    return folds, finals


def _prepare(series: pd.Series, notes: list[str]) -> pd.Series:
    series = series.astype("float64")
    first = series.first_valid_index()
    series = series.loc[first:] if first is not None else series
    if series.isna().any():
        notes.append(
            f"{int(series.isna().sum())} month(s) with no value (a division by zero) "
            "were interpolated."
        )
        series = series.interpolate(limit_direction="both")
    return series


def _plan_notes(series: pd.Series, plan: BacktestPlan) -> list[str]:
    n = len(series)
    notes = []
    if n < 2 * SEASON:
        notes.append(
            f"Seasonal models need 24 months to learn a year; with {n} months the models were"
            " fitted without yearly seasonality."
        )
    elif not plan.seasonal:
        first = series.index[plan.origins[0]].strftime("%b %Y")
        notes.append(
            f"Seasonal models need 24 months to learn a year: the forecast uses them ({n} months),"
            f" but the backtest from {first} had less, so its models were checked without it."
        )
    if len(plan.origins) < len(FOLD_NAMES):
        notes.append(f"Only {len(plan.origins)} backtest origin(s) fit in {n} months.")
    return notes


FOLD_NAMES: Final = ("a year", "8 months", "4 months")


def select_and_forecast(
    series: pd.Series, horizon: int, level: int, method: Method = "combination"
) -> Selection:
    """Backtest every family on ``series``, then combine (or choose), calibrate and forecast."""
    notes: list[str] = []
    series = _prepare(series, notes)
    plan = plan_backtest(len(series), horizon)
    folds, finals = run_fits(series, plan)
    return assemble(series, plan, folds, finals, horizon, level, method, notes=notes)


def assemble(
    series: pd.Series,
    plan: BacktestPlan,
    folds: Mapping[str, Sequence[FitOutput]],
    finals: Mapping[str, FitOutput],
    horizon: int,
    level: int,
    method: Method = "combination",
    settings: CombineSettings = SHIPPED,
    notes: Sequence[str] = (),
) -> Selection:
    """Score every family, combine (or choose the best by backtest), calibrate; fits nothing."""
    y = series.to_numpy(dtype="float64")
    all_notes = [*notes, *_plan_notes(series, plan)]
    ok = ok_families(folds, finals)
    if not ok:
        reasons = "; ".join(
            f"{_name(f, folds, finals)}: {_reason(f, folds, finals)}" for f in folds
        )
        raise ModelError(f"every candidate model failed: {reasons}")
    # The choice by backtest reads the same months as the leaderboard (the horizon's): unlike
    # the combination, the family it picks may change with the horizon.
    at_horizon = {f: score_paths(y, plan.origins, [o.mean for o in folds[f]], horizon) for f in ok}
    best_single = min(ok, key=lambda f: (at_horizon[f], f))
    members = [f for f in settings.members if f in ok] if method == "combination" else []
    if method == "combination" and not members:
        all_notes.append(
            "No combination member could be fitted; the best model by backtest is used."
        )
    shipped = members or [best_single]
    final, fold_paths, weights = combine_outputs(y, plan, folds, finals, shipped, settings)
    family = "combination" if members else best_single
    name = _combination_name(weights) if members else _name(best_single, folds, finals)
    seconds = {f: sum(o.seconds for o in folds[f]) + _final_seconds(f, finals) for f in folds}
    fold_forecasts = _fold_forecasts(series, plan, folds, ok, horizon, level)
    fold_forecasts[family] = [
        FoldForecast(o, series.index[o], *_head(c, horizon, level))
        for o, c in zip(plan.origins, fold_paths, strict=True)
    ]
    scores = _scores(y, folds, finals, fold_forecasts, seconds)
    if members:
        scores.append(CandidateScore(family, name, "ok", **score_folds(y, fold_forecasts[family])))
    coverage = _coverage(y, plan, fold_paths, horizon)
    dates = pd.date_range(series.index[-1] + pd.offsets.MonthBegin(1), periods=horizon, freq="MS")
    return Selection(
        best=family,
        best_name=name,
        scores=scores,
        forecast=as_forecast(final, horizon),
        dates=dates,
        folds=fold_forecasts,
        plan=plan,
        notes=all_notes,
        family_seconds=seconds,
        method=method,
        best_single=best_single,
        coverage=coverage,
        weights=weights,
        seasonal=len(series) >= 2 * SEASON,
        level=level,
    )


def _head(c: Combined, horizon: int, level: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lower, upper = c.bands[level]
    return c.mean[:horizon], lower[:horizon], upper[:horizon]


def _name(
    family: str, folds: Mapping[str, Sequence[FitOutput]], finals: Mapping[str, FitOutput]
) -> str:
    final = finals.get(family)
    if final is not None and final.status == "ok":
        return final.name
    return folds[family][0].name if folds.get(family) else FAMILY_LABELS.get(family, family)


def _reason(
    family: str, folds: Mapping[str, Sequence[FitOutput]], finals: Mapping[str, FitOutput]
) -> str:
    outs = [*folds.get(family, []), *([finals[family]] if family in finals else [])]
    return next((o.reason for o in outs if o.status == "failed"), "")


def _final_seconds(family: str, finals: Mapping[str, FitOutput]) -> float:
    return finals[family].seconds if family in finals else 0.0


def _combination_name(weights: Mapping[str, float]) -> str:
    """Short enough for a chart title; the weights themselves are in the model details."""
    return (
        f"Weighted combination of {len(weights)} models"
        if len(weights) > 1
        else (f"Combination: {FAMILY_LABELS.get(next(iter(weights)), 'one model')} alone")
    )


def _fold_forecasts(
    series: pd.Series,
    plan: BacktestPlan,
    folds: Mapping[str, Sequence[FitOutput]],
    ok: Sequence[str],
    horizon: int,
    level: int,
) -> dict[str, list[FoldForecast]]:
    """Each single family's folds cut to the horizon, with its own (uncalibrated) band."""
    return {
        f: [
            FoldForecast(
                o.origin,
                series.index[o.origin],
                o.mean[:horizon],
                o.bands[level][0][:horizon],
                o.bands[level][1][:horizon],
            )
            for o in folds[f]
        ]
        for f in ok
    }


def _scores(
    y: np.ndarray,
    folds: Mapping[str, Sequence[FitOutput]],
    finals: Mapping[str, FitOutput],
    fold_forecasts: Mapping[str, list[FoldForecast]],
    seconds: Mapping[str, float],
) -> list[CandidateScore]:
    scores = []
    for family in folds:
        name = _name(family, folds, finals)
        if family in fold_forecasts:
            scores.append(
                CandidateScore(
                    family,
                    name,
                    "ok",
                    seconds=seconds[family],
                    **score_folds(y, fold_forecasts[family]),
                )
            )
        else:
            scores.append(
                CandidateScore(
                    family, name, "failed", _reason(family, folds, finals), seconds=seconds[family]
                )
            )
    return scores


def _coverage(
    y: np.ndarray, plan: BacktestPlan, paths: Sequence[Combined], horizon: int
) -> dict[int, float]:
    """How often the shipped bands held the actual month in the backtest, per level."""
    out = {}
    for level in CHART_LEVELS:
        inside: list[bool] = []
        for origin, path in zip(plan.origins, paths, strict=True):
            lower, upper = path.bands[level]
            k = min(horizon, len(path.mean))
            actual = y[origin : origin + k]
            inside.extend((actual >= lower[:k]) & (actual <= upper[:k]))
        out[level] = float(np.mean(inside))
    return out
