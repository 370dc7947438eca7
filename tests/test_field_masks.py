"""Field queries (``author:``, ``section:``, ``agency:``, ``theme:``) as boolean arrays: the same rows as a
plain pandas filter of the frame, and a ``theme:`` follows the memberships handed to it (rows kept only
while the same set of members is handed out)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.storing.collection import Collection, open_collection


@pytest.fixture(scope="module")
def collection(many_pages: Path, tmp_path_factory: pytest.TempPathFactory) -> Collection:
    return open_collection([many_pages], cache_dir=tmp_path_factory.mktemp("cache"))


def _expected(collection: Collection, name: str, value: str) -> np.ndarray:
    frame = collection.articles
    if name == "section":
        return frame["section"].astype(str).str.lower().str.startswith(value).to_numpy(dtype=bool)
    if name == "agency":
        agency = frame["agency"].astype(object)
        if value == "any":
            return agency.notna().to_numpy(dtype=bool)
        if value == "none":
            return agency.isna().to_numpy(dtype=bool)
        return np.array([a is not None and value in str(a).lower().split(", ") for a in agency], dtype=bool)
    if name == "author":
        return np.array([any(value == a.lower() for a in authors) for authors in frame["authors"]], dtype=bool)
    ids = collection.theme_ids(value) or set()
    return frame["article_id"].astype(str).isin(ids).to_numpy(dtype=bool)


def test_field_masks_are_the_rows_a_plain_filter_finds(collection: Collection) -> None:
    frame = collection.articles
    sections = sorted({s.lower() for s in frame["section"].astype(str) if s})
    agencies = sorted({a.lower() for a in frame["agency"].dropna().astype(str)})
    authors = sorted({a.lower() for names in frame["authors"] for a in names})
    cases = [("section", s) for s in sections] + [("section", sections[0][:3])]
    cases += [("agency", a) for a in agencies[:4]] + [("agency", "any"), ("agency", "none")]
    cases += [("author", a) for a in authors[:5]] + [("theme", t.slug) for t in collection.themes]
    checked = 0
    for name, value in cases:
        query = f'{name}:"{value}"'
        got = collection.index.mask(query, collection.theme_ids)
        want = _expected(collection, name, value)
        assert np.array_equal(got, want), query
        found = collection.index.search(query, collection.theme_ids)
        assert set(np.flatnonzero(got).tolist()) == {frame.index.get_loc(i) for i in found.index}, query
        checked += int(want.any())
    assert checked >= 10  # the cases find stories, so an always-empty mask would fail


def test_a_theme_query_follows_new_memberships(collection: Collection) -> None:
    ids = collection.articles["article_id"].astype(str).tolist()
    first, second = set(ids[:5]), set(ids[10:12])
    lookup = {"x": first}
    got = collection.index.mask("theme:x", lookup.get)
    assert np.flatnonzero(got).tolist() == [0, 1, 2, 3, 4]
    lookup["x"] = second  # matched again: a new set
    got = collection.index.mask("theme:x", lookup.get)
    assert np.flatnonzero(got).tolist() == [10, 11]
