"""Many users on one server: four sessions forecast four different exports at once on the
server's one pool, a worker is killed mid-run and its replacement killed while it warms up,
and every session still gets its own, correct report.

Each session runs what the page runs for a report (``pipeline.forecast`` on the shared pool,
then ``build_report``); Streamlit's AppTest cannot run sessions concurrently (it swaps one
process-wide runtime per run), so the sessions are threads here, as they are in a server.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecasting import (
    Analysis,
    ForecastJob,
    MetricResult,
    RunSettings,
    SourceFile,
    WorkerPool,
    build_report,
    forecast,
    prepare,
)
from forecasting.logging_setup import logger
from forecasting.runner import run_job
from forecasting.settings import METRICS

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("single_blas_thread")]

HEADERS = (
    {"date": "Transaction Date", "revenue": "Sales Revenue", "expenses": "Operating Costs",
     "profit": "Net Profit", "cashflow": "Cash Flow from Operations",
     "ar": "Accounts Receivable", "ap": "Accounts Payable", "assets": "Total Assets",
     "liabilities": "Total Liabilities"},
    {"date": "Month", "revenue": "Sales", "expenses": "Costs", "profit": "Net Profit",
     "cashflow": "Operating Cash Flow", "ar": "Receivables", "ap": "Payables",
     "assets": "Assets", "liabilities": "Liabilities"},
)
SEPARATORS = (",", ";", "\t", "|")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%b %Y", "%Y-%m-%d")


@dataclass(frozen=True)
class Company:
    name: str
    months: int
    start: pd.Timestamp
    data: bytes


# What each export holds beside the date, revenue and expenses: fewer columns, fewer metrics
# to forecast (6 or 8 jobs a session), so four sessions stay affordable in the test suite.
EXTRA_COLUMNS = ((), ("ar",), (), ("assets", "liabilities"))


def company(k: int) -> Company:
    """Company ``k``: its own length, start, scale (10^k), separator, headers, date format,
    columns and row order, so a report handed to the wrong session cannot pass for its own."""
    rng = np.random.default_rng(100 + k)
    months, scale = 26 + 2 * k, 10.0**k
    start = pd.Timestamp("2020-01-01") + pd.DateOffset(months=5 * k)
    dates = pd.date_range(start, periods=months, freq="MS")
    if DATE_FORMATS[k] != "%b %Y":
        dates = dates + pd.offsets.MonthEnd(0) if k % 2 == 0 else dates + pd.Timedelta(days=14)
    t = np.arange(months)
    revenue = scale * (1000 + 12 * t + 150 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 20, months))
    expenses = revenue * (0.55 + 0.05 * k) + scale * rng.normal(0, 10, months)
    assets = scale * (5000 + 30 * t + rng.normal(0, 40, months))
    every = {
        "revenue": revenue, "expenses": expenses, "ar": revenue * (1 + 0.3 * k),
        "assets": assets, "liabilities": assets * (0.3 + 0.1 * k),
    }
    columns = {c: every[c] for c in ("revenue", "expenses", *EXTRA_COLUMNS[k])}
    names = HEADERS[k % 2]
    order = list(columns)
    rng.shuffle(order)
    frame = pd.DataFrame({names["date"]: [d.strftime(DATE_FORMATS[k]) for d in dates]}
                         | {names[c]: np.round(columns[c]) for c in order})
    rows = frame.index.to_numpy()
    if k == 1:
        rows = rows[::-1]
    elif k >= 2:
        rows = rng.permutation(rows)
    text = frame.loc[rows].to_csv(sep=SEPARATORS[k], index=False)
    return Company(f"export-{k}-{'abcd'[k]}.csv", months, start, text.encode())


@pytest.fixture(scope="module")
def companies() -> list[Company]:
    return [company(k) for k in range(4)]


@pytest.fixture
def server_pool(worker_pool: WorkerPool) -> WorkerPool:
    """What the page's get_pool() keeps: one warm pool for every session of the server."""
    return worker_pool


def died_jobs() -> tuple[list[str], Any]:
    """Which metrics lost their worker (the engine's structured log), while the test runs."""
    died: list[str] = []
    logger.enable("forecasting")

    def sink(message: Any) -> None:
        extra = message.record["extra"]
        if extra.get("event") == "task" and extra.get("outcome") == "died":
            died.append(extra["key"])

    return died, logger.add(sink, level="WARNING")


class Killer(threading.Thread):
    """Once the sessions have some results, kills a busy worker; then kills its replacement
    while it warms up (a death during the pool's repair)."""

    def __init__(self, pool: WorkerPool, started: threading.Event) -> None:
        super().__init__(daemon=True)
        self.pool, self.started = pool, started
        self.killed: list[tuple[int, str]] = []

    def _find(self, state: str) -> int:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            pid = next((p for p, s in self.pool.worker_states().items() if s == state), 0)
            if pid:
                return pid
            time.sleep(0.01)
        return 0

    def run(self) -> None:
        self.started.wait(240)
        for state in ("busy", "starting"):
            pid = self._find(state)
            if pid:
                os.kill(pid, signal.SIGKILL)
                self.killed.append((pid, state))


def run_sessions(pool: WorkerPool, companies: list[Company]) -> list[tuple[Analysis, dict]]:
    done = [0]
    lock = threading.Lock()
    some_results = threading.Event()
    barrier = threading.Barrier(len(companies))
    out: list[Any] = [None] * len(companies)

    def counted(result: MetricResult, finished: int, total: int) -> None:
        with lock:
            done[0] += 1
            if done[0] >= 6:
                some_results.set()

    def session(k: int) -> None:
        settings = RunSettings(horizon=3, level=95, executor="processes", workers=2)
        prepared = prepare([SourceFile(companies[k].name, companies[k].data)], 3, 95)
        barrier.wait(60)
        analysis = forecast(prepared, settings, pool, counted)
        out[k] = (analysis, build_report(analysis, settings.mode))

    killer = Killer(pool, some_results)
    killer.start()
    threads = [threading.Thread(target=session, args=(k,)) for k in range(len(companies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    killer.join(60)
    assert [state for _, state in killer.killed] == ["busy", "starting"], killer.killed
    assert all(item is not None for item in out), "a session did not finish"
    return out


def reference(company: Company, metric: str) -> MetricResult:
    """The metric for this export alone, in this process."""
    prepared = prepare([SourceFile(company.name, company.data)], 3, 95)
    job = next(j for j in prepared.jobs if j.metric == metric)
    return run_job(ForecastJob(job.metric, job.series, job.horizon, job.level, job.derive))


def same_forecast(a: MetricResult, b: MetricResult) -> bool:
    assert a.selection is not None and b.selection is not None
    return a.selection.best == b.selection.best and all(
        np.array_equal(x, y) for x, y in zip(
            [a.selection.forecast.mean, *a.selection.forecast.bands[95]],
            [b.selection.forecast.mean, *b.selection.forecast.bands[95]], strict=True))


def test_four_sessions_at_once_each_get_their_own_correct_report_despite_killed_workers(
        server_pool: WorkerPool, companies: list[Company]) -> None:
    replaced_before = server_pool.replacements
    died, sink = died_jobs()
    try:
        sessions = run_sessions(server_pool, companies)
    finally:
        logger.remove(sink)

    assert len(died) <= 1, f"one worker was killed mid-job, yet {died} lost their worker"
    checked = ["revenue", *died]
    for k, (analysis, report) in enumerate(sessions):
        body = report["full_analysis_report"]
        own = companies[k]
        assert body["metadata"]["source_files"] == [own.name]
        assert body["metadata"]["months"] == own.months
        assert body["metadata"]["data_start_date"][:7] == own.start.strftime("%Y-%m")
        health = body["model_health_report"]
        attempted = {job.metric for job in analysis.prepared.jobs}
        assert len(attempted) == (6, 8, 6, 8)[k], attempted
        assert {m: h["status"] for m, h in health.items()} == {
            m: "ok" if m in attempted else "skipped" for m in METRICS}, \
            {m: h.get("reason") for m, h in health.items() if h["status"] == "failed"}
        # Money forecasts at this company's own scale (10^k): another session's would be
        # 10x off or more.
        for metric in sorted({"revenue", "expenses", "ar"} & attempted):
            last = float(analysis.prepared.kpis.values[metric].iloc[-1])
            first = body["forecast_chart"][metric][0]["predicted"]
            assert 0.5 < first / last < 2, (k, metric, first, last)
        for metric in (m for m in checked if m in attempted):
            assert same_forecast(analysis.results[metric], reference(own, metric)), (k, metric)
    assert server_pool.usable and server_pool.replacements - replaced_before == 2
