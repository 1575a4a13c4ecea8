"""The engine's exceptions, one small hierarchy rooted at ``ValueError``.

    ValueError
     └── ForecastingError            anything the engine refuses, with a message for a person
          ├── DataValidationError    the uploaded CSV cannot become a monthly frame
          └── ModelError             a model could not fit or forecast a series

Messages name the column, the file or the count so that a finance user knows what to fix.
"""

from __future__ import annotations

__all__ = ["DataValidationError", "ForecastingError", "ModelError"]


class ForecastingError(ValueError):
    """Base class: every error the engine raises on purpose."""


class DataValidationError(ForecastingError):
    """The input data cannot be turned into a monthly frame; the message says why and what to do."""


class ModelError(ForecastingError):
    """A candidate model failed to fit or gave an unusable forecast."""
