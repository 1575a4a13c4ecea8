"""benchmarks/accuracy_pool.py: the pooling grid keeps and weights the members its rules say,
and the shipped method it is measured against is the engine's own combination."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
from members import member
from paths import benchmark_modules

from forecasting.backtest import plan_backtest
from forecasting.combine import SHIPPED, combine_outputs


@pytest.fixture(scope="module")
def pool() -> Iterator[ModuleType]:
    with benchmark_modules("accuracy_pool") as (module,):
        yield module


def _fit(misses: dict[str, np.ndarray], finals: dict[str, float], months: int = 48) -> dict:
    """A saved fit as ``accuracy.py --fits`` stores it, for made-up members."""
    rng = np.random.default_rng(months)
    y = 1000 + 4.0 * np.arange(months + 6) + rng.normal(0, 15, months + 6)
    plan = plan_backtest(months)
    folds, outs = {}, {}
    for family, miss in misses.items():
        folds[family], outs[family] = member(family, y[:months], plan.origins, miss,
                                               finals[family])
    index = pd.date_range("2018-03-01", periods=months, freq="MS")
    case = type("Case", (), {"dataset": "M1", "name": "X", "length": months, "horizon": 6,
                             "train": pd.Series(y[:months], index=index), "test": y[months:]})
    return {"case": case, "plan": plan, "folds": folds, "finals": outs}


def _forecast(pool: ModuleType, fit: dict, **setting: Any) -> np.ndarray:
    (data,) = pool.prepare([fit])
    weights = pool.pooled_weights(data, pool.Pooling(**setting))
    return np.asarray(np.sum(weights * data.finals, axis=0))


FLAT = {"ets": 0.5, "theta": 0.6, "seasonal_naive": 2.0}
LEVELS = {"ets": 1000.0, "theta": 2000.0, "seasonal_naive": 4000.0}


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        # 1/MASE weights 2 : 5/3 : 1/2 over the three, 1000, 2000 and 4000 months ahead.
        ({"rule": "none"}, (2 * 1000 + 5 / 3 * 2000 + 0.5 * 4000) / (2 + 5 / 3 + 0.5)),
        ({"rule": "none", "equal": True}, 7000 / 3),
        ({"rule": "top", "value": 2}, (2 * 1000 + 5 / 3 * 2000) / (2 + 5 / 3)),
        ({"rule": "top", "value": 2, "equal": True}, 1500.0),
        ({"rule": "ratio", "value": 1.1}, 1000.0),  # 0.6 is more than 1.1 x 0.5
        ({"rule": "ratio", "value": 1.3, "equal": True}, 1500.0),  # 2.0 is past 1.3 x 0.5
        ({"rule": "gap"}, (2 * 1000 + 5 / 3 * 2000) / (2 + 5 / 3)),  # 0.6 -> 2.0 is the gap
        ({"rule": "beats_snaive", "equal": True}, 7000 / 3),  # all three are no worse
    ],
)
def test_pool_keeps_and_weights_the_members_its_rule_names(
        pool: ModuleType, setting: dict, expected: float) -> None:
    fit = _fit({f: np.full(12, m) for f, m in FLAT.items()}, LEVELS)
    forecast = _forecast(pool, fit, **setting)
    assert forecast == pytest.approx(np.full(12, expected))


def test_members_worse_than_seasonal_naive_leave_the_pool(pool: ModuleType) -> None:
    fit = _fit({"ets": np.full(12, 0.5), "theta": np.full(12, 3.0),
                "seasonal_naive": np.full(12, 1.0)}, LEVELS)
    assert _forecast(pool, fit, rule="beats_snaive", equal=True) == pytest.approx(
        np.full(12, 2500.0))


def test_pool_per_block_follows_the_member_best_that_far_ahead(pool: ModuleType) -> None:
    steps = np.arange(12)
    near = np.where(steps < 3, 0.2, 2.0)  # right a month or three ahead, far off later
    far = np.where(steps < 3, 2.0, 0.2)
    fit = _fit({"ets": near, "theta": far}, {"ets": 1000.0, "theta": 3000.0})
    by_block = _forecast(pool, fit, rule="top", value=1, per_block=True)
    assert by_block[:3] == pytest.approx(np.full(3, 1000.0))
    assert by_block[3:] == pytest.approx(np.full(9, 3000.0))
    # Once per series the pool is the member with the lower MASE over the whole backtest: the
    # folds check 12, 8 and 4 months, so "far" (0.65, 0.875, 1.55: 1.025 on average) beats
    # "near" (1.55, 1.325, 0.65: 1.175) and gives every month.
    once = _forecast(pool, fit, rule="top", value=1)
    assert once == pytest.approx(np.full(12, 3000.0))


@pytest.mark.parametrize("ratio", [1e9, 1.5])
def test_grid_scores_the_engines_own_combination(pool: ModuleType, ratio: float) -> None:
    # The baseline row of the grid is the engine's combination, and its "ratio, once per
    # series, 1/MASE" rows are the engine's own pruning of members far worse than the best.
    rng = np.random.default_rng(7)
    misses = {f: rng.uniform(0.2, 2.0, 12) for f in ("ets", "theta", "sarima", "seasonal_naive")}
    levels = {f: float(rng.uniform(900, 1100)) for f in misses}
    fit = _fit(misses, levels, months=40)
    y = fit["case"].train.to_numpy()
    combined, _, _ = combine_outputs(y, fit["plan"], fit["folds"], fit["finals"], list(misses),
                                     replace(SHIPPED, prune_ratio=ratio))
    setting = {"rule": "none"} if ratio > 100 else {"rule": "ratio", "value": ratio}
    assert _forecast(pool, fit, **setting) == pytest.approx(combined.mean)
