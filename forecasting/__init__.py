"""Parallel financial forecasting engine: CSV exports in, 14 backtested KPI forecasts out.

The engine never imports Streamlit; the dashboard, the CLI and the tests call these functions.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import DataValidationError, ForecastingError, ModelError
from .executors import Backend, open_backend
from .ingest import IngestResult, IngestSummary, SourceFile, ingest
from .kpis import METRIC_INFO, compute_kpis
from .pipeline import (
    Analysis,
    Prepared,
    analyse,
    forecast,
    prepare,
    source_files_from_paths,
    with_entities,
)
from .pool import WorkerPool
from .report import (
    build_report,
    dumps,
    forecasts_csv,
    loads,
    with_comparison,
    with_entity_forecasts,
    with_mode,
)
from .report_types import FullReport, Report
from .runner import ForecastJob, MetricResult, make_worker_pool, run_jobs
from .settings import METRICS, MODES, RunSettings
from .tasks import Task, TaskOutcome, run_tasks

__all__ = [
    "METRICS",
    "METRIC_INFO",
    "MODES",
    "Analysis",
    "Backend",
    "DataValidationError",
    "ForecastJob",
    "ForecastingError",
    "FullReport",
    "IngestResult",
    "IngestSummary",
    "MetricResult",
    "ModelError",
    "Prepared",
    "Report",
    "RunSettings",
    "SourceFile",
    "Task",
    "TaskOutcome",
    "WorkerPool",
    "__version__",
    "analyse",
    "build_report",
    "compute_kpis",
    "dumps",
    "forecast",
    "forecasts_csv",
    "ingest",
    "loads",
    "make_worker_pool",
    "open_backend",
    "prepare",
    "run_jobs",
    "run_tasks",
    "source_files_from_paths",
    "with_comparison",
    "with_entities",
    "with_entity_forecasts",
    "with_mode",
]
