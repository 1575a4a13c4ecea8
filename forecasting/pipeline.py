"""The engine end to end as plain functions: files -> monthly -> KPIs -> jobs -> results."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

from .ingest import IngestResult, SourceFile, ingest
from .kpis import KpiFrame, compute_kpis
from .runner import ForecastJob, MetricResult, WarmPool, run_jobs
from .settings import METRICS

__all__ = ["Analysis", "Prepared", "RunTiming", "analyse", "build_jobs", "prepare"]

# Relative cost of a job by what it fits, for longest-first ordering before any run has been
# timed: growth_rate refits revenue's candidates, and every job costs about the same otherwise.
_DEFAULT_COST = {"growth_rate": 1.1}


@dataclass(frozen=True)
class Prepared:
    """Everything before the models: the ingested data, its KPIs and the jobs to run."""

    data: IngestResult
    kpis: KpiFrame
    jobs: list[ForecastJob]
    horizon: int
    level: int
    seconds: float


@dataclass(frozen=True)
class RunTiming:
    executor: str
    workers: int
    wall_seconds: float
    cpu_count: int = field(default_factory=lambda: os.cpu_count() or 1)


@dataclass(frozen=True)
class Analysis:
    """Everything the report needs; independent of the narrative mode."""

    prepared: Prepared
    results: dict[str, MetricResult]
    timing: RunTiming


def build_jobs(
    kpis: KpiFrame, horizon: int, level: int, expected_seconds: Mapping[str, float] | None = None
) -> list[ForecastJob]:
    """One job per computable metric, longest expected first so no worker idles at the end."""
    jobs = [
        ForecastJob("growth_rate", kpis.values["revenue"], horizon, level, derive="growth_rate")
        if metric == "growth_rate"
        else ForecastJob(metric, kpis.values[metric], horizon, level)
        for metric in METRICS
        if metric in kpis.values
    ]
    costs = expected_seconds or _DEFAULT_COST
    order = {metric: i for i, metric in enumerate(METRICS)}
    return sorted(jobs, key=lambda j: (-costs.get(j.metric, 1.0), order[j.metric]))


def prepare(
    files: Sequence[SourceFile],
    horizon: int,
    level: int,
    mapping: Mapping[str, str] | None = None,
    expected_seconds: Mapping[str, float] | None = None,
) -> Prepared:
    """Ingest and compute KPIs; raises DataValidationError on unusable input."""
    started = time.perf_counter()
    data = ingest(files, mapping)
    kpis = compute_kpis(data.monthly)
    jobs = build_jobs(kpis, horizon, level, expected_seconds)
    return Prepared(data, kpis, jobs, horizon, level, time.perf_counter() - started)


def analyse(
    prepared: Prepared,
    executor: Executor | WarmPool | None = None,
    executor_name: str = "sequential",
    workers: int = 1,
    on_result: Callable[[MetricResult, int, int], None] | None = None,
) -> Analysis:
    """Run every job (in-process without an executor), calling ``on_result(result, done, total)``
    from this thread as each metric finishes. A WarmPool replaces a dead worker and resubmits."""
    started = time.perf_counter()
    results: dict[str, MetricResult] = {}
    total = len(prepared.jobs)
    stream = (
        executor.run(prepared.jobs)
        if isinstance(executor, WarmPool)
        else run_jobs(prepared.jobs, executor)
    )
    for result in stream:
        results[result.metric] = result
        if on_result is not None:
            on_result(result, len(results), total)
    wall = time.perf_counter() - started
    return Analysis(prepared, results, RunTiming(executor_name, workers, wall))


def source_files_from_paths(paths: Sequence[str]) -> list[SourceFile]:
    """Read files from disk for the CLI and the tests."""
    out = []
    for path in paths:
        with open(path, "rb") as handle:
            out.append(SourceFile(os.path.basename(path), handle.read()))
    return out
