"""Downloads: the report JSON (the same object the CLI writes) and the forecasts CSV, named after
the company's file and the report's date; ``downloadable`` assembles what is downloaded."""

from __future__ import annotations

import re

import streamlit as st

from forecasting import dumps, forecasts_csv, with_comparison, with_entity_forecasts
from forecasting.report_types import EntityEntry, FullReport, Report

from .timing_panel import measured_comparison, measured_sweep

__all__ = ["downloadable", "downloads_ui", "file_stem"]

_EXTENSION = re.compile(r"\.(csv|tsv|txt)\b.*$", re.IGNORECASE)


def file_stem(body: FullReport) -> str:
    """'company_financials' for company_financials.csv; the first file's name and how many
    more, for several; only letters, digits, '-' and '_' (a safe name on every system)."""
    names = body["metadata"]["source_files"] or ["forecast"]
    stem = _EXTENSION.sub("", names[0])
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")[:60] or "export"
    return stem + (f"_and_{len(names) - 1}_more" if len(names) > 1 else "")


def downloadable(
    report: Report, run: str, entities: tuple[list[str], dict[str, EntityEntry]] | None
) -> Report:
    """What is downloaded, assembled in one place: the report shown, with what this session
    measured for the same run (the comparison and the scaling sweep, kept in the session) in its
    timing, and the per-entity section when one was asked for. A shared report carries its own
    evidence, whatever order the tabs ran in."""
    report = with_comparison(report, measured_comparison(run), measured_sweep(run))
    return with_entity_forecasts(report, *entities) if entities else report


def downloads_ui(report: Report) -> None:
    body = report["full_analysis_report"]
    name = f"{file_stem(body)}_forecast_{body['metadata']['generated_at'][:10]}"
    st.markdown(
        "The JSON is the full report, the same object `python -m forecasting report` "
        "writes; the CSV has one row per metric and forecast month. Each chart's toolbar "
        "(top right of the chart) downloads it as a PNG."
    )
    left, right = st.columns(2)
    with left:
        st.download_button(
            "Download report (JSON)",
            dumps(report),
            f"{name}.json",
            "application/json",
            key="download-json",
            width="stretch",
        )
    with right:
        st.download_button(
            "Download forecasts (CSV)",
            forecasts_csv(report),
            f"{name}.csv",
            "text/csv",
            key="download-csv",
            width="stretch",
        )
