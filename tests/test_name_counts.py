"""The reporter filter's counts (``core.storing.collection.name_counts``): counted in Arrow when the
authors are Arrow lists and the agency Arrow text, otherwise through Python strings; the same counts
either way, and the same reporter options."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from core.storing.collection import name_counts
from core.storing.frame import ARROW_LIST

_NAMES = st.sampled_from(["Wang Xintong", "Li Rongde", "", "é", "Reuters", "Bloomberg, Reuters"])


def _reference(authors: list[list[str]], agencies: list[str | None]) -> Counter[str]:
    counts = Counter(name for names in authors for name in names)
    counts.update(agency for agency in agencies if agency is not None)
    return counts


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.lists(_NAMES, max_size=3), st.one_of(st.none(), _NAMES)), max_size=30))
def test_the_counts_in_arrow_are_those_through_strings(stories: list[tuple[list[str], str | None]]) -> None:
    authors = [names for names, _ in stories]
    agencies = [agency for _, agency in stories]
    want = _reference(authors, agencies)
    arrow = pd.DataFrame(
        {
            "authors": pd.Series(pa.array(authors, ARROW_LIST.pyarrow_dtype), dtype=ARROW_LIST),
            "agency": pd.Series(agencies, dtype="str"),
        }
    )
    python = pd.DataFrame({"authors": pd.Series(authors, dtype=object), "agency": pd.Series(agencies, dtype=object)})
    for frame in (arrow, python):
        got = name_counts(frame)
        assert got == want
        assert sorted(got, key=lambda n: (-got[n], n)) == sorted(want, key=lambda n: (-want[n], n))
