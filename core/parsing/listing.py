"""Section, topic and home-page listings (FORMAT.md section 2): items of headline, one-line summary, date.

::

    Belt & Road                                 <- furniture: the topic's own title line (optional)
    China Belt & Road News - Caixin Global      <- furniture
    Home > Belt & Road                          <- furniture; a breadcrumb or upper-case label (``BELT &
    BELT & ROAD                                    ROAD``) names the group of the items under it
    China, Laos Open Kunming-Vientiane Railway  <- listing_headline
    The 1,035-kilometer line cost $6 billion.   <- listing_summary (optional)
    01 11, 2021 15:11 PM                        <- listing_date: ``Mon DD, YYYY hh:mm AM``, a numeric month
                                                   (``01 11, 2021`` is 11 January), a 24-hour hour with or
                                                   without AM/PM (``19:40 PM`` is 19:40)

Gallery listings print the date first, as a bullet (``• Jul 11, 2019 07:40 PM``), then the headline. Home
pages leave their first items undated: headline and summary only. Lines that belong to no item (a page
blurb before the first item) are ``intro``; a date with no item is ``unknown``.
"""

from __future__ import annotations

import re

from core.model import ListingEntry
from core.parsing import common as c
from core.parsing.entries import EntryBuilder, unlink
from core.parsing.report import PageReport

__all__ = ["parse_listing"]

#: Buttons and pagination of listing pages (``Load More``, ``« Prev 1 2 3 Next »``).
_PAGE_TOKEN = r"(?:\d{1,4}|next|prev|previous|page|first|last|[<>»«›‹.|…]+)"
_LISTING_FURNITURE = re.compile(
    r"^(?:Load more|View more|See more|More stories|Back to top"
    r"|" + _PAGE_TOKEN + r"(?:\s+" + _PAGE_TOKEN + r")*)$",
    re.IGNORECASE,
)


def group_of_furniture(text: str) -> str | None:
    """The group a furniture line names (a breadcrumb's last step, an upper-case label, a topic page's
    title ``China Belt & Road News - Caixin Global``), else None."""
    if text.lower() in c.FURNITURE_LINES:
        return None
    title = c.PAGE_TITLE.match(text)
    if title:
        topic = title["topic"]
        if not topic.endswith(" News") or len(topic) <= len("China News"):
            return None
        topic = topic.removesuffix(" News")
        return c.canonical_section(topic.removeprefix("China "))
    steps = c.breadcrumb_steps(text)
    if steps:
        return c.canonical_section(steps[-1])
    if c.LABEL.match(text):
        return c.canonical_section(text)
    return None


def _names_page(text: str, following: str) -> bool:
    """``Trade War`` above ``China Trade War News - Caixin Global``: a topic listing's own title line,
    which names the page (the title's topic holds it) and is no entry."""
    if c.parse_date_line(text) is not None or len(text) > 60:
        return False
    title = c.PAGE_TITLE.match(following)
    return title is not None and text.lower() in title["topic"].lower()


def parse_listing(lines: list[str], source: str) -> tuple[list[ListingEntry], PageReport]:
    """Parse a listing page given as lines: its entries in page order and the report."""
    report = PageReport(source=source, shape="listing", lines=len(lines))
    roles = report.roles
    stripped = [line.strip() for line in lines]
    nonblank = [i for i, text in enumerate(stripped) if text]
    dates = {i: c.parse_date_line(stripped[i]) for i in nonblank}
    builder = EntryBuilder(source)

    def plain_date_at(position: int) -> bool:
        if position >= len(nonblank):
            return False
        date = dates[nonblank[position]]
        return date is not None and not date[1]

    for position, index in enumerate(nonblank):
        text, number = stripped[index], index + 1
        date = dates[index]
        if not builder.items and position + 1 < len(nonblank) and _names_page(text, stripped[nonblank[position + 1]]):
            roles["furniture"] += 1  # the topic's name above the page title: it names the page
            continue
        if date is not None:
            published, bullet, section = date
            if builder.date(published, bullet, section, closes=True):
                roles["listing_date"] += 1
            else:
                report.unknown_line(number, text)
            continue
        if c.is_furniture(text) or _LISTING_FURNITURE.match(text):
            roles["furniture"] += 1
            group = group_of_furniture(text)
            if group:
                builder.set_group(group)
            continue
        headline_like = c.looks_like_headline(text)
        dated_next = plain_date_at(position + 1)
        current = builder.current
        if builder.forward is not None or current is None or current.closed:
            if builder.forward is not None or headline_like or dated_next or plain_date_at(position + 2):
                roles["listing_headline"] += 1
                builder.start(number, unlink(text).strip() or text)
            else:
                roles["intro"] += 1
            continue
        if not current.summary and (not headline_like or dated_next):
            roles["listing_summary"] += 1
            builder.add_summary(text)
        elif headline_like:
            roles["listing_headline"] += 1
            builder.start(number, unlink(text).strip() or text)
        else:
            roles["listing_summary"] += 1
            builder.add_summary(text)
    entries = builder.entries()
    report.entries = len(entries)
    if builder.forward is not None:
        report.warn(None, "the page ends after a date with no item under it")
    return entries, report
