"""Ingest: many page files into one article DataFrame, through the Parquet cache.

Only new or changed files are parsed (in parallel when there are many); the same story read from several
pages becomes one row (the most complete copy wins, all sources listed); reporter aliases and name-order
variants are merged. Nothing a user can cause raises: failed inputs are listed in the report.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from core.arrays import run_starts, sorted_setdiff, sorted_union, sorted_unique
from core.config import Reporters, load_reporters
from core.errors import CacheError, InputError
from core.heap import paused_gc
from core.model import COLUMNS, Article, ListingEntry, parse_source_span
from core.parsing import parse_page
from core.parsing.report import CorpusReport, PageReport, ReportColumns, ReportSummary
from core.reading.files import input_names, printable_name, read_page
from core.reading.stream import ByteProgress, hash_file, parse_large_page, stream_threshold
from core.storing.cache import (
    CacheLock,
    CacheStore,
    cache_key,
    default_cache_dir,
    segment_context,
    summarise_reports,
    summary_moved,
    text_in_memory,
)
from core.storing.catalog import ENTRY_COLUMNS, apply_catalog, listings_to_frame
from core.storing.frame import (
    MOST_SLICES,
    articles_to_frame,
    conform,
    distinct_lists,
    empty_frame,
    isin_mask,
    lists_of_codes,
    one_chunk,
    positions_in,
    rows_of_two,
    take_frame_rows,
    with_arrow_lists,
)
from core.storing.parts import Deferred, FileTable, PartTables, report_dicts, text_values
from core.storing.rematch import CatalogMemo, rematch
from core.storing.remerge import MOST_CHANGED_FILES, MergeMemo, catalog_changes, instants
from core.storing.search import HASHED_COLUMNS, Earlier, body_hashes, content_hashes, text_hashes
from core.storing.segments import Segment, name_starts, plan_segments, plan_segments_by_counts
from core.storing.text import MAPPED_COLUMNS, TextLayout, attach_text, open_layout

#: Progress callback: (bytes read so far, bytes to read in all, the file being read). Files whose cached
#: copy is current count as read at once; a large page reports its bytes as they are read.
Progress = Callable[[int, int, str], None]

_WORDS = re.compile(r"\w+")


def _no_headlines() -> pd.DataFrame:
    return pd.DataFrame(columns=["source", "line", "text"])


@dataclass(slots=True)
class Corpus:
    """The result of an ingest: the article frame, the report and the headline-list lines.

    From the cache, the page reports (``report.pages``), ``headlines`` and ``listings`` are read from
    their part files when first used (``core.storing.parts``), so a warm start reads neither."""

    articles: pd.DataFrame
    report: CorpusReport
    _headlines: Deferred[pd.DataFrame] = field(default_factory=lambda: Deferred.of(_no_headlines()))
    _listings: Deferred[pd.DataFrame] = field(default_factory=lambda: Deferred.of(listings_to_frame([])))
    from_cache: bool = False
    cache_warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cache_root: Path | None = None
    #: The cache generation ``articles`` was read from or written as (``core.storing.cache``); None when it is
    #: in no cache (no cache in use, or it could not be written).
    generation: str | None = None
    #: ``core.storing.search.content_hashes`` of ``articles`` when known (stored with the cache
    #: generation's text), so that opening the full-text index need not read every story's text
    hashes: np.ndarray | None = None
    #: Each input file read, with the size and modification time it had when the ingest looked at it
    #: (``core.reading.files.inputs_fingerprint`` of the inputs, taken without listing them again)
    fingerprint: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: The stored generation this ingest changed into ``generation``: its articles (their text mapped from
    #: its files, which stay readable once replaced) and content hashes, for the full-text index's update
    #: (``core.storing.search.Earlier``: a changed story's old text). None when no stored generation changed.
    earlier: Earlier | None = None
    #: Where the stories of the stored generation this ingest merged from are in ``articles`` (an
    #: incremental merge's); None otherwise.
    moved: RowsNow | None = None

    @property
    def headlines(self) -> pd.DataFrame:
        """The headline-list lines: ``source`` (file), ``line``, ``text``."""
        return self._headlines.get()

    @property
    def listings(self) -> pd.DataFrame:
        """The listing entries (``core.model.LISTING_COLUMNS``), with the id of the story each matched."""
        return self._listings.get()

    @property
    def failed(self) -> bool:
        """Some input could not be read (the others were)."""
        return bool(self.report.errors)


@dataclass(frozen=True, slots=True)
class RowsNow:
    """Where the stories of a stored generation (``generation``) are in a new frame: for each of its rows,
    the row of the story with the same id now, -1 for an id no longer there. What looking each of its
    ids up among the new frame's gives, known from an incremental merge without a lookup (the theme
    memberships stored for that generation are carried over by it)."""

    generation: str
    rows: np.ndarray


@dataclass(slots=True)
class _FileResult:
    path: str
    size: int
    mtime_ns: int
    sha256: str
    articles: list[Article]
    headlines: list[tuple[int, str]]
    report: PageReport
    reused: bool = False
    listings: list[ListingEntry] = field(default_factory=list)
    #: The stories as a frame instead of ``articles`` (a large page read in pieces).
    frame: pd.DataFrame | None = None
    #: Kept in the cache state so an unchanged file is not read again. False after an unexpected failure
    #: (a parser error, a worker that died): the file is read again by the next ingest.
    remember: bool = True


def _failure(path: str, what: str, error: BaseException) -> str:
    """The one-line error of a file that failed unexpectedly: the file, and the exception's type and
    message (no traceback)."""
    detail = " ".join(str(error).split())
    detail = detail.encode("utf-8", "backslashreplace").decode("utf-8")[:300]
    return f"{printable_name(path)}: {what} ({type(error).__name__}{': ' + detail if detail else ''})"


def _failed(result: _FileResult, message: str) -> _FileResult:
    """``result`` turned into the error line of its file: no stories, and not remembered."""
    result.report = PageReport(source=result.path, shape="error", error=message)
    result.articles, result.headlines, result.listings, result.frame = [], [], [], None
    result.reused, result.remember = False, False
    return result


def _parse_file(
    path: str, known_sha: str | None, agencies: frozenset[str], on_bytes: ByteProgress | None = None
) -> _FileResult:
    """Read, hash and parse one file (runs in a worker process when ingesting many small files). A file
    of ``stream_threshold()`` bytes or more is read in pieces (``core.reading.stream``), reporting ``on_bytes``.

    Never raises for the file: one that cannot be read is an error report (``InputError``), and any other
    exception while reading or parsing it is one too, naming the file and the exception.
    """
    try:
        stat = os.stat(path)
    except OSError:
        stat = None
    size, mtime = (stat.st_size, stat.st_mtime_ns) if stat else (0, 0)
    try:
        return _read_and_parse(path, stat, known_sha, agencies, on_bytes)
    except InputError as error:
        report = PageReport(source=path, shape="error", error=str(error))
        return _FileResult(path, size, mtime, "", [], [], report)
    except Exception as error:
        failure = _FileResult(path, size, mtime, "", [], [], PageReport(path))
        return _failed(failure, _failure(path, "could not be read", error))


def _read_and_parse(
    path: str,
    stat: os.stat_result | None,
    known_sha: str | None,
    agencies: frozenset[str],
    on_bytes: ByteProgress | None,
) -> _FileResult:
    if stat is not None and stat.st_size >= stream_threshold():
        large = _parse_large_file(path, stat, known_sha, agencies, on_bytes)
        if large is not None:
            return large
    page = read_page(path)
    if stat is None:
        raise InputError(path, "changed while it was read; read again by the next ingest")
    if page.sha256 == known_sha:
        return _FileResult(
            path, page.size, stat.st_mtime_ns, page.sha256, [], [], PageReport(path), reused=True
        )
    result = parse_page(page.text, path, agencies)
    result.report.warnings[:0] = list(page.warnings)
    return _FileResult(
        path,
        page.size,
        stat.st_mtime_ns,
        page.sha256,
        list(result.articles),
        list(result.headlines),
        result.report,
        listings=list(result.listings),
    )


def _parse_large_file(
    path: str,
    stat: os.stat_result,
    known_sha: str | None,
    agencies: frozenset[str],
    on_bytes: ByteProgress | None,
) -> _FileResult | None:
    """A large file read in pieces; None when it has to be read whole (``parse_large_page``)."""
    if known_sha is not None and hash_file(path) == known_sha:
        return _FileResult(
            path, stat.st_size, stat.st_mtime_ns, known_sha, [], [], PageReport(path), reused=True
        )
    large = parse_large_page(path, agencies, on_bytes=on_bytes)
    if large is None:
        return None
    return _FileResult(
        path,
        large.size,
        stat.st_mtime_ns,
        large.sha256,
        [],
        large.headlines,
        large.report,
        frame=large.articles,
    )


#: The column of a parsed frame that holds each story's ``body_hashes``, made where the frame is made (in
#: a worker process, beside the other workers, rather than one after the other in the ingest's process:
#: 5-6 s at 1,000,000 stories); ``_without_hashes`` takes it off.
_BODY_HASH = "_body_hash"


def _frame_of(results: list[_FileResult]) -> pd.DataFrame:
    """The stories of some files as one frame, with the file of each row in ``_file`` and the hash of each
    body in ``_BODY_HASH``."""
    hashes: np.ndarray | None = None
    if len(results) == 1 and results[0].frame is not None:
        frame = results[0].frame.assign(_file=results[0].path)
    else:
        articles = [a for r in results for a in r.articles]
        frame = articles_to_frame(articles)
        frame = frame.assign(_file=[r.path for r in results for _ in r.articles])
        bodies = [a.body for a in articles]
        if set(map(type, bodies)) <= {str}:  # the frame's bodies as they are: hashed without reading them back
            hashes = text_hashes(bodies)
    frame[_BODY_HASH] = body_hashes(frame["body"]) if hashes is None else hashes
    return frame


def _without_hashes(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """A parsed frame without its ``_BODY_HASH`` column, and that column (the bodies hashed here if it has
    none)."""
    if _BODY_HASH not in frame:
        return frame, body_hashes(frame["body"])
    return frame.drop(columns=_BODY_HASH), frame[_BODY_HASH].to_numpy(dtype=np.uint64)


def _records_frame(results: list[_FileResult]) -> pd.DataFrame | None:
    """The stories of some parsed files as one frame, in file order, with the file of each row in ``_file``.

    A file whose stories cannot be made a frame (a name that is not UTF-8, a value the schema cannot
    hold) becomes its error line; the stories of the others are kept.
    """
    pieces: list[pd.DataFrame] = []
    run: list[_FileResult] = []  # files whose stories are still ``Article`` objects

    def add(group: list[_FileResult]) -> None:
        try:
            pieces.append(_frame_of(group))
            return
        except Exception as error:
            if len(group) == 1:
                _failed(group[0], _failure(group[0].path, "could not be read", error))
                return
        for result in group:  # find the file that fails
            add([result])

    for result in results:
        if result.frame is not None and len(result.frame):
            if run:
                add(run)
                run = []
            add([result])
            result.frame = None
        elif result.articles:
            run.append(result)
    if run:
        add(run)
    if not pieces:
        return None
    return pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)


@paused_gc()  # in a worker process: the pages' stories and their frame, none in a cycle (``core.heap``)
def _parse_chunk(
    jobs: list[tuple[str, str | None]], agencies: frozenset[str]
) -> tuple[list[_FileResult], pd.DataFrame | None]:
    """Parse some files in a worker process. Their stories come back as one frame rather than as
    ``Article`` objects: the frame is built in parallel and pickles several times faster."""
    results = [_parse_file(path, known, agencies) for path, known in jobs]
    frame = _records_frame(results)
    for result in results:
        result.articles = []
    return results, frame


#: What a worker process gives back for one chunk: its results and its stories, or None when the worker
#: died (or the chunk failed as a whole).
_Outcome = tuple[list[_FileResult], pd.DataFrame | None] | None


class ChunkParser(Protocol):
    """Parses chunks of small files elsewhere than in this machine's process pool (``core.storing.cluster``
    parses them as Dask tasks). ``ingest(parse_chunks=...)`` hands it every small file to parse."""

    @property
    def workers(self) -> int:
        """How many chunks are parsed at once (it sets the chunk size)."""
        ...

    def __call__(self, work: list[list[tuple[str, str | None]]], agencies: frozenset[str]) -> Iterator[_Outcome]:
        """One outcome per chunk of ``work``, in order (``_parse_chunk``'s, or None for a chunk that failed
        as a whole: its files are then parsed again one by one here). Raises ``ClusterError`` when it
        cannot finish."""
        ...


def _chunk_outcomes(
    work: list[list[tuple[str, str | None]]], agencies: frozenset[str], workers: int
) -> Iterator[_Outcome]:
    """Parse the chunks ``work`` in ``workers`` processes; one outcome per chunk, in order."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures: list[Future[tuple[list[_FileResult], pd.DataFrame | None]] | None] = []
        for chunk in work:
            try:
                futures.append(pool.submit(_parse_chunk, chunk, agencies))
            except Exception:  # the pool broke already, or no process could be started
                futures.append(None)
        for future in futures:
            try:
                yield future.result() if future is not None else None
            except Exception:  # BrokenProcessPool: a worker died; or the chunk's results did not pickle
                yield None


def _parse_one_by_one(
    jobs: list[tuple[str, str | None]], agencies: frozenset[str]
) -> Iterator[tuple[_FileResult, pd.DataFrame | None]]:
    """The files of chunks whose worker died, each parsed again alone in a worker process, one at a time:
    a file that kills its worker again is the one that failed (a crash there would end this process too);
    the others are read. A new worker is started after each death."""
    pending = list(reversed(jobs))
    while pending:
        with ProcessPoolExecutor(max_workers=1) as pool:
            while pending:
                path, known = pending.pop()
                try:
                    future = pool.submit(_parse_chunk, [(path, known)], agencies)
                except Exception:  # no process can be started: read it here
                    results, frame = _parse_chunk([(path, known)], agencies)
                    yield results[0], frame
                    continue
                try:
                    results, frame = future.result()
                except BrokenProcessPool as error:
                    failure = _FileResult(path, _size(path), 0, "", [], [], PageReport(path))
                    yield _failed(failure, _failure(path, "the worker process reading it died", error)), None
                    break  # this pool is broken: a new one for the rest
                except Exception as error:
                    failure = _FileResult(path, _size(path), 0, "", [], [], PageReport(path))
                    yield _failed(failure, _failure(path, "could not be read", error)), None
                    continue
                yield results[0], frame


def _parse_many(
    jobs: list[tuple[str, str | None]],
    agencies: frozenset[str],
    workers: int,
    progress: Progress | None,
    parse_chunks: ChunkParser | None = None,
) -> tuple[list[_FileResult], list[pd.DataFrame]]:
    """Results in ``jobs`` order, and the new stories as frames (see ``_records_frame``), in the same order.

    Small files are parsed by ``workers`` processes when there are many; large ones (``core.reading.stream``) in
    this process, one at a time, with their bytes reported as they are read. The files of a chunk whose
    worker died are parsed again one by one (``_parse_one_by_one``). ``parse_chunks``, when given, parses
    every small file instead of the pool.
    """
    sizes = [_size(path) for path, _ in jobs]
    total = sum(sizes)
    limit = stream_threshold()
    large = [i for i, size in enumerate(sizes) if size >= limit]
    small = [i for i, size in enumerate(sizes) if size < limit]
    done = 0
    by_index: dict[int, _FileResult] = {}
    frames: dict[int, pd.DataFrame] = {}

    def finished(index: int, result: _FileResult) -> None:
        nonlocal done
        by_index[index] = result
        done += sizes[index]
        if progress:
            progress(done, total, result.path)

    if (parse_chunks is not None and small) or (workers > 1 and len(small) >= 8):
        workers = parse_chunks.workers if parse_chunks is not None else workers
        size = max(1, min(64, len(small) // (workers * 8) or 1))
        chunks = [small[i : i + size] for i in range(0, len(small), size)]
        work = [[jobs[i] for i in chunk] for chunk in chunks]
        again: list[int] = []
        outcomes = parse_chunks(work, agencies) if parse_chunks else _chunk_outcomes(work, agencies, workers)
        for chunk, outcome in zip(chunks, outcomes, strict=True):
            if outcome is None:
                again += chunk
                continue
            chunk_results, frame = outcome
            if frame is not None:
                frames[chunk[0]] = frame
            for index, result in zip(chunk, chunk_results, strict=True):
                finished(index, result)
        for index, (result, frame) in zip(
            again, _parse_one_by_one([jobs[i] for i in again], agencies), strict=True
        ):
            if frame is not None:
                frames[index] = frame
            finished(index, result)
    else:
        large = sorted(large + small)
    for index in large:
        path, known = jobs[index]

        def on_bytes(read: int, base: int = done, path: str = path) -> None:
            if progress:
                progress(min(total, base + read), total, path)

        finished(index, _parse_file(path, known, agencies, on_bytes))
    results = [by_index[i] for i in range(len(jobs))]
    if not frames:  # one process: every story in file order
        frame = _records_frame(results)
        return results, [frame] if frame is not None else []
    for index in large:  # the large files beside the workers' chunks, in file order
        frame = _records_frame([by_index[index]])
        if frame is not None:
            frames[index] = frame
    return results, [frames[i] for i in sorted(frames)]


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def ingest(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    cache_dir: Path | None = None,
    reporters: Reporters | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    use_cache: bool = True,
    parse_chunks: ChunkParser | None = None,
    changing: Callable[[Path], None] | None = None,
    opening: Callable[[Path, str], None] | None = None,
) -> Corpus:
    """Read ``inputs`` (files, folders, globs) into one article frame, using and refreshing the cache.

    A corrupt cache is rebuilt with a warning in ``corpus.cache_warnings``; inputs that cannot be read are
    reported in ``corpus.report`` (``corpus.failed``) while the others are still read. Ingests into one
    cache folder take turns (``CacheStore.lock``); one that cannot take the exclusive lock (a read-only
    cache) reads the cache but does not write it. Stories come out in one order whatever the history of
    the cache (``merge_duplicates``). ``parse_chunks`` parses the small files elsewhere (a Dask cluster,
    ``core.storing.cluster``); the merge, the catalog and the cache writes stay here. ``changing`` is
    called with the cache folder once the ingest knows that it makes a new generation from a stored one
    (``open_collection`` then begins copying the search index it will update). ``opening`` is called
    with the cache folder and the stored generation the ingest starts from, before the files are listed:
    the generation it returns as it is when no file changed (``open_collection`` then begins reading its
    theme memberships).
    """
    started = time.perf_counter()
    reporters = reporters or load_reporters()
    store = _store_of(inputs, cache_dir)
    if not use_cache:
        return _ingest(inputs, store, reporters, progress, workers, None, started, parse_chunks)
    # a writer thread for the new generation's articles file, begun before the rest of its files; its
    # work is over before the lock is let go, whatever happens
    with store.lock() as lock, ThreadPoolExecutor(1, thread_name_prefix="caixin-articles") as writer:
        return _ingest(
            inputs, store, reporters, progress, workers, lock, started, parse_chunks, changing, opening, writer
        )


def cache_write_problem(inputs: Sequence[str | os.PathLike[str]], cache_dir: Path | None = None) -> str:
    """Why an ingest of ``inputs`` into ``cache_dir`` would read its cache but not write it (its lock file
    cannot be opened for writing: a read-only folder), or "" when it could write it."""
    return _store_of(inputs, cache_dir).write_problem()


def _store_of(inputs: Sequence[str | os.PathLike[str]], cache_dir: Path | None) -> CacheStore:
    """The cache folder of ``inputs`` under ``cache_dir`` (the default cache folder when None)."""
    return CacheStore((cache_dir or default_cache_dir()) / cache_key(os.fspath(i) for i in inputs))


@paused_gc()  # the frames' lists and strings, none in a cycle (``core.heap``)
def _ingest(
    inputs: Sequence[str | os.PathLike[str]],
    store: CacheStore,
    reporters: Reporters,
    progress: Progress | None,
    workers: int | None,
    lock: CacheLock | None,
    started: float,
    parse_chunks: ChunkParser | None = None,
    changing: Callable[[Path], None] | None = None,
    opening: Callable[[Path, str], None] | None = None,
    writer: ThreadPoolExecutor | None = None,
) -> Corpus:
    """``ingest`` holding ``lock`` on the cache folder (None: no cache). ``writer``: a thread that writes
    the new generation's articles file as soon as the articles are final."""
    use_cache = lock is not None
    warnings: list[str] = []
    state: dict[str, Any] | None = None
    if lock is not None:
        try:
            state = store.load_state()
        except CacheError as error:
            warnings.append(str(error))
        if lock.exclusive:
            store.tidy(state)
        if state is not None and not store.is_current(state, reporters.fingerprint):
            state = None
    if opening is not None and state is not None:
        opening(store.root, str(state["generation"]))
    # The articles of the stored generation, read while the files are listed and compared with the state,
    # so that a warm start has them: pyarrow reads without the GIL, the listing is Python. At 1,000,000
    # stories (50,000 files) the two took 0.5-0.7 s and 0.9 s one after the other, 0.8 s together. The
    # read is awaited before going on either way, so none outlives this step.
    reader = ThreadPoolExecutor(1, thread_name_prefix="caixin-early-read")  # its thread starts at submit
    early = reader.submit(store.read_articles, state) if state is not None else None
    try:
        names, input_errors = input_names(inputs)
        known: Mapping[str, dict[str, Any]] = state["files"] if state else {}
        unchanged, jobs, seen = _compare_files(names, known)
    finally:
        reader.shutdown(wait=True)
    error_pages = [PageReport(source=e.path, shape="error", error=str(e)) for e in input_errors]

    # the names are distinct and each unchanged one is known: the same set when as many
    if state is not None and not jobs and len(unchanged) == len(known):
        try:
            assert early is not None
            articles, hashes = early.result()
            corpus = _cached_corpus(store, state, articles, hashes, names, error_pages, warnings, started, reporters)
            corpus.fingerprint = seen
            return corpus
        except CacheError as error:
            warnings.append(str(error))
            state, known, unchanged = None, {}, []
            jobs = [(n, None) for n in names]
    if changing is not None and state is not None and lock is not None and lock.exclusive:
        changing(store.root)

    old_records = empty_frame().assign(_file=pd.Series(dtype="string"))
    # the earlier generation's per-file parts, when its files are kept (read with its records)
    old_parts: PartTables | None = None
    # the segments of the records read, all checked: one the new generation has too is not written again
    kept_segments: set[str] = set()
    # what the previous merge left, when only the stories the changed files touch are to be merged again
    old_memo = _merge_memo(store, state, jobs, names) if state is not None else None
    # The articles read early are what that merge starts from (a second read took 0.4-1.5 s at 1,000,000
    # stories); otherwise they are not held through the ingest.
    previous = early if old_memo is not None else None
    # kept for the index's update after the ingest: a changed story's old text (``Corpus.earlier``), only
    # the columns that hash a story (the text among them is mapped, not read)
    before = _hashed_columns(early)
    early = None
    if old_memo is None and state is not None and (unchanged or any(k for _, k in jobs)):
        try:
            old_records = store.read_records(state)
            old_parts = store.part_tables(state)
            kept_segments = {key for key, _ in state["segments"]}
        except CacheError as error:
            warnings.append(str(error))
            jobs = [(n, None) for n in names]
            unchanged, state, old_parts = [], None, None

    workers = workers or min(2, os.cpu_count() or 1)
    results, new_frames = _parse_many(jobs, reporters.agencies, workers, progress, parse_chunks)
    reused = {r.path for r in results if r.reused}
    if state is not None and results and len(reused) == len(results) and set(names) == set(known):
        # Only file times changed (a touch, a copy that kept the content): the generation stays, and with
        # it the frames, the index, the theme memberships and the other derived files of the cache.
        touched = _touched(store, state, results, lock, names, error_pages, warnings, started, reporters)
        if touched is not None:
            touched.fingerprint = seen
            return touched
    keep = set(unchanged) | reused
    remerged: _Remerged | None = None
    if state is not None and old_memo is not None:
        # the content hash of each file the new state will list (``file_entries`` below)
        shas = known.shas(keep) if isinstance(known, FileTable) else {n: str(known[n]["sha256"]) for n in keep}
        shas.update({r.path: r.sha256 for r in results if not r.reused and r.mtime_ns and r.remember})
        try:
            # the per-file parts (as tables, checked) are read in a thread while the
            # stories are merged (Arrow and numpy, mostly without the GIL), and every segment of records
            # is checked in another (the merge reads only some: a damaged one is found all the same, 0.3 s
            # of Parquet reads at 1,000,000 stories); a part or segment not as written raises here, after
            # the merge, as it did before it (the threads are awaited either way)
            with ThreadPoolExecutor(2, thread_name_prefix="caixin-parts") as parts:
                loaded = parts.submit(store.part_tables, state)
                checked = parts.submit(store.check_segments, state)
                remerged = _incremental_merge(
                    store, state, old_memo, keep, shas, new_frames, names, reporters, previous
                )
                previous = None
                old_parts = loaded.result()
                checked.result()
            if remerged is None:
                old_records = store.read_records(state)
                kept_segments = {key for key, _ in state["segments"]}
        except CacheError as error:  # as when the records cannot be read above: every file is read again
            previous = remerged = None  # not held through the parse of every file; a merge is not used
            warnings.append(str(error))
            fresh = [r for r in results if not r.reused]
            done = {r.path for r in fresh}
            more, more_frames = _parse_many(
                [(n, None) for n in names if n not in done], reporters.agencies, workers, progress, parse_chunks
            )
            results, new_frames, state, keep, old_parts = fresh + more, new_frames + more_frames, None, set(), None
    records = record_bodies = None
    if remerged is None:
        kept_rows = isin_mask(old_records["_file"], keep)
        # The hash of each record's body is kept with the generation: only the new records' bodies are hashed.
        old_bodies = store.read_bodies(state["generation"], len(old_records)) if state is not None else None
        if old_bodies is None:
            old_bodies = np.zeros(len(old_records), dtype=np.uint64)
            old_bodies[kept_rows] = body_hashes(old_records["body"][kept_rows])
        pieces: list[tuple[pd.DataFrame, np.ndarray, np.ndarray | None]] = [(old_records, old_bodies, kept_rows)]
        pieces += [(*_without_hashes(frame), None) for frame in new_frames]
        records, record_bodies = _in_input_order(pieces, names)

    # The per-file parts of the new generation, as tables: the earlier one's rows of the files kept (no
    # Python value per report, line or entry: at 50,000 files those took about a second each way) and
    # the files read now.
    read_now = [r for r in results if not r.reused]
    pages: dict[str, PageReport] = {r.path: r.report for r in read_now}  # the page reports of the files read now
    if old_parts is None:  # no file is kept without the earlier parts; one would have an empty report
        pages.update({name: PageReport(name) for name in keep})
    fresh_reports = {name: report.to_dict() for name, report in pages.items()}
    fresh_parts = PartTables.of(
        {
            "reports": fresh_reports,
            "headlines": {r.path: r.headlines for r in read_now},
            "listings": {r.path: [e.to_json_dict() for e in r.listings] for r in read_now},
        }
    )
    file_parts = (old_parts.only(keep) if old_parts is not None else PartTables.empty()).joined(fresh_parts, names)
    # the files table of the new generation: the kept files' entries, the new times of the files whose
    # content did not change, the files read now
    changes: dict[str, dict[str, Any]] = {}
    for r in results:
        if r.reused:
            changes[r.path] = {"size": r.size, "mtime_ns": r.mtime_ns, "sha256": known[r.path]["sha256"]}
        # remembered even when unreadable, so an unchanged bad file is not read again; not after an
        # unexpected failure, which may not happen again (a worker that died, a parser since fixed)
        elif r.mtime_ns and r.remember:
            changes[r.path] = {"size": r.size, "mtime_ns": r.mtime_ns, "sha256": r.sha256}
    file_entries = FileTable.carried(known, names, keep, changes)

    new_memo: MergeMemo | None = None
    if remerged is not None:
        articles, merged, article_bodies = remerged.articles, remerged.merged, remerged.bodies
        name_merges, new_memo = remerged.name_merges, remerged.memo
    else:
        assert records is not None and record_bodies is not None
        articles, merged, winners, ids = _merge(records.drop(columns="_file"), fresh_lists=True)
        article_bodies = record_bodies[winners]
        articles, name_merges, authors, contacts = _reporters_and_counts(articles, reporters)
        if isin_mask(records["_file"], file_entries).all():
            new_memo = _memo_of(records, ids, winners, articles, names, file_entries, authors, contacts)
    before_catalog = articles
    memo = _catalog_memo(store, state) if state is not None else None
    articles, listing_frame, memo = apply_headline_catalog(
        articles, file_parts, memo, article_bodies, remerged.rows_now if remerged is not None else None
    )
    if new_memo is not None:
        new_memo.catalog_rows, new_memo.catalog_headlines, new_memo.catalog_inferred, new_memo.catalog_match = (
            catalog_changes(before_catalog, articles)
        )
    articles = with_arrow_lists(articles)  # the contacts rewritten above are Python lists again
    generation_name = uuid.uuid4().hex[:12]
    # The articles file, the longest of the generation's files to write (0.3-0.5 s at 1,000,000 stories),
    # begun now, beside the summary, the content hashes and the other files; ``store.write`` waits for it.
    # Not read back or named before the state is written: a failed ingest leaves a file the next write removes.
    articles_written = (
        writer.submit(store.write_articles, generation_name, articles)
        if writer is not None and lock is not None and lock.exclusive
        else None
    )
    if state is not None and old_parts is not None and "summary" in state:
        # the stored sums moved by the reports that changed
        gone = old_parts.only([name for name in known if name not in keep]).report_dicts()
        summary = summary_moved(state["summary"], gone, fresh_reports, names)
    elif not keep:
        summary = summarise_reports({name: fresh_reports[name] for name in names})
    else:
        summary = summarise_reports(file_parts.report_dicts())
    reports_now = file_parts.reports  # the kept files' reports are made objects only when the pages are read
    report = CorpusReport.deferred(
        lambda: _page_reports(names, pages, reports_now),
        ReportSummary(
            pages=len(names),
            lines=summary["lines"],
            blank=summary["blank"],
            roles=summary["roles"],
            errors=tuple(summary["errors"][n] for n in names if n in summary["errors"]),
        ),
        error_pages,
        duplicates_merged=merged,
        reporter_merges=name_merges,
    )
    # the parts of the files it lists: these, unless a file read now is not remembered
    stored_parts = file_parts if len(file_entries) == len(names) else file_parts.only(file_entries)
    new_state = {
        "generation": generation_name,
        "config": reporters.fingerprint,
        "files": file_entries,
        "reports": stored_parts.reports,
        "headlines": stored_parts.headlines,
        "listings": stored_parts.listings,
        "listing_rows": _listing_rows(listing_frame),
        "summary": summary if stored_parts is file_parts else summarise_reports(stored_parts.report_dicts()),
        "duplicates_merged": merged,
        "reporter_merges": name_merges,
    }
    generation: str | None = None
    new_hashes: np.ndarray | None = None
    text_from: tuple[TextLayout, np.ndarray] | None = None
    kept_source: np.ndarray | None = None
    earlier: Earlier | None = None
    if lock is not None and not lock.exclusive:
        warnings.append(f"{store.root}: cache not written ({lock.note}); data still loaded")
    elif lock is not None:
        try:
            if remerged is not None and new_memo is not None:
                source = kept_source = _kept_rows(remerged, new_memo.catalog_rows)
                new_hashes = _content_hashes_after(articles, article_bodies, remerged, source)
                if source is not None and state is not None:
                    text_from = (TextLayout.of_state(state), source)
            else:
                new_hashes = content_hashes(articles, article_bodies)
            # the stored stories this generation no longer has, before the write (not the whole frame held)
            earlier, before = _earlier(before, kept_source, new_hashes), None
            shas = file_entries.shas(file_entries)
            context = segment_context(reporters.fingerprint)
            stored: pd.DataFrame | dict[str, pd.DataFrame]
            if remerged is not None:
                stored, stored_bodies = remerged.segment_records, remerged.record_bodies
                segments, kept_segments = remerged.segments, remerged.kept_segments
            else:
                assert records is not None and record_bodies is not None
                written = isin_mask(records["_file"], file_entries)
                stored = records if written.all() else records[written].reset_index(drop=True)
                stored_bodies = record_bodies[written]
                segments = plan_segments(stored["_file"], names, shas, context)
            # what the next ingest reuses is written beside the generation's own files (the catalog memo
            # alone is 300 MB at 1,000,000 stories), before the state that names the generation
            layout = store.write(
                new_state,
                stored,
                segments,
                articles,
                new_hashes,
                kept_segments,
                text_from,
                also=lambda: _write_derived_at_ingest(store, str(new_state["generation"]), stored_bodies, memo, new_memo),
                articles_written=articles_written,
            )
            generation = str(new_state["generation"])
            if not text_in_memory():  # the text is on disk now: map it, so the bodies parsed are freed
                text = open_layout(store.text_path, layout, len(articles))
                articles = attach_text(articles, text, list(COLUMNS))
        except CacheError as error:  # written, but not readable back: the text stays in memory
            warnings.append(str(error))
        except OSError as error:
            warnings.append(f"{store.root}: cache not written ({error.strerror or error}); data still loaded")
    return Corpus(
        articles,
        report,
        # made when first asked for (the data page, the CLI): a re-read does not (0.11-0.17 s at 1,000,000 stories)
        Deferred(lambda: _headline_lines(file_parts)),
        Deferred.of(listing_frame),
        from_cache=False,
        cache_warnings=warnings,
        seconds=time.perf_counter() - started,
        cache_root=store.root if use_cache else None,
        generation=generation,
        hashes=new_hashes,
        fingerprint=seen,
        earlier=earlier if generation is not None else None,
        moved=RowsNow(str(state["generation"]), remerged.rows_now)
        if remerged is not None and generation is not None and state is not None
        else None,
    )


def _hashed_columns(
    read: Future[tuple[pd.DataFrame, np.ndarray | None]] | None,
) -> tuple[pd.DataFrame, np.ndarray | None] | None:
    """The stored articles read early, only the columns ``content_hashes`` reads (the same arrays, not
    copied; at 1,000,000 stories the whole frame is 310 MB besides its mapped text), and their hashes;
    None when none were read or the read failed (the merge that reads them too says so)."""
    if read is None:
        return None
    try:
        frame, hashes = read.result()
    except (CacheError, OSError):
        return None
    names = [name for name in (*HASHED_COLUMNS, "authors") if name in frame]
    return pd.DataFrame({name: frame[name] for name in names}, index=frame.index, copy=False), hashes


def _earlier(
    stored: tuple[pd.DataFrame, np.ndarray | None] | None,
    source: np.ndarray | None,
    hashes_now: np.ndarray | None,
) -> Earlier | None:
    """The stories of the stored generation that this ingest changed or removed (``Corpus.earlier``), their
    text taken now (a few rows, not the mapped files): those that no new story was kept from unchanged
    (``source``: ``_kept_rows``), or else whose content hash is not among ``hashes_now``. None when the
    stored articles were not read (the index is then built anew if a story it holds changed)."""
    if stored is None:
        return None
    frame, hashes = stored
    if hashes is None:  # the text in memory (the comparison path): no stored hashes
        hashes = content_hashes(frame)
    gone = np.ones(len(frame), dtype=bool)
    if source is not None:
        gone[source[(source >= 0) & (source < len(frame))]] = False
    elif hashes_now is not None and len(hashes_now):
        ordered = np.sort(hashes_now)
        at = np.minimum(np.searchsorted(ordered, hashes), len(ordered) - 1)
        gone = ordered[at] != hashes
    rows = np.flatnonzero(gone)
    return Earlier(take_frame_rows(frame, rows).reset_index(drop=True), np.asarray(hashes)[rows])


def _compare_files(
    names: list[str], known: Mapping[str, dict[str, Any]]
) -> tuple[list[str], list[tuple[str, str | None]], dict[str, tuple[int, int]]]:
    """Which of ``names`` (distinct) are unchanged since the state's files table ``known`` (same size and
    modification time), which are to be read (with the hash the table has for them, None when new or
    gone), and the size and modification time of each file found. A ``FileTable`` is compared as
    columns: no entry dict per file."""
    if isinstance(known, FileTable):
        sizes, mtimes = known.sizes, known.mtimes
        stored = [(sizes[place], mtimes[place]) if place >= 0 else None for place in known.places(names)]
    else:
        stored = [(entry["size"], entry["mtime_ns"]) if (entry := known.get(name)) else None for name in names]
    unchanged: list[str] = []
    jobs: list[tuple[str, str | None]] = []
    seen: dict[str, tuple[int, int]] = {}
    for name, before in zip(names, stored, strict=True):
        try:
            stat = os.stat(name)
        except OSError:
            jobs.append((name, None))
            continue
        seen[name] = stamp = (stat.st_size, stat.st_mtime_ns)
        if before == stamp:
            unchanged.append(name)
        else:
            jobs.append((name, known[name]["sha256"] if before is not None else None))
    return unchanged, jobs, seen


def incremental_merge_enabled() -> bool:
    """Whether an ingest after a few changed files merges only the stories they touch (the default);
    ``CAIXIN_INCREMENTAL_MERGE=0`` merges every record, as before (for comparison)."""
    return os.environ.get("CAIXIN_INCREMENTAL_MERGE", "1") != "0"


def _merge_memo(
    store: CacheStore, state: dict[str, Any], jobs: list[tuple[str, str | None]], names: list[str]
) -> MergeMemo | None:
    """The previous generation's merge memo when this ingest may merge only the stories the changed files
    touch: few files to read, and a memo as written; None otherwise (every record is merged)."""
    removed = set(state["files"]).difference(names)
    if not incremental_merge_enabled() or len(jobs) + len(removed) > min(MOST_CHANGED_FILES, max(4, len(names) // 10)):
        return None
    arrays = store.read_merge(str(state["generation"]))
    if arrays is None:
        return None
    rows = state["rows"]
    return MergeMemo.from_arrays(arrays, int(rows["records"]), len(state["files"]), int(rows["articles"]))


@dataclass(slots=True)
class _Remerged:
    """What ``_incremental_merge`` gives: what the full merge and the reporters would have."""

    articles: pd.DataFrame  # merged, authors and contacts rewritten; before the headline catalog
    merged: int
    name_merges: dict[str, str]
    bodies: np.ndarray  # the body hash of each story's winning copy
    memo: MergeMemo  # this merge's memo (its catalog part filled in after the catalog)
    segments: list[Segment]
    kept_segments: set[str]
    segment_records: dict[str, pd.DataFrame]  # the records of each segment to write, by key
    record_bodies: np.ndarray  # the body hash of every record, in the records' order
    kept_from: np.ndarray  # each story's row in the previous articles, -1 for a story merged again
    kept_hashes: np.ndarray | None  # the previous articles' content hashes, when known
    kept_catalog: np.ndarray  # the rows of the previous articles the catalog had changed
    rows_now: np.ndarray  # each previous article's row now, by id (``RowsNow.rows``)


def _memo_of(
    records: pd.DataFrame,
    ids: list[Any],
    winners: np.ndarray,
    articles: pd.DataFrame,
    names: list[str],
    file_entries: Mapping[str, dict[str, Any]],
    authors: Counter[str],
    contacts: Counter[str],
) -> MergeMemo:
    """The merge memo of a full merge of ``records`` (in input order, every one of a file the new state
    lists): ``ids`` and ``winners`` as ``_merge`` gave them, ``articles`` its rows."""
    stories = positions_in(pd.Series(pd.array(ids, dtype="string")), articles["article_id"].to_numpy(dtype=object))
    per_file = records["_file"].value_counts(sort=False)
    listed = [n for n in names if n in file_entries]
    counts = per_file.reindex(listed, fill_value=0).to_numpy(dtype=np.int64)
    return MergeMemo(
        record_instants=instants(records["published_at"]),
        record_stories=stories.astype(np.int64),
        file_records=counts,
        story_winners=np.asarray(winners, dtype=np.int64),
        authors=authors,
        contacts=contacts,
        file_starts=name_starts(listed),
    )


def _incremental_merge(
    store: CacheStore,
    state: dict[str, Any],
    memo: MergeMemo,
    keep: set[str],
    shas: dict[str, str],
    new_frames: list[pd.DataFrame],
    names: list[str],
    reporters: Reporters,
    previous: Future[tuple[pd.DataFrame, np.ndarray | None]] | None = None,
) -> _Remerged | None:
    """The merge, the reporters and the records' segments of this ingest from the previous generation
    (its articles, its merge memo, the segments that hold the touched stories) and the records just read
    (``new_frames``), merging only the stories the changed files touch (``core.storing.remerge``).
    ``previous``: ``store.read_articles(state)`` already under way (or done), else it is read here.
    Exactly what ``_merge`` and ``_reporters_and_counts`` over every record give; None when that cannot
    be had this way (the name-order merges changed, the kept files changed order, something not as
    expected): the caller merges every record. ``CacheError``: a file of the generation not as written."""
    old_files = list(state["files"])
    # per file, in Arrow and numpy (a Python step per file, a dict or a set of 50,000 names, took 0.02-0.05 s
    # each; there were eight)
    try:
        new_names, old_names = pa.array(names, pa.string()), pa.array(old_files, pa.string())
    except (UnicodeEncodeError, pa.ArrowException):  # a name no text column holds: not stored as it is
        return None
    kept_names = pa.array(list(keep), pa.string())
    kept_new, kept_file = isin_mask(new_names, kept_names), isin_mask(old_names, kept_names)
    old_of_new, new_of_old = positions_in(new_names, old_names), positions_in(old_names, new_names)
    if (old_of_new[kept_new] < 0).any():
        return None  # a kept file the previous generation does not list
    if (new_of_old[kept_file] < 0).any():
        return None  # a kept file the new input does not list
    if (np.diff(old_of_new[kept_new]) <= 0).any():
        return None  # the kept files in another order: the input order of their records changed
    old_rows = int(state["rows"]["records"])
    old_bodies = store.read_bodies(str(state["generation"]), old_rows)
    if old_bodies is None:
        return None
    new_counts: Counter[str] = Counter()
    for frame in new_frames:
        new_counts.update(frame["_file"].value_counts(sort=False).to_dict())
    listed = isin_mask(new_names, shas)  # the files the new state lists
    if not set(new_counts) <= set(shas):
        return None  # records of a file the new state will not list
    file_records = np.asarray(memo.file_records, dtype=np.int64)
    old_start = np.r_[0, np.cumsum(file_records)].astype(np.int64)
    counted = positions_in(new_names, list(new_counts))
    new_records = np.where(counted >= 0, np.array([0, *new_counts.values()], dtype=np.int64)[counted + 1], 0)
    file_counts = np.where(kept_new, file_records[np.maximum(old_of_new, 0)] if len(file_records) else 0, new_records)
    new_start = np.r_[0, np.cumsum(file_counts)].astype(np.int64)
    # old record -> new position (records of kept files only): its file's new start plus its rank in it
    shift = np.where(kept_file, new_start[np.maximum(new_of_old, 0)] - old_start[:-1], 0).astype(np.int64)
    record_kept = np.repeat(kept_file, memo.file_records)
    record_shift = np.repeat(shift, memo.file_records)

    new_instants = [instants(frame["published_at"]) for frame in new_frames]
    minutes = sorted_unique(np.concatenate([memo.record_instants[~record_kept], *new_instants]))
    touched = sorted_unique(memo.record_stories[np.isin(memo.record_instants, minutes)])

    segment_start = np.r_[0, np.cumsum([rows for _, rows in state["segments"]])].astype(np.int64)
    if segment_start[-1] != old_rows:
        return None
    context = segment_context(reporters.fingerprint)
    starts = _name_starts(names, old_of_new, memo.file_starts)
    segments = plan_segments_by_counts(file_counts, names, shas, context, starts)
    old_keys = {key for key, _ in state["segments"]}
    to_write = [segment for segment in segments if segment.key not in old_keys]
    # the kept records of each segment to write: the old segments that hold them are read
    files_written = np.zeros(len(names), dtype=bool)
    for segment in to_write:
        files_written |= (new_start[:-1] < segment.stop) & (new_start[1:] > segment.start)
    kept_written = np.zeros(old_rows, dtype=bool)
    for place in old_of_new[files_written & kept_new].tolist():
        kept_written[old_start[place] : old_start[place + 1]] = True

    old_articles, old_hashes = previous.result() if previous is not None else store.read_articles(state)
    old_ids = old_articles["article_id"]  # looked up in Arrow (``positions_in``), no Python string per story
    Piece = tuple[pd.DataFrame, np.ndarray, np.ndarray | None]
    new_pieces: list[Piece] = []
    for frame in new_frames:
        records, hashes = _without_hashes(frame)
        new_pieces.append((records.assign(_old=np.full(len(records), -1, dtype=np.int64)), hashes, None))
    frames: dict[int, pd.DataFrame] = {}
    for _ in range(3):  # the touched stories, then those whose id a copy at a touched minute now takes
        rows = np.flatnonzero(np.isin(memo.record_stories, touched) | kept_written)
        wanted = {int(n) - 1 for n in np.searchsorted(segment_start, rows, side="right").tolist()} - set(frames)
        frames.update(store.read_segments(state, wanted))
        pieces: list[Piece] = []
        for number, frame in sorted(frames.items()):
            first, stop = int(segment_start[number]), int(segment_start[number + 1])
            old = np.arange(first, stop, dtype=np.int64)
            pieces.append((frame.assign(_old=old), old_bodies[first:stop], record_kept[first:stop]))
        if not pieces + new_pieces:  # no story touched, none read (a page of no stories changed)
            none = empty_frame().assign(_file=pd.Series(dtype="string"), _old=pd.Series(dtype=np.int64))
            pieces = [(none, np.zeros(0, dtype=np.uint64), None)]
        local, local_bodies = _in_input_order(pieces + new_pieces, names)
        local_old = local["_old"].to_numpy(dtype=np.int64)
        local_instants = instants(local["published_at"])
        at_minute = np.flatnonzero(np.isin(local_instants, minutes))
        minute_ids = _short_copy_ids(local.take(at_minute).reset_index(drop=True))
        found = positions_in(pd.Series(pd.array(list(set(minute_ids)), dtype="string")), old_ids)
        more = sorted_setdiff(found[found >= 0], touched)
        if not len(more):
            break
        touched = sorted_union(touched, more)
    else:
        return None

    # the records to merge: those of the touched stories (kept) and the records just read
    in_touched = np.zeros(len(memo.story_winners), dtype=bool)
    in_touched[touched] = True
    is_new = local_old < 0
    old_story = memo.record_stories[local_old[~is_new]]
    in_touched_story = is_new.copy()
    in_touched_story[~is_new] = in_touched[old_story]
    chosen = np.flatnonzero(in_touched_story)
    ids = np.empty(len(local), dtype=object)
    ids[~is_new] = old_ids.take(old_story).to_numpy(dtype=object)
    ids[at_minute] = minute_ids
    if not np.isin(at_minute, chosen).all():
        return None
    # new positions of the local records, checked against those of the old records they are
    codes, uniques = pd.factorize(local["_file"], sort=False)
    local_place = positions_in(pa.array(list(uniques), pa.string()), new_names)[codes]
    if (local_place < 0).any():
        return None  # a record of a file the input does not list
    local_pos = new_start[local_place] + (np.arange(len(local), dtype=np.int64) - run_starts(codes))
    kept_local = ~is_new
    if not np.array_equal(local_pos[kept_local], local_old[kept_local] + record_shift[local_old[kept_local]]):
        return None

    subset = local.drop(columns=["_file", "_old"]).take(chosen).reset_index(drop=True)
    touched_articles, _, winners, subset_ids = _merge(subset, True, ids[chosen].tolist())
    touched_story = positions_in(pd.Series(pd.array(subset_ids, dtype="string")), touched_articles["article_id"].to_numpy(dtype=object))

    # the reporters: the name counts of every story, from the old counts and the touched stories
    old_winners = memo.story_winners[touched]
    winner_rows = {}
    for number, frame in frames.items():
        inside = old_winners[(old_winners >= segment_start[number]) & (old_winners < segment_start[number + 1])]
        for position in inside.tolist():
            winner_rows[position] = (frame["authors"].iat[position - segment_start[number]], frame["contacts"].iat[position - segment_start[number]])
    if len(winner_rows) != len(old_winners):
        return None
    before = pd.DataFrame(
        {"authors": [winner_rows[p][0] for p in old_winners.tolist()], "contacts": [winner_rows[p][1] for p in old_winners.tolist()]}
    )
    authors, contacts = Counter(memo.authors), Counter(memo.contacts)
    authors.subtract(a for names_ in _aliased(before, reporters) for a in names_)
    contacts.subtract(c for names_ in before["contacts"].tolist() for c in names_)
    aliased = _aliased(touched_articles, reporters)
    authors.update(a for names_ in aliased for a in names_)
    contacts.update(c for names_ in touched_articles["contacts"].tolist() for c in names_)
    if any(count < 0 for count in authors.values()) or any(count < 0 for count in contacts.values()):
        return None
    authors, contacts = +authors, +contacts
    mapping = _name_mapping(authors, reporters)
    if mapping != _name_mapping(memo.authors, reporters):
        return None  # the name-order merges changed: stories anywhere may be rewritten
    used = authors.keys() | contacts.keys()
    name_merges = {v: c for v, c in mapping.items() if v in used}
    if name_merges != state["reporter_merges"]:
        return None
    if mapping:
        touched_articles = touched_articles.copy()
        touched_articles["authors"] = _rewritten(aliased, mapping)
        touched_articles["contacts"] = _rewritten([tuple(n) for n in touched_articles["contacts"].tolist()], mapping)

    # the stories kept as they were, before the catalog changed their headlines
    untouched = np.flatnonzero(~in_touched)
    kept_winners = memo.story_winners[untouched]
    if not record_kept[kept_winners].all():
        return None
    if len(memo.catalog_rows):
        headline = old_articles["headline"].astype(object).to_numpy().copy()
        headline[memo.catalog_rows] = memo.catalog_headlines
        inferred = old_articles["headline_inferred"].to_numpy(dtype=bool).copy()
        inferred[memo.catalog_rows] = memo.catalog_inferred
        match = old_articles["headline_match"].to_numpy(dtype=np.float64).copy()
        match[memo.catalog_rows] = memo.catalog_match
        old_articles = old_articles.assign(
            headline=pd.array(headline, dtype=old_articles["headline"].dtype),
            headline_inferred=inferred,
            headline_match=match,
        )

    # one order: newest first, undated last, ties by the input position of the winning copy
    chosen_winners = chosen[winners]
    stamps = np.r_[memo.record_instants[kept_winners], local_instants[chosen_winners]].astype(np.int64)
    positions = np.r_[kept_winners + record_shift[kept_winners], local_pos[chosen_winners]].astype(np.int64)
    undated = stamps == np.iinfo(np.int64).min
    order = np.lexsort((positions, -np.where(undated, 0, stamps), undated))
    source = np.r_[untouched, len(old_articles) + np.arange(len(touched_articles), dtype=np.int64)][order]
    # the short text columns in one chunk each (the catalog takes and sets their rows); the columns of the
    # text file (the text, the byline and photo credit, mapped), read by nothing but the write and the
    # content hashes of a few rows (chunk by chunk, ``take_frame_rows``), stay in their slices
    joined = rows_of_two(old_articles, with_arrow_lists(touched_articles, old_articles), source)
    articles = one_chunk(conform(joined, fresh_lists=True), MAPPED_COLUMNS)
    bodies = np.r_[old_bodies[kept_winners], local_bodies[chosen_winners]].astype(np.uint64)[order]

    # this merge's memo and the records' body hashes, in the new records' order
    total = int(new_start[-1])
    final = np.empty(len(order), dtype=np.int64)
    final[order] = np.arange(len(order), dtype=np.int64)
    old_to_final = np.full(len(memo.story_winners), -1, dtype=np.int64)
    old_to_final[untouched] = final[: len(untouched)]
    record_instants = np.empty(total, dtype=np.int64)
    record_stories = np.full(total, -1, dtype=np.int64)
    record_bodies = np.zeros(total, dtype=np.uint64)
    kept_records = np.flatnonzero(record_kept)
    target = kept_records + record_shift[kept_records]
    record_instants[target] = memo.record_instants[kept_records]
    record_stories[target] = old_to_final[memo.record_stories[kept_records]]
    record_bodies[target] = old_bodies[kept_records]
    record_instants[local_pos] = local_instants
    record_bodies[local_pos] = local_bodies
    record_stories[local_pos[chosen]] = final[len(untouched) + touched_story]
    if (record_stories < 0).any():
        return None
    new_memo = MergeMemo(
        record_instants=record_instants,
        record_stories=record_stories,
        file_records=file_counts[listed],
        file_starts=starts[listed],
        story_winners=positions[order],
        authors=authors,
        contacts=contacts,
    )
    segment_records = {}
    for segment in to_write:
        first, last = np.searchsorted(local_pos, [segment.start, segment.stop])
        if last - first != segment.rows:
            return None
        segment_records[segment.key] = local.iloc[int(first) : int(last)].drop(columns="_old")
    kept_from = np.where(source < len(old_articles), source, -1)
    return _Remerged(
        articles=articles,
        merged=total - len(articles),
        name_merges=dict(state["reporter_merges"]),
        bodies=bodies,
        memo=new_memo,
        segments=segments,
        kept_segments=old_keys,
        segment_records=segment_records,
        record_bodies=record_bodies,
        kept_from=kept_from,
        kept_hashes=old_hashes if old_hashes is not None and len(old_hashes) == len(old_articles) else None,
        kept_catalog=memo.catalog_rows,
        rows_now=_rows_now(kept_from, articles["article_id"], old_ids, touched),
    )


def _name_starts(names: list[str], old_of_new: np.ndarray, old_starts: np.ndarray | None) -> np.ndarray:
    """``name_starts(names)``: carried over from the previous generation's files (``old_starts``, by each
    name's place among them in ``old_of_new``), the names it did not list hashed."""
    if old_starts is None:
        return name_starts(names)
    starts = np.zeros(len(names), dtype=bool)
    known = old_of_new >= 0
    starts[known] = old_starts[old_of_new[known]]
    fresh = np.flatnonzero(~known)
    starts[fresh] = name_starts([names[index] for index in fresh.tolist()])
    return starts


def _rows_now(kept_from: np.ndarray, ids: pd.Series, old_ids: pd.Series, touched: np.ndarray | None = None) -> np.ndarray:
    """``RowsNow.rows``: each of ``old_ids``' row among ``ids`` (-1 when not there), from the rows the merge
    kept (``kept_from``: each row's previous row, -1 for a story merged again), the stories merged again
    (a few) looked up by id: among the previous rows ``touched`` (the rows merged again) when given, not
    among a million ids (0.05-0.1 s). The ids of a frame are distinct, and a kept row keeps its id, so a
    story merged again has no other previous row's id."""
    rows = np.full(len(old_ids), -1, dtype=np.int64)
    kept = kept_from >= 0
    rows[kept_from[kept]] = np.flatnonzero(kept)
    again = np.flatnonzero(~kept)
    if len(again):
        if touched is None:
            at = positions_in(ids.iloc[again], old_ids)
        else:  # a place among the touched rows, as a previous row
            touched = np.asarray(touched, dtype=np.int64)
            among = positions_in(ids.iloc[again], old_ids.iloc[touched])
            at = np.full(len(again), -1, dtype=np.int64)
            at[among >= 0] = touched[among[among >= 0]]
        found = at >= 0
        rows[at[found]] = again[found]
    return rows


def _kept_rows(remerged: _Remerged, catalog_rows: np.ndarray) -> np.ndarray | None:
    """Each story's row in the previous generation when it has that row's values (kept by the merge, and
    changed by neither headline catalog match, then or now), -1 for the others (merged again, or changed
    by the catalog); None when the previous generation's content hashes are not known."""
    if remerged.kept_hashes is None:
        return None
    source = remerged.kept_from.copy()
    again = source < 0
    again[catalog_rows] = True
    again |= np.isin(source, remerged.kept_catalog)
    source[again] = -1
    return source


def _content_hashes_after(
    articles: pd.DataFrame, bodies: np.ndarray, remerged: _Remerged, source: np.ndarray | None
) -> np.ndarray:
    """``content_hashes(articles, bodies)`` after an incremental merge: a story with a previous row
    (``_kept_rows``) has that row's hash; the others are hashed."""
    if source is None or remerged.kept_hashes is None:
        return content_hashes(articles, bodies)
    kept = source >= 0
    hashes = np.zeros(len(articles), dtype=np.uint64)
    hashes[kept] = remerged.kept_hashes[source[kept]]
    rows = np.flatnonzero(~kept)
    if len(rows):
        hashes[rows] = content_hashes(take_frame_rows(articles, rows), bodies[rows])
    return hashes


def _touched(
    store: CacheStore,
    state: dict[str, Any],
    results: list[_FileResult],
    lock: CacheLock | None,
    names: list[str],
    error_pages: list[PageReport],
    warnings: list[str],
    started: float,
    reporters: Reporters,
) -> Corpus | None:
    """The cached collection when every changed file kept its content, its state given the new file
    times; None when the cached frame cannot be read (the caller then builds a new generation)."""
    files = dict(state["files"])
    for r in results:
        files[r.path] = {**files[r.path], "size": r.size, "mtime_ns": r.mtime_ns}
    new_state = {**state, "files": files}
    try:
        articles, hashes = store.read_articles(state)
    except CacheError as error:
        warnings.append(str(error))
        return None
    if lock is not None and lock.exclusive:
        try:
            store.write_state(new_state)
        except OSError as error:
            warnings.append(f"{store.root}: cache not written ({error.strerror or error}); data still loaded")
    return _cached_corpus(store, new_state, articles, hashes, names, error_pages, warnings, started, reporters)


def _cached_corpus(
    store: CacheStore,
    state: dict[str, Any],
    articles: pd.DataFrame,
    hashes: np.ndarray | None,
    names: list[str],
    error_pages: list[PageReport],
    warnings: list[str],
    started: float,
    reporters: Reporters,
) -> Corpus:
    """The corpus of a cache generation read as it is (``articles`` from ``store.read_articles``).

    Its page reports, headlines and listings are read from the generation's part files when first used.
    A part that turns out not as written then (its schema and row count were checked at the start, its
    values only now) is one warning in ``cache_warnings``, its file is removed (so the next ingest
    rebuilds the cache) and the values are read from the pages instead (``_read_again``): never a wrong
    value and never a traceback."""
    again = Deferred(lambda: _read_again(names, reporters))

    def part(read: Callable[[], Any], from_pages: Callable[[Corpus], Any], part_name: str) -> Any:
        try:
            return read()
        except CacheError as error:
            warnings.append(f"{error} (read from the pages instead)".replace("; rebuilding", ""))
            try:  # so that the next ingest finds it missing and rebuilds the cache
                store.part_path(part_name, state["generation"]).unlink(missing_ok=True)
            except OSError:
                pass  # a read-only cache: every start reads this part from the pages, with this warning
            return from_pages(again.get())

    def pages() -> list[PageReport]:
        reports = state["reports"]
        return part(  # type: ignore[no-any-return]
            lambda: [PageReport.from_dict(reports[n]) for n in names],
            lambda fresh: list(fresh.report.pages),
            "reports",
        )

    def columns() -> ReportColumns | None:
        read = state.get("report_columns")
        try:
            return None if read is None else read(names)
        except CacheError:
            return None  # the page reports are read instead, and say what is wrong (``part``)

    summary = state["summary"]
    errors = summary["errors"]
    report = CorpusReport.deferred(
        pages,
        ReportSummary(
            pages=len(names),
            lines=summary["lines"],
            blank=summary["blank"],
            roles=summary["roles"],
            errors=tuple(errors[n] for n in names if n in errors),
        ),
        error_pages,
        duplicates_merged=state["duplicates_merged"],
        reporter_merges=dict(state["reporter_merges"]),
        columns=columns,
    )
    headlines = Deferred(
        lambda: part(lambda: _headline_frame(state["headlines"], names), lambda fresh: fresh.headlines, "headlines")
    )
    listings = Deferred(
        lambda: part(
            lambda: _listing_frame_from_rows(state["listing_rows"].get()),
            lambda fresh: fresh.listings,
            "listing-rows",
        )
    )
    return Corpus(
        articles,
        report,
        headlines,
        listings,
        from_cache=True,
        cache_warnings=warnings,
        seconds=time.perf_counter() - started,
        cache_root=store.root,
        generation=state["generation"],
        hashes=hashes,
    )


def _read_again(names: list[str], reporters: Reporters) -> Corpus:
    """The pages ``names`` read again without the cache: what a part of the cache that turned out damaged
    after the start gave."""
    return ingest(names, use_cache=False, reporters=reporters, workers=1)


def _catalog_memo(store: CacheStore, state: dict[str, Any]) -> CatalogMemo | None:
    """What the catalog match of the state's generation left (``core.storing.rematch``); None when it left
    nothing readable (the catalog is then matched in full)."""
    generation = str(state["generation"])
    tables = store.read_catalog(generation)
    memo = CatalogMemo.from_tables(tables) if tables is not None else None
    if memo is not None:
        memo.base_from = generation  # its earlier keys are in that generation's file
    return memo


def _write_derived_at_ingest(
    store: CacheStore,
    generation: str,
    bodies: np.ndarray,
    memo: CatalogMemo | None,
    merge: MergeMemo | None = None,
) -> None:
    """Keep the records' body hashes, this catalog match's memo and this merge's for the next ingest; what
    cannot be written is computed again by it (a missing merge memo: every record is merged)."""
    try:
        store.write_bodies(generation, bodies)
        if memo is not None:
            store.write_catalog(generation, memo.tables(), {"keys": memo.base_from} if memo.base_from else None)
        if merge is not None:
            store.write_merge(generation, merge.arrays())
        else:  # none of this generation: none of an earlier one is used again either
            for old in store.root.glob("merge-*.npz"):
                old.unlink(missing_ok=True)
    except OSError:
        pass


def _in_input_order(
    pieces: list[tuple[pd.DataFrame, np.ndarray, np.ndarray | None]], names: list[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """The records of ``pieces`` (records, their body hashes, the rows to use or None for all) in the
    order a clean ingest reads them, with their body hashes: by file in input order (``names``), each
    file's stories in the order of its lines. Records kept from the cache come before those just read, so
    without this an incremental ingest would order stories of the same minute otherwise.

    The rows of one file are together and in line order in their piece; the pieces are joined as runs of
    consecutive rows (an edit of one page cuts the kept records in two or three runs)."""
    try:
        listed: pa.Array | dict[str, int] = pa.array(names, pa.string())
    except (UnicodeEncodeError, pa.ArrowException):  # a name with a lone surrogate: by a dict
        listed = {name: index for index, name in enumerate(names)}
    rows, places, offsets = [], [], [0]
    for frame, _, use in pieces:
        local = np.arange(len(frame), dtype=np.int64) if use is None else np.flatnonzero(use)
        files, uniques = pd.factorize(frame["_file"].take(local) if use is not None else frame["_file"])
        if isinstance(listed, dict):
            at = np.array([listed.get(name, -1) for name in uniques], dtype=np.int64)
        else:
            at = positions_in(pa.array(list(uniques), pa.string()), listed)
        if (at < 0).any():
            raise KeyError(uniques[int(np.argmax(at < 0))])  # records of a file not among the names
        places.append(at[files])
        rows.append(local + offsets[-1])
        offsets.append(offsets[-1] + len(frame))
    place, row = np.concatenate(places), np.concatenate(rows)
    order = row[np.argsort(place, kind="stable")]  # rows of the pieces laid end to end, in input order
    piece_of = np.searchsorted(np.asarray(offsets), order, side="right") - 1
    cuts = np.flatnonzero((np.diff(order) != 1) | (np.diff(piece_of) != 0)) + 1
    starts, stops = np.r_[0, cuts].astype(np.int64), np.r_[cuts, len(order)].astype(np.int64)
    if not len(order):
        return pieces[0][0].iloc[:0].reset_index(drop=True), np.zeros(0, dtype=np.uint64)
    if len(starts) > MOST_SLICES:
        whole = pd.concat([frame for frame, _, _ in pieces], ignore_index=True)
        every = np.concatenate([bodies for _, bodies, _ in pieces])
        return one_chunk(whole.take(order).reset_index(drop=True)), every[order].astype(np.uint64)
    frames, hashes = [], []
    for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
        number = int(piece_of[start])
        frame, bodies, _ = pieces[number]
        first = int(order[start]) - offsets[number]
        frames.append(frame.iloc[first : first + stop - start])
        hashes.append(bodies[first : first + stop - start])
    records = frames[0].reset_index(drop=True) if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    records = one_chunk(records)
    return records, np.concatenate(hashes).astype(np.uint64, copy=False)


def _entry_from_json(data: dict[str, Any]) -> ListingEntry:
    stamp = data.get("published_at")
    return ListingEntry(
        headline=data["headline"],
        summary=data.get("summary", ""),
        published_at=datetime.fromisoformat(stamp) if stamp else None,
        group=data.get("group", ""),
        source=data["source"],
        line=int(data["line"]),
        article_id=data.get("article_id"),
    )


def _listing_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_entry_from_row(row).to_json_dict() for row in frame.to_dict("records")]


def _entry_from_row(row: dict[str, Any]) -> ListingEntry:
    stamp = row.get("published_at")
    article_id = row.get("article_id")
    return ListingEntry(
        headline=str(row["headline"]),
        summary=str(row.get("summary") or ""),
        published_at=None if stamp is None or pd.isna(stamp) else stamp.to_pydatetime(),
        group=str(row.get("group") or ""),
        source=str(row["source"]),
        line=int(row["line"]),
        article_id=None if article_id is None or pd.isna(article_id) else str(article_id),
    )


def _listing_frame_from_rows(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return listings_to_frame([_entry_from_json(row) for row in rows])


def apply_headline_catalog(
    articles: pd.DataFrame,
    parts: PartTables,
    memo: CatalogMemo | None = None,
    bodies: np.ndarray | None = None,
    moved: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, CatalogMemo | None]:
    """Headlines known from listings, digests, article pages and headline lists, matched to stories.

    A story with an inferred headline takes a strongly matched real one (``core.storing.catalog``); every
    listing entry gets the id of the story it matched, or none ("known from listings only").
    ``Related:`` lines are not used here: ``core.analysing.analytics.story_threads`` links them for reading.
    ``parts``: the per-file parts of the pages, in input order (their listing entries and headline-list
    lines, and each page's shape). ``memo`` is what the previous ingest's match left
    (``core.storing.rematch``): only the entries whose match can have changed are matched again; ``bodies``
    are the ``body_hashes`` of the articles when known; ``moved`` where the merge moved the stories the
    memo was made of (``RowsNow.rows``), when it knows.
    Returns the articles, the listing entries frame
    (``core.model.LISTING_COLUMNS``) and this match's memo (None when nothing was matched).
    """
    listed = parts.listing_rows()
    entries = [_entry_from_json(row) for row in listed]
    shapes = parts.shapes({row["file"] for row in listed})
    kinds = [_entry_kind(shapes.get(row["file"], "")) for row in listed]
    files, lines, texts = parts.headline_arrays()
    listing_frame = listings_to_frame(entries)
    if not (entries or len(texts)) or articles.empty:
        return articles, listing_frame, None
    # By column, the headline-list lines' texts as the part's Arrow buffers: a frame made from a tuple
    # per entry took 0.16 s of 200,000 entries, and the match read its texts back out of Python strings.
    frame = pd.DataFrame(
        {
            "headline": _texts_then([e.headline for e in entries], texts),
            "published_at": [e.published_at for e in entries] + [None] * len(texts),
            "source": _texts_then([e.source for e in entries], files),
            "line": np.concatenate([np.array([e.line for e in entries], dtype=np.int64), lines]),
            "kind": _texts_then(kinds, pa.array(["headline_list"] * len(texts), pa.string())),
            "exclude_article_id": [None] * (len(entries) + len(texts)),
        },
        columns=[*ENTRY_COLUMNS, "exclude_article_id"],
    )
    matches, memo, _ = rematch(articles, frame, memo, bodies=bodies, moved=moved)
    own = listing_frame["article_id"]
    found = matches["article_id"].iloc[: len(entries)].reset_index(drop=True)
    listing_frame["article_id"] = own.where(own.notna(), found).astype("string")
    # The list cells are ingest's own (from the merge and the aliases), so they are not copied again.
    return conform(apply_catalog(articles, matches), fresh_lists=True), listing_frame, memo


def _texts_then(first: list[str], rest: pa.Array) -> pd.api.extensions.ExtensionArray | pd.Series:
    """``first`` and then ``rest`` as one text column: in Arrow (pandas' ``str``, ``rest``'s buffers
    copied once) when both are text Arrow can hold, else as Python strings (``object``: a file name that
    is not UTF-8, which pandas' ``str`` cannot hold)."""
    if pa.types.is_string(rest.type):
        try:
            head = pa.array(first, pa.string())
        except (pa.ArrowException, UnicodeEncodeError):
            pass
        else:
            return pd.arrays.ArrowStringArray(pa.concat_arrays([head, rest])).astype("str")
    return pd.Series(first + text_values(pa.chunked_array([rest])), dtype=object)


def _entry_kind(shape: str) -> str:
    """The catalog kind of a listing entry of a page of ``shape``."""
    return "article" if shape == "article" else "digest" if shape == "digest" else "listing"


def _page_reports(names: list[str], pages: Mapping[str, PageReport], reports: pa.Table) -> list[PageReport]:
    """The page report of each of ``names``: those read now, else made from the reports part's table."""
    stored = report_dicts(reports) if len(pages) < len(names) else {}
    return [pages[name] if name in pages else PageReport.from_dict(stored[name]) for name in names]


def _headline_lines(parts: PartTables) -> pd.DataFrame:
    """The headline-list lines frame (``Corpus.headlines``) of the per-file parts."""
    files, lines, texts = parts.headline_columns()
    # made as ``_headline_frame`` makes it from a state's values, so that both give the same dtypes
    return pd.DataFrame(list(zip(files, lines, texts, strict=True)), columns=["source", "line", "text"])


def _headline_frame(headlines: dict[str, Any], names: list[str]) -> pd.DataFrame:
    rows = [(n, int(line), text) for n in names for line, text in headlines.get(n, [])]
    return pd.DataFrame(rows, columns=["source", "line", "text"])


def _opening_words(body: str) -> list[str]:
    return _WORDS.findall(body[:2000].lower())


def merge_duplicates(records: pd.DataFrame, *, fresh_lists: bool = False) -> tuple[pd.DataFrame, int]:
    """One row per story: copies with the same ``article_id`` (or a truncated copy whose text opens
    another copy of the same minute) merge; the most complete copy wins (not teaser, not truncated,
    longest body, then the first in ``records``) and lists the sources of all copies. Returns the frame
    and how many copies were merged away.

    The order of stories: newest first, undated last; stories of the same minute in the order of their
    winning copies in ``records``. ``ingest`` hands the records in input order (the input files in the
    order they expand to, each file's stories by line; ``_in_input_order``), so the order is one total
    order, the same after any sequence of incremental ingests as after a clean one (``docs/cache.md``).

    ``fresh_lists=True``: the list cells of ``records`` are lists of ``str`` that the result may take
    over instead of copying (``ingest`` passes its own records).
    """
    frame, merged, _, _ = _merge(records, fresh_lists)
    return frame, merged


def _merge(
    records: pd.DataFrame, fresh_lists: bool, ids: list[Any] | None = None
) -> tuple[pd.DataFrame, int, np.ndarray, list[Any]]:
    """``merge_duplicates``, the position in ``records`` of the copy that gave each row, and the id each
    record merged under. ``ids``: those ids given (the short copies already given their longer copy's id,
    ``_short_copy_ids``) instead of found here."""
    if records.empty:
        return conform(records), 0, np.zeros(0, dtype=np.intp), []
    frame = records.reset_index(drop=True).copy()
    if ids is None:
        ids = _short_copy_ids(frame)
    frame["article_id"] = pd.array(ids, dtype="string")
    frame["_order"] = range(len(frame))
    counts = frame["article_id"].value_counts()
    dup_ids = set(counts.index[counts > 1])
    if not dup_ids:
        order = _newest_first_order(frame["published_at"])
        ordered = take_frame_rows(frame.drop(columns="_order"), order)
        return conform(ordered, fresh_lists=fresh_lists), 0, order, ids
    # Rows are chosen and ordered on the small key columns; the frame itself (with every body) is then
    # taken once, in its final order.
    keys = frame[["article_id", "teaser", "truncated", "word_count", "_order"]].sort_values(
        ["article_id", "teaser", "truncated", "word_count", "_order"],
        ascending=[True, True, True, False, True],
    )
    winner_rows = np.sort(keys.index.to_numpy()[~keys["article_id"].duplicated(keep="first").to_numpy()])
    # The sources of every copy, gathered with plain Python over the duplicated rows only (a pandas
    # groupby over thousands of small groups cost most of a second).
    duplicated = frame["article_id"].isin(dup_ids).to_numpy()
    spans_of: dict[str, set[str]] = defaultdict(set)
    for article_id, spans in zip(
        frame["article_id"][duplicated].tolist(), frame["sources"][duplicated].tolist(), strict=True
    ):
        spans_of[str(article_id)].update(spans)
    sources = {
        article_id: sorted(spans, key=lambda s: (parse_source_span(s).file, parse_source_span(s).first_line))
        for article_id, spans in spans_of.items()
    }
    winner_rows = winner_rows[_newest_first_order(frame["published_at"].take(winner_rows))]
    winners = take_frame_rows(frame, winner_rows)  # the columns on threads: 2.5 GB at 1,000,000 stories
    winners["sources"] = [
        sources.get(str(i), s)
        for i, s in zip(winners["article_id"].tolist(), winners["sources"].tolist(), strict=True)
    ]
    merged = len(frame) - len(winners)
    out = conform(winners.drop(columns="_order"), fresh_lists=fresh_lists)  # its index is 0..n-1 already
    return out, merged, winner_rows, ids


def _short_copy_ids(frame: pd.DataFrame) -> list[Any]:
    """The ``article_id`` of each record of ``frame`` (index 0..n-1), a short copy's that of the longer copy
    it opens (``_merge_short_copies``)."""
    ids: list[Any] = frame["article_id"].astype(object).tolist()
    short = np.flatnonzero((frame["truncated"] | (frame["word_count"] < 12)).to_numpy(dtype=bool))
    if len(short):
        _merge_short_copies(frame, ids, short.tolist())
    return ids


def _merge_short_copies(frame: pd.DataFrame, ids: list[Any], short: list[int]) -> None:
    """Give a truncated or very short copy the id of a longer copy of the same minute whose text it opens.

    ``ids`` (one per row) is updated in place, the short rows in order. Only the rows of the minutes that
    short rows have are looked at, and each body is read from the frame once.
    """
    stamps = frame["published_at"]
    # Equal int64 values are equal times (NaT is one value, as it is one key in a dict of Timestamps).
    keys = stamps.array.asi8.tolist() if isinstance(stamps.dtype, pd.DatetimeTZDtype) else stamps.tolist()
    wanted = {keys[index] for index in short}
    by_time: dict[Any, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        if key in wanted:
            by_time[key].append(index)
    rows = sorted({index for group in by_time.values() for index in group})
    bodies = dict(zip(rows, frame["body"].take(rows).tolist(), strict=True))
    word_counts = dict(zip(rows, frame["word_count"].take(rows).tolist(), strict=True))
    openings: dict[int, list[str]] = {}

    def opening_of(index: int) -> list[str]:
        if index not in openings:
            openings[index] = _opening_words(bodies[index])
        return openings[index]

    for index in short:
        opening = opening_of(index)
        for other in by_time.get(keys[index], []):
            if other == index or ids[other] == ids[index] or word_counts[other] <= len(opening):
                continue
            if opening_of(other)[: len(opening)] == opening:
                ids[index] = ids[other]
                break


def _newest_first_order(stamps: pd.Series) -> np.ndarray:
    """Positions that sort ``stamps`` newest first, undated last, ties in their current order."""
    ordered = stamps.reset_index(drop=True).sort_values(ascending=False, na_position="last", kind="stable")
    return np.asarray(ordered.index, dtype=np.intp)


def name_order_merges(names: Iterable[str], reporters: Reporters) -> dict[str, str]:
    """Names that differ only in word order (``Runhua Zhao`` / ``Zhao Runhua``) -> one canonical spelling.

    The spelling the aliases file names wins, then the more frequent one, then the alphabetically first.
    """
    return _merges_of_counts(Counter(names), reporters)


def _merges_of_counts(counts: Counter[str], reporters: Reporters) -> dict[str, str]:
    """``name_order_merges`` of names occurring ``counts`` times."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name in counts:
        words = tuple(sorted(name.lower().split()))
        if len(words) > 1:
            groups[words].append(name)
    canonical_names = set(reporters.aliases.values())
    merges: dict[str, str] = {}
    for variants in groups.values():
        if len(variants) < 2:
            continue
        winner = min(variants, key=lambda n: (n not in canonical_names, -counts[n], n))
        for variant in variants:
            if variant != winner:
                merges[variant] = winner
    return merges


def apply_reporters(frame: pd.DataFrame, reporters: Reporters) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rewrite ``authors`` and ``contacts`` through the aliases and the name-order merges."""
    out, merges, _, _ = _reporters_and_counts(frame, reporters)
    return out, merges


def _aliased(frame: pd.DataFrame, reporters: Reporters) -> list[tuple[str, ...]]:
    """Each row's authors through the aliases (each distinct list once: a collection has far fewer than
    it has stories)."""
    canonical: dict[tuple[str, ...], tuple[str, ...]] = {}
    aliased = []
    for authors in frame["authors"].tolist():
        key = tuple(authors)
        names = canonical.get(key)
        if names is None:
            names = canonical[key] = tuple(reporters.canonical(a) for a in authors)
        aliased.append(names)
    return aliased


def _reporters_and_counts(
    frame: pd.DataFrame, reporters: Reporters
) -> tuple[pd.DataFrame, dict[str, str], Counter[str], Counter[str]]:
    """``apply_reporters``, and how often each aliased author name and each contact name occurs (what
    the name-order merges and the merges reported are made of; ``core.storing.remerge``)."""
    if frame.empty:
        return frame, {}, Counter(), Counter()
    bylines, credited = distinct_lists(frame["authors"]), distinct_lists(frame["contacts"])
    if bylines is not None and credited is not None:
        return _reporters_of_distinct(frame, reporters, bylines, credited)
    aliased = _aliased(frame, reporters)
    counts = Counter(a for authors in aliased for a in authors)
    contacts = [tuple(names) for names in frame["contacts"].tolist()]
    contact_counts = Counter(c for names in contacts for c in names)
    mapping = _name_mapping(counts, reporters)
    if not mapping:
        return frame, {}, counts, contact_counts
    out = frame.copy()
    out["authors"] = _rewritten(aliased, mapping)
    out["contacts"] = _rewritten(contacts, mapping)
    used = counts.keys() | contact_counts.keys()
    return out, {v: c for v, c in mapping.items() if v in used}, counts, contact_counts


_Distinct = tuple[list[tuple[str, ...]], np.ndarray, np.ndarray]


def _reporters_of_distinct(
    frame: pd.DataFrame, reporters: Reporters, bylines: _Distinct, credited: _Distinct
) -> tuple[pd.DataFrame, dict[str, str], Counter[str], Counter[str]]:
    """``_reporters_and_counts`` of a frame whose authors and contacts are Arrow lists, read by their
    distinct cells (``distinct_lists``): each distinct list of names is aliased, counted and rewritten once,
    and the columns are made again in Arrow. At 1,000,000 stories a Python list per cell, aliased and
    rewritten one by one, took 4-5 s. The counts list the names in the order of their first story, as
    counting every story in order does (a name first appears in the first appearance of the first list
    that holds it)."""
    cells, codes, many = bylines
    aliased = [tuple(reporters.canonical(a) for a in names) for names in cells]
    counts = _name_counts(aliased, many)
    contact_cells, contact_codes, contact_many = credited
    contact_counts = _name_counts(contact_cells, contact_many)
    mapping = _name_mapping(counts, reporters)
    if not mapping:
        return frame, {}, counts, contact_counts
    out = frame.assign(
        authors=lists_of_codes(_rewritten(aliased, mapping), codes, frame.index),
        contacts=lists_of_codes(_rewritten(contact_cells, mapping), contact_codes, frame.index),
    )
    used = counts.keys() | contact_counts.keys()
    return out, {v: c for v, c in mapping.items() if v in used}, counts, contact_counts


def _name_counts(cells: list[tuple[str, ...]], many: np.ndarray) -> Counter[str]:
    """How often each name occurs in cells that occur ``many`` times each, in the order the names first come."""
    counts: Counter[str] = Counter()
    for names, times in zip(cells, many.tolist(), strict=True):
        for name in names:
            counts[name] += times
    return counts


def _name_mapping(counts: Counter[str], reporters: Reporters) -> dict[str, str]:
    """Every name rewritten: the aliases, then the name-order merges of names occurring ``counts`` times."""
    explicit = {v: c for v, c in reporters.aliases.items() if v != c}
    return {**explicit, **_merges_of_counts(counts, reporters)}


def _rewritten(rows: list[tuple[str, ...]], mapping: dict[str, str]) -> list[list[str]]:
    """Each row's names through ``mapping``, without repeats; a new list per row."""
    done: dict[tuple[str, ...], list[str]] = {}
    out = []
    for names in rows:
        result = done.get(names)
        if result is None:
            result = done[names] = _dedupe([mapping.get(n, n) for n in names])
        out.append(list(result))
    return out


def _dedupe(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))
