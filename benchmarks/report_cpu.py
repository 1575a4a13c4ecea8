"""CPU seconds of one full report: every metric's job run in this process, one after another.

CPU time, not wall time, so the figure barely moves when other programs share the machine: this
process's user + system time plus that of the child processes it waited for (Prophet runs each
fit as a Stan subprocess). Prints JSON: per-metric CPU seconds and their sum.

    .venv/bin/python benchmarks/report_cpu.py [FILE] [--horizon 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from forecasting import prepare, source_files_from_paths
from forecasting.models import silence_prophet
from forecasting.runner import run_job

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "company_financials.csv"


def _cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _one_run(path: str, horizon: int) -> dict[str, float]:
    prepared = prepare(source_files_from_paths([path]), horizon, 95)
    cpu: dict[str, float] = {}
    for job in prepared.jobs:
        started = _cpu()
        result = run_job(job)
        cpu[job.metric] = _cpu() - started
        if result.status != "ok":
            cpu[job.metric + " (failed)"] = 0.0
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", nargs="?", default=str(SAMPLE))
    parser.add_argument("--horizon", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    silence_prophet()
    import scipy.linalg  # noqa: F401  (scipy's BLAS must be loaded before it is limited)
    import statsmodels.tsa.api  # noqa: F401

    with threadpool_limits(1):
        _one_run(args.file, args.horizon)  # the first run pays imports and Stan's model load
        runs = [_one_run(args.file, args.horizon) for _ in range(args.repeat)]
    totals = [sum(run.values()) for run in runs]
    out: dict[str, Any] = {
        "file": Path(args.file).name,
        "horizon": args.horizon,
        "repeat": args.repeat,
        "jobs_cpu_s": round(statistics.median(totals), 3),
        "runs_cpu_s": [round(t, 3) for t in totals],
        "per_metric_cpu_s": {
            metric: round(statistics.median(run[metric] for run in runs), 4) for metric in runs[0]
        },
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
