"""CPU seconds of one full report, in this process: ingest and KPIs, every metric's tasks (fits
and combinations), and the report's assembly, as JSON.

CPU time, not wall time, so the figure barely moves when other programs share the machine: this
process's user + system time plus that of the child processes it waited for (Prophet runs each
fit as a Stan subprocess). The jobs run as the engine runs them (``run_jobs`` without an
executor: every task here, one after another), so growth_rate reuses revenue's fits.

    .venv/bin/python benchmarks/report_cpu.py [FILE] [--horizon 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from forecasting import Analysis, build_report, prepare, source_files_from_paths
from forecasting.backtest import cpu_seconds
from forecasting.models import silence_prophet
from forecasting.pipeline import RunTiming
from forecasting.runner import run_jobs

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "company_financials.csv"


def _one_run(path: str, horizon: int) -> dict[str, Any]:
    started = cpu_seconds()
    prepared = prepare(source_files_from_paths([path]), horizon, 95)
    ingest = cpu_seconds() - started
    started = cpu_seconds()
    results = {r.metric: r for r in run_jobs(prepared.jobs)}
    jobs = cpu_seconds() - started
    started = cpu_seconds()
    build_report(Analysis(prepared, results, RunTiming("sequential", 1, 0.0)), "finance_guardian")
    report = cpu_seconds() - started
    families: dict[str, float] = defaultdict(float)
    for result in results.values():
        for family, seconds in result.family_seconds.items():
            families[family] += seconds
    fitted = sum(1 for r in results.values() if r.family_seconds)
    return {
        "ingest_and_kpis": ingest,
        "jobs": jobs,
        "report_assembly": report,
        "series_fitted": fitted,
        "failed": sorted(m for m, r in results.items() if r.status != "ok"),
        "per_metric": {m: r.cpu_seconds for m, r in results.items()},
        "per_family": dict(families),
        "tasks": sum(len(r.tasks) for r in results.values()),
    }


def _median(runs: list[dict[str, Any]], *path: str) -> float:
    values = []
    for run in runs:
        value: Any = run
        for key in path:
            value = value[key]
        values.append(value)
    return round(statistics.median(values), 4)


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
    fitted = runs[0]["series_fitted"]
    out: dict[str, Any] = {
        "file": Path(args.file).name,
        "horizon": args.horizon,
        "repeat": args.repeat,
        "jobs_cpu_s": _median(runs, "jobs"),
        "runs_jobs_cpu_s": [round(r["jobs"], 3) for r in runs],
        "series_fitted": fitted,
        "cpu_per_series_s": round(_median(runs, "jobs") / fitted, 4),
        "tasks": runs[0]["tasks"],
        "failed": runs[0]["failed"],
        "ingest_and_kpis_cpu_s": _median(runs, "ingest_and_kpis"),
        "report_assembly_cpu_s": _median(runs, "report_assembly"),
        "per_family_cpu_s_per_series": {
            f: round(_median(runs, "per_family", f) / fitted, 4) for f in runs[0]["per_family"]
        },
        "per_metric_cpu_s": {m: _median(runs, "per_metric", m) for m in runs[0]["per_metric"]},
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
