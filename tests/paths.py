"""Where the tests find the repo and the seed system's real CSV exports."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
# The repo is checked out beside a `shared/` folder (in CI, shared/ is copied beside the clone);
# a clone on its own falls back to the copy in tests/data/seed-system.
SEED_DIR = next(
    path
    for path in (REPO.parent / "shared" / "fixtures" / "seed-system", DATA / "seed-system")
    if path.is_dir()
)
