"""A series' forecast: backtest every family, then combine (shipped) or choose by backtest.

``select_and_forecast`` runs a series' fit pieces (``fits.py``) in this process and hands their
outputs to ``assemble``, which fits nothing: it scores, combines or chooses, and calibrates,
with both bands (80% and 95%) everywhere so that the level shown is a choice of display. The
runner runs the same pieces as separate tasks anywhere and assembles what comes back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import pandas as pd

from .backtest import BacktestPlan, FitOutput, plan_backtest
from .combine import SHIPPED, CombineSettings, as_forecast, combine_outputs, ok_families
from .errors import ModelError
from .fits import run_pieces_here
from .formatting import count
from .models import FAMILY_LABELS, SEASON, Forecast
from .outliers import without_one_offs
from .scores import FoldScores, score_folds, score_paths

__all__ = [
    "CHART_LEVELS",
    "BacktestPlan",
    "CandidateScore",
    "FoldForecast",
    "Method",
    "Selection",
    "assemble",
    "plan_backtest",
    "prepare_series",
    "run_fits",
    "scored_candidate",
    "select_and_forecast",
]

Method = Literal["combination", "best"]
CHART_LEVELS: Final = (80, 95)


@dataclass(frozen=True)
class FoldForecast:
    """One backtest fold of one candidate: what it predicted from the origin, with its 80% and
    95% bands; ``lower``/``upper`` read the band at ``level`` (the report's chosen level)."""

    origin: int
    start: pd.Timestamp
    predicted: np.ndarray
    bands: dict[int, tuple[np.ndarray, np.ndarray]]
    level: int = 95

    @property
    def lower(self) -> np.ndarray:
        return self.bands[self.level][0]

    @property
    def upper(self) -> np.ndarray:
        return self.bands[self.level][1]


@dataclass(frozen=True)
class CandidateScore:
    family: str
    name: str
    status: str  # "ok" or "failed"
    reason: str = ""
    mase: float | None = None
    smape: float | None = None
    rmse: float | None = None
    coverage: float | None = None  # of the band at the selection's level
    seconds: float = 0.0
    coverage_80: float | None = None
    coverage_95: float | None = None


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
    level: int = 95  # the level the report shows (both bands are everywhere)


def run_fits(
    series: pd.Series, plan: BacktestPlan, families: Sequence[str] | None = None
) -> tuple[dict[str, list[FitOutput]], dict[str, FitOutput]]:
    """Every family's backtest and final fit, in this process, one piece after another."""
    return run_pieces_here(series, plan, families)


def prepare_series(series: pd.Series) -> tuple[pd.Series, list[str]]:
    """The series as the models see it: ``interpolated_series``, with its one-off months
    (``outliers``) replaced, each said."""
    series, notes = interpolated_series(series)
    series, one_offs = without_one_offs(series)
    return series, notes + one_offs


def interpolated_series(series: pd.Series) -> tuple[pd.Series, list[str]]:
    """Floats, from the first value on, interior gaps (a ratio whose denominator was zero)
    interpolated and said."""
    notes: list[str] = []
    series = series.astype("float64")
    first = series.first_valid_index()
    series = series.loc[first:] if first is not None else series
    if series.isna().any():
        notes.append(
            f"{count(int(series.isna().sum()), 'month')} with no value (a division by zero) "
            f"{'was' if int(series.isna().sum()) == 1 else 'were'} interpolated."
        )
        series = series.interpolate(limit_direction="both")
    return series, notes


FOLD_NAMES: Final = ("a year", "8 months", "4 months")


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
        notes.append(f"Only {count(len(plan.origins), 'backtest origin')} fit in {n} months.")
    return notes


def select_and_forecast(
    series: pd.Series, horizon: int, level: int, method: Method = "combination"
) -> Selection:
    """Backtest every family on ``series``, then combine (or choose), calibrate and forecast."""
    series, notes = prepare_series(series)
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
    ok = _fitted_families(folds, finals)
    # The choice by backtest reads the same months as the leaderboard (the horizon's): unlike
    # the combination, the family it picks may change with the horizon.
    at_horizon = {f: score_paths(y, plan.origins, [o.mean for o in folds[f]], horizon) for f in ok}
    best_single = min(ok, key=lambda f: (at_horizon[f], f))
    members = [f for f in settings.members if f in ok] if method == "combination" else []
    all_notes = [*notes, *_plan_notes(series, plan)]
    if method == "combination" and not members:
        all_notes.append(
            "No combination member could be fitted; the best model by backtest is used."
        )
    final, fold_paths, weights = combine_outputs(
        y, plan, folds, finals, members or [best_single], settings
    )
    family = "combination" if members else best_single
    name = _combination_name(weights) if members else _name(best_single, folds, finals)
    fold_forecasts = _fold_forecasts(series, folds, ok, horizon, level)
    fold_forecasts[family] = [
        _fold(series, o, c.mean, c.bands, horizon, level)
        for o, c in zip(plan.origins, fold_paths, strict=True)
    ]
    seconds = {f: sum(o.seconds for o in folds[f]) + _final_seconds(f, finals) for f in folds}
    scores = _scores(y, folds, finals, fold_forecasts, seconds, level)
    shipped = score_folds(y, fold_forecasts[family])
    if members:
        scores.append(scored_candidate(family, name, shipped, 0.0, level))
    return Selection(
        best=family,
        best_name=name,
        scores=scores,
        forecast=as_forecast(final, horizon),
        dates=_dates_after(series, horizon),
        folds=fold_forecasts,
        plan=plan,
        notes=all_notes,
        family_seconds=seconds,
        method=method,
        best_single=best_single,
        coverage={80: shipped["coverage_80"], 95: shipped["coverage_95"]},
        weights=weights,
        seasonal=len(series) >= 2 * SEASON,
        level=level,
    )


def _fitted_families(
    folds: Mapping[str, Sequence[FitOutput]], finals: Mapping[str, FitOutput]
) -> list[str]:
    """The families with every fold and the final fit in; none at all is the metric's failure,
    with each family's reason."""
    ok = ok_families(folds, finals)
    if not ok:
        reasons = "; ".join(
            f"{_name(f, folds, finals)}: {_reason(f, folds, finals)}" for f in folds
        )
        raise ModelError(f"every candidate model failed: {reasons}")
    return list(ok)


def _dates_after(series: pd.Series, horizon: int) -> pd.DatetimeIndex:
    return pd.date_range(series.index[-1] + pd.offsets.MonthBegin(1), periods=horizon, freq="MS")


def _fold(
    series: pd.Series,
    origin: int,
    mean: np.ndarray,
    bands: Mapping[int, tuple[np.ndarray, np.ndarray]],
    horizon: int,
    level: int,
) -> FoldForecast:
    """A fold cut to the horizon's months, with both bands."""
    cut = {lv: (lo[:horizon], hi[:horizon]) for lv, (lo, hi) in bands.items() if lv in CHART_LEVELS}
    return FoldForecast(origin, series.index[origin], mean[:horizon], cut, level)


def _fold_forecasts(
    series: pd.Series,
    folds: Mapping[str, Sequence[FitOutput]],
    ok: Sequence[str],
    horizon: int,
    level: int,
) -> dict[str, list[FoldForecast]]:
    """Each single family's folds cut to the horizon, with its own (uncalibrated) bands."""
    return {
        f: [_fold(series, o.origin, o.mean, o.bands, horizon, level) for o in folds[f]] for f in ok
    }


def scored_candidate(
    family: str, name: str, scores: FoldScores, seconds: float, level: int
) -> CandidateScore:
    """A candidate that was scored; ``coverage`` is its band's at the shown level."""
    return CandidateScore(
        family, name, "ok",
        mase=scores["mase"], smape=scores["smape"], rmse=scores["rmse"],
        coverage=scores["coverage_95" if level == 95 else "coverage_80"],
        seconds=seconds, coverage_80=scores["coverage_80"], coverage_95=scores["coverage_95"],
    )


def _scores(
    y: np.ndarray,
    folds: Mapping[str, Sequence[FitOutput]],
    finals: Mapping[str, FitOutput],
    fold_forecasts: Mapping[str, list[FoldForecast]],
    seconds: Mapping[str, float],
    level: int,
) -> list[CandidateScore]:
    """Every candidate's backtest scores, or why it failed, in the candidates' order."""
    return [
        scored_candidate(family, _name(family, folds, finals),
                         score_folds(y, fold_forecasts[family]), seconds[family], level)
        if family in fold_forecasts
        else CandidateScore(family, _name(family, folds, finals), "failed",
                            _reason(family, folds, finals), seconds=seconds[family])
        for family in folds
    ]


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
