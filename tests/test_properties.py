"""Property tests: ``parse_page`` never raises and accounts for every non-blank line exactly once.

The number of examples comes from the Hypothesis profile loaded in ``conftest.py`` (``default``: 300;
``HYPOTHESIS_PROFILE=ci`` for a derandomised run; ``slow``: 3,000). Tests marked ``slow`` run more
examples; deselect them with ``-m 'not slow'``.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.parsing import ParseResult, parse_page
from core.parsing.markdown import read_markdown
from core.reading.files import decode_bytes

FRAGMENTS = [
    "By Huang Kaixi, Zhou Meilin and Tang Ziyi / Sep 18, 2019 04:41 PM / World",
    "by Zhou Xinda and Matthew Walsh / Jan 18, 2021 12:05 AM / Business & tech",
    "Ding Yi / Jan 19, 2021 06:27 PM / Business & Tech",
    "/ Jun 17, 2019 07:42 PM / World",
    "By Bloomberg / Oct 25, 2019 11:11 AM / World",
    "By Reuters / Mar 04, 2020 08:30 AM / World ",
    "By Dave Yin / Jul 11, 2019 19:40 PM / Politics & law",
    "By Ren Qiuyu / Mar 16, 2020 10:58 A",
    "By Ren Qiuyu / Mar 16, 20",
    "By Huang Kai",
    "By the end of the month, shipping rates had tripled.",
    "Photo: VCG",
    "Kristalina Georgieva. Photo: VCG",
    "Russell Vought. Photo: Andrew Harrer/Bloomberg",
    "Premier Li Keqiang in Beijing on Feb. 26. Photo: Xinh",
    "Monaco Monte Carlo harbour french riviera",
    "(Bloomberg) — The Chinese-owned video application TikTok may be a national security threat.",
    "The Chinese government has again asked for the release of Meng Wanzhou.",
    "“We urge the new Canadian government,” Geng said —",
    "Read the full story on Caixin Global later today.",
    "Read the full story later on Caixin Global.",
    "Read the full piece on Caixin Global later today.",
    "Contact reporter Dave Yin (",
    "Contact reporter Wang Jing ( and Denise Jia (",
    "Contact reporter Timmy Shen (, Twitter: @timmyhmshen)",
    "Contact Reporter Yang Ge (yang@caixin.com)",
    "Related: TSMC Denies U.S. Pressure to Cut Huawei Chip Sales",
    "Related:",
    "Read all of Caixin's coverage of Huawei here.",
    "View Caixin Global's full coverage of Huawei",
    "See more of our Huawei coverage here",
    "Caixin Global – Latest China News & Headlines",
    "Home >",
    "LATEST",
    "More",
    "FINANCE",
    "SOCIETY & CULTURE",
    "CX Tech is Caixin Global's real-time tech news portal, featuring 24-hour news.",
    "China’s Economy Grew 2.3% in 2020, Beating Expectations",
    "More Chinese Provinces Cut Growth Targets",
    "Share this article",
    "Open WeChat and scan the QR code",
    "Eggs / milk / bread",
    "#MeToo 弦子 财新",
    "",
    " ",
    "\t",
    "\x00",
    "\ufeff",
    "/",
    "By",
    "Photo:",
]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")

def fragments_of(texts: list[str]) -> st.SearchStrategy[str]:
    """A line's text: one of ``texts``, arbitrary text, one of ``texts`` with text added, or cut short."""
    return st.one_of(
        st.sampled_from(texts),
        st.text(max_size=40),
        st.builds(lambda a, b: a + b, st.sampled_from(texts), st.text(max_size=8)),
        st.builds(lambda a, n: a[:n], st.sampled_from(texts), st.integers(0, 80)),
    )


def pages_of(
    fragment: st.SearchStrategy[str], separators: list[str], *, may_strip_end: bool
) -> st.SearchStrategy[str]:
    """Pages of up to 40 fragments, each followed by one of ``separators``, maybe after a BOM; with
    ``may_strip_end``, maybe without the line ends at the end."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        parts = draw(st.lists(fragment, max_size=40))
        seps = draw(st.lists(st.sampled_from(separators), min_size=len(parts), max_size=len(parts)))
        text = "".join(p + s for p, s in zip(parts, seps, strict=True))
        if may_strip_end and draw(st.booleans()):
            text = text.rstrip("\r\n")
        if draw(st.booleans()):
            text = "\ufeff" + text
        return text

    return build()


fragment = fragments_of(FRAGMENTS)
SEPARATORS = ["\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", "\r", "  \n", "\n \n"]


def pages() -> st.SearchStrategy[str]:
    """Live-feed-like pages: the live-feed fragments, any line endings."""
    return pages_of(fragment, SEPARATORS, may_strip_end=True)


def editor_lines(text: str) -> list[str]:
    """Lines as an editor shows them, computed here independently of ``core.parsing.split_lines``."""
    text = text.removeprefix("\ufeff")
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def check_accounting(text: str, result: ParseResult, source: str = "<string>") -> None:
    lines = editor_lines(text)
    nonblank = [(n, line.strip()) for n, line in enumerate(lines, start=1) if line.strip()]
    # A Markdown copy is read without its markup (``core.parsing.markdown``): records hold the lines as read,
    # unknown lines the text of the file.
    markdown = read_markdown(text, [line.strip() for line in lines], source)
    read = dict(nonblank) if markdown is None else {n: t for n, t in enumerate(markdown.lines, start=1) if t}
    report = result.report
    assert report.lines == len(lines)
    assert report.nonblank == len(nonblank)
    assert sum(report.roles.values()) == len(nonblank)
    assert report.balanced
    assert all(count >= 0 for count in report.roles.values())

    # Each role count matches what the records hold: nothing counted is missing from the output.
    articles = result.articles
    assert report.roles["byline"] == len(articles) == report.stories
    assert report.roles["body"] == sum(a.paragraphs for a in articles)
    assert report.roles["related"] == sum(len(a.related) for a in articles)
    assert report.roles["coverage_link"] == sum(len(a.coverage_links) for a in articles)
    assert report.roles["headline_list"] == len(result.headlines)
    assert report.roles["unknown"] == len(report.unknown)
    assert report.roles["teaser_note"] >= sum(a.teaser for a in articles)

    # Every text the records carry is a non-blank input line (as read), at its own line number, used once.
    by_number = read
    available = Counter(read.values())
    used: Counter[str] = Counter()
    for number, line in report.unknown:
        assert dict(nonblank).get(number) == line
    for number, line in result.headlines:
        assert by_number.get(number) == line
        used[line] += 1
    for article in articles:
        span = article.sources[0]
        assert 1 <= span.first_line <= span.last_line <= len(lines)
        assert span.first_line in by_number
        block = Counter(by_number[n] for n in range(span.first_line, span.last_line + 1) if n in by_number)
        paragraphs = article.body.split("\n\n") if article.body else []
        assert len(paragraphs) == article.paragraphs
        for paragraph in paragraphs:
            assert block[paragraph] > 0, paragraph
            used[paragraph] += 1
        for related in article.related:
            assert any(line.startswith("Related") and line.endswith(related) for line in block)
        for link in article.coverage_links:
            assert block[link] > 0
            used[link] += 1
    for line, count in used.items():
        assert count <= available[line], f"line used {count} times but present {available[line]}: {line!r}"


@given(pages())
def test_parse_page_accounts_for_every_line(text: str) -> None:
    check_accounting(text, parse_page(text, "fuzz.txt"), "fuzz.txt")


@given(st.text())
def test_parse_page_never_raises_on_any_text(text: str) -> None:
    check_accounting(text, parse_page(text))


@given(pages())
def test_line_endings_do_not_change_articles(text: str) -> None:
    lf = text.replace("\r\n", "\n").replace("\r", "\n")
    crlf = lf.replace("\n", "\r\n")
    assert [a.to_json_dict() for a in parse_page(lf).articles] == [a.to_json_dict() for a in parse_page(crlf).articles]


@given(pages())
def test_records_are_json_ready(text: str) -> None:
    for article in parse_page(text).articles:
        record = article.to_json_dict()
        assert record["published_at"] is None or record["published_at"].endswith("+08:00")
        assert all(isinstance(name, str) and name for name in record["authors"])
        assert article.agency is None or article.agency.lower() not in {a.lower() for a in article.authors}
        assert article.word_count == len(article.body.split())


@given(st.binary(max_size=400))
def test_decode_bytes_never_raises_except_input_error(data: bytes) -> None:
    from core.errors import InputError

    try:
        text, warnings = decode_bytes(data, "fuzz.bin")
    except InputError as error:
        assert "fuzz.bin" in str(error) and "\n" not in str(error)
        return
    try:
        expected = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        assert warnings and warnings[0].startswith("fuzz.bin:")
    else:
        if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            assert text == expected and warnings == []
    check_accounting(text, parse_page(text))


@pytest.mark.slow
@settings(max_examples=3000, deadline=None)
@given(pages())
def test_parse_page_accounts_for_every_line_many_examples(text: str) -> None:
    check_accounting(text, parse_page(text, "fuzz.txt"), "fuzz.txt")
