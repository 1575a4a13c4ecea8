"""The engine end to end as plain functions: files -> monthly -> KPIs -> jobs -> results."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from .entities import EntityPlan, entity_jobs, plan_entities
from .executors import IN_PROCESS, Backend, open_backend
from .ingest import IngestResult, SourceFile, ingest
from .kpis import KpiFrame, compute_kpis
from .logging_setup import logger
from .pool import WorkerPool
from .runner import ForecastJob, MetricResult, run_jobs
from .settings import METRICS, RunSettings

__all__ = [
    "Analysis",
    "Prepared",
    "RunTiming",
    "analyse",
    "analysis_of",
    "build_jobs",
    "forecast",
    "prepare",
    "with_entities",
]


@dataclass(frozen=True)
class Prepared:
    """Everything before the models: the ingested data, its KPIs and the jobs to run; with
    ``entities``, per-entity forecasts too (their jobs follow the company's)."""

    data: IngestResult
    kpis: KpiFrame
    jobs: list[ForecastJob]
    horizon: int
    level: int
    seconds: float
    entities: EntityPlan | None = None


@dataclass(frozen=True)
class RunTiming:
    executor: str
    workers: int
    wall_seconds: float
    cpu_count: int = field(default_factory=lambda: os.cpu_count() or 1)


@dataclass(frozen=True)
class Analysis:
    """Everything the report needs; independent of the narrative mode. ``results`` are the
    company's metrics; ``entity_results`` each entity's, by entity label, then metric."""

    prepared: Prepared
    results: dict[str, MetricResult]
    timing: RunTiming
    entity_results: dict[str, dict[str, MetricResult]] = field(default_factory=dict)


def build_jobs(kpis: KpiFrame, horizon: int, level: int) -> list[ForecastJob]:
    """One job per computable metric, in the report's order (the runner orders them by cost)."""
    return [
        ForecastJob("growth_rate", kpis.values["revenue"], horizon, level, derive="growth_rate")
        if metric == "growth_rate"
        else ForecastJob(metric, kpis.values[metric], horizon, level)
        for metric in METRICS
        if metric in kpis.values
    ]


def prepare(
    files: Sequence[SourceFile],
    horizon: int,
    level: int,
    mapping: Mapping[str, str] | None = None,
    by: Sequence[str] = (),
) -> Prepared:
    """Ingest and compute KPIs; with ``by`` (an entity column or a pair), per-entity jobs too.
    Raises DataValidationError on unusable input or entity columns the data lacks."""
    started = time.perf_counter()
    data = ingest(files, mapping)
    kpis = compute_kpis(data.monthly)
    jobs = build_jobs(kpis, horizon, level)
    prepared = Prepared(data, kpis, jobs, horizon, level, time.perf_counter() - started)
    return with_entities(prepared, by) if by else prepared


def with_entities(prepared: Prepared, by: Sequence[str], company: bool = True) -> Prepared:
    """The same data with per-entity jobs for ``by``; ``company=False`` keeps only those (the
    dashboard runs them on demand, beside a company report it already has)."""
    started = time.perf_counter()
    plan = plan_entities(prepared.data, by, prepared.horizon)
    jobs = entity_jobs(plan, prepared.horizon, prepared.level)
    company_jobs = [j for j in prepared.jobs if j.entity is None] if company else []
    seconds = prepared.seconds + time.perf_counter() - started
    return replace(prepared, jobs=[*company_jobs, *jobs], seconds=seconds, entities=plan)


def analyse(
    prepared: Prepared,
    backend: Backend = IN_PROCESS,
    on_result: Callable[[MetricResult, int, int], None] | None = None,
    expected_seconds: Mapping[str, float] | None = None,
) -> Analysis:
    """Run every job on ``backend`` (``executors.open_backend``; by default here, one after
    another), calling ``on_result(result, done, total)`` from this thread as each metric
    finishes. ``expected_seconds`` per metric (e.g. this session's previous run) puts the
    longest first."""
    logger.bind(
        event="run",
        executor=backend.kind,
        workers=backend.workers,
        time_limit=backend.time_limit,
        horizon=prepared.horizon,
        level=prepared.level,
        jobs=len(prepared.jobs),
    ).info(f"forecasting {len(prepared.jobs)} metrics on {backend.kind} ({backend.workers})")
    started = time.perf_counter()
    done: list[MetricResult] = []
    total = len(prepared.jobs)
    stream = run_jobs(
        prepared.jobs,
        backend.executor,
        max_in_flight=backend.max_in_flight,
        time_limit=backend.time_limit,
        expected_seconds=expected_seconds,
    )
    for result in stream:
        done.append(result)
        if on_result is not None:
            on_result(result, len(done), total)
    wall = time.perf_counter() - started
    failed = sum(r.status != "ok" for r in done)
    logger.bind(event="run_done", seconds=round(wall, 3), failed=failed).info(
        f"{total - failed} of {total} series forecast in {wall:.2f} s"
    )
    return analysis_of(prepared, done, RunTiming(backend.kind, backend.workers, wall))


def analysis_of(prepared: Prepared, results: Iterable[MetricResult], timing: RunTiming) -> Analysis:
    """The company's results by metric, each entity's by entity then metric."""
    company: dict[str, MetricResult] = {}
    per_entity: dict[str, dict[str, MetricResult]] = {}
    for result in results:
        if result.entity is None:
            company[result.metric] = result
        else:
            per_entity.setdefault(result.entity, {})[result.metric] = result
    return Analysis(prepared, company, timing, per_entity)


def forecast(
    prepared: Prepared,
    settings: RunSettings,
    pool: WorkerPool | None = None,
    on_result: Callable[[MetricResult, int, int], None] | None = None,
    expected_seconds: Mapping[str, float] | None = None,
) -> Analysis:
    """``analyse`` on the executor ``settings`` choose; ``pool`` is a server's shared pool (the
    process and sequential choices run on it, at most ``settings.workers`` jobs at once)."""
    with open_backend(settings, pool) as backend:
        return analyse(prepared, backend, on_result, expected_seconds)


def source_files_from_paths(paths: Sequence[str]) -> list[SourceFile]:
    """Read files from disk for the CLI and the tests."""
    out = []
    for path in paths:
        with open(path, "rb") as handle:
            out.append(SourceFile(os.path.basename(path), handle.read()))
    return out
