"""KPI cards: latest value, change against the previous month, the definition as a tooltip."""

from __future__ import annotations

import streamlit as st

from forecasting.formatting import format_change, format_value
from forecasting.kpis import METRIC_INFO, NET_ASSETS_LABEL
from forecasting.report_types import FullReport, KpiCard

from .texts import CARD_METRICS

__all__ = ["kpi_cards_ui"]

# Short enough for a card at a laptop's 1280 px; the full label and definition are in the tooltip.
_SHORT = {
    "cashflow": "Cash flow",
    "growth_rate": "Growth (MoM)",
    "profit_margin": "Margin (month)",
    "cash_conversion_cycle": "Cash cycle",
    NET_ASSETS_LABEL: "Net assets",
}


def _label(metric: str, card: KpiCard) -> str:
    return str(_SHORT.get(card["label"], _SHORT.get(metric, card["label"])))


def _delta(card: KpiCard) -> str | None:
    change = card["change"]
    if change is None:
        return None
    previous = card["previous"]
    if card["unit"] == "currency" and previous:
        pct = change / abs(previous) * 100
        # Whole percents from 10% up: the delta must fit a card at 1280 px ("+$353K (+61%)").
        return f"{format_change(change, 'currency')} ({pct:+.{0 if abs(pct) >= 10 else 1}f}%)"
    return format_change(change, card["unit"])


def _card(metric: str, card: KpiCard) -> None:
    info = METRIC_INFO[metric]
    if why := card.get("not_meaningful"):
        st.metric(card["label"], "not meaningful", help=why, border=True)
        return
    st.metric(
        _label(metric, card),
        format_value(card["value"], card["unit"]),
        _delta(card),
        delta_color="normal" if info.higher_is_better else "inverse",
        help=f"{card['label']}: {card['formula']} Latest month {card['period'][:7]}, change "
        "against the previous month.",
        border=True,
    )


def kpi_cards_ui(body: FullReport) -> None:
    cards = body["kpi_cards"]
    shown = [m for m in CARD_METRICS if m in cards]
    cols = st.columns(5)
    for i, metric in enumerate(shown):
        with cols[i % 5]:
            _card(metric, cards[metric])
    accuracy = body["kpis"].get("forecast_accuracy")
    with cols[len(shown) % 5]:
        st.metric(
            "Accuracy",
            "n/a" if accuracy is None else f"{accuracy:.1f}%",
            help="Forecast accuracy: 100 − the median backtest sMAPE of the chosen models on "
            "the money metrics: how close past forecasts came to what happened.",
            border=True,
        )
