"""`python -m forecasting bench` and the engine over a real Dask cluster, on the seed sample."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import Executor
from itertools import pairwise
from pathlib import Path
from typing import Any

import distributed  # the test extra installs it
import pytest
from paths import SEED_DIR
from shape import mismatches

from forecasting.bench import compare, forecasts_identical
from forecasting.executors import open_backend
from forecasting.machine import OTHERS_BUSY, cpus_available
from forecasting.models import FAMILY_LABELS
from forecasting.pipeline import Analysis, Prepared, analyse, prepare, source_files_from_paths
from forecasting.pool import WorkerPool, plain_main
from forecasting.report_types import BenchResult
from forecasting.settings import METRICS, RunSettings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
@pytest.fixture(scope="module")
def sample() -> Path:
    return SEED_DIR / "sample_financial_data.csv"


@pytest.fixture(scope="module")
def bench(sample: Path) -> dict[str, Any]:
    """One real bench run: a warm pool of 2, the 14 jobs sequentially and in parallel, once each."""
    done = subprocess.run(
        [sys.executable, "-m", "forecasting", "bench", str(sample), "--workers", "2",
         "--repeat", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_bench_prints_the_comparison_as_json(bench: dict[str, Any]) -> None:
    assert mismatches(bench, BenchResult, "bench") == []
    assert bench["jobs"] == 14
    assert bench["workers"] == 2
    assert bench["identical"] is True, "the pool's forecasts differ from the sequential run's"
    for key in ("sequential_s", "parallel_s", "speedup", "pool_start_s", "serial_s"):
        assert isinstance(bench[key], int | float) and bench[key] > 0, (key, bench[key])
    per_metric = bench["per_metric"]
    assert set(per_metric) == set(METRICS)
    for metric, info in per_metric.items():
        assert isinstance(info["seconds"], int | float) and info["seconds"] > 0, metric
        assert info["model_family"] in FAMILY_LABELS, (metric, info["model_family"])


def test_bench_reports_the_cpu_its_workers_got_and_what_the_speedup_measures(
        bench: dict[str, Any]) -> None:
    """The CPU figures obey what the runs can physically get, and the headline never passes off
    a busy machine or a speedup above the worker count as the engine's."""
    if hasattr(os, "sched_getaffinity"):
        assert bench["cpus_available"] == len(os.sched_getaffinity(0))
    # One job at a time: its worker (and the Stan runs it waits for) hold at most one CPU.
    assert 0 < bench["sequential_cpus"] <= 1.05, bench["sequential_cpus"]
    assert 0 < bench["parallel_cpus"] <= bench["workers"] + 0.05, bench["parallel_cpus"]
    seq, par = bench["sequential_s"], bench["parallel_s"]
    assert f"{par:.1f} s in parallel against {seq:.1f} s one after another" in bench["headline"]
    short = bench["parallel_cpus"] < 0.8 * 2 or bench["sequential_cpus"] < 0.8
    others = bench["other_cpus"]
    assert others is not None and others >= 0, others
    if short and others >= OTHERS_BUSY:
        assert bench["verdict"] == "busy", bench["headline"]
    elif bench["speedup"] > 2 * 1.05:
        assert bench["verdict"] == "above_workers", bench["headline"]
    if bench["verdict"] == "clean":
        assert bench["headline"].startswith(
            f"2 workers finished {seq / par:.1f}x faster: "
            f"{par:.1f} s in parallel against {seq:.1f} s one after another.")
        # Short of CPU with nothing else running: waiting for work, and the headline says so.
        assert ("No other process held the CPUs" in bench["headline"]) == short


def test_a_cpu_burner_beside_the_comparison_is_reported_as_a_busy_machine(
        worker_pool: WorkerPool, data_dir: Path) -> None:
    """One spinning process per CPU beside the runs: the workers cannot get their CPUs, and the
    headline says so instead of quoting the speedup as the engine's."""
    prepared = prepare(source_files_from_paths([str(data_dir / "messy_13_months.csv")]), 3, 95)
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
               for _ in range(cpus_available())]
    try:
        result = compare(prepared, worker_pool, 2)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert result["verdict"] == "busy", result["headline"]
    assert result["parallel_cpus"] < 0.8 * 2
    assert result["other_cpus"] >= OTHERS_BUSY, "the burners' CPU is seen as other processes'"
    # The headline rounds the measured CPUs, the result keeps two decimals of them.
    got = re.match(r"The machine was busy: the workers got (\d\.\d) of 2 CPUs", result["headline"])
    assert got, result["headline"]
    assert float(got[1]) == pytest.approx(result["parallel_cpus"], abs=0.051), result["headline"]
    assert result["identical"] is True


def test_bench_timeline_runs_each_task_once_and_never_two_at_once_on_a_worker(
        bench: dict[str, Any]) -> None:
    timeline = bench["timeline"]
    assert {row["metric"] for row in timeline} == set(METRICS)
    keys = [row["key"] for row in timeline]
    assert len(keys) == len(set(keys)) == bench["tasks"], "a task ran twice or went missing"
    # Finer than a metric: each series' fits are several tasks, so 2 workers share a metric.
    assert bench["tasks"] > len(METRICS)
    lanes: dict[int, list[tuple[float, float, str]]] = defaultdict(list)
    for row in timeline:
        assert 0 <= row["start"] <= row["end"], row
        lanes[row["worker"]].append((row["start"], row["end"], row["metric"]))
    assert len(lanes) <= 2, f"a pool of 2 ran jobs in {len(lanes)} processes"
    for worker, bars in lanes.items():
        bars.sort()
        for (_, end, first), (start, _, second) in pairwise(bars):
            assert start >= end, f"worker {worker} ran {first} and {second} at the same time"


def on_dask_workers(address: str) -> list[int]:
    """The process ids of the cluster's workers."""
    with distributed.Client(address, timeout=30) as client:
        return sorted(client.run(os.getpid).values())


def test_bench_projects_its_measured_tasks_to_64_workers(bench: dict[str, Any]) -> None:
    points = bench["projection"]
    assert [p["workers"] for p in points] == list(range(1, 65))
    assert {p["workers"] for p in points if p["measured"]} == {1, 2}
    for point in points:
        assert set(point) >= {"workers", "wall_s", "speedup", "measured"}
        assert point["wall_s"] > bench["serial_s"], "the serial part is paid on any number"
    one, two = points[0], points[1]
    assert one["speedup"] == 1
    # The measured points carry what was measured on this machine: serial part + each run.
    assert one["measured_wall_s"] == pytest.approx(bench["serial_s"] + bench["sequential_s"],
                                                   abs=1e-3)
    assert two["measured_wall_s"] == pytest.approx(bench["serial_s"] + bench["parallel_s"],
                                                   abs=1e-3)
    # No worker count finishes before the longest task does; more workers never cost time.
    longest = max(bench["task_seconds"].values())
    assert points[63]["wall_s"] >= bench["serial_s"] + longest
    assert points[63]["wall_s"] <= points[1]["wall_s"] <= points[0]["wall_s"]


# --- Dask ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dask_scheduler() -> Iterator[str]:
    """A real two-worker Dask cluster on loopback; its scheduler's address."""
    # Spawned workers re-import __main__; if a Streamlit page run earlier in this session left
    # itself there, they would re-run the page. plain_main hides it while they start.
    with plain_main():
        # Its HTTP server on a free loopback port: None still takes Dask's usual 8787, and warns
        # when another cluster on the machine holds it.
        cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                           host="127.0.0.1", dashboard_address="127.0.0.1:0")
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def prepared(sample: Path) -> Prepared:
    return prepare(source_files_from_paths([str(sample)]), 3, 95)


def test_dask_cluster_gives_the_same_fourteen_forecasts_as_a_sequential_run(
        dask_scheduler: str, prepared: Prepared, sample_analysis: Analysis) -> None:
    """`sample_analysis` (conftest) is the same seed sample run in-process, sequentially. The
    cluster is reached the way the CLI's --dask-scheduler reaches it."""
    with open_backend(RunSettings(dask_scheduler=dask_scheduler)) as backend:
        assert isinstance(backend.executor, Executor)
        on_dask = analyse(prepared, backend)
    assert set(on_dask.results) == set(METRICS)
    failed = {m: r.reason for m, r in on_dask.results.items() if r.status != "ok"}
    assert not failed, failed
    # Which of the two workers ran which job is Dask's choice: not asserted.
    assert {r.worker for r in on_dask.results.values()} <= set(on_dask_workers(dask_scheduler))
    assert on_dask.timing.workers == 2, "the worker count comes from the cluster"

    in_process = sample_analysis
    assert forecasts_identical(on_dask.results, in_process.results), {
        m: (on_dask.results[m].selection.best if on_dask.results[m].selection else None,
            in_process.results[m].selection.best if in_process.results[m].selection else None)
        for m in METRICS}
