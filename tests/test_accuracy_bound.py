"""benchmarks/accuracy_bound.py: the best fixed weights it reports are the best, and its bound is
the mean MASE those weights give."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import numpy as np
import pytest
from paths import benchmark_modules


@pytest.fixture(scope="module")
def bound() -> Iterator[ModuleType]:
    with benchmark_modules("accuracy_bound") as (module,):
        yield module


def _cases(rng: np.random.Generator, n: int = 30) -> tuple[list, list, list]:
    forecasts = [rng.normal(100, 10, (3, int(rng.integers(3, 13)))) for _ in range(n)]
    scales = list(rng.uniform(0.5, 5.0, n))
    return forecasts, scales, [f.shape[1] for f in forecasts]


def _mean_mase(weights: np.ndarray, actual: list, forecasts: list, scales: list) -> float:
    return float(np.mean([np.mean(np.abs(a - weights @ f)) / s
                          for a, f, s in zip(actual, forecasts, scales, strict=True)]))


def test_recovers_the_weights_an_exact_mix_was_made_with(bound: ModuleType) -> None:
    forecasts, scales, _ = _cases(np.random.default_rng(1))
    actual = [0.3 * f[0] + 0.7 * f[1] for f in forecasts]
    weights, best = bound.best_fixed_weights(actual, forecasts, scales)
    np.testing.assert_allclose(weights, [0.3, 0.7, 0.0], atol=1e-6)
    assert best == pytest.approx(0.0, abs=1e-8)


def test_no_other_weighting_is_better_than_the_bound(bound: ModuleType) -> None:
    rng = np.random.default_rng(2)
    forecasts, scales, months = _cases(rng)
    actual = [0.5 * f[0] + 0.5 * f[2] + rng.normal(0, 8, m)
              for f, m in zip(forecasts, months, strict=True)]
    weights, best = bound.best_fixed_weights(actual, forecasts, scales)
    assert weights.min() >= -1e-9 and weights.sum() == pytest.approx(1.0)
    assert best == pytest.approx(_mean_mase(weights, actual, forecasts, scales), rel=1e-6)
    others = [np.eye(3)[i] for i in range(3)] + list(rng.dirichlet(np.ones(3), 200))
    assert best <= min(_mean_mase(w, actual, forecasts, scales) for w in others) + 1e-9
