"""Which story the reader shows (the ``article`` URL parameter) and the trail of stories it was opened
from, so that "Back to" returns to the story a related link, a row or Newer/Older left."""

from __future__ import annotations

import streamlit as st

from core.storing.collection import Collection

TRAIL_KEY = "_reader_trail"
TRAIL_SIZE = 20  # stories remembered for "Back to"


def open_story(target: str | None, came_from: str | None = None) -> None:
    """Show ``target`` (an article id; None closes the story). ``came_from``, the story open before, is
    remembered for ``back_button``. Safe as a widget callback."""
    if target and came_from and target != came_from:
        trail: list[str] = st.session_state.setdefault(TRAIL_KEY, [])
        trail.append(came_from)
        del trail[:-TRAIL_SIZE]
    if target:
        st.query_params["article"] = target
    elif "article" in st.query_params:
        del st.query_params["article"]


def _go_back() -> None:
    trail: list[str] = st.session_state.get(TRAIL_KEY, [])
    if trail:
        open_story(trail.pop())


def back_button(collection: Collection) -> None:
    """A "← Back" button, with the headline it returns to, when the story was opened from another."""
    trail: list[str] = st.session_state.get(TRAIL_KEY, [])
    if not trail:
        return
    previous = trail[-1]
    headline = collection.headlines_by_id().get(previous, "") or "(no headline)"
    button, title = st.columns([1, 4], vertical_alignment="center")
    button.button(
        "← Back",
        on_click=_go_back,
        key="reader_back",
        help="Return to the story you opened this one from.",
        width="stretch",
    )
    title.text(f"to: {headline}")  # story text: shown as text, never Markdown
