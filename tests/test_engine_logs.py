"""The engine's structured logs, as an operator reads them: the level and format come from the
environment, and a report logs its settings, each job's metric, seconds and outcome, and the
pool's start and stop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from paths import REPO as ROOT

SNIPPET = (
    "from forecasting.logging_setup import configure_logging, logger\n"
    "configure_logging()\n"
    "logger.bind(event='probe', metric='revenue').info('an info line')\n"
    "logger.debug('a debug line')\n"
)


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FORECAST_LOG")}
    return subprocess.run(args, cwd=ROOT, env={**clean, "OPENBLAS_NUM_THREADS": "1", **env},
                          capture_output=True, text=True, timeout=300)


def json_records(stderr: str) -> list[dict[str, Any]]:
    lines = [line for line in stderr.splitlines() if line.startswith("{")]
    return [json.loads(line)["record"] for line in lines]


def test_the_level_and_the_json_format_come_from_the_environment() -> None:
    quiet = run([sys.executable, "-c", SNIPPET])
    assert "an info line" not in quiet.stderr, "warnings and errors only by default"

    loud = run([sys.executable, "-c", SNIPPET], FORECAST_LOG_LEVEL="info",
               FORECAST_LOG_FORMAT="json")
    records = json_records(loud.stderr)
    assert [r["message"] for r in records] == ["an info line"]
    assert records[0]["extra"] == {"event": "probe", "metric": "revenue"}

    wrong = run([sys.executable, "-c", SNIPPET], FORECAST_LOG_LEVEL="chatty")
    assert "FORECAST_LOG_LEVEL='CHATTY' is not a log level" in wrong.stderr
    assert "an info line" not in wrong.stderr


def test_a_cli_report_logs_its_settings_each_job_and_the_pool(tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    done = run([sys.executable, "-m", "forecasting", "report", "tests/data/messy_13_months.csv",
                "--executor", "sequential", "--time-limit", "30", "--output", str(output)],
               FORECAST_LOG_LEVEL="INFO", FORECAST_LOG_FORMAT="json")
    assert done.returncode == 0, done.stderr[-2000:]
    events: dict[str, list[dict[str, Any]]] = {}
    cli_pids = set()
    for record in json_records(done.stderr):
        events.setdefault(record["extra"].get("event", ""), []).append(record["extra"])
        cli_pids.add(record["process"]["id"])

    (settings,) = events["run"]
    assert settings["executor"] == "sequential" and settings["workers"] == 1
    assert settings["time_limit"] == 30.0 and settings["horizon"] == 3
    assert [e["workers"] for e in events["pool_start"]] == [1]
    assert len(events["pool_stop"]) == 1
    report = json.loads(output.read_text())["full_analysis_report"]
    jobs = {e["metric"]: e for e in events["job"]}
    attempted = {m for m, h in report["model_health_report"].items() if h["status"] != "skipped"}
    assert set(jobs) == attempted, "one job line per metric the report tried to forecast"
    for metric, job in jobs.items():
        health = report["model_health_report"][metric]
        assert job["outcome"] == health["status"], metric
        assert job["seconds"] > 0
        assert job["pid"] > 0 and job["pid"] not in cli_pids, "fitted in a worker process"
        assert job["model"] == health["best_model_selected"], metric


def test_a_time_limit_under_one_second_is_refused_with_the_rule() -> None:
    done = run([sys.executable, "-m", "forecasting", "report", "tests/data/messy_13_months.csv",
                "--time-limit", "0"])
    assert done.returncode == 2
    assert done.stderr.strip() == "error: the time limit must be 1 to 3600 seconds, got 0"
