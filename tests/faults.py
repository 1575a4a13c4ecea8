"""Series that fail where the engine cannot see them coming: real monthly series (the caller
plans their fits as usual) whose copy, once it reaches a worker process, kills it or never
finishes arriving, as an out-of-memory kill or a fit that never converges would."""

from __future__ import annotations

import os
import pickle
import time
from typing import Any

import pandas as pd


class StuckSeries(pd.Series):
    """Unpickling it in a worker sleeps for an hour."""

    @property
    def _constructor(self) -> type[StuckSeries]:
        return StuckSeries

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (time.sleep, (3600,))


class Deliveries:
    """How many times a series was sent to a worker, across all its copies."""

    def __init__(self) -> None:
        self.count = 0


def dies_on_delivery(series: pd.Series, times: int) -> tuple[pd.Series, Deliveries]:
    """The series, and its delivery count: its first ``times`` deliveries make the receiving
    worker exit at once; later ones deliver the series itself."""
    deliveries = Deliveries()

    class Dies(pd.Series):
        @property
        def _constructor(self) -> type[Dies]:
            return Dies

        def __reduce_ex__(self, protocol: Any) -> Any:  # runs here, once per task submitted
            deliveries.count += 1
            if deliveries.count <= times:
                return (os._exit, (1,))
            plain = pd.Series(self.to_numpy(), index=self.index, name=self.name)
            return (pickle.loads, (pickle.dumps(plain, protocol),))

    return Dies(series), deliveries
