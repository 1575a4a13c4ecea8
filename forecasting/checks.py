"""Plausibility of the KPIs a finance user is about to sign off: days outstanding outside a
year or under a day, negative or near-zero equity, margins beyond ±100%, a month of revenue ten
times its neighbours, months of zero revenue. Each alert names the months and the numbers."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from .formatting import count
from .kpis import KpiFrame
from .report_types import Alert, Severity

__all__ = ["plausibility_alerts"]

_SPIKE: Final = 10.0


def _months(index: pd.Index, limit: int = 4) -> str:
    labels = [f"{pd.Timestamp(str(m)):%b %Y}" for m in index]
    return ", ".join(labels[:limit]) + (f" and {len(labels) - limit} more" if len(labels) > limit
                                         else "")


def _alert(severity: Severity, metric: str, title: str, detail: str) -> Alert:
    return {"severity": severity, "metric": metric, "title": title, "detail": detail}


def _days_outside(values: pd.DataFrame) -> list[Alert]:
    out = []
    for metric, label, what in (
        ("dso", "DSO", "accounts receivable"),
        ("dpo", "DPO", "accounts payable"),
    ):
        if metric not in values:
            continue
        days = values[metric].dropna()
        outside = days[(days < 1) | (days > 365)]
        if outside.empty:
            continue
        low = bool((outside < 1).any())
        why = (
            f"{what} is smaller than one day of the month's flow, which a balance rarely is: the "
            "column may hold per-transaction amounts"
            if low
            else f"{what} is more than a year of the month's flow"
        )
        out.append(
            _alert(
                "medium",
                metric,
                f"{label} is implausible",
                f"{label} is outside 1–365 days in {len(outside)} of {len(days)} months "
                f"({_months(outside.index)}; {outside.iloc[-1]:.1f} days in "
                f"{pd.Timestamp(str(outside.index[-1])):%b %Y}): {why}.",
            )
        )
    return out


def _equity(kpis: KpiFrame) -> list[Alert]:
    reason = kpis.skipped.get("debt_to_equity_ratio", "")
    if not reason.startswith("not meaningful"):
        return []
    return [
        _alert(
            "high",
            "debt_to_equity_ratio",
            "Debt to equity is not meaningful",
            f"Debt to equity is {reason} It is neither shown nor forecast; look at the "
            "liabilities and the equity themselves.",
        )
    ]


def _margins(values: pd.DataFrame) -> list[Alert]:
    out = []
    for metric, label in (("profit_margin", "Profit margin"), ("expense_ratio", "Expense ratio")):
        if metric not in values:
            continue
        series = values[metric].dropna()
        beyond = series[series.abs() > 100]
        if len(beyond):
            out.append(
                _alert(
                    "medium",
                    metric,
                    f"{label} beyond ±100%",
                    f"{label} is beyond ±100% in {count(len(beyond), 'month')} "
                    f"({_months(beyond.index)};"
                    f" {beyond.iloc[-1]:+.0f}%): check that revenue and costs are in the same "
                    "units and periods.",
                )
            )
    return out


def _revenue(monthly: pd.DataFrame) -> list[Alert]:
    revenue = monthly["revenue"]
    out = []
    zero = revenue[revenue == 0]
    if len(zero):
        out.append(
            _alert(
                "medium",
                "revenue",
                "Months without revenue",
                f"Revenue is zero in {count(len(zero), 'month')} ({_months(zero.index)}): growth "
                "from "
                "those months is not defined, and a forecast treats them as real.",
            )
        )
    neighbours = pd.concat([revenue.shift(1), revenue.shift(-1)], axis=1).median(axis=1)
    with np.errstate(all="ignore"):
        ratio = revenue / neighbours.where(neighbours > 0)
    spikes = ratio[ratio >= _SPIKE]
    if len(spikes):
        first = spikes.index[0]
        out.append(
            _alert(
                "medium",
                "revenue",
                "A month of revenue far above its neighbours",
                f"Revenue in {_months(spikes.index)} is {spikes.iloc[0]:.0f}× the months around "
                f"it ({revenue[first]:,.0f} against {neighbours[first]:,.0f}): a typo, a "
                "one-off or a cumulative figure would distort every forecast.",
            )
        )
    return out


def plausibility_alerts(monthly: pd.DataFrame, kpis: KpiFrame) -> list[Alert]:
    """Every plausibility rule that fires, as {severity, metric, title, detail}."""
    values = kpis.values
    return [*_equity(kpis), *_days_outside(values), *_margins(values), *_revenue(monthly)]
