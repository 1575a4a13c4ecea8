"""What a pool worker costs before its first task, as JSON: the CPU seconds a worker process has
used when its first task reaches it, for a pool's first worker and for the replacements of
workers that were killed, with the engine's pool (workers forked from the warm template) and
with each worker doing its own set-up (what every worker paid before the template). One worker
per pool, so every task reaches the worker being measured.

    .venv/bin/python benchmarks/worker_start.py [--kills 5]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import time
from typing import Any

from forecasting.pool import WorkerPool
from forecasting.runner import make_worker_pool, worker_start


def _measure(pool: WorkerPool, kills: int) -> dict[str, Any]:
    """The worker's CPU at its first task (time.process_time run in it), then the same for
    the worker that replaces it after a kill, ``kills`` times."""
    first = pool.submit(time.process_time).result(timeout=300)
    replaced: list[float] = []
    for _ in range(kills):
        pid = pool.submit(os.getpid).result(timeout=300)
        os.kill(pid, signal.SIGKILL)
        while True:  # a task can still reach the dying worker: ask until the new one answers
            try:
                if pool.submit(os.getpid).result(timeout=300) != pid:
                    break
            except Exception:  # the death, reported on the task that reached it
                continue
        replaced.append(pool.submit(time.process_time).result(timeout=300))
    return {
        "first_worker_cpu_s": round(first, 3),
        "replacements_cpu_s": [round(cpu, 3) for cpu in replaced],
        "median_replacement_cpu_s": round(statistics.median(replaced), 3) if replaced else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=5)
    args = parser.parse_args()
    # Spawned: a worker that starts Python, imports the engine and warms up by itself, as each
    # worker did before the template (and does where there is no forkserver).
    with WorkerPool(1, initializer=worker_start, start_method="spawn") as own:
        each_own = _measure(own, args.kills)
    with make_worker_pool(1) as pool:
        template = _measure(pool, args.kills)
    print(json.dumps({"each_worker_sets_itself_up": each_own,
                      "forked_from_the_warm_template": template}, indent=2))


if __name__ == "__main__":
    main()
