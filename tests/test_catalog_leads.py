"""The headline catalog's speed-ups give what the plain Python they replace gives.

- The leads are cut and split by Arrow (``catalog._lead_chunks``): each lead must be
  ``body[:LEAD_WORDS * 15].split(None, LEAD_WORDS)[:LEAD_WORDS]``, for every whitespace character Python
  knows and none other, and for bodies with any mix of them.
- The leads are taken a block of stories at a time, on threads (``catalog.LEAD_BLOCK``): the pairs and
  the word codes must be those of every lead taken in order, one after another.
- One match looks up each distinct headline, time and excluded story once: entries repeated across pages
  (a headline list saved many times) must match as each entry matched on its own.
"""

from __future__ import annotations

import sys
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.storing import catalog
from core.storing.catalog import LEAD_WORDS, _chunk_words, _lead_chunks, _lead_pairs, match_catalog
from tests.test_rematch import Collection

SPACES = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]


def python_leads(bodies: list[str | None]) -> list[list[str]]:
    return [(body or "")[: LEAD_WORDS * 15].split(None, LEAD_WORDS)[:LEAD_WORDS] for body in bodies]


def arrow_leads(bodies: list[str | None]) -> list[list[str]]:
    codes, chunks, lengths = _lead_chunks(pa.array(bodies, pa.large_string()))
    flat = [chunks[code] for code in codes.tolist()]
    ends = np.cumsum(lengths).tolist()
    starts = [0, *ends][: len(ends)]
    # an empty body gives one empty chunk, which holds no word: the same pairs as no chunk
    return [[c for c in flat[a:b] if c] for a, b in zip(starts, ends, strict=True)]


def test_every_code_point_splits_as_python_splits() -> None:
    # the Basic Multilingual Plane: no code point above it is a space (``SPACES``, checked below)
    points = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    bodies: list[str | None] = [f"a{c}b{c}" for c in points]
    assert arrow_leads(bodies) == python_leads(bodies)
    assert len(SPACES) > 20 and max(SPACES) < "\U00010000"


@settings(max_examples=min(settings.default.max_examples, 300))
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.lists(st.sampled_from(["a", "bé", "日", "x" * 40, *SPACES]), max_size=400).map("".join),
        ),
        max_size=8,
    )
)
def test_leads_are_cut_and_split_as_python_does(bodies: list[str | None]) -> None:
    assert arrow_leads(bodies) == python_leads(bodies)


def test_long_leads_keep_their_first_words_within_the_cut() -> None:
    words = " ".join(f"w{i:03d}" for i in range(400))
    bodies: list[str | None] = [words, "  " + words, "é" * 1199 + " tail", "x" * 2000]
    assert arrow_leads(bodies) == python_leads(bodies)
    assert len(arrow_leads(bodies)[0]) == LEAD_WORDS


def test_lead_pairs_take_numpy_and_arrow_bodies_alike() -> None:
    bodies = ["Huawei unveils 5G phone", "", "Trade war talks resume in Beijing"]
    one: dict[str, int] = {}
    other: dict[str, int] = {}
    left = _lead_pairs(np.asarray(bodies, dtype=object), one)
    right = _lead_pairs(pa.array(bodies), other)
    assert one == other and all(np.array_equal(a, b) for a, b in zip(left, right, strict=True))
    assert len(one) >= 8


def python_pairs(bodies: list[str | None]) -> tuple[dict[str, int], list[int], list[int]]:
    """The word codes (in order of first appearance) and the (word, story) pairs of every lead in order."""
    vocab: dict[str, int] = {}
    words, stories = [], []
    for story, lead in enumerate(python_leads(bodies)):
        for chunk in lead:
            for word in _chunk_words(chunk.lower()):
                words.append(vocab.setdefault(word, len(vocab)))
                stories.append(story)
    return vocab, words, stories


@settings(max_examples=min(settings.default.max_examples, 200))
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.lists(
                st.sampled_from(["Huawei", "5G", "trade-war", "U.S.", "talks", "the", " ", "\n", "tariffs,"]),
                max_size=120,
            ).map(" ".join),
        ),
        max_size=12,
    ),
    st.integers(1, 5),
    st.data(),
)
def test_leads_taken_in_blocks_give_the_pairs_of_all_leads_in_order(
    bodies: list[str | None], block: int, data: st.DataObject
) -> None:
    with mock.patch.object(catalog, "LEAD_BLOCK", block):
        vocab: dict[str, int] = {}
        words, stories = _lead_pairs(pa.array(bodies, pa.large_string()), vocab)
    expected_vocab, expected_words, expected_stories = python_pairs(bodies)
    assert list(vocab.items()) == list(expected_vocab.items())
    assert words.tolist() == expected_words and stories.tolist() == expected_stories
    # the bodies at some rows, taken a block at a time from a column of several chunks
    rows = data.draw(st.permutations(range(len(bodies))))
    cut = data.draw(st.integers(0, len(bodies)))
    column = pa.chunked_array([pa.array(bodies[:cut], pa.string()), pa.array(bodies[cut:], pa.string())])
    with mock.patch.object(catalog, "LEAD_BLOCK", block):
        vocab = {}
        words, stories = _lead_pairs(column, vocab, np.array(rows, dtype=np.int64))
    expected_vocab, expected_words, expected_stories = python_pairs([bodies[row] for row in rows])
    assert list(vocab.items()) == list(expected_vocab.items())
    assert words.tolist() == expected_words and stories.tolist() == expected_stories


@pytest.mark.parametrize("seed", range(12))
def test_repeated_entries_match_as_each_entry_alone(seed: int) -> None:
    articles, entries = Collection(seed).frames()
    # every entry again, in another order (headline lists saved on several pages repeat), and the same
    # headlines two days later, undated, and not to match the story each first matched
    later = entries.assign(published_at=entries["published_at"] + pd.Timedelta(days=2))
    undated = entries.assign(published_at=pd.NaT)
    first = match_catalog(articles, entries)["article_id"]
    excluding = entries.assign(exclude_article_id=first.astype(object).where(first.notna(), None))
    repeated = pd.concat([entries, entries.iloc[::-1], later, undated, excluding], ignore_index=True)
    together = match_catalog(articles, repeated)
    alone = pd.concat(
        [match_catalog(articles, repeated.iloc[[i]]) for i in range(len(repeated))], ignore_index=True
    )
    pd.testing.assert_frame_equal(together, alone)
    assert together["article_id"].notna().any() or seed != 7  # seed 7 makes matches (test_rematch)
