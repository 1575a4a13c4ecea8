"""`python -m forecasting report ...` / `python -m forecasting bench ...`."""

from .cli import main

raise SystemExit(main())
