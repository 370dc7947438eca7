"""Patterns shared by the page parsers: dates, sections, bylines, trailer lines and page furniture."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

import numpy as np

from core.model import BEIJING, EARLIEST_HOLDABLE, LATEST_HOLDABLE


def unholdable_note(published_at: datetime) -> str:
    """The report warning for a story or entry dated outside what a record can hold."""
    return (
        f"date {published_at:%b %d}, {published_at.year:04d} {published_at:%I:%M %p} is outside the range "
        f"a record can hold ({EARLIEST_HOLDABLE:%Y-%m-%d} to {LATEST_HOLDABLE:%Y-%m-%d}); kept undated"
    )


#: Every white-space character (``str.isspace``, what ``str.split()`` splits at) but the space, by code
#: point; all are in the Basic Multilingual Plane, from U+0085 up but for the control characters.
_OTHER_SPACES = np.zeros(0x10000, dtype=bool)
_OTHER_SPACES[[code for code in range(0x10000) if chr(code).isspace() and code != 0x20]] = True
#: Below this many characters ``single_spaced`` reads a text with ``str`` methods (no arrays to make).
_SHORT_TEXT = 2048


def single_spaced(text: str) -> bool:
    """True when ``text`` holds no two spaces in a row and no white space but the space; False may also
    mean only that it holds a control character. A stripped, non-blank line that is single spaced has as
    many words (``len(line.split())``) as spaces plus one.

    A long text is read as UTF-16 code units in NumPy: on the corpus's pages (mostly two-byte text, curly
    quotes and Chinese names), 1.7 ns a character against 5.0 for ``"  " in`` and ``isprintable`` timed
    alone, 74 against 118 µs a page of 25,000 characters in the parser (a space every few characters makes
    ``in`` slow)."""
    if len(text) < _SHORT_TEXT:
        return "  " not in text and text.isprintable()
    if text.isascii():
        units = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
        high = None
    else:  # a character beyond the BMP is two surrogates, neither of them white space
        units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
        high = units[units >= 0x85]
    spaces = units == 0x20
    if (spaces[1:] & spaces[:-1]).any() or (units < 0x20).any():
        return False
    return high is None or not _OTHER_SPACES[high].any()


MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

#: ``Sep 18, 2019 04:41 PM``; also a 24-hour hour followed by AM/PM (``Jul 11, 2019 19:40 PM``).
DATE_PATTERN = (
    r"(?P<month>[A-Za-z]{3,9})\.? (?P<day>\d{1,2}), (?P<year>\d{4}) "
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2}) ?(?P<ampm>[AaPp][Mm])"
)
DATE = re.compile(DATE_PATTERN)

#: A whole byline line: ``By A, B and C / Sep 18, 2019 04:41 PM / World``. Its author part, date and
#: section hold no ``/``, so a byline holds exactly two: ``text.count("/") == 2`` is the cheap test before
#: the regex, which a photo credit (``Photo: Qilai Shen/Bloomberg``) fails. The author part is taken
#: whole up to the first ``/`` and never given back (``{0,160}+``): that matches exactly the lines the
#: lazy ``{0,160}?`` matched, about twice as fast on a byline, but ``authors`` keeps the white space before
#: the ``/`` (every reader of it joins its words).
BYLINE = re.compile(
    r"^(?:(?:[Bb][Yy])(?:\s+|$))?(?P<authors>[^/]{0,160}+)\s*/\s*"
    + DATE_PATTERN
    + r"\s*/\s*(?P<section>[^/]{1,48}?)$"
)

#: What is left of a byline when the page ends inside it (``... / Mar 16, 2020 10:58 A``).
PARTIAL_BYLINE = re.compile(r"^(?:(?:[Bb][Yy])\s+)?(?P<authors>[^/]{0,160}?)\s*/\s*(?P<rest>.*)$")
PARTIAL_DATE = re.compile(
    r"(?P<month>[A-Z][a-z]{0,8})(?:\.? (?P<day>\d{1,2})(?:,(?: (?P<year>\d{1,4})(?: (?P<hour>\d{1,2})"
    r"(?::(?P<minute>\d{0,2})(?: ?(?P<ampm>[AaPp])[Mm]?)?)?)?)?)?)?\s*(?:/\s*(?P<section>[^/]*))?"
)
#: A page cut before the slash of a byline: ``By Huang Kai`` as the very last line.
CUT_BYLINE = re.compile(r"^[Bb]y (?P<authors>[A-Z][\w.'’-]*(?: (?:and )?[A-Z][\w.'’-]*,?){0,7})$")

SECTIONS = {
    name.lower(): name
    for name in (
        "World",
        "Economy",
        "Finance",
        "Business & Tech",
        "Politics & Law",
        "Society & Culture",
        "China",
        "Trending Stories",
        "Opinion",
        "Environment",
        "Sports",
        "Tech",
        "Business",
        "Markets",
        "Gallery",
        "Video",
    )
}

TEASER = re.compile(r"^Read the full (?:story|piece|article|report)\b.*\bCaixin Global\b.*$", re.IGNORECASE)
#: ``Contact reporter Dave Yin (``; also ``Contact editor: ...`` and ``Contact: Mo Yelin (``.
CONTACT = re.compile(
    r"^Contact(?: (?:reporters?|writers?|editors?|authors?)\b|\s*:)\s*(?P<rest>.*)$", re.IGNORECASE
)
RELATED = re.compile(r"^Related\s*:\s*(?P<headline>.+)$")
COVERAGE = re.compile(
    r"^(?:Read all of Caixin(?:'s|’s| Global's| Global’s) coverage of .+"
    r"|View Caixin(?: Global)?(?:'s|’s) full coverage of .+"
    r"|See more of our .+ coverage(?: here)?\.?)$",
    re.IGNORECASE,
)

FURNITURE_LINES = {
    line.lower()
    for line in (
        "Caixin Global – Latest China News & Headlines",
        "Caixin Global - Latest China News & Headlines",
        "Home >",
        "Home",
        "China News in Real Time - From Caixin Global",
        "China News in Real Time – From Caixin Global",
        "Caixin",
        "Caixin Global",
        "ABOUT US",
        "LATEST",
        "Latest",
        "More",
        "Share this article",
        "Open WeChat and scan the QR code",
        "Open WeChat and scan the QR code to share",
        "Share",
        "Subscribe",
        "Log in",
        "Sign in",
        "Menu",
        "Search",
    )
}
FOOTER_LINES = {
    "share this article",
    "open wechat and scan the qr code",
    "open wechat and scan the qr code to share",
}
FURNITURE_PATTERN = re.compile(
    r"^(?:CX (?:Tech|Live|Daily|Focus)\b.* is Caixin Global'?s? .*"
    r"|CX (?:Tech|Live)\b.*Caixin Global.*"
    r"|.{1,80} [-–|] (?:From )?Caixin Global"
    r"|Caixin Global [-–|] .{1,80}"
    r"|Home\s*>.*"
    r"|(?:©|Copyright ).*Caixin.*)$"
)
#: Upper-case section labels between blocks: ``FINANCE``, ``SOCIETY & CULTURE``.
LABEL = re.compile(r"^[A-Z][A-Z &]{1,30}$")

#: What the author part of a byline can start with besides the names: ``By:`` (``By :``, the colon
#: alone when ``BYLINE`` took the ``By``) and the typo ``Bu``
#: (``Bu Hu Shuli / Jan 19, 2020 07:10 PM / World`` is by Hu Shuli; FORMAT.md section 3). ``Bu`` counts
#: only before a name of two words or more, since Bu is also a surname (``Bu Xiaolin``).
BYLINE_PREFIX = re.compile(r"^(?:(?:[Bb][Yy]\s*)?:\s*|[Bb][Uu]\s+(?=[A-Z][\w'’-]*\s+[A-Z][\w'’-]*(?:\s*(?:,|and\b|&|$))))")

TERMINAL = tuple('.!?"”’)]…:;')


_MINOR_WORDS = frozenset({"and", "of", "the", "in", "on", "for", "to", "a"})


def canonical_section(raw: str) -> str:
    """One spelling per section: known names in their canonical case, others in title case
    (``CARS & motoring`` -> ``Cars & Motoring``), so spellings that differ in case group together."""
    cleaned = " ".join(raw.split())
    known = SECTIONS.get(cleaned.lower())
    if known:
        return known
    words = cleaned.lower().split(" ")
    return " ".join(w if (i and w in _MINOR_WORDS) else w[:1].upper() + w[1:] for i, w in enumerate(words))


def is_month_prefix(text: str) -> bool:
    """``M``, ``Ma``, ``Mar``, ``Sept``: what is left of a month name when a page is cut inside it."""
    lowered = text.lower().rstrip(".")
    return bool(lowered) and any(name.startswith(lowered) for name in MONTHS)


@lru_cache(maxsize=4096)  # the stories of a page fall on a few days
def _calendar_day(month: str, day: str, year: str) -> tuple[int, int, int] | None:
    """(year, month, day) as numbers, None for a month name that is none; the day is not checked."""
    month_number = MONTHS.get(month.lower().rstrip("."))
    if month_number is None:
        return None
    return int(year), month_number, int(day)


#: The numbers an hour or a minute is written as (``"7"``, ``"07"``, ``"59"``): a look-up is cheaper than
#: ``int``, which still reads any other digits (``\d`` matches every Unicode digit).
_SMALL_NUMBERS = {str(n): n for n in range(100)} | {f"{n:02d}": n for n in range(10)}


def beijing_time(
    month: str, day: str, year: str, hour: str, minute: str, ampm: str | None
) -> datetime | None:
    """Build a Beijing-time timestamp; a 24-hour hour followed by AM/PM keeps its value (``19:40 PM``)."""
    calendar_day = _calendar_day(month, day, year)
    if calendar_day is None:
        return None
    h = _SMALL_NUMBERS.get(hour)
    if h is None:
        h = int(hour)
    if ampm and h <= 12:
        pm = ampm[0] in "Pp"
        if h == 12:
            h = 12 if pm else 0
        elif pm:
            h += 12
    m = _SMALL_NUMBERS.get(minute)
    if m is None:
        m = int(minute)
    try:
        return datetime(*calendar_day, h, m, 0, 0, BEIJING)
    except ValueError:
        return None


#: The longest line of ``FURNITURE_LINES`` and ``FOOTER_LINES``: lower-casing never shortens a line, so a
#: longer line is in neither set and need not be lower-cased to find out.
MAX_FIXED_LINE = max(len(line) for line in FURNITURE_LINES | FOOTER_LINES)
#: How every line ``FURNITURE_PATTERN`` matches starts or ends (one per alternative): checking that first
#: spares the regex (which backtracks over up to 80 characters) on ordinary story paragraphs, without
#: searching the paragraph for a word.
FURNITURE_STARTS = ("CX ", "Caixin Global ", "Home", "©", "Copyright ")
FURNITURE_END = ("Caixin Global", "Caixin Global\n")  # ``$`` matches before a last line end too


def is_furniture(line: str) -> bool:
    """Page furniture: site header and footer lines, portal blurbs, section labels."""
    if len(line) <= MAX_FIXED_LINE and line.lower() in FURNITURE_LINES:
        return True
    if len(line) <= 31 and LABEL.match(line) and line not in ("I", "A"):
        return True  # a label is at most 31 characters long
    if not line.startswith(FURNITURE_STARTS) and not line.endswith(FURNITURE_END):
        return False
    return bool(FURNITURE_PATTERN.match(line))


# -- shared by the article, listing and digest parsers (not used by the live-feed parser) ---------------

_MONTH_NUMBER = r"(?:0?[1-9]|1[0-2])"
#: A date line of an article, listing or digest page, the whole line: ``Aug 10, 2018 03:05 PM``; a numeric
#: month (``01 11, 2021 15:11 PM`` is 11 January); a 24-hour hour with or without AM/PM (``19:40 PM``);
#: a bullet in front (``• Jul 11, 2019 07:40 PM``, gallery listings); an optional `` / Section`` after.
DATE_LINE = re.compile(
    r"^(?P<bullet>[•·●▪◦‣∙*–-]\s*)?"
    r"(?:(?P<month>[A-Za-z]{3,9})\.?|(?P<month_number>" + _MONTH_NUMBER + r")) (?P<day>\d{1,2}), "
    r"(?P<year>\d{4}) (?P<hour>\d{1,2}):(?P<minute>\d{2})(?: ?(?P<ampm>[AaPp]\.?[Mm]\.?))?"
    r"(?:\s*/\s*(?P<section>[^/]{1,48}?))?\s*$"
)
#: A date without a time, only read as a digest's own date under its title (``Jan 16, 2021``).
DAY_LINE = re.compile(r"^(?P<month>[A-Za-z]{3,9})\.? (?P<day>\d{1,2}), (?P<year>\d{4})$")

_MONTH_NAMES = {number: name for name, number in MONTHS.items() if len(name) == 3}


def parse_date_line(text: str) -> tuple[datetime, bool, str] | None:
    """A date line (``DATE_LINE``) -> (Beijing time, whether it is a bullet, canonical section or "").

    None when the line is not a date line or names no real date (``Feb 30``, month 13, hour 25).
    """
    if len(text) > 80 or not (text[:1].isalnum() or text[:1] in "•·●▪◦‣∙*–-"):
        return None
    match = DATE_LINE.match(text)
    if not match:
        return None
    month = match["month"] or _MONTH_NAMES[int(match["month_number"])]
    ampm = match["ampm"].replace(".", "") if match["ampm"] else None
    if int(match["hour"]) > 23:
        return None
    published = beijing_time(month, match["day"], match["year"], match["hour"], match["minute"], ampm)
    if published is None:
        return None
    section = canonical_section(match["section"]) if match["section"] else ""
    return published, bool(match["bullet"]), section


def count_bylines(stripped: list[str], stop_at: int | None = None) -> int:
    """How many lines are whole live-feed byline lines with a real date (what ``live_feed`` counts);
    counting stops at ``stop_at`` when given."""
    count = 0
    for text in stripped:
        if "/" in text and is_story_byline(text):
            count += 1
            if count == stop_at:
                break
    return count


def is_story_byline(text: str) -> bool:
    """A stripped line is a whole live-feed byline with a real date: a story starts there."""
    match = BYLINE.match(text) if text.count("/") == 2 else None
    return match is not None and (
        beijing_time(
            match["month"], match["day"], match["year"], match["hour"], match["minute"], match["ampm"]
        )
        is not None
    )


_HEADLINE_ABBREVIATIONS = frozenset({"Co.", "Inc.", "Ltd.", "Corp.", "Jr.", "St.", "No."})


@lru_cache(maxsize=8192)  # a headline list's lines repeat from page to page
def looks_like_headline(text: str) -> bool:
    """A headline: 2 to 25 words, no sentence-final period, mostly capitalised words (title case)."""
    words = text.split()
    if not 2 <= len(words) <= 25:
        return False
    if text.endswith(".") and words[-1].count(".") < 2 and words[-1] not in _HEADLINE_ABBREVIATIONS:
        return False  # a sentence, not a headline ("... in the U.K." and "... Co." still are)
    capitalised = sum(1 for w in words if w[:1].isupper() or w[:1].isdigit() or not w[:1].isalpha())
    return capitalised / len(words) >= 0.6


#: A breadcrumb line: ``Home > Business & Tech >``, ``Home > Economy > Trade War``.
BREADCRUMB = re.compile(r"^Home\s*>\s*(?P<crumbs>.*?)\s*>?\s*$")


def breadcrumb_steps(text: str) -> list[str]:
    """The steps after ``Home`` of a breadcrumb line (``[]`` for any other line)."""
    crumb = BREADCRUMB.match(text)
    return [step.strip() for step in crumb["crumbs"].split(">") if step.strip()] if crumb else []


#: A page title: ``China Belt & Road News - Caixin Global``.
PAGE_TITLE = re.compile(r"^(?P<topic>.{1,80}?)\s+[-–|]\s+(?:From )?Caixin Global$")

#: The title line of a digest page.
DIGEST_TITLE = re.compile(
    r"^(?:The Best Reads of the Week From Caixin(?: Global)?\b.*"
    r"|Weekly Must[- ]Reads?\s*:.*"
    r"|CX Daily\s*:.*)$",
    re.IGNORECASE,
)
#: A digest's group marker: ``# Finance #`` (also ``## Finance``).
DIGEST_MARKER = re.compile(r"^#{1,3}\s*(?P<group>[^#\s][^#]{0,47}?)\s*#{0,3}$")
#: A digest's ``Topic /`` label line: ``Finance /``, ``Business & Tech /`` or ``Topic / Finance``.
TOPIC_LABEL = re.compile(
    r"^(?:Topic\s*/\s*(?P<topic>[A-Z][^/]{0,47}?)|(?P<label>[A-Z][A-Za-z&,.'’ -]{0,40}?)\s*/)$"
)


def digest_group(text: str) -> str | None:
    """The group a digest marker or topic label line names (canonical spelling), else None."""
    if text[:1] == "#":
        marker = DIGEST_MARKER.match(text)
        return canonical_section(marker["group"]) if marker else None
    if "/" in text:
        label = TOPIC_LABEL.match(text)
        if label:
            return canonical_section(label["topic"] or label["label"])
    return None
