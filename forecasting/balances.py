"""Rows to months: flows summed; balances read per entity (region, store, branch, department,
entity, company, or a pair of them) — each entity's last reading in the month, summed over the
entities — and balance columns that behave like per-transaction amounts flagged."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Final

import numpy as np
import pandas as pd

from .columns import BALANCES, COLUMN_LABELS, FLOWS

__all__ = ["Aggregated", "aggregate_months"]

_SAME_SHARE: Final = 0.95  # share of (date, entity) groups whose rows repeat one value
_JUMPY: Final = 0.25  # median change between an entity's consecutive readings, as a share
_MIN_READINGS: Final = 3.0  # readings per entity and month before jumps are judged
_MOVES_WITH: Final = 0.8  # correlation with the same row's flow that marks a per-row amount
_PARTNER: Final = {"ar": "revenue", "ap": "expenses", "inventory": "expenses"}
_ENTITY_FLOWS: Final = ("revenue", "cogs", "expenses", "profit")


@dataclass(frozen=True)
class Aggregated:
    """The monthly frame, how each balance was read, and per-entity monthly flows."""

    monthly: pd.DataFrame
    basis: dict[str, str] = field(default_factory=dict)
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    transaction_like: dict[str, str] = field(default_factory=dict)
    entity_flows: pd.DataFrame | None = None


def _label(key: tuple[str, ...]) -> str:
    return " and ".join(COLUMN_LABELS[k].lower() for k in key) if key else "the company"


def _candidate_keys(entities: list[str]) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = [()]
    for size in range(1, len(entities) + 1):
        keys += list(combinations(entities, size))
    return keys


def _choose_key(
    rows: pd.DataFrame, column: str, entities: list[str]
) -> tuple[tuple[str, ...], str]:
    """The coarsest key a balance is recorded at: rows sharing a date and that key repeat one
    value (a region balance repeated on each department's row), or hold one reading each."""
    data = rows[["date", *entities, column]].dropna(subset=[column])
    for key in _candidate_keys(entities):
        groups = data.groupby(["date", *key], sort=False, observed=True)[column]
        sizes = groups.size()
        multi = sizes > 1
        if not multi.any():
            if key:
                return key, f"one reading per {_label(key)} and date"
            continue
        same = (groups.nunique()[multi] <= 1).mean()
        if same >= _SAME_SHARE and multi.sum() >= 3:
            if not key:
                return key, "every row of a date repeats the same value"
            return key, f"the rows of one {_label(key)} repeat the same value on a date"
    finest = tuple(entities)
    return finest, f"several readings per {_label(finest)} and date; the last one is used"


def _readings_per_month(data: pd.DataFrame, key: tuple[str, ...]) -> float:
    return float(data.groupby(["month", *key], observed=True).size().mean())


def _jumpiness(data: pd.DataFrame, column: str, key: tuple[str, ...]) -> float | None:
    """Median change between an entity's consecutive readings, relative to its typical level."""
    grouped = data.groupby(list(key), observed=True)[column] if key else None
    steps = (grouped.diff() if grouped is not None else data[column].diff()).abs()
    level = (
        grouped.transform(lambda s: s.abs().median())
        if grouped is not None
        else data[column].abs().median()
    )
    relative = steps / level
    finite = relative[np.isfinite(relative)]
    return float(finite.median()) if len(finite) else None


def _transaction_like(rows: pd.DataFrame, column: str, key: tuple[str, ...]) -> str | None:
    """Why a balance column looks like per-row amounts, judged where each entity has several
    readings a month: it moves with the same row's flow (an invoice's own receivable), or it
    jumps between consecutive readings as no running balance does."""
    data = rows[[c for c in ("month", *key, column, _PARTNER.get(column, "")) if c in rows]]
    data = data.dropna(subset=[column])
    if data.empty or _readings_per_month(data, key) < _MIN_READINGS:
        return None
    partner = _PARTNER.get(column, "")
    if partner in data and data[partner].notna().sum() > 10:
        # Within each entity: a big region has both more sales and more receivables, which
        # says nothing about whether a row holds a balance.
        pair = data[[column, partner]]
        centred = pair - pair.groupby([data[k] for k in key]).transform("mean") if key else pair
        with np.errstate(all="ignore"):
            corr = float(centred[column].corr(centred[partner]))
        if np.isfinite(corr) and corr >= _MOVES_WITH:
            share = (data[column] / data[partner].where(data[partner] != 0)).dropna()
            low, high = share.quantile(0.1), share.quantile(0.9)
            return (
                f"on each row it is {low:.0%}–{high:.0%} of that row's "
                f"{COLUMN_LABELS[partner].lower()} and moves with it (correlation {corr:.2f}), "
                "as an invoice's own amount does, not a running balance"
            )
    change = _jumpiness(data, column, key)
    if change is not None and change > _JUMPY:
        return (
            f"consecutive readings of one {_label(key) if key else 'company'} differ by "
            f"{change:.0%} of its typical level, more than a running balance moves"
        )
    return None


def _balances(
    rows: pd.DataFrame, entities: list[str]
) -> tuple[dict[str, pd.Series], dict[str, str], dict[str, tuple[str, ...]], dict[str, str]]:
    series: dict[str, pd.Series] = {}
    basis: dict[str, str] = {}
    keys: dict[str, tuple[str, ...]] = {}
    jumpy: dict[str, str] = {}
    for column in (c for c in BALANCES if c in rows):
        key, why = _choose_key(rows, column, entities) if entities else ((), "")
        last = rows.groupby(["month", *key], observed=True)[column].last()
        series[column] = last.groupby(level="month").sum(min_count=1) if key else last
        keys[column] = key
        if key:
            basis[column] = f"the last reading of each {_label(key)} in the month, summed ({why})"
        elif entities:
            basis[column] = f"the last reading in the month, once for the company ({why})"
        else:
            basis[column] = "the last reading in the month"
        looks_like = _transaction_like(rows, column, key)
        if looks_like is not None:
            jumpy[column] = looks_like
    return series, basis, keys, jumpy


def aggregate_months(rows: pd.DataFrame, entities: list[str]) -> Aggregated:
    """``rows`` sorted by date, with a ``month`` column; ``entities`` the entity columns."""
    grouped = rows.groupby("month")
    parts: list[pd.Series] = []
    flows = [c for c in FLOWS if c in rows]
    if flows:
        summed = grouped[flows].sum(min_count=1)
        parts += [summed[c] for c in flows]
    series, basis, keys, jumpy = _balances(rows, entities)
    parts += [s.rename(c) for c, s in series.items()]
    monthly = pd.concat(parts, axis=1)
    full = pd.date_range(monthly.index.min(), monthly.index.max(), freq="MS", name="month")
    monthly = monthly.reindex(full).astype("float64")
    entity_flows = None
    wanted = [c for c in _ENTITY_FLOWS if c in rows]
    if entities and wanted:
        entity_flows = (
            rows.groupby(["month", *entities], observed=True)[wanted]
            .sum(min_count=1)
            .reset_index()
            .sort_values(["month", *entities], kind="stable")
            .reset_index(drop=True)
        )
    return Aggregated(monthly, basis, keys, jumpy, entity_flows)
