"""The reader's story list on a phone: one card per story of the current page (headline, date, byline,
section) instead of a table cut off at the screen's edge.

Streamlit 1.67 tells the server nothing of the viewport (``st.context`` has headers, cookies, locale,
time zone and the URL, all fixed when the page connects). So a small component with no visible part
(``screen_is_narrow``: an ``st.components.v2`` component, JavaScript only) watches the media query
``(max-width: NARROW px)`` in the browser and reports it as its state: the run it sends triggers draws
the cards only where the screen is narrow. Until a browser has said (the first run of a session, a
test without a browser) the cards are drawn, and a CSS media query on the keyed containers
(``st-key-<key>`` classes) shows one of the two: the table above ``NARROW`` pixels, the cards below. A
screen known to be wide gets the table alone and no CSS that could hide it (only the rule that keeps the
cards of an earlier run hidden while they are replaced), so a window made narrow
later shows the table until its report arrives, never nothing. The report is a state, not a URL
parameter: shared links stay the same. Only the current page of rows becomes cards. What comes from a
story is shown as written: its Markdown characters are escaped (``plain``) in the button's label and
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
SCREEN_KEY = "reader_screen"  # the component's key; its state is {"narrow": bool}
SCREEN_BOX_KEY = "reader_screen_box"
SCREEN_STYLE = f"""<style>
[data-testid="stLayoutWrapper"]:has(> .st-key-{SCREEN_BOX_KEY}) {{
  position: absolute; width: 0; height: 0; overflow: hidden;
}}
</style>"""
#: ``st.session_state`` key: the last width the browser reported (True narrow, False wide), kept across
#: pages (the component's own state goes when a page without it runs)
NARROW_KEY = "_screen_narrow"

# Fixed text: nothing from a story, a URL or a user goes into it. ``data.narrow`` is what the server
# knows (null at first); a report is sent only when the browser's answer differs, so a known width costs
# no run. Nothing is reported while the server knows nothing: it draws the cards and the CSS that shows one
# of the two then, and a run asked for on a page's first view faded its cards meanwhile (axe-core failed
# their contrast). As ``known`` only leaves null by a report, a browser today reports nothing at all: the
# component is inert, the wide branch of ``story_cards`` is reached only where the state is set (AppTest).
# The cards-only-on-phones saving waits for a way to know the width before the first run.
_SCREEN_JS = f"""
export default function (component) {{
  const {{ data, setStateValue }} = component;
  const query = window.matchMedia('(max-width: {NARROW}px)');
  let known = data ? data.narrow : null;
  const report = () => {{
    if (known === null) {{
      return;
    }}
    if (query.matches !== known) {{
      known = query.matches;
      setStateValue('narrow', known);
    }}
  }};
  report();
  query.addEventListener('change', report);
  return () => query.removeEventListener('change', report);
}}
"""
_screen = st.components.v2.component("caixin_screen_width", js=_SCREEN_JS)

_HIDE_CARDS = f"@media (min-width: {NARROW + 1}px) {{ .st-key-{CARDS_KEY} {{ display: none; }} }}"
STYLE = f"""<style>
{_HIDE_CARDS}
@media (max-width: {NARROW}px) {{ .st-key-{WIDE_KEY} {{ display: none; }} }}
.st-key-{CARDS_KEY} [data-testid="stButton"] button {{ text-align: left; justify-content: flex-start; }}
</style>"""
#: A screen known to be wide: the cards' rule only, never one that could hide the table. Sent in the same
#: place as ``STYLE``, so that on the run after a wide screen's first report the cards drawn before (stale
#: until that run ends) stay hidden instead of showing, faded, under the table.
WIDE_STYLE = f"<style>{_HIDE_CARDS}</style>"


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


def screen_is_narrow() -> bool | None:
    """Whether the browser's screen is at most ``NARROW`` px wide: True or False as it last reported,
    None until it has (draw for both then). Mounts the reporting component (no visible part)."""
    known = st.session_state.get(NARROW_KEY)
    with st.container(key=SCREEN_BOX_KEY):  # out of the page's flow: it takes no room, adds no gap
        st.html(SCREEN_STYLE)
        state = _screen(key=SCREEN_KEY, data={"narrow": known}, on_narrow_change=_ignore)
    reported = state.get("narrow")
    if isinstance(reported, bool):
        st.session_state[NARROW_KEY] = known = reported
    return known if isinstance(known, bool) else None


def _ignore() -> None:
    """The component's change callback: its new state is read when the page draws it."""


def story_cards(table: pd.DataFrame, open_id: str | None, on_open: Callable[[str], None]) -> None:
    """One card per row of ``table`` (the reader's page: ``article_id``, ``headline``, ``date``, ``by``,
    ``section``); the headline is a button that calls ``on_open(article_id)``. The open story's card is
    marked "Reading". Draws nothing when the screen is known to be wide (``screen_is_narrow``)."""
    if screen_is_narrow() is False:
        st.html(WIDE_STYLE)
        return
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
