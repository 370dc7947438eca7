"""Shape detection: which kind of page a file is (FORMAT.md sections 1 to 3), and why.

``detect_shape`` looks at the lines once and answers with one of ``SHAPES`` and a reason a person can
check against the file. The rules, first match wins:

1. two or more live-feed bylines (``By A / Sep 18, 2019 04:41 PM / World``): a **live feed**;
2. a digest title (``The Best Reads of the Week From Caixin``, ``Weekly Must-Read: ...``,
   ``CX Daily: ...``) among the first lines after the page furniture: a **digest**;
3. a business digest's headline (``China Business Digest: ...``) among the opening lines, or its
   signature (``— By Ma Li (mali@caixin.com) and ...``) below the first line: a **business digest**
   (FORMAT.md section 3);
4. a date line, words naming a ranking (``most-read``, ``ranking``, ``top 10``) among the opening lines
   and two or more numbered items (``1. <headline>``) below the date: a **ranking** article;
5. a date line alone (``Aug 10, 2018 03:05 PM``) as the first line after the furniture, followed by a
   headline: a single **article** page;
6. one live-feed byline: a **live feed** (a page holding a single story);
7. two or more date lines of their own (``Jul 11, 2019 19:40 PM``, ``01 11, 2021 15:11 PM``,
   ``• Jul 11, 2019 07:40 PM``): a **listing**;
8. a credit line naming Caixin (``This article was first published by Caixin Global.``): a
   **syndicated** copy (a story only when a date is found);
9. anything else is **unrecognised** (``parse_page`` still gives it the live-feed parser's line roles, so
   a page cut inside its only byline keeps its truncated story, exactly as before shapes were detected);
   the reason says what was looked for and not found.

The ``empty`` shape (a file with no lines) is decided by ``parse_page`` before detection.
"""

from __future__ import annotations

from core.parsing import common as c
from core.parsing.story_digest import BUSINESS_SIGNATURE, BUSINESS_TITLE, NUMBERED_ITEM, RANKING_WORDS
from core.parsing.syndicated import find_credit

__all__ = ["SHAPES", "detect_shape"]

SHAPES: tuple[str, ...] = (
    "live-feed",
    "article",
    "listing",
    "digest",
    "business-digest",
    "ranking",
    "syndicated",
    "unrecognised",
    "empty",
)

#: How many lines after the furniture may come before a digest's title (a saved e-mail's sender line).
_TITLE_WINDOW = 3
#: How many content lines open a page: where a ranking's date line, headline and the words naming it, or
#: a business digest's headline, stand.
_OPENING = 4


def _content(stripped: list[str]) -> list[tuple[int, str]]:
    """(1-based line, text) of the non-blank lines that are not page furniture."""
    return [(i + 1, text) for i, text in enumerate(stripped) if text and not c.is_furniture(text)]


def detect_shape(
    lines: list[str], *, count_bylines: bool = True, stripped: list[str] | None = None
) -> tuple[str, str]:
    """The shape of a page given as lines (no line endings) and the reason, e.g.
    ``("listing", "12 dated items")``. Never raises.

    ``count_bylines=False`` stops counting a live feed's bylines at two (the reason then says "2 or more
    story bylines"): ``parse_page`` takes the count from the live-feed parser and saves the second pass.
    ``stripped``, when given, is ``lines`` stripped (``parse_page`` strips them once for every step).
    """
    if stripped is None:
        stripped = list(map(str.strip, lines))
    bylines = c.count_bylines(stripped, stop_at=None if count_bylines else 2)
    if bylines >= 2 and not count_bylines:
        return "live-feed", "2 or more story bylines"
    if bylines >= 2:
        return "live-feed", f"{bylines} story bylines"
    content = _content(stripped)
    for _, text in content[:_TITLE_WINDOW]:
        if c.DIGEST_TITLE.match(text):
            markers = [line for _, line in content if c.digest_group(line) is not None]
            reason = f"digest title '{text}'"
            if markers:
                reason += f" and {len(markers)} '{markers[0]}' markers"
            return "digest", reason
    business = _business_digest(content)
    if business:
        return "business-digest", business
    ranking = _ranking(content)
    if ranking:
        return "ranking", ranking
    article = _article_start(content)
    if article:
        return "article", f"date line then headline at lines {article[0]}-{article[1]}"
    if bylines == 1:
        return "live-feed", "1 story byline"
    dated = sum(1 for _, text in content if c.parse_date_line(text) is not None)
    if dated >= 2:
        return "listing", f"{dated} dated items"
    credit = find_credit(stripped)
    if credit is not None:
        return "syndicated", f"a credit naming Caixin at line {credit + 1}"
    return "unrecognised", _not_found(content, dated)


def _not_found(content: list[tuple[int, str]], dated: int) -> str:
    """What was looked for and not found. A page with nothing of any shape keeps the reason it always had
    (every shape needs a byline, a date line or a digest title); a page with some of a shape says which
    part it has and which it lacks."""
    reason = "no byline, no dated items, no digest title"
    numbered = sum(1 for _, text in content if NUMBERED_ITEM.match(text))
    ranked = any(RANKING_WORDS.search(text) for _, text in content[:_OPENING])
    if ranked and numbered:
        return f"ranking words and {numbered} numbered items but no date line before its headline; {reason}"
    return reason


def _business_digest(content: list[tuple[int, str]]) -> str | None:
    """Why the page is a business digest (its headline or its signature ``— By A (a@...) and ...``)."""
    titles = [(n, text) for n, text in content[:_OPENING] if BUSINESS_TITLE.match(text)]
    signatures = [n for n, text in content if text[:1] in "—–-" and BUSINESS_SIGNATURE.match(text)]
    if titles and signatures:
        return f"digest headline at line {titles[0][0]} and signature at line {signatures[0]}"
    if titles:
        return f"digest headline at line {titles[0][0]} ('{titles[0][1][:40]}')"
    if signatures and content[0][0] < signatures[0]:
        return f"signature '— By <name> (<e-mail>)' at line {signatures[0]}"
    return None


def _ranking(content: list[tuple[int, str]]) -> str | None:
    """Why the page is a ranking article: a date line and a headline at its top, words naming a ranking
    in its opening lines and two or more numbered items."""
    opening = content[:_OPENING]
    dates = [n for n, text in opening if (d := c.parse_date_line(text)) is not None and not d[1]]
    if not dates or not any(RANKING_WORDS.search(text) for _, text in opening):
        return None
    numbered = [n for n, text in content if n > dates[0] and NUMBERED_ITEM.match(text)]
    if len(numbered) < 2:
        return None
    return f"date line at line {dates[0]}, ranking words and {len(numbered)} numbered items"


def _article_start(content: list[tuple[int, str]]) -> tuple[int, int] | None:
    """Lines of the date line and headline opening an article page (a section name may sit between)."""
    if len(content) < 2:
        return None
    first_number, first = content[0]
    date = c.parse_date_line(first)
    if date is None or date[1]:
        return None
    following = content[1:3]
    if len(following) == 2 and following[0][1].lower() in c.SECTIONS:
        following = following[1:]
    number, text = following[0]
    return (first_number, number) if c.looks_like_headline(text) else None
