"""Single article pages (FORMAT.md section 2): a date line, the headline, maybe a deck and a byline, the body.

::

    Home > Business & Tech >                          <- furniture (a breadcrumb or label names the section)
    Aug 10, 2018 03:05 PM                             <- dateline (may end in `` / Section``)
    Huawei Bets on Its Own Chips as U.S. Curbs Bite   <- headline (real: ``headline_inferred`` is False)
    The company plans to ... in two years.            <- deck, optional (one-sentence summary)
    By Li Xiang and Mo Yelin                          <- byline, optional (``By A and B``, with or without
                                                         `` / <date>`` or `` / <date> / <section>``)
    Photo: VCG                                        <- photo and caption lines, optional
    <body paragraphs>                                 <- a live blog's update stamps (``Saturday, Feb. 15,
                                                         9:00 p.m.``) stay in the body as paragraphs
    Contact reporter Li Xiang (                       <- the live-feed trailer lines, in any order
    Related: ...
    Share this article                                <- footer

A deck cannot be told from a short first paragraph by its words alone, so a line is read as the deck only
when a byline or photo line follows it; otherwise it is the first paragraph of the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from core.model import Article, ListingEntry
from core.parsing import common as c

# The live-feed parser's small helpers, shared rather than copied (they stay private there so that module
# can be tuned without widening its public API).
from core.parsing.entries import unlink
from core.parsing.live_feed import (
    DEFAULT_AGENCIES,
    _near_copy,
    split_byline,
    story_article,
    trailer_role,
)
from core.parsing.report import PageReport

__all__ = ["parse_article"]

#: ``By A and B`` or ``By A and B / Aug 10, 2018 03:05 PM`` (the full live-feed form is ``c.BYLINE``).
_SHORT_BYLINE = re.compile(
    r"^(?:[Bb]y\s+|[Bb][Yy]\s*:\s*)(?P<authors>[^/]{1,160}?)(?:\s*/\s*(?P<date>" + c.DATE_PATTERN + r"))?\s*$"
)
_NAME_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*")


@dataclass(slots=True)
class _Byline:
    raw: str
    published_at: datetime | None
    section: str


@dataclass(slots=True)
class _Page:
    """What has been read so far."""

    first_line: int = 0
    last_line: int = 0
    published_at: datetime | None = None
    section: str = ""
    headline: str = ""
    headline_line: int = 0
    deck: str = ""
    byline: _Byline | None = None
    photo_lines: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    teaser: bool = False
    trailer_lines: int = 0
    contacts: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    coverage_links: list[str] = field(default_factory=list)


def _names_like(authors: str) -> bool:
    """``Li Xiang and Mo Yelin``: every part a name of one to five words, first and last capitalised."""
    parts = [p for p in _NAME_SPLIT.split(authors.strip()) if p]
    if not parts or len(parts) > 8:
        return False
    for part in parts:
        words = part.strip(" .").split()
        if not 1 <= len(words) <= 5 or not words[0][:1].isupper() or not words[-1][:1].isupper():
            return False
        if any(ch.isdigit() for ch in part):
            return False
    return True


def read_byline(text: str) -> _Byline | None:
    """An article byline in any of its three forms, else None (``By the end of May, ...`` is body)."""
    if "/" in text:
        full = c.BYLINE.match(text)
        if full:
            published = c.beijing_time(
                full["month"], full["day"], full["year"], full["hour"], full["minute"], full["ampm"]
            )
            if published is not None:
                raw = c.BYLINE_PREFIX.sub("", " ".join(full["authors"].split()), count=1)
                return _Byline(raw, published, c.canonical_section(full["section"]))
    short = _SHORT_BYLINE.match(text)
    if not short or not _names_like(short["authors"]):
        return None
    published = None
    if short["date"]:
        published = c.beijing_time(
            short["month"], short["day"], short["year"], short["hour"], short["minute"], short["ampm"]
        )
    return _Byline(" ".join(short["authors"].split()), published, "")


class ArticleParser:
    """One pass over an article page's lines; ``parse()`` returns the article, its catalog entry, the report."""

    def __init__(self, lines: list[str], source: str, agencies: frozenset[str] = DEFAULT_AGENCIES) -> None:
        self.lines = lines
        self.source = source
        self.agencies = agencies
        self.report = PageReport(source=source, shape="article", lines=len(lines))
        self.page = _Page()

    def parse(self) -> tuple[list[Article], list[ListingEntry], PageReport]:
        stripped = [line.strip() for line in self.lines]
        nonblank = [i for i, text in enumerate(stripped) if text]
        page, roles = self.page, self.report.roles
        label_section = ""
        state = "pre"  # pre -> headline -> head -> body/trailer -> footer
        for position, index in enumerate(nonblank):
            text, number = stripped[index], index + 1
            following = stripped[nonblank[position + 1]] if position + 1 < len(nonblank) else ""
            if state == "pre":
                date = c.parse_date_line(text)
                if date is not None and not date[1]:
                    roles["dateline"] += 1
                    page.first_line = page.last_line = number
                    page.published_at, page.section = date[0], date[2] or label_section
                    state = "headline"
                elif c.is_furniture(text):
                    roles["furniture"] += 1
                    label_section = _section_of_furniture(text) or label_section
                else:
                    self.report.unknown_line(number, text)
                continue
            if state == "headline":
                if text.lower() in c.SECTIONS:
                    roles["furniture"] += 1
                    page.section = c.canonical_section(text)
                    continue
                roles["headline"] += 1
                page.headline, page.headline_line, page.last_line = unlink(text), number, number
                state = "head"
                continue
            if state == "footer":
                footer_line(self.report, number, text)
                continue
            if state == "head":
                role = self._head_role(text, following)
                if role:
                    roles[role] += 1
                    page.last_line = number
                    continue
                state = "body"
            role = self._trailer_role(text)
            if role:
                roles[role] += 1
                page.trailer_lines += 1
                page.last_line = number
                continue
            if text.lower() in c.FOOTER_LINES:
                roles["furniture"] += 1
                state = "footer"
                continue
            if c.is_furniture(text):
                roles["furniture"] += 1
                continue
            roles["body"] += 1
            page.paragraphs.append(text)
            page.last_line = number
        if not page.headline:
            self.report.warn(None, "no headline after the date line; no story")
            return [], [], self.report
        article = self._article()
        self.report.stories = 1
        entry = ListingEntry(
            headline=article.headline,
            summary=page.deck,
            published_at=article.published_at,
            group=article.section,
            source=self.source,
            line=page.headline_line,
            article_id=article.article_id,
        )
        self.report.entries = 1
        return [article], [entry], self.report

    def _head_role(self, text: str, following: str) -> str | None:
        """Deck, byline, photo or caption between the headline and the body; None when the body starts."""
        page = self.page
        if page.byline is None and not page.photo_lines:
            byline = read_byline(text)
            if byline is not None:
                page.byline = byline
                page.section = page.section or byline.section
                page.published_at = page.published_at or byline.published_at
                return "byline"
            followed = read_byline(following) is not None or "Photo:" in following
            if not page.deck and followed and not _photo_line(text, following):
                page.deck = text
                return "deck"
        seen = len(page.photo_lines)
        if seen == 0 and _photo_line(text, following):
            page.photo_lines.append(text)
            return "photo"
        if seen == 1 and ("Photo:" in text or _near_copy(page.photo_lines[0], text)):
            page.photo_lines.append(text)
            return "caption"
        return None

    def _trailer_role(self, text: str) -> str | None:
        return trailer_role(self.page, text)

    def _article(self) -> Article:
        page = self.page
        raw_byline = page.byline.raw if page.byline else ""
        authors, agency = split_byline(raw_byline, self.agencies) if raw_byline else ((), None)
        truncated = page.trailer_lines == 0 and (
            not page.paragraphs or not page.paragraphs[-1].endswith(c.TERMINAL)
        )
        if truncated:
            self.report.warn(page.first_line, "page ends inside the article; marked truncated")
        return story_article(
            page,
            self.source,
            self.agencies,
            byline=raw_byline,
            authors=authors,
            agency=agency,
            headline=page.headline,
            headline_inferred=False,
            truncated=truncated,
        )


def footer_line(report: PageReport, number: int, text: str) -> None:
    """A line after a page's footer starts: furniture, or unknown."""
    if c.is_furniture(text):
        report.count("furniture")
    else:
        report.unknown_line(number, text)


def _photo_line(text: str, following: str) -> bool:
    """A photo line: it names a ``Photo:`` credit, or the next line repeats it (a caption pair)."""
    return "Photo:" in text or (text == following and read_byline(text) is None)


def _section_of_furniture(text: str) -> str:
    """The section a furniture line names: a breadcrumb (``Home > Economy > Trade War``: its first known
    section, else its last step) or an upper-case section label (``ECONOMY``)."""
    steps = c.breadcrumb_steps(text)
    if steps:
        known = [step for step in steps if step.lower() in c.SECTIONS]
        return c.canonical_section(known[0] if known else steps[-1])
    if c.LABEL.match(text) and text.lower() in c.SECTIONS:
        return c.canonical_section(text)
    return ""


def parse_article(
    lines: list[str], source: str, agencies: frozenset[str] = DEFAULT_AGENCIES
) -> tuple[list[Article], list[ListingEntry], PageReport]:
    """Parse a single article page given as lines: ([the article], [its catalog entry], report)."""
    return ArticleParser(lines, source, agencies).parse()
