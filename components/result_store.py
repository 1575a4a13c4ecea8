"""Results computed once per server and kept for every session: the fitted report and the
entity forecasts.

``st.cache_data`` would keep them too, but on a hit it replays every element the function drew
while it ran: the progress bar of a run that finished long ago flashed again on each rerun (a
mode or level switch), as if the forecasts were being refitted. Here a hit draws nothing; the
progress bar exists only while a run really fits.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import streamlit as st

__all__ = ["ResultStore", "kept_or_computed", "result_store"]

T = TypeVar("T")


class ResultStore:
    """A thread-safe least-recently-used store; each caller gets its own copy of a value, as
    ``st.cache_data`` gives, so no session can change what another sees."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            value = self._items[key]
        return copy.deepcopy(value)

    def put(self, key: Hashable, value: object) -> None:
        kept = copy.deepcopy(value)
        with self._lock:
            self._items[key] = kept
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


@st.cache_resource(show_spinner=False)
def result_store(name: str, size: int = 32) -> ResultStore:
    """The server's store called ``name`` (one per kind of result)."""
    return ResultStore(size)


def kept_or_computed(name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """The stored result for ``key``, else ``compute()``'s, stored for the next caller."""
    store = result_store(name)
    found = store.get(key)
    if found is not None:
        return found  # type: ignore[return-value]
    value = compute()
    store.put(key, value)
    return value
