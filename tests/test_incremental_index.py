"""Incremental index and theme memberships: one changed page updates the stored FTS index (only the
changed stories' documents) and re-matches only the changed stories' themes, with exactly the results of
a fresh build."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import core.storing.search as search
from bench.bench_search import QUERIES
from bench.corpus import generate_corpus
from core.analysing.themes import match_themes
from core.storing.collection import Collection, compact_memberships, open_collection
from core.storing.search import SearchIndex

EXTRA = ["huawei", "tariff*", '"trade war"', "-china", "china -huawei", "evergrande OR tiktok"]


def _queries() -> list[str]:
    out = []
    for query in [*QUERIES, *EXTRA]:
        text = query[0] if isinstance(query, tuple) else query
        out.append(str(text))
    return out


def _edit_body(path: Path) -> bool:
    """Append words to the longest body paragraph: beyond the story's first 12 words, so its id stays."""
    lines = path.read_text(encoding="utf-8").split("\n")
    number = max(range(len(lines)), key=lambda n: len(lines[n].split()))
    if len(lines[number].split()) <= 12:
        return False
    lines[number] += " Huawei tariffs zyxwordedited Evergrande trade war."
    path.write_text("\n".join(lines), encoding="utf-8")
    return True


def _check(collection: Collection) -> None:
    frame = collection.articles
    fresh = SearchIndex.open(frame, None)
    for query in _queries():
        got = collection.index.mask(query, collection.theme_ids)
        want = fresh.mask(query, collection.theme_ids)
        assert np.array_equal(got, want), query
        assert (
            collection.index.search(query)["article_id"].tolist()
            == fresh.search(query)["article_id"].tolist()
        ), query
    full = match_themes(fresh, collection.themes)
    # a collection holds its memberships compacted (theme and evidence as categoricals): the same values
    pd.testing.assert_frame_equal(collection.memberships.reset_index(drop=True), compact_memberships(full))
    pd.testing.assert_frame_equal(collection.memberships.reset_index(drop=True).astype(full.dtypes.to_dict()), full)
    stored = match_themes(collection.index, collection.themes)
    pd.testing.assert_frame_equal(stored, full)


@pytest.fixture
def pages(many_pages_copy: Path) -> Path:
    return many_pages_copy


def test_edits_update_the_index_and_memberships_incrementally(
    pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first = open_collection([pages], cache_dir=cache)
    assert first.index.how == "built"
    _check(first)
    files = sorted(pages.iterdir())

    # from here on, a full build of a stored index or a full theme match fails the test
    real_fill = search._fill

    def guarded_fill(db: object, frame: pd.DataFrame, keys: object) -> None:
        if keys is not None:
            raise AssertionError("the stored index was rebuilt")
        real_fill(db, frame, keys)  # type: ignore[arg-type]

    monkeypatch.setattr(search, "_fill", guarded_fill)

    # 1. a story's body changed beyond its first 12 words: same id, new content
    assert _edit_body(files[3])
    edited = open_collection([pages], cache_dir=cache)
    assert set(edited.articles["article_id"]) == set(first.articles["article_id"])
    assert edited.index.how == "updated"
    assert edited.index.inserted == 1
    assert edited.files is not None and "themes" in edited.files.updated
    assert edited.index.search("zyxwordedited")["article_id"].tolist() != []
    _check(edited)

    # 2. a page added
    other = tmp_path / "other"
    generate_corpus(other, 3, seed=7, stories_per_page=1)
    shutil.copyfile(other / "page_00001.txt", pages / "page_99999.txt")
    grown = open_collection([pages], cache_dir=cache)
    assert grown.index.how == "updated"
    assert 1 <= grown.index.inserted <= 2
    _check(grown)

    # 3. a page deleted
    files[10].unlink()
    shrunk = open_collection([pages], cache_dir=cache)
    assert shrunk.index.how == "updated"
    assert shrunk.index.inserted <= 1
    assert len(shrunk.articles) < len(grown.articles)
    _check(shrunk)

    # 4. unchanged: the index is reused as it is
    again = open_collection([pages], cache_dir=cache)
    assert again.index.how == "reused" and again.index.inserted == 0
    _check(again)
    assert len(list(again.corpus.cache_root.glob("fts-*.sqlite"))) == 1


def test_edited_story_is_not_found_in_a_stale_index(pages: Path, tmp_path: Path) -> None:
    """An edit beyond the first 12 words keeps the story's id; the index must still change."""
    cache = tmp_path / "cache"
    open_collection([pages], cache_dir=cache)
    assert _edit_body(sorted(pages.iterdir())[5])
    edited = open_collection([pages], cache_dir=cache)
    assert len(edited.index.search("zyxwordedited")) == 1


def test_many_changes_rebuild(pages: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    open_collection([pages], cache_dir=cache)
    for number, path in enumerate(sorted(pages.iterdir())):
        if number % 5:
            _edit_body(path)
    changed = open_collection([pages], cache_dir=cache)
    assert changed.index.how == "built"
    _check(changed)


@pytest.mark.parametrize("keys_file", ["kept", "removed", "damaged"])
def test_an_update_reads_the_keys_file_as_it_would_the_docmap(
    pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keys_file: str
) -> None:
    """The update finds each story's document from the keys file written beside the index (not the docmap
    out of SQLite); without it, or with one cut short, from the docmap: the same documents either way."""
    cache = tmp_path / "cache"
    first = open_collection([pages], cache_dir=cache)
    docmap_reads = []
    real = search._stored_keys
    monkeypatch.setattr(search, "_stored_keys", lambda db: docmap_reads.append(1) or real(db))

    def keys_files() -> list[Path]:
        return sorted(first.corpus.cache_root.glob(f"fts-*{search.KEYS_SUFFIX}"))

    files = sorted(pages.iterdir())
    other = tmp_path / "other"
    generate_corpus(other, 3, seed=7, stories_per_page=1)
    for step, change in enumerate(
        [
            lambda: _edit_body(files[3]),
            lambda: shutil.copyfile(other / "page_00001.txt", pages / "page_99999.txt"),
            lambda: files[10].unlink(),
        ]
    ):
        (found,) = keys_files()
        if keys_file == "removed":
            found.unlink()
        elif keys_file == "damaged":
            found.write_bytes(found.read_bytes()[: found.stat().st_size // 2])
        change()
        updated = open_collection([pages], cache_dir=cache)
        assert updated.index.how == "updated"
        assert len(docmap_reads) == (0 if keys_file == "kept" else step + 1)
        _check(updated)
        # the docids the update gave each story: those of an update from the docmap
        row_of_doc = updated.index.row_of_doc
        assert row_of_doc is not None
        index = next(updated.corpus.cache_root.glob("fts-*.sqlite"))
        with closing(sqlite3.connect(index)) as db:
            docmap = dict(db.execute("SELECT docid, article_id FROM docmap").fetchall())
            stored = search._read_keys(index, db)
        ids = updated.articles["article_id"].astype(str).tolist()
        placed = np.flatnonzero(row_of_doc >= 0)
        assert {int(d): ids[row_of_doc[d]] for d in placed} == docmap
        assert stored is not None and stored.ids.to_pylist() == ids
        assert {int(d): ids[r] for r, d in enumerate(stored.docids.tolist())} == docmap
