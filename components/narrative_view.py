"""Narratives by mode: ranked alerts (guardian) or a headline story (storyteller)."""

from __future__ import annotations

from typing import Any

import streamlit as st

__all__ = ["narrative_ui"]

_ICONS = {"high": "🔴", "medium": "🟠", "low": "🔵"}


def narrative_ui(body: dict[str, Any]) -> None:
    story = body["narratives"]
    if body["dashboard_mode"] == "finance_guardian":
        st.subheader("Risk review")
        st.write(story["summary_text"])
        for alert in story["alerts"]:
            show = {"high": st.error, "medium": st.warning, "low": st.info}[alert["severity"]]
            value = "" if alert["value"] is None else f" (trigger: {alert['value']:,.2f})"
            show(
                f"**{alert['severity'].upper()} · {alert['title']}** — {alert['detail']}{value}",
                icon=_ICONS[alert["severity"]],
            )
        st.markdown("**Controls to consider**")
    else:
        st.subheader("The story so far")
        st.markdown(f"#### {story['summary_text']}")
        for line in story["analyst_insights"]:
            st.markdown(f"- {line}")
        st.markdown("**For stakeholders**")
    for line in story["recommendations"]:
        st.markdown(f"- {line}")
