"""Rolling-origin backtest of every candidate: MASE, sMAPE, RMSE, coverage; choice; refit."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Final, TypedDict

import numpy as np
import pandas as pd

from .errors import ModelError, first_line
from .models import SEASON, Forecast, build_candidates, check_forecast

__all__ = [
    "BacktestPlan",
    "CandidateScore",
    "FoldForecast",
    "Selection",
    "plan_backtest",
    "select_and_forecast",
]

MAX_FOLDS: Final = 3
MIN_TRAIN: Final = 6
ENSEMBLE_SIZE: Final = 3
CHART_LEVELS: Final = (80, 95)


@dataclass(frozen=True)
class BacktestPlan:
    """Where each fold's training data ends (exclusive), and whether models are seasonal."""

    origins: tuple[int, ...]
    horizon: int
    seasonal: bool


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
    """The chosen model, every candidate's score, the refitted forecast and the backtest folds."""

    best: str
    best_name: str
    scores: list[CandidateScore]
    forecast: Forecast
    dates: pd.DatetimeIndex
    folds: dict[str, list[FoldForecast]]
    plan: BacktestPlan
    notes: list[str] = field(default_factory=list)
    family_seconds: dict[str, float] = field(default_factory=dict)


def plan_backtest(n: int, horizon: int) -> BacktestPlan:
    """Up to 3 origins, spaced by the horizon where the data allows, the shortest training window
    kept at two years when possible so seasonal models are backtested as they will be used."""
    min_train = 2 * SEASON if n - horizon >= 2 * SEASON else MIN_TRAIN
    room = n - horizon - min_train
    if room < 0:
        raise ModelError(f"{n} months are too few to backtest a {horizon}-month forecast")
    folds = min(MAX_FOLDS, room + 1)
    step = min(horizon, room // (folds - 1)) if folds > 1 else 0
    origins = tuple(n - horizon - step * k for k in reversed(range(folds)))
    if origins[0] < 2 * SEASON and n >= 2 * SEASON and n - SEASON not in origins:
        # Too short for seasonal backtests, but a year old: one fold forecasts the same calendar
        # months a year earlier, so a January dip seen twice is not forecast away by a trend.
        origins = tuple(sorted({n - SEASON, *origins[-(MAX_FOLDS - 1) :]}))
    return BacktestPlan(origins=origins, horizon=horizon, seasonal=origins[0] >= 2 * SEASON)


def _mase_scale(train: np.ndarray) -> float:
    lag = SEASON if len(train) >= 2 * SEASON else 1
    scale = float(np.mean(np.abs(train[lag:] - train[:-lag]))) if len(train) > lag else 0.0
    return scale or float(np.mean(np.abs(train))) * 1e-3 or 1.0


class FoldScores(TypedDict):
    mase: float
    smape: float
    rmse: float
    coverage: float


def score_folds(y: np.ndarray, folds: list[FoldForecast]) -> FoldScores:
    """MASE (mean over folds), sMAPE in % (M4 convention), pooled RMSE, interval coverage."""
    mases: list[float] = []
    errors: list[float] = []
    smapes: list[float] = []
    inside: list[bool] = []
    for fold in folds:
        actual = y[fold.origin : fold.origin + len(fold.predicted)]
        error = actual - fold.predicted
        mases.append(float(np.mean(np.abs(error))) / _mase_scale(y[: fold.origin]))
        denom = np.abs(actual) + np.abs(fold.predicted)
        smapes.extend(np.where(denom > 0, 200 * np.abs(error) / np.where(denom > 0, denom, 1), 0))
        errors.extend(error)
        inside.extend((actual >= fold.lower) & (actual <= fold.upper))
    return FoldScores(
        mase=float(np.mean(mases)),
        smape=float(np.mean(smapes)),
        rmse=float(np.sqrt(np.mean(np.square(errors)))),
        coverage=float(np.mean(inside)),
    )


def _levels(level: int) -> tuple[int, ...]:
    return tuple(sorted({*CHART_LEVELS, level}))


def _backtest_family(
    family: str, series: pd.Series, plan: BacktestPlan, level: int
) -> list[FoldForecast]:
    folds = []
    for origin in plan.origins:
        model = build_candidates(plan.seasonal, origin)[family]
        train = series.iloc[:origin]
        fc = check_forecast(
            model.fit(train).predict(plan.horizon, _levels(level)), train, plan.horizon
        )
        folds.append(FoldForecast(origin, series.index[origin], fc.mean, *fc.bands[level]))
    return folds


def _ensemble_folds(members: list[list[FoldForecast]]) -> list[FoldForecast]:
    return [
        FoldForecast(
            group[0].origin,
            group[0].start,
            *(
                np.mean([getattr(f, part) for f in group], axis=0)
                for part in ("predicted", "lower", "upper")
            ),
        )
        for group in zip(*members, strict=True)
    ]


def _average(forecasts: list[Forecast]) -> Forecast:
    levels = forecasts[0].bands
    return Forecast(
        np.mean([f.mean for f in forecasts], axis=0),
        {
            lv: (
                np.mean([f.bands[lv][0] for f in forecasts], axis=0),
                np.mean([f.bands[lv][1] for f in forecasts], axis=0),
            )
            for lv in levels
        },
    )


def _refit(
    family: str, series: pd.Series, plan: BacktestPlan, level: int, members: list[str]
) -> Forecast:
    if family == "ensemble":
        return _average([_refit(m, series, plan, level, []) for m in members])
    model = build_candidates(plan.seasonal, len(series))[family]
    return check_forecast(
        model.fit(series).predict(plan.horizon, _levels(level)), series, plan.horizon
    )


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


def select_and_forecast(series: pd.Series, horizon: int, level: int) -> Selection:
    """Backtest every candidate on ``series``, choose the lowest MASE, refit on all of it."""
    notes: list[str] = []
    series = _prepare(series, notes)
    plan = plan_backtest(len(series), horizon)
    if not plan.seasonal:
        notes.append(
            f"Seasonal models need 24 months in every backtest window; with {len(series)}"
            " months the candidates were fitted without yearly seasonality."
        )
    if len(plan.origins) < MAX_FOLDS:
        notes.append(f"Only {len(plan.origins)} backtest origin(s) fit in {len(series)} months.")
    values = series.to_numpy()
    scores: dict[str, CandidateScore] = {}
    folds: dict[str, list[FoldForecast]] = {}
    seconds: dict[str, float] = {}
    for family, model in build_candidates(plan.seasonal, plan.origins[0]).items():
        started = time.perf_counter()
        try:
            folds[family] = _backtest_family(family, series, plan, level)
            scores[family] = CandidateScore(
                family, model.name, "ok", **score_folds(values, folds[family])
            )
        except Exception as exc:  # one failing model never sinks the metric: say why and go on
            scores[family] = CandidateScore(
                family, model.name, "failed", first_line(exc, limit=200)
            )
        seconds[family] = time.perf_counter() - started
    ranked = sorted((s for s in scores.values() if s.status == "ok"), key=_rank_key)
    if not ranked:
        raise ModelError(
            "every candidate model failed: "
            + "; ".join(f"{s.name}: {s.reason}" for s in scores.values())
        )
    members = [s.family for s in ranked[:ENSEMBLE_SIZE]]
    if len(members) >= 2:
        folds["ensemble"] = _ensemble_folds([folds[m] for m in members])
        scores["ensemble"] = CandidateScore(
            "ensemble",
            f"Mean of {', '.join(scores[m].name for m in members)}",
            "ok",
            **score_folds(values, folds["ensemble"]),
        )
        ranked = sorted((s for s in scores.values() if s.status == "ok"), key=_rank_key)
    forecast, chosen = _refit_best(ranked, series, plan, level, members, notes, seconds)
    dates = pd.date_range(series.index[-1] + pd.offsets.MonthBegin(1), periods=horizon, freq="MS")
    return Selection(
        best=chosen.family,
        best_name=chosen.name,
        scores=list(scores.values()),
        forecast=forecast,
        dates=dates,
        folds=folds,
        plan=plan,
        notes=notes,
        family_seconds=seconds,
    )


def _rank_key(score: CandidateScore) -> tuple[float, float]:
    return (
        score.mase if score.mase is not None else np.inf,
        score.smape if score.smape is not None else np.inf,
    )


def _refit_best(
    ranked: list[CandidateScore],
    series: pd.Series,
    plan: BacktestPlan,
    level: int,
    members: list[str],
    notes: list[str],
    seconds: dict[str, float],
) -> tuple[Forecast, CandidateScore]:
    for candidate in ranked:
        started = time.perf_counter()
        try:
            forecast = _refit(candidate.family, series, plan, level, members)
        except Exception as exc:  # fall back to the next best, and say so
            notes.append(
                f"{candidate.name} could not be refitted on all data "
                f"({first_line(exc, limit=200)}); the next best model was used."
            )
            continue
        finally:
            seconds[candidate.family] = seconds.get(candidate.family, 0.0) + (
                time.perf_counter() - started
            )
        return forecast, candidate
    raise ModelError("no candidate could be refitted on the full history")
