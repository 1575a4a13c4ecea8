"""Column mapping review: what each source column became, how sure the match is and why, with a
per-column override; the ingest summary and the data alerts in plain words."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from forecasting import IngestSummary
from forecasting.columns import CANONICAL_COLUMNS, COLUMN_LABELS, IGNORE
from forecasting.formatting import count
from forecasting.report_types import FullReport

from .safe_text import escape_markdown, formula_safe

__all__ = [
    "data_alerts_ui",
    "ingest_summary_ui",
    "mapping_dialog",
    "mapping_table",
    "mapping_ui",
    "refused_ui",
]

_OPTIONS = [*CANONICAL_COLUMNS, IGNORE]
_ICONS = {"high": "🔴", "medium": "🟠", "low": "🔵"}


def mapping_table(summary: IngestSummary) -> pd.DataFrame:
    """One row per source column in file order: target, confidence, why. Text from the file is
    made formula-safe, since the table can be copied or exported to a spreadsheet."""
    decisions = {d.source: d for d in summary.mapping_decisions}
    headers = summary.source_columns
    rows = []
    for header in headers:
        decision = decisions.get(header)
        target = summary.column_mapping.get(header, IGNORE)
        if decision is None:
            confidence, why = "", summary.ignored_columns.get(header, "")
        else:
            confidence = decision.confidence
            why = summary.doubts.get(header) or decision.reason
        if target != IGNORE and not why:
            why = COLUMN_LABELS.get(target, "")
        rows.append(
            {
                "Source column": formula_safe(header),
                "Mapped to": target,
                "Confidence": confidence,
                "Why": formula_safe(why),
            }
        )
    return pd.DataFrame(rows, columns=["Source column", "Mapped to", "Confidence", "Why"])


def mapping_ui(
    summary: IngestSummary, overrides: dict[str, str], key: str, widget: str = "mapping"
) -> dict[str, str]:
    """The mapping table, editable; returns the overrides the user set."""
    # File order, whatever the mapping: the editor's edits are kept by row position.
    headers = summary.source_columns
    edited = st.data_editor(
        mapping_table(summary),
        key=f"{widget}-{key}",
        hide_index=True,
        width="stretch",
        disabled=["Source column", "Confidence", "Why"],
        column_config={
            "Mapped to": st.column_config.SelectboxColumn(
                "Mapped to",
                options=_OPTIONS,
                required=True,
                help="Choose what this column means; 'ignore' leaves it out.",
            )
        },
    )
    # Rows are matched by position: the shown header may carry a formula guard (').
    chosen = dict(zip(headers, edited["Mapped to"], strict=True))
    guessed = {h: summary.column_mapping.get(h, IGNORE) for h in headers}
    changed = {h: t for h, t in chosen.items() if t != guessed[h]}
    return {**overrides, **changed}


@st.dialog("Column mapping", width="large")
def mapping_dialog(summary: IngestSummary, overrides: dict[str, str], key: str) -> None:
    """The mapping table where the user is (a tab far below the top of the page)."""
    st.caption(
        "What each column of the export became. Choose another meaning under 'Mapped to' "
        "(a column the data lacks can be one you have under another name), then apply."
    )
    chosen = mapping_ui(summary, overrides, key, widget="mapping-dialog")
    if st.button("Apply this mapping", type="primary", key="apply-mapping"):
        st.session_state[f"overrides-{key}"] = chosen
        st.rerun()


def refused_ui(
    message: str, summary: IngestSummary | None, overrides: dict[str, str], key: str
) -> dict[str, str]:
    """Why the data cannot be forecast, and the mapping review open beneath it so the user can
    fix the mapping there; returns the overrides chosen."""
    # The message quotes file names and headers: shown as text, never as Markdown.
    st.error(f"**This data cannot be forecast yet.** {escape_markdown(message)}", icon="⚠️")
    if summary is None:
        st.info("Fix the export and upload it again; without an upload the bundled sample is used.")
        return overrides
    st.info(
        "If a column was read as the wrong thing, choose what it means under **Mapped to** "
        "below; the page reads the files again with your choice. Otherwise fix the export and "
        "upload it again."
    )
    with st.expander("Column mapping", expanded=True):
        chosen = mapping_ui(summary, overrides, key)
    if overrides and st.button("Reset the column mapping", key="reset-mapping"):
        return {}
    return chosen


def ingest_summary_ui(summary: IngestSummary) -> None:
    """Rows dropped and why, values filled, months covered, columns doubted — as text."""
    for line in summary.lines():
        st.markdown(f"- {escape_markdown(line)}")


def data_alerts_ui(body: FullReport) -> None:
    """The data alerts (implausible KPIs, per-transaction balances), above the numbers."""
    alerts = body["metadata"].get("data_alerts") or []
    if not alerts:
        return
    lines = [
        f"{_ICONS.get(a['severity'], '')} **{escape_markdown(a['title'])}**: "
        f"{escape_markdown(a['detail'])}"
        for a in alerts
    ]
    st.warning(
        f"**Data checks — {count(len(alerts), 'thing')} to verify before relying on these "
        "numbers**\n\n"
        + "\n\n".join(lines),
        icon="⚠️",
    )
