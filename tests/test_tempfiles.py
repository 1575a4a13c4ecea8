"""Temporary files: 20 runs through the worker pool, with a worker killed in the middle of a
Prophet fit and a stuck job stopped at its time limit, leave nothing in the temp folder.

cmdstanpy creates a folder when it is imported (in every worker) and removes it only at a normal
exit, which a pool worker never has; a worker killed mid-fit leaves its ``prophet-fit-*`` folder.
The runs happen in a child process whose temp folder (``TMPDIR``) is a fresh, empty directory:
the machine's shared ``/tmp`` changes under other programs, this one only under ours. It is
counted before and after.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from paths import REPO as ROOT

pytestmark = pytest.mark.slow


RUNS = r"""
import glob, json, os, signal, threading, time
from concurrent.futures import ThreadPoolExecutor
import numpy as np, pandas as pd
from forecasting import ForecastJob, make_worker_pool, run_jobs

class Stuck(pd.Series):  # a real series whose copy never finishes arriving in a worker
    @property
    def _constructor(self):
        return Stuck

    def __reduce_ex__(self, protocol):
        return (time.sleep, (3600,))

def series(seed):
    rng = np.random.default_rng(seed)
    t = np.arange(26)
    values = 500 + 4 * t + 60 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 8, 26)
    return pd.Series(values, index=pd.date_range("2021-01-01", periods=26, freq="MS"))

def kill_mid_fit(pool, killed, stop):
    while not stop.is_set():
        for pid, folder in pool.worker_tmpdirs().items():
            if glob.glob(os.path.join(folder, "prophet-fit-*")):
                os.kill(pid, signal.SIGKILL)
                killed.set()
                return
        time.sleep(0.002)

def one_run(run):
    job = ForecastJob("revenue", series(run), 3, 95)
    if run == 5:
        stuck = ForecastJob("ar", Stuck(series(run)), 3, 95)
        return [(r.status, r.reason) for r in run_jobs([stuck], pool, time_limit=3)]
    return [(r.status, r.reason) for r in run_jobs([job], pool)]

pool = make_worker_pool(2, warm=False)  # imports Prophet (and cmdstanpy) all the same
killed, stop = threading.Event(), threading.Event()
hunter = threading.Thread(target=kill_mid_fit, args=(pool, killed, stop), daemon=True)
hunter.start()
with ThreadPoolExecutor(2) as runs:  # two runs at a time, as two sessions would
    outcomes = [pair for run in runs.map(one_run, range(20)) for pair in run]
stop.set()
hunter.join()
statuses, reasons = [s for s, _ in outcomes], [r for _, r in outcomes]
pool.shutdown()
print(json.dumps({"statuses": statuses, "reasons": reasons, "killed_mid_fit": killed.is_set()}))
"""


def test_twenty_runs_with_killed_and_stuck_workers_leave_nothing_in_the_temp_folder(
        tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    before = sorted(os.listdir(temp))
    env = {**os.environ, "TMPDIR": str(temp), "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", RUNS], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=500)
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])

    assert outcome["killed_mid_fit"], "no worker was caught in the middle of a Prophet fit"
    assert len(outcome["statuses"]) == 20
    failed = [r for s, r in zip(outcome["statuses"], outcome["reasons"], strict=False)
              if s != "ok"]
    assert failed == ["took longer than 3 s, its time limit; it was stopped and its worker "
                      "process replaced"], failed  # the killed fit was retried and succeeded
    assert before == []
    assert sorted(os.listdir(temp)) == [], "left behind in the temp folder"
