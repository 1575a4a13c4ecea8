"""Where the tests find the repo, their data, and the replaced system's real CSV exports."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
# The replaced system's own sample inputs, kept in the repo so every clone runs every test.
SEED_DIR = DATA / "seed-system"
