"""A loaded collection: the article frame, its full-text index and its theme memberships, kept together.

``open_collection`` is what the dashboard and the CLI call: it ingests through the cache, opens (or
builds) the FTS5 index beside the cache, and matches the themes (cached too, keyed by the frame and the
themes file). ``Filters`` are the shared dashboard filters; ``select`` turns them into a boolean mask.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.analysing.analytics import option_counts, story_threads
from core.analysing.coded import Coded
from core.analysing.coded import option_counts as coded_option_counts
from core.analysing.terms import TermSample, term_sample
from core.analysing.themes import MEMBERSHIP_COLUMNS, Theme, ThemeBook, match_themes
from core.analysing.threads import Links, thread_links, updated_thread_links
from core.arrays import sorted_unique
from core.errors import CacheError
from core.heap import paused_gc
from core.model import BEIJING, COLUMNS
from core.reading.files import inputs_fingerprint
from core.storing.cache import atomic_write_with, parquet_options, read_memberships, text_in_memory
from core.storing.derived import (
    ColumnById,
    DerivedFiles,
    Positions,
    ThemesByArticle,
    id_keys,
    write_locked,
)
from core.storing.frame import (
    arrow_text,
    list_items,
    list_lengths,
    list_texts,
    lists_any_in,
    one_chunk,
    positions_in,
    rows_of_two,
    signature_hashes,
    take_frame_rows,
)
from core.storing.ingest import ChunkParser, Corpus, Progress, RowsNow, ingest
from core.storing.parts import Deferred
from core.storing.search import Earlier, EarlyCopy, SearchIndex, content_hashes, frame_fingerprint
from core.storing.text import MAPPED_COLUMNS, TEXT_COLUMNS, take_rows

KINDS = ("staff", "agency", "unsigned")
#: The columns filters, counts and charts run on: every article column but those of the text file (the
#: text and the columns only shown story by story, ``core.storing.text.MAPPED_COLUMNS``), which a copy of
#: a selection would read from disk whole.
COMPACT_COLUMNS: tuple[str, ...] = tuple(name for name in COLUMNS if name not in MAPPED_COLUMNS)
T = TypeVar("T")


def threads_now(
    files: DerivedFiles,
    frame: pd.DataFrame,
    hashes: np.ndarray | None,
    previous: Links | None,
    moved: RowsNow | None = None,
) -> pd.DataFrame:
    """The story threads of ``frame`` when no file holds them: updated from the links stored for an earlier
    generation (``previous``; only the edited and added stories read), else computed; their links then
    stored. ``moved``: where the stories of the generation the ingest merged from are now
    (``Corpus.moved``), which places the links of that generation without looking every id up."""
    keys = thread_keys(frame, hashes)
    unique = files.positions().unique if files.frame is frame else None
    if previous is None:
        threads, links = thread_links(frame, keys, unique=unique)
    else:
        before = _rows_before(moved, previous, len(frame))
        threads, links, _ = updated_thread_links(frame, keys, previous, unique=unique, rows_before=before)
        files.updated.add("threads")
    files.store_links(links)
    return threads


def _rows_before(moved: RowsNow | None, previous: Links, rows: int) -> np.ndarray | None:
    """Each row's row in the frame ``previous`` was found in (-1 for a story it did not have), from where
    that frame's stories are now (``moved``: the generation the ingest merged from, when ``previous`` is
    of that generation); None otherwise."""
    if moved is None or not previous.generation or previous.generation != moved.generation:
        return None
    if len(moved.rows) != len(previous.ids):
        return None
    now = moved.rows
    kept = np.flatnonzero(now >= 0)
    if len(kept) and int(now[kept].max()) >= rows:
        return None
    before = np.full(rows, -1, dtype=np.int64)
    before[now[kept]] = kept
    return before


class ThreadsBeside:
    """The story threads of a new generation, computed in a thread while the rest is made (the theme
    memberships, the other lookups): at 1,000,000 stories they took 5 s of a re-read, mostly in Arrow,
    NumPy and pandas. ``result`` waits for them, raising what the thread raised."""

    def __init__(self, compute: Callable[[], pd.DataFrame]) -> None:
        self._box: dict[str, Any] = {}

        def work() -> None:
            try:
                self._box["threads"] = compute()
            except BaseException as error:  # noqa: BLE001 - raised again in the thread that waits
                self._box["error"] = error

        self._thread = threading.Thread(target=work, name="caixin-threads", daemon=True)
        self._thread.start()

    @classmethod
    def begin(cls, files: DerivedFiles | None, corpus: Corpus) -> ThreadsBeside | None:
        """Begin when the threads are to be computed (a stored generation whose threads file is not
        there yet); else None. The earlier generation's links are read first, here: the files of the
        other lookups remove them."""
        if files is None or not files.enabled or files.path("arrow").exists():
            return None
        previous = files.previous_links()
        return cls(
            lambda: files.threads(lambda: threads_now(files, corpus.articles, corpus.hashes, previous, corpus.moved))
        )

    def result(self) -> pd.DataFrame:
        self._thread.join()
        if "error" in self._box:
            raise self._box["error"]
        threads: pd.DataFrame = self._box["threads"]
        return threads


@dataclass(slots=True)
class Collection:
    """Everything the views need about one set of inputs."""

    corpus: Corpus
    index: SearchIndex
    book: ThemeBook
    memberships: pd.DataFrame
    themes_key: str = ""
    inputs: tuple[str, ...] = ()
    fingerprint: dict[str, tuple[int, int]] = field(default_factory=dict)
    _theme_ids: dict[str, set[str]] = field(default_factory=dict)
    derived: dict[str, Any] = field(default_factory=dict)
    #: the lookups stored in the cache folder for this frame's generation (``core.storing.derived``)
    files: DerivedFiles | None = None
    #: for each membership row, its story's row in ``articles`` when stored with the memberships
    stored_member_rows: np.ndarray | None = None
    #: the story threads of a new generation while a thread computes them (``ThreadsBeside``)
    threads_beside: ThreadsBeside | None = None
    # one lock for the lookups computed on first use: a server's sessions share the collection, and
    # without it each of them would compute the same lookup at the same time
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def _derived(self, key: str, compute: Callable[[], T]) -> T:
        """``derived[key]``, computed by ``compute()`` the first time (once, whatever the threads)."""
        try:
            return self.derived[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        with self.lock:
            if key not in self.derived:
                self.derived[key] = compute()
            return self.derived[key]  # type: ignore[no-any-return]

    @property
    def articles(self) -> pd.DataFrame:
        """Every story, every column (``core.model.COLUMNS``). The text columns are mapped from the
        cache's text file (``core.storing.text``): reading them reads the disk."""
        return self.corpus.articles

    # -- the store's interface (``core.storing.store.Store``) --------------------------------------
    def select(self, filters: Filters) -> np.ndarray:
        """A boolean mask over the stories: those that pass every filter (``select``)."""
        return select(self, filters)

    def columns(self, names: Sequence[str] | None = None) -> pd.DataFrame:
        """The columns to filter and count on, for every story: ``names``, or every column but those of
        the text file (``COMPACT_COLUMNS``). A view of the stored frame, not a copy."""
        wanted = list(COMPACT_COLUMNS if names is None else names)
        return self._derived(f"columns:{'|'.join(wanted)}", lambda: self.articles[wanted])

    def text(self, rows: Sequence[int] | np.ndarray, names: Sequence[str] = TEXT_COLUMNS) -> pd.DataFrame:
        """The text columns ``names`` of the stories at ``rows`` (positions), read for those rows only
        (from the file, not through its mapping: ``core.storing.text.take_rows``)."""
        return take_rows(self.articles, np.asarray(rows, dtype=np.intp), list(names))

    def rows(self, rows: Sequence[int] | np.ndarray) -> pd.DataFrame:
        """Whole stories (every column) at ``rows`` (positions), their text read for those rows only
        (from the file, not through its mapping: ``core.storing.text.take_rows``)."""
        return take_rows(self.articles, np.asarray(rows, dtype=np.intp))

    def batches(self, mask: np.ndarray, size: int = 5_000) -> Iterator[pd.DataFrame]:
        """The whole stories of ``mask``, ``size`` at a time (exports stream these)."""
        positions = np.flatnonzero(mask)
        for start in range(0, len(positions), size):
            yield self.rows(positions[start : start + size])

    @property
    def themes(self) -> list[Theme]:
        return self.book.themes

    def theme_ids(self, slug: str) -> set[str] | None:
        """Article ids carrying a theme (by slug or label, case-insensitive); None for an unknown theme.
        Each theme's set is made when first asked for (one theme's ids take about 15 ms at 100,000
        stories), then kept: the same set object until the themes are matched again."""
        wanted = slug.lower()
        found = self._theme_ids.get(wanted)
        if found is not None:
            return found
        theme = next((t for t in self.themes if wanted in (t.slug, t.label.lower())), None)
        if theme is None:
            return None
        with self.lock:  # built whole, then published: another thread never sees half of it
            found = self._theme_ids.get(theme.slug)
            if found is None:
                chosen = (self.memberships["theme"] == theme.slug).to_numpy(dtype=bool, na_value=False)
                members = self.memberships["article_id"].to_numpy(dtype=object)[chosen]
                found = {str(i) for i in members.tolist()}
                self._theme_ids = {**self._theme_ids, theme.slug: found, theme.label.lower(): found}
        return found

    def theme_rows(self, slug: str) -> np.ndarray:
        """Row positions (in ``articles``) of the stories carrying a theme; empty for an unknown theme."""

        def compute() -> np.ndarray:
            wanted = {t.slug for t in self.themes if slug.lower() in (t.slug, t.label.lower())}
            rows = self.member_rows()
            chosen = rows[self.memberships["theme"].isin(list(wanted)).to_numpy()] if wanted else rows[:0]
            return sorted_unique(chosen)

        return self._derived(f"theme_rows:{slug.lower()}", compute)

    def memberships_of(self, mask: np.ndarray) -> pd.DataFrame:
        """The theme memberships of the stories ``mask`` selects (a boolean mask over ``articles``), in
        memberships order: one pass over the membership rows."""
        rows = self.member_rows()
        return self.memberships[(rows >= 0) & mask[np.maximum(rows, 0)]]

    def member_rows(self) -> np.ndarray:
        """For each membership row, the position of its story in ``articles`` (computed once)."""

        def compute() -> np.ndarray:
            stored = self.stored_member_rows
            if stored is not None and len(stored) == len(self.memberships):
                return stored
            return self.positions().get_indexer(self.memberships["article_id"])

        return self._derived("member_rows", compute)

    def coded(self) -> Coded | None:
        """The columns the dashboard's counts read, as integer codes over the rows
        (``core.analysing.coded``), built on first use and kept until the themes change; None when two
        stories share an id (ingest never leaves that), where the counts of ``analytics`` apply."""

        def build() -> Coded | None:
            if not self.positions().unique:
                return None
            return Coded.build(self.columns(), self.memberships, self.member_rows())

        def compute() -> Coded | None:
            if self.files is None or not self.files.enabled:
                return build()
            return self.files.coded(self.themes_key, build)

        return self._derived("coded", compute)

    def option_counts(self) -> dict[str, dict[str, int]]:
        """Stories per value of each list filter over the whole collection (``analytics.option_counts``:
        the counts beside the sidebar's options), stored per generation and themes key, kept until the
        themes change."""

        def build() -> dict[str, dict[str, int]]:
            coded = self.coded()
            if coded is None:
                return option_counts(self.articles, self.memberships)
            return coded_option_counts(coded, self.articles)

        def compute() -> dict[str, dict[str, int]]:
            if self.files is None or not self.files.enabled:
                return build()
            return self.files.option_counts(self.themes_key, build)

        return self._derived("option_counts", compute)

    def positions(self) -> Positions:
        """article_id -> its row position in ``articles`` (a read-only mapping, built once: a binary search
        over the ids in the sorted order stored per generation, ``core.storing.derived.Positions``)."""

        def compute() -> Positions:
            if self.files is not None and self.files.frame is self.articles:
                return self.files.positions()  # shared with the lookups made before the collection
            ids = self.articles["article_id"]
            return Positions(ids, id_keys(ids))

        return self._derived("positions", compute)

    def position_of(self, article_id: str) -> int | None:
        """The row position of a story in ``articles``, or None when the collection has no such story."""
        return self.positions().get(article_id)

    def headlines_by_id(self) -> Mapping[str, str]:
        """article_id -> headline, for tables that list stories by id (read-only, read through
        ``positions``)."""
        return self._derived("headlines", lambda: ColumnById(self.positions(), self.articles["headline"]))

    def refresh_themes(self) -> bool:
        """Re-read the themes file; re-match when it changed. Returns True when memberships changed."""
        before = [t for t in self.themes]
        self.book.reload()
        if self.book.themes == before and self.memberships is not None:
            return False
        with self.lock:
            links_read = self.threads_beside is not None or "threads" in self.derived
            self.memberships, self.themes_key, self.stored_member_rows = _memberships(
                self.index, self.book, self.files, positions=self.positions if links_read else None
            )
            self._theme_ids = {}
            self.derived.clear()
        return True

    def themes_by_article(self) -> Mapping[str, list[str]]:
        """article_id -> slugs of its themes (computed once; a read-only view, not a copy)."""
        return self._derived(
            "themes_by_article",
            lambda: ThemesByArticle(
                self.memberships, self.member_rows(), self.positions(), self.coded(), [t.slug for t in self.themes]
            ),
        )

    def threads(self) -> pd.DataFrame:
        """``Related:`` headlines matched to stories in the collection (``core.analysing.analytics.story_threads``;
        stored in the cache folder once per generation)."""
        return self._derived("threads", self._threads)

    def _threads(self) -> pd.DataFrame:
        if self.threads_beside is not None:  # begun in a thread: waited for
            return self.threads_beside.result()
        if self.files is None or not self.files.enabled:
            return story_threads(self.articles)
        files, corpus = self.files, self.corpus
        return files.threads(
            lambda: threads_now(files, corpus.articles, corpus.hashes, files.previous_links(), corpus.moved)
        )

    def related_targets(self, article_id: str) -> dict[str, str | None]:
        """For one story: each of its ``Related:`` headlines -> the id of the story it names, or None."""
        threads = self.threads()
        rows = threads[threads["article_id"] == article_id]
        return {
            str(related): (None if pd.isna(target) else str(target))
            for related, target in zip(rows["related"], rows["target_id"], strict=True)
        }

    def term_background(self) -> TermSample:
        """The term counts of a random sample of the stories (``core.analysing.terms.term_sample``), the
        background distinctive terms are scored against; stored in the cache folder once per generation,
        so a server start reads no story text for it."""

        def compute() -> TermSample:
            if self.files is None:
                return term_sample(self.articles)
            return self.files.terms(lambda: term_sample(self.articles))

        return self._derived("term_background", compute)

    def inputs_changed(self) -> bool:
        """True when a data file was added, removed or changed since this collection was read."""
        return inputs_fingerprint(self.inputs) != self.fingerprint

    def filter_options(self) -> dict[str, list[str]]:
        """Valid values of the list filters: theme slugs, reporters and agencies (most stories first,
        ``Unsigned`` last), sections, byline kinds. Computed once per collection."""

        def of_frame() -> dict[str, list[str]]:
            frame = self.articles
            counts = name_counts(frame)
            no_authors = list_lengths(frame["authors"]) == 0
            unsigned = bool((no_authors & frame["agency"].isna().to_numpy(dtype=bool)).any())
            reporters = sorted(counts, key=lambda n: (-counts[n], n)) + (["Unsigned"] if unsigned else [])
            sections = {str(s) for s in frame["section"].dropna().unique()}
            return {"reporter": reporters, "section": sorted(s for s in sections if s)}

        def compute() -> dict[str, list[str]]:
            stored = self.files.options(of_frame) if self.files is not None else of_frame()
            return {
                "theme": [t.slug for t in self.themes],
                "reporter": stored["reporter"],
                "section": stored["section"],
                "kind": list(KINDS),
            }

        return dict(self._derived("options", compute))

    def prepare(self) -> None:
        """Compute every per-collection lookup now (row positions, theme memberships by row and by story,
        headlines, story threads, filter options and their counts, the counts' codes), so that no
        visitor's page waits for one: a server calls this once after loading."""
        # the threads first (they read the links of the generation before, which writing a file removes),
        # computed in a thread beside the others when they are new: at 1,000,000 stories they took 5 s of a
        # re-read, mostly in Arrow, NumPy and pandas (0.0 s when their file is there)
        if self.threads_beside is None and "threads" not in self.derived:
            self.threads_beside = ThreadsBeside.begin(self.files, self.corpus)
        if self.threads_beside is None:
            self.threads()
        self.member_rows()
        self.coded()
        self.themes_by_article()
        self.headlines_by_id()
        self.filter_options()
        self.option_counts()
        self.threads()  # waits for them when they are computed beside


_MEMBERSHIP_TYPES = {"article_id": "string", "hits": "int32"}
#: Membership columns of few distinct values, held as pandas categoricals (codes into sorted categories):
#: at 1,000,000 stories, 2.4 million memberships name 11 themes and 13,682 evidence texts, 120 MB as
#: strings, 8 MB as codes.
CATEGORICAL_MEMBERSHIP_COLUMNS = ("theme", "evidence")
#: The dtype of those categoricals' categories: pandas' text of sorted Python strings (``set_categories``
#: makes it; a themes file written from them reads back with it, and is not sorted again)
_CATEGORIES = pd.StringDtype(na_value=np.nan)


def compact_memberships(frame: pd.DataFrame) -> pd.DataFrame:
    """The theme memberships as a collection holds them: ``article_id`` text, ``hits`` int32, ``theme`` and
    ``evidence`` categoricals whose categories are sorted (the same dtype whichever way they were made)."""
    out = frame[MEMBERSHIP_COLUMNS].astype(_MEMBERSHIP_TYPES)
    for name in CATEGORICAL_MEMBERSHIP_COLUMNS:
        column = out[name]
        if not isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype("string").astype("category")
        categories = column.cat.categories
        if not categories.is_monotonic_increasing or categories.dtype != _CATEGORIES:
            column = column.cat.set_categories(pd.Index(sorted(str(c) for c in categories), dtype=_CATEGORIES))
        out[name] = column
    return out


def name_counts(frame: pd.DataFrame) -> Counter[str]:
    """How often each name is an author of a story and each agency text is a story's agency: counted in
    Arrow when both columns are held there (at 1,000,000 stories 0.04 s, against 0.15 s through a Python
    string per author), else through the strings."""
    authors, agencies = list_texts(frame["authors"]), arrow_text(frame["agency"])
    if authors is None or agencies is None:
        counts = Counter(list_items(frame["authors"])[1].tolist())
        counts.update(frame["agency"].dropna().astype(str).tolist())
        return counts
    counts = Counter()
    for values in (authors, agencies.drop_null()):
        counted = pc.value_counts(values)
        counts.update(dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True)))
    return counts


def thread_keys(frame: pd.DataFrame, hashes: np.ndarray | None) -> np.ndarray:
    """One 64-bit key per row for the story threads (``core.analysing.threads.Links``): the content hash
    (``core.storing.search.content_hashes``; ``hashes`` when the cache has them) with the ``Related:``
    lines, which the content hash leaves out."""
    if hashes is None or len(hashes) != len(frame):
        hashes = content_hashes(frame)
    with np.errstate(over="ignore"):
        keys: np.ndarray = np.asarray(hashes, dtype=np.uint64) * np.uint64(1_000_003)
        keys ^= signature_hashes(frame["related"], "\x1f")
    return keys.view(np.int64)


def _themes_key(index: SearchIndex, themes: Sequence[Theme], generation: str = "") -> str:
    """The themes file's key: the frame (its cache generation, else its ids) and the themes."""
    return _stored_themes_key(generation, themes) if generation else _key_of(frame_fingerprint(index.frame), themes)


class EarlyMemberships:
    """The theme memberships stored for a cache generation, read on a thread while the ingest lists the
    input files and compares them with its state (``ingest``'s ``opening``), so that a warm start finds
    them read: at 1,000,000 stories the file (2.4 million memberships) took 0.2 s after the listing's
    0.6 s, and Arrow reads it without the GIL. Taken only where that very file is read: by
    ``_memberships`` when no file changed (the same generation and themes), by ``_carried_over`` when
    the ingest made a new generation (the memberships of the stored one are carried over). ``close``
    waits for the thread, so none outlives the open."""

    def __init__(self, themes: Sequence[Theme]) -> None:
        self._themes = list(themes)
        self._pool: ThreadPoolExecutor | None = None
        self._path: Path | None = None
        self._read: Future[pd.DataFrame] | None = None

    def start(self, folder: Path, generation: str) -> None:
        self._path = folder / f"themes-{_stored_themes_key(generation, self._themes)}.parquet"
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="caixin-early-themes")
        self._read = self._pool.submit(read_memberships, self._path)

    def read(self, path: Path) -> pd.DataFrame:
        """``read_memberships(path)``: the early read's frame when it read ``path`` (its ``CacheError``
        raised here), else read now."""
        read, self._read = (self._read, None) if path == self._path else (None, self._read)
        return read.result() if read is not None else read_memberships(path)

    def close(self) -> None:
        """The read not taken is not kept; the thread is waited for."""
        if self._read is not None:
            self._read.cancel()
        self._read, self._path = None, None
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def _stored_themes_key(generation: str, themes: Sequence[Theme]) -> str:
    """``_themes_key`` of a cache generation's frame (its index not needed)."""
    return _key_of(f"gen:{generation}", themes)


def _key_of(frame: str, themes: Sequence[Theme]) -> str:
    digest = hashlib.sha256(frame.encode())
    digest.update(repr(list(themes)).encode())
    return digest.hexdigest()[:20]


def _themes_digest(themes: Sequence[Theme]) -> str:
    return hashlib.sha256(repr(list(themes)).encode()).hexdigest()[:20]


def _carried_over(
    folder: Path,
    index: SearchIndex,
    themes: Sequence[Theme],
    digest: str,
    read: Callable[[Path], pd.DataFrame],
    unique: Deferred[bool],
    moved: RowsNow | None = None,
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """The memberships of ``index.frame`` from those stored for the index it was updated from (same
    themes): the memberships of unchanged stories kept, the changed stories matched alone, in the order
    of a full ``match_themes`` (theme order, then row); with the row of each membership's story. None
    when there is nothing to carry over.

    An index reused as it is (a new generation of the same frame: its fingerprint covers every story's
    content and their order) takes the memberships stored for it whole. ``moved``: where the stories of
    the generation the ingest merged from are now (``Corpus.moved``), which places the memberships stored
    for that generation without looking their ids up."""
    if index.how == "reused" and index.fingerprint:
        return _same_frame(folder, index, digest, read)
    if index.changed_rows is None or index.previous is None:
        return None
    frame = index.frame
    if not unique.get():
        return None
    ids = frame["article_id"].astype(str)
    for candidate in folder.glob("themes-*.parquet"):
        try:
            meta = pq.read_schema(candidate).metadata or {}
            if (
                meta.get(b"themes") != digest.encode()
                or meta.get(b"fts") != index.previous.encode()
                or meta.get(b"unique") != b"1"
            ):
                continue
            stored = read(candidate)
            old = compact_memberships(stored)
        except (CacheError, KeyError, ValueError, OSError, pa.ArrowException):
            continue
        changed = np.asarray(index.changed_rows, dtype=np.int64)
        unchanged = np.ones(len(frame), dtype=bool)
        unchanged[changed] = False
        old_rows = _moved_rows(stored, meta, moved)
        if old_rows is None:  # each story's row looked up in Arrow (the ids are unique: its first row)
            old_rows = positions_in(old["article_id"], ids)
        kept = np.flatnonzero(old_rows >= 0)
        kept = kept[unchanged[old_rows[kept]]]
        part = take_frame_rows(frame, changed)
        fresh = compact_memberships(match_themes(SearchIndex.open(part, None), themes))
        old, fresh = _on_shared_categories(old, fresh)
        rows = np.concatenate((old_rows[kept], changed[positions_in(fresh["article_id"], part["article_id"])]))
        order = {theme.slug: n for n, theme in enumerate(themes)}
        category_order = [order.get(str(slug), -1) for slug in old["theme"].cat.categories]
        codes = np.concatenate((old["theme"].cat.codes.to_numpy()[kept], fresh["theme"].cat.codes.to_numpy()))
        theme_order = np.array([*category_order, -1], dtype=np.int64)[codes]
        sort = _carried_order(theme_order, rows, len(kept))
        both = _joined_memberships(old, fresh, np.concatenate((kept, len(old) + np.arange(len(fresh))))[sort])
        return both, rows[sort]
    return None


def _carried_order(theme_order: np.ndarray, rows: np.ndarray, split: int) -> np.ndarray:
    """``np.lexsort((rows, theme_order))``, when the first ``split`` entries are already in that order (the
    memberships kept, in their stored order, their rows moved by the merge, which keeps the order of the
    stories it did not touch): the few after them (the changed stories') placed among them by a binary
    search instead of sorting 2.4 million again (0.24 s). Otherwise the sort itself."""
    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    width = int(rows.max()) + 1
    keys = (theme_order + 1) * width + rows  # the order of (theme, row); theme order -1 for an unknown theme
    head, tail = keys[:split], keys[split:]
    if (np.diff(head) < 0).any():
        return np.lexsort((rows, theme_order))
    tail_order = np.argsort(tail, kind="stable")
    # each of the tail goes after the head's entries of its key or less (a stable sort: the head first)
    at = np.searchsorted(head, tail[tail_order], side="right")
    return np.insert(np.arange(split, dtype=np.int64), at, split + tail_order)


def _joined_memberships(first: pd.DataFrame, second: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The rows ``rows`` of two frames of ``compact_memberships`` laid end to end, compact: their
    categoricals on the union of both categories (the rows are not turned into strings and back), the
    categories no row uses then dropped. The kept memberships come in runs of the stored ones: joined as
    slices (``rows_of_two``), not taken one by one; their ids then made one Arrow chunk again."""
    first, second = _on_shared_categories(first, second)
    both = rows_of_two(first, second, np.asarray(rows, dtype=np.int64))
    for name in CATEGORICAL_MEMBERSHIP_COLUMNS:
        both[name] = _without_unused(both[name])
    return compact_memberships(one_chunk(both))


def _moved_rows(stored: pd.DataFrame, meta: Mapping[bytes, bytes], moved: RowsNow | None) -> np.ndarray | None:
    """The row now of each membership's story, when the memberships (``stored``, read from a file of
    metadata ``meta``) were stored for the generation ``moved`` comes from, with each story's row then
    (column ``row``): 2.4 million memberships placed at once (0.7-1.3 s to look their ids up at
    1,000,000 stories). None otherwise."""
    if moved is None or meta.get(b"generation") != moved.generation.encode() or "row" not in stored:
        return None
    rows = stored["row"].to_numpy(dtype=np.int64)
    if len(rows) and (int(rows.min()) < 0 or int(rows.max()) >= len(moved.rows)):
        return None
    return np.asarray(moved.rows[rows], dtype=np.int64)


def _on_shared_categories(first: pd.DataFrame, second: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two frames of ``compact_memberships`` with their categoricals set to the union of both categories:
    only the columns whose categories change are made again (a frame already on them is returned as it
    is, not copied)."""
    first_now: dict[str, pd.Series] = {}
    second_now: dict[str, pd.Series] = {}
    for name in CATEGORICAL_MEMBERSHIP_COLUMNS:
        union = first[name].cat.categories.union(second[name].cat.categories)
        if not first[name].cat.categories.equals(union):
            first_now[name] = first[name].cat.set_categories(union)
        if not second[name].cat.categories.equals(union):
            second_now[name] = second[name].cat.set_categories(union)
    return first.assign(**first_now) if first_now else first, second.assign(**second_now) if second_now else second


def _without_unused(column: pd.Series) -> pd.Series:
    """``column.cat.remove_unused_categories()`` (the categories in their order, those no row uses
    dropped), the used ones found by counting the codes instead of pandas' sort of them (2.4 million
    memberships: 0.2 s a column)."""
    categories = column.cat.categories
    codes = column.cat.codes.to_numpy()
    used = np.bincount(codes[codes >= 0], minlength=len(categories)) > 0
    if used.all():
        return column
    new_code = np.cumsum(used) - 1
    kept = np.where(codes >= 0, new_code[np.maximum(codes, 0)], -1).astype(codes.dtype)
    return pd.Series(
        pd.Categorical.from_codes(kept, dtype=pd.CategoricalDtype(categories[used], ordered=column.cat.ordered)),
        index=column.index,
        name=column.name,
    )


def _same_frame(
    folder: Path, index: SearchIndex, digest: str, read: Callable[[Path], pd.DataFrame]
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """The memberships stored for another generation of the same frame (same index fingerprint, same
    themes), with their rows; None when there are none readable."""
    for candidate in folder.glob("themes-*.parquet"):
        try:
            meta = pq.read_schema(candidate).metadata or {}
            if meta.get(b"themes") != digest.encode() or meta.get(b"fts") != index.fingerprint.encode():
                continue
            stored = read(candidate)
            memberships = compact_memberships(stored)
            rows = stored["row"].to_numpy(dtype=np.int64)
        except (CacheError, KeyError, ValueError, TypeError, OSError, pa.ArrowException):
            continue
        if len(rows) and (int(rows.max()) >= len(index.frame) or int(rows.min()) < 0):
            continue
        return memberships, rows
    return None


def _memberships(
    index: SearchIndex,
    book: ThemeBook,
    files: DerivedFiles | None,
    early: EarlyMemberships | None = None,
    positions: Callable[[], Positions] | None = None,
    moved: RowsNow | None = None,
) -> tuple[pd.DataFrame, str, np.ndarray | None]:
    """The theme memberships of the index's frame, read from ``themes-<key>.parquet`` when stored (with
    the row of each membership's story, column ``row``), else carried over from the memberships of the
    index it was updated from (only the changed stories matched), else matched; then stored.
    ``positions``: the frame's (``Collection.positions``), when making them now is safe (their order
    file, once written, removes the earlier generation's thread links: those must have been read).
    ``moved``: as for ``_carried_over``."""
    generation = files.generation if files is not None and files.enabled else ""
    key = _themes_key(index, book.themes, generation)
    folder = files.folder if files is not None else None
    path = folder / f"themes-{key}.parquet" if folder else None
    read = early.read if early is not None else read_memberships  # the early read where it read that file
    if path is not None and path.exists():
        try:
            cached = read(path)
            rows = cached["row"].to_numpy(dtype=np.int64) if "row" in cached else None
            if rows is not None and len(rows) and int(rows.max()) >= len(index.frame):
                raise ValueError("membership rows beyond the frame")
            memberships = compact_memberships(cached)
            if files is not None:
                files.loaded.add("themes")
            return memberships, key, rows
        except (CacheError, KeyError, ValueError):
            pass  # matched again and rewritten below
    digest = _themes_digest(book.themes)
    # whether the ids are unique, found once for the carry-over and the file: 0.2 s at 1,000,000 stories,
    # none beyond the frame's positions (which the lookups after this make anyway) when they are given
    unique = Deferred(
        lambda: positions().unique if positions is not None else bool(index.frame["article_id"].is_unique)
    )
    carried = _carried_over(folder, index, book.themes, digest, read, unique, moved) if folder is not None else None
    if carried is not None and files is not None:
        files.updated.add("themes")
    memberships = carried[0] if carried is not None else compact_memberships(match_themes(index, book.themes))
    rows = None
    if path is not None:
        if carried is not None:
            rows = carried[1]
        else:
            rows = Positions(index.frame["article_id"]).get_indexer(memberships["article_id"])
        table = pa.Table.from_pandas(memberships.assign(row=rows), preserve_index=False)
        flag = "1" if unique.get() else "0"
        extra = {
            b"themes": digest.encode(),
            b"fts": index.fingerprint.encode(),
            b"unique": flag.encode(),
            b"generation": generation.encode(),  # whose rows the ``row`` column gives (``_moved_rows``)
        }
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})

        def write(target: Path) -> None:
            # the ids plain, the rows and hits (runs of rising numbers) delta-encoded, dictionaries only
            # where few values repeat: at 2.4 million memberships 0.23 s to write and 0.04 s to read,
            # against 0.52 and 0.16 s with zstd and dictionaries over the ids and numbers (54 MB against 28);
            # no statistics (nothing reads by them): the themes' and evidence texts' took a third of the write
            options = parquet_options(
                table, {"article_id"}, {"row", "hits"}, CATEGORICAL_MEMBERSHIP_COLUMNS, statistics=False
            )
            atomic_write_with(target, lambda tmp: pq.write_table(table, tmp, **options))

        def tidy() -> None:
            for old in path.parent.glob("themes-*.parquet"):
                if old != path:
                    old.unlink(missing_ok=True)

        guard = files.is_current if files is not None else None
        write_locked(path, write, tidy, guard)
    return memberships, key, rows


def open_collection(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    cache_dir: Path | None = None,
    themes_file: Path | None = None,
    progress: Progress | None = None,
    use_cache: bool = True,
    early_threads: bool = False,
    earlier: Collection | None = None,
    parse_chunks: ChunkParser | None = None,
) -> Collection:
    """Ingest ``inputs`` and open their index and theme memberships (all cached beside each other).
    ``early_threads``: a new generation's story threads are begun in a thread as soon as the stories are
    read, beside the index and the memberships (for a caller that then calls ``Collection.prepare``).
    ``earlier``: the collection read before (a server's), whose stories' text the index's update may need
    when another process made the new generation. ``parse_chunks``: as for ``ingest`` (a Dask cluster)."""
    with paused_gc():  # half a million objects made, none in a cycle (``core.heap``)
        return _open_collection(
            inputs, cache_dir, themes_file, progress, use_cache, early_threads, earlier, parse_chunks
        )


def _open_collection(
    inputs: Sequence[str | os.PathLike[str]],
    cache_dir: Path | None,
    themes_file: Path | None,
    progress: Progress | None,
    use_cache: bool,
    early_threads: bool = False,
    earlier: Collection | None = None,
    parse_chunks: ChunkParser | None = None,
) -> Collection:
    book = ThemeBook(themes_file)
    early_members = EarlyMemberships(book.themes)
    try:
        return _open_with(
            inputs, cache_dir, progress, use_cache, early_threads, book, early_members, earlier, parse_chunks
        )
    finally:
        early_members.close()


def _open_with(
    inputs: Sequence[str | os.PathLike[str]],
    cache_dir: Path | None,
    progress: Progress | None,
    use_cache: bool,
    early_threads: bool,
    book: ThemeBook,
    early_members: EarlyMemberships,
    earlier: Collection | None = None,
    parse_chunks: ChunkParser | None = None,
) -> Collection:
    copies: list[EarlyCopy] = []

    def changing(folder: Path) -> None:  # a new generation: its index is updated from a copy of the last
        copies.append(EarlyCopy(folder))
        copies[0].start()

    try:
        corpus = ingest(
            inputs,
            cache_dir=cache_dir,
            progress=progress,
            use_cache=use_cache,
            changing=changing,
            opening=early_members.start,
            parse_chunks=parse_chunks,
        )
    except BaseException:
        for copy in copies:
            copy.drop()
        raise
    folder = corpus.cache_root if use_cache else None
    early = copies[0] if copies and folder == copies[0].folder else None
    if copies and early is None:
        copies[0].drop()
    files = DerivedFiles(folder, corpus.generation if folder is not None else None, corpus.articles)
    beside = ThreadsBeside.begin(files, corpus) if early_threads else None
    # the stories a changed index may have to forget: the generation the ingest changed, the collection
    # shown before; not held once the index is open
    texts = [e for e in (corpus.earlier, _earlier_of(earlier)) if e is not None]
    corpus.earlier = None
    try:
        index = SearchIndex.open(
            corpus.articles, folder, None if text_in_memory() else corpus.hashes, early, texts
        )
    except OSError as error:
        corpus.cache_warnings.append(
            f"{folder}: index not cached ({error.strerror or error}); built in memory"
        )
        index = SearchIndex.open(corpus.articles, None)
        folder, beside = None, None  # the threads are computed again, in memory
        files = DerivedFiles(None, None, corpus.articles)
    # the frame's positions made for the memberships too once the earlier thread links are read (``begin``)
    positions = files.positions if beside is not None and files.frame is index.frame else None
    memberships, key, rows = _memberships(index, book, files, early_members, positions, corpus.moved)
    names = tuple(os.fspath(i) for i in inputs)
    return Collection(
        corpus,
        index,
        book,
        memberships,
        key,
        names,
        corpus.fingerprint,
        files=files,
        stored_member_rows=rows,
        threads_beside=beside,
    )


def _earlier_of(collection: Collection | None) -> Earlier | None:
    """A collection's stories as the index's update reads a removed story's text (``Earlier``)."""
    if collection is None:
        return None
    return Earlier(collection.articles, None if text_in_memory() else collection.corpus.hashes)


@dataclass(frozen=True, slots=True)
class Filters:
    """The shared filters of every view; each field is one URL parameter of the dashboard."""

    q: str = ""
    themes: tuple[str, ...] = ()
    reporters: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None

    @property
    def empty(self) -> bool:
        return self == Filters()


def select(collection: Collection, filters: Filters) -> np.ndarray:
    """A boolean mask over ``collection.articles``: stories that pass every filter.

    Within one filter the values are alternatives (any theme of the list); the filters combine with AND.
    The query raises ``QuerySyntaxError`` when it does not parse.
    """
    frame = collection.articles
    mask = np.ones(len(frame), dtype=bool)
    if filters.q.strip():
        mask &= collection.index.mask(filters.q, collection.theme_ids)
    if filters.themes:
        chosen = np.zeros(len(frame), dtype=bool)
        for slug in filters.themes:
            chosen[collection.theme_rows(slug)] = True
        mask &= chosen
    if filters.reporters:
        wanted = {r.lower() for r in filters.reporters}
        by_author = lists_any_in(frame["authors"], wanted)
        agency = frame["agency"].fillna("").astype(str).str.lower()
        by_agency = agency.isin(list(wanted)).to_numpy()
        unsigned = "unsigned" in wanted
        if unsigned:
            by_agency = by_agency | ((list_lengths(frame["authors"]) == 0) & frame["agency"].isna().to_numpy())
        mask &= by_author | by_agency
    if filters.sections:
        wanted_sections = {s.lower() for s in filters.sections}
        mask &= frame["section"].astype(str).str.lower().isin(list(wanted_sections)).to_numpy()
    if filters.kinds:
        has_agency = frame["agency"].notna().to_numpy()
        has_authors = list_lengths(frame["authors"]) > 0
        kind_mask = np.zeros(len(frame), dtype=bool)
        if "agency" in filters.kinds:
            kind_mask |= has_agency
        if "staff" in filters.kinds:
            kind_mask |= has_authors & ~has_agency
        if "unsigned" in filters.kinds:
            kind_mask |= ~has_authors & ~has_agency
        mask &= kind_mask
    if filters.date_from or filters.date_to:
        stamps = frame["published_at"]
        if filters.date_from:
            start = pd.Timestamp(filters.date_from).tz_localize(BEIJING)
            mask &= (stamps >= start).fillna(False).to_numpy(dtype=bool)
        if filters.date_to:
            end = pd.Timestamp(filters.date_to).tz_localize(BEIJING) + pd.Timedelta(days=1)
            mask &= (stamps < end).fillna(False).to_numpy(dtype=bool)
    return mask


__all__ = [
    "COMPACT_COLUMNS",
    "KINDS",
    "MEMBERSHIP_COLUMNS",
    "compact_memberships",
    "Collection",
    "Filters",
    "open_collection",
    "select",
]
