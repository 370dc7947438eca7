"""Which story the reader shows (the ``article`` URL parameter) and the trail of stories it was opened
from, so that "Back to" returns to the story a related link, a row or Newer/Older left."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components import url_state
from core.storing.collection import Collection

TRAIL_KEY = "_reader_trail"
TRAIL_SIZE = 20  # stories remembered for "Back to"


Opened = Callable[[str], None]  # told which story was opened (the reader turns its table to its page)


def open_story(target: str | None, came_from: str | None = None, opened: Opened | None = None) -> None:
    """Show ``target`` (an article id; None closes the story). ``came_from``, the story open before, is
    remembered for ``back_button``; ``opened`` is called with ``target``. The URL changes at the run's
    ``url_state.write()``, with whatever else the run changes (one history entry). Safe as a widget
    callback."""
    if target and came_from and target != came_from:
        trail: list[str] = st.session_state.setdefault(TRAIL_KEY, [])
        trail.append(came_from)
        del trail[:-TRAIL_SIZE]
    url_state.put("article", target or None)
    if target and opened is not None:
        opened(target)


def _go_back(opened: Opened | None) -> None:
    trail: list[str] = st.session_state.get(TRAIL_KEY, [])
    if trail:
        open_story(trail.pop(), opened=opened)


def back_button(collection: Collection, opened: Opened | None = None) -> None:
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
        args=(opened,),
        key="reader_back",
        help="Return to the story you opened this one from.",
        width="stretch",
    )
    title.text(f"to: {headline}")  # story text: shown as text, never Markdown
