"""Syndicated copies (FORMAT.md section 3): a Caixin Global story quoted on another site.

::

    Asia Markets Wire | Business | Tech          <- furniture: the other site's, before the headline
    Evergrande Misses Payment as Buyers Protest  <- headline: the last headline-like line before the body
    Published Sep 14, 2021 07:31 AM              <- dateline: a line holding a date (``Sep 14, 2021``,
                                                    ``September 14, 2021``, ``2021-09-14``, a time optional)
    By Ma Li                                     <- byline (optional)
    China Evergrande Group missed ...            <- body: the paragraphs (lines of six words or more)
    This article was first published by Caixin Global.   <- signature: the credit line naming Caixin
    Share on Twitter                             <- furniture: the other site's, after the body

A copy is a story only when a date is found (a date without a time is read as midnight, Beijing time);
otherwise the report's shape is ``syndicated``, its reason says that no date was found, and no story is
made up (its lines are ``unknown``). Without a headline-like line the headline is inferred from the lead.
"""

from __future__ import annotations

import re
from datetime import datetime

from core.model import Article, ListingEntry
from core.parsing import common as c
from core.parsing.article import _Page, read_byline
from core.parsing.entries import unlink
from core.parsing.live_feed import DEFAULT_AGENCIES, infer_headline, split_byline, story_article, trailer_role
from core.parsing.report import PageReport

__all__ = ["CREDIT", "find_credit", "parse_syndicated"]

#: A credit line naming Caixin: ``Source: Caixin Global``, ``This article was first published by Caixin
#: Global.``, ``Originally published on Caixin``, ``Republished from Caixin Global``, ``(Caixin Global)``.
CREDIT = re.compile(
    r"^\(?(?:source|credit|via|courtesy(?: of)?|republished (?:from|with permission from)|reprinted from"
    r"|(?:this (?:article|story|piece|report) )?(?:was |is )?(?:first |originally )?"
    r"(?:published|appeared)(?: first)? (?:by|on|in|at))"
    r"\s*:?\s*(?:the\s+)?Caixin(?: Global)?\b.*$"
    r"|^\(Caixin(?: Global)?\)\.?$",
    re.IGNORECASE,
)
_DAY_DATE = re.compile(
    r"\b(?P<month>[A-Z][a-z]{2,8})\.? (?P<day>\d{1,2}), (?P<year>\d{4})"
    r"(?:,? (?:at )?(?P<hour>\d{1,2}):(?P<minute>\d{2}) ?(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
)
_ISO_DATE = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2}))?")
#: A paragraph has at least this many words; shorter lines in the body's span are the other site's.
_PARAGRAPH_WORDS = 6
#: A line of this many words is prose even without a sentence end (a paragraph cut short).
_LONG_LINE_WORDS = 15
#: How long a line holding a date may be and still be a date line rather than a paragraph.
_MAX_DATE_LINE = 80


def find_credit(stripped: list[str]) -> int | None:
    """The 0-based index of the first credit line naming Caixin, or None."""
    for index, text in enumerate(stripped):
        if "aixin" in text and CREDIT.match(text):
            return index
    return None


def date_in(text: str) -> datetime | None:
    """The first date a line holds, in Beijing time (midnight when it gives no time), else None."""
    whole = c.parse_date_line(text)
    if whole is not None:
        return whole[0]
    if len(text) > _MAX_DATE_LINE:
        return None
    day = _DAY_DATE.search(text)
    if day:
        hour, minute = day["hour"] or "0", day["minute"] or "00"
        ampm = day["ampm"].replace(".", "") if day["ampm"] else None
        return c.beijing_time(day["month"], day["day"], day["year"], hour, minute, ampm)
    iso = _ISO_DATE.search(text)
    if iso and 1 <= int(iso["month"]) <= 12:
        month = next(name for name, n in c.MONTHS.items() if n == int(iso["month"]))
        return c.beijing_time(month, iso["day"], iso["year"], iso["hour"] or "0", iso["minute"] or "00", None)
    return None


def _is_paragraph(text: str) -> bool:
    """Prose: six words or more that end a sentence (or fifteen words or more), not page furniture."""
    words = len(text.split())
    return (
        words >= _PARAGRAPH_WORDS
        and (text.endswith(c.TERMINAL) or words >= _LONG_LINE_WORDS)
        and not c.is_furniture(text)
    )


def parse_syndicated(
    lines: list[str], source: str, agencies: frozenset[str] = DEFAULT_AGENCIES
) -> tuple[list[Article], list[ListingEntry], PageReport]:
    """Parse a syndicated copy given as lines: ([the story] or [] when undated, [its entry], report)."""
    report = PageReport(source=source, shape="syndicated", lines=len(lines))
    stripped = [line.strip() for line in lines]
    nonblank = [i for i, text in enumerate(stripped) if text]
    credit = find_credit(stripped)
    roles: dict[int, str] = {}
    if credit is not None:
        roles[credit] = "signature"
    paragraphs = [i for i in nonblank if i not in roles and _is_paragraph(stripped[i]) and date_in(stripped[i]) is None]
    first_body = paragraphs[0] if paragraphs else len(stripped)
    last_body = paragraphs[-1] if paragraphs else -1
    page = _Page()
    byline = ""
    # The opening: furniture, headline, date and byline lines before the first paragraph.
    headline_index = None
    for index in nonblank:
        if index >= first_body:
            break
        text = stripped[index]
        if index in roles:
            continue
        when = date_in(text)
        if when is not None and page.published_at is None:
            roles[index] = "dateline"
            page.published_at = when
            continue
        found = read_byline(text)
        if found is not None and not byline:
            roles[index] = "byline"
            byline = found.raw
            page.published_at = page.published_at or found.published_at
            continue
        if c.looks_like_headline(text) and not c.is_furniture(text):
            headline_index = index
    if page.published_at is None:  # a date elsewhere: in the credit line or after the body
        for index in nonblank:
            if index not in roles and not (first_body <= index <= last_body) and (when := date_in(stripped[index])):
                roles[index] = "dateline"
                page.published_at = when
                break
        if page.published_at is None and credit is not None:
            page.published_at = date_in(stripped[credit])
    if headline_index is not None:
        roles[headline_index] = "headline"
        page.headline, page.headline_line = unlink(stripped[headline_index]), headline_index + 1
    for index in nonblank:
        if index in roles:
            continue
        text = stripped[index]
        if first_body <= index <= last_body:
            role = trailer_role(page, text)
            if role:
                page.trailer_lines += 1
                roles[index] = role
            elif _is_paragraph(text):
                roles[index] = "body"
                page.paragraphs.append(unlink(text))
            else:
                roles[index] = "furniture"
        else:
            role = trailer_role(page, text) if index > last_body >= 0 else None
            roles[index] = role or "furniture"
    if page.published_at is None or not page.paragraphs:
        missing = "no date" if page.published_at is None else "no paragraphs"
        where = f"a credit naming Caixin at line {credit + 1}" if credit is not None else "no credit"
        report.shape_reason = f"a copy of a Caixin story ({where}), but {missing} found: no story made up"
        report.warn(None, f"syndicated copy with {missing}; no story")
        for index in nonblank:
            if roles[index] == "furniture" and c.is_furniture(stripped[index]):
                report.count("furniture")
            else:
                report.unknown_line(index + 1, stripped[index])
        return [], [], report
    for index in nonblank:
        report.count(roles[index])
    spans = [i + 1 for i in nonblank if roles[i] in ("headline", "dateline", "byline", "body", "signature")]
    page.first_line, page.last_line = min(spans), max(spans)
    authors, agency = split_byline(byline, agencies) if byline else ((), None)
    inferred = not page.headline
    if inferred:
        page.headline = infer_headline(page.paragraphs[0])
        report.warn(page.first_line, "no headline found; inferred from the lead")
    article = story_article(
        page,
        source,
        agencies,
        byline=byline,
        authors=authors,
        agency=agency,
        headline=page.headline,
        headline_inferred=inferred,
        truncated=False,
    )
    report.stories = 1
    entries: list[ListingEntry] = []
    if not inferred:
        entries.append(
            ListingEntry(
                headline=article.headline,
                summary="",
                published_at=article.published_at,
                group="",
                source=source,
                line=page.headline_line,
                article_id=article.article_id,
            )
        )
    report.entries = len(entries)
    return [article], entries, report
