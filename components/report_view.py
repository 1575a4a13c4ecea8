"""Downloads: the report JSON (the same object the CLI writes) and the forecasts CSV."""

from __future__ import annotations

from typing import Any

import streamlit as st

from forecasting import dumps, forecasts_csv

__all__ = ["downloads_ui"]


def downloads_ui(report: dict[str, Any]) -> None:
    st.markdown(
        "The JSON is the full report, the same object `python -m forecasting report` "
        "writes; the CSV has one row per metric and forecast month."
    )
    left, right = st.columns(2)
    with left:
        st.download_button(
            "Download report (JSON)",
            dumps(report),
            "forecast_report.json",
            "application/json",
            key="download-json",
            width="stretch",
        )
    with right:
        st.download_button(
            "Download forecasts (CSV)",
            forecasts_csv(report),
            "forecasts.csv",
            "text/csv",
            key="download-csv",
            width="stretch",
        )
