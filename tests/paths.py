"""Where the tests find the repo, their data, and the replaced system's real CSV exports."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
# The replaced system's own sample inputs, kept in the repo so every clone runs every test.
SEED_DIR = DATA / "seed-system"


@contextmanager
def benchmark_modules(*names: str) -> Iterator[list[ModuleType]]:
    """The ``benchmarks/`` scripts ``names`` imported as modules (they import each other by
    name, so the folder is on ``sys.path`` while they load)."""
    folder = str(REPO / "benchmarks")
    sys.path.insert(0, folder)
    try:
        yield [importlib.import_module(name) for name in names]
    finally:
        sys.path.remove(folder)
