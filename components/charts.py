"""Plotly figures built by pure functions: report data in, Figure out (no st.* here)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from forecasting.models import FAMILY_LABELS

__all__ = ["backtest_figure", "forecast_figure", "gantt_figure", "scaling_figure", "tick_format"]

_BLUE = "#1f4e79"
_ORANGE = "#d9822b"


def tick_format(unit: str) -> dict[str, str]:
    """Axis formats: $ for currency, % for percentages, plain for days and ratios."""
    return {
        "currency": {"tickprefix": "$", "tickformat": ",.3s"},
        "percent": {"ticksuffix": "%", "tickformat": ".1f"},
        "days": {"ticksuffix": " d", "tickformat": ".0f"},
    }.get(unit, {"tickformat": ".2f"})


def _hover(unit: str) -> str:
    return {"currency": "$%{y:,.0f}", "percent": "%{y:.1f}%", "days": "%{y:.1f} days"}.get(
        unit, "%{y:.2f}"
    )


def forecast_figure(body: dict[str, Any], metric: str, height: int = 320) -> go.Figure:
    """History, the forecast, shaded 80% and 95% bands, a marker where the forecast starts."""
    health = body["model_health_report"][metric]
    history = body["history"][metric]
    bands = body["forecast_bands"][metric]
    chart = body["forecast_chart"][metric]
    unit = health["unit"]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[p["date"] for p in history],
            y=[p["value"] for p in history],
            mode="lines",
            name="Actual",
            line={"color": _BLUE, "width": 2},
            hovertemplate=_hover(unit),
        )
    )
    if chart:
        dates = [p["date"] for p in bands]
        for level, opacity in ((95, 0.15), (80, 0.3)):
            fig.add_trace(
                go.Scatter(
                    x=dates + dates[::-1],
                    y=[p[f"upper_{level}"] for p in bands]
                    + [p[f"lower_{level}"] for p in bands][::-1],
                    mode="lines",
                    fill="toself",
                    fillcolor=f"rgba(217,130,43,{opacity})",
                    line={"width": 0},
                    name=f"{level}% band",
                    hoverinfo="skip",
                )
            )
        anchor = history[-1:] if history else []
        fig.add_trace(
            go.Scatter(
                x=[p["date"] for p in anchor] + [p["date"] for p in chart],
                y=[p["value"] for p in anchor] + [p["predicted"] for p in chart],
                mode="lines+markers",
                name="Forecast",
                line={"color": _ORANGE, "dash": "dash"},
                hovertemplate=_hover(unit),
            )
        )
        fig.add_vline(x=chart[0]["date"], line={"color": "#888", "dash": "dot"})
        fig.add_annotation(
            x=chart[0]["date"],
            y=1,
            yref="paper",
            text="forecast",
            showarrow=False,
            xanchor="left",
            font={"color": "#666", "size": 11},
        )
        mase = health.get("backtest_mase")
        title = f"{health['label']} · {health['best_model_selected']}" + (
            f" · MASE {mase:.2f}" if mase is not None else ""
        )
    else:
        title = f"{health['label']} · not forecast ({health['reason']})"
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.15},
        yaxis=tick_format(unit),
    )
    return fig


def backtest_figure(body: dict[str, Any], metric: str) -> go.Figure:
    """Each candidate's backtest forecasts against what actually happened."""
    health = body["model_health_report"][metric]
    history = body["history"][metric]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[p["date"] for p in history[-36:]],
            y=[p["value"] for p in history[-36:]],
            mode="lines+markers",
            name="Actual",
            line={"color": "#222"},
        )
    )
    shown: set[str] = set()
    best = health.get("best_model_family")
    for fold in health["backtest"]:
        family = fold["family"]
        fig.add_trace(
            go.Scatter(
                x=[p["date"] for p in fold["points"]],
                y=[p["predicted"] for p in fold["points"]],
                mode="lines",
                name=FAMILY_LABELS.get(family, family),
                legendgroup=family,
                showlegend=family not in shown,
                visible=True if family == best else "legendonly",
                line={"width": 3 if family == best else 1.5},
            )
        )
        shown.add(family)
    fig.update_layout(
        title=f"Backtest: {health['label']} forecasts from past origins vs actuals",
        height=340,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        yaxis=tick_format(health["unit"]),
    )
    return fig


def gantt_figure(timeline: list[dict[str, Any]], title: str) -> go.Figure:
    """One lane per worker process, one bar per metric job."""
    workers = sorted({row["worker"] for row in timeline})
    lane = {pid: f"worker {i + 1} (pid {pid})" for i, pid in enumerate(workers)}
    fig = go.Figure()
    for row in timeline:
        fig.add_trace(
            go.Bar(
                base=[row["start"]],
                x=[row["end"] - row["start"]],
                y=[lane[row["worker"]]],
                orientation="h",
                name=row["metric"],
                text=row["metric"],
                textposition="inside",
                insidetextanchor="middle",
                showlegend=False,
                hovertemplate=f"{row['metric']}: {row['start']:.2f}s to {row['end']:.2f}s"
                + "<extra></extra>",
            )
        )
    fig.update_layout(
        title=title,
        barmode="overlay",
        height=120 + 60 * len(workers),
        xaxis_title="seconds since the first job started",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig


def scaling_figure(rows: list[dict[str, Any]]) -> go.Figure:
    """Measured speedup by pool size against the ideal line."""
    workers = [r["workers"] for r in rows]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=workers,
            y=[r["ideal"] for r in rows],
            name="ideal",
            line={"dash": "dash", "color": "#888"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=workers,
            y=[r["speedup"] for r in rows],
            name="measured",
            mode="lines+markers",
            line={"color": _ORANGE},
        )
    )
    fig.update_layout(
        title="Speedup by number of workers",
        xaxis_title="workers",
        yaxis_title="speedup vs sequential",
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig
