"""Per-entity forecasts: revenue, expenses and profit of each region, store, branch, department
(or each pair of them), beside the company's 14 metrics.

``plan_entities`` turns ``IngestResult.entity_flows`` into one monthly frame per entity, or the
reason an entity cannot be forecast (too little history, too sparse, stopped reporting);
``entity_jobs`` makes one ``ForecastJob`` per entity and metric, run like any other job.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import pandas as pd

from .columns import COLUMN_LABELS, ENTITIES
from .errors import DataValidationError
from .formatting import count
from .horizon import max_supported_horizon
from .ingest import IngestResult
from .months import MIN_MONTHS, month_label
from .runner import ForecastJob
from .textfile import clean_name

__all__ = [
    "ENTITY_METRICS",
    "MAX_ENTITIES",
    "EntityPlan",
    "EntitySeries",
    "check_by",
    "entity_jobs",
    "parse_by",
    "plan_entities",
]

ENTITY_METRICS: Final = ("revenue", "expenses", "profit")
MAX_ENTITIES: Final = 500
"""Entities forecast in one report (each is three series); the rest are listed with the reason.
A report of 500 entities is 1,500 series: minutes of CPU, a few MB of JSON."""
_MOST_MISSING: Final = 0.2  # months without rows an entity may have, as a share of its span
_PAIR: Final = " / "


@dataclass(frozen=True)
class EntitySeries:
    """One entity's monthly revenue, expenses and profit, ready to forecast."""

    label: str
    keys: dict[str, str]
    values: pd.DataFrame  # month-start index, one column per metric in ENTITY_METRICS it has
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # metric -> why it is not forecast
    filled: tuple[pd.Timestamp, ...] = ()  # months without rows, interpolated


@dataclass(frozen=True)
class EntityPlan:
    """Which entities are forecast (largest revenue first) and why the others are not."""

    by: tuple[str, ...]
    series: list[EntitySeries]
    skipped: dict[str, str]  # label -> reason
    keys: dict[str, dict[str, str]]  # every entity's label -> its column values


def parse_by(text: str) -> tuple[str, ...]:
    """``"region"`` or ``"Region, Department"`` -> canonical entity column names."""
    names = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    unknown = [n for n in names if n not in ENTITIES]
    if unknown:
        raise DataValidationError(
            f"--by takes entity columns ({', '.join(ENTITIES)}), one or two separated by a "
            f"comma; {', '.join(repr(n) for n in unknown)} is not one of them."
        )
    return names


def check_by(by: Sequence[str], available: Sequence[str]) -> tuple[str, ...]:
    """``by`` if the data has these entity columns (one, or a pair), else a clear error."""
    by = tuple(dict.fromkeys(by))
    if not available:
        raise DataValidationError(
            "Per-entity forecasts need an entity column (region, store, branch, department, "
            "entity or company) with several rows a month; this data has none."
        )
    if not 1 <= len(by) <= 2:
        raise DataValidationError(
            f"Forecast per one entity column or a pair of them, not {len(by)} "
            f"(this data has {', '.join(available)})."
        )
    missing = [c for c in by if c not in available]
    if missing:
        raise DataValidationError(
            f"This data has no {' or '.join(missing)} column to forecast by; it can be "
            f"forecast by {' or '.join(available)}."
        )
    return by


def _costs(frame: pd.DataFrame) -> pd.Series | None:
    """Expenses as the company's KPI has them: operating expenses plus COGS where both exist."""
    if "expenses" in frame and "cogs" in frame:
        return frame["expenses"].add(frame["cogs"], fill_value=0.0).where(
            frame["expenses"].notna() | frame["cogs"].notna()
        )
    expenses: pd.Series | None = frame.get("cogs", frame.get("expenses"))
    return expenses


def _metrics(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Revenue, expenses and profit of one entity's months, or why a metric is not there."""
    out = {"revenue": frame["revenue"]}
    skipped: dict[str, str] = {}
    costs = _costs(frame)
    if costs is not None:
        out["expenses"] = costs
    else:
        skipped["expenses"] = "the data has no expenses or cost of goods sold column."
    if "profit" in frame:
        out["profit"] = frame["profit"]
    elif costs is not None:
        out["profit"] = frame["revenue"] - costs
    else:
        skipped["profit"] = "the data has no profit column, nor expenses to derive it from."
    return pd.DataFrame(out, index=frame.index).astype("float64"), skipped


def _label(keys: dict[str, str], by: Sequence[str]) -> str:
    """An entity's name for the report, the page and the terminal: the upload's own text, one
    line, control characters made visible, bounded; a blank cell named as such."""
    return _PAIR.join(
        clean_name(keys[c], 60) if keys[c].strip() else f"(no {COLUMN_LABELS[c].lower()})"
        for c in by
    )


def _grouped(
    flows: pd.DataFrame, by: tuple[str, ...]
) -> Iterable[tuple[dict[str, str], pd.DataFrame]]:
    amounts = [c for c in flows.columns if c not in ("month", *ENTITIES)]
    keyed = flows.assign(**{c: flows[c].fillna("").replace("nan", "") for c in by})
    summed = keyed.groupby([*by, "month"], sort=True)[amounts].sum(min_count=1)
    for values, frame in summed.groupby(level=list(range(len(by))), sort=True):
        names = values if isinstance(values, tuple) else (values,)
        keys = {c: str(v) for c, v in zip(by, names, strict=True)}
        yield keys, frame.droplevel(list(range(len(by))))


def _why_not(revenue: pd.Series, months: pd.DatetimeIndex, horizon: int) -> str | None:
    """Why an entity's revenue months cannot be forecast, or None when they can."""
    present = revenue.dropna()
    if present.empty:
        return "no month with revenue."
    first, last = present.index[0], present.index[-1]
    if last < months[-1]:
        behind = int((months > last).sum())
        return (
            f"no rows since {month_label(last)}, {count(behind, 'month')} before the data ends; a "
            "forecast would start from months it does not have."
        )
    span = int((months >= first).sum())
    if span < MIN_MONTHS:
        return (
            f"only {count(span, 'month')} of history (from {month_label(first)}); forecasting "
            f"needs at least {MIN_MONTHS}."
        )
    if span - len(present) > _MOST_MISSING * span:
        return (
            f"rows in only {len(present)} of the {span} months since {month_label(first)}: too "
            "sparse to forecast (a month without rows is unknown, not zero)."
        )
    supported = max_supported_horizon(span)
    if horizon > supported:
        return (
            f"{span} months support at most a {supported}-month horizon, not {horizon}."
        )
    return None


def _series(
    label: str, keys: dict[str, str], frame: pd.DataFrame, months: pd.DatetimeIndex
) -> EntitySeries:
    first = pd.Timestamp(str(frame["revenue"].first_valid_index()))
    span = months[months >= first]
    values, skipped = _metrics(frame.reindex(span))
    gaps = values["revenue"].isna()
    notes = []
    if gaps.any():
        notes.append(
            f"{count(int(gaps.sum()), 'month')} without rows "
            f"{'was' if int(gaps.sum()) == 1 else 'were'} interpolated "
            f"({', '.join(month_label(m) for m in span[gaps][:3])}"
            f"{', ...' if gaps.sum() > 3 else ''})."
        )
    values = values.interpolate(limit_area="inside")
    if first > months[0]:
        notes.append(f"Its rows start in {month_label(first)}.")
    filled = tuple(pd.Timestamp(m) for m in span[gaps])
    return EntitySeries(label, keys, values, notes, skipped, filled)


def plan_entities(data: IngestResult, by: Sequence[str], horizon: int) -> EntityPlan:
    """One series per entity of ``by`` (a column or a pair) that can be forecast at ``horizon``;
    every other entity listed with the reason."""
    chosen = check_by(by, data.summary.entity_columns)
    flows = data.entity_flows
    if flows is None or "revenue" not in flows:
        raise DataValidationError("This data has no revenue per entity to forecast.")
    months = pd.DatetimeIndex(data.monthly.index)
    ready: list[tuple[float, EntitySeries]] = []
    skipped: dict[str, str] = {}
    keys: dict[str, dict[str, str]] = {}
    for entity_keys, frame in _grouped(flows, chosen):
        label = _unique(_label(entity_keys, chosen), keys)
        keys[label] = entity_keys
        reason = _why_not(frame["revenue"], months, horizon)
        if reason is not None:
            skipped[label] = reason
            continue
        series = _series(label, entity_keys, frame, months)
        ready.append((float(frame["revenue"].abs().sum()), series))
    ready.sort(key=lambda item: -item[0])
    for _, extra in ready[MAX_ENTITIES:]:
        skipped[extra.label] = (
            f"one of {len(ready)} entities that could be forecast: a report forecasts the "
            f"{MAX_ENTITIES} with the most revenue."
        )
    return EntityPlan(chosen, [s for _, s in ready[:MAX_ENTITIES]], skipped, keys)


def _unique(label: str, taken: dict[str, dict[str, str]]) -> str:
    """Two entities whose names join to the same label ("A / B" + "C", "A" + "B / C")."""
    candidate, k = label, 2
    while candidate in taken:
        candidate, k = f"{label} ({k})", k + 1
    return candidate


def entity_jobs(plan: EntityPlan, horizon: int, level: int) -> list[ForecastJob]:
    """One job per entity and metric, largest entities first."""
    return [
        ForecastJob(metric, series.values[metric], horizon, level, entity=series.label)
        for series in plan.series
        for metric in ENTITY_METRICS
        if metric in series.values
    ]
