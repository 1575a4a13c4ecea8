"""Text from an upload (headers, file names, cells) made safe to show: never rendered as
Markdown on the page, never run as a formula by a spreadsheet opening a CSV the page offers."""

from __future__ import annotations

import re
from typing import Final

from forecasting.report import formula_safe  # the download's own escaping, one definition

__all__ = ["as_code", "escape_markdown", "formula_safe"]

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping them all
# keeps links, emphasis, HTML, LaTeX ($), Streamlit's :color[...] directives and autolinks
# (the ':' and '.' of a URL) from forming.
_MARKDOWN: Final = re.compile(r"([!-/:-@\[-`{-~])")


def escape_markdown(text: str) -> str:
    """Text shown as itself in st.markdown, st.error, st.caption and friends."""
    return _MARKDOWN.sub(r"\\\1", text).replace("\n", " ")


def as_code(text: str) -> str:
    """A file name shown as itself in a code span: nothing inside a code span is Markdown, and
    a backtick in the name cannot close it (it is shown as a look-alike)."""
    cleaned = " ".join(text.replace("`", "ˋ").split())
    return f"`{cleaned}`"
