"""Cache files are validated on load: a state of the wrong shape, a report, listing or headline row that
misses a key or has one of the wrong type, a Parquet file missing a column, with a column of the wrong type
or with another number of rows than the state records: each is one warning and a rebuild, never a traceback
and never a silently wrong frame."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from core.config import Reporters
from core.storing.cache import CacheStore, cache_key, read_frame
from core.storing.ingest import Corpus, ingest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NO_ALIASES = Reporters()
# every section of the state is non-empty: stories, listing entries (listings, digests, article pages),
# headline lists, an unrecognised page and an unreadable file (an error report, no sha256)
PAGES = ["headline_list.txt", "latin1.txt", "bylines_and_sections.txt"]
PAGES2 = ["article.txt", "digest_cx_daily.txt", "listing_belt_and_road.txt", "listing_home_undated.txt", "unrelated.txt"]
LISTING = "listing_belt_and_road.txt"  # a file with listing entries
HEADLINES = "headline_list.txt"  # a file with headline-list lines
CHANGED = "latin1.txt"  # the file changed for the incremental runs


def make_inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in PAGES:
        shutil.copy(FIXTURES / "pages" / name, folder / name)
    for name in PAGES2:
        shutil.copy(FIXTURES / "pages2" / name, folder / name)
    (folder / "scan.txt").write_bytes(b"\x89PNG\x00\x00binary")
    return folder


def run(folder: Path, cache: Path) -> Corpus:
    return ingest([folder], cache_dir=cache, reporters=NO_ALIASES, workers=1)


def store_of(folder: Path, cache: Path) -> CacheStore:
    return CacheStore(cache / cache_key([os.fspath(folder)]))


def change_a_file(folder: Path) -> None:
    path = folder / CHANGED
    path.write_bytes(path.read_bytes() + b"\nBy Mo Yelin / Aug 01, 2019 05:50 PM / Economy\n\nA new story.\n")


def assert_same(corpus: Corpus, clean: Corpus) -> None:
    pd.testing.assert_frame_equal(corpus.articles, clean.articles)
    pd.testing.assert_frame_equal(corpus.listings, clean.listings)
    pd.testing.assert_frame_equal(corpus.headlines, clean.headlines)
    assert corpus.report.to_dict() == clean.report.to_dict()


# -- the state ------------------------------------------------------------------------------------------

Edit = Callable[[dict[str, Any], Callable[[str], str]], None]


def _set(*keys: str, value: Any) -> Edit:
    """Set ``state[k1][k2]...`` to ``value``; a key ``@name`` is the state key of the input file ``name``."""

    def edit(state: dict[str, Any], key_of: Callable[[str], str]) -> None:
        target = state
        path = [key_of(k[1:]) if k.startswith("@") else k for k in keys]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def _drop(*keys: str) -> Edit:
    def edit(state: dict[str, Any], key_of: Callable[[str], str]) -> None:
        target = state
        path = [key_of(k[1:]) if k.startswith("@") else k for k in keys]
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return edit


def _first(section: str, name: str, edit: Callable[[dict[str, Any]], None]) -> Edit:
    """Edit the first listing entry of ``name`` (``listings``) or the first listing row (``listing_rows``)."""

    def apply(state: dict[str, Any], key_of: Callable[[str], str]) -> None:
        rows = state["listing_rows"] if section == "listing_rows" else state["listings"][key_of(name)]
        assert rows, "the fixture gives entries"
        edit(rows[0])

    return apply


def _without(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda row: row.pop(key)


def _with(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda row: row.__setitem__(key, value)


STATE_EDITS: dict[str, Edit] = {
    # top level
    "generation-int": _set("generation", value=12),
    "generation-path": _set("generation", value="../../elsewhere"),
    "config-int": _set("config", value=3),
    "parser-missing": _drop("parser"),
    "duplicates-str": _set("duplicates_merged", value="1"),
    "reporter-merges-list": _set("reporter_merges", value=["a", "b"]),
    "reporter-merges-value-int": _set("reporter_merges", value={"A B": 1}),
    "listing-rows-missing": _drop("listing_rows"),
    "listings-missing": _drop("listings"),
    "rows-missing": _drop("rows"),
    "rows-records-str": _set("rows", "records", value="5"),
    # files
    "files-list": _set("files", value=[]),
    "file-entry-str": _set("files", f"@{LISTING}", value="size=1"),
    "file-size-missing": _drop("files", f"@{LISTING}", "size"),
    "file-size-str": _set("files", f"@{LISTING}", "size", value="3731"),
    "file-size-float": _set("files", f"@{LISTING}", "size", value=3731.5),
    "file-size-bool": _set("files", f"@{LISTING}", "size", value=True),
    "file-size-negative": _set("files", f"@{LISTING}", "size", value=-1),
    "file-mtime-missing": _drop("files", f"@{LISTING}", "mtime_ns"),
    "file-mtime-null": _set("files", f"@{LISTING}", "mtime_ns", value=None),
    "file-mtime-str": _set("files", f"@{LISTING}", "mtime_ns", value="17"),
    "file-sha-missing": _drop("files", f"@{LISTING}", "sha256"),
    "file-sha-int": _set("files", f"@{LISTING}", "sha256", value=0),
    # page reports
    "reports-list": _set("reports", value=[]),
    "report-missing": _drop("reports", f"@{LISTING}"),
    "report-str": _set("reports", f"@{LISTING}", value="a report"),
    **{
        f"report-{key}-missing": _drop("reports", f"@{LISTING}", key)
        for key in ("source", "shape", "shape_reason", "lines", "blank", "roles", "unknown", "warnings",
                    "error", "stories", "entries")
    },
    "report-lines-str": _set("reports", f"@{LISTING}", "lines", value="10"),
    "report-blank-null": _set("reports", f"@{LISTING}", "blank", value=None),
    "report-stories-float": _set("reports", f"@{LISTING}", "stories", value=1.0),
    "report-entries-str": _set("reports", f"@{LISTING}", "entries", value="5"),
    "report-shape-int": _set("reports", f"@{LISTING}", "shape", value=1),
    "report-source-null": _set("reports", f"@{LISTING}", "source", value=None),
    "report-roles-list": _set("reports", f"@{LISTING}", "roles", value=["body"]),
    "report-role-count-str": _set("reports", f"@{LISTING}", "roles", "body", value="3"),
    "report-unknown-dict": _set("reports", f"@{LISTING}", "unknown", value={"line": 1}),
    "report-unknown-row-list": _set("reports", f"@{LISTING}", "unknown", value=[[1, "text"]]),
    "report-unknown-row-no-text": _set("reports", f"@{LISTING}", "unknown", value=[{"line": 1}]),
    "report-unknown-row-line-str": _set("reports", f"@{LISTING}", "unknown", value=[{"line": "1", "text": "x"}]),
    "report-warnings-str": _set("reports", f"@{LISTING}", "warnings", value="a warning"),
    "report-warnings-int-item": _set("reports", f"@{LISTING}", "warnings", value=[1]),
    "report-error-int": _set("reports", f"@{LISTING}", "error", value=1),
    # headline lists
    "headlines-list": _set("headlines", value=[]),
    "headlines-missing-file": _drop("headlines", f"@{HEADLINES}"),
    "headlines-of-file-dict": _set("headlines", f"@{HEADLINES}", value={"14": "x"}),
    "headline-row-str": _set("headlines", f"@{HEADLINES}", value=["14 A headline"]),
    "headline-row-short": _set("headlines", f"@{HEADLINES}", value=[[14]]),
    "headline-row-long": _set("headlines", f"@{HEADLINES}", value=[[14, "A", "B"]]),
    "headline-row-line-str": _set("headlines", f"@{HEADLINES}", value=[["14", "A headline"]]),
    "headline-row-text-null": _set("headlines", f"@{HEADLINES}", value=[[14, None]]),
    # listing entries of one file
    "listings-list": _set("listings", value=[]),
    "listings-missing-file": _drop("listings", f"@{LISTING}"),
    "listings-of-file-dict": _set("listings", f"@{LISTING}", value={}),
    "listing-row-str": _set("listings", f"@{LISTING}", value=["a row"]),
    **{
        f"listing-{key}-missing": _first("listings", LISTING, _without(key))
        for key in ("headline", "summary", "published_at", "group", "source", "line", "article_id")
    },
    "listing-line-str": _first("listings", LISTING, _with("line", "5")),
    "listing-headline-null": _first("listings", LISTING, _with("headline", None)),
    "listing-date-garbage": _first("listings", LISTING, _with("published_at", "not a date")),
    "listing-date-int": _first("listings", LISTING, _with("published_at", 20200101)),
    "listing-date-naive": _first("listings", LISTING, _with("published_at", "2020-01-01T10:00:00")),
    "listing-date-out-of-range": _first("listings", LISTING, _with("published_at", "0001-01-01T00:00:00+08:00")),
    "listing-article-id-int": _first("listings", LISTING, _with("article_id", 7)),
    # the listing rows the dashboard shows
    "listing-rows-dict": _set("listing_rows", value={}),
    "listing-rows-row-list": _first("listing_rows", "", lambda row: (row.clear(), row.update({"x": 1}))),
    **{
        f"listing-row-{key}-missing": _first("listing_rows", "", _without(key))
        for key in ("headline", "summary", "published_at", "group", "source", "line", "article_id")
    },
    "listing-row-line-float": _first("listing_rows", "", _with("line", 5.5)),
    "listing-row-date-garbage": _first("listing_rows", "", _with("published_at", "31/12/2020")),
    "listing-row-date-out-of-range": _first("listing_rows", "", _with("published_at", "9999-12-31T00:00:00+08:00")),
    "listing-row-group-int": _first("listing_rows", "", _with("group", 3)),
}


@pytest.mark.parametrize("changed", [False, True], ids=["unchanged", "one-file-changed"])
@pytest.mark.parametrize("edit", sorted(STATE_EDITS))
def test_a_state_of_the_wrong_shape_is_rebuilt_with_a_warning(tmp_path: Path, edit: str, changed: bool) -> None:
    folder = make_inputs(tmp_path)
    cache = tmp_path / "cache"
    run(folder, cache)
    store = store_of(folder, cache)
    state = json.loads(store.state_path.read_text(encoding="utf-8"))
    STATE_EDITS[edit](state, lambda name: str(folder / name))
    store.state_path.write_text(json.dumps(state), encoding="utf-8")
    if changed:
        change_a_file(folder)

    corpus = run(folder, cache)

    assert not corpus.from_cache
    assert len(corpus.cache_warnings) == 1, corpus.cache_warnings
    assert "rebuilding" in corpus.cache_warnings[0] and "\n" not in corpus.cache_warnings[0]
    assert str(store.state_path) in corpus.cache_warnings[0]
    assert_same(corpus, run(folder, tmp_path / "clean"))
    again = run(folder, cache)
    assert again.from_cache and again.cache_warnings == []


def test_the_state_is_valid_as_written(tmp_path: Path) -> None:
    """The validation accepts what ingest writes, also after an incremental run (no endless rebuilds)."""
    folder = make_inputs(tmp_path)
    cache = tmp_path / "cache"
    run(folder, cache)
    change_a_file(folder)
    changed = run(folder, cache)
    assert changed.cache_warnings == [] and not changed.from_cache
    again = run(folder, cache)
    assert again.from_cache and again.cache_warnings == []
    assert_same(again, run(folder, tmp_path / "clean"))


# -- the Parquet files ----------------------------------------------------------------------------------

FrameEdit = Callable[[pd.DataFrame], pd.DataFrame]

FRAME_EDITS: dict[str, FrameEdit] = {
    "authors-missing": lambda f: f.drop(columns="authors"),
    "body-missing": lambda f: f.drop(columns="body"),
    "published-at-missing": lambda f: f.drop(columns="published_at"),
    "article-id-missing": lambda f: f.drop(columns="article_id"),
    "extra-column": lambda f: f.assign(extra=1),
    "word-count-str": lambda f: f.assign(word_count=f["word_count"].astype(str)),
    "word-count-int64": lambda f: f.assign(word_count=f["word_count"].astype("int64")),
    "paragraphs-float": lambda f: f.assign(paragraphs=f["paragraphs"].astype("float64")),
    "teaser-int": lambda f: f.assign(teaser=f["teaser"].astype("int64")),
    "authors-str": lambda f: f.assign(authors=f["authors"].map(", ".join)),
    "sources-str": lambda f: f.assign(sources=f["sources"].map(" ".join)),
    "body-list": lambda f: f.assign(body=f["body"].map(lambda b: [b])),
    "published-at-naive": lambda f: f.assign(published_at=f["published_at"].dt.tz_localize(None)),
    "published-at-str": lambda f: f.assign(published_at=f["published_at"].astype(str)),
    "headline-match-str": lambda f: f.assign(headline_match=f["headline_match"].astype(str)),
    "body-null": lambda f: f.assign(body=f["body"].where(f.index != 0, None)),
    "article-id-null": lambda f: f.assign(article_id=f["article_id"].where(f.index != 0, None)),
    "row-missing": lambda f: f.iloc[1:],
    "row-twice": lambda f: pd.concat([f, f.iloc[:1]], ignore_index=True),
    "no-rows": lambda f: f.iloc[:0],
}

RECORD_EDITS: dict[str, FrameEdit] = {
    **FRAME_EDITS,
    "file-column-missing": lambda f: f.drop(columns="_file"),
    "file-column-null": lambda f: f.assign(_file=f["_file"].where(f.index != 0, None)),
    "file-unknown": lambda f: f.assign(_file=f["_file"].where(f.index != 0, "/nowhere/else.txt")),
}


def _rewrite(path: Path, edit: FrameEdit) -> None:
    frame = read_frame(path)
    edit(frame).to_parquet(path, index=False)


@pytest.mark.parametrize("edit", sorted(FRAME_EDITS))
def test_an_articles_file_of_the_wrong_schema_is_rebuilt(tmp_path: Path, edit: str) -> None:
    folder = make_inputs(tmp_path)
    cache = tmp_path / "cache"
    run(folder, cache)
    store = store_of(folder, cache)
    state = store.load_state()
    assert state is not None
    path = store.articles_path(state["generation"])
    _rewrite(path, FRAME_EDITS[edit])

    corpus = run(folder, cache)  # nothing changed: the articles file would be used as it is

    assert not corpus.from_cache
    assert len(corpus.cache_warnings) == 1, corpus.cache_warnings
    assert "rebuilding" in corpus.cache_warnings[0] and "\n" not in corpus.cache_warnings[0]
    assert path.name in corpus.cache_warnings[0]
    assert_same(corpus, run(folder, tmp_path / "clean"))
    assert run(folder, cache).from_cache


@pytest.mark.parametrize("edit", sorted(RECORD_EDITS))
def test_a_records_file_of_the_wrong_schema_is_rebuilt(tmp_path: Path, edit: str) -> None:
    folder = make_inputs(tmp_path)
    cache = tmp_path / "cache"
    run(folder, cache)
    store = store_of(folder, cache)
    state = store.load_state()
    assert state is not None
    path = store.records_path(state["generation"])
    _rewrite(path, RECORD_EDITS[edit])
    change_a_file(folder)  # the records of the other files would be reused

    corpus = run(folder, cache)

    assert not corpus.from_cache
    assert len(corpus.cache_warnings) == 1, corpus.cache_warnings
    assert "rebuilding" in corpus.cache_warnings[0] and "\n" not in corpus.cache_warnings[0]
    assert path.name in corpus.cache_warnings[0]
    assert_same(corpus, run(folder, tmp_path / "clean"))
    assert run(folder, cache).from_cache


def test_a_cache_of_the_previous_format_is_rebuilt_quietly(tmp_path: Path) -> None:
    """A cache written before the state recorded its row counts (format 1) is not an error: it is
    rebuilt like a cache of another parser version."""
    folder = make_inputs(tmp_path)
    cache = tmp_path / "cache"
    run(folder, cache)
    store = store_of(folder, cache)
    state = json.loads(store.state_path.read_text(encoding="utf-8"))
    del state["rows"]
    state["format"] = 1
    store.state_path.write_text(json.dumps(state), encoding="utf-8")
    corpus = run(folder, cache)
    assert not corpus.from_cache and corpus.cache_warnings == []
    assert run(folder, cache).from_cache
