"""The set operations of ``core.arrays`` (one sort) against numpy's own (``np.unique``, ``np.setdiff1d``,
``np.union1d``, which hash): the same values, the same dtype, for every integer dtype, empty and
two-dimensional input, and other dtypes handed to numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core.arrays import (
    dense_unique,
    first_occurrences,
    run_starts,
    sorted_setdiff,
    sorted_union,
    sorted_unique,
)

INTEGER_DTYPES = st.sampled_from([np.int8, np.int32, np.int64, np.uint8, np.uint64, np.bool_])


def _arrays(dtype: type, max_dims: int = 2) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=max_dims, min_side=0, max_side=40))


def _same(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


@given(st.data(), INTEGER_DTYPES)
def test_unique_as_numpy(data: st.DataObject, dtype: type) -> None:
    values = data.draw(_arrays(dtype))
    _same(sorted_unique(values), np.unique(values))


@given(st.data(), INTEGER_DTYPES)
def test_setdiff_and_union_as_numpy(data: st.DataObject, dtype: type) -> None:
    first, second = data.draw(_arrays(dtype)), data.draw(_arrays(dtype, 1))
    _same(sorted_setdiff(first, second), np.setdiff1d(first, second))
    _same(sorted_union(first, second), np.union1d(first, second))


@given(hnp.arrays(np.float64, st.integers(0, 30), elements=st.sampled_from([0.5, -1.0, np.nan, 2.0])))
def test_other_dtypes_are_numpys(values: np.ndarray) -> None:
    _same(sorted_unique(values), np.unique(values))  # NaNs collapse as numpy's do


@pytest.mark.parametrize("size", [0, 1, 2])
def test_short_arrays(size: int) -> None:
    values = np.array([7, 7][:size], dtype=np.int64)
    _same(sorted_unique(values), np.unique(values))
    _same(sorted_unique(values.tolist()), np.unique(values.tolist()))


def test_large_array_of_many_distinct_values() -> None:
    values = np.random.default_rng(1).integers(0, 3_000_000, 500_000) * 11 + 3
    _same(sorted_unique(values), np.unique(values))
    _same(sorted_setdiff(values, values[::2]), np.setdiff1d(values, values[::2]))


@given(st.lists(st.integers(0, 3), max_size=40))
def test_run_starts_as_a_loop(values: list[int]) -> None:
    expected = [0 if i == 0 or values[i] != values[i - 1] else -1 for i in range(len(values))]
    for i, start in enumerate(expected):
        expected[i] = i if start == 0 else expected[i - 1]
    got = run_starts(np.array(values, dtype=np.int64))
    assert got.dtype == np.int64 and got.tolist() == expected


@given(hnp.arrays(np.int64, st.integers(0, 60), elements=st.integers(-5, 30)), st.booleans())
def test_first_occurrences_as_pandas(keys: np.ndarray, ordered: bool) -> None:
    """The first place of each value, as ``pd.Index.duplicated`` marks them, whether the keys come nearly
    in order (as the credits' keys do) or not; None exactly when no value repeats."""
    keys = np.sort(keys) if ordered else keys
    expected = ~pd.Index(keys).duplicated()
    found = first_occurrences(keys)
    if expected.all():
        assert found is None
    else:
        assert found is not None
        np.testing.assert_array_equal(found, expected)


@given(hnp.arrays(np.int64, st.integers(0, 60), elements=st.integers(0, 40)), st.integers(0, 3))
def test_dense_unique_as_numpy(values: np.ndarray, wide: int) -> None:
    """The distinct values and each value's place among them, by counting (a small span) and by
    ``np.unique`` (a span far wider than the values), as ``np.unique(return_inverse=True)`` gives them."""
    span = 41 if wide == 0 else 10**12
    distinct, inverse = dense_unique(values, span)
    expected, places = np.unique(values, return_inverse=True)
    _same(distinct, expected.astype(np.int64))
    _same(inverse, places.astype(np.int64).ravel())
