"""Live-feed pages (FORMAT.md section 1): furniture, optional headline list, then story blocks.

The parser walks the lines once and gives every non-blank line exactly one role. A story starts at a
byline line (recognised by its whole shape, date included) and runs to the next byline or to the footer.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import compress
from typing import Any

from core.model import Article, make_article_id
from core.parsing import common as c
from core.parsing.records import new_article, new_source_span
from core.parsing.report import PageReport

DEFAULT_AGENCIES = frozenset(
    name.lower()
    for name in (
        "Bloomberg",
        "Bloomberg News",
        "Reuters",
        "Xinhua",
        "Associated Press",
        "AP",
        "AFP",
        "Agence France-Presse",
        "Dow Jones",
        "Dow Jones Newswires",
        "Nikkei",
        "Kyodo",
        "Kyodo News",
        "Yonhap",
        "Caixin Global staff",
    )
)

_AUTHOR_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
_PARENS = re.compile(r"\([^()]*\)|\(")
_DATELINE = re.compile(r"^\s*(?:[A-Z][A-Za-z .,]{0,40}\s)?\((?P<agency>[A-Za-z .-]{2,40})\)\s*[—–-]+\s*")
# ``[,;:]\s``, `` — ``, `` – `` or `` - ``; and ``.!?`` after a letter, digit or closing quote, then a capital.
# Both are written so that the regex engine can skip ahead to a candidate character instead of trying
# every position (about three times faster on a long lead paragraph).
_CLAUSE = re.compile(r"(?:[,;:]|\s[—–-])\s")
#: ``_CLAUSE`` written to start with its punctuation (``[,;:—–-]``, the white space before a dash checked
#: behind it): the regex engine then skips ahead over every character but these few instead of stopping at
#: every space (a third of the time on a lead). A dash's match starts one character after ``_CLAUSE``'s
#: (``_clause_start``).
_CLAUSE_MARK = re.compile(r"[,;:—–-](?:(?<=[,;:])|(?<=\s[—–-]))\s")
#: A sentence end: ``.``, ``!`` or ``?`` after a word and before a capital; titles such as ``Mr.``, ``Dr.``
#: or ``Sen.`` do not end a sentence.
_TITLES = (
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Sen",
    "Rep",
    "Gov",
    "Gen",
    "Prof",
    "St",
    "Jr",
    "Lt",
    "Col",
    "Capt",
    "Mt",
    "No",
    "vs",
    "Co",
    "Inc",
    "Ltd",
    "Corp",
    "Messrs",
    "Rev",
    "Sgt",
    "Adm",
    "Pres",
)
# The title checks follow the stop (``(?<!\bMr.)`` looks back over the stop itself), so that the pattern
# starts with the ``[.!?]`` class the regex engine can skip ahead to: checking every title before every
# character made headlines cost 50 µs a story. Titles of one length share one look-behind
# (``(?<!\b(?:Mr|Ms|Dr).)``): four look-behinds instead of 26 at every stop, half the time.
_SENTENCE = re.compile(
    r"[.!?](?<=[a-z0-9”’\"')].)"
    + "".join(
        rf"(?<!\b(?:{'|'.join(t for t in _TITLES if len(t) == size)}).)"
        for size in sorted({len(t) for t in _TITLES})
    )
    + r"(?=\s+[A-Z“\"])"
)
#: The characters a trailer line can start with (``Read the full ...``, ``Contact ...``, ``Related: ...``,
#: ``Read all of ...``, ``View ...``, ``See more ...``); case-insensitive matching lets ``s`` match ``ſ``.
_TRAILER_FIRST = frozenset("RrCcVvSsſ")
#: The first characters of ``c.FURNITURE_STARTS``: a line starting otherwise skips ``startswith``.
_FURNITURE_FIRST = frozenset(start[0] for start in c.FURNITURE_STARTS)
#: How every trailer line starts (``TEASER``, ``CONTACT``, ``RELATED``, ``COVERAGE``), with the same
#: case-insensitive matching: one match rules out the four patterns for a body line that starts with a
#: ``C``, ``R``, ``S`` or ``V``.
_TRAILER_START = re.compile(
    r"(?:read (?:the full |all of caixin)|contact[ :]|related|view caixin|see more of our )", re.IGNORECASE
)
_WEAK_END = frozenset(
    "a an and as at but by for from in into of on or the to with who which that its their his her".split()
)


@dataclass(slots=True)
class _Block:
    """A story being read; turned into an ``Article`` when the block ends."""

    first_line: int
    last_line: int
    published_at: datetime | None
    section: str
    byline: str
    authors: tuple[str, ...]
    agency: str | None
    photo_lines: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    teaser: bool = False
    trailer_lines: int = 0
    contacts: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    coverage_links: list[str] = field(default_factory=list)
    cut_in_byline: bool = False


@lru_cache(maxsize=8192)  # a corpus has few distinct bylines, each repeated on many stories
def split_byline(raw: str, agencies: frozenset[str] = DEFAULT_AGENCIES) -> tuple[tuple[str, ...], str | None]:
    """``"Huang Kaixi, Zhou Meilin and Tang Ziyi"`` -> people in byline order, and the agency if any."""
    people: list[str] = []
    wires: list[str] = []
    for part in _AUTHOR_SPLIT.split(raw.strip()):
        name = " ".join(part.split()).strip(" ,.")
        if not name:
            continue
        if name.lower() in agencies:
            wires.append(name)
        else:
            people.append(name)
    return tuple(people), (", ".join(wires) if wires else None)


_BYLINE_GROUPS = ("authors", "month", "day", "year", "hour", "minute", "ampm", "section")
# ``_byline`` reads a byline's groups with ``match.groups()`` (a quarter of the time of naming them): they
# must be exactly these, in this order.
if c.BYLINE.groups != len(_BYLINE_GROUPS) or c.BYLINE.groupindex != {
    name: number for number, name in enumerate(_BYLINE_GROUPS, start=1)
}:
    raise ImportError("core.parsing.common.BYLINE must have exactly the groups of _BYLINE_GROUPS, in order")
#: A corpus has few distinct sections and author parts, each on many stories.
_canonical_section = lru_cache(maxsize=1024)(c.canonical_section)


@lru_cache(maxsize=8192)
def _byline_parts(authors_text: str, agencies: frozenset[str]) -> tuple[str, tuple[str, ...], str | None]:
    """The author part of a byline with its white space made single and without a ``By:`` or ``Bu``
    prefix (``c.BYLINE_PREFIX``), then ``split_byline`` of it."""
    raw = " ".join(authors_text.split())
    if raw[:1] in "Bb:":
        raw = c.BYLINE_PREFIX.sub("", raw, count=1)
    return (raw, *split_byline(raw, agencies))


def parse_contacts(rest: str) -> list[str]:
    """``"Wang Jing ( and Denise Jia ("`` -> ``["Wang Jing", "Denise Jia"]``; e-mails and extras dropped."""
    return list(_contact_names(rest))


@lru_cache(maxsize=8192)  # a corpus has few distinct contact lines, each under many stories
def _contact_names(rest: str) -> tuple[str, ...]:
    cleaned = _PARENS.sub(" ", rest)
    names = []
    for part in _AUTHOR_SPLIT.split(cleaned):
        name = " ".join(part.split()).strip(" ,.:;")
        if name and "@" not in name and any(ch.isalpha() for ch in name):
            names.append(name)
    return tuple(names)


def _scoped(pattern: re.Pattern[str]) -> str:
    """``pattern`` as a part of a larger pattern, with its case-insensitivity kept to that part."""
    return f"(?i:{pattern.pattern})" if pattern.flags & re.IGNORECASE else f"(?:{pattern.pattern})"


#: The four trailer patterns in the order ``trailer_role`` tries them, behind ``_TRAILER_START``: one
#: match call classifies a trailer line (``lastgroup`` names the role).
_TRAILER = re.compile(
    f"(?={_scoped(_TRAILER_START)})"
    f"(?:(?P<teaser_note>{_scoped(c.TEASER)})"
    f"|(?P<contact>{_scoped(c.CONTACT)})"
    f"|(?P<related>{_scoped(c.RELATED)})"
    f"|(?P<coverage_link>{_scoped(c.COVERAGE)}))"
)


def trailer_role(story: Any, text: str) -> str | None:
    """The role of a trailer line (teaser note, contact, related headline, coverage link), recorded on
    ``story`` (anything with ``teaser``, ``contacts``, ``related`` and ``coverage_links``); None otherwise.
    Shared by the live-feed and single-article parsers."""
    found = _trailer(text)
    return None if found is None else _record_trailer(story, found, text)


#: What ``_TRAILER`` made of the trailer lines seen so far, by text: (role, related headline or contact
#: names). Pages repeat the same teaser notes, contact lines and related headlines under many stories, and
#: a repeated line skips the regex (a dictionary look-up instead of a match). Only trailer lines are kept
#: (body lines seldom repeat), at most ``_TRAILERS_KEPT`` of them.
_TRAILERS_SEEN: dict[str, tuple[str, str | tuple[str, ...] | None]] = {}
_TRAILERS_KEPT = 8192


def _trailer(text: str) -> tuple[str, str | tuple[str, ...] | None] | None:
    """(role, what it records) of the trailer line ``text``, or None when it is no trailer line."""
    found = _TRAILERS_SEEN.get(text)
    if found is not None:
        return found
    match = _TRAILER.match(text)
    if match is None:
        return None
    role = match.lastgroup
    assert role is not None
    value: str | tuple[str, ...] | None = None
    if role == "related":
        value = match["headline"].strip()
    elif role == "contact":
        value = _contact_names(match["rest"])
    found = (role, value)
    if len(_TRAILERS_SEEN) < _TRAILERS_KEPT:
        _TRAILERS_SEEN[text] = found
    return found


def _record_trailer(story: Any, found: tuple[str, str | tuple[str, ...] | None], text: str) -> str:
    """Record the trailer line ``text`` (``found`` is ``_trailer(text)``) on ``story``; its role."""
    role, value = found
    if role == "related":
        story.related.append(value)
    elif role == "contact":
        story.contacts.extend(value)
    elif role == "teaser_note":
        story.teaser = True
    else:
        story.coverage_links.append(text)
    return role


def _clause_start(text: str) -> int | None:
    """Where ``_CLAUSE`` first matches in ``text`` (``_CLAUSE.search(text).start()``), or None."""
    mark = _CLAUSE_MARK.search(text)
    if mark is None:
        return None
    start = mark.start()
    return start - 1 if text[start] in "—–-" else start


def infer_headline(lead: str, max_words: int = 12) -> str:
    """A short headline from the lead: its first clause, at most ``max_words`` words, cut at a word."""
    text = (_DATELINE.sub("", lead, count=1) if "(" in lead else lead).strip()
    sentence_end = _SENTENCE.search(text)
    if sentence_end:
        text = text[: sentence_end.start()]
    clause = _clause_start(text)
    if clause is not None and len(text[:clause].split()) >= 5:
        text = text[:clause]
    words = text.split(None, max_words)  # the same words as ``\S+``; at most one more than needed
    cut = len(words) > max_words
    words = words[:max_words]
    if cut:
        while len(words) > 4 and words[-1].lower().strip("“”\"'’,") in _WEAK_END:
            words.pop()
    headline = " ".join(words).rstrip(" ,;:—–-.").strip('“”"')
    return headline + ("…" if cut else "")


@lru_cache(maxsize=4096)  # credits and captions repeat (``Photo: VCG`` under many stories)
def _photo_parts(line: str) -> tuple[str | None, str | None]:
    """``"Russell Vought. Photo: Andrew Harrer/Bloomberg"`` -> (``"Russell Vought."``, credit)."""
    before, sep, after = line.partition("Photo:")
    if not sep:
        return line.strip() or None, None
    return (before.strip() or None), (after.strip() or None)


def _near_copy(first: str, second: str) -> bool:
    """The caption line repeats the alt-text line, maybe cut short or slightly different."""
    if first == second or first.startswith(second) or second.startswith(first):
        return True
    a, b = set(first.lower().split()), set(second.lower().split())
    return bool(a and b) and len(a & b) / max(len(a), len(b)) >= 0.6


class LiveFeedParser:
    """One pass over the lines of a page; ``parse()`` returns articles, headline-list lines and the report."""

    def __init__(
        self,
        lines: list[str],
        source: str,
        agencies: frozenset[str] = DEFAULT_AGENCIES,
        *,
        first_line: int = 1,
        page_end: bool = True,
        stripped: list[str] | None = None,
    ) -> None:
        """``lines`` are the whole page, or one segment of it (``core.reading.stream``): ``first_line`` is the
        page line number of ``lines[0]``, and ``page_end=False`` says the page goes on after the segment
        (so its last story is not cut short there). A segment other than the first starts at a byline.
        ``stripped``, when given, is ``lines`` stripped (so that ``parse_page`` strips them only once)."""
        self.lines = lines
        self.source = source
        self.agencies = agencies
        self.first_line = first_line
        self.page_end = page_end
        self.report = PageReport(source=source, shape="live-feed", lines=len(lines))
        self.blocks: list[_Block] = []
        self.headlines: list[tuple[int, str]] = []
        self._pending_pre: list[tuple[int, str]] = []
        self._stripped: list[str] = stripped if stripped is not None else []
        self._single_spaced = False

    # -- line classification -------------------------------------------------------------------------
    def _byline(self, number: int, text: str, is_last: bool) -> _Block | None:
        if "/" not in text:
            if is_last:
                cut = c.CUT_BYLINE.match(text)
                if cut:
                    authors, agency = split_byline(cut["authors"], self.agencies)
                    self.report.warn(number, "page ends inside a byline (no date); story kept as truncated")
                    return _Block(
                        number, number, None, "", cut["authors"], authors, agency, cut_in_byline=True
                    )
            return None
        match = c.BYLINE.match(text) if text.count("/") == 2 else None
        if match:
            authors_text, month, day, year, hour, minute, ampm, section = match.groups()
            published = c.beijing_time(month, day, year, hour, minute, ampm)
            if published is not None:
                raw, authors, agency = _byline_parts(authors_text, self.agencies)
                block = _Block(number, number, published, _canonical_section(section), raw, authors, agency)
                if is_last:
                    block.cut_in_byline = section.lower() not in c.SECTIONS
                return block
        if is_last:
            return self._partial_byline(number, text)
        return None

    def _partial_byline(self, number: int, text: str) -> _Block | None:
        match = c.PARTIAL_BYLINE.match(text)
        if not match:
            return None
        rest = match["rest"].strip()
        date = c.PARTIAL_DATE.fullmatch(rest) if rest else None
        if rest and (date is None or not c.is_month_prefix(date["month"])):
            return None
        published = None
        section = ""
        if date and date["minute"] and len(date["minute"]) == 2 and (date["ampm"] or int(date["hour"]) > 12):
            published = c.beijing_time(
                date["month"], date["day"], date["year"], date["hour"], date["minute"], date["ampm"]
            )
        if date and date["section"]:
            section = c.canonical_section(date["section"])
        raw = " ".join(match["authors"].split())
        authors, agency = split_byline(raw, self.agencies)
        self.report.warn(number, "page ends inside a byline; story kept as truncated")
        return _Block(number, number, published, section, raw, authors, agency, cut_in_byline=True)

    def _close_pre(self) -> None:
        """Lines before the first story: a run of three or more headline-like lines is a headline list."""
        headline_like = [c.looks_like_headline(text) for _, text in self._pending_pre]
        is_list = sum(headline_like) >= 3
        for (number, text), headline in zip(self._pending_pre, headline_like, strict=True):
            if is_list and headline:
                self.report.count("headline_list")
                self.headlines.append((number, text))
            else:
                self.report.unknown_line(number, text)
        self._pending_pre = []

    def parse(self) -> tuple[list[Article], list[tuple[int, str]], PageReport]:
        # The hot loop of an ingest: each line is stripped once, and cheap checks (two "/" for a byline, the
        # first character for a trailer, the length for fixed furniture lines) come before the regexes. A body paragraph, most lines, takes the shortest way; body lines are counted in a
        # local and added to the report once.
        if len(self._stripped) != len(self.lines):
            self._stripped = list(map(str.strip, self.lines))
        stripped = self._stripped
        nonblank = list(compress(range(len(stripped)), stripped))
        last_index = nonblank[-1] if nonblank and self.page_end else -1
        offset = self.first_line
        roles = self.report.roles
        footer_lines, max_fixed = c.FOOTER_LINES, c.MAX_FIXED_LINE
        furniture_first, furniture_starts, furniture_end = _FURNITURE_FIRST, c.FURNITURE_STARTS, c.FURNITURE_END
        trailer_first, trailer_of = _TRAILER_FIRST, _trailer
        is_furniture = c.is_furniture
        block: _Block | None = None
        paragraphs: list[str] = []
        # The index of the last line the current story took (photo, body or trailer line), -1 for none
        # yet: written to the story once, when the next story starts or the page ends.
        last = -1
        state = "pre"  # pre -> head -> body -> trailer ... -> footer
        for index, text in zip(nonblank, compress(stripped, stripped), strict=True):
            # A byline holds two "/", or the page ends in one: ``in`` finds the first "/" faster than ``count``
            # scans the whole line (most lines hold none).
            if index == last_index or ("/" in text and text.count("/") == 2):
                new_block = self._byline(index + offset, text, index == last_index)
                if new_block is not None:
                    if state == "pre":
                        self._close_pre()
                    if block is not None and last >= 0:
                        block.last_line = last + offset
                    last = -1
                    roles["byline"] += 1
                    block = new_block
                    paragraphs = block.paragraphs
                    self.blocks.append(block)
                    state = "head"
                    continue
            if state == "body" or state == "trailer":
                pass
            elif state == "head":
                assert block is not None
                role = self._photo_role(block, text, nonblank, index)
                if role:
                    roles[role] += 1
                    block.photo_lines.append(text)
                    last = index
                    continue
                state = "body"
            elif state == "pre":
                if is_furniture(text):
                    roles["furniture"] += 1
                else:
                    self._pending_pre.append((index + offset, text))
                continue
            else:  # footer
                if is_furniture(text):
                    roles["furniture"] += 1
                else:
                    self.report.unknown_line(index + offset, text)
                continue
            assert block is not None
            first = text[0]
            if first in trailer_first:
                trailer = trailer_of(text)
                if trailer is not None:
                    roles[_record_trailer(block, trailer, text)] += 1
                    block.trailer_lines += 1
                    last = index
                    state = "trailer"
                    continue
            if len(text) <= max_fixed:
                if text.lower() in footer_lines:
                    roles["furniture"] += 1
                    state = "footer"
                    continue
                if is_furniture(text):
                    roles["furniture"] += 1
                    continue
            # ``is_furniture`` is False for a line longer than any fixed line that neither starts nor ends
            # as page furniture does: most body paragraphs.
            elif (
                (first in furniture_first and text.startswith(furniture_starts)) or text.endswith(furniture_end)
            ) and is_furniture(text):
                roles["furniture"] += 1
                continue
            paragraphs.append(text)
            last = index
        if block is not None and last >= 0:
            block.last_line = last + offset
        # Every body line went to the paragraphs of the story it is in.
        body = [paragraph for b in self.blocks for paragraph in b.paragraphs]
        if body:
            roles["body"] += len(body)
        # The paragraphs are stripped lines: when none holds two spaces in a row or any other white space,
        # a story's words are its spaces plus its paragraphs, counted without splitting its body (half the
        # time on a typical page). Checked on the paragraphs only, not the whole page (a fifth fewer
        # characters).
        self._single_spaced = c.single_spaced("".join(body))
        if state == "pre":
            self._close_pre()
        last_block = len(self.blocks) - 1 if self.page_end else -1
        articles = [self._article(b, is_last=(i == last_block)) for i, b in enumerate(self.blocks)]
        self.report.stories = len(articles)
        if not articles and self.page_end and self.first_line == 1:
            self.report.warn(None, "no stories found on this page")
        return articles, self.headlines, self.report

    def _photo_role(self, block: _Block, text: str, nonblank: list[int], index: int) -> str | None:
        """The role of the line ``text`` (at ``index``) after a story's byline and photo lines, if it is a
        photo or caption line. ``nonblank`` are the indexes of the page's non-blank lines."""
        seen = len(block.photo_lines)
        if "Photo:" in text:
            return "photo" if seen == 0 else "caption"
        if seen == 0:
            position = bisect_right(nonblank, index)  # of the next non-blank line
            following = self._stripped[nonblank[position]] if position < len(nonblank) else ""
            if following == text and not c.BYLINE.match(text):
                return "photo"
            return None
        if seen == 1 and _near_copy(block.photo_lines[0], text):
            return "caption"
        return None

    # -- records ------------------------------------------------------------------------------------
    def _article(self, block: _Block, is_last: bool) -> Article:
        truncated = block.cut_in_byline
        if is_last and not truncated and block.trailer_lines == 0:
            truncated = not block.paragraphs or not block.paragraphs[-1].endswith(c.TERMINAL)
        if truncated:
            self.report.warn(block.first_line, "page ends inside this story; marked truncated")
        lead = block.paragraphs[0] if block.paragraphs else ""
        headline = infer_headline(lead) if lead else f"[no text] {block.byline or 'unsigned'}".strip()
        return story_article(
            block,
            self.source,
            self.agencies,
            byline=block.byline,
            authors=block.authors,
            agency=block.agency,
            headline=headline,
            headline_inferred=True,
            truncated=truncated,
            single_spaced=self._single_spaced,
        )


def story_article(
    story: Any,
    source: str,
    agencies: frozenset[str],
    *,
    byline: str,
    authors: tuple[str, ...],
    agency: str | None,
    headline: str,
    headline_inferred: bool,
    truncated: bool,
    single_spaced: bool = False,
) -> Article:
    """The ``Article`` of a story read by a parser. ``story`` has the parts both the live-feed and the
    single-article parsers collect (``published_at``, ``section``, ``photo_lines``, ``paragraphs``,
    trailer lists, ``first_line``/``last_line``). The photo line with most text gives caption and credit;
    an unsigned story whose lead opens with a wire dateline (``(Bloomberg) —``) credits that agency.
    ``single_spaced`` says that no paragraph holds white space other than single spaces (the words are
    then counted from the spaces)."""
    caption, credit = None, None
    if story.photo_lines:
        caption, credit = _photo_parts(max(story.photo_lines, key=len))
    if agency is None and not authors and story.paragraphs:
        dateline = _DATELINE.match(story.paragraphs[0])
        if dateline and dateline["agency"].lower() in agencies:
            agency = dateline["agency"]
    body = "\n\n".join(story.paragraphs)
    # The id names the story's place only when its body opens with no word (``make_article_id``): a body
    # that starts with a letter or a digit never needs that text made.
    fallback = "" if body[:1].isalnum() else f"{source}:{story.first_line}"
    return new_article(  # Article(...) with its fields in order (core.parsing.records)
        make_article_id(story.published_at, body, fallback=fallback),
        story.published_at,
        story.section,
        byline,
        authors,
        agency,
        headline,
        headline_inferred,
        credit,  # photo_credit
        caption,  # photo_caption
        body,
        len(story.paragraphs),
        body.count(" ") + len(story.paragraphs) if single_spaced else len(body.split()),  # word_count
        story.teaser,
        truncated,
        tuple(story.contacts),
        tuple(story.related),
        tuple(story.coverage_links),
        (new_source_span(source, story.first_line, story.last_line),),
    )


def parse_live_feed(
    lines: list[str],
    source: str,
    agencies: frozenset[str] = DEFAULT_AGENCIES,
    *,
    stripped: list[str] | None = None,
) -> tuple[list[Article], list[tuple[int, str]], PageReport]:
    """Parse a live-feed page given as lines (no line endings); see ``LiveFeedParser``."""
    return LiveFeedParser(lines, source, agencies, stripped=stripped).parse()
