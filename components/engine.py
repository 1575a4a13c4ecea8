"""The UI edge of the engine: the warm pool (cache_resource) and results (cache_data)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import streamlit as st

from forecasting import (
    MetricResult,
    Prepared,
    SourceFile,
    WarmPool,
    analyse,
    build_report,
    prepare,
)

__all__ = ["cached_prepare", "files_key", "get_pool", "run_report"]


@st.cache_resource(
    show_spinner="Starting the warm worker pool…", on_release=lambda pool: pool.shutdown()
)
def get_pool(workers: int) -> WarmPool:
    """One warm process pool per worker count, shared by every session of this server."""
    return WarmPool(workers)


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


@st.cache_data(show_spinner=False, max_entries=32)
def run_report(
    key: str,
    horizon: int,
    level: int,
    mapping: tuple[tuple[str, str], ...],
    executor: str,
    workers: int,
    _prepared: Prepared,
) -> dict[str, Any]:
    """Fit the 14 metrics once per (files, settings); mode switches and reruns reuse this.

    The progress bar is created in here (a cached function may only update elements it made)
    and advanced from this script thread as each result arrives, never from a worker.
    """
    slot = st.empty()
    bar = slot.progress(
        0.0,
        text=f"Forecasting {len(_prepared.jobs)} metrics on {workers} "
        f"{'worker(s)' if executor != 'sequential' else 'thread'}…",
    )

    def _on_result(result: MetricResult, done: int, total: int) -> None:
        mark = "✓" if result.status == "ok" else "✗"
        bar.progress(done / total, text=f"{mark} {result.metric} ({done} of {total})")

    if executor == "processes":
        analysis = analyse(_prepared, get_pool(workers), executor, workers, _on_result)
    elif executor == "threads":
        with ThreadPoolExecutor(workers) as threads:
            analysis = analyse(_prepared, threads, executor, workers, _on_result)
    else:
        analysis = analyse(_prepared, None, "sequential", 1, _on_result)
    slot.empty()
    return build_report(analysis, "finance_guardian")
