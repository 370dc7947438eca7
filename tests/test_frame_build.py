"""``articles_to_frame`` builds each column whole (``_typed_frame``) when the fields hold what the parsers put
there, and cell by cell (``_frame_by_cells``, the way it always did) otherwise: the two must give the same
frame, to the dtype and the Arrow type of every column."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import BEIJING, COLUMNS, Article, SourceSpan, make_article_id
from core.parsing import parse_page
from core.storing import frame as frame_module
from core.storing.frame import _FIELDS, _frame_by_cells, _typed_frame, articles_to_frame
from tests.conftest import SAMPLE_PATH


def _fields(articles: list[Article]) -> dict[str, list[Any]]:
    return {name: [_FIELDS(a)[i] for a in articles] for i, name in enumerate(COLUMNS)}


def assert_same_frame(made: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(made, expected, check_exact=True)
    assert list(made.dtypes) == list(expected.dtypes)
    for name in made:
        arrow = getattr(made[name].array, "_pa_array", None)
        if arrow is not None:
            assert arrow.type == expected[name].array._pa_array.type, name


texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
names = st.lists(texts, max_size=3).map(tuple)
#: Times across the whole range a record can hold, to the microsecond, in Beijing time.
times = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1677, 9, 22), max_value=datetime(2262, 4, 10), timezones=st.just(BEIJING)
    ),
)
spans = st.lists(
    st.builds(SourceSpan, texts, st.integers(0, 10**9), st.integers(0, 10**9)), max_size=3
).map(tuple)


@st.composite
def articles(draw: st.DrawFn) -> Article:
    body = draw(texts)
    published = draw(times)
    return Article(
        article_id=make_article_id(published, body),
        published_at=published,
        section=draw(texts),
        byline=draw(texts),
        authors=draw(names),
        agency=draw(st.none() | texts),
        headline=draw(texts),
        headline_inferred=draw(st.booleans()),
        photo_credit=draw(st.none() | texts),
        photo_caption=draw(st.none() | texts),
        body=body,
        paragraphs=draw(st.integers(0, 2**31 - 1)),
        word_count=draw(st.integers(0, 2**31 - 1)),
        teaser=draw(st.booleans()),
        truncated=draw(st.booleans()),
        contacts=draw(names),
        related=draw(names),
        coverage_links=draw(names),
        sources=draw(spans),
        headline_match=draw(st.none() | st.floats(allow_nan=True)),
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(articles(), min_size=1, max_size=12))
def test_whole_columns_equal_the_cells(made: list[Article]) -> None:
    assert _typed_frame(_fields(made)) is not None  # the parsers' kinds of value: built whole
    assert_same_frame(articles_to_frame(made), _frame_by_cells(made))


def test_a_parsed_page_is_built_whole(sample_text: str) -> None:
    made = list(parse_page(sample_text, str(SAMPLE_PATH)).articles)
    assert made and _typed_frame(_fields(made)) is not None
    assert_same_frame(articles_to_frame(made), _frame_by_cells(made))


class _Name(str):
    pass


#: Field values the parsers never give: each is made cell by cell, as before, with the same frame or error.
ODD = [
    ("published_at", datetime(2024, 5, 1, 12, 0)),  # no time zone: taken as UTC by pandas
    ("published_at", datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5)))),
    ("published_at", pd.Timestamp("2024-05-01 12:00:00.000000001", tz=BEIJING)),
    ("published_at", datetime(1600, 1, 1, tzinfo=BEIJING)),  # a time a record cannot hold: NaT
    ("published_at", datetime(9999, 1, 1, tzinfo=BEIJING)),
    ("authors", ["A list", "not a tuple"]),
    ("authors", (_Name("A str subclass"),)),
    ("contacts", (1, 2)),
    ("headline_match", np.float64(0.5)),
    ("headline_match", 1),
    ("word_count", True),
    ("paragraphs", np.int64(3)),
    ("teaser", 1),
    ("agency", _Name("Reuters")),
    ("section", 5),
    ("sources", ("file.txt:1-2",)),
    ("sources", (SourceSpan("a.txt", True, 2),)),  # a flag for a line number: "True", as str(span) writes it
    ("sources", (SourceSpan("a.txt", 1.0, 2),)),  # type: ignore[arg-type]
    ("sources", (SourceSpan(5, 1, 2),)),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("field", "value"), ODD, ids=[f"{f}-{type(v).__name__}-{i}" for i, (f, v) in enumerate(ODD)])
def test_odd_values_are_made_cell_by_cell(sample_result: Any, field: str, value: Any) -> None:
    made = [replace(sample_result.articles[0], **{field: value}), sample_result.articles[1]]
    assert _typed_frame(_fields(made)) is None
    try:
        expected = _frame_by_cells(made)
    except Exception as error:  # the cell-by-cell frame raises: so does the frame
        with pytest.raises(type(error)):
            articles_to_frame(made)
        return
    assert_same_frame(articles_to_frame(made), expected)


def test_a_value_arrow_cannot_hold_fails_as_before(sample_result: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    made = [replace(sample_result.articles[0], body="bad \udc80 byte")]  # a lone surrogate: no UTF-8
    with pytest.raises(Exception) as cells:
        _frame_by_cells(made)
    with pytest.raises(type(cells.value)):
        articles_to_frame(made)
    calls: list[int] = []

    def by_cells(articles: list[Article]) -> pd.DataFrame:
        calls.append(len(articles))
        return _frame_by_cells(articles)

    monkeypatch.setattr(frame_module, "_frame_by_cells", by_cells)
    with pytest.raises(type(cells.value)):
        articles_to_frame(made)
    assert calls == [1]  # tried whole, then cell by cell


def test_no_articles() -> None:
    assert_same_frame(articles_to_frame([]), _frame_by_cells([]))
    assert list(articles_to_frame([]).columns) == list(COLUMNS)
