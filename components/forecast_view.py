"""Forecast charts grouped in tabs, and a per-metric detail view with the candidate leaderboard."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from forecasting.kpis import METRIC_INFO
from forecasting.models import FAMILY_LABELS

from .charts import backtest_figure, forecast_figure
from .texts import GROUPS

__all__ = ["forecast_group_ui", "model_detail_ui"]


def accuracy_definition(health: dict[str, Any]) -> str:
    return str((health.get("accuracy") or {}).get("definition", ""))


def forecast_group_ui(body: dict[str, Any], group: str) -> None:
    metrics = GROUPS[group]
    cols = st.columns(2)
    for i, metric in enumerate(metrics):
        with cols[i % 2]:
            st.plotly_chart(forecast_figure(body, metric), width="stretch", key=f"fc-{metric}")


def _leaderboard(health: dict[str, Any]) -> pd.DataFrame:
    rows = [
        {
            "Model": c["model"],
            "MASE": c["mase"],
            "sMAPE %": c["smape"],
            "RMSE": c["rmse"],
            "Coverage %": None if c["coverage"] is None else c["coverage"] * 100,
            "Fit time s": c["seconds"],
            "Status": c["status"] if c["status"] == "ok" else f"failed: {c['reason']}",
            "Shipped": "✓" if c["family"] == health["best_model_family"] else "",
            "Best by backtest": "✓" if c["family"] == health.get("best_by_backtest_family") else "",
        }
        for c in health["candidates"]
    ]
    return pd.DataFrame(rows)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def _method_text(health: dict[str, Any]) -> str:
    origins = ", ".join(health["backtest_origins"])
    if health.get("method") == "combination":
        weights = sorted((health.get("combination_weights") or {}).items(), key=lambda kv: -kv[1])
        parts = ", ".join(f"{FAMILY_LABELS.get(f, f)} {w:.0%}" for f, w in weights)
        return (
            f"Shipped forecast: **{health['best_model_selected']}** ({parts}), each weighted by "
            f"its backtest error (backtest from {origins}). A choice of one model by backtest "
            f"would have picked **{health.get('best_by_backtest')}**."
        )
    chosen = health["best_model_selected"]
    return f"Shipped forecast: **{chosen}**, chosen by backtest from {origins}."


def _accuracy_text(health: dict[str, Any]) -> str:
    accuracy = health.get("accuracy") or {}
    mase = accuracy.get("backtest_mase")
    return (
        f"Measured accuracy (backtest, {accuracy.get('months_checked', 0)} months): MASE "
        f"{'n/a' if mase is None else f'{mase:.2f}'}, typical error "
        f"{accuracy.get('typical_error_text') or 'n/a'}; band coverage "
        f"{_percent(accuracy.get('coverage_80'))} (80% band), "
        f"{_percent(accuracy.get('coverage_95'))} (95% band)."
    )


def model_detail_ui(body: dict[str, Any]) -> None:
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
            "RMSE": st.column_config.NumberColumn(format="%.4g"),
            "Coverage %": st.column_config.NumberColumn(format="%.0f"),
            "Fit time s": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    st.plotly_chart(backtest_figure(body, metric), width="stretch", key=f"bt-{metric}")
    for note in health["notes"]:
        st.caption(note)
    st.caption(accuracy_definition(health))
