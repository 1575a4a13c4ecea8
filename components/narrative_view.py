"""Narratives by mode: ranked alerts (guardian) or a headline story (storyteller). Their text
quotes file names and data warnings, so it is shown escaped, never rendered as Markdown."""

from __future__ import annotations

from typing import Any

import streamlit as st

from .safe_text import escape_markdown

__all__ = ["narrative_ui"]

_ICONS = {"high": "🔴", "medium": "🟠", "low": "🔵"}


def narrative_ui(body: dict[str, Any]) -> None:
    story = body["narratives"]
    if body["dashboard_mode"] == "finance_guardian":
        st.subheader("Risk review")
        st.markdown(escape_markdown(story["summary_text"]))
        # Data checks are already in their own box above the cards: not twice on one page.
        checks = {a["detail"] for a in body["metadata"].get("data_alerts") or []}
        shown = [a for a in story["alerts"] if a["detail"] not in checks]
        if len(shown) < len(story["alerts"]):
            st.caption(f"{len(story['alerts']) - len(shown)} data check(s): see the box above.")
        for alert in shown:
            show = {"high": st.error, "medium": st.warning, "low": st.info}[alert["severity"]]
            value = "" if alert["value"] is None else f" (trigger: {alert['value']:,.2f})"
            show(
                f"**{alert['severity'].upper()} · {escape_markdown(alert['title'])}** — "
                f"{escape_markdown(alert['detail'])}{escape_markdown(value)}",
                icon=_ICONS[alert["severity"]],
            )
        st.markdown("**Controls to consider**")
    else:
        st.subheader("The story so far")
        st.markdown(f"#### {escape_markdown(story['summary_text'])}")
        for line in story["analyst_insights"]:
            st.markdown(f"- {escape_markdown(line)}")
        st.markdown("**For stakeholders**")
    for line in story["recommendations"]:
        st.markdown(f"- {escape_markdown(line)}")
