"""Shared fixtures: the seed system's real CSV exports, the generated company sample, and one
full 14-metric report computed once per session (the engine takes ~10 s on 24 months)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from paths import DATA, REPO, SEED_DIR
from threadpoolctl import threadpool_limits

from forecasting import (
    Analysis,
    MetricResult,
    Prepared,
    SourceFile,
    WorkerPool,
    analyse,
    build_report,
    make_worker_pool,
    prepare,
)

SAMPLE_NAME = "sample_financial_data.csv"


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """One BLAS thread in this process, as the engine's workers have (runner.worker_init): on
    2 busy cores, statsmodels' small matrix products with a BLAS thread pool made the in-process
    engine ~5x slower (84 s against 17 s for the seed sample). Results do not depend on it."""
    # scipy brings its own OpenBLAS, loaded with statsmodels: load it first, or it is not limited
    # (run_jobs' own limit misses it that way: see test_runner's xfail on one BLAS thread).
    import scipy.linalg  # noqa: F401
    import statsmodels.tsa.api  # noqa: F401

    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def single_blas_thread() -> Iterator[None]:
    """Use in modules that fit models in this process: see one_blas_thread."""
    with one_blas_thread():
        yield


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    """The replaced system's own sample inputs (tests/data/seed-system)."""
    return SEED_DIR


@pytest.fixture(scope="session")
def sample_csv_bytes(seed_dir: Path) -> bytes:
    """sample_financial_data.csv: 24 monthly rows, 2023-01 .. 2024-12."""
    return (seed_dir / SAMPLE_NAME).read_bytes()


@pytest.fixture(scope="session")
def company_csv() -> Path:
    """The generated 60-month company export shipped in the repo (``make sample`` rebuilds it)."""
    return REPO / "sample_data" / "company_financials.csv"


@pytest.fixture
def data_dir() -> Path:
    """Small good and bad CSVs written for these tests."""
    return DATA


@pytest.fixture(scope="session")
def seasonal_48() -> pd.Series:
    """48 months, fixed seed: trend + a yearly cycle of ±200 around 1,000 + noise of 15, so the
    season dominates. Shared: copy before modifying."""
    rng = np.random.default_rng(7)
    t = np.arange(48)
    values = 1000 + 5 * t + 200 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 15, 48)
    return pd.Series(values, index=pd.date_range("2019-01-01", periods=48, freq="MS"))


@dataclass(frozen=True)
class SampleRun:
    prepared: Prepared
    analysis: Analysis
    progress: list[tuple[MetricResult, int, int]]


@pytest.fixture(scope="session")
def sample_run(sample_csv_bytes: bytes) -> SampleRun:
    """The seed sample through the whole engine once, sequentially: horizon 3, level 95."""
    prepared = prepare([SourceFile(SAMPLE_NAME, sample_csv_bytes)], horizon=3, level=95)
    progress: list[tuple[MetricResult, int, int]] = []
    with one_blas_thread():
        analysis = analyse(prepared, on_result=lambda result, done, total: progress.append(
            (result, done, total)))
    return SampleRun(prepared, analysis, progress)


@pytest.fixture(scope="session")
def sample_prepared(sample_run: SampleRun) -> Prepared:
    return sample_run.prepared


@pytest.fixture(scope="session")
def sample_analysis(sample_run: SampleRun) -> Analysis:
    return sample_run.analysis


@pytest.fixture(scope="session")
def sample_report(sample_run: SampleRun) -> dict[str, Any]:
    """The 'finance_guardian' report of the seed sample. Shared: deep-copy before modifying."""
    return build_report(sample_run.analysis, "finance_guardian")


@pytest.fixture(scope="session")
def worker_pool() -> Iterator[WorkerPool]:
    """The engine's warm pool of 2 workers, shared by the modules that run jobs on one (it
    replaces the workers tests kill, so it stays usable from one test to the next)."""
    pool = make_worker_pool(2)
    yield pool
    pool.shutdown()


def pytest_configure(config: pytest.Config) -> None:
    # Prophet 1.1 calls DataFrame.drop(inplace=True), deprecated by pandas 3: not ours to fix.
    config.addinivalue_line("filterwarnings", "ignore:The inplace keyword:Warning:prophet")
