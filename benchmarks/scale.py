"""Cost of a report as the series grow: generated companies of 1, 10, 50 and 200 stores, each run
as the company's 14 metrics plus revenue, expenses and profit per store, on the sequential
executor, the process pool and a local Dask cluster. Prints JSON.

Each (size, executor) runs in a fresh child process that starts its executor, then times
ingest + KPIs + every job + report assembly (``wall_s``; the executor's start is ``start_s``),
takes the CPU seconds of the whole process tree over that span (workers, Stan's subprocesses
and the caller: ``cpu_s``, and per series), and samples the tree's resident memory every 0.1 s
from before the executor starts (``peak_rss_mb``: the sum over all its processes). What crosses
the wire to a worker and back is the mean pickled job and result (``job_kb``, ``result_kb``).
``projected_speedup`` projects this run's task times and serial part (ingest, KPIs, report
assembly: ``serial_s``) to 1-64 workers (``forecasting.projection``). With one store the
entity's three series are the company's own, so that size is the company report.

    .venv/bin/python benchmarks/scale.py [--sizes 1 10 50 200] \
        [--executors sequential processes dask] [--workers 2] [--output scale.json]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
MONTHS = 60


def generate(stores: int, months: int = MONTHS, seed: int = 7) -> bytes:
    """One row per store and month (month-end dates): flows with trend, a yearly season and
    noise; balances that run with them; stores of very different sizes."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2021-01-31", periods=months, freq="ME")
    t = np.arange(months)
    frames = []
    for k in range(stores):
        size = 50_000 * rng.lognormal(0, 0.8)
        trend = 1 + rng.normal(0.08, 0.1) * t / 12
        season = 1 + rng.uniform(0.05, 0.25) * np.sin(2 * np.pi * (t + rng.integers(12)) / 12)
        revenue = size * trend * season * rng.normal(1, 0.05, months)
        cogs = revenue * rng.uniform(0.35, 0.5) * rng.normal(1, 0.03, months)
        opex = size * rng.uniform(0.2, 0.35) * rng.normal(1, 0.04, months)
        assets = size * 8 * trend * rng.normal(1, 0.01, months)
        frames.append(pd.DataFrame({
            "Date": dates.strftime("%Y-%m-%d"),
            "Store": f"Store {k + 1:03d}",
            "Revenue": revenue.round(2),
            "Cost of Goods Sold": cogs.round(2),
            "Operating Expenses": opex.round(2),
            "Net Profit": (revenue - cogs - opex).round(2),
            "Operating Cash Flow": ((revenue - cogs - opex)
                                    * rng.normal(0.9, 0.1, months)).round(2),
            "Accounts Receivable": (revenue * rng.uniform(1.0, 1.8)).round(2),
            "Accounts Payable": (cogs * rng.uniform(0.8, 1.5)).round(2),
            "Inventory": (cogs * rng.uniform(0.5, 1.2)).round(2),
            "Current Assets": (assets * 0.4).round(2),
            "Current Liabilities": (assets * rng.uniform(0.15, 0.3)).round(2),
            "Total Assets": assets.round(2),
            "Total Liabilities": (assets * rng.uniform(0.35, 0.6)).round(2),
        }))
    return pd.concat(frames).sort_values("Date", kind="stable").to_csv(index=False).encode()


class TreeSampler(threading.Thread):
    """Peak of the summed resident memory of this process and all its descendants."""

    def __init__(self, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.interval, self.peak, self._done = interval, 0, threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self._done.wait(self.interval):
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:  # ended between listing and reading
                    continue
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


def tree_cpu() -> float:
    """CPU seconds of this process and its descendants, their waited-for children included."""
    me = psutil.Process()
    total = 0.0
    for proc in [me, *me.children(recursive=True)]:
        try:
            c = proc.cpu_times()
        except psutil.Error:
            continue
        total += c.user + c.system + c.children_user + c.children_system
    return total


def one(stores: int, executor: str, workers: int, horizon: int) -> dict[str, Any]:
    """Runs in the child: one report of ``stores`` stores on ``executor``."""
    from forecasting import RunSettings, SourceFile, analyse, build_report, dumps, open_backend
    from forecasting import prepare as prepare_report
    from forecasting.projection import TaskCost, project

    data = generate(stores)
    sampler = TreeSampler()
    sampler.start()
    started = time.perf_counter()
    settings = RunSettings(executor=executor, workers=1 if executor == "sequential" else workers)
    with open_backend(settings) as backend:
        start_s = time.perf_counter() - started
        cpu_before, began = tree_cpu(), time.perf_counter()
        prepared = prepare_report([SourceFile(f"stores-{stores}.csv", data)], horizon, 95,
                                  by=("store",) if stores > 1 else ())
        analysis = analyse(prepared, backend)
        assembled = time.perf_counter()
        text = dumps(build_report(analysis, "finance_guardian"))
        assembly_s = time.perf_counter() - assembled
        wall, cpu = time.perf_counter() - began, tree_cpu() - cpu_before
    peak = sampler.stop()
    results = [*analysis.results.values(),
               *(r for e in analysis.entity_results.values() for r in e.values())]
    series = len(results)
    job_kb = np.mean([len(pickle.dumps(j, pickle.HIGHEST_PROTOCOL)) for j in prepared.jobs])
    result_kb = np.mean([len(pickle.dumps(r, pickle.HIGHEST_PROTOCOL)) for r in results])
    # This run's task times projected to more workers (their ratio holds on a busy machine).
    tasks = [TaskCost.of(t.key, t.finished - t.started, t.group)
             for r in results for t in r.tasks]
    projected = project(tasks, prepared.seconds + assembly_s, workers=(1, 8, 16, 32, 64))
    return {
        "stores": stores,
        "executor": executor,
        "workers": backend.workers,
        "jobs": len(prepared.jobs),
        "tasks": len(tasks),
        "series": series,
        "failed": sum(r.status != "ok" for r in results),
        "start_s": round(start_s, 2),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "cpu_per_series_s": round(cpu / series, 3),
        "wall_per_series_s": round(wall / series, 3),
        "peak_rss_mb": round(peak / 2**20),
        "report_mb": round(len(text.encode()) / 2**20, 2),
        "job_kb": round(float(job_kb) / 1024, 1),
        "result_kb": round(float(result_kb) / 1024, 1),
        "serial_s": round(prepared.seconds + assembly_s, 2),
        "projected_speedup": {p.workers: round(p.speedup, 2) for p in projected},
    }


def _child(stores: int, executor: str, workers: int, horizon: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--one", str(stores), executor, "--workers", str(workers),
         "--horizon", str(horizon)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        return {"stores": stores, "executor": executor, "error": done.stderr[-600:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _linear(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """CPU seconds against series, per executor: slope, intercept, and R²."""
    out = {}
    for executor in sorted({r["executor"] for r in rows if "cpu_s" in r}):
        points = [(r["series"], r["cpu_s"]) for r in rows if r.get("executor") == executor
                  and "cpu_s" in r]
        if len(points) < 2:
            continue
        x, y = np.array(points, dtype=float).T
        slope, intercept = np.polyfit(x, y, 1)
        fitted = slope * x + intercept
        r2 = 1 - np.sum((y - fitted) ** 2) / max(np.sum((y - y.mean()) ** 2), 1e-12)
        out[executor] = {"cpu_s_per_series": round(float(slope), 3),
                         "intercept_s": round(float(intercept), 2), "r2": round(float(r2), 4)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50, 200])
    parser.add_argument("--executors", nargs="+", default=["sequential", "processes", "dask"],
                        choices=["sequential", "processes", "dask"])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--horizon", type=int, default=3)
    parser.add_argument("--output")
    parser.add_argument("--one", nargs=2, metavar=("STORES", "EXECUTOR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(int(args.one[0]), args.one[1], args.workers, args.horizon)))
        return
    rows = []
    for executor in args.executors:
        for stores in args.sizes:
            print(f"scale: {stores} store(s) on {executor}", file=sys.stderr, flush=True)
            rows.append(_child(stores, executor, args.workers, args.horizon))
            print(f"scale: {json.dumps(rows[-1])}", file=sys.stderr, flush=True)
    out = {
        "machine": f"{os.cpu_count()} CPU(s), Python {platform.python_version()}, "
                   f"{round(psutil.virtual_memory().total / 2**30)} GB",
        "months": MONTHS,
        "horizon": args.horizon,
        "runs": rows,
        "linear_fit": _linear(rows),
    }
    text = json.dumps(out, indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
