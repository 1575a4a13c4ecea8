"""Values as the report writes them: numbers rounded and JSON-safe, dates as ISO days."""

from __future__ import annotations

import functools
import math
from typing import Any, Final

import pandas as pd

__all__ = ["day", "number"]

_ROUND: Final = 6


def number(value: Any) -> float | None:
    """A JSON-safe number: NaN and infinities become null."""
    if value is None:
        return None
    value = float(value)
    return round(value, _ROUND) if math.isfinite(value) else None


@functools.lru_cache(maxsize=4096)
def day(ts: Any) -> str:
    """A report date; cached, as a report writes the same few dozen months thousands of times."""
    return pd.Timestamp(ts).strftime("%Y-%m-%d")
