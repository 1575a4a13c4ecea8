"""Jobs over executors: sequential, threads and a real process pool give the same forecasts;
one bad job or one dead worker never takes the batch down."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecasting import ForecastJob, MetricResult, WarmPool, make_process_pool, run_jobs
from forecasting.runner import run_job

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("single_blas_thread")]

# Four of the seed sample's 14 jobs, growth_rate (derived from revenue) among them.
SUBSET = ("growth_rate", "revenue", "dso", "ar")


@pytest.fixture(scope="module")
def jobs(sample_prepared) -> list[ForecastJob]:
    return [job for job in sample_prepared.jobs if job.metric in SUBSET]


@pytest.fixture(scope="module")
def sequential(sample_analysis) -> dict[str, MetricResult]:
    """The session's sequential run (executor None) of the same jobs."""
    return {metric: sample_analysis.results[metric] for metric in SUBSET}


@pytest.fixture(scope="module")
def process_pool() -> Iterator[Any]:
    pool = make_process_pool(2)
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


def assert_same_forecast(a: MetricResult, b: MetricResult) -> None:
    assert a.status == b.status == "ok"
    assert a.selection is not None and b.selection is not None
    assert a.selection.best == b.selection.best
    assert list(a.selection.dates) == list(b.selection.dates)
    assert np.array_equal(a.selection.forecast.mean, b.selection.forecast.mean)
    for level, (lower, upper) in a.selection.forecast.bands.items():
        assert np.array_equal(lower, b.selection.forecast.bands[level][0])
        assert np.array_equal(upper, b.selection.forecast.bands[level][1])
    assert [(s.family, s.mase) for s in a.selection.scores] == \
        [(s.family, s.mase) for s in b.selection.scores]


def garbage_jobs() -> list[ForecastJob]:
    index = pd.date_range("2023-01-01", periods=24, freq="MS")
    return [
        ForecastJob("all_missing", pd.Series(np.nan, index=index), 3, 95),
        ForecastJob("three_months", pd.Series([1.0, 2.0, 3.0], index=index[:3]), 3, 95),
    ]


class DiesOnDelivery:
    """A series whose pickle makes the receiving worker process exit at once, as a worker killed
    by the OOM killer would. With ``times=1`` the second delivery is the real series."""

    def __init__(self, series: pd.Series, times: int) -> None:
        self.series = series
        self.times = times
        self.deliveries = 0

    def __reduce_ex__(self, protocol: Any) -> Any:  # runs in this process, once per submission
        self.deliveries += 1
        if self.deliveries <= self.times:
            return (os._exit, (1,))
        return (pickle.loads, (pickle.dumps(self.series, protocol),))


# --- the same numbers on every executor -----------------------------------------------------


def test_sequential_results_carry_this_process_and_their_timing(sequential) -> None:
    for result in sequential.values():
        assert result.worker == os.getpid()
        assert 0 < result.started < result.finished
        assert result.family_seconds


def test_progress_is_reported_once_per_metric_in_order(sample_run) -> None:
    dones = [done for _, done, _ in sample_run.progress]
    assert dones == list(range(1, 15))
    assert {total for _, _, total in sample_run.progress} == {14}
    assert {result.metric for result, _, _ in sample_run.progress} == \
        set(sample_run.analysis.results)


def test_threads_give_the_sequential_forecasts(jobs, sequential) -> None:
    with ThreadPoolExecutor(2) as executor:
        results = {r.metric: r for r in run_jobs(jobs, executor)}

    assert set(results) == set(SUBSET)
    for metric in SUBSET:
        assert_same_forecast(results[metric], sequential[metric])
        assert results[metric].worker == os.getpid()  # threads stay in this process


def test_process_pool_gives_the_sequential_forecasts_on_two_workers(
        jobs, sequential, process_pool) -> None:
    results = {r.metric: r for r in run_jobs(jobs, process_pool)}

    assert set(results) == set(SUBSET)
    for metric in SUBSET:
        assert_same_forecast(results[metric], sequential[metric])
        assert results[metric].started < results[metric].finished
    workers = {r.worker for r in results.values()}
    assert len(workers) == 2
    assert os.getpid() not in workers


def test_garbage_series_fail_with_a_reason_while_the_others_succeed(jobs, process_pool) -> None:
    batch = [*garbage_jobs(), jobs[0]]
    results = {r.metric: r for r in run_jobs(batch, process_pool)}

    assert results[jobs[0].metric].status == "ok"
    assert results["all_missing"].status == "failed"
    assert results["all_missing"].reason.startswith("ModelError: every candidate model failed")
    assert results["three_months"].status == "failed"
    assert "3 months are too few to backtest a 3-month forecast" in results["three_months"].reason
    for metric in ("all_missing", "three_months"):
        assert results[metric].selection is None
        assert results[metric].worker not in (0, os.getpid())


def test_run_job_never_raises() -> None:
    result = run_job(garbage_jobs()[1])
    assert result.status == "failed"
    assert result.started <= result.finished


# --- a worker that dies ---------------------------------------------------------------------


def test_a_dead_worker_is_replaced_and_its_jobs_rerun(jobs, sequential) -> None:
    revenue = next(job for job in jobs if job.metric == "revenue")
    killer = ForecastJob("revenue", DiesOnDelivery(revenue.series, times=1), 3, 95)
    others = [job for job in jobs if job.metric == "ar"]
    pool = WarmPool(1)
    try:
        results = list(pool.run([killer, *others]))
    finally:
        pool.shutdown()

    assert pool.rebuilds == 1
    assert sorted(r.metric for r in results) == ["ar", "revenue"]
    by_metric = {r.metric: r for r in results}
    for metric in ("revenue", "ar"):
        assert_same_forecast(by_metric[metric], sequential[metric])


def test_a_job_that_kills_every_worker_fails_instead_of_hanging(jobs) -> None:
    killer = ForecastJob("revenue", DiesOnDelivery(jobs[0].series, times=99), 3, 95)
    pool = make_process_pool(1, warm=False)
    try:
        results = list(run_jobs([killer], pool))
    finally:
        pool.shutdown(wait=True)

    assert [(r.metric, r.status) for r in results] == [("revenue", "failed")]
    assert results[0].reason == "a worker process died while fitting"


def test_warm_pool_recovers_on_the_next_run_after_its_workers_died(jobs) -> None:
    killer = ForecastJob("revenue", DiesOnDelivery(jobs[0].series, times=99), 3, 95)
    pool = WarmPool(1)
    try:
        first = list(pool.run([killer]))  # dies, rebuilt once, dies again: the pool is broken
        assert [r.status for r in first] == ["failed"]
        assert pool.rebuilds == 1
        second = list(pool.run([jobs[0]]))  # e.g. the next dashboard run on the cached pool
    finally:
        pool.shutdown()

    assert [r.status for r in second] == ["ok"]


def test_in_process_run_uses_one_blas_thread_from_the_first_run() -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("OpenBLAS uses one thread on a one-core machine anyway")
    # A job that every candidate fails on, fast: the fits still load statsmodels and scipy.
    code = (
        "import numpy as np, pandas as pd\n"
        "from threadpoolctl import threadpool_info\n"
        "from forecasting import ForecastJob, run_jobs\n"
        "y = pd.Series(np.nan, index=pd.date_range('2020-01-01', periods=9, freq='MS'))\n"
        "for result in run_jobs([ForecastJob('revenue', y, 3, 95)]):\n"
        "    print(max(i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'))\n"
    )
    # Four BLAS threads by default (as many as the cores allow), so the limit has work to do.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "4"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1"]


def test_days_outstanding_forecast_never_goes_below_zero() -> None:
    """A collapsing DSO must not be forecast at -3 days; a cash flow may go negative."""
    index = pd.date_range("2022-01-01", periods=30, freq="MS")
    falling = pd.Series(np.linspace(60, 2, 30) + np.random.default_rng(3).normal(0, 2, 30),
                        index=index)
    dso, cash = (run_job(ForecastJob(metric, falling, 6, 95)) for metric in ("dso", "cashflow"))

    assert dso.selection is not None and cash.selection is not None
    low, high = dso.selection.forecast.bands[95]
    assert (dso.selection.forecast.mean >= 0).all() and (low >= 0).all() and (high >= 0).all()
    assert (cash.selection.forecast.bands[95][0] < 0).any()  # the same path, unfloored
