"""Plausibility of the KPIs a finance user is about to sign off: days outstanding outside a
year or under a day, negative or near-zero equity, margins beyond ±100%, a month of revenue ten
times its neighbours, months of zero or negative revenue (or costs), a profit column far from
revenue − expenses. Each alert names the months, the numbers and the likeliest cause."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from .formatting import count, money
from .kpis import KpiFrame
from .report_types import Alert, Severity

__all__ = ["plausibility_alerts"]

_SPIKE: Final = 10.0


def _months(index: pd.Index, limit: int = 4) -> str:
    labels = [f"{pd.Timestamp(str(m)):%b %Y}" for m in index]
    return ", ".join(labels[:limit]) + (f" and {len(labels) - limit} more" if len(labels) > limit
                                         else "")


_PROFIT_GAP: Final = 0.10  # of revenue: beyond rounding and small other items


def _alert(severity: Severity, metric: str, title: str, detail: str) -> Alert:
    return {"severity": severity, "metric": metric, "title": title, "detail": detail}


def _outside(value: float, low: float, high: float, decimals: int, sign: str = "") -> str:
    """``value`` with the fewest decimals (from ``decimals``) that keep it visibly outside
    ``low``–``high``: 0.96 days, never "1.0 days" for a DSO said to be under a day."""
    for digits in range(decimals, 7):
        text = f"{value:{sign}.{digits}f}"
        if not low <= float(text) <= high:
            return text
    return f"{value:{sign}.10g}"


def _at_zero(what: str, months: pd.Index, every: int) -> str:
    if len(months) == every:
        return f"{what} is 0 in every month: the export probably leaves the column empty"
    return f"{what} is 0 in {count(len(months), 'month')} ({_months(months)})"


def _why_days(what: str, balance: pd.Series, outside: pd.Series, months: int) -> str:
    """Each cause of the months outside 1–365 days (of ``months`` with a value)."""
    at = balance.reindex(outside.index)
    zero, negative = outside.index[at == 0], outside.index[at < 0]
    small = outside[(outside < 1) & (at > 0)]
    causes = [_at_zero(what, zero, months)] if len(zero) else []
    if len(negative):
        causes.append(f"{what} is negative in {count(len(negative), 'month')} "
                      f"({_months(negative)})")
    if len(small):
        causes.append(f"{what} is smaller than one day of the month's flow, which a balance "
                      "rarely is: the column may hold per-transaction amounts")
    if (outside > 365).any():
        causes.append(f"{what} is more than a year of the month's flow")
    return "; ".join(causes)


def _days_outside(monthly: pd.DataFrame, values: pd.DataFrame) -> list[Alert]:
    out = []
    cost_base = monthly["cogs"] if "cogs" in monthly else values.get("expenses")
    for metric, label, what, balance, flow in (
        ("dso", "DSO", "accounts receivable", "ar", monthly["revenue"]),
        ("dpo", "DPO", "accounts payable", "ap", cost_base),
    ):
        if metric not in values or balance not in monthly or flow is None:
            continue
        days = values[metric].dropna()
        # A month of negative flow is named by its own alert; the balance is not the cause.
        outside = days[((days < 1) | (days > 365)) & (flow.reindex(days.index) > 0)]
        if outside.empty:
            continue
        out.append(
            _alert(
                "medium",
                metric,
                f"{label} is implausible",
                f"{label} is outside 1–365 days in {len(outside)} of {len(days)} months "
                f"({_months(outside.index)}; {_outside(outside.iloc[-1], 1, 365, 1)} days in "
                f"{pd.Timestamp(str(outside.index[-1])):%b %Y}): "
                f"{_why_days(what, monthly[balance], outside, len(days))}.",
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


def _margins(monthly: pd.DataFrame, values: pd.DataFrame) -> list[Alert]:
    out = []
    for metric, label in (("profit_margin", "Profit margin"), ("expense_ratio", "Expense ratio")):
        if metric not in values:
            continue
        series = values[metric].dropna()
        # A month of negative revenue is named by its own alert; the units are not the cause.
        beyond = series[(series.abs() > 100) & (monthly["revenue"].reindex(series.index) > 0)]
        if len(beyond):
            out.append(
                _alert(
                    "medium",
                    metric,
                    f"{label} beyond ±100%",
                    f"{label} is beyond ±100% in {count(len(beyond), 'month')} "
                    f"({_months(beyond.index)}; {_outside(beyond.iloc[-1], -100, 100, 0, '+')}%):"
                    " check that revenue and costs are in the same units and periods.",
                )
            )
    return out


def _with_amounts(series: pd.Series, limit: int = 4) -> str:
    """'Sep 2023: -$5,000, Oct 2023: -$1,200 and 3 more'."""
    shown = [f"{pd.Timestamp(str(m)):%b %Y}: {money(v)}" for m, v in series.iloc[:limit].items()]
    return ", ".join(shown) + (f" and {len(series) - limit} more" if len(series) > limit else "")


_NEGATIVE_FLOWS: Final = (
    # column, metric, as the sentence starts, why, what it makes meaningless ({}: the months)
    ("revenue", "revenue", "Revenue is", "credit notes or returns exceed sales there",
     "days sales outstanding and margins for {} are"),
    ("cogs", "expenses", "Cost of goods sold is", "returns or reversals exceed costs there",
     "days payable outstanding for {} is"),
    ("expenses", "expenses", "Expenses are", "refunds or reversals exceed costs there",
     "days payable outstanding for {} is"),
)


def _negative_flows(monthly: pd.DataFrame) -> list[Alert]:
    """Revenue, and the costs DPO divides by (cost of goods sold, else expenses), below zero."""
    out = []
    for column, metric, subject, cause, meaningless in _NEGATIVE_FLOWS:
        if column not in monthly or (column == "expenses" and "cogs" in monthly):
            continue
        negative = monthly[column][monthly[column] < 0]
        if negative.empty:
            continue
        those = "that month" if len(negative) == 1 else "those months"
        out.append(
            _alert(
                "medium",
                metric,
                f"Months of negative {subject.rsplit(' ', 1)[0].lower()}",
                f"{subject} negative in {count(len(negative), 'month')} "
                f"({_with_amounts(negative)}): {cause}; {meaningless.format(those)} not "
                "meaningful.",
            )
        )
    return out


def _revenue(monthly: pd.DataFrame) -> list[Alert]:
    revenue = monthly["revenue"]
    out = _negative_flows(monthly)
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


def _profit_apart(monthly: pd.DataFrame, values: pd.DataFrame) -> list[Alert]:
    """A profit column far from revenue − expenses in most months: it may hold income or costs
    the expenses column leaves out (other income, tax, interest), or leave out some it holds.
    Margins use the profit column, so the user should know which figure it is."""
    if "profit" not in monthly or "expenses" not in values:
        return []
    revenue = monthly["revenue"]
    costs, spend = values["expenses"], ""
    if "marketing" in monthly:  # a cost line of its own in exports that show it apart
        costs, spend = costs + monthly["marketing"].fillna(0.0), " − marketing"
    own = (revenue - costs).where(revenue > 0)
    gap = ((monthly["profit"] - own) / revenue).dropna()
    apart = gap[gap.abs() > _PROFIT_GAP]
    if gap.empty or len(apart) < 0.5 * len(gap):
        return []
    last = apart.index[-1]
    profit_share = monthly.at[last, "profit"] / revenue[last]
    own_share = own[last] / revenue[last]
    return [_alert(
        "low",
        "profit_margin",
        "Profit column differs from revenue − expenses",
        f"The profit column differs from revenue − expenses{spend} by more than "
        f"{_PROFIT_GAP:.0%} of revenue in {len(apart)} of {len(gap)} months "
        f"({_months(apart.index)}; {pd.Timestamp(str(last)):%b %Y}: profit "
        f"{profit_share:.0%} of revenue, revenue − expenses{spend} {own_share:.0%}): it may count "
        "income or costs the expenses column leaves out (other income, interest, tax), or the "
        "other way round. Margins use the profit column.",
    )]


def plausibility_alerts(monthly: pd.DataFrame, kpis: KpiFrame) -> list[Alert]:
    """Every plausibility rule that fires, as {severity, metric, title, detail}."""
    values = kpis.values
    return [
        *_equity(kpis),
        *_days_outside(monthly, values),
        *_margins(monthly, values),
        *_revenue(monthly),
        *_profit_apart(monthly, values),
    ]
