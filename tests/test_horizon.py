"""A horizon is accepted only when the history can backtest it; otherwise one line says what the
data supports — in the CLI (exit 2) and in the page (tested with the hostile corpus)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from paths import REPO

from forecasting import SourceFile, analyse, prepare
from forecasting.cli import nothing_forecast
from forecasting.errors import ModelError
from forecasting.horizon import horizon_message, max_supported_horizon
from forecasting.selection import plan_backtest
from forecasting.settings import MAX_HORIZON


@pytest.mark.parametrize("months", range(6, 40))
def test_the_supported_horizon_is_exactly_what_the_backtest_can_plan(months: int) -> None:
    supported = max_supported_horizon(months)
    for horizon in range(1, MAX_HORIZON + 1):
        if horizon <= supported:
            plan_backtest(months, horizon)
        else:
            with pytest.raises(ModelError):
                plan_backtest(months, horizon)


def test_the_message_says_what_the_data_supports() -> None:
    assert horizon_message(24, 12) is None
    assert horizon_message(12, 12) == (
        "12 months support at most a 4-month horizon (every forecast is backtested on the "
        "history first); choose 4 months or fewer, not 12.")


def twelve_months(path: Path) -> Path:
    months = pd.date_range("2023-01-31", periods=12, freq="ME")
    path.write_text("Date;Revenue;Operating Expenses\n" + "".join(
        f"{m:%d/%m/%Y};{1000 + 25 * i};{600 + 5 * i}\n" for i, m in enumerate(months)))
    return path


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "forecasting", "report", *map(str, args)],
                          cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                               "PATH": "/usr/bin:/bin"})


def test_a_twelve_month_file_at_a_twelve_month_horizon_exits_2_in_one_line(
        tmp_path: Path) -> None:
    done = cli(twelve_months(tmp_path / "year.csv"), "--horizon", "12", "--executor",
               "sequential", "--output", tmp_path / "out.json")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: 12 months support at most a 4-month horizon (every forecast is backtested on "
        "the history first); choose 4 months or fewer, not 12."]
    assert not (tmp_path / "out.json").exists()


def test_the_supported_horizon_forecasts_every_metric(tmp_path: Path) -> None:
    output = tmp_path / "out.json"
    done = cli(twelve_months(tmp_path / "year.csv"), "--horizon", "4", "--executor",
               "sequential", "--output", output)
    assert done.returncode == 0, done.stderr
    body = json.loads(output.read_text())["full_analysis_report"]
    forecast = {m: rows for m, rows in body["forecast_chart"].items() if rows}
    assert set(forecast) == {"revenue", "expenses", "profit", "profit_margin", "expense_ratio",
                             "growth_rate"}
    assert all(len(rows) == 4 for rows in forecast.values())
    assert body["metadata"]["max_horizon_months"] == 4


def test_a_run_where_no_metric_could_be_forecast_is_a_failure(tmp_path: Path) -> None:
    data = twelve_months(tmp_path / "year.csv").read_bytes()
    prepared = prepare([SourceFile("year.csv", data)], horizon=4, level=95)
    # The jobs at a horizon the history cannot backtest: every metric fails in the engine.
    too_far = dataclasses.replace(prepared, horizon=12, jobs=[
        dataclasses.replace(job, horizon=12) for job in prepared.jobs])
    message = nothing_forecast(analyse(too_far))
    assert message is not None
    assert message.startswith("no metric could be forecast (")
    assert "12 months are too few to backtest a 12-month forecast" in message
    assert nothing_forecast(analyse(dataclasses.replace(
        prepared, jobs=[j for j in prepared.jobs if j.metric == "revenue"]))) is None
