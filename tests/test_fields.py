"""Unit tests per field and helper: bylines, contacts, sections, times, headlines, ids, cut pages, line ends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.model import BEIJING, make_article_id
from core.parsing import common as c
from core.parsing import parse_page, split_lines
from core.parsing.live_feed import infer_headline, parse_contacts, split_byline

LEAD = "The Chinese government has again asked for the release of detained Huawei chief financial officer Meng Wanzhou."
BODY = "Electric-car maker Nio Inc. said it will start deliveries of its first sedan in early 2022."


def page(*lines: str) -> str:
    """A page from lines, one blank line between them, as saved pages have."""
    return "\n\n".join(lines) + "\n"


# -- split_byline ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "authors", "agency"),
    [
        ("Dave Yin", ("Dave Yin",), None),
        ("Qing Ying and Ren Qiuyu", ("Qing Ying", "Ren Qiuyu"), None),
        ("Huang Kaixi, Zhou Meilin and Tang Ziyi", ("Huang Kaixi", "Zhou Meilin", "Tang Ziyi"), None),
        (
            "Hu Yue, Guo Yingzhe, Wang Juanjuan and Zhang Yuzhe",
            ("Hu Yue", "Guo Yingzhe", "Wang Juanjuan", "Zhang Yuzhe"),
            None,
        ),
        (
            "Lu Yutong, Han Wei, Tang Ziyi, and Luo Meihan",
            ("Lu Yutong", "Han Wei", "Tang Ziyi", "Luo Meihan"),
            None,
        ),
        ("Tianyu M. Fang", ("Tianyu M. Fang",), None),
        ("Tianyu M. Fang and Teng Jing Xuan", ("Tianyu M. Fang", "Teng Jing Xuan"), None),
        ("Bloomberg", (), "Bloomberg"),
        ("Reuters", (), "Reuters"),
        ("Han Wei and Bloomberg", ("Han Wei",), "Bloomberg"),
        ("Bloomberg and Han Wei", ("Han Wei",), "Bloomberg"),
        ("", (), None),
        ("  Dave   Yin  ", ("Dave Yin",), None),
    ],
)
def test_split_byline(raw: str, authors: tuple[str, ...], agency: str | None) -> None:
    assert split_byline(raw) == (authors, agency)


@pytest.mark.parametrize(
    ("line", "byline", "authors", "agency"),
    [
        ("By Bloomberg / Oct 25, 2019 11:11 AM / World", "Bloomberg", (), "Bloomberg"),
        ("By Reuters / Mar 04, 2020 08:30 AM / World", "Reuters", (), "Reuters"),
        (
            "By Han Wei and Reuters / Mar 04, 2020 08:30 AM / World",
            "Han Wei and Reuters",
            ("Han Wei",),
            "Reuters",
        ),
        (
            "By Huang Kaixi, Zhou Meilin and Tang Ziyi / Sep 18, 2019 04:41 PM / World",
            "Huang Kaixi, Zhou Meilin and Tang Ziyi",
            ("Huang Kaixi", "Zhou Meilin", "Tang Ziyi"),
            None,
        ),
        ("/ Jun 17, 2019 07:42 PM / World", "", (), None),
    ],
)
def test_byline_line_authors_and_agency(
    line: str, byline: str, authors: tuple[str, ...], agency: str | None
) -> None:
    (article,) = parse_page(page(line, BODY, "Related: Something Else Entirely")).articles
    assert (article.byline, article.authors, article.agency) == (byline, authors, agency)


def test_extra_agency_from_config_is_not_a_reporter() -> None:
    text = page("By Caixin Wire / Mar 04, 2020 08:30 AM / World", BODY, "Related: Next")
    (default,) = parse_page(text).articles
    assert default.authors == ("Caixin Wire",)
    (configured,) = parse_page(text, agencies=frozenset({"caixin wire"})).articles
    assert (configured.authors, configured.agency) == ((), "Caixin Wire")


def test_wire_dateline_credits_the_agency_of_an_unsigned_story() -> None:
    (article,) = parse_page(
        page("/ Mar 04, 2020 08:30 AM / World", "(Reuters) — " + BODY, "Related: X Y")
    ).articles
    assert article.agency == "Reuters"
    assert article.authors == ()
    assert article.body.startswith("(Reuters) — Electric-car maker")


# -- parse_contacts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rest", "names"),
    [
        ("Dave Yin (", ["Dave Yin"]),
        ("Guo Yingzhe ( ", ["Guo Yingzhe"]),
        ("Dave Yin (dave.yin@caixin.com)", ["Dave Yin"]),
        ("Timmy Shen (, Twitter: @timmyhmshen)", ["Timmy Shen"]),
        ("Wang Jing ( and Denise Jia (", ["Wang Jing", "Denise Jia"]),
        (
            "Wang Jing (wangjing@caixin.com) and Denise Jia (denisejia@caixin.com)",
            ["Wang Jing", "Denise Jia"],
        ),
        ("Wang Jing (, Twitter: @wj) and Denise Jia (", ["Wang Jing", "Denise Jia"]),
        ("Michael Bellart", ["Michael Bellart"]),
        ("Tianyu M. Fang (", ["Tianyu M. Fang"]),
        ("(", []),
        ("", []),
    ],
)
def test_parse_contacts(rest: str, names: list[str]) -> None:
    assert parse_contacts(rest) == names


@pytest.mark.parametrize(
    ("line", "contacts"),
    [
        ("Contact reporter Dave Yin (", ("Dave Yin",)),
        ("Contact writer Lu Zhenhua (", ("Lu Zhenhua",)),
        ("Contact editor Michael Bellart (", ("Michael Bellart",)),
        ("Contact Reporter Yang Ge (", ("Yang Ge",)),
        ("Contact reporter Dave Yin (dave.yin@caixin.com)", ("Dave Yin",)),
        ("Contact reporter Timmy Shen (, Twitter: @timmyhmshen)", ("Timmy Shen",)),
        ("Contact reporter Wang Jing ( and Denise Jia (", ("Wang Jing", "Denise Jia")),
    ],
)
def test_contact_lines_in_a_page(line: str, contacts: tuple[str, ...]) -> None:
    result = parse_page(page("By Dave Yin / Nov 07, 2019 05:09 PM / World", BODY, line))
    (article,) = result.articles
    assert article.contacts == contacts
    assert result.report.roles["contact"] == 1
    assert line not in article.body and "Contact" not in article.body


# -- sections ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Business & tech", "Business & Tech"),
        ("Business & Tech", "Business & Tech"),
        ("BUSINESS & TECH", "Business & Tech"),
        ("Politics & law", "Politics & Law"),
        ("politics & law", "Politics & Law"),
        ("Society & Culture", "Society & Culture"),
        ("trending stories", "Trending Stories"),
        ("World", "World"),
        ("  Economy ", "Economy"),
        ("Business  &  tech", "Business & Tech"),
    ],
)
def test_canonical_section(raw: str, canonical: str) -> None:
    assert c.canonical_section(raw) == canonical


def test_unknown_section_is_kept_not_dropped() -> None:
    assert c.canonical_section("Cars & Motoring") == "Cars & Motoring"


def test_section_spellings_group_together() -> None:
    text = page(
        "By Dave Yin / Nov 07, 2019 05:09 PM / Business & tech",
        BODY,
        "Related: One Two",
        "By Dave Yin / Nov 06, 2019 05:09 PM / Business & Tech",
        "Another story entirely. It is here.",
        "Related: Three Four",
    )
    assert [a.section for a in parse_page(text).articles] == ["Business & Tech", "Business & Tech"]


# -- times -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "ampm", "expected"),
    [
        ("12", "05", "AM", (0, 5)),
        ("12", "59", "AM", (0, 59)),
        ("12", "40", "PM", (12, 40)),
        ("01", "00", "PM", (13, 0)),
        ("11", "59", "PM", (23, 59)),
        ("04", "41", "PM", (16, 41)),
        ("04", "55", "AM", (4, 55)),
        ("19", "40", "PM", (19, 40)),
        ("15", "11", "PM", (15, 11)),
        ("00", "30", "AM", (0, 30)),
        ("9", "15", "am", (9, 15)),
        ("9", "15", "pm", (21, 15)),
    ],
)
def test_beijing_time(hour: str, minute: str, ampm: str, expected: tuple[int, int]) -> None:
    stamp = c.beijing_time("Jul", "11", "2019", hour, minute, ampm)
    assert stamp is not None
    assert (stamp.hour, stamp.minute) == expected
    assert (stamp.year, stamp.month, stamp.day) == (2019, 7, 11)
    assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 8 * 3600


@pytest.mark.parametrize("month", ["Sep", "Sept", "September", "sep", "Sep."])
def test_month_spellings(month: str) -> None:
    assert c.beijing_time(month, "18", "2019", "04", "41", "PM") == datetime(
        2019, 9, 18, 16, 41, tzinfo=BEIJING
    )


@pytest.mark.parametrize(
    ("month", "day", "hour"),
    [("Foo", "1", "01"), ("Feb", "30", "01"), ("Jan", "0", "01"), ("Jan", "1", "25")],
)
def test_impossible_dates_are_none(month: str, day: str, hour: str) -> None:
    assert c.beijing_time(month, day, "2020", hour, "00", "AM") is None


def test_byline_time_is_beijing_time() -> None:
    (article,) = parse_page(page("By Ding Yi / Jan 18, 2021 12:05 AM / World", BODY, "Related: A B")).articles
    assert article.published_at.isoformat() == "2021-01-18T00:05:00+08:00"


# -- byline recognition by whole shape ---------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "By Dave Yin / Nov 07, 2019 05:09 PM / World",
        "by Zhou Xinda and Matthew Walsh / Jan 18, 2021 12:05 AM / Business & tech",
        "BY Dave Yin / Nov 07, 2019 05:09 PM / World",
        "Ding Yi / Jan 19, 2021 06:27 PM / Business & Tech",
        "/ Jun 17, 2019 07:42 PM / World",
        "By Reuters / Mar 04, 2020 08:30 AM / World ",
        "By Dave Yin / Nov 07, 2019 05:09PM / World",
        "By Dave Yin / Jul 11, 2019 19:40 PM / World",
    ],
)
def test_byline_shapes(line: str) -> None:
    result = parse_page(page(line, BODY, "Related: Some Headline Here"))
    assert len(result.articles) == 1
    assert result.report.roles["byline"] == 1
    assert result.articles[0].body == BODY


@pytest.mark.parametrize(
    "line",
    [
        "By the end of the month, shipping rates from Shanghai to Europe had tripled from a year earlier.",
        "By Tuesday, prices had doubled.",
        "By Dave Yin",
        "By Dave Yin / World",
        "By Dave Yin / Nov 07, 2019 / World",
        "By Dave Yin / Nov 07, 2019 05:09 PM",
        "Eggs / milk / bread",
        "Revenue grew 5% / 6% in Nov 07, 2019 05:09 PM",
    ],
)
def test_lines_that_are_not_bylines_stay_body(line: str) -> None:
    text = page(
        "By Cheng Siwei / Jan 14, 2021 09:15 AM / Economy",
        BODY,
        line,
        "Economists expect growth to slow.",
        "Contact reporter Cheng Siwei (",
    )
    result = parse_page(text)
    assert len(result.articles) == 1
    (article,) = result.articles
    assert article.paragraphs == 3
    assert line.strip() in article.body.split("\n\n")


def test_by_line_in_body_from_fixture_page_is_third_paragraph() -> None:
    text = page(
        "By Cheng Siwei, Wang Juanjuan and Zhao Runhua / Jan 14, 2021 09:15 AM / Economy",
        "China’s exports rose 18.1% year-on-year in December.",
        "Imports grew 6.5%.",
        "By the end of the month, shipping rates from Shanghai to Europe had tripled.",
        "Economists expect export growth to slow.",
        "Read the full story later on Caixin Global.",
    )
    (article,) = parse_page(text).articles
    assert article.body.split("\n\n")[2].startswith("By the end of the month")
    assert article.teaser


# -- infer_headline ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lead",
    [
        LEAD,
        "FIFA, world soccer’s governing body, on Thursday awarded China the right to host the first edition of an expanded Club World Cup in 2021.",
        "Japan replaced China as the largest holder of U.S. government debt in June amid an escalating Sino-U.S. trade war.",
        "One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen",
        "Supercalifragilisticexpialidocious " * 20,
    ],
)
def test_infer_headline_is_short_and_cut_at_a_word(lead: str) -> None:
    headline = infer_headline(lead)
    words = headline.rstrip("…").split()
    assert 1 <= len(words) <= 12
    lead_words = lead.split()
    # Every word but the last is a whole word of the lead; the last may only lose trailing punctuation.
    assert words[:-1] == lead_words[: len(words) - 1]
    assert lead_words[len(words) - 1].startswith(words[-1])
    if len(lead_words) > 12 and headline.endswith("…"):
        assert not headline.endswith(" …")


@pytest.mark.parametrize(
    ("lead", "headline"),
    [
        (
            "One two three four five six seven eight nine ten eleven twelve thirteen fourteen",
            "One two three four five six seven eight nine ten eleven twelve…",
        ),
        (
            "The budding romance between China and Russia is reaching new heights.",
            "The budding romance between China and Russia is reaching new heights",
        ),
        (
            "(Bloomberg) — The Chinese-owned video application TikTok may be a national security threat to the U.S.",
            "The Chinese-owned video application TikTok may be a national security threat…",
        ),
        (
            "(Reuters) — Japan and China agreed to postpone a visit.",
            "Japan and China agreed to postpone a visit",
        ),
        (
            "BEIJING (Reuters) - China said on Monday it would retaliate.",
            "China said on Monday it would retaliate",
        ),
        (
            "Japan replaced China as the largest holder of U.S. government debt in June amid an escalating trade war.",
            "Japan replaced China as the largest holder of U.S. government debt…",
        ),
        # The weak word "in" is not left dangling before the ellipsis.
        (
            "Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda in mu nu xi omicron.",
            "Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda…",
        ),
    ],
)
def test_infer_headline_examples(lead: str, headline: str) -> None:
    assert infer_headline(lead) == headline


@pytest.mark.parametrize(
    "lead",
    ["Short lead.", "Prices rose.", "A twelve word sentence stays whole without an ellipsis at the end."],
)
def test_no_ellipsis_when_not_cut(lead: str) -> None:
    assert not infer_headline(lead).endswith("…")


def test_story_without_body_gets_a_marked_headline() -> None:
    (article,) = parse_page("By Lin Jinbing / Jan 15, 2021 09:45 PM / Economy\n").articles
    assert article.headline_inferred
    assert "Lin Jinbing" in article.headline
    assert article.body == "" and article.paragraphs == 0 and article.word_count == 0


# -- make_article_id ---------------------------------------------------------------------------------

STAMP = datetime(2020, 4, 22, 17, 40, tzinfo=BEIJING)


@pytest.mark.parametrize(
    ("body_a", "body_b"),
    [
        (
            "China’s biggest banks are preparing to absorb losses.",
            "China's biggest banks are preparing to absorb losses.",
        ),
        (
            "“We urge the new Canadian government,” Geng said.",
            '"We urge the new Canadian government," Geng said.',
        ),
        ("Prices rose — sharply — in May.", "Prices rose -- sharply -- in May!"),
        ("PRICES ROSE SHARPLY IN MAY", "prices rose sharply in may"),
        (
            " ".join(f"w{i}" for i in range(40)),
            " ".join(f"w{i}" for i in range(12)) + " something else entirely",
        ),
        (BODY, BODY + "\n\nA second paragraph that the teaser copy does not have."),
    ],
)
def test_article_id_ignores_style(body_a: str, body_b: str) -> None:
    assert make_article_id(STAMP, body_a) == make_article_id(STAMP, body_b)


@pytest.mark.parametrize(
    ("stamp_b", "body_b"),
    [
        (datetime(2020, 4, 22, 17, 41, tzinfo=BEIJING), BODY),
        (datetime(2020, 4, 23, 17, 40, tzinfo=BEIJING), BODY),
        (STAMP, "A different opening entirely."),
        (None, BODY),
    ],
)
def test_article_id_differs(stamp_b: datetime | None, body_b: str) -> None:
    assert make_article_id(STAMP, BODY) != make_article_id(stamp_b, body_b)


def test_article_id_same_instant_other_timezone() -> None:
    assert make_article_id(STAMP.astimezone(UTC), BODY) == make_article_id(STAMP, BODY)


def test_article_id_ignores_authors_in_a_page() -> None:
    first = parse_page(
        page("By Wang Jing and Denise Jia / Apr 22, 2020 05:40 PM / Finance", BODY, "Related: A B")
    )
    second = parse_page(
        page(
            "By Denise Jia and Wang Jing / Apr 22, 2020 05:40 PM / Finance",
            BODY.replace("’", "'"),
            "Contact reporter Denise Jia (",
        )
    )
    assert first.articles[0].article_id == second.articles[0].article_id


def test_article_id_of_empty_bodies_uses_the_fallback() -> None:
    assert make_article_id(STAMP, "", "a.txt:3") != make_article_id(STAMP, "", "b.txt:9")
    assert len(make_article_id(None, "", "")) == 16


# -- pages cut inside or right after a byline --------------------------------------------------------

HEAD = page(
    "By Teng Jing Xuan / Mar 16, 2020 03:20 PM / China",
    "Wuhan reported four new infections.",
    "Related: Wuhan Prepares to Reopen",
)


@pytest.mark.parametrize(
    ("last", "stamp", "byline"),
    [
        ("By Ren Qiuyu / Mar 16, 2020 10:58 A", "2020-03-16T10:58:00+08:00", "Ren Qiuyu"),
        ("By Ren Qiuyu / Mar 16, 2020 10:58 AM", "2020-03-16T10:58:00+08:00", "Ren Qiuyu"),
        ("By Ren Qiuyu / Mar 16, 2020 10:58 AM /", "2020-03-16T10:58:00+08:00", "Ren Qiuyu"),
        ("By Ren Qiuyu / Mar 16, 2020 10:58 PM / Wor", "2020-03-16T22:58:00+08:00", "Ren Qiuyu"),
        ("By Ren Qiuyu / Mar 16, 2020 22:58", "2020-03-16T22:58:00+08:00", "Ren Qiuyu"),
        ("By Ren Qiuyu / Mar 16, 2020 10:5", None, "Ren Qiuyu"),
        ("By Ren Qiuyu / Mar", None, "Ren Qiuyu"),
        ("By Ren Qiuyu /", None, "Ren Qiuyu"),
        (
            "By Ren Qiuyu and Qing Ying / Mar 16, 2020 10:58 A",
            "2020-03-16T10:58:00+08:00",
            "Ren Qiuyu and Qing Ying",
        ),
        ("/ Mar 16, 2020 10:58 A", "2020-03-16T10:58:00+08:00", ""),
    ],
)
def test_page_ending_inside_a_byline(last: str, stamp: str | None, byline: str) -> None:
    for ending in ("", "\n"):
        result = parse_page(HEAD + "\n" + last + ending, "cut.txt")
        assert len(result.articles) == 2
        story = result.articles[-1]
        assert story.truncated
        assert story.to_json_dict()["published_at"] == stamp
        assert story.byline == byline
        assert story.body == "" and story.paragraphs == 0
        assert story.sources[0].first_line == 7
        assert result.report.balanced
        assert result.report.roles["byline"] == 2
        assert any("cut.txt:7" in w for w in result.report.warnings)
        assert not result.articles[0].truncated


FULL_BYLINE = "By Ren Qiuyu / Mar 16, 2020 10:58 AM / World"


@pytest.mark.parametrize(
    "cut",
    [FULL_BYLINE[:n] for n in range(len("By R"), len(FULL_BYLINE) + 1) if not FULL_BYLINE[:n].endswith(" ")],
)
def test_page_cut_at_any_point_of_a_byline(cut: str) -> None:
    """Wherever the page stops inside the last byline, that line starts a truncated story of its own."""
    result = parse_page(HEAD + "\n" + cut)
    assert len(result.articles) == 2
    previous, story = result.articles
    assert cut not in previous.body and not previous.truncated
    assert story.truncated and story.body == ""
    assert "Ren Qiuyu".startswith(story.byline) or story.byline == "Ren Qiuyu"
    assert result.report.balanced


def test_page_ending_in_the_author_part_of_a_byline() -> None:
    result = parse_page(HEAD + "By Huang Kai")
    assert len(result.articles) == 2
    story = result.articles[-1]
    assert story.truncated and story.published_at is None and story.authors == ("Huang Kai",)
    assert result.report.balanced


def test_page_cut_right_after_a_complete_byline() -> None:
    result = parse_page(HEAD + "By Lin Jinbing / Jan 15, 2021 09:45 PM / Economy\n")
    story = result.articles[-1]
    assert story.truncated
    assert story.section == "Economy"
    assert story.published_at == datetime(2021, 1, 15, 21, 45, tzinfo=BEIJING)
    assert story.body == ""


@pytest.mark.parametrize("last", ["By Ren Qiuyu / Mar 16, 2020 10:58 A", "By Huang Kai"])
def test_cut_byline_shape_in_the_middle_is_body(last: str) -> None:
    """Only the very last line of a page may be a cut byline; elsewhere it is text of the story."""
    result = parse_page(HEAD + last + "\n\nMore text follows here.\n\nRelated: Tail")
    assert len(result.articles) == 1
    assert last in result.articles[0].body


def test_page_cut_mid_sentence_is_truncated() -> None:
    result = parse_page(
        page(
            "By Guo Yingzhe / Apr 15, 2020 03:07 PM / Finance",
            "China’s central bank cut the rate.",
            "The People’s Bank of China injected 100 billion yuan into the",
        )
    )
    (story,) = result.articles
    assert story.truncated
    assert story.body.endswith("into the")


# -- line endings, BOM, trailing spaces --------------------------------------------------------------


def comparable(text: str) -> list[dict[str, object]]:
    return [a.to_json_dict() for a in parse_page(text, "p.txt").articles]


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda t: t.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda t: "\ufeff" + t, id="bom"),
        pytest.param(lambda t: "\ufeff" + t.replace("\n", "\r\n"), id="bom+crlf"),
        pytest.param(lambda t: t.replace("\n", "\r"), id="cr"),
        pytest.param(lambda t: t.replace("\n", "   \n"), id="trailing-spaces"),
        pytest.param(lambda t: t.replace("\n", " \t\r\n"), id="trailing-tabs-crlf"),
        pytest.param(lambda t: t + "\n", id="final-newline"),
    ],
)
def test_line_endings_bom_and_trailing_spaces_give_the_same_articles(
    sample_text: str, transform: object
) -> None:
    assert callable(transform)
    expected = comparable(sample_text)
    changed = transform(sample_text)
    assert changed != sample_text
    assert comparable(changed) == expected
    assert parse_page(changed).report.balanced


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("a\nb\n", ["a", "b"]),
        ("a\r\nb\r\n", ["a", "b"]),
        ("a\rb", ["a", "b"]),
        ("\ufeffa\n\nb", ["a", "", "b"]),
        ("", []),
        ("\n", [""]),
        ("a\n\n", ["a", ""]),
    ],
)
def test_split_lines(text: str, lines: list[str]) -> None:
    assert split_lines(text) == lines


def test_crlf_line_numbers_match_lf() -> None:
    text = page("Home >", "By Dave Yin / Nov 07, 2019 05:09 PM / World", BODY, "Contact reporter Dave Yin (")
    lf = parse_page(text).articles[0].sources[0]
    crlf = parse_page(text.replace("\n", "\r\n")).articles[0].sources[0]
    assert (lf.first_line, lf.last_line) == (crlf.first_line, crlf.last_line) == (3, 7)


@pytest.mark.parametrize("blanks", [1, 2, 3])
def test_one_to_three_blank_lines_between_blocks(sample_text: str, blanks: int) -> None:
    def strip_sources(text: str) -> list[dict[str, object]]:
        return [{k: v for k, v in a.items() if k != "sources"} for a in comparable(text)]

    squeezed = "\n".join(line for line in sample_text.split("\n") if line.strip())
    spaced = squeezed.replace("\n", "\n" * (blanks + 1))
    assert strip_sources(spaced) == strip_sources(sample_text)


@pytest.mark.parametrize(
    "lead",
    [
        pytest.param("Mr. Xi said on Monday that China would open its markets further to foreign firms."),
        pytest.param("Dr. Zhong Nanshan said the new coronavirus can spread between people."),
        pytest.param("Former U.S. Sen. Max Baucus said the tariffs would hurt farmers in Montana."),
        "Alibaba Group Holding Ltd. said on Monday its revenue rose by a third.",
        "The U.S. Department of Commerce said on Monday it would add more firms to the list.",
    ],
)
def test_headline_does_not_stop_at_an_abbreviation(lead: str) -> None:
    headline = infer_headline(lead)
    assert len(headline.rstrip("…").split()) >= 5, headline


@pytest.mark.parametrize(
    "spellings",
    [
        ("Business & tech", "BUSINESS & TECH", "business & Tech"),
        ("Cars & Motoring", "Cars & motoring", "CARS & MOTORING"),
    ],
)
def test_section_spellings_get_one_canonical_form(spellings: tuple[str, ...]) -> None:
    assert len({c.canonical_section(s) for s in spellings}) == 1
