"""One-off months: a month far off both its neighbours and its season, like a single large deal.

Left in, such a month is learnt as if it would come back: seasonal models repeat it a year
later ("July +100%") and every model's spread, fitted to it, widens the band for all months.
A month is one when its bump (how far it stands off the line between its two neighbours) is

- far out: more than ``_Z`` robust standard deviations of the series' bumps, and more than
  ``_MATERIAL`` of the series' typical size;
- a spike, not a step: off both neighbours the same way, by at least half its bump (a level
  that moves and stays is news, not noise);
- not a season: off the same month of every other year (there must be one) by three
  quarters of its bump or more, and none of those bumps the same way by half as much (a
  December peak every year, or a peak that grows or moves between years, is the business);
- not the first or last month (a last month out of line may be a new level; nothing after it
  says otherwise);
- rare: at most one month a year of history; a series with more such months is spiky by
  nature and keeps them all.

The models are fitted with the line between its neighbours (plus the same month's usual bump
in the other years) in its place; the history shown and the
KPIs keep the month as it was, and the model details say what was replaced.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from .models.base import SEASON

__all__ = ["OneOff", "find_one_offs", "without_one_offs"]

_Z: Final = 5.0
_MATERIAL: Final = 0.15


class OneOff:
    """A month treated as a one-off: where it is, what it was, what the models saw instead."""

    def __init__(self, month: pd.Timestamp, value: float, replacement: float) -> None:
        self.month, self.value, self.replacement = month, value, replacement

    def note(self) -> str:
        return (
            f"{self.month:%b %Y} ({_amount(self.value)}) is far from the months around it and "
            f"from its season: treated as a one-off, the models were fitted with "
            f"{_amount(self.replacement)} in its place, so it is neither repeated a year later "
            "nor allowed to widen every month's band."
        )


def _amount(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _bump(values: np.ndarray) -> np.ndarray:
    """How far each month stands above (or below) the line between its two neighbours; the
    first and last months have no bump."""
    out = np.zeros(len(values))
    out[1:-1] = values[1:-1] - (values[:-2] + values[2:]) / 2
    return out


def find_one_offs(series: pd.Series) -> list[OneOff]:
    """The series' one-off months (see the module's rules), oldest first."""
    values = series.to_numpy(dtype=float)
    n = len(values)
    if n < 12 or not np.all(np.isfinite(values)):
        return []
    bump = _bump(values)
    inner = bump[1:-1]
    spread = 1.4826 * float(np.median(np.abs(inner - np.median(inner))))
    typical = float(np.median(np.abs(values)))
    if spread <= 0 or typical <= 0:
        return []
    threshold = max(_Z * spread, _MATERIAL * typical)
    found = []
    for t in range(1, n - 1):
        off = bump[t]
        if abs(off) <= threshold:
            continue
        # A spike, not a step: off both neighbours the same way, by at least half the bump.
        left, right = values[t] - values[t - 1], values[t] - values[t + 1]
        if min(left * np.sign(off), right * np.sign(off)) < 0.5 * abs(off):
            continue
        # Not a season: as far off every other year's same month, which does not bump the
        # same way (a peak that moves by a month, or grows, is still the season).
        others = [k for k in range(t % SEASON, n, SEASON) if k != t]
        far = max(threshold, 0.75 * abs(off))
        if not others or any((values[t] - values[k]) * np.sign(off) <= far for k in others):
            continue
        same = [bump[k] for k in others if 0 < k < n - 1]
        if any(b * np.sign(off) > 0.5 * abs(off) for b in same):
            continue
        usual = float(np.mean(same)) if same else 0.0
        found.append(OneOff(pd.Timestamp(series.index[t]), float(values[t]),
                            float(values[t] - off + usual)))
    return found if len(found) <= max(1, n // SEASON) else []


def without_one_offs(series: pd.Series) -> tuple[pd.Series, list[str]]:
    """The series with its one-off months replaced, and a note for each."""
    found = find_one_offs(series)
    if not found:
        return series, []
    values = series.to_numpy(dtype=float).copy()
    for one in found:
        values[series.index.get_loc(one.month)] = one.replacement
    return pd.Series(values, index=series.index, name=series.name), [one.note() for one in found]
