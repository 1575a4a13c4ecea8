"""From the fits' outputs to the shipped forecast: combine, calibrate, score; nothing is fitted.

The shipped forecast is the mean of ETS, Theta, SARIMA, Prophet (histories under 60 months) and
seasonal naive, each weighted by 1 / its backtest MASE at the forecast months it is used for
(months 1-3, 4-6 and 7-12 each have their own weights, from the fold months at those steps),
instead of a bet on a single winner (the best of every combination of two to six candidates
under six weightings on the tuning half).
Its bands are the members' weighted spread, scaled by what this series' backtest errors say
about it (the root mean square of its errors over the spread, with the weight of two errors
towards 1) and by a scale per level, history length and forecast month measured on the tuning
half of the benchmark's series (see docs/accuracy.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from .backtest import STEPS, BacktestPlan, FitOutput
from .models import Forecast, sigma_from_bands, z_value
from .scores import mase_scale, score_paths

__all__ = [
    "LENGTH_EDGES",
    "SHIPPED",
    "STEP_EDGES",
    "CombineSettings",
    "Combined",
    "as_forecast",
    "calibrated_bands",
    "combine_outputs",
    "flat_scale",
    "ok_families",
    "step_mase",
    "step_scale",
]


@dataclass(frozen=True)
class CombineSettings:
    """How members are chosen and weighted, and bands calibrated (tuned on the tuning half)."""

    members: tuple[str, ...] = ("ets", "theta", "sarima", "prophet", "seasonal_naive")
    prune_ratio: float = 1e9  # drop a member whose backtest MASE is over this times the best's
    weight_power: float = 1.0  # weight ~ 1 / MASE**power; 0 gives the plain mean
    statistic: str = "mean"  # or "median"
    # Weights per forecast-month block (STEP_EDGES), each from the member's errors at those steps
    # of the backtest folds; False: one MASE over the whole backtest for every month.
    weight_by_step: bool = True
    # Prior weight (in errors) of 1 against this series' own backtest factor: the value whose
    # band scales, measured on one dataset, held their coverage best on the other.
    shrink: float = 2.0
    # A backtest month counts at most this many spreads in the series factor: one month the
    # models could not know (a one-off deal, a price rise inside the folds) widens the band
    # without making it "$0 to ten times the level". Chosen at that shrink by the same rule
    # (leave one dataset out: 0.0159 against 0.0163 uncapped; 95% interval score 6.05, 6.21).
    z_cap: float = 2.5
    # Band scale per level, history length (under 36, 36-59, 60+ months) and forecast month
    # (1-3, 4-6, 7-12): what the tuning half's test errors asked of the spread
    # (benchmarks/accuracy_tune.py).
    scale: tuple[tuple[int, tuple[tuple[float, float, float], ...]], ...] = (
        (80, ((1.399, 1.249, 1.107), (1.232, 1.073, 0.946), (1.164, 0.970, 0.888))),
        (95, ((1.635, 1.553, 1.328), (1.461, 1.240, 1.072), (1.317, 1.070, 0.942))),
    )


LENGTH_EDGES: Final = (36, 60)
STEP_EDGES: Final = (3, 6)
SHIPPED: Final = CombineSettings()


def step_scale(settings: CombineSettings, level: int, n: int, steps: int) -> np.ndarray:
    """The band scale for each forecast month of a history of ``n`` months."""
    table = dict(settings.scale)[level][int(np.searchsorted(LENGTH_EDGES, n, side="right"))]
    buckets = np.searchsorted(STEP_EDGES, np.arange(steps), side="right")
    return np.asarray(table, dtype="float64")[buckets]


def flat_scale(
    value: float = 1.0,
) -> tuple[tuple[int, tuple[tuple[float, float, float], ...]], ...]:
    """A scale table with one value everywhere (the spread as it is)."""
    row = (value, value, value)
    return ((80, (row, row, row)), (95, (row, row, row)))


@dataclass(frozen=True)
class Combined:
    """A forecast path (final or one fold) with its spread and calibrated bands."""

    mean: np.ndarray
    sigma: np.ndarray
    bands: dict[int, tuple[np.ndarray, np.ndarray]]


def ok_families(
    folds: Mapping[str, Sequence[FitOutput]], finals: Mapping[str, FitOutput]
) -> list[str]:
    """Families whose every fold and final fit succeeded."""
    return [
        f
        for f, outs in folds.items()
        if f in finals and finals[f].status == "ok" and all(o.status == "ok" for o in outs)
    ]


def _sigma(out: FitOutput) -> np.ndarray:
    return sigma_from_bands(Forecast(out.mean, out.bands))


def step_mase(
    y: np.ndarray, plan: BacktestPlan, outs: Sequence[FitOutput], whole: float
) -> np.ndarray:
    """A member's backtest MASE for each forecast month: the mean scaled absolute error of the
    fold months in that month's block (each scaled by the history before its fold), pooled over
    the folds; a block no fold reaches takes the whole backtest's MASE."""
    blocks = len(STEP_EDGES) + 1
    total, count = np.zeros(blocks), np.zeros(blocks)
    for origin, out in zip(plan.origins, outs, strict=True):
        k = len(out.mean)
        scaled = np.abs(y[origin : origin + k] - out.mean) / mase_scale(y[:origin])
        block = np.searchsorted(STEP_EDGES, np.arange(k), side="right")
        total += np.bincount(block, scaled, blocks)
        count += np.bincount(block, minlength=blocks)
    by_block = np.where(count > 0, total / np.maximum(count, 1), whole)
    out_steps: np.ndarray = by_block[np.searchsorted(STEP_EDGES, np.arange(STEPS), side="right")]
    return out_steps


def _weights(
    y: np.ndarray,
    plan: BacktestPlan,
    folds: Mapping[str, Sequence[FitOutput]],
    members: Sequence[str],
    settings: CombineSettings,
) -> dict[str, np.ndarray]:
    """Prune members far worse than the best on the whole backtest; weight the rest by 1/MASE,
    forecast month by forecast month (one row of ``STEPS`` weights per member, summing to 1
    over the members at each month)."""
    mase = {f: score_paths(y, plan.origins, [o.mean for o in folds[f]]) for f in members}
    best = min(mase.values())
    kept = [f for f in members if mase[f] <= settings.prune_ratio * best + 1e-12]
    by_step = {
        f: step_mase(y, plan, folds[f], mase[f])
        if settings.weight_by_step
        else np.full(STEPS, mase[f])
        for f in kept
    }
    raw = {f: 1.0 / np.maximum(m, 1e-6) ** settings.weight_power for f, m in by_step.items()}
    total = np.sum(list(raw.values()), axis=0)
    return {f: w / total for f, w in raw.items()}


def _blend(
    outs: Sequence[FitOutput], weights: np.ndarray, statistic: str
) -> tuple[np.ndarray, np.ndarray]:
    """The members' weighted mean (or median) and weighted spread; ``weights`` has a row per
    member and a column per forecast month (a fold's path may be shorter)."""
    means = np.array([o.mean for o in outs])
    sigmas = np.array([_sigma(o) for o in outs])
    w = weights[:, : means.shape[1]]
    mean = np.median(means, axis=0) if statistic == "median" else np.sum(w * means, axis=0)
    return mean, np.sum(w * sigmas, axis=0)


def calibrated_bands(
    mean: np.ndarray, sigma: np.ndarray, factor: float, settings: CombineSettings, n: int
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Normal bands of the spread, times this series' factor and the benchmark's scale for its
    length and each forecast month."""
    bands = {}
    for level, _ in settings.scale:
        half = z_value(level) * step_scale(settings, level, n, len(mean)) * factor * sigma
        bands[level] = (mean - half, mean + half)
    return bands


def _series_factor(
    y: np.ndarray,
    plan: BacktestPlan,
    paths: Sequence[tuple[np.ndarray, np.ndarray]],
    settings: CombineSettings,
) -> float:
    """How much wider (or narrower) the backtest errors were than the spread said, step by step:
    the root mean square of the errors over the spread (each at most ``z_cap`` spreads), shrunk
    towards 1 with the weight of ``shrink`` pseudo-errors."""
    z2: list[float] = []
    for origin, (mean, sigma) in zip(plan.origins, paths, strict=True):
        actual = y[origin : origin + len(mean)]
        ok = sigma > 0
        z2.extend(np.minimum(((actual[ok] - mean[ok]) / sigma[ok]) ** 2, settings.z_cap**2))
    return float(np.sqrt((settings.shrink + np.sum(z2)) / (settings.shrink + len(z2))))


def combine_outputs(
    y: np.ndarray,
    plan: BacktestPlan,
    folds: Mapping[str, Sequence[FitOutput]],
    finals: Mapping[str, FitOutput],
    members: Sequence[str],
    settings: CombineSettings = SHIPPED,
) -> tuple[Combined, list[Combined], dict[str, float]]:
    """The weighted members' final forecast and fold forecasts, all with calibrated bands, and
    each member's weight averaged over the forecast year (what the model details show)."""
    weights = _weights(y, plan, folds, members, settings)
    kept = list(weights)
    w = np.array([weights[f] for f in kept])
    fold_paths = [
        _blend([folds[f][i] for f in kept], w, settings.statistic) for i in range(len(plan.origins))
    ]
    factor = _series_factor(y, plan, fold_paths, settings)
    final_mean, final_sigma = _blend([finals[f] for f in kept], w, settings.statistic)
    final = Combined(
        final_mean, final_sigma, calibrated_bands(final_mean, final_sigma, factor, settings, len(y))
    )
    fold_out = [
        Combined(m, s, calibrated_bands(m, s, factor, settings, origin))
        for origin, (m, s) in zip(plan.origins, fold_paths, strict=True)
    ]
    return final, fold_out, {f: float(np.mean(weights[f])) for f in kept}


def as_forecast(combined: Combined, horizon: int) -> Forecast:
    """The first ``horizon`` months of a combined path, as the report's Forecast."""
    return Forecast(
        combined.mean[:horizon].copy(),
        {lv: (lo[:horizon].copy(), hi[:horizon].copy()) for lv, (lo, hi) in combined.bands.items()},
    )
