"""The one place logging is configured: loguru for the engine, Prophet/cmdstanpy silenced.

The engine logs events with their fields bound (``event``, ``metric``, ``seconds``, ``outcome``,
``pid`` ...): a run's settings, each job's outcome, pool starts, worker deaths, replacements and
time-outs. ``FORECAST_LOG_LEVEL`` (default WARNING) sets the level; ``FORECAST_LOG_FORMAT=json``
writes one JSON object per line for a log collector. Until ``configure_logging`` runs (the CLI
and the dashboard call it), the engine is silent, as a library should be. The CLI's terminal
gets its warnings in words alone ("warning: worker process 4242 died ..."); INFO or DEBUG add
the time and the fields.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection
from typing import TYPE_CHECKING, Final

from loguru import logger

if TYPE_CHECKING:
    from loguru import Record

__all__ = ["FORMAT_ENV", "LEVEL_ENV", "configure_logging", "logger"]

LEVEL_ENV: Final = "FORECAST_LOG_LEVEL"
FORMAT_ENV: Final = "FORECAST_LOG_FORMAT"
_TEXT: Final = "{time:HH:mm:ss} | {level: <7} | {message} | {extra}"

logger.disable("forecasting")


def _in_words(record: Record) -> str:
    # No {exception}: a terminal user gets the sentence, never a traceback.
    return f"{record['level'].name.lower()}: {{message}}\n"


def configure_logging(
    level: str | None = None,
    worker: bool = False,
    *,
    plain: bool = False,
    told_elsewhere: Collection[str] = (),
) -> None:
    """Send engine logs to stderr at ``level`` (else ``$FORECAST_LOG_LEVEL``, else WARNING).

    Workers log warnings and errors only, whatever the level: the parent logs each job already.
    ``plain`` (the CLI) writes warnings and errors as one sentence each, without the time and
    the fields, and leaves out the events in ``told_elsewhere`` (the caller writes those in its
    own words, as ``report``'s progress line does for each failed metric); at INFO or DEBUG, or
    as JSON, every line is the structured one.
    """
    from .models import silence_prophet

    wanted = (level or os.environ.get(LEVEL_ENV) or "WARNING").strip().upper()
    try:
        number = logger.level(wanted).no
    except ValueError:
        number, unknown = logger.level("WARNING").no, wanted
    else:
        unknown = ""
    if worker:
        number = max(number, logger.level("WARNING").no)
    logger.remove()
    logger.enable("forecasting")
    as_json = os.environ.get(FORMAT_ENV, "").strip().lower() == "json"
    if plain and not as_json and number >= logger.level("WARNING").no:
        hidden = frozenset(told_elsewhere)
        logger.add(sys.stderr, level=number, format=_in_words,
                   filter=lambda record: record["extra"].get("event") not in hidden)
    else:
        logger.add(sys.stderr, level=number, format=_TEXT, serialize=as_json)
    if unknown:
        logger.warning(f"{LEVEL_ENV}={unknown!r} is not a log level; logging warnings and errors")
    silence_prophet()
