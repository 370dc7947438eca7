"""Safe highlighting: untrusted story text escaped as text, with ``<mark>`` around hit offsets.

The dashboard renders the result as HTML, so everything that comes from a page goes through
``html.escape`` here: no tag, entity, Markdown or LaTeX in a story can become markup.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A highlight: ``text[start:end]``, shown in ``colour`` with a tooltip ``label``."""

    start: int
    end: int
    colour: str = "#ffe066"
    label: str = ""


def merge_spans(spans: Iterable[Span], length: int) -> list[Span]:
    """Clip spans to ``0..length``, sort them and drop overlaps (the earlier span wins)."""
    out: list[Span] = []
    last_end = 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        start, end = max(span.start, last_end, 0), min(span.end, length)
        if start < end:
            out.append(Span(start, end, span.colour, span.label))
            last_end = end
    return out


def highlight_html(text: str, spans: Iterable[Span]) -> str:
    """``text`` escaped for HTML, with each span wrapped in ``<mark>``; newlines are kept by CSS."""
    parts: list[str] = []
    cursor = 0
    for span in merge_spans(spans, len(text)):
        parts.append(html.escape(text[cursor : span.start]))
        colour = span.colour if _is_colour(span.colour) else "#ffe066"
        title = f' title="{html.escape(span.label, quote=True)}"' if span.label else ""
        parts.append(
            f'<mark style="background:{colour}55;border-bottom:2px solid {colour};color:inherit"{title}>'
            f"{html.escape(text[span.start : span.end])}</mark>"
        )
        cursor = span.end
    parts.append(html.escape(text[cursor:]))
    return "".join(parts)


def text_block(text: str, spans: Iterable[Span] = (), *, size: str = "1rem") -> str:
    """A ``<div>`` that shows ``text`` as plain text (line breaks kept) with highlights."""
    return (
        f'<div style="white-space:pre-wrap;font-size:{size};line-height:1.6;overflow-wrap:anywhere">'
        f"{highlight_html(text, spans)}</div>"
    )


_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:&=\"'")


def markdown_escape(text: str) -> str:
    """Untrusted text made inert for a Markdown renderer: every ASCII punctuation character that Markdown,
    HTML, LaTeX (``$``) or Streamlit's ``:colour[...]`` syntax could use is backslash-escaped; line breaks
    become spaces. For messages that must mix our own Markdown with a value a user supplied."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in " ".join(text.split()))


def _is_colour(value: str) -> bool:
    return len(value) == 7 and value.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in value[1:])
