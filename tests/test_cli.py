"""`python -m forecasting report` as a user runs it: a report file, progress, clean errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

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
