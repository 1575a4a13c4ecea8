"""Generated exports of companies split into entities (regions, stores, departments, pairs), with
each entity's true monthly revenue computed here from the rows written, not by the engine."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Unit:
    """One entity: its column values, typical monthly revenue, yearly growth, and which months
    (by index) it has rows in."""

    keys: tuple[str, ...]
    scale: float
    growth: float = 0.0
    first: int = 0
    last: int | None = None
    gaps: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        return " / ".join(self.keys)


@dataclass(frozen=True)
class Export:
    data: bytes
    name: str
    revenue: dict[str, pd.Series]  # entity label -> its monthly revenue, summed from the rows
    months: pd.DatetimeIndex


def entity_export(
    units: list[Unit],
    columns: tuple[str, ...] = ("Region",),
    months: int = 36,
    sep: str = ",",
    date_format: str = "%Y-%m-%d",
    rows_per_month: int = 3,
    expenses: bool = True,
    seed: int = 0,
    name: str = "entities.csv",
    start: str = "2021-01-01",
) -> Export:
    """Rows on several days of each month, entities interleaved in a shuffled order."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=months, freq="MS")
    rows: list[tuple[pd.Timestamp, tuple[str, ...], float, float]] = []
    truth: dict[str, dict[pd.Timestamp, float]] = {}
    for unit in units:
        last = months - 1 if unit.last is None else unit.last
        for t in range(unit.first, last + 1):
            if t in unit.gaps:
                continue
            level = unit.scale * (1 + unit.growth) ** (t / 12)
            level *= 1 + 0.15 * np.sin(2 * np.pi * t / 12)
            for k in range(rows_per_month):
                day = index[t] + pd.Timedelta(days=int(3 + 9 * k) % 27)
                revenue = round(level / rows_per_month * rng.gamma(20, 1 / 20), 2)
                cost = round(revenue * (0.55 + 0.1 * rng.random()), 2)
                rows.append((day, unit.keys, revenue, cost))
                month = truth.setdefault(unit.label, {})
                month[index[t]] = month.get(index[t], 0.0) + revenue
    rows = [rows[i] for i in rng.permutation(len(rows))]
    rows.sort(key=lambda r: r[0])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerow(["Date", *columns, "Revenue", *(["Expenses"] if expenses else [])])
    for day, keys, revenue, cost in rows:
        writer.writerow([f"{day:{date_format}}", *keys, f"{revenue:.2f}",
                         *([f"{cost:.2f}"] if expenses else [])])
    series = {label: pd.Series(values).sort_index() for label, values in truth.items()}
    return Export(out.getvalue().encode(), name, series, index)
