"""The reporter aliases and name-order merges read by distinct bylines (``_reporters_of_distinct``, for
authors and contacts held as Arrow lists) give what reading every story's Python lists gives: the same
rewritten lists, the same merges, the same counts in the same order."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.config import Reporters
from core.storing.frame import ARROW_LIST, distinct_lists
from core.storing.ingest import _reporters_and_counts

NAMES = ["Wang Jing", "Jing Wang", "Li Na", "Na Li", "Na  Li", "Dave Yin", "Yin Dave", "Unsigned", "", "Σ x", "x Σ"]
ALIASES = [{}, {"Jing Wang": "Wang Jing"}, {"Dave Yin": "David Yin", "Li Na": "Na Li"}, {"Wang Jing": "Jing Wang"}]
cells = st.lists(st.sampled_from(NAMES), max_size=4)


def _frames(authors: list[list[str]], contacts: list[list[str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same stories with Arrow lists, and with Python lists."""
    arrow = pd.DataFrame(
        {
            "authors": pd.Series(pd.arrays.ArrowExtensionArray(pa.array(authors, ARROW_LIST.pyarrow_dtype))),
            "contacts": pd.Series(pd.arrays.ArrowExtensionArray(pa.array(contacts, ARROW_LIST.pyarrow_dtype))),
            "row": range(len(authors)),
        }
    )
    python = arrow.assign(
        authors=pd.Series([list(a) for a in authors], dtype=object),
        contacts=pd.Series([list(c) for c in contacts], dtype=object),
    )
    return arrow, python


def _lists(column: pd.Series) -> list[list[str]]:
    return [list(cell) for cell in column.tolist()]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(cells, cells), min_size=1, max_size=30), st.sampled_from(ALIASES))
@example([(["Wang Jing", "Wang Jing"], []), (["Jing Wang"], ["Jing Wang"]), ([], [""])], {})
def test_distinct_bylines_give_what_every_story_gives(stories: list[tuple[list[str], list[str]]], aliases: dict[str, str]) -> None:
    reporters = Reporters(aliases=aliases)
    arrow, python = _frames([a for a, _ in stories], [c for _, c in stories])
    assert distinct_lists(arrow["authors"]) is not None and distinct_lists(python["authors"]) is None
    made, merges, counts, contact_counts = _reporters_and_counts(arrow, reporters)
    expected, expected_merges, expected_counts, expected_contacts = _reporters_and_counts(python, reporters)
    assert list(merges.items()) == list(expected_merges.items())
    assert list(counts.items()) == list(expected_counts.items())  # the same names, in the same order
    assert list(contact_counts.items()) == list(expected_contacts.items())
    assert _lists(made["authors"]) == _lists(expected["authors"])
    assert _lists(made["contacts"]) == _lists(expected["contacts"])
    assert made["row"].tolist() == list(range(len(stories)))
    if merges or aliases:
        assert made["authors"].dtype == ARROW_LIST and made["contacts"].dtype == ARROW_LIST


def test_distinct_lists_codes_and_counts() -> None:
    arrow, _ = _frames([["a", "b"], [], ["a", "b"], [""], ["b", "a"], []], [[]] * 6)
    found = distinct_lists(arrow["authors"])
    assert found is not None
    cells, codes, many = found
    assert cells == [("a", "b"), (), ("",), ("b", "a")]  # in the order each first appears
    assert codes.tolist() == [0, 1, 0, 2, 3, 1]
    assert many.tolist() == [2, 2, 1, 1]


def test_a_name_holding_the_join_is_read_story_by_story() -> None:
    arrow, python = _frames([["a\x1fb"], ["a", "b"], ["Jing Wang"], ["Wang Jing"]], [[], [], [], []])
    assert distinct_lists(arrow["authors"]) is None  # the two first lists would have the same key
    made, merges, counts, _ = _reporters_and_counts(arrow, Reporters())
    assert _lists(made["authors"]) == [["a\x1fb"], ["a", "b"], ["Jing Wang"], ["Jing Wang"]]
    assert counts == Counter({"a\x1fb": 1, "a": 1, "b": 1, "Jing Wang": 1, "Wang Jing": 1})
    assert merges == {"Wang Jing": "Jing Wang"}
