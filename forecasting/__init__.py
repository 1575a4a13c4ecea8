"""Parallel financial forecasting engine: CSV exports in, 14 backtested KPI forecasts out.

The engine never imports Streamlit; the dashboard, the CLI and the tests call these functions.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import DataValidationError, ForecastingError, ModelError
from .ingest import IngestResult, IngestSummary, SourceFile, ingest
from .kpis import METRIC_INFO, compute_kpis
from .pipeline import Analysis, Prepared, analyse, prepare, source_files_from_paths
from .report import build_report, dumps, forecasts_csv, loads, with_comparison, with_mode
from .runner import ForecastJob, MetricResult, WarmPool, make_process_pool, run_jobs
from .settings import METRICS, MODES, RunSettings

__all__ = [
    "METRICS",
    "METRIC_INFO",
    "MODES",
    "Analysis",
    "DataValidationError",
    "ForecastJob",
    "ForecastingError",
    "IngestResult",
    "IngestSummary",
    "MetricResult",
    "ModelError",
    "Prepared",
    "RunSettings",
    "SourceFile",
    "WarmPool",
    "__version__",
    "analyse",
    "build_report",
    "compute_kpis",
    "dumps",
    "forecasts_csv",
    "ingest",
    "loads",
    "make_process_pool",
    "prepare",
    "run_jobs",
    "source_files_from_paths",
    "with_comparison",
    "with_mode",
]
