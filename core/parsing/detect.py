"""Shape detection: which kind of page a file is (FORMAT.md sections 1 and 2), and why.

``detect_shape`` looks at the lines once and answers with one of ``SHAPES`` and a reason a person can
check against the file. The rules, first match wins:

1. two or more live-feed bylines (``By A / Sep 18, 2019 04:41 PM / World``): a **live feed**;
2. a digest title (``The Best Reads of the Week From Caixin``, ``Weekly Must-Read: ...``,
   ``CX Daily: ...``) among the first lines after the page furniture: a **digest**;
3. a date line alone (``Aug 10, 2018 03:05 PM``) as the first line after the furniture, followed by a
   headline: a single **article** page;
4. one live-feed byline: a **live feed** (a page holding a single story);
5. two or more date lines of their own (``Jul 11, 2019 19:40 PM``, ``01 11, 2021 15:11 PM``,
   ``• Jul 11, 2019 07:40 PM``): a **listing**;
6. anything else is **unrecognised** (``parse_page`` still gives it the live-feed parser's line roles, so
   a page cut inside its only byline keeps its truncated story, exactly as before shapes were detected).

The ``empty`` shape (a file with no lines) is decided by ``parse_page`` before detection.
"""

from __future__ import annotations

from core.parsing import common as c

__all__ = ["SHAPES", "detect_shape"]

SHAPES: tuple[str, ...] = ("live-feed", "article", "listing", "digest", "unrecognised", "empty")

#: How many lines after the furniture may come before a digest's title (a saved e-mail's sender line).
_TITLE_WINDOW = 3


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
    article = _article_start(content)
    if article:
        return "article", f"date line then headline at lines {article[0]}-{article[1]}"
    if bylines == 1:
        return "live-feed", "1 story byline"
    dated = sum(1 for _, text in content if c.parse_date_line(text) is not None)
    if dated >= 2:
        return "listing", f"{dated} dated items"
    return "unrecognised", "no byline, no dated items, no digest title"


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
