"""Reading the dashboard under Streamlit's AppTest: the open tab, the files the download buttons
serve, and the forecast charts of every tab. Only the open tab is drawn, so a helper that needs
another tab opens it, as a user would, and goes back to the tab the test was on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import streamlit.testing.v1.app_test as app_test_module
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from forecasting.settings import METRICS

FORECAST_TABS = ("Core", "Working capital", "Ratios")

# AppTest creates a fresh in-memory media store for every run and drops it afterwards; the
# download button's proto only carries a URL into that store. Recording the stores lets the
# tests read the exact bytes a user would download.
_stores: list[MemoryMediaFileStorage] = []


class _RecordingStorage(MemoryMediaFileStorage):
    def __init__(self, media_endpoint: str) -> None:
        super().__init__(media_endpoint)
        _stores.append(self)
        del _stores[:-8]  # only the latest runs matter


@contextmanager
def recorded_downloads() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app_test_module, "MemoryMediaFileStorage", _RecordingStorage)
        yield


def show_tab(at: AppTest, name: str) -> AppTest:
    """Open the tab called ``name`` (the page reruns, as on a click)."""
    at.session_state["tab"] = name
    return at.run()


def open_tab_name(at: AppTest) -> str:
    return str(at.session_state["tab"]) if "tab" in at.session_state else FORECAST_TABS[0]


@contextmanager
def back_to_the_open_tab(at: AppTest) -> Iterator[AppTest]:
    """Afterwards, the tab that was open before (one rerun if another tab was opened)."""
    before = open_tab_name(at)
    try:
        yield at
    finally:
        if open_tab_name(at) != before:
            show_tab(at, before)


def on_tab(at: AppTest, name: str) -> AppTest:
    """The page with tab ``name`` open (a rerun only if another tab is open)."""
    return at if open_tab_name(at) == name else show_tab(at, name)


def download_file(at: AppTest, key: str) -> tuple[str, bytes]:
    """The file name and bytes the download button with ``key`` serves."""
    with back_to_the_open_tab(at):
        url = on_tab(at, "Downloads").download_button(key=key).proto.url
    name = url.rsplit("/", 1)[-1]
    for store in reversed(_stores):
        try:
            stored = store.get_file(name)
        except Exception:  # not in this run's store
            continue
        return str(stored.filename), stored.content
    raise AssertionError(f"download {key!r} ({url}) is not in any recorded media store")


def download_report(at: AppTest) -> dict[str, Any]:
    return json.loads(download_file(at, "download-json")[1])


def chart_specs(at: AppTest) -> list[dict[str, Any]]:
    """The Plotly figures drawn on the page as it is (the open tab and above it)."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def forecast_charts(at: AppTest) -> dict[str, dict[str, Any]]:
    """The forecast tabs' charts by metric (each carries its metric in the layout's meta),
    each tab opened in turn."""
    out: dict[str, dict[str, Any]] = {}
    with back_to_the_open_tab(at):
        for tab in FORECAST_TABS:
            for spec in chart_specs(on_tab(at, tab)):
                metric = (spec["layout"].get("meta") or {}).get("metric")
                if metric in METRICS:
                    assert metric not in out, f"two charts claim {metric}"
                    out[metric] = spec
    return out
