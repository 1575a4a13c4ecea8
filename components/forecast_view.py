"""Forecast charts grouped in tabs, and a per-metric detail view with the candidate leaderboard."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from forecasting.columns import COLUMN_LABELS
from forecasting.formatting import format_value
from forecasting.kpis import METRIC_INFO
from forecasting.models import FAMILY_LABELS
from forecasting.report_types import FullReport, Health

from .charts import backtest_figure, chart_config, forecast_figure
from .safe_text import escape_markdown
from .texts import BRINGS_BACK, GROUPS, WINDOWS

__all__ = ["forecast_group_ui", "missing_columns", "model_detail_ui"]


def accuracy_definition(health: Health) -> str:
    accuracy = health.get("accuracy")
    return accuracy["definition"] if accuracy else ""


def missing_columns(metric: str, present: set[str]) -> str | None:
    """The columns that would bring ``metric`` back, in words ("Accounts payable and Expenses
    (or Cost of goods sold)"); None when no column is missing (it failed for another reason)."""
    wanted = [group for group in BRINGS_BACK.get(metric, ()) if not present & set(group)]
    if not wanted:
        return None
    return " and ".join(
        COLUMN_LABELS[group[0]]
        + (f" (or {' or '.join(COLUMN_LABELS[c] for c in group[1:])})" if group[1:] else "")
        for group in wanted
    )


def _missing_line(body: FullReport, metric: str) -> str:
    health = body["model_health_report"][metric]
    present = set(body["metadata"]["column_mapping"].values())
    columns = missing_columns(metric, present)
    why = (
        f"needs a column for {columns}"
        if columns and health["status"] == "skipped" and not body["history"][metric]
        else health["reason"]
    )
    return f"**{escape_markdown(health['label'])}** — {escape_markdown(why)}"


def _history_window(group: str) -> str:
    """The history the charts show, one choice for every tab (kept in the session)."""
    widget = f"window-{group}"
    st.session_state[widget] = st.session_state.get("window", WINDOWS[0])

    def keep() -> None:
        st.session_state["window"] = st.session_state[widget] or WINDOWS[0]

    choice = st.segmented_control(
        "History shown", WINDOWS, key=widget, on_change=keep, required=True,
        label_visibility="collapsed",
    )
    return str(choice or WINDOWS[0])


def forecast_group_ui(
    body: FullReport, group: str, file_stem: str, open_mapping: Callable[[], None]
) -> None:
    """The group's forecast charts, two a row; a metric the data cannot give is one line saying
    which column would bring it back, never an empty chart, and a button that opens the column
    mapping (``open_mapping``) right there."""
    metrics = GROUPS[group]
    drawn = [m for m in metrics if body["history"][m]]
    missing = [m for m in metrics if not body["history"][m]]
    whole = _history_window(group) == WINDOWS[1] if drawn else False
    cols = st.columns(2)
    for i, metric in enumerate(drawn):
        with cols[i % 2]:
            st.plotly_chart(
                forecast_figure(body, metric, whole),
                width="stretch",
                key=f"fc-{metric}",
                config=chart_config(f"{file_stem}_{metric}"),
            )
    if missing:
        st.markdown(
            "**Not in this data**\n\n"
            + "\n".join(f"- {_missing_line(body, metric)}" for metric in missing)
        )
        if st.button("Open the column mapping", key=f"open-mapping-{group}"):
            open_mapping()


def _leaderboard(health: Health) -> pd.DataFrame:
    rows = [
        {
            "Model": c["model"],
            "MASE": c["mase"],
            "sMAPE %": c["smape"],
            "RMSE": format_value(c["rmse"], health["unit"]),  # in the metric's unit, as cards
            "Coverage %": None if c["coverage"] is None else c["coverage"] * 100,
            "Fit time s": c["seconds"],
            "Status": c["status"] if c["status"] == "ok" else f"failed: {c['reason']}",
            "Shipped": "✓" if c["family"] == health.get("best_model_family") else "",
            "Best by backtest": "✓" if c["family"] == health.get("best_by_backtest_family") else "",
        }
        for c in health["candidates"]
    ]
    return pd.DataFrame(rows)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def _method_text(health: Health) -> str:
    origins = ", ".join(health.get("backtest_origins", []))
    if health.get("method") == "combination":
        weights = sorted(
            ((f, w) for f, w in health.get("combination_weights", {}).items() if w is not None),
            key=lambda kv: -kv[1],
        )
        parts = ", ".join(f"{FAMILY_LABELS.get(f, f)} {w:.0%}" for f, w in weights)
        return (
            f"Shipped forecast: **{health['best_model_selected']}** ({parts}), each weighted by "
            f"its backtest error (backtest from {origins}). A choice of one model by backtest "
            f"would have picked **{health.get('best_by_backtest')}**."
        )
    chosen = health["best_model_selected"]
    return f"Shipped forecast: **{chosen}**, chosen by backtest from {origins}."


def _accuracy_text(health: Health) -> str:
    accuracy = health.get("accuracy")
    if accuracy is None:
        return "Measured accuracy: n/a (no backtest)."
    mase = accuracy["backtest_mase"]
    return (
        f"Measured accuracy (backtest, {accuracy['months_checked']} months): MASE "
        f"{'n/a' if mase is None else f'{mase:.2f}'}, typical error "
        f"{accuracy['typical_error_text'] or 'n/a'}; band coverage "
        f"{_percent(accuracy['coverage_80'])} (80% band), "
        f"{_percent(accuracy['coverage_95'])} (95% band)."
    )


def model_detail_ui(body: FullReport) -> None:
    health_all = body["model_health_report"]
    metric = st.selectbox(
        "Metric", list(health_all), key="detail-metric", format_func=lambda m: METRIC_INFO[m].label
    )
    health = health_all[metric]
    if health["status"] != "ok":
        st.warning(f"{health['label']} was not forecast: {health['reason']}")
        return
    st.markdown(f"**{health['label']}** — {health['formula']}")
    st.info(health["certainty"])
    st.markdown(_method_text(health))
    st.markdown(_accuracy_text(health))
    st.dataframe(
        _leaderboard(health),
        hide_index=True,
        width="stretch",
        column_config={
            "MASE": st.column_config.NumberColumn(format="%.3f"),
            "sMAPE %": st.column_config.NumberColumn(format="%.2f"),
            "RMSE": st.column_config.TextColumn(alignment="right"),
            "Coverage %": st.column_config.NumberColumn(format="%.0f"),
            "Fit time s": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    st.plotly_chart(
        backtest_figure(body, metric),
        width="stretch",
        key=f"bt-{metric}",
        config=chart_config(f"backtest_{metric}"),
    )
    for note in health["notes"]:
        st.caption(note)
    st.caption(accuracy_definition(health))
