"""The page beyond one report: the 'By entity' tab, the projected scaling in the Timing tab and
Dask from the sidebar, under Streamlit's AppTest with the real engine, pool and cluster."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from entity_exports import Unit, entity_export
from page import chart_specs, download_report, recorded_downloads, show_tab
from streamlit.testing.v1 import AppTest

from forecasting.settings import DASK_SCHEDULER_ENV

pytestmark = pytest.mark.slow

APP = Path(__file__).resolve().parents[1] / "app.py"
_REAL_MAIN = sys.modules["__main__"]

# Revenue only (few jobs); one region's name is markup, as an upload may hold.
UNITS = [Unit(("Nord",), 150_000, growth=0.5), Unit(("<i>Est</i>",), 40_000),
         Unit(("Sud",), 15_000, growth=-0.4), Unit(("Neuf",), 9_000, first=22)]


@pytest.fixture(scope="module", autouse=True)
def _page_state() -> Iterator[None]:
    """Downloads recorded; afterwards the real __main__ back and the server's pool and Dask
    cluster released (their on_release shuts them down)."""
    with recorded_downloads():
        yield
    sys.modules["__main__"] = _REAL_MAIN
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def _restore_main() -> Iterator[None]:
    yield
    sys.modules["__main__"] = _REAL_MAIN


def downloaded_report(at: AppTest) -> dict[str, Any]:
    report: dict[str, Any] = download_report(at)["full_analysis_report"]
    return report


def charts(at: AppTest) -> dict[str, dict[str, Any]]:
    out = {}
    for spec in chart_specs(at):
        title = spec["layout"].get("title", {})
        out[title.get("text", "") if isinstance(title, dict) else str(title)] = spec
    return out


def table_with(at: AppTest, column: str) -> Any:
    """The one table on the page that has ``column``, as a DataFrame; None if none has it."""
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(found) <= 1, f"{len(found)} tables have {column!r}"
    return found[0] if found else None


def clean(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def regions_page() -> AppTest:
    export = entity_export(UNITS, ("Region",), expenses=False, months=30, seed=21,
                           name="regions.csv")
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    at.sidebar.file_uploader[0].set_value((export.name, export.data, "text/csv")).run()
    return clean(at)


def test_entity_tab_is_off_until_asked(regions_page: AppTest) -> None:
    at = show_tab(regions_page, "By entity")
    assert at.selectbox(key="entity-by").value == ""
    assert table_with(at, "Expected change") is None
    assert any("off until you choose an entity column" in c.value for c in at.caption)
    assert "entity_forecasts" not in downloaded_report(at)


def test_entity_tab_ranks_draws_and_downloads_every_region(regions_page: AppTest) -> None:
    at = show_tab(regions_page, "By entity")
    at = clean(at.selectbox(key="entity-by").set_value("region").run())
    ranking = table_with(at, "Expected change")
    assert list(ranking["Entity"]) == ["Nord", "<i>Est</i>", "Sud"], "by expected change"
    changes = [float(v.rstrip("%")) for v in ranking["Expected change"]]
    assert changes == sorted(changes, reverse=True) and changes[0] > 0 > changes[-1]
    # Amounts as the cards write them.
    assert all(re.fullmatch(r"\$[\d,.]+[KMB]?", v) for v in ranking["Forecast"]), ranking
    missing = table_with(at, "Why not forecast")
    assert list(missing["Entity"]) == ["Neuf"]
    assert "only 8 month" in missing["Why not forecast"].iloc[0]
    assert any(c.value.startswith("Expenses is not forecast per entity: the data has no "
                                  "expenses") for c in at.caption)

    grid = next(spec for title, spec in charts(at).items() if title.startswith("Revenue by"))
    panels = [a["text"] for a in grid["layout"]["annotations"]]
    assert [p.split(" (")[0] for p in panels] == ["Nord", "&lt;i&gt;Est&lt;/i&gt;", "Sud"]
    names = {trace["name"] for trace in grid["data"]}
    assert {"Actual", "Forecast", "80% band", "95% band"} <= names

    # Downloaded from its own tab: the choice made here carries over, and is still made here.
    body = downloaded_report(at)
    assert at.selectbox(key="entity-by").value == "region"
    assert body["metadata"]["entity_forecasts_by"] == ["region"]
    assert set(body["entity_forecasts"]) == {u.label for u in UNITS}
    assert body["entity_forecasts"]["Neuf"]["status"] == "skipped"
    assert len(body["entity_forecasts"]["Nord"]["forecast_chart"]["revenue"]) == 3


def test_timing_tab_projects_to_64_workers_beside_the_claimed_table(
        regions_page: AppTest) -> None:
    at = show_tab(regions_page, "Timing")
    figure = charts(at)["Projected speedup by number of workers"]
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert traces["projected (this run's tasks)"]["x"][-1] == 64
    assert traces["replaced system (claimed)"]["x"] == [1, 8, 12, 16, 32]
    assert traces["measured on this machine"]["x"] == [2], "this report ran on 2 workers"
    table = table_with(at, "Claimed speedup")
    assert list(table["Workers"]) == [1, 2, 4, 8, 12, 16, 32, 64]
    claimed = dict(zip(table["Workers"], table["Replaced system s (claimed)"], strict=True))
    assert [claimed[w] for w in (1, 8, 12, 16, 32)] == ["280", "60", "45", "35", "24"]
    # Counts without a figure are empty cells, never 'None' or 'nan'.
    measured = table.set_index("Workers")["Measured here s"]
    assert (measured != "").to_dict() == {w: w == 2 for w in table["Workers"]}
    assert not table.isin(["None", "nan"]).any().any()


def test_a_configured_dask_address_is_offered_and_a_malformed_one_is_one_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DASK_SCHEDULER_ENV, "scheduler-without-port")
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.sidebar.selectbox(key="executor").set_value("dask").run()
    clean(at)
    assert at.sidebar.radio(key="dask-where").value == "address", "the configured one first"
    assert at.sidebar.radio(key="dask-where").options == [
        "Local cluster on this server", "The configured cluster"]
    assert not at.text_input, "the address is the server's, never typed on the page"
    assert [e.value for e in at.sidebar.error] == [
        "'scheduler-without-port' is not a Dask scheduler address: expected tcp://HOST:PORT "
        "(e.g. tcp://10.0.0.5:8786, the address `dask scheduler` prints). Set "
        f"{DASK_SCHEDULER_ENV} on the server to such an address."]
    assert not at.get("plotly_chart"), "nothing is forecast without a cluster to run on"


def test_a_local_dask_cluster_from_the_sidebar_runs_and_compares_the_report(
        regions_page: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the server's FORECAST_DASK_SCHEDULER, Dask is the local cluster only: no field
    to type an address into, so no visitor can make the server connect elsewhere."""
    monkeypatch.delenv(DASK_SCHEDULER_ENV, raising=False)
    at = show_tab(regions_page, "By entity")
    at.selectbox(key="entity-by").set_value("").run()
    show_tab(at, "Timing").sidebar.selectbox(key="executor").set_value("dask").run()
    clean(at)
    assert not at.text_input, [t.label for t in at.text_input]
    assert "dask-where" not in {r.key for r in at.sidebar.radio}, "a choice of one cluster"
    assert any("127.0.0.1" in c.value for c in at.sidebar.caption)
    assert any(c.value.startswith("This report: dask, 2 workers") for c in at.caption)
    clean(at.button(key="compare").click().run())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Same forecasts"] == "✓ identical"
    gantt = charts(at)["Parallel run: one lane per worker process"]
    # One lane per Dask worker that ran a task (which of the two ran what is Dask's choice).
    lanes = {lane for trace in gantt["data"] for lane in trace["y"]}
    assert 1 <= len(lanes) <= 2, lanes
    assert f"(pid {os.getpid()})" not in " ".join(lanes), "a task ran in the server process"
    body = downloaded_report(at)
    assert body["timing"]["executor"] == "dask"
    assert body["timing"]["comparison"]["identical"] is True
