"""Saved HTML pages: the visible text, laid out the way the text parsers expect copied pages.

``html_to_text`` uses selectolax (the lexbor engine): scripts, styles, forms, navigation and the site's
header and footer go; each block element (paragraph, heading, list item, table cell, ...) becomes one line,
with a blank line between blocks; entities are decoded. An image inside a ``<figure>`` gives its alt text as
a line of its own, so a photo with a caption reads like the ``Photo: VCG`` pair of copied text.
``looks_like_html`` tells saved HTML from copied text by content, not by file name.

**Nesting depth.** The HTML tree builder walks its stack of open elements on most tags (is there a ``<p>``
to close, a list item, an element to end?), so a page nested N levels deep cost N² steps: 200,000 nested
``<div>`` (1 MB) took 42 s. ``_flatten`` now reads the tags once beforehand, following the tree builder's
rules for opening and closing elements (an upper bound of its stack, see "Nesting limits" below). Past
``MAX_DEPTH`` levels a start tag is closed at once (``<div>`` becomes ``<div></div>``: the text after it
stays where it was, in order), and the end tag that would have closed it becomes a ``<br>`` after a block,
so the lines stay too. Formatting elements left open (``<b>``, ``<font>``, ...) are reopened by the parser
in every following paragraph; past ``MAX_OPEN_FORMATTING`` of them more are closed at once as well. Deep
inside such a page, a ``<nav>``, ``<header>`` or hidden element no longer holds what followed it, so that
text is read too, and a ``<figure>``'s image gives no alt line; no text is lost (short of contrived markup
around elements whose text is dropped anyway: hidden ones, labels). No real page comes near either limit,
and a page that stays below them is read exactly as before. Reading is thus linear in the page's size
whatever its nesting; the pass over the tags costs about as much as lexbor's parse and walk of a page full
of tags. ``html_text`` also says how many tags were closed at once (0 for every real page).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from selectolax.lexbor import LexborHTMLParser, LexborNode

from core.parsing.common import BYLINE
from core.parsing.html_nesting import BLOCKS as _BLOCKS
from core.parsing.html_nesting import MAX_DEPTH, MAX_OPEN_FORMATTING
from core.parsing.html_nesting import flatten as _flatten

__all__ = ["MAX_DEPTH", "MAX_OPEN_FORMATTING", "HtmlText", "html_text", "html_to_text", "looks_like_html"]


#: Elements whose text is never part of the page's reading text.
_DROPPED = (
    "script, style, noscript, template, nav, form, iframe, svg, canvas, object, embed, button, select, "
    "textarea, input, label, dialog, [role=navigation], [role=search], [hidden], [aria-hidden=true]"
)
#: The site's chrome; an ``<article>`` or ``<main>`` keeps its own ``<header>`` (headline, date, byline).
_CHROME = ("header", "footer", "aside", "[role=banner]", "[role=contentinfo]", "[role=complementary]")
_CONTENT_ANCESTORS = frozenset({"article", "main"})

_SKIPPED_TAGS = frozenset({"-comment", "head", "title", "meta", "link", "base", "script", "style"})

_DOCTYPE = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)
_TAG = re.compile(
    r"</?(?:html|head|body|div|p|span|a|ul|ol|li|h[1-6]|table|tr|td|th|br|img|script|style|section|article"
    r"|header|footer|nav|main|meta|link|title|figure|figcaption|time|strong|em|b|i|blockquote)\b[^<>]*>",
    re.IGNORECASE,
)
_DOCUMENT_TAG = re.compile(r"<(?:html|head|body)\b", re.IGNORECASE)
#: Only ASCII whitespace collapses: a no-break space (``&nbsp;``) stays U+00A0, as in copied text.
_ASCII_SPACE = re.compile(r"[ \t\n\r\f\v]+")
#: Below this many tags a text is copied prose that mentions a tag or two, not markup.
_MIN_TAGS = 8


def looks_like_html(text: str) -> bool:
    """Saved HTML: a leading ``<!DOCTYPE html>`` or ``<html>``, or markup on most of the text's lines."""
    if _DOCTYPE.match(text[:2000]):
        return True
    if "<" not in text:
        return False
    tags = _TAG.findall(text)
    if len(tags) < _MIN_TAGS:
        return False
    if _DOCUMENT_TAG.search(text[:20000]):
        return True
    lines = [line for line in text.splitlines() if line.strip()]
    if sum(1 for line in lines if "/" in line and BYLINE.match(line.strip())) >= 1:
        return False  # a text page whose stories quote markup (a byline line is never HTML)
    tagged = sum(1 for line in lines if _TAG.search(line))
    return tagged * 10 >= len(lines) * 3  # tags on at least 30% of the lines


def _inside_content(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in _CONTENT_ANCESTORS:
            return True
        parent = parent.parent
    return False


def _in_figure(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == "figure":
            return True
        parent = parent.parent
    return False


class HtmlText(NamedTuple):
    """The reading text of a saved HTML page, and how many of its tags were past the nesting limits."""

    text: str
    #: Tags read as a line break or left out because they were nested past ``MAX_DEPTH`` (or opened more
    #: than ``MAX_OPEN_FORMATTING`` formatting elements); 0 for every real page.
    flattened: int


def html_to_text(html: str) -> str:
    """The reading text of an HTML page: one line per block element, blocks separated by a blank line.

    ASCII whitespace inside a block collapses to single spaces (a no-break space stays, as a browser copies
    it), ``<br>`` ends a line, entities are decoded.
    Never raises on malformed markup (the parser repairs it as a browser would). Time is linear in the size
    of the page whatever its nesting: past ``MAX_DEPTH`` levels elements stop nesting (see the module's
    docstring), their text kept in order.
    """
    return html_text(html).text


def html_text(html: str) -> HtmlText:
    """``html_to_text``, with the number of tags flattened because they were nested too deep."""
    flat, flattened = _flatten(html)
    return HtmlText(_extract(flat), flattened)


def _extract(html: str) -> str:
    """The reading text of a page whose nesting is within the limits (``html_to_text``)."""
    tree = LexborHTMLParser(html)
    root = tree.root
    if root is None:
        return ""
    # The root stays whatever its attributes (lexbor cannot remove it; ``<html hidden>`` keeps its text).
    # (Compared by ``mem_id``: comparing lexbor nodes compares their HTML.)
    root_id = root.mem_id
    for node in tree.css(_DROPPED):
        if node.mem_id != root_id:
            node.decompose()
    for selector in _CHROME:
        for node in tree.css(selector):
            if node.mem_id != root_id and not _inside_content(node):
                node.decompose()
    blocks: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        text = " ".join(_ASCII_SPACE.split("".join(pending))).strip()
        pending.clear()
        if text:
            blocks.append(text)

    # An explicit stack instead of recursion: deeply nested markup must not hit the recursion limit.
    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            flush()
            continue
        tag = node.tag
        if tag == "-text":
            pending.append(node.text(deep=False))
            continue
        if tag in _SKIPPED_TAGS:
            continue
        if tag == "br":
            flush()
            continue
        if tag == "img":
            alt = " ".join((node.attributes.get("alt") or "").split())
            if alt and _in_figure(node):
                flush()
                blocks.append(alt)
            continue
        if tag in _BLOCKS:
            flush()
            stack.append((node, True))
        children = list(node.iter(include_text=True))
        stack.extend((child, False) for child in reversed(children))
    flush()
    return "\n\n".join(blocks) + ("\n" if blocks else "")
