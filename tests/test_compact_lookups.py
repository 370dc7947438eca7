"""The per-collection lookups hold no Python string per story or per membership (``core.storing.derived``:
``ColumnById`` keeps the headlines in one Arrow array, ``ThemesByArticle`` codes into the few slugs and
the id strings ``Positions`` has), and answer as the dicts they replace."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd

from core.storing.derived import ColumnById, Positions, ThemesByArticle

STORIES = 30_000


def _frame() -> tuple[pd.Series, pd.Series]:
    ids = pd.Series([f"story-{n:06d}" for n in range(STORIES)], dtype="string")
    headlines = pd.Series([f"Headline number {n} of the archive" for n in range(STORIES)], dtype="string")
    return ids, headlines


def _memberships(ids: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(4)
    rows = np.sort(rng.integers(0, STORIES, STORIES * 2))
    slugs = np.array(["trade-war", "huawei", "energy", "banks"])[rng.integers(0, 4, len(rows))]
    members = pd.DataFrame({"article_id": ids.to_numpy()[rows], "theme": slugs}).astype(
        {"article_id": "string", "theme": "string"}
    )
    order = rng.permutation(len(members))  # memberships are not in row order
    return members.iloc[order].reset_index(drop=True), rows[order]


def _python_bytes(build: object) -> int:
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        kept = build() if callable(build) else None
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    del kept
    return sum(stat.size_diff for stat in after.compare_to(before, "filename"))


def test_headlines_by_id_answer_as_a_dict_and_hold_no_string_per_story() -> None:
    ids, headlines = _frame()
    positions = Positions(ids)
    expected = dict(zip(ids.astype(str), headlines.astype(str), strict=True))
    lookup = ColumnById(positions, headlines)
    assert dict(lookup) == expected and lookup["story-000042"] == "Headline number 42 of the archive"
    assert all(type(lookup[k]) is str for k in list(expected)[:50])
    held = _python_bytes(lambda: ColumnById(positions, headlines))
    assert held < 500_000, f"{held} bytes of Python objects for {STORIES} headlines"
    # a missing headline reads as it did (``astype(str)`` of a missing value)
    gap = headlines.copy()
    gap.iloc[3] = pd.NA
    assert ColumnById(positions, gap)["story-000003"] == str(gap.astype(str).to_numpy(dtype=object)[3])


def test_themes_by_article_answer_as_a_dict_and_hold_no_string_per_membership() -> None:
    ids, _ = _frame()
    positions = Positions(ids)
    members, rows = _memberships(ids)
    expected: dict[str, list[str]] = {}
    for article_id, slug in zip(members["article_id"], members["theme"], strict=True):
        expected.setdefault(str(article_id), []).append(str(slug))
    lookup = ThemesByArticle(members, rows, positions)
    assert dict(lookup) == expected
    assert list(lookup) == list(expected)  # first-appearance order
    assert all(type(s) is str for k in list(expected)[:50] for s in lookup[k])
    held = _python_bytes(lambda: ThemesByArticle(members, rows, positions))
    assert held < 2_000_000, f"{held} bytes of Python objects for {len(members)} memberships"


def test_list_columns_read_from_the_cache_share_their_repeated_strings() -> None:
    import pyarrow as pa

    from core.storing.cache import _python_lists

    rows = [["Wang Liwei", "Li Rongqian"], [], ["Wang Liwei"], ["Li Rongqian", "Wang Liwei", "Wang Liwei"]] * 500
    column = pa.chunked_array([pa.array(rows[:700]), pa.array(rows[700:]).slice(3)])
    shared = _python_lists(column, True)
    assert shared == column.to_pylist() and all(type(row) is list for row in shared)
    names = {id(name) for row in shared for name in row}
    assert len(names) == 2  # one string per distinct value
    assert len({id(name) for row in _python_lists(column, False) for name in row}) > 2
    # a missing list or a missing value: read as before
    for odd in ([["a"], None, ["a"]], [["a", None], ["a"]]):
        assert _python_lists(pa.chunked_array([pa.array(odd)]), True) == odd


def test_memberships_are_held_as_categoricals_whichever_file_they_are_read_from(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pyarrow as pa
    import pyarrow.parquet as pq

    from core.storing.cache import read_memberships
    from core.storing.collection import compact_memberships

    ids, _ = _frame()
    members, rows = _memberships(ids)
    members = members.assign(hits=np.arange(len(members)) % 7, evidence=[f"tariff* ×{n % 5}" for n in range(len(members))])
    compact = compact_memberships(members)
    for name in ("theme", "evidence"):
        assert isinstance(compact[name].dtype, pd.CategoricalDtype)
        assert list(compact[name].cat.categories) == sorted(members[name].astype(str).unique())
    assert compact.astype({"theme": "string", "evidence": "string"}).equals(members.astype({"hits": "int32", "evidence": "string"}))
    assert compact.memory_usage(deep=True)[["theme", "evidence"]].sum() < 0.3 * members.memory_usage(deep=True)[["theme", "evidence"]].sum()
    # a file written as text (before) and one written from the categoricals read back as the same frame
    for written in (members.astype({"evidence": "string", "hits": "int32"}), compact):
        path = tmp_path / "themes.parquet"
        pq.write_table(pa.Table.from_pandas(written.assign(row=rows), preserve_index=False), path)
        read = read_memberships(path)
        assert isinstance(read["evidence"].dtype, pd.CategoricalDtype)
        pd.testing.assert_frame_equal(compact_memberships(read), compact)
