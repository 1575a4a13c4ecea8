"""The UI edge of the engine: the server's one worker pool (cache_resource) and results
(cache_data).

Every session of this server shares the pool; a session's worker count caps how many of its jobs
run at once, so the pool never grows with the choices made. The pool replaces dead or stuck
workers itself, without touching other sessions' jobs; only a pool that cannot start workers at
all is replaced (``validate``), and a released pool finishes what it was given before stopping.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import streamlit as st

from forecasting import (
    MetricResult,
    Prepared,
    RunSettings,
    SourceFile,
    WorkerPool,
    build_report,
    make_worker_pool,
    prepare,
)
from forecasting.logging_setup import configure_logging
from forecasting.pipeline import forecast
from forecasting.settings import MODES, server_pool_size

__all__ = ["cached_prepare", "files_key", "forecast_report", "get_pool"]


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


@st.cache_data(show_spinner=False, max_entries=32)
def cached_prepare(
    key: str,
    horizon: int,
    level: int,
    mapping: tuple[tuple[str, str], ...],
    _files: Sequence[SourceFile],
) -> Prepared:
    """Ingest + KPIs, keyed by the files' content hash and the settings."""
    return prepare(_files, horizon, level, dict(mapping) or None)


def forecast_report(
    key: str, mapping: tuple[tuple[str, str], ...], settings: RunSettings, prepared: Prepared
) -> dict[str, Any]:
    """The report for these files and settings, fitted once: the narrative mode is left out of
    the cache key (mode switches refit nothing). This session's last job times put the longest
    jobs first; they are kept in this session only, never shared with another."""
    expected: dict[str, float] | None = st.session_state.get("job-seconds")
    report = _run_report(key, mapping, replace(settings, mode=MODES[0]), prepared, expected)
    st.session_state["job-seconds"] = {
        row["metric"]: row["seconds"]
        for row in report["full_analysis_report"]["timing"]["per_metric"]
        if row["status"] == "ok" and row["seconds"] is not None
    }
    return report


@st.cache_data(show_spinner=False, max_entries=32)
def _run_report(
    key: str,
    mapping: tuple[tuple[str, str], ...],
    settings: RunSettings,
    _prepared: Prepared,
    _expected_seconds: Mapping[str, float] | None,
) -> dict[str, Any]:
    """The progress bar is created in here (a cached function may only update elements it made)
    and advanced from this script thread as each result arrives, never from a worker."""
    slot = st.empty()
    bar = slot.progress(
        0.0,
        text=f"Forecasting {len(_prepared.jobs)} metrics on {settings.workers} "
        f"{'worker(s)' if settings.executor != 'sequential' else 'worker, one at a time'}…",
    )

    def _on_result(result: MetricResult, done: int, total: int) -> None:
        mark = "✓" if result.status == "ok" else "✗"
        bar.progress(done / total, text=f"{mark} {result.metric} ({done} of {total})")

    pool = get_pool() if settings.executor in ("processes", "sequential") else None
    analysis = forecast(_prepared, settings, pool, _on_result, _expected_seconds)
    slot.empty()
    return build_report(analysis, MODES[0])
