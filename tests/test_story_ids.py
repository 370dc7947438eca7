"""``core.storing.catalog.StoryIds``: ids held in Arrow, indexed as the numpy array of ``str`` they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from core.storing.catalog import StoryIds

id_lists = st.lists(st.text(alphabet="ab-1é", max_size=4), max_size=30)


@given(values=id_lists, data=st.data())
def test_indexed_as_numpy(values: list[str], data: st.DataObject) -> None:
    ids, reference = StoryIds(values), np.array(values, dtype=object)
    assert len(ids) == len(reference) and np.asarray(ids).tolist() == values
    if values:
        rows = np.array(data.draw(st.lists(st.integers(0, len(values) - 1), max_size=40)), dtype=np.int64)
        assert ids[rows].tolist() == reference[rows].tolist()
        one = data.draw(st.integers(0, len(values) - 1))
        assert ids[one] == values[one] and ids[np.int64(one)] == values[one]
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))), dtype=bool)
    assert ids[mask].tolist() == reference[mask].tolist()
    start, stop = data.draw(st.integers(0, len(values))), data.draw(st.integers(0, len(values)))
    assert ids[start:stop].tolist() == reference[start:stop].tolist()


@given(values=id_lists, data=st.data())
def test_of_column_takes_the_order(values: list[str], data: st.DataObject) -> None:
    order = np.array(data.draw(st.permutations(range(len(values)))), dtype=np.int64)
    for column in (pd.Series(values, dtype="str"), pd.Series(values, dtype=object)):
        got = StoryIds.of_column(column, order)
        assert np.asarray(got).tolist() == [values[i] for i in order.tolist()]


@given(old=id_lists, new=id_lists, data=st.data())
def test_same_at_compares_one_by_one(old: list[str], new: list[str], data: st.DataObject) -> None:
    if not old or not new:
        assert StoryIds(old).same_at(np.zeros(0, np.int64), StoryIds(new), np.zeros(0, np.int64))
        return
    count = data.draw(st.integers(0, 20))
    rows = np.array(data.draw(st.lists(st.integers(0, len(old) - 1), min_size=count, max_size=count)), dtype=np.int64)
    other = np.array(data.draw(st.lists(st.integers(0, len(new) - 1), min_size=count, max_size=count)), dtype=np.int64)
    want = [old[a] for a in rows.tolist()] == [new[b] for b in other.tolist()]
    # a large_string array against a string one (the articles' column against the memo's file)
    large = StoryIds(pa.array(new, pa.large_string()))
    assert StoryIds(old).same_at(rows, large, other) is want
    assert not StoryIds(old).same_at(rows, large, other[:-1]) or count == 0


def test_chunked_arrays_are_joined() -> None:
    ids = StoryIds(pa.chunked_array([pa.array(["a", "b"]), pa.array(["c"])]))
    assert isinstance(ids.array, pa.Array) and ids[np.array([2, 0])].tolist() == ["c", "a"]


def test_python_values_keep_a_missing_id_missing() -> None:
    ids = StoryIds(np.array(["a", None, "b"], dtype=object))
    assert ids.array.null_count == 1 and ids[1] is None and ids[np.array([2, 0])].tolist() == ["b", "a"]
