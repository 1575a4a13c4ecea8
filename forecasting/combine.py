"""From the fits' outputs to the shipped forecast: combine, calibrate, score; nothing is fitted.

The shipped forecast is the mean of ETS, Theta, SARIMA, Prophet (histories under 60 months) and
seasonal naive, each weighted by 1 / its backtest MASE, instead of a bet on a single winner (the
best of every combination of two to six candidates under four weightings on the tuning half).
Its bands are the members' weighted spread, scaled by what this series' backtest errors say
about it (the root mean square of its errors over the spread, with the weight of half an error
towards 1) and by a scale per level, history length and forecast month measured on the tuning
half of the benchmark's series (see docs/accuracy.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from .backtest import BacktestPlan, FitOutput
from .models import Forecast, sigma_from_bands, z_value
from .scores import score_paths

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
    "step_scale",
]


@dataclass(frozen=True)
class CombineSettings:
    """How members are chosen and weighted, and bands calibrated (tuned on the tuning half)."""

    members: tuple[str, ...] = ("ets", "theta", "sarima", "prophet", "seasonal_naive")
    prune_ratio: float = 1e9  # drop a member whose backtest MASE is over this times the best's
    weight_power: float = 1.0  # weight ~ 1 / MASE**power; 0 gives the plain mean
    statistic: str = "mean"  # or "median"
    # Prior weight (in errors) of 1 against this series' own backtest factor: the value whose
    # band scales, measured on one dataset, held their coverage best on the other.
    shrink: float = 0.5
    # Band scale per level, history length (under 36, 36-59, 60+ months) and forecast month
    # (1-3, 4-6, 7-12): what the tuning half's test errors asked of the spread
    # (benchmarks/accuracy_tune.py).
    scale: tuple[tuple[int, tuple[tuple[float, float, float], ...]], ...] = (
        (80, ((1.391, 1.216, 1.081), (1.215, 1.054, 0.941), (1.152, 0.995, 0.867))),
        (95, ((1.662, 1.536, 1.364), (1.455, 1.267, 1.041), (1.358, 1.090, 0.965))),
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


def _weights(
    y: np.ndarray,
    plan: BacktestPlan,
    folds: Mapping[str, Sequence[FitOutput]],
    members: Sequence[str],
    settings: CombineSettings,
) -> dict[str, float]:
    """Prune members far worse than the best on the whole backtest; weight the rest by 1/MASE."""
    mase = {f: score_paths(y, plan.origins, [o.mean for o in folds[f]]) for f in members}
    best = min(mase.values())
    kept = [f for f in members if mase[f] <= settings.prune_ratio * best + 1e-12]
    raw = {f: 1.0 / max(mase[f], 1e-6) ** settings.weight_power for f in kept}
    total = sum(raw.values())
    return {f: w / total for f, w in raw.items()}


def _blend(
    outs: Sequence[FitOutput], weights: Sequence[float], statistic: str
) -> tuple[np.ndarray, np.ndarray]:
    means = np.array([o.mean for o in outs])
    sigmas = np.array([_sigma(o) for o in outs])
    w = np.asarray(weights)[:, None]
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
    the root mean square of the errors over the spread, shrunk towards 1 with the weight of
    ``shrink`` pseudo-errors."""
    z2: list[float] = []
    for origin, (mean, sigma) in zip(plan.origins, paths, strict=True):
        actual = y[origin : origin + len(mean)]
        ok = sigma > 0
        z2.extend(((actual[ok] - mean[ok]) / sigma[ok]) ** 2)
    return float(np.sqrt((settings.shrink + np.sum(z2)) / (settings.shrink + len(z2))))


def combine_outputs(
    y: np.ndarray,
    plan: BacktestPlan,
    folds: Mapping[str, Sequence[FitOutput]],
    finals: Mapping[str, FitOutput],
    members: Sequence[str],
    settings: CombineSettings = SHIPPED,
) -> tuple[Combined, list[Combined], dict[str, float]]:
    """The weighted members' final forecast and fold forecasts, all with calibrated bands."""
    weights = _weights(y, plan, folds, members, settings)
    kept = list(weights)
    w = [weights[f] for f in kept]
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
    return final, fold_out, weights


def as_forecast(combined: Combined, horizon: int) -> Forecast:
    """The first ``horizon`` months of a combined path, as the report's Forecast."""
    return Forecast(
        combined.mean[:horizon].copy(),
        {lv: (lo[:horizon].copy(), hi[:horizon].copy()) for lv, (lo, hi) in combined.bands.items()},
    )
