"""The faster patterns and helpers of ``parse_page`` answer exactly what the ones they replaced answered.

Each test holds the replaced version as its reference (as it stood at commit efacc32) and compares on
generated lines built from the pieces that reach the corners: slashes, white space, title abbreviations,
trailer openings in any case, Unicode digits. ``tests/test_parse_equivalence.py`` compares whole pages.
"""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.model import BEIJING, Article, SourceSpan
from core.parsing import common as c
from core.parsing import live_feed as lf
from core.parsing import parse_page, records

# -- the references ------------------------------------------------------------------------------------

_OLD_BYLINE = re.compile(
    r"^(?:(?:[Bb][Yy])(?:\s+|$))?(?P<authors>[^/]{0,160}?)\s*/\s*"
    + c.DATE_PATTERN
    + r"\s*/\s*(?P<section>[^/]{1,48}?)$"
)
_OLD_SENTENCE = re.compile(
    r"[.!?](?<=[a-z0-9”’\"')].)" + "".join(rf"(?<!\b{t}.)" for t in lf._TITLES) + r"(?=\s+[A-Z“\"])"
)
_OLD_TRAILER_START = re.compile(
    r"(?:read (?:the full |all of caixin)|contact[ :]|related|view caixin|see more of our )", re.IGNORECASE
)


def _old_trailer_role(story: Any, text: str) -> str | None:
    if not _OLD_TRAILER_START.match(text):
        return None
    if c.TEASER.match(text):
        story.teaser = True
        return "teaser_note"
    contact = c.CONTACT.match(text)
    if contact:
        story.contacts.extend(lf.parse_contacts(contact["rest"]))
        return "contact"
    related = c.RELATED.match(text)
    if related:
        story.related.append(related["headline"].strip())
        return "related"
    if c.COVERAGE.match(text):
        story.coverage_links.append(text)
        return "coverage_link"
    return None


def _old_beijing_time(
    month: str, day: str, year: str, hour: str, minute: str, ampm: str | None
) -> datetime | None:
    month_number = c.MONTHS.get(month.lower().rstrip("."))
    if month_number is None:
        return None
    h = int(hour)
    if ampm and h <= 12:
        pm = ampm[0] in "Pp"
        if h == 12:
            h = 12 if pm else 0
        elif pm:
            h += 12
    try:
        return datetime(int(year), month_number, int(day), h, int(minute), tzinfo=BEIJING)
    except ValueError:
        return None


# -- bylines -------------------------------------------------------------------------------------------

_SPACE = st.sampled_from(["", " ", "  ", "\t", "\xa0", " \u3000 "])
_BYLINE_PIECES = st.lists(
    st.sampled_from(
        ["By", "by", "BY", "Bu", ":", "Wang Jing", "and", ",", "Reuters", "/", "//", "a" * 70, "x/y"]
        + ["Sep 18, 2019 04:41 PM", "Sept 31, 2019 4:41 pm", "Feb 30, 2020 11:00 AM", "Jul 11, 2019 19:40 PM"]
        + ["World", "Business & Tech", "trending stories", "b" * 50, "٣", "Jan ١, 2020 12:00 am"]
    )
    | _SPACE,
    max_size=14,
).map("".join)


@given(_BYLINE_PIECES)
@example("By Ren Qiuyu and Noelle Mateer  / Dec 31, 2024 11:44 PM / Business & Tech")
@example("By " + "a" * 158 + "   / Dec 31, 2024 11:44 PM / World")
@example("By " + "a" * 161 + " / Dec 31, 2024 11:44 PM / World")
@example("By" + " " * 170 + "/ Dec 31, 2024 11:44 PM / World")
def test_byline_matches_what_the_lazy_pattern_matched(line: str) -> None:
    old = _OLD_BYLINE.match(line)
    new = c.BYLINE.match(line) if line.count("/") == 2 else None
    assert (old is None) == (new is None)
    assert (old is None) == (c.BYLINE.match(line) is None)
    if old is not None and new is not None:
        assert old.groupdict() | {"authors": ""} == new.groupdict() | {"authors": ""}
        assert old["authors"].split() == new["authors"].split()
        assert new["authors"].startswith(old["authors"]) and not new["authors"][len(old["authors"]) :].strip()


_NUMBER = st.sampled_from(["0", "00", "07", "7", "12", "13", "19", "23", "24", "31", "59", "60", "99", "٣", "٠٧"])


@given(
    st.sampled_from(["Sep", "sept", "SEPT.", "Feb", "May", "Xyz", "december", "Sept."]),
    _NUMBER,
    st.sampled_from(["2019", "0999", "1", "20", "٢٠٢٠", "9999"]),
    _NUMBER,
    _NUMBER,
    st.sampled_from([None, "", "AM", "pm", "Pm", "aM", "P"]),
)
def test_beijing_time_is_unchanged(
    month: str, day: str, year: str, hour: str, minute: str, ampm: str | None
) -> None:
    assert c.beijing_time(month, day, year, hour, minute, ampm) == _old_beijing_time(
        month, day, year, hour, minute, ampm
    )


# -- inferred headlines: the end of the first sentence ---------------------------------------------------

_SENTENCE_TEXT = st.lists(
    st.sampled_from(
        ["Mr.", "Mrs.", "Dr.", "Messrs.", "Prof.", "Corp.", "vs.", "U.S.", "No.", "Wang", "said.", "7.5%"]
        + ["“Yes!”", "(Reuters)", "rose?", "’", "\"", ")", "Bloomberg", "the", "x.", "St.", "Capt."]
    )
    | _SPACE,
    max_size=20,
).map(" ".join)


@given(_SENTENCE_TEXT)
@example("Shares of Foo Corp. Rose as Mr. Wang and Messrs. Li said. Then it fell.")
def test_sentence_end_is_unchanged(text: str) -> None:
    old, new = _OLD_SENTENCE.search(text), lf._SENTENCE.search(text)
    assert (old and old.start()) == (new and new.start())


_CLAUSE_TEXT = st.lists(
    st.sampled_from(["a", "Wang", ",", ";", ":", "—", "–", "-", " ", "\t", "\n", "\xa0", ".", "x,", "- ", " — "]),
    max_size=16,
).map("".join)


@given(_CLAUSE_TEXT)
@example("The bank, which — as usual - said: no")
@example(" — a")
@example("a—- b")
def test_clause_start_is_unchanged(text: str) -> None:
    old = lf._CLAUSE.search(text)  # the pattern as it stood at commit 18bde8f, still in the module
    assert lf._clause_start(text) == (old.start() if old else None)


# -- trailer lines ---------------------------------------------------------------------------------------

_TRAILER_LINE = st.tuples(
    st.sampled_from(
        ["Read the full story", "READ THE FULL ARTICLE", "read all of Caixin", "Read all of Caixin’s coverage of"]
        + ["Contact reporter", "Contact\t:", "contact:", "Contact  editors", "CONTACT WRITER", "Contacts"]
        + ["Related", "related", "Related :", "View Caixin’s full coverage of", "See more of our", "ſee more of our "]
        + ["Contact reporter Wang Jing (wangjing@caixin.com) and Denise Jia (", "Related: A / B"]
    ),
    _SPACE,
    st.sampled_from(["", ":", " on Caixin Global", " Huawei here.", " coverage here", " Li Xiang (", " X"]),
).map("".join)


def _story() -> SimpleNamespace:
    return SimpleNamespace(teaser=False, contacts=[], related=[], coverage_links=[])


@given(_TRAILER_LINE)
@example("Contact\t: Wang Jing (")
def test_trailer_role_is_unchanged(line: str) -> None:
    lf._TRAILERS_SEEN.clear()  # a full dictionary (earlier tests in this process) would keep nothing more
    old_story, new_story = _story(), _story()
    assert lf.trailer_role(new_story, line) == _old_trailer_role(old_story, line)
    assert vars(new_story) == vars(old_story)
    # A second time the line's reading comes from ``lf._TRAILERS_SEEN`` when it is a trailer line.
    assert (line in lf._TRAILERS_SEEN) == (_old_trailer_role(_story(), line) is not None)
    again = _story()
    assert lf.trailer_role(again, line) == _old_trailer_role(_story(), line)
    assert vars(again) == vars(old_story)


# -- records ---------------------------------------------------------------------------------------------


def test_records_are_made_without_their_init() -> None:
    """The fast way is in use; a field added to ``Article`` (or a layout Python will not swap) turns it
    off, and this test says so."""
    assert records.FAST


def test_new_article_is_the_article_its_init_makes() -> None:
    values: dict[str, Any] = {
        field.name: (n, f"field {field.name}") for n, field in enumerate(fields(Article)) if field.name != "headline_match"
    }
    values["sources"] = (records.new_source_span("a.txt", 3, 9),)
    made = records.new_article(**values)
    usual = Article(**{**values, "sources": (SourceSpan("a.txt", 3, 9),)})
    assert type(made) is Article and type(made.sources[0]) is SourceSpan
    assert made == usual and hash(made) == hash(usual) and repr(made) == repr(usual)
    assert made.headline_match is None
    try:
        made.body = "changed"  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("an Article made fast is not frozen")


# -- word counts ---------------------------------------------------------------------------------------


def test_every_white_space_but_the_space_is_unprintable() -> None:
    """What the live-feed parser's word count relies on (``LiveFeedParser.parse``)."""
    spaces = [chr(n) for n in range(0x110000) if chr(n).isspace()]
    assert " " in spaces and all(not ch.isprintable() for ch in spaces if ch != " ")


_BODY_LINE = st.lists(
    st.sampled_from(["China’s", "banks", "5G", "—", "“Yes,”", "a"]), min_size=1, max_size=8
).flatmap(
    lambda words: st.lists(
        st.sampled_from([" ", " ", " ", "  ", "\xa0", "\t", "\u3000", "\x1f", " \u200b"]),
        min_size=len(words) - 1,
        max_size=len(words) - 1,
    ).map(lambda gaps: "".join(w + g for w, g in zip(words, [*gaps, ""], strict=True)))
)


@given(st.lists(_BODY_LINE, min_size=1, max_size=4), st.lists(_BODY_LINE, max_size=3))
@example(["China’s banks"], ["a  b"])
def test_word_count_is_the_words_of_the_body(first: list[str], second: list[str]) -> None:
    """Two stories; the white space of either story's lines may make the page one whose words are split."""
    page = "\n\n".join(
        [
            "By Wang Jing / Apr 22, 2020 05:40 PM / Finance",
            *first,
            "Related: X Y",
            "By Dave Yin / Apr 22, 2020 06:40 PM / Finance",
            *second,
            "Related: Z",
        ]
    )
    articles = parse_page(page, "words.txt").articles
    assert len(articles) == 2
    assert [a.word_count for a in articles] == [len(a.body.split()) for a in articles]


#: A long single-spaced paragraph: ``single_spaced`` reads a page's body of 2,048 characters or more in
#: NumPy, by UTF-16 code units (ASCII bytes when the text is ASCII).
_LONG = st.sampled_from(["plain ascii words", "China’s “banks” 中国", "emoji 😀 beyond the BMP"]).map(
    lambda words: " ".join([words] * 200)
)


@settings(deadline=None)
@given(st.lists(_BODY_LINE, min_size=1, max_size=4), st.lists(_BODY_LINE, max_size=3), _LONG, st.booleans())
def test_word_count_of_long_bodies(first: list[str], second: list[str], long: str, long_first: bool) -> None:
    """As above, with a long paragraph in one story, so that the body is checked as an array."""
    (first if long_first else second).append(long)
    test_word_count_is_the_words_of_the_body.hypothesis.inner_test(first, second)  # type: ignore[attr-defined]


_SPACED_CHARS = st.sampled_from(
    [*"ab 中’", "😀", *(chr(n) for n in range(0x3100) if chr(n).isspace() or not chr(n).isprintable())]
)


@given(st.text(_SPACED_CHARS, max_size=40), st.sampled_from(["", "ascii text ", "中文 text ", "😀 text "]))
def test_single_spaced_against_its_definition(text: str, filler: str) -> None:
    """``single_spaced`` is True exactly when no two spaces are in a row and no white space but the space is
    there (and, for the sake of a quick check, no control character), short text or long."""
    for candidate in (text, filler * 300 + text, text + filler * 300):
        expected = "  " not in candidate and not any(ch.isspace() and ch != " " for ch in candidate)
        spaced = c.single_spaced(candidate)
        if any(ch < " " for ch in candidate) or (len(candidate) < 2048 and not candidate.isprintable()):
            assert not spaced  # the quick check may say no where the words are single spaced
        else:
            assert spaced == expected, candidate
        if spaced and candidate and candidate.strip() == candidate:
            assert candidate.count(" ") + 1 == len(candidate.split())


# -- page furniture --------------------------------------------------------------------------------------


def _old_is_furniture(line: str) -> bool:
    if len(line) <= c.MAX_FIXED_LINE and line.lower() in c.FURNITURE_LINES:
        return True
    if len(line) <= 31 and c.LABEL.match(line) and line not in ("I", "A"):
        return True
    if "Caixin" not in line and not line.startswith("Home"):
        return False
    return bool(c.FURNITURE_PATTERN.match(line))


_FURNITURE_LINE = st.lists(
    st.sampled_from(
        ["CX ", "CX Tech", "CX Daily", " is ", "Caixin Global", "Caixin", "'s", " - ", " – ", " | ", "From "]
        + ["Home", " > ", ">", "©", "Copyright ", "x" * 40, "China News", "FINANCE", "\n", " ", "Share"]
    ),
    max_size=8,
).map("".join)


@given(_FURNITURE_LINE)
@example("China Belt & Road News - Caixin Global\n")
@example("CX Live is Caixin Global's real-time news portal")
def test_furniture_is_unchanged(line: str) -> None:
    assert c.is_furniture(line) == _old_is_furniture(line)
    if c.FURNITURE_PATTERN.match(line):
        assert line.startswith(c.FURNITURE_STARTS) or line.endswith(c.FURNITURE_END)


def test_every_other_white_space_is_found_in_long_text() -> None:
    for filler in ("ascii text ", "中文 text ", "😀 text "):
        long = (filler * 300).strip()
        assert c.single_spaced(long)
        for space in (chr(n) for n in range(0x110000) if chr(n).isspace() and n != 0x20):
            assert not c.single_spaced(long + space + "x"), hex(ord(space))
            assert not c.single_spaced("x" + space + long), hex(ord(space))
        assert not c.single_spaced(long + "  x")
