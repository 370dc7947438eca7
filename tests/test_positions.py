"""Row positions by binary search over the ids in sorted order (``core.storing.derived.Positions`` with
``id_keys``), the sort order stored per generation (``DerivedFiles.id_order``), the themes of a story read
from the counts' codes (``ThemesByArticle`` with ``Coded``), and the list helpers that read a list column
in Arrow (``core.storing.frame``): each answers as the plain Python it replaces."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.storing.frame as frame_module
from core.storing.collection import _carried_order, _joined_memberships, compact_memberships, open_collection
from core.storing.derived import Positions, ThemesByArticle, id_keys, sort_order
from core.storing.frame import (
    ARROW_LIST,
    arrow_text,
    list_codes,
    list_items,
    list_joined,
    list_lengths,
    list_signatures,
    lists_any_in,
    positions_in,
    signature_hashes,
    texts_differ,
)

HEX = st.text(alphabet="0123456789abcdef", min_size=4, max_size=4)
ANY_ID = st.text(alphabet=st.sampled_from(["a", "b", "é", "\x00", " ", "Z", "1"]), min_size=0, max_size=4)


def _dict_of(ids: list[str]) -> dict[str, int]:
    return {article_id: row for row, article_id in enumerate(ids)}  # the last row wins


def _check(ids: list[str], order: np.ndarray | None = None, probes: list[str] = ()) -> None:
    series = pd.Series(ids, dtype="string[pyarrow]")
    positions = Positions(series, id_keys(series), order)
    expected = _dict_of(ids)
    assert dict(positions) == expected
    assert list(positions) == list(expected)
    assert len(positions) == len(expected)
    asked = [*ids[:20], *probes, "", "zzzz", "a\x00"]
    for key in asked:
        assert (key in positions) == (key in expected)
        assert positions.get(key) == expected.get(key)
    assert positions.get_indexer(asked).tolist() == [expected.get(k, -1) for k in asked]
    assert positions.unique == (len(expected) == len(ids))


@settings(max_examples=150, deadline=None)
@given(st.lists(HEX, max_size=60), st.lists(HEX, max_size=5))
def test_positions_of_ids_of_one_width_answer_as_a_dict(ids: list[str], probes: list[str]) -> None:
    _check(ids, probes=probes)


@settings(max_examples=150, deadline=None)
@given(st.lists(ANY_ID, max_size=40), st.lists(ANY_ID, max_size=5))
def test_positions_of_any_ids_answer_as_a_dict(ids: list[str], probes: list[str]) -> None:
    _check(ids, probes=probes)


@settings(max_examples=60, deadline=None)
@given(st.lists(HEX, min_size=2, max_size=40, unique=True), st.randoms(use_true_random=False))
def test_a_stored_order_that_does_not_sort_the_ids_is_not_trusted(ids: list[str], random) -> None:  # type: ignore[no-untyped-def]
    wrong = np.arange(len(ids), dtype=np.int64)
    random.shuffle(wrong)
    keys = id_keys(pd.Series(ids, dtype="string[pyarrow]"))
    assert keys is not None
    for order in (wrong, np.zeros(len(ids), dtype=np.int64), np.arange(len(ids) - 1), np.full(len(ids), len(ids))):
        _check(ids, order)
    _check(ids, sort_order(keys))


def test_id_keys_view_one_width_ids_and_refuse_the_others() -> None:
    keys = id_keys(pd.Series(["ab", "cd", "ef"], dtype="string[pyarrow]").iloc[1:])
    assert keys is not None and keys.tolist() == [b"cd", b"ef"]
    for odd in (["ab", "c"], ["a\x00", "bc"], ["é", "ab"][:1] + ["abc"], [""], []):
        assert id_keys(pd.Series(odd, dtype="string[pyarrow]")) is None, odd
    assert id_keys(pd.Series(["ab", None], dtype="string[pyarrow]")) is None
    assert id_keys(pd.Series(["ab", "cd"], dtype=object)) is None


def test_positions_hold_no_python_string_per_story() -> None:
    ids = pd.Series([f"{n:016x}" for n in range(30_000)], dtype="string[pyarrow]")
    keys = id_keys(ids)
    order = sort_order(keys) if keys is not None else None
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        positions = Positions(ids, keys, order)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    held = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    # the ids in sorted order (16 bytes each) and no more: a Python string per id would be 60 bytes more
    assert held < 24 * len(ids), f"{held} bytes for {len(ids)} ids"
    assert positions[f"{12_345:016x}"] == 12_345


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bench.corpus import generate_corpus

    pages = tmp_path_factory.mktemp("positions") / "pages"
    generate_corpus(pages, stories=500, seed=23)
    return pages


def test_themes_by_article_from_the_codes_equal_those_from_the_memberships(generated: Path) -> None:
    collection = open_collection([generated], use_cache=False)
    coded = collection.coded()
    assert coded is not None
    slugs = [t.slug for t in collection.themes]
    assert slugs != sorted(slugs), "the themes file's order should differ from the codes' (alphabetical)"
    rows, positions = collection.member_rows(), collection.positions()
    plain = ThemesByArticle(collection.memberships, rows, positions)
    by_codes = ThemesByArticle(collection.memberships, rows, positions, coded, slugs)
    assert by_codes._coded is not None and plain._coded is None
    expected: dict[str, list[str]] = {}
    for article_id, slug in zip(collection.memberships["article_id"], collection.memberships["theme"], strict=True):
        expected.setdefault(str(article_id), []).append(str(slug))
    assert len(expected) > 50 and any(len(v) > 1 for v in expected.values())
    for lookup in (plain, by_codes):
        assert dict(lookup) == expected
        assert list(lookup) == list(expected)
        assert len(lookup) == len(expected)
    unthemed = next(str(i) for i in collection.articles["article_id"] if str(i) not in expected)
    assert unthemed not in by_codes and by_codes.get("no such story") is None
    # codes that do not cover the slugs (a theme missing from them): read from the memberships instead
    fewer = ThemesByArticle(collection.memberships, rows, positions, coded, slugs[1:])
    assert fewer._coded is None and dict(fewer) == expected


def test_the_id_order_is_stored_and_a_damaged_file_is_sorted_again(generated: Path, tmp_path: Path) -> None:
    open_collection([generated], cache_dir=tmp_path / "cache").prepare()
    stored = open_collection([generated], cache_dir=tmp_path / "cache")
    stored.prepare()
    assert stored.files is not None and "order" in stored.files.loaded
    expected = _dict_of(stored.articles["article_id"].astype(str).tolist())
    assert dict(stored.positions()) == expected
    path = stored.files.path("order.npy")
    np.save(path, np.arange(len(expected), dtype=np.int64)[::-1].copy())  # the right shape, a wrong order
    damaged = open_collection([generated], cache_dir=tmp_path / "cache")
    damaged.prepare()
    assert dict(damaged.positions()) == expected
    assert [damaged.position_of(k) for k in list(expected)[:30]] == list(range(30))
    path.write_bytes(b"not a NumPy file")
    broken = open_collection([generated], cache_dir=tmp_path / "cache")
    assert dict(broken.positions()) == expected


LISTS = st.lists(st.lists(st.sampled_from(["Ann Li", "ann li", "Bo", "İlker", "Zhou Xin", ""]), max_size=3), max_size=30)


@settings(max_examples=150, deadline=None)
@given(LISTS, st.integers(0, 5), st.sets(st.sampled_from(["ann li", "bo", "i̇lker", "İlker", "nobody"])))
def test_list_helpers_read_arrow_lists_as_python_lists(lists: list[list[str]], start: int, wanted: set[str]) -> None:
    python = pd.Series(lists, dtype=object).iloc[start:]
    arrow = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(lists, ARROW_LIST.pyarrow_dtype))).iloc[start:]
    cells = python.tolist()
    for column in (python, arrow):
        assert list_lengths(column).tolist() == [len(c) for c in cells]
        rows, items = list_items(column)
        assert rows.tolist() == [r for r, c in enumerate(cells) for _ in c]
        assert items.tolist() == [name for c in cells for name in c]
        rows, codes, distinct = list_codes(column)
        assert distinct[codes].tolist() == items.tolist()
        assert list_joined(column, "\x1f") == ["\x1f".join(c) for c in cells]
        assert lists_any_in(column, wanted).tolist() == [any(n.lower() in wanted for n in c) for c in cells]


RELATED = st.lists(st.lists(st.sampled_from(["a", "a\x1fb", "\x1f", "", "1", "Ünï", None]), max_size=3), max_size=30)


@settings(max_examples=150, deadline=None)
@given(RELATED, st.integers(0, 5))
def test_list_signatures_as_python(lists: list[list[str | None]], start: int) -> None:
    """The thread keys' signature of each related list, from Arrow lists (also with missing items, which
    read ``"None"``, as ``str`` of a Python list's ``None``) and from Python lists, as the plain Python."""
    python = pd.Series(lists, dtype=object).iloc[start:]
    arrow = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(lists, ARROW_LIST.pyarrow_dtype))).iloc[start:]
    expected = [f"{len(c)}\x1f" + "\x1f".join(map(str, c)) for c in python.tolist()]
    hashed = pd.util.hash_array(np.array(expected, dtype=object), categorize=False)
    for column in (python, arrow):
        signed = list_signatures(column, "\x1f")
        assert signed.dtype == object
        assert signed.tolist() == expected
        # their hashes (the thread keys'), each distinct signature hashed once: every cell's hash
        assert signature_hashes(column, "\x1f").tolist() == hashed.tolist()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(ANY_ID, st.none()), max_size=20),
    st.lists(st.one_of(ANY_ID, st.none()), max_size=20),
    st.sampled_from(["series", "categorical", "array", "list"]),
)
def test_positions_in_as_a_dict(values: list[str | None], among: list[str | None], kind: str) -> None:
    """Each value's first position in ``among``, -1 for one not there or missing, whatever form ``among``
    and ``values`` take (Arrow text, categorical, object array, list), and whichever side is looked up in
    the other (``PROBE_RATIO``: the values in a set of ``among``, or ``among`` in a set of the values)."""
    first = {}
    for position, value in enumerate(among):
        if value is not None:
            first.setdefault(value, position)
    column = pd.Series(values, dtype="string")
    if kind == "categorical":
        column = column.astype("category")
    wanted = {"series": pd.Series(among, dtype="string"), "categorical": pd.Series(among, dtype=object)}.get(
        kind, np.array(among, dtype=object) if kind == "array" else among
    )
    expected = [-1 if value is None else first.get(value, -1) for value in values]
    for ratio in (0, 10**9):  # always probing ``among``; never
        with patch.object(frame_module, "PROBE_RATIO", ratio):
            got = positions_in(column, wanted)
        assert got.dtype == np.int64
        assert got.tolist() == expected


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.one_of(ANY_ID, st.none()), st.one_of(ANY_ID, st.none())), max_size=20),
    st.sampled_from(["string", "object", "chunked"]),
)
def test_texts_differ_as_python(pairs: list[tuple[str | None, str | None]], kind: str) -> None:
    """Whether each row's text changed (the headline catalog's changed rows), as Python compares the values:
    two missing values are the same, one missing and one text differ; the columns as Arrow text (also in
    several chunks) or as objects."""
    before, after = [a for a, _ in pairs], [b for _, b in pairs]
    if kind == "chunked":  # a column of two Arrow chunks, as a concatenated frame has
        half = len(pairs) // 2
        columns = [
            pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([values[:half], values[half:]], pa.string())))
            for values in (before, after)
        ]
    else:
        columns = [pd.Series(values, dtype="string" if kind == "string" else object) for values in (before, after)]
    got = texts_differ(*columns)
    assert got.dtype == bool
    assert got.tolist() == [a != b for a, b in pairs]


MEMBERSHIPS = st.lists(
    st.tuples(HEX, st.sampled_from(["trade-war", "huawei", "5g"]), st.sampled_from(["a ×1", "b ×2", "a ×1, b ×1"])),
    max_size=15,
)


@settings(max_examples=150, deadline=None)
@given(MEMBERSHIPS, MEMBERSHIPS, st.data())
def test_joined_memberships_as_through_strings(first: list, second: list, data: st.DataObject) -> None:
    """Rows of two compact membership frames joined by category codes (some of the first, as the kept
    memberships are, in runs or not, and the second) equal the same rows joined as strings and made
    compact again: values, categories and dtypes."""

    def frame(rows: list) -> pd.DataFrame:
        return compact_memberships(
            pd.DataFrame(
                {
                    "article_id": [r[0] for r in rows],
                    "theme": [r[1] for r in rows],
                    "hits": np.ones(len(rows), dtype=np.int32),
                    "evidence": [r[2] for r in rows],
                }
            )
        )

    total = len(first) + len(second)
    rows = np.array(data.draw(st.lists(st.integers(0, max(total - 1, 0)), max_size=total if total else 0)), dtype=np.int64)
    if data.draw(st.booleans()):
        rows = np.sort(rows)  # in runs, as the kept memberships mostly are
    joined = _joined_memberships(frame(first), frame(second), rows)
    both = pd.concat([frame(first).astype(str), frame(second).astype(str)], ignore_index=True)
    plain = compact_memberships(both.iloc[rows].reset_index(drop=True))
    pd.testing.assert_frame_equal(joined, plain)
    assert arrow_text(joined["article_id"]) is not None


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_carried_order_is_the_sort(data: st.DataObject) -> None:
    """The kept memberships' order with the changed stories' placed among them is ``np.lexsort`` of
    (theme order, row): with the kept ones in order or not, ties between kept and new, unknown themes."""
    kept = data.draw(st.lists(st.tuples(st.integers(-1, 3), st.integers(0, 30)), max_size=40))
    if data.draw(st.booleans()):
        kept = sorted(kept)
    new = data.draw(st.lists(st.tuples(st.integers(-1, 3), st.integers(0, 30)), max_size=8))
    theme_order = np.array([t for t, _ in kept + new], dtype=np.int64)
    rows = np.array([r for _, r in kept + new], dtype=np.int64)
    got = _carried_order(theme_order, rows, len(kept))
    assert got.tolist() == np.lexsort((rows, theme_order)).tolist()
