"""The reader's story list on a phone: one card per story of the current page (headline, date, byline,
section) instead of a table cut off at the screen's edge.

Streamlit 1.67 tells the server nothing of the viewport (``st.context`` has headers, cookies, locale,
time zone and the URL, all fixed when the page connects), so both are drawn: the table and the cards,
each in a keyed container, and a CSS media query on their ``st-key-<key>`` classes shows one of the two:
the table above ``NARROW`` pixels, the cards below. (A component that reported the width from the
browser was tried and removed: the run its first report asked for faded the cards while the same page was
drawn again, and axe-core failed their contrast; without a report on a first view it never reported.)
Only the current page of rows becomes cards. What comes from a story is shown as written: its Markdown characters are escaped (``plain``) in the button's label and
the caption, never interpreted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from components.figures import plain

NARROW = 640  # px: at most this wide, the cards; wider, the table
WIDE_KEY = "reader_wide"
CARDS_KEY = "reader_cards"
STYLE = f"""<style>
@media (min-width: {NARROW + 1}px) {{ .st-key-{CARDS_KEY} {{ display: none; }} }}
@media (max-width: {NARROW}px) {{ .st-key-{WIDE_KEY} {{ display: none; }} }}
.st-key-{CARDS_KEY} [data-testid="stButton"] button {{ text-align: left; justify-content: flex-start; }}
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


def story_cards(table: pd.DataFrame, open_id: str | None, on_open: Callable[[str], None]) -> None:
    """One card per row of ``table`` (the reader's page: ``article_id``, ``headline``, ``date``, ``by``,
    ``section``); the headline is a button that calls ``on_open(article_id)``. The open story's card is
    marked "Reading". CSS shows them on a narrow screen only (``STYLE``)."""
    st.html(STYLE)
    with st.container(key=CARDS_KEY):
        # plain dicts: a pandas row object per card cost a fifth of drawing the cards
        for row in table[["article_id", "headline", "date", "by", "section"]].to_dict("records"):
            story = str(row["article_id"])
            reading = story == open_id
            with st.container(border=True, gap="small", key=f"story-{story}"):
                st.button(
                    plain(str(row["headline"] or "(no headline)")),
                    key=f"card-{story}",
                    on_click=on_open,
                    args=(story,),
                    type="primary" if reading else "tertiary",
                    width="stretch",
                )
                st.caption(plain(("Reading · " if reading else "") + card_line(row)))
