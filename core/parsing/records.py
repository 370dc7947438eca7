"""The records a parser makes one of per story (``Article``, ``SourceSpan``), made without their ``__init__``.

A frozen dataclass's generated ``__init__`` sets every field through ``object.__setattr__``: 6 µs for the
20 fields of an ``Article`` on the benchmark machine, a tenth of ``parse_page`` on a live feed. Here the
fields are set on an instance of a plain class with the same slots, which is then given the record's
class; that makes the very object the record's own ``__init__`` makes (same type, fields, equality and
hash), in a fifteenth of the time. Python allows the ``__class__`` assignment only between classes of one
layout; ``FAST`` says whether it held when this module was imported (it is checked once, on one record of
each class, against the record's own ``__init__``), and without it the records are made the usual way.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any, cast

from core.model import Article, SourceSpan

__all__ = ["FAST", "new_article", "new_source_span"]


def _same_slots(record: type) -> type:
    """A plain class with the slots of the dataclass ``record`` (``slots=True`` makes them in field order)."""
    names = tuple(field.name for field in fields(record))
    return type(f"_{record.__name__}Fields", (), {"__slots__": names})


_ArticleFields = _same_slots(Article)
_SourceSpanFields = _same_slots(SourceSpan)


def _fast_article(
    article_id: str,
    published_at: datetime | None,
    section: str,
    byline: str,
    authors: tuple[str, ...],
    agency: str | None,
    headline: str,
    headline_inferred: bool,
    photo_credit: str | None,
    photo_caption: str | None,
    body: str,
    paragraphs: int,
    word_count: int,
    teaser: bool,
    truncated: bool,
    contacts: tuple[str, ...],
    related: tuple[str, ...],
    coverage_links: tuple[str, ...],
    sources: tuple[SourceSpan, ...],
) -> Article:
    article: Any = _ArticleFields()
    article.article_id = article_id
    article.published_at = published_at
    article.section = section
    article.byline = byline
    article.authors = authors
    article.agency = agency
    article.headline = headline
    article.headline_inferred = headline_inferred
    article.photo_credit = photo_credit
    article.photo_caption = photo_caption
    article.body = body
    article.paragraphs = paragraphs
    article.word_count = word_count
    article.teaser = teaser
    article.truncated = truncated
    article.contacts = contacts
    article.related = related
    article.coverage_links = coverage_links
    article.sources = sources
    article.headline_match = None
    article.__class__ = Article
    return cast(Article, article)


def _fast_source_span(file: str, first_line: int, last_line: int) -> SourceSpan:
    span: Any = _SourceSpanFields()
    span.file = file
    span.first_line = first_line
    span.last_line = last_line
    span.__class__ = SourceSpan
    return cast(SourceSpan, span)


def _check() -> bool:
    """Whether the fast records are the records' own, field for field (a field added to ``Article`` and
    not set above, or a layout Python will not swap, makes this False)."""
    values: dict[str, Any] = {field.name: f"value {n}" for n, field in enumerate(fields(Article))}
    del values["headline_match"]
    try:
        spans = (_fast_source_span("a.txt", 1, 2),)
        fast = _fast_article(**{**values, "sources": spans})
        usual = Article(**{**values, "sources": (SourceSpan("a.txt", 1, 2),)})
        return (
            type(fast) is Article
            and type(spans[0]) is SourceSpan
            and all(getattr(fast, f.name) == getattr(usual, f.name) for f in fields(Article))
            and fast == usual
            and hash(fast) == hash(usual)
        )
    except (TypeError, AttributeError):
        return False


#: Whether ``new_article`` and ``new_source_span`` make their records without the records' ``__init__``.
FAST = _check()
#: ``Article(...)`` with every field but ``headline_match`` (None) given in field order.
new_article = _fast_article if FAST else Article
#: ``SourceSpan(file, first_line, last_line)``.
new_source_span = _fast_source_span if FAST else SourceSpan
