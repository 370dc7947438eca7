"""The reading pane: one story shown as plain text, with query and theme hits highlighted safely.

Everything that comes from a page goes through ``core.analysing.highlight`` (HTML-escaped) or ``st.text``/``st.code``;
nothing from a story is ever passed to Markdown.
"""

from __future__ import annotations

import hashlib
import html
from typing import Any

import pandas as pd
import streamlit as st

from components.data import one_line
from components.paths import PathNames
from core.analysing.highlight import Span, text_block
from core.analysing.themes import Theme, theme_hits
from core.errors import QuerySyntaxError
from core.reading.stream import read_lines
from core.storing.frame import sources_of
from core.storing.search import query_hits

QUERY_COLOUR = "#ffd400"


def _escaped(text: str, tag: str = "div", style: str = "") -> str:
    return f'<{tag} style="{style}">{html.escape(text)}</{tag}>'


def byline_text(row: dict[str, Any]) -> str:
    """``Huang Kaixi, Zhou Meilin and Tang Ziyi`` / ``Bloomberg (agency)`` / ``Unsigned``."""
    authors = list(row.get("authors") or [])
    agency = row.get("agency")
    if authors:
        names = ", ".join(authors[:-1]) + (" and " if len(authors) > 1 else "") + authors[-1]
        return names + (f" with {agency}" if isinstance(agency, str) and agency else "")
    if isinstance(agency, str) and agency:
        return f"{agency} (wire agency)"
    return "Unsigned"


def spans_for(row: dict[str, Any], field: str, query: str, themes: list[Theme]) -> list[Span]:
    """Highlight spans in one text field: query hits first (they win overlaps), then theme hits."""
    spans: list[Span] = []
    if query:
        try:
            spans += [
                Span(h.start, h.end, QUERY_COLOUR, f"search: {h.term}")
                for h in query_hits({**row, "headline_inferred": False}, query)
                if h.field == field
            ]
        except QuerySyntaxError:
            pass
    for theme in themes:
        spans += [
            Span(h.start, h.end, theme.colour, f"{theme.label}: {h.term}")
            for h in theme_hits(row, theme)
            if h.field == field
        ]
    return spans


def render(
    row: dict[str, Any],
    query: str,
    themes: list[Theme],
    related_links: dict[str, str | None],
    open_story: Any,
    names: PathNames,
) -> None:
    """Draw the reading pane for one story (a frame row as a dict); ``names`` shows its source files."""
    headline = str(row.get("headline") or "")
    title_html = text_block(headline, spans_for(row, "headline", query, themes), size="1.6rem")
    st.html(f'<div style="font-weight:700">{title_html}</div>')
    if row.get("headline_inferred"):
        st.caption("Headline inferred from the lead: the saved page gives no headline for this story.")
    when = row.get("published_at")
    when_text = (
        when.strftime("%d %b %Y, %H:%M Beijing time")
        if isinstance(when, pd.Timestamp) and pd.notna(when)
        else "date unknown"
    )
    meta = f"{byline_text(row)}  ·  {when_text}  ·  {row.get('section') or 'no section'}"
    st.html(_escaped(meta, style="opacity:0.8"))
    flags = []
    if row.get("teaser"):
        flags.append("Teaser: the saved page carries only the opening of this story.")
    if row.get("truncated"):
        flags.append("Truncated: the saved page ends inside this story.")
    for flag in flags:
        st.info(flag, icon=":material/content_cut:")
    if themes:
        chips = " ".join(
            f'<span style="background:{t.colour}22;border:1px solid {t.colour};border-radius:1em;padding:0 .6em;'
            f'margin-right:.3em;font-size:.85rem">{html.escape(t.label)}</span>'
            for t in themes
        )
        st.html(f"<div>{chips}</div>")
    credit, caption = row.get("photo_credit"), row.get("photo_caption")
    if (isinstance(credit, str) and credit) or (isinstance(caption, str) and caption):
        caption_html = (
            text_block(str(caption or ""), spans_for(row, "photo_caption", query, themes), size=".9rem")
            if caption
            else ""
        )
        credit_html = _escaped(f"Photo: {credit}", style="font-size:.8rem;opacity:.7") if credit else ""
        st.html(
            f'<div style="border-left:3px solid #8884;padding-left:.6em;margin:.4em 0">{caption_html}{credit_html}</div>'
        )
    st.html(text_block(str(row.get("body") or ""), spans_for(row, "body", query, themes)))
    contacts = list(row.get("contacts") or [])
    if contacts:
        st.html(_escaped("Contact: " + ", ".join(contacts), style="opacity:.8;margin-top:.8em"))
    for link in row.get("coverage_links") or []:
        st.html(_escaped(str(link), style="opacity:.8"))
    related = list(row.get("related") or [])
    if related:
        st.subheader("Related", anchor=False)
        for number, headline_text in enumerate(related):
            target = related_links.get(headline_text)
            cols = st.columns([6, 1])
            cols[0].html(_escaped(headline_text))
            if target:
                cols[1].button(
                    "Open",
                    key=f"related-{number}",
                    on_click=open_story,
                    args=(target,),
                    help="Open this story",
                )
            else:
                cols[1].caption("not in collection")
    with st.expander("Source lines"):
        for span in sources_of(row):
            st.text(f"{names.file(span.file)}, lines {span.first_line}–{span.last_line}")
            # the widget key shows in the page's HTML: a digest of the span, never its path
            key = "raw-" + hashlib.sha256(str(span).encode()).hexdigest()[:16]
            if st.toggle("Show the raw lines", key=key):
                try:
                    st.code(
                        "\n".join(read_lines(span.file, span.first_line, span.last_line)),
                        language=None,
                        wrap_lines=True,  # a scrolling block would need a keyboard focus (axe-core)
                    )
                except Exception as error:  # noqa: BLE001 - a file changed or gone since it was read
                    st.warning(f"Cannot show the raw lines: {names.text(one_line(error))}")
