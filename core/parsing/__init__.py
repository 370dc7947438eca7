"""Page parsers, one module per page shape, and ``parse_page``, the entry point for one page's text.

``parse_page`` reads saved HTML as its text (``core.parsing.html``) and a Markdown copy without its markup
(``core.parsing.markdown``), detects the page's shape (``core.parsing.detect``) and hands the lines to that
shape's parser: ``live_feed``, ``article``, ``listing``, ``digest``, ``story_digest`` (business digests
and rankings) or ``syndicated``. Every parser gives every non-blank line exactly one role in the page report.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeVar

from core.heap import paused_gc
from core.model import Article, ListingEntry, holdable
from core.parsing.article import parse_article
from core.parsing.common import unholdable_note
from core.parsing.detect import SHAPES, detect_shape
from core.parsing.digest import parse_digest
from core.parsing.html import html_to_text, looks_like_html
from core.parsing.listing import parse_listing
from core.parsing.live_feed import DEFAULT_AGENCIES, parse_live_feed
from core.parsing.markdown import read_markdown
from core.parsing.report import PageReport
from core.parsing.story_digest import parse_story_digest
from core.parsing.syndicated import parse_syndicated

__all__ = [
    "SHAPES",
    "ParseResult",
    "detect_shape",
    "html_to_text",
    "looks_like_html",
    "parse_page",
    "split_lines",
    "split_more_lines",
    "hold_times",
]


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What one page gave: its stories, the headline-list lines (line number, text), the report, and the
    listing entries (items of a listing or digest page; an article page's own headline and deck)."""

    articles: tuple[Article, ...]
    headlines: tuple[tuple[int, str], ...]
    report: PageReport
    listings: tuple[ListingEntry, ...] = ()


def split_lines(text: str) -> list[str]:
    """Lines as an editor numbers them: ``\\n``, ``\\r\\n`` or lone ``\\r`` end a line; a BOM is dropped."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return split_more_lines(text)


def split_more_lines(text: str) -> list[str]:
    """``split_lines`` for text that goes on a page after other text (``core.reading.stream``): no BOM dropped.
    Text that ends a line gives no empty last line, so pieces cut after a ``\\n`` split as the whole."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


@paused_gc()  # its lines, stories and records, none in a cycle (``core.heap``)
def parse_page(
    text: str, source: str = "<string>", agencies: frozenset[str] = DEFAULT_AGENCIES
) -> ParseResult:
    """Parse one saved page, copied text or saved HTML, whatever its shape.

    ``text`` is the decoded page, ``source`` the name used in provenance and messages. Saved HTML is
    recognised by its content (a leading ``<!DOCTYPE html>`` or ``<html>``, or markup on most lines), so
    an ``.html`` file and HTML pasted into a ``.txt`` file read alike; its text is extracted first and
    **line numbers then refer to the extracted text** (``html_to_text``), not to the HTML source.
    ``result.report.shape`` says which shape the page was read as and ``shape_reason`` why; an
    unrecognised page gives no stories and no entries. Never raises on any text: what cannot be read is
    reported as ``unknown`` lines in ``result.report``.
    """
    is_html = looks_like_html(text)
    if is_html:
        text = html_to_text(text)
    lines = split_lines(text)
    stripped = list(map(str.strip, lines))  # once for the shape detection, the parser and the blank count
    markdown = None if is_html else read_markdown(text, stripped, source)
    if markdown is None:
        result = _parse_lines(lines, source, agencies, stripped)
    else:
        result = _parse_lines(markdown.lines, source, agencies, markdown.lines, raw=stripped)
        markdown.restore(result.report)
    result = ParseResult(
        hold_times(result.articles, result.report),
        result.headlines,
        result.report,
        hold_times(result.listings, result.report),
    )
    report = result.report
    report.blank = stripped.count("")
    if is_html:
        if not lines:
            report.shape = "unrecognised"
            report.shape_reason = "saved HTML with no text"
            report.warnings = [f"{source}: saved HTML with no text, no stories"]
        else:
            report.shape_reason = f"saved HTML, read as {report.shape} ({report.shape_reason})"
    return result


_Dated = TypeVar("_Dated", Article, ListingEntry)


def hold_times(items: tuple[_Dated, ...], report: PageReport) -> tuple[_Dated, ...]:
    """``items`` with every time a record cannot hold (``core.parsing.common.holdable``: before 1677 or
    after 2262) made None, each with a warning in ``report`` naming its line; the story or entry is kept."""
    times = [item.published_at for item in items if item.published_at is not None]
    if not times or (holdable(min(times)) and holdable(max(times))):  # what every item's check would say
        return items
    kept = []
    for item in items:
        if item.published_at is not None and not holdable(item.published_at):
            line = item.sources[0].first_line if isinstance(item, Article) and item.sources else None
            if isinstance(item, ListingEntry):
                line = item.line
            report.warn(line, unholdable_note(item.published_at))
            item = replace(item, published_at=None)
        kept.append(item)
    return tuple(kept)


def _parse_lines(
    lines: list[str], source: str, agencies: frozenset[str], stripped: list[str], raw: list[str] | None = None
) -> ParseResult:
    """The parse of a page's lines by the parser of its shape; ``raw`` are the stripped lines of a Markdown
    copy as the file holds them (``lines`` are then without markup)."""
    if not lines:
        articles, headlines, report = parse_live_feed(lines, source, agencies)
        report.shape = "empty"
        report.shape_reason = "the file is empty"
        report.warnings = [f"{source}: empty file, no stories"]
        return ParseResult((), (), report)
    shape, reason = detect_shape(lines, count_bylines=False, stripped=stripped)
    if shape == "article":
        stories, entries, report = parse_article(lines, source, agencies)
        report.shape_reason = reason
        return ParseResult(tuple(stories), (), report, tuple(entries))
    if shape in ("business-digest", "ranking", "syndicated"):
        if shape == "syndicated":
            stories, entries, report = parse_syndicated(lines, source, agencies)
        else:
            stories, entries, report = parse_story_digest(lines, source, shape, agencies)
        report.shape_reason = report.shape_reason or reason
        return ParseResult(tuple(stories), (), report, tuple(entries))
    if shape in ("listing", "digest"):
        if shape == "listing":
            entries, report = parse_listing(lines, source)
        else:
            entries, report = parse_digest(lines, source, raw=raw)
        report.shape_reason = reason
        return ParseResult((), (), report, tuple(entries))
    # Live feed, or nothing recognisable: the live-feed parser reads it exactly as before shapes were
    # detected, so a page cut inside its only byline still keeps its truncated story.
    articles, headlines, report = parse_live_feed(lines, source, agencies, stripped=stripped)
    if articles:
        report.shape = "live-feed"
        report.shape_reason = f"{report.roles['byline']} story bylines"
        return ParseResult(tuple(articles), tuple(headlines), report)
    report.shape = "unrecognised"
    report.shape_reason = reason
    if headlines:
        # Title-case lines of a file that is no Caixin page are no headlines: report them, catalog nothing.
        report.roles["headline_list"] -= len(headlines)
        for number, text in headlines:
            report.unknown_line(number, text)
        report.unknown.sort()
    return ParseResult((), (), report)
