"""Safe highlighting: untrusted story text escaped as text, with ``<mark>`` around hit offsets.

The dashboard renders the result as HTML, so everything that comes from a page goes through
``html.escape`` here: no tag, entity, Markdown or LaTeX in a story can become markup.
"""

from __future__ import annotations

import html
import re
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


def markdown_code(text: str) -> str:
    """Untrusted text as an inline code span, for messages that mix our Markdown with a value a user
    supplied: inside a code span nothing is Markdown, HTML, LaTeX, a colour directive or an autolink.
    The fence is longer than any run of backticks in the text; line breaks become spaces."""
    flat = " ".join(text.split()) or " "
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _is_colour(value: str) -> bool:
    return len(value) == 7 and value.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in value[1:])
