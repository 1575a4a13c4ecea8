"""Rows that repeat what other rows already hold: subtotals in per-entity exports, and a month
given twice in an export of one row a month.

A regional export often carries a "Total" (or "All regions") row per date beside the regions;
summed with them it doubles every amount. Such a row is left out when its revenue is the sum of
the other entities' on the same date, and said; a total-like label that is not that sum stays an
entity of its own, with a warning. A month with two rows in an export that otherwise has one a
month (a corrected row added, a row dated into the wrong month) is summed like any other, which
doubles its flows while balances take one reading: it is named in a warning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from .columns import COLUMN_LABELS
from .formatting import count
from .summary import IngestSummary
from .textfile import plain

__all__ = ["drop_subtotal_rows", "warn_repeated_months"]

_TOTAL_WORDS: Final = frozenset({
    "total", "totals", "grand total", "subtotal", "sub total", "all", "overall", "sum",
    "company", "company total", "total company", "consolidated", "group", "group total",
    "whole company", "combined",
})
_SHARE: Final = 0.8  # of the dates where it stands beside other entities
_TOLERANCE: Final = 0.005  # relative: a total rounded to the unit still matches


def _norm(label: object) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(label).lower()).strip()


def _total_like(label: object) -> bool:
    text = _norm(label)
    return (text in _TOTAL_WORDS or text.startswith(("total ", "all ", "sum "))
            or text.endswith((" total", " totals")))


def _sums_match(rows: pd.DataFrame, column: str, label: object, others: Sequence[str]) -> bool:
    """Whether the rows labelled ``label`` hold, date by date (and within the other entity
    columns), the sum of the other rows' revenue, on most dates where both are present."""
    keys = ["date", *others]
    amount = rows["revenue"]
    is_total = rows[column] == label
    total = amount[is_total].groupby([rows.loc[is_total, k] for k in keys], dropna=False).sum()
    rest = amount[~is_total].groupby([rows.loc[~is_total, k] for k in keys], dropna=False).sum()
    both = total.index.intersection(rest.index)
    if len(both) == 0:
        return False
    t, r = total.loc[both].to_numpy(float), rest.loc[both].to_numpy(float)
    close = np.abs(t - r) <= _TOLERANCE * np.maximum(np.abs(r), 1.0)
    return bool(close.mean() >= _SHARE)


def drop_subtotal_rows(rows: pd.DataFrame, entities: Sequence[str],
                       summary: IngestSummary) -> pd.DataFrame:
    """Leave out the rows of each entity column whose label reads as a total and whose revenue
    is the sum of the other entities' on the same date; warn about total-like labels that are
    not that sum (they stay entities)."""
    for column in entities:
        if column not in rows or rows[column].nunique() < 2:
            continue
        others = [c for c in entities if c != column and c in rows]
        name = COLUMN_LABELS.get(column, column)
        for label in [v for v in rows[column].dropna().unique() if _total_like(v)]:
            shown = plain(str(label), 40)
            if _sums_match(rows, column, label, others):
                dropped = int((rows[column] == label).sum())
                rows = rows[rows[column] != label]
                summary.add_drop(f"a subtotal ({name} {shown}, the sum of the others)", dropped)
                summary.warnings.append(
                    f"The rows with {name} {shown} hold the sum of the other "
                    f"{name.lower()} rows on the same date: {count(dropped, 'row')} left out, "
                    "so no amount is counted twice."
                )
            else:
                summary.warnings.append(
                    f"{name} {shown} reads like a total but its revenue is not the sum of the "
                    f"other {name.lower()} rows: it is kept as one {name.lower()} of its own. If "
                    "it is a total, remove its rows."
                )
    return rows


def warn_repeated_months(rows: pd.DataFrame, summary: IngestSummary) -> None:
    """In a file that otherwise has one row a month, name the months it gives more than once."""
    for name, own in rows.groupby("_file", sort=False):
        per_month = own.groupby("month").size()
        if len(per_month) < 3 or float(per_month.median()) != 1.0:
            continue
        repeated = per_month[per_month > 1]
        if repeated.empty:
            continue
        first = pd.Timestamp(repeated.index[0])
        more = ", ..." if len(repeated) > 1 else ""
        months = pd.period_range(per_month.index.min(), per_month.index.max(), freq="M")
        missing = months.to_timestamp().difference(pd.DatetimeIndex(per_month.index))
        hint = (
            f", and {count(len(missing), 'month')} {'has' if len(missing) == 1 else 'have'} "
            f"none ({missing[0]:%b %Y}{', ...' if len(missing) > 1 else ''}): a row may carry "
            "the wrong date"
            if len(missing) else ""
        )
        summary.add_alert(
            "medium",
            "data",
            f"{count(len(repeated), 'month')} given twice",
            f"{plain(str(name), 60)} has one row a month, but "
            f"{count(len(repeated), 'month')} {'has' if len(repeated) == 1 else 'have'} more than "
            f"one ({first:%b %Y}: {int(repeated.iloc[0])} rows{more})"
            f"{hint}. Their revenue and costs were added together and balances read from the "
            "last row, so that month's flows, days outstanding and growth may be far off. If a "
            "row corrects another, keep only the correction.",
        )
