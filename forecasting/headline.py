"""The report's headline figures (``kpis``) and KPI cards, each key with one definition.

``growth_rate`` and ``profit_margin`` mean what the metrics of the same name mean — the latest
month — so the card, the JSON and the narrative agree; the year-over-year growth and the 12-month
margin have keys of their own."""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import pandas as pd

from .jsonvalues import number as _num
from .kpis import METRIC_INFO, NET_ASSETS_LABEL, KpiFrame
from .report_types import ForecastRow, Health, KpiCard

__all__ = ["KPI_DEFINITIONS", "headline_kpis", "kpi_cards", "kpi_definitions"]


KPI_DEFINITIONS: Final[dict[str, str]] = {
    "total_revenue": "Revenue summed over the last 12 months of the data.",
    "total_expenses": "Expenses summed over the last 12 months of the data.",
    "profit_margin": "Profit ÷ revenue of the latest month, in percent (the profit_margin "
    "metric and card).",
    "profit_margin_latest_month": "Profit ÷ revenue of the latest month, in percent (the same "
    "number as profit_margin).",
    "profit_margin_12m": "Profit ÷ revenue over the last 12 months, in percent.",
    "cashflow": "Operating cash flow summed over the last 12 months of the data.",
    "growth_rate": "Revenue of the latest month against the month before, in percent (the "
    "growth_rate metric and card).",
    "revenue_growth_mom": "Revenue of the latest month against the month before, in percent "
    "(the same number as growth_rate).",
    "revenue_growth_yoy": "Revenue of the last 12 months against the 12 months before, in "
    "percent; null with fewer than 24 months or no revenue in the earlier year.",
    "dso": "Days sales outstanding in the latest month.",
    "dpo": "Days payables outstanding in the latest month.",
    "cash_conversion_cycle": "DSO + DIO − DPO in the latest month.",
    "working_capital": "Current assets − current liabilities in the latest month.",
    "debt_to_equity_ratio": "Total liabilities ÷ equity in the latest month; null when equity is "
    "negative or near zero (not meaningful).",
    "forecast_accuracy": "100 − the median backtest sMAPE of the chosen models on the money "
    "metrics, in percent.",
}


def _ratio(numerator: float, denominator: float) -> float:
    """A percentage, or NaN where the base is zero, negative or missing."""
    if not (math.isfinite(numerator) and math.isfinite(denominator)) or denominator <= 0:
        return math.nan
    return numerator / denominator * 100


def _latest(values: pd.DataFrame, name: str) -> float:
    return float(values[name].iloc[-1]) if name in values else math.nan


def _accuracy(health: dict[str, Health]) -> float:
    smapes = [
        smape
        for h in health.values()
        if (smape := h.get("backtest_smape")) is not None and h["unit"] == "currency"
    ]
    return max(0.0, 100 - float(np.median(smapes))) if smapes else math.nan


def headline_kpis(values: pd.DataFrame, health: dict[str, Health]) -> dict[str, float | None]:
    """Trailing-12-month totals, latest-month positions, and both growth and margin bases."""
    last12 = values.tail(12)
    revenue_12 = float(last12["revenue"].sum())
    prior_12 = float(values["revenue"].iloc[-24:-12].sum()) if len(values) >= 24 else math.nan
    profit_12 = float(last12["profit"].sum()) if "profit" in values else math.nan

    def total(name: str) -> float:
        return float(last12[name].sum(min_count=1)) if name in values else math.nan

    return {
        "total_revenue": _num(revenue_12),
        "total_expenses": _num(total("expenses")),
        "profit_margin": _num(_latest(values, "profit_margin")),
        "profit_margin_latest_month": _num(_latest(values, "profit_margin")),
        "profit_margin_12m": _num(
            profit_12 / revenue_12 * 100 if revenue_12 and math.isfinite(profit_12) else math.nan
        ),
        "cashflow": _num(total("cashflow")),
        "growth_rate": _num(_latest(values, "growth_rate")),
        "revenue_growth_mom": _num(_latest(values, "growth_rate")),
        "revenue_growth_yoy": _num(_ratio(revenue_12 - prior_12, prior_12)),
        **{
            name: _num(_latest(values, name))
            for name in ("dso", "dpo", "cash_conversion_cycle", "working_capital",
                         "debt_to_equity_ratio")
        },
        "forecast_accuracy": _num(_accuracy(health)),
    }


def kpi_definitions(kpis: KpiFrame) -> dict[str, str]:
    """Each ``kpis`` key's definition for this data (working capital says which one it is)."""
    out = dict(KPI_DEFINITIONS)
    if kpis.labels.get("working_capital") == NET_ASSETS_LABEL:
        out["working_capital"] = (
            f"{kpis.formula('working_capital')} Value of the latest month."
        )
    return out


def kpi_cards(kpis: KpiFrame, chart: dict[str, list[ForecastRow]]) -> dict[str, KpiCard]:
    """One card per KPI with a value: latest month, change against the month before, the next
    forecast; a KPI that is not meaningful gets a card that says so and why."""
    values = kpis.values
    cards: dict[str, KpiCard] = {}
    for metric in values.columns:
        series = values[metric].dropna()
        if series.empty:
            continue
        latest = float(series.iloc[-1])
        previous = float(series.iloc[-2]) if len(series) > 1 else math.nan
        nxt = chart.get(metric)
        cards[metric] = {
            "label": kpis.label(metric),
            "unit": METRIC_INFO[metric].unit,
            "formula": kpis.formula(metric),
            "period": pd.Timestamp(str(series.index[-1])).strftime("%Y-%m-%d"),
            "value": _num(latest),
            "previous": _num(previous),
            "change": _num(latest - previous),
            "next_forecast": nxt[0]["predicted"] if nxt else None,
        }
    for metric, reason in kpis.skipped.items():
        if reason.startswith("not meaningful"):
            cards[metric] = {
                "label": kpis.label(metric),
                "unit": METRIC_INFO[metric].unit,
                "formula": kpis.formula(metric),
                "period": pd.Timestamp(str(values.index[-1])).strftime("%Y-%m-%d"),
                "value": None,
                "previous": None,
                "change": None,
                "next_forecast": None,
                "not_meaningful": reason,
            }
    return cards
