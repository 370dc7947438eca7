"""Page parsers, one module per page shape, and ``parse_page``, the entry point for one page's text."""

from __future__ import annotations

from dataclasses import dataclass

from core.model import Article
from core.parse.live_feed import DEFAULT_AGENCIES, parse_live_feed
from core.report import PageReport

__all__ = ["ParseResult", "parse_page", "split_lines"]


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What one page gave: its stories, the headline-list lines (line number, text) and the report."""

    articles: tuple[Article, ...]
    headlines: tuple[tuple[int, str], ...]
    report: PageReport


def split_lines(text: str) -> list[str]:
    """Lines as an editor numbers them: ``\\n``, ``\\r\\n`` or lone ``\\r`` end a line; a BOM is dropped."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_page(
    text: str, source: str = "<string>", agencies: frozenset[str] = DEFAULT_AGENCIES
) -> ParseResult:
    """Parse one saved page.

    ``text`` is the decoded page, ``source`` the name used in provenance and messages. Never raises on any
    text: what cannot be read is reported as ``unknown`` lines in ``result.report``.
    """
    lines = split_lines(text)
    articles, headlines, report = parse_live_feed(lines, source, agencies)
    report.blank = sum(1 for line in lines if not line.strip())
    if not lines:
        report.shape = "empty"
        report.shape_reason = "the file is empty"
        report.warnings = [f"{source}: empty file, no stories"]
    elif not articles:
        report.shape = "unrecognised"
        report.shape_reason = "no story byline (author / date / section) found"
    else:
        report.shape_reason = f"{report.roles['byline']} story bylines"
    return ParseResult(tuple(articles), tuple(headlines), report)
