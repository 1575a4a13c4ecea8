"""Narratives by mode: ranked alerts (guardian) or a headline story (storyteller). Their text
quotes file names and data warnings, so it is shown escaped, never rendered as Markdown."""

from __future__ import annotations

import streamlit as st

from forecasting.formatting import count
from forecasting.report_types import FullReport, NarrativeAlert

from .safe_text import escape_markdown

__all__ = ["narrative_ui"]

_ICONS = {"high": "🔴", "medium": "🟠", "low": "🔵"}


def _alert_text(alert: NarrativeAlert) -> str:
    trigger = f" (trigger: {alert['value_text']})" if alert["value_text"] else ""
    return (
        f"**{alert['severity'].upper()} · {escape_markdown(alert['title'])}** — "
        f"{escape_markdown(alert['detail'] + trigger)}"
    )


def _risks_ui(body: FullReport) -> None:
    """One box per risk (high, medium) and a fold with the notes (low): the counts in the
    summary above are these. Data checks already have their own box above the cards."""
    checks = {a["detail"] for a in body["metadata"]["data_alerts"]}
    alerts = body["narratives"]["alerts"] if body["narratives"] else []
    for severity_group, show_all in ((("high", "medium"), True), (("low",), False)):
        group = [a for a in alerts if a["severity"] in severity_group]
        shown = [a for a in group if a["detail"] not in checks]
        elsewhere = len(group) - len(shown)
        if not group:
            continue
        if show_all:
            for alert in shown:
                show = st.error if alert["severity"] == "high" else st.warning
                show(_alert_text(alert), icon=_ICONS[alert["severity"]])
        else:
            with st.expander(f"{count(len(group), 'note')} worth a look"):
                for alert in shown:
                    st.markdown(f"{_ICONS['low']} {_alert_text(alert)}")
        if elsewhere:
            what = "is a data check" if elsewhere == 1 else "are data checks"
            st.caption(
                f"{count(elsewhere, 'risk' if show_all else 'note')} {what} shown in the box above."
            )


def narrative_ui(body: FullReport) -> None:
    story = body["narratives"]
    if story is None:  # a report shown is always written for its view (engine.shown_report)
        return
    if body["dashboard_mode"] == "finance_guardian":
        st.subheader("Risk review")
        st.markdown(escape_markdown(story["summary_text"]))
        _risks_ui(body)
        st.markdown("**Controls to consider**")
    else:
        st.subheader("The story so far")
        st.markdown(f"#### {escape_markdown(story['summary_text'])}")
        for line in story["analyst_insights"]:
            st.markdown(f"- {escape_markdown(line)}")
        st.markdown("**For stakeholders**")
    for line in story["recommendations"]:
        st.markdown(f"- {escape_markdown(line)}")
