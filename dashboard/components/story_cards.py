"""The reader's story list on a phone: the stories of the current page as one list (headline, then
date, byline and section) instead of a table cut off at the screen's edge.

Streamlit 1.67 tells the server nothing of the viewport (``st.context`` has headers, cookies, locale,
time zone and the URL, all fixed when the page connects), so both are drawn: the table and the list,
each in a keyed container, and a CSS media query on their ``st-key-<key>`` classes shows one of the two:
the table above ``NARROW`` pixels, the list below. (A component that reported the width from the
browser was tried and removed: the run its first report asked for faded the cards while the same page was
drawn again, and axe-core failed their contrast; without a report on a first view it never reported.)

The list is one radio group of ``LIST_ROWS`` stories, with the part of the page it shows chosen above
it (and in the URL, ``list_part``). It was a bordered card with a button and a caption per story: 300
elements that every Reader page drew and sent, hidden on a desktop, which made the Reader's page load
about 0.9 s slower in Chromium at 1,000,000 stories; one radio group of all 100 stories still cost about
0.45 s (docs/performance.md, "The Reader's list and the Themes charts"). What comes from a story is
shown as written: its Markdown characters are escaped (``plain``) in the option's label and caption,
never interpreted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from components.figures import plain
from components.paging import current_page, page_bounds

NARROW = 640  # px: at most this wide, the cards; wider, the table
WIDE_KEY = "reader_wide"
CARDS_KEY = "reader_cards"
LIST_KEY = "reader_list"
PART_KEY = "list_part"  # URL parameter and widget key: which LIST_ROWS of the page the list shows
LIST_ROWS = 25  # stories listed at a time: a radio group of 100 options made the Reader's page load slower
STYLE = f"""<style>
@media (min-width: {NARROW + 1}px) {{ .st-key-{CARDS_KEY} {{ display: none; }} }}
@media (max-width: {NARROW}px) {{ .st-key-{WIDE_KEY} {{ display: none; }} }}
</style>"""


def card_line(row: Mapping[str, Any]) -> str:
    """``2019-09-30 14:05 · Dave Yin · Business & Tech``: the date, byline and section of one row of the
    reader's table (``date``, ``by``, ``section``), as plain text."""
    parts = [
        f"{row['date']:%Y-%m-%d %H:%M}" if pd.notna(row["date"]) else "no date",
        str(row["by"] or "Unsigned"),
    ]
    if isinstance(row["section"], str) and row["section"]:
        parts.append(row["section"])
    return " · ".join(parts)


def story_cards(
    table: pd.DataFrame,
    open_id: str | None,
    on_open: Callable[[str], None],
    *,
    scope: Hashable = None,
    follow: bool = False,
) -> None:
    """The page's stories (``table``: the reader's page, ``article_id``, ``headline``, ``date``, ``by``,
    ``section``) as a list of choices, ``LIST_ROWS`` at a time, the headline over its date, byline and
    section; choosing one calls ``on_open(article_id)``. The open story is the chosen one, its line marked
    "Reading". CSS shows the list on a narrow screen only (``STYLE``).

    Which part of the page's stories the list shows is in the URL (``PART_KEY``): the part holding the
    open story when it was just opened (``follow``), else the first one when ``scope`` (the page, the
    order, the filters) changed, else the URL's or the control's."""
    st.html(STYLE)
    # plain dicts: a pandas row object per card cost a fifth of drawing the cards
    everything = table[["article_id", "headline", "date", "by", "section"]].to_dict("records")
    ids = [str(row["article_id"]) for row in everything]
    if not ids:  # no story in the selection: the page says so above
        return
    parts = max(1, math.ceil(len(ids) / LIST_ROWS))
    opened_at = ids.index(open_id) // LIST_ROWS + 1 if follow and open_id in ids else None
    part = current_page(PART_KEY, parts, scope=scope, in_url=True, turn_to=opened_at)
    first, stop = page_bounds(len(ids), LIST_ROWS, part)
    rows, shown = everything[first:stop], ids[first:stop]
    headlines = {story: plain(str(row["headline"] or "(no headline)")) for story, row in zip(shown, rows, strict=True)}
    # the chosen story is the open one, whatever was chosen before (a row of the table, Newer/Older, a
    # link, Back): set before the list is drawn
    st.session_state[LIST_KEY] = open_id if open_id in headlines else None

    def chosen() -> None:
        story = st.session_state.get(LIST_KEY)
        if story:
            on_open(story)

    with st.container(key=CARDS_KEY):
        if parts > 1:
            st.segmented_control(
                "Stories of this page",
                list(range(1, parts + 1)),
                format_func=lambda at: f"{(at - 1) * LIST_ROWS + 1}–{min(at * LIST_ROWS, len(ids))}",
                key=PART_KEY,
                required=True,
            )
        st.radio(
            "Stories on this page" if parts == 1 else f"Stories {first + 1}–{first + len(shown)} of this page",
            shown,
            format_func=headlines.__getitem__,
            captions=[
                plain(("Reading · " if story == open_id else "") + card_line(row))
                for story, row in zip(shown, rows, strict=True)
            ],
            key=LIST_KEY,
            on_change=chosen,
            width="stretch",
        )
