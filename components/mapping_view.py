"""Column mapping review: what each source column became, with a per-column override."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from forecasting import IngestSummary
from forecasting.columns import CANONICAL_COLUMNS, COLUMN_LABELS, IGNORE

__all__ = ["ingest_summary_ui", "mapping_ui"]

_OPTIONS = [*CANONICAL_COLUMNS, IGNORE]


def mapping_ui(summary: IngestSummary, overrides: dict[str, str], key: str) -> dict[str, str]:
    """A table of source column -> target, editable; returns the overrides the user set."""
    # File order, whatever the mapping: the editor's edits are kept by row position.
    headers = summary.source_columns
    table = pd.DataFrame(
        {
            "Source column": headers,
            "Mapped to": [summary.column_mapping.get(h, IGNORE) for h in headers],
            "Note": [
                summary.ignored_columns.get(
                    h, COLUMN_LABELS.get(summary.column_mapping.get(h, ""), "")
                )
                for h in headers
            ],
        }
    )
    edited = st.data_editor(
        table,
        key=f"mapping-{key}",
        hide_index=True,
        width="stretch",
        disabled=["Source column", "Note"],
        column_config={
            "Mapped to": st.column_config.SelectboxColumn(
                "Mapped to",
                options=_OPTIONS,
                required=True,
                help="Choose what this column means; 'ignore' leaves it out.",
            )
        },
    )
    chosen = dict(zip(edited["Source column"], edited["Mapped to"], strict=True))
    guessed = {h: summary.column_mapping.get(h, IGNORE) for h in headers}
    changed = {h: t for h, t in chosen.items() if t != guessed[h]}
    return {**overrides, **changed}


def ingest_summary_ui(summary: IngestSummary) -> None:
    """Rows dropped and why, values filled, months covered — in plain words."""
    unmapped = [h for h, why in summary.ignored_columns.items()]
    if unmapped:
        st.caption(
            "Not used: " + ", ".join(f"{h} ({summary.ignored_columns[h]})" for h in unmapped)
        )
    for line in summary.lines():
        st.markdown(f"- {line}")
