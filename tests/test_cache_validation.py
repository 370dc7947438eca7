"""Cache files are validated on load: a state of the wrong shape, a part file (files, page reports,
headline lines, listing entries) missing, cut, of another schema or with a value of the wrong kind or
naming another file, a Parquet file missing a column, with a column of the wrong type or with another
number of rows than the state records: each is one warning and a rebuild (or, for a part whose values
turn out wrong only when it is first read, its values read from the pages), never a traceback and never a
silently wrong frame."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import Reporters
from core.errors import CacheError
from core.parsing.report import PageReport, ReportColumns
from core.storing.cache import CacheStore, _check_segment_files, _file_places, cache_key, read_frame
from core.storing.ingest import Corpus, ingest
from core.storing.parts import PARTS, FileTable, part_rows, part_table, read_part, write_part

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


def assert_rebuilt_once(corpus: Corpus) -> None:
    """Built from the pages, with one warning of one line saying the cache is rebuilt."""
    assert not corpus.from_cache
    assert len(corpus.cache_warnings) == 1, corpus.cache_warnings
    assert "rebuilding" in corpus.cache_warnings[0] and "\n" not in corpus.cache_warnings[0]


def alternately(cases: list[str]) -> list[Any]:
    """Each case once, every other one with a file of the inputs changed as well (the incremental path)
    and the rest with the inputs unchanged (the warm start): both paths, at half the cost of both for each."""
    return [
        pytest.param(case, bool(n % 2), id=f"{case}-{'one-file-changed' if n % 2 else 'unchanged'}")
        for n, case in enumerate(cases)
    ]


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


def _segment(index: int, value: Any) -> Edit:
    """Set item ``index`` (0: the key, 1: the row count) of the state's first segment."""

    def edit(state: dict[str, Any], key_of: Callable[[str], str]) -> None:
        state["segments"][0][index] = value

    return edit


# ``state.json`` holds the keys below (format 5); the per-file sections are in the part files (further down)
STATE_EDITS: dict[str, Edit] = {
    "generation-int": _set("generation", value=12),
    "generation-path": _set("generation", value="../../elsewhere"),
    "config-int": _set("config", value=3),
    "parser-missing": _drop("parser"),
    "duplicates-str": _set("duplicates_merged", value="1"),
    "reporter-merges-list": _set("reporter_merges", value=["a", "b"]),
    "reporter-merges-value-int": _set("reporter_merges", value={"A B": 1}),
    "rows-missing": _drop("rows"),
    "rows-records-str": _set("rows", "records", value="5"),
    "rows-reports-missing": _drop("rows", "reports"),
    "rows-listing-rows-negative": _set("rows", "listing-rows", value=-1),
    "rows-headlines-other": _set("rows", "headlines", value=3),
    "rows-files-bool": _set("rows", "files", value=True),
    "summary-missing": _drop("summary"),
    "summary-lines-str": _set("summary", "lines", value="376"),
    "summary-blank-float": _set("summary", "blank", value=1.0),
    "summary-roles-list": _set("summary", "roles", value=["body"]),
    "summary-role-negative": _set("summary", "roles", "body", value=-3),
    "summary-errors-list": _set("summary", "errors", value=["an error"]),
    "summary-error-int": _set("summary", "errors", "@scan.txt", value=1),
    "summary-error-of-another-file": _set("summary", "errors", value={"/nowhere/else.txt": "an error"}),
    "summary-errors-missing": _drop("summary", "errors"),
    "segments-missing": _drop("segments"),
    "segments-dict": _set("segments", value={"a": 1}),
    "segments-key-path": _segment(0, "../../elsewhere"),
    "segments-rows-other": _segment(1, 1),
    "segments-rows-str": _segment(1, "5"),
    "segments-twice": lambda state, key_of: state["segments"].append(list(state["segments"][0])),
}


@pytest.mark.parametrize(("edit", "changed"), alternately(sorted(STATE_EDITS)))
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

    assert_rebuilt_once(corpus)
    assert_same(corpus, run(folder, tmp_path / "clean"))
    assert len(corpus.cache_warnings) == 1, corpus.cache_warnings  # nothing more when the parts were read
    again = run(folder, cache)
    assert again.from_cache and again.cache_warnings == []


def test_the_state_is_small(tmp_path: Path) -> None:
    """``state.json`` names no input file but those with an error: its size does not grow with the files."""
    folder = make_inputs(tmp_path)
    cache = tmp_path / "cache"
    run(folder, cache)
    state = json.loads(store_of(folder, cache).state_path.read_text(encoding="utf-8"))
    assert set(state) == {"format", "parser", "config", "generation", "rows", "segments", "duplicates_merged",
                          "reporter_merges", "summary"}
    assert len(state["segments"]) <= 2  # a segment is some 256 files: the list grows 256 times slower
    assert list(state["summary"]["errors"]) == [str(folder / "scan.txt")]
    text = json.dumps(state)
    assert str(folder / LISTING) not in text and str(folder / HEADLINES) not in text


# -- the part files of the state ------------------------------------------------------------------------

# An edit of a part file: the table in, the table to write out (``key_of`` gives the ``file`` of an input)
PartEdit = Callable[[pa.Table, Callable[[str], str]], pa.Table]


def _cast(column: str, kind: pa.DataType) -> PartEdit:
    def edit(table: pa.Table, key_of: Callable[[str], str]) -> pa.Table:
        index = table.schema.get_field_index(column)
        return table.set_column(index, column, pc.cast(table.column(column), kind))

    return edit


def _drop_column(column: str) -> PartEdit:
    return lambda table, key_of: table.drop_columns([column])


def _rows(change: Callable[[list[dict[str, Any]], Callable[[str], str]], None]) -> PartEdit:
    """Edit the rows as dicts; the table keeps its schema."""

    def edit(table: pa.Table, key_of: Callable[[str], str]) -> pa.Table:
        rows = table.to_pylist()
        change(rows, key_of)
        return pa.Table.from_pylist(rows, schema=table.schema)

    return edit


def _of(name: str, change: Callable[[dict[str, Any]], None]) -> PartEdit:
    """Edit the first row of the input file ``name`` (``""``: the first row of the table)."""

    def apply(rows: list[dict[str, Any]], key_of: Callable[[str], str]) -> None:
        row = next(r for r in rows if not name or r.get("file") == key_of(name))
        change(row)

    return _rows(apply)


def _value(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda row: row.__setitem__(key, value)


def _role(role: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda row: row["roles"].__setitem__(role, value)


def _without_row(name: str) -> PartEdit:
    return _rows(lambda rows, key_of: rows.remove(next(r for r in rows if r["file"] == key_of(name))))


def _row_twice(rows: list[dict[str, Any]], key_of: Callable[[str], str]) -> None:
    rows.append(dict(rows[0]))


OTHER = "/nowhere/else.txt"

# (part, edit, when it is found: "start" (the footer: columns, types, row count) or "read" (the values))
PART_EDITS: dict[str, tuple[str, PartEdit, str]] = {
    # the files table: read and checked whole at every start
    "files-size-str": ("files", _cast("size", pa.string()), "start"),
    "files-size-float": ("files", _cast("size", pa.float64()), "start"),
    "files-mtime-missing": ("files", _drop_column("mtime_ns"), "start"),
    "files-extra-column": ("files", lambda t, k: t.append_column("extra", pa.array([1] * t.num_rows)), "start"),
    "files-size-negative": ("files", _of(LISTING, _value("size", -1)), "start"),
    "files-mtime-null": ("files", _of(LISTING, _value("mtime_ns", None)), "start"),
    "files-sha-null": ("files", _of(LISTING, _value("sha256", None)), "start"),
    "files-name-null": ("files", _of(LISTING, _value("file", None)), "start"),
    "files-a-file-twice": ("files", _rows(_row_twice), "start"),
    # a file missing from the table, or one the inputs do not have: the parts then name other files
    "files-without-a-file": ("files", _without_row(LISTING), "read"),
    "files-another-file": ("files", _of(LISTING, _value("file", OTHER)), "read"),
    # the page reports
    "reports-lines-str": ("reports", _cast("lines", pa.string()), "start"),
    "reports-roles-missing": ("reports", _drop_column("roles"), "start"),
    "reports-error-missing": ("reports", _drop_column("error"), "start"),
    "reports-lines-negative": ("reports", _of(LISTING, _value("lines", -1)), "read"),
    "reports-source-null": ("reports", _of(LISTING, _value("source", None)), "read"),
    "reports-shape-null": ("reports", _of(LISTING, _value("shape", None)), "read"),
    "reports-role-count-null": ("reports", _of(LISTING, _role("body", None)), "read"),
    "reports-unknown-text-null": ("reports", _of(LISTING, _value("unknown", [{"line": 1, "text": None}])), "read"),
    "reports-unknown-null": ("reports", _of(LISTING, _value("unknown", None)), "read"),
    "reports-warnings-item-null": ("reports", _of(LISTING, _value("warnings", [None])), "read"),
    # each fault the reports' check by column (``_reports_sound``) looks for: found, the rows then checked one by one
    "reports-shape-reason-null": ("reports", _of(LISTING, _value("shape_reason", None)), "read"),
    "reports-blank-negative": ("reports", _of(LISTING, _value("blank", -2)), "read"),
    "reports-stories-negative": ("reports", _of(LISTING, _value("stories", -1)), "read"),
    "reports-entries-null": ("reports", _of(LISTING, _value("entries", None)), "read"),
    "reports-role-count-negative": ("reports", _of(LISTING, _role("body", -3)), "read"),
    "reports-unknown-line-negative": ("reports", _of(LISTING, _value("unknown", [{"line": -1, "text": "x"}])), "read"),
    "reports-unknown-row-null": ("reports", _of(LISTING, _value("unknown", [None])), "read"),
    "reports-warnings-null": ("reports", _of(LISTING, _value("warnings", None)), "read"),
    "reports-of-another-file": ("reports", _of(LISTING, _value("file", OTHER)), "read"),
    "reports-without-a-file": ("reports", _without_row(LISTING), "read"),
    "reports-a-file-twice": ("reports", _rows(_row_twice), "read"),
    # the headline-list lines
    "headlines-line-str": ("headlines", _cast("line", pa.string()), "start"),
    "headlines-text-missing": ("headlines", _drop_column("text"), "start"),
    "headlines-line-negative": ("headlines", _of(HEADLINES, _value("line", -14)), "read"),
    "headlines-text-null": ("headlines", _of(HEADLINES, _value("text", None)), "read"),
    "headlines-of-another-file": ("headlines", _of(HEADLINES, _value("file", OTHER)), "read"),
    # the listing entries of each file (read by an incremental ingest only)
    "listings-line-float": ("listings", _cast("line", pa.float64()), "start"),
    "listings-date-missing": ("listings", _drop_column("published_at"), "start"),
    "listings-headline-null": ("listings", _of(LISTING, _value("headline", None)), "read"),
    "listings-date-garbage": ("listings", _of(LISTING, _value("published_at", "not a date")), "read"),
    "listings-date-naive": ("listings", _of(LISTING, _value("published_at", "2020-01-01T10:00:00")), "read"),
    "listings-date-out-of-range": (
        "listings",
        _of(LISTING, _value("published_at", "0001-01-01T00:00:00+08:00")),
        "read",
    ),
    "listings-of-another-file": ("listings", _of(LISTING, _value("file", OTHER)), "read"),
    # the listing entries the dashboard shows
    "listing-rows-line-float": ("listing-rows", _cast("line", pa.float64()), "start"),
    "listing-rows-extra-column": (
        "listing-rows",
        lambda t, k: t.append_column("extra", pa.array(["x"] * t.num_rows)),
        "start",
    ),
    "listing-rows-group-null": ("listing-rows", _of("", _value("group", None)), "read"),
    "listing-rows-line-negative": ("listing-rows", _of("", _value("line", -5)), "read"),
    "listing-rows-date-garbage": ("listing-rows", _of("", _value("published_at", "31/12/2020")), "read"),
    "listing-rows-date-out-of-range": (
        "listing-rows",
        _of("", _value("published_at", "9999-12-31T00:00:00+08:00")),
        "read",
    ),
}


def _edit_part(store: CacheStore, part: str, edit: PartEdit, key_of: Callable[[str], str]) -> Path:
    """Rewrite one part file through ``edit``, and its row count in the state to match (so that the check
    of the values is what finds the edit, not the count)."""
    state = json.loads(store.state_path.read_text(encoding="utf-8"))
    path = store.part_path(part, state["generation"])
    table = edit(pq.read_table(path), key_of)
    pq.write_table(table, path)
    state["rows"][part] = table.num_rows
    store.state_path.write_text(json.dumps(state), encoding="utf-8")
    return path


def _damaged(tmp_path: Path, edit: str) -> tuple[Path, Path, Path]:
    """The inputs, the cache folder after one ingest, and the part file of that cache rewritten through
    ``PART_EDITS[edit]``."""
    folder = make_inputs(tmp_path)
    cache = tmp_path / "cache"
    run(folder, cache)
    part, change, _ = PART_EDITS[edit]
    return folder, cache, _edit_part(store_of(folder, cache), part, change, lambda name: str(folder / name))


@pytest.mark.parametrize(("edit", "changed"), alternately(sorted(PART_EDITS)))
def test_a_part_file_not_as_written_is_never_used(tmp_path: Path, edit: str, changed: bool) -> None:
    """A part file of the wrong schema is found at the start: one warning and a rebuild. One whose values
    are wrong is found when it is read: at once by an incremental ingest (which reuses it; it does not
    read the listing entries frame, which it makes anew), else when the corpus first uses it: one warning, the values read from the pages instead, the file removed (the
    next ingest rebuilds). Either way every value is that of a clean ingest."""
    folder, cache, path = _damaged(tmp_path, edit)
    part, _, found = PART_EDITS[edit]
    generation = path.stem.removeprefix(f"{part}-")
    if changed:
        change_a_file(folder)

    corpus = run(folder, cache)
    clean = run(folder, tmp_path / "clean")

    if changed and found == "read" and part == "listing-rows":
        # an incremental ingest makes the listing entries frame anew (from the listing entries of each
        # file), so the damaged frame is never read; the new generation has its own
        assert not corpus.from_cache and corpus.cache_warnings == [], corpus.cache_warnings
        assert_same(corpus, clean)
        assert not path.exists()
        assert run(folder, cache).from_cache
        return
    if changed or found == "start" or part == "files":
        assert not corpus.from_cache
        assert len(corpus.cache_warnings) == 1, corpus.cache_warnings
        assert "rebuilding" in corpus.cache_warnings[0] and "\n" not in corpus.cache_warnings[0]
        # a files table without a file (or with another) is found in the part that names the file
        assert (path.name if part != "files" or found == "start" else generation) in corpus.cache_warnings[0]
        assert_same(corpus, clean)
        assert len(corpus.cache_warnings) == 1
        assert run(folder, cache).from_cache
        return
    assert corpus.from_cache and corpus.cache_warnings == []
    assert_same(corpus, clean)  # reads the parts: the damaged one is read from the pages
    if part == "listings":  # the listing entries of each file are not used by a start from the cache
        assert corpus.cache_warnings == [] and path.exists()
        return
    assert len(corpus.cache_warnings) == 1, corpus.cache_warnings
    warning = corpus.cache_warnings[0]
    assert path.name in warning and "read from the pages instead" in warning and "\n" not in warning
    assert not path.exists()
    again = run(folder, cache)  # the part is gone: rebuilt
    assert not again.from_cache and len(again.cache_warnings) == 1 and "missing" in again.cache_warnings[0]
    assert_same(again, clean)
    assert run(folder, cache).from_cache


FILE_DAMAGE: dict[str, Callable[[Path], object]] = {
    "missing": lambda path: path.unlink(),
    "cut": lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
    "empty": lambda path: path.write_bytes(b""),
    "garbage": lambda path: path.write_bytes(b"PAR1 garbage PAR1"),
    "of-another-part": lambda path: shutil.copy(
        next(p for p in path.parent.glob("*.parquet") if p.name.startswith(("headlines-", "files-")) and p != path),
        path,
    ),
}


def written_part(tmp_path: Path, part: str) -> tuple[Path, Path, Path]:
    """The inputs, the cache folder after one ingest, and the file of ``part`` in that cache."""
    folder = make_inputs(tmp_path)
    cache = tmp_path / "cache"
    run(folder, cache)
    state = store_of(folder, cache).load_state()
    assert state is not None
    return folder, cache, store_of(folder, cache).part_path(part, state["generation"])


@pytest.mark.parametrize(("damage", "changed"), alternately(sorted(FILE_DAMAGE)))
@pytest.mark.parametrize("part", PARTS)
def test_a_damaged_part_file_is_rebuilt_at_the_start(tmp_path: Path, part: str, damage: str, changed: bool) -> None:
    folder, cache, path = written_part(tmp_path, part)
    FILE_DAMAGE[damage](path)
    if changed:
        change_a_file(folder)

    corpus = run(folder, cache)

    assert_rebuilt_once(corpus)
    assert path.name in corpus.cache_warnings[0]
    assert_same(corpus, run(folder, tmp_path / "clean"))
    assert run(folder, cache).from_cache


def test_a_part_with_one_row_less_than_the_state_says_is_rebuilt(tmp_path: Path) -> None:
    folder, cache, path = written_part(tmp_path, "headlines")
    pq.write_table(pq.read_table(path).slice(1), path)
    corpus = run(folder, cache)
    assert not corpus.from_cache and len(corpus.cache_warnings) == 1
    assert "19 rows, not 20" in corpus.cache_warnings[0]


def test_the_parts_are_read_when_first_used(tmp_path: Path) -> None:
    """A start from the cache reads the page reports, headline lines and listing entries only when
    something uses them; the line accounting and the errors come from the state until then."""
    folder = make_inputs(tmp_path)
    cache = tmp_path / "cache"
    first = run(folder, cache)
    store = store_of(folder, cache)
    state = store.load_state()
    assert state is not None
    corpus = run(folder, cache)
    assert corpus.from_cache and not corpus.report.loaded
    # emptied in place now (the start keeps them open): a part read from here on is read from the pages
    for part in ("reports", "headlines", "listing-rows"):
        store.part_path(part, state["generation"]).write_bytes(b"")
    assert corpus.report.line_accounting() == first.report.line_accounting()
    assert corpus.report.errors == first.report.errors and corpus.failed
    assert not corpus.report.loaded and corpus.cache_warnings == []
    assert corpus.report.to_dict() == first.report.to_dict()
    assert corpus.report.loaded and len(corpus.cache_warnings) == 1
    assert_same(corpus, first)
    assert len(corpus.cache_warnings) == 3 and all("read from the pages instead" in w for w in corpus.cache_warnings)


def test_parts_read_after_a_newer_generation_replaced_them_are_the_start_s(tmp_path: Path) -> None:
    """The parts are opened at the start: read after another ingest wrote a new generation (and removed
    this one's files), they give the values of the generation the frame came from, without a warning."""
    folder = make_inputs(tmp_path)
    cache = tmp_path / "cache"
    first = run(folder, cache)
    warm = run(folder, cache)
    assert warm.from_cache and not warm.report.loaded
    old = store_of(folder, cache).load_state()
    assert old is not None
    change_a_file(folder)
    newer = run(folder, cache)
    assert not newer.from_cache and newer.generation != warm.generation
    assert not store_of(folder, cache).part_path("reports", old["generation"]).exists()
    assert_same(warm, first)
    assert warm.cache_warnings == []


def test_a_text_that_is_not_utf8_is_kept_in_the_parts(tmp_path: Path) -> None:
    """A part with a text that is not UTF-8 (a file name with a byte that is not: a lone surrogate in
    Python) is written with its texts as bytes and read back as the same text."""
    odd = os.fsdecode(b"/pages/caf\xe9.txt")
    report = PageReport(odd, shape="unrecognised", lines=3, blank=1)
    report.unknown_line(1, "caf\udce9")
    report.warn(None, "no stories found on this page")
    rows = [{"file": odd, **report.to_dict()}, {"file": "/pages/plain.txt", **PageReport("/pages/plain.txt").to_dict()}]
    table = part_table("reports", rows)
    assert table.schema.field("file").type == pa.binary()
    path = tmp_path / "reports-0123.parquet"
    write_part(path, table)
    assert part_rows(path, read_part(path, "reports", 2)) == rows
    files = tmp_path / "files-0123.parquet"
    write_part(files, part_table("files", [{"file": odd, "size": 5, "mtime_ns": 7, "sha256": ""}]))
    assert dict(FileTable.read(files, 1)) == {odd: {"size": 5, "mtime_ns": 7, "sha256": ""}}


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


#: The articles file holds no column of the text file (``core.storing.text.MAPPED_COLUMNS``: the text and
#: the columns shown story by story; its damage is tested in ``tests/test_text_store.py``); an edit that
#: adds one is an extra column.
ARTICLE_EDITS: dict[str, FrameEdit] = {
    **{name: edit for name, edit in FRAME_EDITS.items() if not name.startswith(("body-", "sources-"))},
    "body-added": lambda f: f.assign(body="A body"),
    "caption-added": lambda f: f.assign(photo_caption="A caption"),
    "sources-added": lambda f: f.assign(sources=[["a.txt:1-2"]] * len(f)),
    "byline-added": lambda f: f.assign(byline="By Someone"),
}


@pytest.mark.parametrize("edit", sorted(ARTICLE_EDITS))
def test_an_articles_file_of_the_wrong_schema_is_rebuilt(tmp_path: Path, edit: str) -> None:
    folder = make_inputs(tmp_path)
    cache = tmp_path / "cache"
    run(folder, cache)
    store = store_of(folder, cache)
    state = store.load_state()
    assert state is not None
    path = store.articles_path(state["generation"])
    _rewrite(path, ARTICLE_EDITS[edit])

    corpus = run(folder, cache)  # nothing changed: the articles file would be used as it is

    assert_rebuilt_once(corpus)
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
    path = store.segment_paths(state)[0]
    _rewrite(path, RECORD_EDITS[edit])
    change_a_file(folder)  # the records of the other files would be reused

    corpus = run(folder, cache)

    assert_rebuilt_once(corpus)
    assert path.name in corpus.cache_warnings[0]
    assert_same(corpus, run(folder, tmp_path / "clean"))
    assert run(folder, cache).from_cache


@pytest.mark.parametrize("older", [1, 2, 3, 4])
def test_a_cache_of_a_previous_format_is_rebuilt_quietly(tmp_path: Path, older: int) -> None:
    """A cache of an earlier format (1: before the state recorded its row counts, 2: before the text
    file, 3: with the per-file sections in the state, 4: with one records file) is not an error: it is rebuilt like a cache of
    another parser version."""
    folder = make_inputs(tmp_path)
    cache = tmp_path / "cache"
    run(folder, cache)
    store = store_of(folder, cache)
    state = json.loads(store.state_path.read_text(encoding="utf-8"))
    del state["rows"]
    state["format"] = older
    store.state_path.write_text(json.dumps(state), encoding="utf-8")
    corpus = run(folder, cache)
    assert not corpus.from_cache and corpus.cache_warnings == []
    assert run(folder, cache).from_cache


def _columns_of(corpus: Corpus) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    return corpus.report.page_frame(), corpus.report.unknown_frame(), corpus.report.warnings


def _assert_same_columns(corpus: Corpus, clean: Corpus) -> None:
    pages, unknown, warnings = _columns_of(corpus)
    expected = ReportColumns.of(clean.report.pages)
    pd.testing.assert_frame_equal(pages, expected.pages)
    pd.testing.assert_frame_equal(unknown, expected.unknown)
    assert warnings == expected.warnings


def test_the_report_tables_of_a_warm_start_read_no_page_report(tmp_path: Path) -> None:
    """The Data page's tables (one row per page, the unknown lines, the warnings) come from the reports
    part by column: the same values as the page reports of a clean ingest, no ``PageReport`` made."""
    folder = make_inputs(tmp_path)
    cache = tmp_path / "cache"
    clean = run(folder, cache)
    (folder / "unknown.txt").write_text("Plain words that are no part of any story\n" * 3, encoding="utf-8")
    clean = run(folder, cache)
    assert len(clean.report.unknown_lines()) >= 3 and clean.report.warnings  # something to compare
    warm = run(folder, cache)
    assert warm.from_cache and not warm.report.loaded
    _assert_same_columns(warm, clean)
    pages = warm.report.page_frame()
    assert pages["source"].tolist() == [page.source for page in clean.report.pages]
    assert not warm.report.loaded and warm.cache_warnings == []


#: Faults in columns the Data page's tables do not read (``core.storing.cache._REPORT_COLUMNS``): they give
#: those tables no warning (the page reports still do)
_OUTSIDE_REPORT_COLUMNS = {"reports-blank-negative", "reports-entries-null", "reports-shape-reason-null"}


@pytest.mark.parametrize(
    "edit",
    sorted(
        name
        for name, (part, _, found) in PART_EDITS.items()
        if part == "reports" and found == "read" and name not in _OUTSIDE_REPORT_COLUMNS
    ),
)
def test_report_tables_from_a_part_not_as_written_are_read_from_the_pages(tmp_path: Path, edit: str) -> None:
    """A reports part whose values are wrong gives the Data page's tables from the pages instead, with the
    one warning the page reports give, never a value of the damaged file."""
    folder, cache, path = _damaged(tmp_path, edit)
    corpus = run(folder, cache)
    clean = run(folder, tmp_path / "clean")
    assert corpus.from_cache and corpus.cache_warnings == []
    _assert_same_columns(corpus, clean)
    assert len(corpus.cache_warnings) == 1 and path.name in corpus.cache_warnings[0]
    assert "read from the pages instead" in corpus.cache_warnings[0] and not path.exists()


def _reference_order(table: pa.Table, files: list[str], last: int) -> int:
    """The order check as first written: each record's file looked up in the whole files table."""
    names = pa.array(files, pa.string())
    places = pc.index_in(table.column("_file"), value_set=names).to_numpy(zero_copy_only=False)
    if places[0] <= last or (len(places) > 1 and (np.diff(places) < 0).any()):
        raise CacheError("out of order")
    return int(places[-1])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["a.txt", "b.txt", "c.html", "dé.txt", "e f.txt"]), min_size=1, max_size=5, unique=True),
    st.lists(st.integers(0, 4), min_size=1, max_size=30),
    st.integers(-1, 4),
    st.integers(1, 3),
)
def test_segment_order_check_as_a_lookup_of_every_record(files: list[str], picks: list[int], last: int, chunks: int) -> None:
    """A segment's records are in the files' order, after the previous segment's last file, exactly when
    the first check (every record looked up) says so, with the same last place; in one chunk or several."""
    records = [files[pick % len(files)] for pick in picks]
    size = -(-len(records) // chunks)
    column = pa.chunked_array([pa.array(records[i : i + size], pa.string()) for i in range(0, len(records), size)])
    table = pa.table({"_file": column})
    try:
        expected: int | None = _reference_order(table, files, last)
    except CacheError:
        expected = None
    try:
        got: int | None = _check_segment_files(Path("segment.parquet"), table, files, _file_places({"files": files}), last)
    except CacheError as error:
        assert "records out of the files' order" in str(error)
        got = None
    assert got == expected
    # a record of a file the state does not list: that, whatever the order
    listed = [name for name in files if name != records[-1]]
    with pytest.raises(CacheError, match=r"stories of 1 file\(s\) the state does not list"):
        _check_segment_files(Path("segment.parquet"), table, listed, _file_places({"files": files}), last)
