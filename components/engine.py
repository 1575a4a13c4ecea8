"""The UI edge of the engine: the server's one worker pool (cache_resource) and results
(cache_data).

Every session of this server shares the pool; a session's worker count caps how many of its jobs
run at once, so the pool never grows with the choices made. The pool replaces dead or stuck
workers itself, without touching other sessions' jobs; only a pool that cannot start workers at
all is replaced (``validate``), and a released pool finishes what it was given before stopping.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import cast

import streamlit as st

from forecasting import (
    DataValidationError,
    IngestResult,
    IngestSummary,
    MetricResult,
    Prepared,
    RunSettings,
    SourceFile,
    WorkerPool,
    build_report,
    compute_kpis,
    ingest,
    make_worker_pool,
)
from forecasting.fileframe import canonical_frame
from forecasting.formatting import count
from forecasting.kpis import KpiFrame
from forecasting.logging_setup import configure_logging
from forecasting.pipeline import build_jobs, forecast
from forecasting.report import with_view
from forecasting.report_types import Report
from forecasting.settings import DEFAULT_LEVEL, INPUT_LIMITS, MODES, server_pool_size
from forecasting.textfile import clean_name

from .result_store import kept_or_computed

__all__ = [
    "Ingested",
    "cached_ingest",
    "files_key",
    "forecast_report",
    "get_pool",
    "mapping_review",
    "prepared_for",
    "run_key",
    "shown_report",
]


def _release(pool: WorkerPool) -> None:
    pool.shutdown(wait=False)  # jobs other sessions still wait for run to the end


@st.cache_resource(
    show_spinner="Starting the warm worker pool…",
    on_release=_release,
    validate=lambda pool: pool.usable,
)
def get_pool() -> WorkerPool:
    """The server's one warm process pool, of ``server_pool_size()`` workers."""
    configure_logging()
    return make_worker_pool(server_pool_size())


def files_key(files: Sequence[SourceFile]) -> str:
    """Content hash of the uploaded files (names included: they appear in the report)."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode())
        digest.update(hashlib.sha256(f.data).digest())
    return digest.hexdigest()


def run_key(key: str, mapping: tuple[tuple[str, str], ...], horizon: int) -> str:
    """What a run's jobs depend on (files, mapping, horizon): a comparison measured for one run
    is never shown or downloaded with another."""
    digest = hashlib.sha256(repr((key, mapping, horizon)).encode()).hexdigest()
    return digest[:16]


@dataclass(frozen=True)
class Ingested:
    """The files read into months and their KPIs: what every setting starts from."""

    data: IngestResult
    kpis: KpiFrame
    seconds: float


@st.cache_data(show_spinner=False, max_entries=32)
def cached_ingest(
    key: str, mapping: tuple[tuple[str, str], ...], _files: Sequence[SourceFile]
) -> Ingested:
    """Ingest + KPIs, keyed by the files' content hash and the column mapping only: a change
    of horizon, level, mode or engine never reads the files again."""
    started = time.perf_counter()
    data = ingest(_files, dict(mapping) or None)
    return Ingested(data, compute_kpis(data.monthly), time.perf_counter() - started)


def prepared_for(ingested: Ingested, settings: RunSettings) -> Prepared:
    """The jobs for this horizon. They are fitted at the default level whatever level is shown:
    every forecast carries both bands, so the level is chosen when the report is shown."""
    jobs = build_jobs(ingested.kpis, settings.horizon, DEFAULT_LEVEL)
    return Prepared(
        ingested.data, ingested.kpis, jobs, settings.horizon, DEFAULT_LEVEL, ingested.seconds
    )


@st.cache_data(show_spinner=False, max_entries=32)
def mapping_review(
    key: str, mapping: tuple[tuple[str, str], ...], _files: Sequence[SourceFile]
) -> IngestSummary | None:
    """The column decisions of files that failed validation, so the mapping can be fixed on
    the page: each file's headers as far as it could be read (None when none could be)."""
    summary = IngestSummary([clean_name(f.name) for f in _files], {}, {})
    for f in _files:
        try:
            canonical_frame(clean_name(f.name), f.data, dict(mapping) or None, summary,
                            INPUT_LIMITS)
        except DataValidationError:
            continue  # the decisions made before the refusal are kept in the summary
    return summary if summary.source_columns else None


def forecast_report(
    key: str, mapping: tuple[tuple[str, str], ...], settings: RunSettings, prepared: Prepared
) -> Report:
    """The report for these files and settings, fitted once: the narrative mode and the interval
    level are left out of the cache key (switching either refits nothing; ``with_view`` shows
    the report for them). This session's last job times put the longest jobs first; they are
    kept in this session only, never shared with another."""
    expected: dict[str, float] | None = st.session_state.get("job-seconds")
    # The cache key leaves the display choices out; the report is built without narratives.
    fitted = replace(settings, mode=MODES[0], level=DEFAULT_LEVEL)
    report = kept_or_computed(
        "report", (key, mapping, fitted), lambda: _run_report(fitted, prepared, expected)
    )
    timing = report["full_analysis_report"]["timing"]
    # Each task's seconds by its key, and each metric's for tasks not seen before (a new
    # horizon's pieces): the runner puts the longest first from either.
    st.session_state["job-seconds"] = {
        **{
            row["metric"]: row["seconds"]
            for row in timing["per_metric"]
            if row["status"] == "ok" and row["seconds"] is not None
        },
        **{row["key"]: row["end"] - row["start"] for row in timing["tasks"]},
    }
    return report


def shown_report(fitted: Report, settings: RunSettings) -> Report:
    """The fitted report as shown for the chosen mode and level, its narratives written once per
    view: the session keeps the last view, so the reruns of other widgets reuse it."""
    body = fitted["full_analysis_report"]
    view = (body["metadata"]["generated_at"], body["timing"]["wall_seconds"], settings)
    kept = st.session_state.get("shown-report")
    if kept is not None and kept[0] == view:
        return cast(Report, kept[1])
    report = with_view(fitted, settings.mode, settings.level)
    st.session_state["shown-report"] = (view, report)
    return report


def _run_report(
    settings: RunSettings, prepared: Prepared, expected_seconds: Mapping[str, float] | None
) -> Report:
    """Fit the report, with a progress bar advanced from this script thread as each result
    arrives (never from a worker); it is gone when the run is, and a stored report draws none."""
    slot = st.empty()
    where = (
        "one worker, one at a time"
        if settings.executor == "sequential"
        else count(settings.workers, "worker")
    )
    bar = slot.progress(0.0, text=f"Forecasting {count(len(prepared.jobs), 'metric')} on {where}…")

    def _on_result(result: MetricResult, done: int, total: int) -> None:
        mark = "✓" if result.status == "ok" else "✗"
        bar.progress(done / total, text=f"{mark} {result.metric} ({done} of {total})")

    pool = get_pool() if settings.executor in ("processes", "sequential") else None
    analysis = forecast(prepared, settings, pool, _on_result, expected_seconds)
    slot.empty()
    return build_report(analysis, None)  # narratives: once, for the view shown (shown_report)
