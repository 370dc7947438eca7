"""The article record and the DataFrame schema, defined once.

Field names are a public contract: the JSON output of the CLI, the Parquet cache and the dashboard all use
them. Change them here and nowhere else.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from itertools import islice
from typing import Any

#: Every time on a Caixin Global page is Beijing time (UTC+08:00, no daylight saving since 1991).
BEIJING = timezone(timedelta(hours=8))

#: The earliest and latest instants a record's ``published_at`` can hold (pandas' nanosecond timestamps,
#: in UTC, a second inside each end). A byline dated outside them keeps its story, undated, with a warning.
EARLIEST_HOLDABLE = datetime(1677, 9, 21, 0, 12, 44, tzinfo=UTC)
LATEST_HOLDABLE = datetime(2262, 4, 11, 23, 47, 16, tzinfo=UTC)


def holdable(published_at: datetime | None) -> bool:
    """Whether a record can hold ``published_at`` (None, no time at all, is holdable)."""
    return published_at is None or EARLIEST_HOLDABLE <= published_at <= LATEST_HOLDABLE


#: Bumped whenever a parser change can change the records; part of every cache key.
PARSER_VERSION = "4"  # 3: headline catalog applied at ingest; 4: FORMAT.md section 3 (Markdown copies,
#                       business digests, rankings, syndicated copies, ``By:``/``Bu`` bylines, ``Contact:``)

#: The role every non-blank input line gets from a parser (see ``core.parsing``). The first eleven are the
#: live-feed roles; the others come from article, listing and digest pages:
#:
#: - ``dateline``: the date line heading an article page (or a digest's own date);
#: - ``headline``: the headline of an article page;
#: - ``deck``: an article's one-sentence summary under its headline;
#: - ``page_title``: the title of a digest (``The Best Reads of the Week From Caixin``);
#: - ``intro``: prose of a listing or digest page that belongs to no entry (an editor's introduction);
#: - ``listing_headline``, ``listing_summary``, ``listing_date``: the parts of a listing or digest entry;
#: - ``digest_marker``: a group marker of a digest (``# Finance #``, ``Economy /``);
#: - ``signature``: an editor's signature (``Doug Young``, ``Managing Editor``), or a syndicated copy's
#:   credit line naming Caixin (``This article was first published by Caixin Global.``);
#: - ``image_artifact``: what an image leaves in copied text (``![]() |``, a Markdown image alone).
#:
#: The newer shapes (FORMAT.md section 3) use these roles too: a business digest's ``— By ...`` signature
#: is its ``byline``, its and a ranking's lede ``body``, their items ``listing_headline`` and
#: ``listing_summary``, a business digest's ``** ECONOMY`` a ``digest_marker``; a line of Markdown markup
#: alone (``---``) is ``furniture``.
ROLES: tuple[str, ...] = (
    "furniture",
    "headline_list",
    "byline",
    "photo",
    "caption",
    "body",
    "teaser_note",
    "contact",
    "related",
    "coverage_link",
    "unknown",
    "dateline",
    "headline",
    "deck",
    "page_title",
    "intro",
    "listing_headline",
    "listing_summary",
    "listing_date",
    "digest_marker",
    "signature",
    "image_artifact",
)


@dataclass(frozen=True, slots=True)
class SourceSpan:
    """Where a story was read from: a file and an inclusive 1-based line range."""

    file: str
    first_line: int
    last_line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.first_line}-{self.last_line}"


@dataclass(frozen=True, slots=True)
class Article:
    """One story as read from one or more saved pages.

    The parsers make it field by field without this ``__init__`` (``core.parsing.records``): a field
    added here goes there too (``tests/test_parse_patterns.py`` fails until it does)."""

    article_id: str
    published_at: datetime | None
    section: str
    byline: str
    authors: tuple[str, ...]
    agency: str | None
    headline: str
    headline_inferred: bool
    photo_credit: str | None
    photo_caption: str | None
    body: str
    paragraphs: int
    word_count: int
    teaser: bool
    truncated: bool
    contacts: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    coverage_links: tuple[str, ...] = ()
    sources: tuple[SourceSpan, ...] = field(default_factory=tuple)
    #: Score of the headline-catalog match that gave this story its headline (``core.storing.catalog``); None when
    #: the headline is inferred from the lead or was printed on the story's own page.
    headline_match: float | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ISO 8601 time with ``+08:00``, lists for tuples."""
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        for key in ("authors", "contacts", "related", "coverage_links"):
            data[key] = list(data[key])
        data["sources"] = [asdict(span) for span in self.sources]
        return data


#: Column order and pandas dtype of the article DataFrame. List columns hold Python lists of str
#: (``sources`` holds ``SourceSpan`` strings ``file:first-last``).
COLUMNS: dict[str, str] = {
    "article_id": "string",
    "published_at": "datetime64[ns, UTC+08:00]",
    "section": "string",
    "byline": "string",
    "authors": "object",
    "agency": "string",
    "headline": "string",
    "headline_inferred": "bool",
    "photo_credit": "string",
    "photo_caption": "string",
    "body": "string",
    "paragraphs": "int32",
    "word_count": "int32",
    "teaser": "bool",
    "truncated": "bool",
    "contacts": "object",
    "related": "object",
    "coverage_links": "object",
    "sources": "object",
    "headline_match": "float64",
}

#: Columns of lists of ``str`` ("object" above). An article frame holds them as Arrow lists
#: (``core.storing.frame.ARROW_LIST_COLUMNS``); a cell reads as a ``list`` of ``str``, as a Python list would.
LIST_COLUMNS: tuple[str, ...] = ("authors", "contacts", "related", "coverage_links", "sources")


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """One item of a listing or digest page: a headline known from the page, maybe with a summary and date.

    ``group`` is the section, topic or digest group the page files it under ("" when none); ``line`` is the
    1-based line of the headline in ``source``; ``article_id`` names the matched story once the headline
    catalog (``core.storing.catalog``) has linked it, else None.
    """

    headline: str
    summary: str
    published_at: datetime | None
    group: str
    source: str
    line: int
    article_id: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ISO 8601 time with ``+08:00`` or None."""
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        return data


#: Column order and pandas dtype of the listing-entry DataFrame (fields of ``ListingEntry``).
LISTING_COLUMNS: dict[str, str] = {
    "headline": "string",
    "summary": "string",
    "published_at": "datetime64[ns, UTC+08:00]",
    "group": "string",
    "source": "string",
    "line": "int32",
    "article_id": "string",
}

_ID_WORD = re.compile(r"\w+")
#: The first twelve words (``_ID_WORD``) and what lies between them, in one match.
_ID_OPENING = re.compile(r"\w+(?:\W+\w+){0,11}")
_ID_GAP = re.compile(r"\W+")
#: Every ASCII byte that is no word character (``_ID_WORD``) made a space.
_ID_ASCII_GAPS = bytes(byte if chr(byte).isalnum() or byte == ord("_") else ord(" ") for byte in range(128))
_ID_ASCII_GAPS += b" " * 128


def make_article_id(published_at: datetime | None, body: str, fallback: str = "") -> str:
    """A stable id from the timestamp and the first words of the body.

    Punctuation, case and quote style are ignored, and authors are left out, so the same story saved in
    two pages (or with its authors in another order, or cut short after its opening) gets the same id.
    ``fallback`` (e.g. the byline) is used only when the body is empty.
    """
    if not published_at:
        stamp = "undated"
    elif type(published_at) is datetime and published_at.tzinfo is BEIJING and published_at.year >= 1000:
        p = published_at  # what strftime gives (``%Y`` pads to four digits from the year 1000 on)
        stamp = "%04d-%02d-%02dT%02d:%02d" % (p.year, p.month, p.day, p.hour, p.minute)  # noqa: UP031 (faster)
    else:
        stamp = published_at.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")
    words = _ID_OPENING.search(body, 0, 400)  # in the first 400 characters, as if cut there (not copied)
    if words is None:
        opening = "empty:" + fallback.lower()
    elif "\u0130" in (span := words.group()) or "\u03a3" in span:
        # İ lower-cases to two characters and Σ by its context: lower the whole head as the id always did.
        opening = " ".join(m.group() for m in islice(_ID_WORD.finditer(body[:400].lower()), 12))
    else:
        # Every other character lower-cases to one character that is a word character exactly when it
        # was one, so the first twelve words of the lower-cased head are those of the head, lower-cased:
        # only their span is lower-cased (lower-casing 400 characters of non-ASCII text cost 4 µs a story).
        # Its words joined by single spaces (what ``_ID_GAP.sub(" ", ...)`` gives, as the span starts and
        # ends with a word): for ASCII by a byte table, else by ``findall``, each faster than ``sub``.
        lowered = span.lower()
        if lowered.isascii():
            opening = b" ".join(lowered.encode().translate(_ID_ASCII_GAPS).split()).decode()
        else:
            opening = " ".join(_ID_WORD.findall(lowered))
    digest = hashlib.sha1(f"{stamp}|{opening}".encode()).hexdigest()
    return digest[:16]


def parse_source_span(text: str) -> SourceSpan:
    """Inverse of ``str(SourceSpan)``; file names may themselves contain ``:``."""
    file, _, lines = text.rpartition(":")
    first, _, last = lines.partition("-")
    return SourceSpan(file, int(first), int(last or first))
