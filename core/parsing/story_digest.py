"""Digest and ranking articles (FORMAT.md section 3): one story whose items are listing entries.

A daily business digest::

    Sep 14, 2021 07:31 AM                           <- dateline (optional)
    China Business Digest: Evergrande Misses ...    <- headline (real: ``headline_inferred`` is False)
    ![]() |                                         <- image_artifact (optional)
    China's property giant missed a payment ...     <- body: the lede, one or more paragraphs
    — By Ma Li (mali@caixin.com) and Zhou Qiang (qiangzhou@caixin.com)   <- byline: the signers, e-mails
                                                                          dropped, are the authors
    ** TOP STORIES OF THE DAY                       <- digest_marker: the group of the items under it
    Evergrande Misses Interest Payment              <- listing_headline (an item: a short line)
    The developer did not pay ...                   <- listing_summary: its paragraph(s)

A ranking article::

    Sep 14, 2021 07:31 AM                           <- dateline
    Most-Read Stories: Evergrande Tops the Chart    <- headline
    Here is today's ranking of the 10 most-read ... <- body: the introduction
    1. Evergrande Misses Interest Payment           <- listing_headline (``1. `` removed)
    The developer did not pay ...                   <- listing_summary: its paragraph(s)

Both may carry the live-feed trailer lines (contact, related, teaser note) and page furniture. The story
is also an entry of its own (headline and lede, like an article page's), first, so that a live-feed copy
of it can get its real headline from the catalog. Items keep no date: they summarise other stories.
"""

from __future__ import annotations

import re

from core.model import Article, ListingEntry
from core.parsing import common as c
from core.parsing.article import _Page, footer_line, read_byline
from core.parsing.entries import EntryBuilder, clean_headline, unlink
from core.parsing.live_feed import DEFAULT_AGENCIES, split_byline, story_article, trailer_role
from core.parsing.report import PageReport

__all__ = ["parse_story_digest", "BUSINESS_SIGNATURE", "BUSINESS_TITLE", "NUMBERED_ITEM", "RANKING_WORDS"]

#: ``— By Ma Li (mali@caixin.com) and Zhou Qiang (qiangzhou@caixin.com)``: a dash, ``By``, names with
#: their e-mail in brackets.
BUSINESS_SIGNATURE = re.compile(r"^[—–-]{1,2}\s*By:?\s+(?P<authors>[^()]{2,80}?\s*\([^)]*@[^)]*\).*)$")
#: The headline of a daily business digest.
BUSINESS_TITLE = re.compile(r"^China Business Digest\s*:", re.IGNORECASE)
#: A business digest's group marker: ``** TOP STORIES OF THE DAY``, ``** ECONOMY``.
_STARRED_MARKER = re.compile(r"^\*\*\s+(?P<group>[^*]{2,48}?)\s*\**$")
#: A ranking's item: ``1. Evergrande Misses Interest Payment``.
NUMBERED_ITEM = re.compile(r"^(?P<number>\d{1,2})[.)]\s+(?P<headline>\S.*)$")
#: Words that name a ranking in its headline or introduction.
RANKING_WORDS = re.compile(r"\b(?:most[- ]read|most[- ]popular|most[- ]viewed|ranking|top \d{1,2}\b)", re.I)
_IMAGE_ARTIFACT = re.compile(r"^(?:!\[[^\]]*\]\([^)]*\)\s*)+\|?$|^\|[\s|]*$")
_PARENS = re.compile(r"\([^()]*\)?")
#: An item headline of a business digest: a short line that does not end a sentence.
_MAX_ITEM_WORDS = 20


def _group(text: str) -> str | None:
    starred = _STARRED_MARKER.match(text)
    if starred:
        return c.canonical_section(starred["group"])
    return c.digest_group(text)


def _signers(text: str) -> str:
    """``Ma Li (mali@caixin.com) and Zhou Qiang (qiangzhou@caixin.com)`` -> ``Ma Li and Zhou Qiang``."""
    return " ".join(_PARENS.sub(" ", text).split()).strip(" ,.;")


def _is_item_headline(text: str) -> bool:
    words = text.split()
    if c.looks_like_headline(text):
        return True
    return 0 < len(words) <= _MAX_ITEM_WORDS and not text.endswith(c.TERMINAL)


class StoryDigestParser:
    """One pass over a business digest or ranking page; ``parse()`` gives the story, its entries and the
    report. ``kind`` is the shape: ``business-digest`` or ``ranking``."""

    def __init__(self, lines: list[str], source: str, kind: str, agencies: frozenset[str]) -> None:
        self.lines = lines
        self.source = source
        self.kind = kind
        self.agencies = agencies
        self.report = PageReport(source=source, shape=kind, lines=len(lines))
        self.page = _Page()
        self.byline = ""
        self.entries = EntryBuilder(source, joiner="\n\n")

    def parse(self) -> tuple[list[Article], list[ListingEntry], PageReport]:
        stripped = [line.strip() for line in self.lines]
        nonblank = [i for i, text in enumerate(stripped) if text]
        page, roles, builder = self.page, self.report.roles, self.entries
        state = "head"  # head -> lede -> items -> footer
        for index in nonblank:
            text, number = stripped[index], index + 1
            if state == "footer":
                footer_line(self.report, number, text)
                continue
            if text.lower() in c.FOOTER_LINES:
                roles["furniture"] += 1
                state = "footer"
                continue
            role = self._common_role(text, number)
            if role is None and state in ("head", "lede"):
                role = self._opening_role(text, number)
                if role == "body":
                    state = "lede"
            if role is None:
                role = self._item_role(text, number)
                state = "items"
            roles[role] += 1
            if role not in ("furniture", "unknown"):
                page.last_line = number
        if not page.headline:
            self.report.warn(None, f"no headline found; no {self.kind} story")
            return [], [], self.report
        article = self._article()
        own = ListingEntry(
            headline=article.headline,
            summary=page.paragraphs[0] if page.paragraphs else "",
            published_at=article.published_at,
            group=article.section,
            source=self.source,
            line=page.headline_line,
            article_id=article.article_id,
        )
        entries = [own, *builder.entries()]
        self.report.stories = 1
        self.report.entries = len(entries)
        return [article], entries, self.report

    def _common_role(self, text: str, number: int) -> str | None:
        """Roles a line has wherever it stands: furniture, images, markers, signature, trailer lines."""
        page = self.page
        label = bool(page.headline and c.LABEL.match(text) and text.lower() not in c.FURNITURE_LINES)
        if c.is_furniture(text) and not label:
            return "furniture"
        if _IMAGE_ARTIFACT.match(text):
            return "image_artifact"
        if text.endswith(" |"):
            return "caption"
        if "Photo:" in text and page.headline and not page.paragraphs and len(page.photo_lines) < 2:
            page.photo_lines.append(text)
            return "photo" if len(page.photo_lines) == 1 else "caption"
        signature = BUSINESS_SIGNATURE.match(text)
        if signature and not self.byline and page.headline:
            self.byline = _signers(signature["authors"])
            return "byline"
        if page.headline:
            group = _group(text)
            if group is None and label:
                group = c.canonical_section(text)
            if group is not None:
                self.entries.set_group(group)
                return "digest_marker"
            role = trailer_role(page, text)
            if role:
                page.trailer_lines += 1
                return role
        return None

    def _opening_role(self, text: str, number: int) -> str | None:
        """The date line, headline, byline and lede before the first item; None at the first item."""
        page = self.page
        date = c.parse_date_line(text)
        if date is not None and not date[1] and page.published_at is None and not page.paragraphs:
            page.published_at, page.section = date[0], date[2] or page.section
            page.first_line = page.first_line or number
            return "dateline"
        if not page.headline:
            page.headline, page.headline_line = clean_headline(text) or text, number
            page.first_line = page.first_line or number
            return "headline"
        if not self.byline and not page.paragraphs:
            byline = read_byline(text)
            if byline is not None:
                self.byline = byline.raw
                page.published_at = page.published_at or byline.published_at
                page.section = page.section or byline.section
                return "byline"
        if self.kind == "ranking" and NUMBERED_ITEM.match(text):
            return None
        if self.kind == "business-digest" and (self.byline or self.entries.group):
            return None  # the items start after the signature
        page.paragraphs.append(unlink(text))
        return "body"

    def _item_role(self, text: str, number: int) -> str:
        builder = self.entries
        current = builder.current
        if self.kind == "ranking":
            item = NUMBERED_ITEM.match(text)
            if item:
                builder.start(number, clean_headline(text) or item["headline"])
                return "listing_headline"
        elif (current is None or current.summary) and _is_item_headline(text):
            builder.start(number, clean_headline(text) or text)
            return "listing_headline"
        if current is None:
            self.page.paragraphs.append(unlink(text))
            return "body"
        builder.add_summary(unlink(text))
        return "listing_summary"

    def _article(self) -> Article:
        page = self.page
        authors, agency = split_byline(self.byline, self.agencies) if self.byline else ((), None)
        items = self.entries.items
        last_text = items[-1].summary[-1] if items and items[-1].summary else ""
        if not last_text and page.paragraphs:
            last_text = page.paragraphs[-1]
        truncated = page.trailer_lines == 0 and not last_text.endswith(c.TERMINAL)
        if truncated:
            self.report.warn(page.first_line, f"page ends inside the {self.kind}; marked truncated")
        return story_article(
            page,
            self.source,
            self.agencies,
            byline=self.byline,
            authors=authors,
            agency=agency,
            headline=page.headline,
            headline_inferred=False,
            truncated=truncated,
        )


def parse_story_digest(
    lines: list[str], source: str, kind: str, agencies: frozenset[str] = DEFAULT_AGENCIES
) -> tuple[list[Article], list[ListingEntry], PageReport]:
    """Parse a business digest or ranking page (``kind``) given as lines: ([the story], [its own entry and
    its items], report)."""
    return StoryDigestParser(lines, source, kind, agencies).parse()
