"""Parallel financial forecasting dashboard; the page reads top to bottom like a contents list."""

from __future__ import annotations

import streamlit as st

from components.engine import (
    cached_ingest,
    files_key,
    forecast_report,
    mapping_review,
    prepared_for,
    run_key,
    shown_report,
)
from components.entity_view import chosen_entities, entity_ui
from components.forecast_view import forecast_group_ui, model_detail_ui
from components.kpi_cards import kpi_cards_ui
from components.mapping_view import (
    data_alerts_ui,
    ingest_summary_ui,
    mapping_dialog,
    mapping_ui,
    refused_ui,
)
from components.narrative_view import narrative_ui
from components.projection_view import projection_ui
from components.report_view import downloadable, downloads_ui, file_stem
from components.safe_text import as_code, escape_markdown
from components.sidebar import controls_ui, upload_ui
from components.tabs import open_tab
from components.texts import APP_TITLE, FIRST_STEP
from components.timing_panel import measured_comparison, timing_ui
from forecasting import DataValidationError
from forecasting.formatting import count
from forecasting.horizon import horizon_message
from forecasting.settings import server_pool_size

st.set_page_config(page_title=APP_TITLE, page_icon="📈", layout="wide")
st.title(APP_TITLE)

files, uploaded = upload_ui()
settings = controls_ui()
if not uploaded:
    st.info(FIRST_STEP, icon=":material/waving_hand:")
key = files_key(files)
overrides: dict[str, str] = st.session_state.setdefault(f"overrides-{key}", {})
mapping = tuple(sorted(overrides.items()))

try:
    ingested = cached_ingest(key, mapping, files)
except DataValidationError as error:
    chosen = refused_ui(str(error), mapping_review(key, mapping, files), overrides, key)
    if chosen != overrides:
        st.session_state[f"overrides-{key}"] = chosen
        st.rerun()
    st.stop()

summary = ingested.data.summary
with st.expander("Column mapping and data checks", expanded=uploaded):
    chosen = mapping_ui(summary, overrides, key)
    ingest_summary_ui(summary)
if chosen != overrides:
    st.session_state[f"overrides-{key}"] = chosen
    st.rerun()
if too_far := horizon_message(summary.months, settings.horizon):
    st.error(f"**Horizon too long for this history.** {too_far}", icon="⚠️")
    st.stop()

prepared = prepared_for(ingested, settings)
try:
    fitted = forecast_report(key, mapping, settings, prepared)
except Exception as error:  # no traceback ever reaches the page; the message says what to try
    st.error(
        f"**The forecasts could not be computed** ({type(error).__name__}: "
        f"{escape_markdown(str(error))}). Try the "
        "sequential executor in the sidebar, or fewer workers; the data itself was read fine.",
        icon="⚠️",
    )
    st.stop()
# Mode and level are display choices: the fitted report is shown for them, nothing refits.
report = shown_report(fitted, settings)
body = report["full_analysis_report"]
run = run_key(key, mapping, settings.horizon)
stem = file_stem(body)

st.caption(
    f"{count(body['metadata']['months'], 'month')}, {body['metadata']['data_start_date'][:7]} "
    f"to {body['metadata']['data_end_date'][:7]} · forecasting "
    f"{count(settings.horizon, 'month')} at {settings.level}% · "
    + ", ".join(as_code(name) for name in body["metadata"]["source_files"])
)
data_alerts_ui(body)
kpi_cards_ui(body)
narrative_ui(body)

# Only the open tab is drawn (components/tabs.py).
tab, container = open_tab()
with container:
    match tab:
        case "Core" | "Working capital" | "Ratios":
            forecast_group_ui(body, tab, stem, lambda: mapping_dialog(summary, overrides, key))
        case "By entity":
            entity_ui(prepared, settings, key, mapping)
        case "Model details":
            model_detail_ui(body)
        case "Timing":
            timing_ui(body, prepared, settings, run, server_pool_size())
            projection_ui(body["timing"], measured_comparison(run))
        case "Downloads":
            entities = chosen_entities(prepared, settings, key, mapping)
            downloads_ui(downloadable(report, run, entities))
