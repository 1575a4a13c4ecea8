"""Metric jobs over executors: in-process, threads and the real worker pool give the same
forecasts from many small tasks; a bad series, a dead worker or a stuck task never takes the
other metrics down."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from faults import StuckSeries, dies_on_delivery

from forecasting import (
    ForecastJob,
    MetricResult,
    RunSettings,
    WorkerPool,
    analyse,
    build_report,
    dumps,
    loads,
    open_backend,
    run_jobs,
)
from forecasting.fits import plan_pieces
from forecasting.runner import run_job, same_forecast, task_timeline
from forecasting.selection import plan_backtest

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


@pytest.fixture
def process_pool(worker_pool: WorkerPool) -> WorkerPool:
    """The shared pool with every worker up and idle: a replacement for a worker an earlier
    test killed may still be warming up, and a task waiting for it in the queue would be
    cancelled and handed out again by a death these tests cause, counted twice."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        states = worker_pool.worker_states()
        if len(states) == worker_pool.size and set(states.values()) == {"idle"}:
            break
        time.sleep(0.02)
    return worker_pool


def assert_same_forecast(a: MetricResult, b: MetricResult) -> None:
    assert a.status == b.status == "ok"
    assert same_forecast(a, b, tolerance=0.0), a.metric
    assert [(s.family, s.mase) for s in a.selection.scores] == \
        [(s.family, s.mase) for s in b.selection.scores]


def pieces_of(job: ForecastJob) -> int:
    return len(plan_pieces(plan_backtest(len(job.series.dropna()), job.horizon)))


def garbage_jobs() -> list[ForecastJob]:
    index = pd.date_range("2023-01-01", periods=24, freq="MS")
    return [
        ForecastJob("all_missing", pd.Series(np.nan, index=index), 3, 95),
        ForecastJob("three_months", pd.Series([1.0, 2.0, 3.0], index=index[:3]), 3, 95),
    ]


# --- the same numbers on every executor -----------------------------------------------------


def test_threads_give_the_sequential_forecasts(jobs, sequential) -> None:
    with ThreadPoolExecutor(2) as executor:
        results = {r.metric: r for r in run_jobs(jobs, executor, max_in_flight=2)}

    assert set(results) == set(SUBSET)
    for metric in SUBSET:
        assert_same_forecast(results[metric], sequential[metric])
        assert results[metric].worker == os.getpid()  # threads stay in this process


def test_a_settings_run_on_the_pool_gives_the_sequential_forecasts_with_progress_here(
        sample_prepared, sequential, process_pool) -> None:
    """What the page does: its settings through open_backend onto the shared pool. Progress
    arrives in the calling thread (the page's progress bar can only be advanced from there),
    once per metric, as each finishes."""
    prepared = dataclasses.replace(
        sample_prepared, jobs=[j for j in sample_prepared.jobs if j.metric in SUBSET])
    calls: list[tuple[str, int, int, int]] = []
    with open_backend(RunSettings(executor="processes", workers=2), process_pool) as backend:
        analysis = analyse(prepared, backend, lambda result, done, total: calls.append(
            (result.metric, done, total, threading.get_ident())))

    assert [(done, total) for _, done, total, _ in calls] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert {metric for metric, *_ in calls} == set(SUBSET) == set(analysis.results)
    assert {thread for *_, thread in calls} == {threading.get_ident()}
    for metric in SUBSET:
        assert_same_forecast(analysis.results[metric], sequential[metric])
    timeline = task_timeline(analysis.results.values())
    # Two idle workers and two tasks allowed in flight: the pool hands the first two to both.
    assert {row["worker"] for row in timeline[:2]} == set(process_pool.worker_states())
    assert os.getpid() not in {row["worker"] for row in timeline}
    assert process_pool.usable, "a run on the server's pool leaves it open for the next"


def test_a_report_spreads_over_many_more_tasks_than_metrics_and_growth_refits_nothing(
        jobs, process_pool) -> None:
    results = {r.metric: r for r in run_jobs(jobs, process_pool)}
    timeline = task_timeline(results.values())
    keys = [row["key"] for row in timeline]

    assert len(keys) == len(set(keys)), "every task ran once"
    fitted = {job.metric for job in jobs if job.derive is None}
    assert len(keys) == sum(pieces_of(j) for j in jobs if j.metric in fitted) + len(jobs)
    assert len(keys) > 4 * len(jobs)
    # growth_rate is revenue's series: it runs its own combination and nothing else.
    assert [t.key for t in results["growth_rate"].tasks] == ["growth_rate:combine"]
    assert results["growth_rate"].family_seconds == {}
    assert set(results["revenue"].family_seconds) == {s.family for s in
                                                      results["revenue"].selection.scores
                                                      if s.family != "combination"}
    # A worker runs one task at a time: its bars never overlap.
    lanes: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for row in timeline:
        assert 0 <= row["start"] <= row["end"] and row["cpu_s"] >= 0
        lanes[row["worker"]].append((row["start"], row["end"]))
    for bars in lanes.values():
        for (_, end), (start, _) in pairwise(sorted(bars)):
            assert start >= end - 1e-3


def test_garbage_series_fail_with_a_reason_while_the_others_succeed(jobs, process_pool) -> None:
    batch = [*garbage_jobs(), jobs[0]]
    results = {r.metric: r for r in run_jobs(batch, process_pool)}

    assert results[jobs[0].metric].status == "ok"
    assert results["all_missing"].status == "failed"
    assert results["all_missing"].reason.startswith("every candidate model failed")
    assert results["all_missing"].worker not in (0, os.getpid()), "its fits ran in a worker"
    assert results["three_months"].status == "failed"
    assert "3 months are too few to backtest a 3-month forecast" in results["three_months"].reason
    assert results["three_months"].tasks == (), "nothing was fitted for it"
    for metric in ("all_missing", "three_months"):
        assert results[metric].selection is None


# --- a worker that dies or hangs ---------------------------------------------------------------


def test_a_series_whose_worker_dies_once_is_retried_alone_and_gives_its_forecast(
        jobs, sequential, process_pool) -> None:
    revenue = next(job for job in jobs if job.metric == "revenue")
    series, deliveries = dies_on_delivery(revenue.series, times=1)
    others = [job for job in jobs if job.metric in ("ar", "dso")]
    results = list(run_jobs([dataclasses.replace(revenue, series=series), *others],
                            process_pool, max_in_flight=2))

    # Each of revenue's fit pieces and its combination delivered once, the one that died twice;
    # a sibling piece already handed to the pool (two in flight) but not started when its
    # worker died is cancelled and retried with it, so it may be delivered twice too.
    assert pieces_of(revenue) + 2 <= deliveries.count <= pieces_of(revenue) + 3
    assert [r.metric for r in results][-1] == "revenue", "finished after the others"
    by_metric = {r.metric: r for r in results}
    others_done = max(by_metric[m].finished for m in ("ar", "dso"))
    late = [t for t in by_metric["revenue"].tasks if t.started >= others_done - 0.05]
    assert any(not t.key.endswith(":combine") for t in late), "its pieces ran after the others"
    for before, after in pairwise(sorted(late, key=lambda t: t.started)):
        assert after.started >= before.finished - 1e-3, "alone: one piece at a time"
    for metric in ("revenue", "ar", "dso"):
        assert_same_forecast(by_metric[metric], sequential[metric])


def test_a_series_that_kills_every_worker_fails_with_worker_died_and_the_others_complete(
        jobs, sequential, process_pool) -> None:
    revenue = next(job for job in jobs if job.metric == "revenue")
    series, deliveries = dies_on_delivery(revenue.series, times=99)
    others = [job for job in jobs if job.metric in ("ar", "dso")]
    results = {r.metric: r for r in run_jobs([dataclasses.replace(revenue, series=series),
                                              *others], process_pool, max_in_flight=2)}

    assert deliveries.count <= 3, "retried once alone, then the rest of its pieces skipped"
    assert results["revenue"].status == "failed"
    assert results["revenue"].reason.startswith("worker died: the process computing it stopped "
                                                "unexpectedly (exit code 1), also when retried")
    assert results["revenue"].selection is None
    for metric in ("ar", "dso"):
        assert_same_forecast(results[metric], sequential[metric])
    assert process_pool.submit(os.getpid).result(60), "the pool still serves"


def test_a_stuck_metric_fails_at_the_time_limit_and_the_report_completes(
        sample_prepared, sequential, process_pool) -> None:
    jobs = [dataclasses.replace(j, series=StuckSeries(j.series)) if j.metric == "revenue" else j
            for j in sample_prepared.jobs if j.metric in ("revenue", "ar", "dso")]
    prepared = dataclasses.replace(sample_prepared, jobs=jobs)
    before = set(process_pool.worker_states())
    with open_backend(RunSettings(time_limit=3), process_pool) as backend:
        analysis = analyse(prepared, backend)
    report = loads(dumps(build_report(analysis, "finance_guardian")))["full_analysis_report"]

    health = report["model_health_report"]
    assert health["revenue"]["status"] == "failed"
    assert health["revenue"]["reason"] == (
        "took longer than 3 s, its time limit; it was stopped and its worker process replaced")
    assert report["forecast_chart"]["revenue"] == []
    for metric in ("ar", "dso"):
        assert health[metric]["status"] == "ok"
        assert_same_forecast(analysis.results[metric], sequential[metric])
    stopped = {t.worker for t in analysis.results["revenue"].tasks}
    assert stopped and stopped <= before
    deadline = time.monotonic() + 60
    while stopped & set(process_pool.worker_states()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not stopped & set(process_pool.worker_states()), "the stuck workers are replaced"


def test_a_broken_standard_process_pool_fails_the_job_instead_of_hanging(jobs) -> None:
    """Any executor works: a standard pool breaks as a whole when a worker dies; the runner
    reports the job and returns."""
    series, _ = dies_on_delivery(jobs[0].series, times=99)
    with ProcessPoolExecutor(1) as pool:
        results = list(run_jobs([dataclasses.replace(jobs[0], series=series)], pool))

    assert [(r.metric, r.status) for r in results] == [(jobs[0].metric, "failed")]
    assert results[0].reason.startswith("worker died")


# Run in a fresh process: the forkserver is one per process, started by its first pool, so a
# pool made earlier in this one without the template would have started it without.
_FIRST_AND_REPLACEMENT = """
import json, os, signal, time
from threadpoolctl import threadpool_info
from forecasting.runner import make_worker_pool

def state(pool):  # the worker's pid, the CPU it has used since it started, its BLAS threads
    pid = pool.submit(os.getpid).result(timeout=120)
    cpu = pool.submit(time.process_time).result(timeout=120)
    info = pool.submit(threadpool_info).result(timeout=120)
    return pid, cpu, max(i["num_threads"] for i in info if i["user_api"] == "blas")

with make_worker_pool(1) as pool:
    first = state(pool)
    os.kill(first[0], signal.SIGKILL)
    for _ in range(600):  # a task can still reach the dying worker: ask until the new one answers
        try:
            if pool.submit(os.getpid).result(timeout=120) != first[0]:
                break
        except Exception:  # the death, reported on the task that reached it
            time.sleep(0.1)
    print(json.dumps([first, state(pool)]))
"""


def test_a_worker_and_its_replacement_start_ready_from_a_warm_template() -> None:
    """Importing the model libraries and a warm-up fit cost a fresh worker about 1.7 s of CPU.
    Done once in the template the workers are forked from, a worker, and the replacement for
    one that died, has used a small part of that when its first task arrives (0.03 s here),
    and runs with one BLAS thread."""
    done = subprocess.run([sys.executable, "-c", _FIRST_AND_REPLACEMENT], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    first, second = json.loads(done.stdout.strip().splitlines()[-1])
    assert second[0] != first[0]
    for pid, cpu, blas in (first, second):
        assert cpu < 0.5, f"worker {pid} had used {cpu:.2f} s of CPU before its first task"
        assert blas == 1


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
