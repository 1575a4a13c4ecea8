"""`python -m forecasting report` as a user runs it: a report file, progress, clean errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from paths import REPO

from forecasting import METRICS

PROGRESS = re.compile(r"^\[\s*(\d+)/14\] (\S+)\s+ok\b", re.MULTILINE)


def run_cli(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    # One BLAS thread, as in the engine's workers: the same numbers, much faster on 2 busy cores.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "forecasting", "report", *map(str, args)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def sequential_run(seed_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    output = tmp_path_factory.mktemp("cli") / "report.json"
    done = run_cli(seed_dir / "sample_financial_data.csv", "--executor", "sequential",
                   "--horizon", "3", "--level", "95", "--output", output)
    return done, output


@pytest.mark.slow
def test_report_exits_0_and_writes_the_14_forecasts(sequential_run) -> None:
    done, output = sequential_run
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    body = report["full_analysis_report"]
    assert list(body["forecast_chart"]) == list(METRICS)
    assert all(len(rows) == 3 for rows in body["forecast_chart"].values())
    assert body["timing"]["executor"] == "sequential"
    assert done.stdout == ""  # the JSON went to the file, not the terminal
    assert f"wrote {output}" in done.stderr


@pytest.mark.slow
def test_report_prints_one_progress_line_per_metric(sequential_run) -> None:
    done, _ = sequential_run
    progress = PROGRESS.findall(done.stderr)
    assert sorted(metric for _, metric in progress) == sorted(METRICS)
    assert [int(n) for n, _ in progress] == list(range(1, 15))
    assert "24 months from Jan 2023 to Dec 2024" in done.stderr


@pytest.mark.slow
def test_cli_and_library_give_the_same_forecasts(sequential_run, sample_report) -> None:
    _, output = sequential_run
    from_cli = json.loads(output.read_text(encoding="utf-8"))["full_analysis_report"]
    assert from_cli["forecast_chart"] == sample_report["full_analysis_report"]["forecast_chart"]


def test_six_month_export_exits_2_with_the_reason(seed_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    done = run_cli(seed_dir / "messy_financial_data.csv", "--executor", "sequential",
                   "--output", output)

    assert done.returncode == 2
    assert "Only 5 months of data were found" in done.stderr
    assert "the file covers 6 months, but 1 of them has no revenue" in done.stderr
    assert "at least 12 months" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not output.exists()


def test_missing_file_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-export.csv"
    done = run_cli(missing, "--executor", "sequential")

    assert done.returncode == 2
    assert "no-such-export.csv" in done.stderr
    assert done.stderr.startswith("error:")
    assert "Traceback" not in done.stderr + done.stdout


def test_binary_file_exits_2_without_traceback(tmp_path: Path) -> None:
    workbook = tmp_path / "export.xlsx"
    workbook.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(64))
    done = run_cli(workbook, "--executor", "sequential")

    assert done.returncode == 2
    assert "export.xlsx is not a CSV file" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("option", "message"), [
    (("--horizon", "13"), "horizon must be 1 to 12 months, got 13"),
    (("--workers", "0"), "workers must be at least 1, got 0"),
])
def test_invalid_setting_exits_2_with_the_rule(data_dir: Path, option: tuple[str, str],
                                               message: str) -> None:
    done = run_cli(data_dir / "messy_13_months.csv", *option)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/export.csv"], "/no/such/export.csv does not exist"),
        (["--level", "90", "x.csv"], "invalid choice: 90"),
    ],
)
def test_usage_mistakes_get_one_plain_line(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_unwritable_output_fails_before_any_fitting(company_csv: Path) -> None:
    result = run_cli(company_csv, "--output", "/no/such/folder/report.json")
    assert result.returncode == 2
    assert "the folder /no/such/folder does not exist" in result.stderr
    assert "[ 1/14]" not in result.stderr  # no model was fitted for a report it cannot write


def zero_last_month_csv(folder: Path) -> Path:
    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    lines = ["Date,Revenue,Expenses"] + [  # growth from a last month of zero is not a number
        f"{m:%Y-%m-%d},{0 if i == 23 else 10_000 + 100 * i},{6_000 + 50 * i}"
        for i, m in enumerate(months)]
    path = folder / "zero_last.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_with_log_level(level: str | None, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORECAST_LOG")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if level:
        env["FORECAST_LOG_LEVEL"] = level
    return subprocess.run([sys.executable, "-m", "forecasting", "report", *map(str, args)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_a_failed_metric_is_told_in_words_without_log_fields(tmp_path: Path) -> None:
    export = zero_last_month_csv(tmp_path)
    done = run_with_log_level(None, export, "--executor", "sequential",
                              "--output", tmp_path / "report.json")
    assert done.returncode == 0, done.stderr
    failed = [line for line in done.stderr.splitlines() if "growth_rate" in line]
    assert len(failed) == 1, done.stderr  # the progress line, not a log line repeating it
    assert re.search(r"growth_rate\s+FAILED \(growth cannot be forecast from a month of zero "
                     r"revenue \(the last month, 2024-12\)", failed[0])
    assert "{'" not in done.stderr and "| WARNING |" not in done.stderr

    verbose = run_with_log_level("DEBUG", export, "--executor", "sequential",
                                 "--output", tmp_path / "verbose.json")
    assert verbose.returncode == 0, verbose.stderr
    job = [line for line in verbose.stderr.splitlines() if "'event': 'job'" in line
           and "'metric': 'growth_rate'" in line]
    assert len(job) == 1 and "| WARNING |" in job[0], verbose.stderr


def test_engine_warnings_reach_the_terminal_as_sentences() -> None:
    snippet = (
        "from forecasting.cli import main\n"
        "from forecasting.logging_setup import logger\n"
        "import forecasting.cli as cli\n"
        "def report(args):\n"
        "    logger.bind(event='worker_died', pid=4242).warning(\n"
        "        'worker process 4242 died while running a task (killed by signal 9)')\n"
        "    logger.bind(event='job', metric='dso').warning('dso: failed, 1 tasks')\n"
        "    try:\n"
        "        1 / 0\n"
        "    except ZeroDivisionError:\n"
        "        logger.bind(event='pool_error').exception('the worker pool stopped')\n"
        "    return 0\n"
        "cli._report = report\n"
        "raise SystemExit(main(['report', 'tests/data/messy_13_months.csv']))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORECAST_LOG")}
    done = subprocess.run([sys.executable, "-c", snippet], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[:2] == [
        "warning: worker process 4242 died while running a task (killed by signal 9)",
        "error: the worker pool stopped",
    ]  # the job line is the progress line's to tell; no fields, no traceback
    assert "Traceback" not in done.stderr
