"""Parallel financial forecasting dashboard; the page reads top to bottom like a contents list."""

from __future__ import annotations

import streamlit as st

from components.engine import cached_prepare, files_key, forecast_report
from components.entity_view import entity_ui
from components.forecast_view import forecast_group_ui, model_detail_ui
from components.kpi_cards import kpi_cards_ui
from components.mapping_view import data_alerts_ui, ingest_summary_ui, mapping_ui
from components.narrative_view import narrative_ui
from components.projection_view import projection_ui
from components.report_view import downloads_ui
from components.safe_text import as_code, escape_markdown
from components.sidebar import controls_ui, upload_ui
from components.texts import APP_TITLE
from components.timing_panel import timing_ui
from forecasting import DataValidationError, with_comparison, with_entity_forecasts, with_mode
from forecasting.horizon import horizon_message

st.set_page_config(page_title=APP_TITLE, page_icon="📈", layout="wide")
st.title(APP_TITLE)

files, uploaded = upload_ui()
settings = controls_ui()
key = files_key(files)
overrides: dict[str, str] = st.session_state.setdefault(f"overrides-{key}", {})
mapping = tuple(sorted(overrides.items()))

try:
    prepared = cached_prepare(key, settings.horizon, settings.level, mapping, files)
except DataValidationError as error:
    # The message quotes file names and headers: shown as text, never as Markdown.
    st.error(f"**This data cannot be forecast yet.** {escape_markdown(str(error))}", icon="⚠️")
    st.info(
        "Fix the export (or the column mapping) and upload it again; the bundled sample is "
        "used when no file is uploaded."
    )
    if overrides and st.button("Reset the column mapping"):
        st.session_state[f"overrides-{key}"] = {}
        st.rerun()
    st.stop()

with st.expander("Column mapping and data checks", expanded=uploaded):
    chosen = mapping_ui(prepared.data.summary, overrides, key)
    ingest_summary_ui(prepared.data.summary)
if chosen != overrides:
    st.session_state[f"overrides-{key}"] = chosen
    st.rerun()
if too_far := horizon_message(prepared.data.summary.months, settings.horizon):
    st.error(f"**Horizon too long for this history.** {too_far}", icon="⚠️")
    st.stop()

try:
    report = forecast_report(key, mapping, settings, prepared)
except Exception as error:  # no traceback ever reaches the page; the message says what to try
    st.error(
        f"**The forecasts could not be computed** ({type(error).__name__}: "
        f"{escape_markdown(str(error))}). Try the "
        "sequential executor in the sidebar, or fewer workers; the data itself was read fine.",
        icon="⚠️",
    )
    st.stop()
report = with_mode(report, settings.mode)
body = report["full_analysis_report"]

st.caption(
    f"{body['metadata']['months']} months, {body['metadata']['data_start_date'][:7]} to "
    f"{body['metadata']['data_end_date'][:7]} · forecasting {settings.horizon} month(s) "
    f"at {settings.level}% · "
    + ", ".join(as_code(name) for name in body["metadata"]["source_files"])
)
data_alerts_ui(body)
kpi_cards_ui(body)
narrative_ui(body)

core, working, ratios, per_entity, details, timing, downloads = st.tabs(
    ["Core", "Working capital", "Ratios", "By entity", "Model details", "Timing", "Downloads"]
)
with core:
    forecast_group_ui(body, "Core")
with working:
    forecast_group_ui(body, "Working capital")
with ratios:
    forecast_group_ui(body, "Ratios")
with per_entity:
    entities = entity_ui(prepared, settings, key, mapping)
with details:
    model_detail_ui(body)
with timing:
    comparison = timing_ui(report, prepared, settings, key)
    projection_ui(body["timing"], comparison)
with downloads:
    # A comparison measured on this page travels in the report: it carries its own evidence.
    full = with_comparison(report, comparison)
    downloads_ui(with_entity_forecasts(full, *entities) if entities else full)
