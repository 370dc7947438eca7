"""Digest pages (FORMAT.md section 2): a weekly or daily list of headlines, each with a sentence or more.

::

    The Best Reads of the Week From Caixin      <- page_title (also ``Weekly Must-Read: ...``, ``CX Daily: ...``)
    Jan 16, 2021 09:00 AM                       <- dateline: the digest's own date (optional)
    Here are the stories ...                    <- intro: prose before the first entry
    # Finance #                                 <- digest_marker: the group of the entries under it
                                                   (also ``Finance /``, ``Topic / Finance``, ``FINANCE``)
    ![]() |                                     <- image_artifact: what an image leaves in copied text
    Ant Group's headquarters. Photo: VCG |      <- caption: a line ending in `` |`` or naming a ``Photo:``
    Ant Group Reshuffle Puts Regulators ...     <- listing_headline (``1. ``, ``**...**`` and links removed)
    Jan 14, 2021 06:10 PM                       <- listing_date (dated digests; optional)
    Ant Group is restructuring ...              <- listing_summary: one or more paragraphs
    Doug Young                                  <- signature: the editor's name and title
    Managing Editor

Every entry gets the group of the last marker above it ("" before the first marker).
"""

from __future__ import annotations

import re

from core.model import ListingEntry
from core.parsing import common as c
from core.parsing.entries import EntryBuilder, clean_headline, is_name, unlink
from core.parsing.report import PageReport

__all__ = ["parse_digest"]

_IMAGE_ARTIFACT = re.compile(r"^(?:!\[[^\]]*\]\([^)]*\)\s*)+\|?$|^\|[\s|]*$")
_EDITOR_TITLE = re.compile(
    r"^(?:(?:Managing|Executive|Deputy|Senior|Chief|Contributing|English|Digital|News|Global)\s+)*"
    r"Editor(?:[- ]in[- ]Chief| at Large)?(?:,?\s+Caixin(?: Global)?)?$",
    re.IGNORECASE,
)
#: ``— Doug Young`` or ``Doug Young, Managing Editor`` on one line.
_SIGNED = re.compile(r"^(?:[—–-]{1,2}\s*(?P<name>[^,]+)|(?P<name2>[^,]+),\s*(?P<title>.+))$")
_NEWSLETTER_FURNITURE = re.compile(
    r"^(?:Unsubscribe\b.*|View (?:this e-?mail )?in (?:your )?browser\.?|Forward (?:this )?to a friend\.?"
    r"|Subscribe to .{1,40}|Sign up for .{1,60}|Read more\.?|Read the story\.?|Top stories|You are receiving .*)$",
    re.IGNORECASE,
)


def _is_signature(text: str, following: str) -> bool:
    """An editor's signature: a title line, a name above a title line, ``— Name``, ``Name, Title``."""
    if _EDITOR_TITLE.match(text):
        return True
    if is_name(text) and _EDITOR_TITLE.match(following):
        return True
    signed = _SIGNED.match(text)
    if signed is None:
        return False
    if signed["name"]:
        return is_name(signed["name"].strip())
    return is_name(signed["name2"].strip()) and bool(_EDITOR_TITLE.match(signed["title"].strip()))


def parse_digest(
    lines: list[str], source: str, raw: list[str] | None = None
) -> tuple[list[ListingEntry], PageReport]:
    """Parse a digest page given as lines: its entries in page order and the report. ``raw``, for a
    Markdown copy, are its stripped lines with their markup: a line that starts with ``#`` there is read
    as a group marker from that text (``## Finance`` is a marker, not the headline ``Finance``)."""
    report = PageReport(source=source, shape="digest", lines=len(lines))
    roles = report.roles
    stripped = [line.strip() for line in lines]
    nonblank = [i for i, text in enumerate(stripped) if text]
    builder = EntryBuilder(source, joiner="\n\n")
    titled = signed = False
    last_content = -1  # position of the last line that is neither furniture nor a signature
    last_item_position = -1
    for position, index in enumerate(nonblank):
        text, number = stripped[index], index + 1
        following = stripped[nonblank[position + 1]] if position + 1 < len(nonblank) else ""
        if not titled and c.DIGEST_TITLE.match(text):
            roles["page_title"] += 1
            titled = True
            continue
        if signed:
            # after the signature only the rest of the signature and the newsletter footer are left
            if _EDITOR_TITLE.match(text):
                roles["signature"] += 1
            elif c.is_furniture(text) or _NEWSLETTER_FURNITURE.match(text):
                roles["furniture"] += 1
            else:
                report.unknown_line(number, text)
            continue
        if (c.is_furniture(text) and not c.LABEL.match(text)) or _NEWSLETTER_FURNITURE.match(text):
            roles["furniture"] += 1
            continue
        group = c.digest_group(raw[index] if raw is not None and raw[index][:1] == "#" else text)
        if group is None and c.LABEL.match(text) and text.lower() not in c.FURNITURE_LINES:
            group = c.canonical_section(text)
        if group is not None:
            roles["digest_marker"] += 1
            builder.set_group(group)
            continue
        if c.LABEL.match(text):
            roles["furniture"] += 1
            continue
        if _IMAGE_ARTIFACT.match(text):
            roles["image_artifact"] += 1
            continue
        if text.endswith(" |") or "Photo:" in text:
            roles["caption"] += 1
            continue
        if _is_signature(text, following):
            roles["signature"] += 1
            signed = bool(_EDITOR_TITLE.match(text) or _SIGNED.match(text))
            continue
        if c.TEASER.match(text):
            roles["teaser_note"] += 1
            continue
        date = c.parse_date_line(text)
        if date is None and not builder.items and c.DAY_LINE.match(text):
            roles["dateline"] += 1  # the digest's own date, without a time
            continue
        if date is not None:
            published, bullet, section = date
            if not builder.items and not bullet:
                roles["dateline"] += 1
            elif builder.date(published, bullet, section, closes=False):
                roles["listing_date"] += 1
            else:
                report.unknown_line(number, text)
            continue
        last_content = position
        headline = clean_headline(text) or text
        current = builder.current
        if c.looks_like_headline(headline) or builder.forward is not None:
            roles["listing_headline"] += 1
            builder.start(number, headline)
            last_item_position = position
        elif current is not None:
            roles["listing_summary"] += 1
            builder.add_summary(unlink(text))
        else:
            roles["intro"] += 1
    # A name alone at the end, with nothing under it, is the editor's signature, not a headline.
    last = builder.items[-1] if builder.items else None
    if (
        last is not None
        and not last.summary
        and last_item_position == last_content
        and is_name(last.headline)
    ):
        builder.drop_last()
        roles["listing_headline"] -= 1
        roles["signature"] += 1
    entries = builder.entries()
    report.entries = len(entries)
    if not titled:
        report.warn(None, "no digest title found")
    return entries, report
