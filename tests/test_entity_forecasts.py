"""Per-entity forecasts: revenue, expenses and profit of each region, store, department (or
pair), beside the company's metrics; every entity forecast or listed with the reason; the same
results on a real Dask LocalCluster (loopback only) as on the engine's process pool."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import socket
import subprocess
import sys
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from entity_exports import Export, Unit, entity_export
from paths import REPO as ROOT
from shape import mismatches

from forecasting import (
    Analysis,
    DataValidationError,
    RunSettings,
    SourceFile,
    WorkerPool,
    analyse,
    build_report,
    dumps,
    loads,
    open_backend,
    prepare,
    with_entities,
)
from forecasting.bench import forecasts_identical
from forecasting.entities import parse_by, plan_entities
from forecasting.executors import Backend
from forecasting.report_types import Report
from forecasting.settings import METRICS

# Each region at its own scale (10x apart), so one entity's forecast handed to another shows.
REGIONS = [
    Unit(("Nord",), 200_000, growth=0.4),
    Unit(("Sud",), 20_000, growth=-0.3),
    Unit(("Ouest",), 2_000, gaps=(9, 21)),
    Unit(("Late",), 50_000, first=30),
    Unit(("Closed",), 30_000, last=28),
    Unit(("Sparse",), 10_000, gaps=tuple(range(3, 36, 3))),
]


def files(export: Export) -> list[SourceFile]:
    return [SourceFile(export.name, export.data)]


@pytest.mark.parametrize(("column", "sep", "date_format"), [
    ("Region", ",", "%Y-%m-%d"),
    ("Store", ";", "%d.%m.%Y"),
    ("Branch Name", "\t", "%m/%d/%Y"),
])
def test_every_entity_is_forecast_or_listed_with_its_reason(column: str, sep: str,
                                                            date_format: str) -> None:
    export = entity_export(REGIONS, (column,), sep=sep, date_format=date_format, seed=len(column))
    prepared = prepare(files(export), 3, 95)
    entity = prepared.data.summary.entity_columns
    assert len(entity) == 1
    plan = plan_entities(prepared.data, entity, 3)

    assert [s.label for s in plan.series] == ["Nord", "Sud", "Ouest"], "largest revenue first"
    assert set(plan.skipped) == {"Late", "Closed", "Sparse"}
    assert re.search(r"only 6 months of history \(from Jul 2023\).*at least 12",
                     plan.skipped["Late"])
    assert "no rows since May 2023, 7 months before the data ends" in plan.skipped["Closed"]
    assert "rows in only 25 of the 36 months" in plan.skipped["Sparse"]
    ouest = next(s for s in plan.series if s.label == "Ouest")
    assert ouest.notes == ["2 months without rows were interpolated (Oct 2021, Oct 2022)."]


def test_an_entitys_history_is_the_sum_of_its_own_rows_also_per_pair() -> None:
    units = [Unit(("North", "Sales"), 90_000, growth=0.1), Unit(("North", "Support"), 9_000),
             Unit(("South", "Sales"), 40_000), Unit(("South", "Support"), 4_000, growth=0.2)]
    export = entity_export(units, ("Region", "Department"), sep="|", seed=5, months=30)
    prepared = prepare(files(export), 3, 95)
    assert prepared.data.summary.entity_columns == ["region", "department"]

    pairs = plan_entities(prepared.data, ("region", "department"), 3)
    assert {s.label for s in pairs.series} == {u.label for u in units}
    for series in pairs.series:
        truth = export.revenue[series.label]
        assert series.values["revenue"].to_numpy() == pytest.approx(truth.to_numpy())
        assert series.keys == dict(zip(("region", "department"), series.label.split(" / "),
                                       strict=True))
    regions = plan_entities(prepared.data, parse_by("Region"), 3)
    north = next(s for s in regions.series if s.label == "North")
    both = export.revenue["North / Sales"] + export.revenue["North / Support"]
    assert north.values["revenue"].to_numpy() == pytest.approx(both.to_numpy())
    # Expenses and profit the way the company's KPIs have them: profit = revenue − expenses.
    assert (north.values["revenue"] - north.values["expenses"]).to_numpy() == pytest.approx(
        north.values["profit"].to_numpy())


@pytest.mark.parametrize(("by", "message"), [
    ("store", "This data has no store column to forecast by; it can be forecast by region."),
    ("region,department,store", "Forecast per one entity column or a pair of them, not 3"),
    ("colour", "'colour' is not one of them"),
])
def test_asking_for_entities_the_data_lacks_says_what_it_has(by: str, message: str) -> None:
    export = entity_export(REGIONS[:2], ("Region",), months=14)
    prepared = prepare(files(export), 1, 95)
    with pytest.raises(DataValidationError, match=re.escape(message)):
        with_entities(prepared, parse_by(by))


def test_a_company_without_entity_columns_is_told_so() -> None:
    export = entity_export([Unit(("Only",), 5_000)], ("Region",), months=14, rows_per_month=1)
    prepared = prepare(files(export), 1, 95)  # one row a month: a label, not a split
    with pytest.raises(DataValidationError, match="with several rows a month; this data has none"):
        with_entities(prepared, ("region",))


def test_an_entity_too_short_for_the_horizon_says_what_it_supports() -> None:
    export = entity_export([Unit(("Old",), 8_000), Unit(("New",), 8_000, first=22)], months=36)
    prepared = prepare(files(export), 9, 95)
    plan = plan_entities(prepared.data, ("region",), 9)
    assert [s.label for s in plan.series] == ["Old"]
    assert plan.skipped == {"New": "14 months support at most a 8-month horizon, not 9."}


# --- one real run: the company's metrics and three regions' on the engine's pool -------------
@dataclass(frozen=True)
class Run:
    export: Export
    analysis: Analysis
    report: dict[str, Any]


@pytest.fixture(scope="module")
def regions_run(worker_pool: WorkerPool) -> Run:
    export = entity_export(REGIONS, ("Region",), seed=11, name="regions-export.csv")
    prepared = prepare(files(export), 3, 95, by=("region",))
    analysis = analyse(prepared, Backend("processes", worker_pool, 2, 2))
    return Run(export, analysis, build_report(analysis, "finance_guardian"))


@pytest.mark.slow
def test_each_entity_gets_forecasts_with_bands_and_model_health(regions_run: Run) -> None:
    written = loads(dumps(regions_run.report))  # strict JSON both ways
    assert mismatches(written, Report) == []
    body = written["full_analysis_report"]
    section = body["entity_forecasts"]
    assert body["metadata"]["entity_forecasts_by"] == ["region"]
    assert list(section) == ["Nord", "Sud", "Ouest", "Closed", "Late", "Sparse"]
    for name in ("Nord", "Sud", "Ouest"):
        entry = section[name]
        assert entry["status"] == "ok", entry["reason"]
        assert entry["entity"] == {"region": name}
        last_actual = regions_run.export.revenue[name].iloc[-1]
        for metric in ("revenue", "expenses", "profit"):
            rows = entry["forecast_chart"][metric]
            assert [r["date"] for r in rows] == ["2024-01-01", "2024-02-01", "2024-03-01"]
            assert all(r["lower"] <= r["predicted"] <= r["upper"] for r in rows), (name, metric)
            health = entry["model_health_report"][metric]
            assert health["status"] == "ok" and health["best_model_selected"], health
            assert health["backtest_mase"] is not None
        first = entry["forecast_chart"]["revenue"][0]["predicted"]
        assert 0.5 < first / last_actual < 2, (name, first, last_actual)
    for name in ("Closed", "Late", "Sparse"):
        assert section[name]["status"] == "skipped" and section[name]["reason"]
        assert section[name]["forecast_chart"] == {}


@pytest.mark.slow
def test_ranking_by_expected_change_puts_the_growing_region_above_the_shrinking_one(
        regions_run: Run) -> None:
    section = regions_run.report["full_analysis_report"]["entity_forecasts"]
    change = {n: section[n]["expected_change"]["revenue"]["change_percent"]
              for n in ("Nord", "Sud", "Ouest")}
    assert change["Nord"] > 15 and change["Sud"] < -10, change  # +40% / −30% a year
    assert -15 < change["Ouest"] < 15, change


@pytest.mark.slow
def test_the_company_part_of_the_report_keeps_its_shape(regions_run: Run) -> None:
    plain = prepare(files(regions_run.export), 3, 95)
    analysis = regions_run.analysis
    assert [(j.metric, j.series.to_list()) for j in plain.jobs] == [
        (j.metric, j.series.to_list()) for j in analysis.prepared.jobs if j.entity is None]
    without = build_report(replace(analysis, prepared=plain, entity_results={}),
                           "finance_guardian")["full_analysis_report"]
    with_ = regions_run.report["full_analysis_report"]
    assert set(with_) == set(without) | {"entity_forecasts"}
    assert set(with_["metadata"]) == set(without["metadata"]) | {"entity_forecasts_by"}
    assert set(with_["forecast_chart"]) == set(METRICS)
    for key in ("forecast_chart", "forecast_bands", "model_health_report", "kpis", "history"):
        assert with_[key] == without[key], key
    assert {row["metric"] for row in with_["timing"]["per_metric"]} == set(analysis.results)
    assert len(with_["timing"]["entity_jobs"]) == 9


# --- the same report on a real Dask cluster ---------------------------------------------------
@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_process_pools_results(regions_run: Run) -> None:
    prepared = regions_run.analysis.prepared
    # Dask's usual HTTP port already taken (another cluster, another server on this machine):
    # the local cluster must start without a word about it.
    with contextlib.ExitStack() as stack:
        taken = stack.enter_context(contextlib.closing(socket.socket()))
        with contextlib.suppress(OSError):  # taken by someone else already: as good
            taken.bind(("127.0.0.1", 8787))
            taken.listen()
        said = stack.enter_context(warnings.catch_warnings(record=True))
        warnings.simplefilter("always")
        backend = stack.enter_context(open_backend(RunSettings(executor="dask", workers=2)))
        # (A ResourceWarning is Python's own notice of a socket a library let go unclosed: not
        # shown unless asked for.)
        shown = [str(w.message) for w in said if not issubclass(w.category, ResourceWarning)]
        assert not shown, "the cluster's start printed warnings"
        assert backend.kind == "dask" and backend.workers == 2
        address = getattr(backend.executor, "address", "")
        assert address.startswith("tcp://127.0.0.1:"), f"not loopback only: {address}"
        on_dask = analyse(prepared, backend)
    pool = regions_run.analysis
    assert forecasts_identical(on_dask.results, pool.results)
    assert set(on_dask.entity_results) == set(pool.entity_results) == {"Nord", "Sud", "Ouest"}
    for name, results in pool.entity_results.items():
        assert forecasts_identical(on_dask.entity_results[name], results), name
    every = [*on_dask.results.values(), *(r for e in on_dask.entity_results.values()
                                          for r in e.values())]
    workers = {t.worker for r in every for t in r.tasks}
    assert len(workers) == 2, f"both Dask workers ran tasks: {workers}"
    assert workers.isdisjoint({t.worker for r in pool.results.values() for t in r.tasks})
    report = build_report(on_dask, "finance_guardian")["full_analysis_report"]
    assert report["timing"]["executor"] == "dask"
    lanes = {row["worker"] for row in report["timing"]["tasks"]}
    assert lanes == workers, "one Gantt lane per Dask worker"


# --- the command line --------------------------------------------------------------------------
def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "forecasting", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_cli_report_by_store_lists_every_store(tmp_path: Path) -> None:
    units = [Unit(("S-01",), 60_000), Unit(("S-02",), 6_000), Unit(("S-03",), 9_000, first=20)]
    export = entity_export(units, ("Store",), expenses=False, sep=";", seed=3, months=26)
    path = tmp_path / "stores.csv"
    path.write_bytes(export.data)
    done = cli("report", str(path), "--by", "store", "--workers", "2", "--horizon", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "per store: 2 entities forecast, 1 not" in done.stderr
    assert "S-03: not forecast, only 6 months of history" in done.stderr
    section = json.loads(done.stdout)["full_analysis_report"]["entity_forecasts"]
    assert list(section) == ["S-01", "S-02", "S-03"]
    for name in ("S-01", "S-02"):
        assert len(section[name]["forecast_chart"]["revenue"]) == 2
        expenses = section[name]["model_health_report"]["expenses"]
        assert expenses["status"] == "skipped"
        assert "no expenses or cost of goods sold column" in expenses["reason"]


def test_cli_by_a_column_the_data_lacks_is_one_plain_line(tmp_path: Path) -> None:
    path = tmp_path / "regions.csv"
    path.write_bytes(entity_export(REGIONS[:2], ("Region",), months=14).data)
    done = cli("report", str(path), "--by", "department", "--horizon", "1")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "error: This data has no department column to forecast by; it can be forecast by "
        "region.")
    assert done.stdout == ""


# --- the seed system's comprehensive export: regions and departments, daily rows --------------
@pytest.fixture(scope="module")
def comprehensive(seed_dir: Path) -> tuple[bytes, list[dict[str, str]]]:
    data = (seed_dir / "comprehensive_financial_data.csv").read_bytes()
    return data, list(csv.DictReader(io.StringIO(data.decode())))


def test_seed_comprehensive_per_region_and_department_accounts_for_every_pair(
        comprehensive: tuple[bytes, list[dict[str, str]]]) -> None:
    data, rows = comprehensive
    prepared = with_entities(prepare([SourceFile("comprehensive.csv", data)], 1, 95),
                             ("region", "department"), company=False)
    plan = prepared.entities
    assert plan is not None
    months_of: dict[str, set[str]] = {}
    for row in rows:
        months_of.setdefault(f"{row['Region']} / {row['Department']}", set()).add(
            row["Transaction Date"][:7])
    accounted = {s.label for s in plan.series} | set(plan.skipped)
    assert accounted == set(months_of), "every region × department pair, once"
    assert len(months_of) == 32
    for label, reason in plan.skipped.items():
        sparse = re.match(r"rows in only (\d+) of the (\d+) months", reason)
        if sparse:  # the count is the pair's own months with rows, read independently
            assert int(sparse.group(1)) == len(months_of[label]), (label, reason)
        else:
            assert reason.startswith("no rows since"), (label, reason)


@pytest.mark.slow
def test_seed_comprehensive_regions_are_forecast_at_a_short_horizon(
        comprehensive: tuple[bytes, list[dict[str, str]]], worker_pool: WorkerPool) -> None:
    data, rows = comprehensive
    prepared = with_entities(prepare([SourceFile("comprehensive.csv", data)], 1, 95),
                             ("region",), company=False)
    # Revenue alone keeps this affordable: 345 months a series, the other metrics fit the same.
    revenue = replace(prepared, jobs=[j for j in prepared.jobs if j.metric == "revenue"])
    analysis = analyse(revenue, Backend("processes", worker_pool, 2, 2))
    section = build_report(analysis, "finance_guardian")["full_analysis_report"][
        "entity_forecasts"]
    assert set(section) == {row["Region"] for row in rows}
    for name, entry in section.items():
        health = entry["model_health_report"]["revenue"]
        assert health["status"] == "ok", (name, health["reason"])
        last_month = entry["history"]["revenue"][-1]["date"][:7]
        actual = sum(float(r["Sales Revenue"]) for r in rows
                     if r["Region"] == name and r["Transaction Date"].startswith(last_month))
        predicted = entry["forecast_chart"]["revenue"][0]["predicted"]
        assert 0.2 < predicted / actual < 5, (name, predicted, actual)


def test_entity_names_are_one_clean_line_and_a_blank_one_is_named() -> None:
    long = "Région " + "très " * 30 + "lointaine"
    units = [Unit((long,), 9_000), Unit(("",), 5_000), Unit(("Blue\nline",), 7_000)]
    export = entity_export(units, ("Region",), months=14, seed=2)
    prepared = prepare(files(export), 1, 95)
    plan = plan_entities(prepared.data, ("region",), 1)
    labels = [s.label for s in plan.series]
    assert labels == [long[:59] + "…", "Blue line", "(no region)"], labels
