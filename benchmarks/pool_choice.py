"""Which process pool runs the jobs: the standard library's, loky's reusable executor, or the
engine's WorkerPool. Prints JSON: start-up, warm round trip, the 14 jobs of a report, CPU the
caller spends dispatching, and what each does when a worker dies, when a task hangs, and what it
leaves in the temp folder.

    .venv/bin/python benchmarks/pool_choice.py [--workers 2] [--repeat 3] [FILE]

loky is optional (``pip install -e ".[bench]"``); without it its entry says so. Each pool is
measured in a child process whose TMPDIR is a fresh folder, counted after the child exits.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from contextlib import suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "company_financials.csv"
KINDS = ("stdlib", "loky", "worker_pool")
HANG_WAIT_S = 15.0


def _start(kind: str, workers: int) -> Executor:
    from forecasting.runner import make_worker_pool, worker_start

    if kind == "worker_pool":
        return make_worker_pool(workers)
    if kind == "stdlib":  # what the engine used before: forkserver, same set-up per worker
        context: Any = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["forecasting.runner"])
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=worker_start)
    else:
        import loky

        pool = loky.get_reusable_executor(max_workers=workers, initializer=worker_start)
    list(pool.map(time.sleep, [0.5] * workers))  # start and warm every worker
    return pool


def _timed_run(pool: Executor, jobs: list[Any], workers: int) -> tuple[float, float, bool]:
    from forecasting.runner import run_jobs

    wall, cpu = time.perf_counter(), time.process_time()
    results = list(run_jobs(jobs, pool, max_in_flight=workers))
    ok = all(r.status == "ok" for r in results)
    return time.perf_counter() - wall, time.process_time() - cpu, ok


def _after_death(pool: Executor) -> dict[str, Any]:
    """A task that kills its worker while one-second tasks run beside it and wait behind it."""
    first = pool.submit(time.sleep, 1.0)
    killer = pool.submit(os._exit, 1)
    others = [first, *(pool.submit(time.sleep, 1.0) for _ in range(3))]
    outcomes = []
    for future in [*others, killer]:
        try:
            future.result(120)
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(type(exc).__name__)
    try:
        usable: Any = pool.submit(abs, -1).result(120) == 1
    except Exception as exc:
        usable = f"no ({type(exc).__name__})"
    return {"other_tasks": outcomes[:4], "killer": outcomes[4], "usable_afterwards": usable}


def _after_hang(pool: Executor) -> str:
    """A task that sleeps an hour, given a 2 s limit where the pool offers one."""
    from forecasting.pool import WorkerPool

    if isinstance(pool, WorkerPool):
        hung = pool.submit_limited(2.0, time.sleep, 3600)
    else:
        hung = pool.submit(time.sleep, 3600)
    try:
        hung.result(HANG_WAIT_S)
        return "finished"
    except FuturesTimeout:
        return f"still running after {HANG_WAIT_S:g} s: no per-task limit, only the wait ends"
    except Exception as exc:  # the engine's TaskTimedOut is not a TimeoutError
        return f"stopped at its limit ({type(exc).__name__}); its worker replaced"


def _stop(pool: Executor) -> None:
    # A worker the pool cannot stop (the hung one) is killed so the pool can shut down.
    for process in list(getattr(pool, "_processes", {}).values()):
        with suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
    pool.shutdown(wait=True)


def measure(kind: str, workers: int, repeat: int, path: Path) -> dict[str, Any]:
    from forecasting.pipeline import prepare, source_files_from_paths

    jobs = prepare(source_files_from_paths([str(path)]), 3, 95).jobs
    cpu, started = time.process_time(), time.perf_counter()
    pool = _start(kind, workers)
    start_s, start_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    trips = []
    for _ in range(200):
        t = time.perf_counter()
        pool.submit(os.getpid).result()
        trips.append(time.perf_counter() - t)
    runs = [_timed_run(pool, jobs, workers) for _ in range(repeat)]
    out: dict[str, Any] = {
        "start_s": round(start_s, 3),
        "caller_cpu_to_start_s": round(start_cpu_s, 3),
        "round_trip_ms": round(1000 * statistics.median(trips), 3),
        "jobs": len(jobs),
        "run_s": round(statistics.median(r[0] for r in runs), 3),
        "caller_cpu_per_run_s": round(statistics.median(r[1] for r in runs), 3),
        "all_ok": all(r[2] for r in runs),
        "worker_death": _after_death(pool),
    }
    if out["worker_death"]["usable_afterwards"] is not True:
        _stop(pool)  # loky's recovery is asking for the executor again; stdlib's a new pool
        pool = _start(kind, workers)
    out["hung_task"] = _after_hang(pool)
    _stop(pool)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(SAMPLE))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kinds", default=",".join(KINDS), help="which pools, comma-separated")
    parser.add_argument("--kind", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.kind:  # the child: one pool, JSON on stdout
        print(json.dumps(measure(args.kind, args.workers, args.repeat, Path(args.file))))
        return
    result: dict[str, Any] = {"cpu_count": os.cpu_count(), "python": sys.version.split()[0],
                              "workers": args.workers, "file": Path(args.file).name}
    for kind in args.kinds.split(","):
        with tempfile.TemporaryDirectory() as temp:
            env = {**os.environ, "TMPDIR": temp}
            done = subprocess.run(
                [sys.executable, __file__, args.file, "--workers", str(args.workers),
                 "--repeat", str(args.repeat), "--kind", kind],
                env=env, capture_output=True, text=True, timeout=900)
            time.sleep(1.0)  # let killed workers' children go
            left = sorted(os.listdir(temp))
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["?"])[-1]
            result[kind] = {"error": last}
            continue
        result[kind] = json.loads(done.stdout.strip().splitlines()[-1])
        result[kind]["temp_entries_left"] = len(left)
        result[kind]["temp_left_names"] = left[:5]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
