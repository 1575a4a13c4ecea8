"""benchmarks/accuracy.py on a small slice of the real series: it runs and its JSON is complete."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from paths import REPO, benchmark_modules

SCRIPT = REPO / "benchmarks" / "accuracy.py"

METHODS = {"shipped", "selection", "uncalibrated", "ets", "theta", "sarima", "prophet",
           "seasonal_naive", "snaive_drift", "drift"}
ROW_FIELDS = {"method", "length", "horizon", "series", "failed", "mase_mean", "mase_median",
              "smape_mean", "coverage_80_mean", "coverage_95_mean", "interval_score_95_mean",
              "cpu_s_mean"}


def _run(tmp_path: Path, *args: str) -> dict:
    output = tmp_path / "accuracy.json"
    run = subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--workers", "1", "--output", str(output)],
        capture_output=True, text=True, timeout=600, check=False, cwd=REPO,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads(output.read_text())
    assert json.loads(run.stdout) == data  # the same JSON on stdout
    return data


def test_benchmark_slice_reports_every_method_and_field(tmp_path: Path) -> None:
    data = _run(tmp_path, "--half", "report", "--per-dataset", "2", "--lengths", "36",
                "--horizons", "3", "--prophet-per-dataset", "1", "--prophet-timeout", "5")
    assert data["half"] == "report"
    assert data["series"] == {"M1": 2, "Tourism": 2}
    assert data["cases"] == 4
    assert data["machine"] and "accuracy.py" in data["command"]
    methods = {row["method"] for row in data["results"]}
    assert methods >= METHODS
    for row in data["results"]:
        assert set(row) >= ROW_FIELDS, row["method"]
        assert (row["length"], row["horizon"]) == (36, 3)
        assert row["mase_mean"] > 0 and 0 <= row["coverage_95_mean"] <= 1
        assert row["cpu_s_mean"] >= 0
    shipped = next(r for r in data["results"] if r["method"] == "shipped")
    assert shipped["series"] == 4
    # The shipped method pays for the backtest of every family: more CPU than any one fit.
    ets = next(r for r in data["results"] if r["method"] == "ets")
    assert shipped["cpu_s_mean"] > ets["cpu_s_mean"]
    prophet = data["prophet_as_replaced"]
    assert prophet["series"] == 2 and prophet["fits"] == 2
    assert 0 <= prophet["timed_out_or_failed"] <= 2
    (goal,) = data["goals"]
    assert {"shipped_mase", "best_single", "best_single_mase", "below_best_single_pct"} <= set(goal)


def test_tuning_and_report_halves_never_share_a_series(tmp_path: Path) -> None:
    with benchmark_modules("accuracy_data") as (data,):
        cases, half_of = data.cases, data.half_of
    tune = {(c.dataset, c.name) for c in cases(("M1", "Tourism"), "tune", 20, (36,), (3,))}
    report = {(c.dataset, c.name) for c in cases(("M1", "Tourism"), "report", 20, (36,), (3,))}
    assert len(tune) == len(report) == 40
    assert not tune & report
    assert all(half_of(d, n) == "tune" for d, n in tune)


def test_heldout_run_scores_the_shipped_method_alone_on_m3(tmp_path: Path) -> None:
    data = _run(tmp_path, "--heldout", "--per-dataset", "2", "--lengths", "24",
                "--horizons", "6")
    assert data["half"] == "heldout (M3)" and data["series"] == {"M3": 2}
    assert {row["method"] for row in data["results"]} == {"shipped"}
    (row,) = data["results"]
    assert set(row) >= ROW_FIELDS and row["series"] == 2
    assert data["goals"] == []


def test_tuning_rule_chooses_from_the_scored_grid_against_the_previous_method() -> None:
    # accuracy_tune.py's choice on real tuning-half fits: it finds the previous method among
    # the scored settings and picks one no worse on average and at most 1% worse in any cell
    # (a grid whose members did not match the previous method's stopped the script with
    # StopIteration after its whole run).
    with benchmark_modules("accuracy_tune", "accuracy_data") as (accuracy_tune, data):
        cases, run_case = data.cases, data.run_case
    fits = [run_case(c) for c in cases(("M1", "Tourism"), "tune", 2, (36,), (3,))]
    grid = [accuracy_tune._scored(fits, s) for s in accuracy_tune._grid() if len(s.members) >= 5]
    previous = next(g for g in grid if all(g[k] == v for k, v in accuracy_tune.PREVIOUS.items()))
    chosen = accuracy_tune._choose(grid)
    assert chosen["mean_over_configs"] <= previous["mean_over_configs"]
    assert chosen["worst_cell_change"] <= 0.01
    assert json.loads(json.dumps(chosen)) == chosen
