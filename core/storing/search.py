"""Full-text search on a real SQLite FTS5 index, built beside the DataFrame cache and reused across runs.

Words, phrases and prefixes are looked up in the index (headline, body and photo caption; ``Related:``
headlines are not indexed: they name other stories). Fields (``author:``, ``section:``, ``theme:``,
``agency:``) are answered from the frame. Boolean structure is combined over sets of row positions
(``evaluate``) or, for ``mask``, over boolean arrays.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import tempfile
import threading
import unicodedata
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.analysing.query import And, Field, Node, Not, Or, Term, check_themes, parse_query, positive_terms
from core.storing.frame import arrow_text, list_codes, list_joined, rows_at, take_frame_rows
from core.storing.removal import remove_later

INDEX_VERSION = "5"
TOKENIZER = "unicode61 remove_diacritics 2"
#: FTS5's default 'automerge' (segments merged when this many are on one level), set back after a build
AUTOMERGE = 4

#: A term's documents are stored as a bitmap (table ``postings``) when at least this share of the documents,
#: and at least ``POSTINGS_FLOOR`` of them, hold it: a common word or a prefix over common words is then
#: read as one blob instead of walking its doclist (``-china`` at 1,000,000 stories: 531,276 documents).
POSTINGS_SHARE = 0.01
POSTINGS_FLOOR = 5_000
#: Room left at the end of each bitmap for the docids of later updates (a share of the docids): an update
#: then changes a few bytes in place (SQLite's incremental blob I/O) instead of writing every touched
#: bitmap again (125 KB each at 1,000,000 stories).
POSTINGS_ROOM = 1 / 32
#: A prefix with more expansions than this that have no stored bitmap is asked of FTS5 as a plain prefix.
MAX_RARE_EXPANSIONS = 100

#: Theme membership lookup for ``theme:``: slug -> set of article ids, None for an unknown theme.
ThemeLookup = Callable[[str], set[str] | None]


def theme_slugs(themes: ThemeLookup) -> list[str]:
    """The themes a lookup knows, for the message about an unknown one: the slugs of the themes of the
    object the lookup is a method of (``Collection.theme_ids``), or the keys of a mapping (``dict.get``)."""
    owner = getattr(themes, "__self__", None)
    listed = getattr(owner, "themes", None)
    if isinstance(listed, list | tuple):
        return [str(getattr(theme, "slug", theme)) for theme in listed]
    if isinstance(owner, Mapping):
        return sorted(str(key) for key in owner)
    return []


def parse_with_themes(query: str, themes: ThemeLookup | None) -> Node:
    """``parse_query``, then, when the themes are known, a ``QuerySyntaxError`` for a ``theme:`` that
    names none of them (listing their slugs)."""
    node = parse_query(query)
    if themes is not None:
        check_themes(query, node, lambda value: themes(value) is not None, theme_slugs(themes))
    return node


@dataclass(frozen=True, slots=True)
class Hit:
    """One occurrence of a query term in a story: which text, where, and a keyword-in-context snippet."""

    field: str  # "headline" | "body" | "photo_caption"
    start: int
    end: int
    term: str
    snippet: str


#: The columns a story's content hash covers: what the index holds (headline, body, caption) and what a
#: theme reads besides it (inferred headline, author, section and agency fields of a saved query).
HASHED_COLUMNS = ("article_id", "headline", "body", "photo_caption", "headline_inferred", "section", "agency")
#: BM25 column weights (headline, body, caption): a term in the headline counts three times.
BM25_WEIGHTS = (3.0, 1.0, 1.0)
#: Above this share of changed rows, an index is built again rather than updated.
REBUILD_SHARE = 0.5
#: Stories whose text is taken from the frame at a time for the index (``_documents``).
DOCUMENT_ROWS = 20_000


def text_hashes(values: Iterable[str | None]) -> np.ndarray:
    """A 64-bit BLAKE2b of each text (a missing value apart from every text): four times faster than
    ``pandas.util.hash_array`` on story bodies."""
    blake = hashlib.blake2b
    digests = b"".join(
        [
            blake(
                b"\xff" if value is None else value.encode("utf-8", "surrogatepass"), digest_size=8
            ).digest()
            for value in values
        ]
    )
    return np.frombuffer(digests, dtype=np.uint64)


def body_hashes(bodies: pd.Series) -> np.ndarray:
    """The hash of each body that ``content_hashes`` combines (``core.storing.ingest`` keeps it per record)."""
    return text_hashes(bodies.to_numpy(dtype=object, na_value=None))


def content_hashes(frame: pd.DataFrame, bodies: np.ndarray | None = None) -> np.ndarray:
    """One 64-bit hash per row of the story's id and content (``HASHED_COLUMNS`` and the authors): a
    story edited anywhere gets a new hash. Each column is hashed as a whole array, then the columns are
    combined per row with numpy (wrapping 64-bit arithmetic). ``bodies``: ``body_hashes`` of the frame's
    bodies when known (the longest column to hash)."""
    combined = np.zeros(len(frame), dtype=np.uint64)
    prime = np.uint64(1_000_003)
    for name in (*HASHED_COLUMNS, "authors"):
        if name not in frame:
            continue
        column = frame[name]
        if name == "authors":
            values: np.ndarray = text_hashes(list_joined(column, "\x1f"))
        elif column.dtype == bool:
            values = column.to_numpy(dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        elif name == "body":
            values = body_hashes(column) if bodies is None else bodies
        else:  # short texts: pandas' vectorised hash is fast enough
            values = pd.util.hash_array(column.to_numpy(dtype=object, na_value="\x00<missing>"))
        with np.errstate(over="ignore"):
            combined = combined * prime ^ values
    return combined


def frame_fingerprint(frame: pd.DataFrame, hashes: np.ndarray | None = None) -> str:
    """Identifies a frame's stories, their content and their order; an index built for another frame
    (or for an earlier version of an edited story) is never used as it is."""
    values = content_hashes(frame) if hashes is None else hashes
    digest = hashlib.sha256(f"{INDEX_VERSION}|{len(values)}|".encode())
    digest.update(np.ascontiguousarray(values).tobytes())
    return digest.hexdigest()[:20]


def _row_keys(frame: pd.DataFrame, hashes: np.ndarray) -> pd.DataFrame:
    """Each row's document key: (article id, content hash, occurrence of that pair in the frame). With
    every hash once, every pair is once: its occurrence is 0."""
    # the ids stay in Arrow (pandas' ``str``): they are compared in Arrow and written to the keys file
    keys = pd.DataFrame({"article_id": frame["article_id"].astype("str").array, "hash": hashes.view(np.int64)})
    unique = len(pd.unique(keys["hash"].to_numpy())) == len(keys)
    if unique:  # each pair once (the common case): no groupby
        keys["dup"] = np.zeros(len(keys), dtype=np.int64)
    else:
        keys["dup"] = keys.groupby(["article_id", "hash"], sort=False).cumcount().astype(np.int64)
    keys["row"] = np.arange(len(frame), dtype=np.int64)
    keys.attrs[UNIQUE] = unique
    return keys


def _newest_index(folder: Path, other_than: Path | None = None) -> Path | None:
    """The folder's most recently written index file (other than ``other_than``), or None."""
    candidates = [p for p in folder.glob("fts-*.sqlite") if p != other_than]
    try:
        return max(candidates, key=lambda p: p.stat().st_mtime_ns) if candidates else None
    except OSError:  # removed meanwhile
        return None


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns)


class EarlyCopy:
    """A copy of a folder's newest index, made in a thread while the ingest still runs, for the update of
    the index that follows it (``SearchIndex.open``): at 1,000,000 stories the index is 2.6 GB and its copy
    took 5.3 s of a re-read. ``start`` when the ingest knows it makes a new generation; an open that does
    not update from that same file (unchanged since) does not use it, and the copy is removed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.source: Path | None = None
        self.path: Path | None = None
        self._identity: tuple[int, int, int] | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._copied = False
        self._dropped = False

    def start(self) -> None:
        """Begin the copy in a thread (once; nothing when the folder has no index or cannot be written)."""
        with self._lock:
            if self.path is not None or self._dropped:
                return
            source = _newest_index(self.folder) if self.folder.is_dir() else None
            identity = _identity(source) if source is not None else None
            if source is None or identity is None:
                return
            try:
                fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".fts-", suffix=".tmp")
            except OSError:
                return
            os.close(fd)
            self.source, self._identity, self.path = source, identity, Path(tmp)
            try:
                threading.Thread(target=self._copy, name="caixin-index-copy", daemon=True).start()
            except RuntimeError:  # no thread to be had: the update copies as before
                self.path.unlink(missing_ok=True)
                self._dropped = True
                self._done.set()

    def _copy(self) -> None:
        assert self.source is not None and self.path is not None
        copied = False
        try:
            shutil.copyfile(self.source, self.path)
            copied = True
        except OSError:
            pass
        finally:
            with self._lock:
                self._copied = copied
                if self._dropped or not copied:
                    self.path.unlink(missing_ok=True)
            self._done.set()

    def take(self, previous: Path, target: Path) -> bool:
        """Move the finished copy to ``target`` when it is one of ``previous`` as it is now (waiting for
        the copy); else drop it. True when moved."""
        if self.path is None:
            return False
        if previous != self.source:  # a copy of another index: not waited for
            self.drop()
            return False
        self._done.wait()
        with self._lock:
            usable = self._copied and not self._dropped and previous == self.source
            usable = usable and _identity(previous) == self._identity
            self._dropped = True
            if usable:
                try:
                    os.replace(self.path, target)
                    return True
                except OSError:
                    pass
            self.path.unlink(missing_ok=True)
            return False

    def drop(self) -> None:
        """Not needed: removed now, or by its thread when it finishes."""
        with self._lock:
            self._dropped = True
            if self.path is not None and self._done.is_set():
                self.path.unlink(missing_ok=True)

    def wait(self) -> None:
        """Until the copy's thread is done (tests)."""
        if self.path is not None:
            self._done.wait()


@dataclass(frozen=True, slots=True)
class Earlier:
    """Stories of an earlier frame (a cache generation's articles, their text mapped from its text file)
    with their content hashes (``content_hashes``; None: hashed when needed). An update of the index
    removes a changed or removed story's document with the text it was indexed with, which the index
    does not keep (its table is contentless): the text is found here by the document's article id and
    content hash, and checked against that hash."""

    frame: pd.DataFrame
    hashes: np.ndarray | None = None


def _remove_later(paths: Iterable[Path]) -> None:
    """Remove an old index and its rows file: the index (2.6 GB at 1,000,000 stories) renamed to
    ``.fts-old-*.tmp`` at once and unlinked in a thread (``core.storing.removal``), the rows file now."""
    doomed = []
    for path in paths:
        if path.name.endswith(".sqlite"):
            doomed.append(path)
        else:
            path.unlink(missing_ok=True)
    remove_later(doomed, ".fts-old-", "caixin-index-remove")


class SearchIndex:
    """An FTS5 index over one article frame. Each story is one document with a stable docid (kept across
    incremental updates); ``row_of_doc`` maps docids to rows of the frame (None: docid ``i`` is row ``i``,
    as in a freshly built index)."""

    def __init__(
        self, frame: pd.DataFrame, connection: sqlite3.Connection, row_of_doc: np.ndarray | None = None
    ) -> None:
        self.frame = frame
        self._db = connection
        self._lock = threading.Lock()
        self._authors: dict[str, set[int]] | None = None
        self._groups: dict[str, dict[str, np.ndarray]] = {}
        self._rows_by_id: dict[str, int] | None = None
        self._ids_unique = True
        self._theme_cache: dict[str, tuple[set[str], np.ndarray]] = {}
        self._all_rows: frozenset[int] | None = None
        self.row_of_doc = row_of_doc
        #: read the stored bitmaps of common terms (False: every term is asked of FTS5, as before them)
        self.use_postings = True
        self._postings: frozenset[str] | None = None
        self._doc_of_row: np.ndarray | None = None
        self._identity = False
        #: how the index was obtained: "memory", "reused", "updated" or "built"
        self.how = "memory"
        #: documents written into the index by this open (all rows for a build, the changed for an update)
        self.inserted = 0
        #: for an update: the rows of the frame whose story is new or changed, and the fingerprint of the
        #: index it was updated from (what theme memberships can be carried over from)
        self.changed_rows: np.ndarray | None = None
        self.previous: str | None = None
        self.fingerprint = ""

    # -- building ---------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        frame: pd.DataFrame,
        folder: Path | None = None,
        hashes: np.ndarray | None = None,
        early: EarlyCopy | None = None,
        earlier: Sequence[Earlier] = (),
    ) -> SearchIndex:
        """The index for ``frame``: reuse ``folder/fts-<fingerprint>.sqlite`` if present; else update the
        folder's previous index (a copy of it, renamed into place when complete) with the stories that
        were added, changed or removed; else (none, damaged, more than ``REBUILD_SHARE`` of the rows
        changed, or a removed story's text found neither in ``frame`` nor in ``earlier``) build it.

        With ``folder=None`` the index lives in memory. ``hashes`` are ``content_hashes(frame)`` when the
        caller has them (stored with the cache generation): the text of the stories is then not read.
        ``early``: a copy of the previous index begun while the frame was made, used for the update (and
        removed otherwise). ``earlier``: frames that hold the stories the previous index has and ``frame``
        no longer has (the cache generation the ingest changed, the collection a server showed before).
        """
        try:
            return cls._open(frame, folder, hashes, early, earlier)
        finally:
            if early is not None:
                early.drop()

    @classmethod
    def _open(
        cls,
        frame: pd.DataFrame,
        folder: Path | None,
        hashes: np.ndarray | None,
        early: EarlyCopy | None,
        earlier: Sequence[Earlier] = (),
    ) -> SearchIndex:
        if folder is None:
            db = sqlite3.connect(":memory:", check_same_thread=False)
            _fill(db, frame, None)
            index = cls(frame, db)
            index.inserted = len(frame)
            return index
        folder.mkdir(parents=True, exist_ok=True)
        if hashes is None or len(hashes) != len(frame):
            hashes = content_hashes(frame)
        fingerprint = frame_fingerprint(frame, hashes)
        path = folder / f"fts-{fingerprint}.sqlite"
        if path.exists():
            try:
                db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
                mapping = _stored_mapping(db, path, len(frame))
                if mapping is None:
                    keys = _row_keys(frame, hashes)
                    mapping = _mapping(db, keys)
                    if mapping is not None:
                        _store_mapping(path, mapping)
                        _store_keys(path, keys, mapping)
                if mapping is not None:
                    index = cls(frame, db, mapping)
                    index.how, index.fingerprint = "reused", fingerprint
                    return index
                db.close()
            except sqlite3.DatabaseError:
                pass
            path.unlink(missing_ok=True)
        for beside in (_rows_path(path), _keys_path(path)):  # of an index no longer there
            beside.unlink(missing_ok=True)
        keys = _row_keys(frame, hashes)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".fts-", suffix=".tmp")
        os.close(fd)
        try:
            updated = _update_from_previous(folder, path, Path(tmp), keys, frame, early, earlier)
            if updated is None:
                Path(tmp).unlink(missing_ok=True)
                db = sqlite3.connect(tmp)
                _fill(db, frame, keys)
                _set_meta(db, fingerprint)
                db.close()
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
        _remove_later(
            old
            for old in folder.glob("fts-*")
            if old.name.endswith((".sqlite", ROWS_SUFFIX, KEYS_SUFFIX)) and old.name.split(".")[0] != path.stem
        )
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        if updated is None:
            index = cls(frame, db)
            index.how, index.inserted = "built", len(frame)
            _store_mapping(path, np.arange(len(frame), dtype=np.intp))
            _store_keys(path, keys, np.arange(len(frame), dtype=np.intp))
        else:
            row_of_doc, changed, previous = updated
            index = cls(frame, db, row_of_doc)
            index.how, index.inserted = "updated", len(changed)
            index.changed_rows, index.previous = changed, previous
            _store_mapping(path, row_of_doc)
            _store_keys(path, keys, row_of_doc)
        index.fingerprint = fingerprint
        return index

    def _rows(self, docids: np.ndarray) -> np.ndarray:
        return docids if self.row_of_doc is None else self.row_of_doc[docids]

    # -- evaluation -------------------------------------------------------------------------------
    def term_rows(self, term: Term) -> set[int]:
        """Rows whose headline, body or caption contain the word, phrase or prefix."""
        return set(self._term_rowids(term).tolist())

    def _term_rowids(self, term: Term) -> np.ndarray:
        return self._match_rowids(match_expression(term))

    def _match_rowids(self, expression: str) -> np.ndarray:
        """The rows of the documents an FTS5 MATCH expression selects."""
        # One comma-separated string from SQLite instead of a Python tuple per row: half the time for a
        # common word (50,000 rows).
        with self._lock:
            (joined,) = self._db.execute(
                "SELECT group_concat(rowid) FROM docs WHERE docs MATCH ?", (expression,)
            ).fetchone()
        return self._rows(_joined_ints(joined, np.intp))

    def _term_mask(self, term: Term) -> np.ndarray:
        """``_rows_mask(_term_rowids(term))``, from the stored bitmaps when the term (or, for a prefix, some
        of its expansions) has one."""
        if self.use_postings and not term.is_phrase:
            stored = self._stored_mask(term)
            if stored is not None:
                return stored
        return self._rows_mask(self._term_rowids(term))

    def _stored_terms(self) -> frozenset[str]:
        """The terms with a stored bitmap (none for an index without the table)."""
        if self._postings is None:
            with self._lock:
                try:
                    found = self._db.execute("SELECT term FROM postings").fetchall()
                except sqlite3.OperationalError:
                    found = []
            self._postings = frozenset(term for (term,) in found)
        return self._postings

    def _stored_mask(self, term: Term) -> np.ndarray | None:
        """The rows of a word or prefix from the stored bitmaps, or None when they do not answer it (then
        FTS5 does): a word without a bitmap, a prefix none of whose expansions has one or with more than
        ``MAX_RARE_EXPANSIONS`` expansions without one. A prefix's expansions come from the ``terms``
        table; those without a bitmap are asked of FTS5 as one OR of quoted terms."""
        stored = self._stored_terms()
        if not stored:
            return None
        tokens = tokenize(term.words[0])
        if len(tokens) != 1:  # no token or several (a phrase to FTS5): its own way
            return None
        token = tokens[0]
        if not term.prefix:
            return self._bitmap_mask([token]) if token in stored else None
        with self._lock:
            expansions = [
                found
                for (found,) in self._db.execute(
                    "SELECT term FROM terms WHERE term >= ? AND term < ?", (token, token + "\U0010ffff")
                )
            ]
        common = [found for found in expansions if found in stored]
        rare = [found for found in expansions if found not in stored]
        if not common or len(rare) > MAX_RARE_EXPANSIONS:
            return None
        if any(tokenize(found) != [found] for found in rare):  # a quoted term must look up itself
            return None
        mask = self._bitmap_mask(common)
        if rare:
            mask[self._match_rowids(" OR ".join(_quoted(found) for found in rare))] = True
        return mask

    def _bitmap_mask(self, terms: Sequence[str]) -> np.ndarray:
        """The rows whose documents hold any of ``terms`` (each with a stored bitmap), OR-ed packed."""
        marks = ", ".join("?" * len(terms))
        with self._lock:
            blobs = [
                np.frombuffer(blob, dtype=np.uint8)
                for (blob,) in self._db.execute(f"SELECT docs FROM postings WHERE term IN ({marks})", terms)
            ]
        documents = len(self.frame) if self.row_of_doc is None else len(self.row_of_doc)
        packed = np.zeros((documents + 7) // 8, dtype=np.uint8)
        for blob in blobs:
            size = min(len(blob), len(packed))
            packed[:size] |= blob[:size]
        bits = np.unpackbits(packed, count=documents).view(bool)
        doc_of_row = self._docs_of_rows()
        if doc_of_row is None:
            return bits
        mask: np.ndarray = bits[doc_of_row]
        return mask

    def _docs_of_rows(self) -> np.ndarray | None:
        """Row -> docid (the inverse of ``row_of_doc``), or None when docid ``i`` is row ``i``."""
        if self.row_of_doc is None:
            return None
        if self._doc_of_row is None:
            placed = np.flatnonzero(self.row_of_doc >= 0)
            doc_of_row = np.zeros(len(self.frame), dtype=np.intp)
            doc_of_row[self.row_of_doc[placed]] = placed
            self._doc_of_row = doc_of_row
            self._identity = len(placed) == len(self.row_of_doc) and bool(
                np.array_equal(doc_of_row, np.arange(len(doc_of_row)))
            )
        return None if self._identity else self._doc_of_row

    def bm25(self, terms: Sequence[Term]) -> tuple[np.ndarray, np.ndarray]:
        """How well each story matches any of ``terms``, as the index ranks it: FTS5's BM25 over the
        headline (weighted ``BM25_WEIGHTS``), body and caption. Returns (rows of the frame, scores), the
        stories that contain at least one term only; a higher score is a better match."""
        if not terms:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float64)
        expression = " OR ".join(f"({match_expression(term)})" for term in terms)
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        with self._lock:
            found = self._db.execute(
                f"SELECT rowid, bm25(docs, {weights}) FROM docs WHERE docs MATCH ?", (expression,)
            ).fetchall()
        if not found:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float64)
        docids = np.fromiter((doc for doc, _ in found), dtype=np.intp, count=len(found))
        # FTS5's bm25() is negative, more negative for a better match
        scores = -np.fromiter((score for _, score in found), dtype=np.float64, count=len(found))
        return self._rows(docids), scores

    def _instance_keys(self, word: str, prefix: bool) -> np.ndarray:
        """Every occurrence of a token (or of tokens starting with it) as one int64 key:
        ``doc << 32 | column << 30 | token offset`` (column 0 the headline, 1 the body, 2 the caption).
        SQLite writes them as one comma-separated string and numpy reads it, so no Python object is made
        per occurrence (a common word occurs millions of times)."""
        token = fold(word.lower())
        key = (
            "doc * 4294967296 + (CASE col WHEN 'headline' THEN 0 WHEN 'body' THEN 1 ELSE 2 END) * 1073741824"
            " + offset"
        )
        with self._lock:
            if prefix:
                (joined,) = self._db.execute(
                    f"SELECT group_concat({key}) FROM vocab WHERE term >= ? AND term < ?",
                    (token, token + "\U0010ffff"),
                ).fetchone()
            else:
                (joined,) = self._db.execute(
                    f"SELECT group_concat({key}) FROM vocab WHERE term = ?", (token,)
                ).fetchone()
        return _joined_ints(joined, np.int64)

    def term_counts(self, term: Term, skip_headline: frozenset[int] = frozenset()) -> dict[int, int]:
        """Occurrences of a word, phrase or prefix per row (headline, body and caption), counted from the
        index's token positions. Rows in ``skip_headline`` do not count their headline."""
        found, counts = self.term_row_counts(term, skip_headline)
        return dict(zip(found.tolist(), counts.tolist(), strict=True))

    def term_row_counts(
        self, term: Term, skip_headline: frozenset[int] = frozenset()
    ) -> tuple[np.ndarray, np.ndarray]:
        """``term_counts`` as arrays: the rows that hold the term (sorted) and its occurrences in each."""
        words = term.words
        last = len(words) - 1
        keys = self._instance_keys(words[0], term.prefix and last == 0)
        for step, word in enumerate(words[1:], start=1):
            if not len(keys):
                break
            # a phrase: the next word at the next offset of the same column of the same story
            following = self._instance_keys(word, term.prefix and step == last)
            keys = keys[np.isin(keys + step, following)]
        docs = keys >> 32
        rows = docs if self.row_of_doc is None else self.row_of_doc[docs].astype(np.int64)
        if skip_headline and len(rows):
            skipped = np.fromiter(skip_headline, dtype=np.int64, count=len(skip_headline))
            headline = (keys >> 30) & 3 == 0
            rows = rows[~(headline & np.isin(rows, skipped))]
        found, counts = np.unique(rows, return_counts=True)
        return found.astype(np.int64), counts.astype(np.int64)

    def _author_index(self) -> dict[str, set[int]]:
        if self._authors is None:
            index: dict[str, set[int]] = defaultdict(set)
            rows, codes, names = list_codes(self.frame["authors"])
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(names) + 1)).tolist()
            for code, name in enumerate(names.tolist()):  # each distinct name once, with all its rows
                held = set(rows[order[bounds[code] : bounds[code + 1]]].tolist())
                index[name.lower()] |= held
                for word in name.lower().split():
                    index["\0" + word] |= held
            self._authors = dict(index)
        return self._authors

    def field_rows(self, field: Field, themes: ThemeLookup | None) -> set[int]:
        """The rows a field (``author:``, ``section:``, ``agency:``, ``theme:``) matches, as a set."""
        return set(np.flatnonzero(self.field_mask(field, themes)).tolist())

    def field_mask(self, field: Field, themes: ThemeLookup | None) -> np.ndarray:
        """A boolean array over the frame's rows: True where the field matches. Built from arrays of
        rows worked out once per index (distinct sections and agencies) or per theme membership, so a
        field query costs a few array writes, not a Python set of thousands of rows."""
        value = field.value.lower().strip()
        out = np.zeros(len(self.frame), dtype=bool)
        if field.name == "author":
            index = self._author_index()
            exact = index.get(" ".join(value.split()))
            found: set[int] | None = exact
            if found is None:
                for word in value.split():
                    holders = index.get("\0" + word, set())
                    found = set(holders) if found is None else found & holders
            if found:
                out[np.fromiter(found, dtype=np.intp, count=len(found))] = True
            return out
        if field.name == "section":
            sections = self._distinct("section", lambda: self.frame["section"].astype(str).str.lower())
            for name, section_rows in sections.items():
                if name == value or name.startswith(value):
                    out[section_rows] = True
            return out
        if field.name == "agency":
            agency = self.frame["agency"].astype(object)
            if value in ("any", "*", "yes", "none", "no", "staff"):
                wired: np.ndarray = agency.notna().to_numpy(dtype=bool)
                return wired if value in ("any", "*", "yes") else ~wired
            wires = self._distinct("agency", lambda: agency.fillna("").astype(str).str.lower())
            for names, wire_rows in wires.items():
                if value in _WIRE_SPLIT.split(names):
                    out[wire_rows] = True
            return out
        ids = themes(value) if themes else None
        if ids:
            out[self._theme_rows(value, ids)] = True
        return out

    def _theme_rows(self, value: str, ids: set[str]) -> np.ndarray:
        """The rows of the stories ``ids`` (a theme's members), kept while the lookup hands out the same
        set object: the theme memberships change only by being matched again, which makes new sets."""
        cached = self._theme_cache.get(value)
        if cached is not None and cached[0] is ids:
            return cached[1]
        row_of = self._row_of_id()
        if row_of is None:  # the same id on several rows: look each up in the column
            rows = np.flatnonzero(self.frame["article_id"].isin(list(ids)).to_numpy())
        else:
            rows = np.fromiter((row_of[i] for i in ids if i in row_of), dtype=np.intp)
        self._theme_cache[value] = (ids, rows)
        return rows

    @property
    def all_rows(self) -> frozenset[int]:
        """Every row, for ``evaluate``'s set algebra (made when first needed: 100,000 rows take 4 MB)."""
        if self._all_rows is None:
            self._all_rows = frozenset(range(len(self.frame)))
        return self._all_rows

    def _distinct(self, key: str, column: Callable[[], pd.Series]) -> dict[str, np.ndarray]:
        """The rows of each distinct value of a (lower-cased) column, worked out once per index: a field
        query then tests a few distinct values instead of every row."""
        if key not in self._groups:
            values = column()
            self._groups[key] = {
                str(v): rows for v, rows in values.groupby(values, sort=False).indices.items()
            }
        return self._groups[key]

    def _row_of_id(self) -> dict[str, int] | None:
        """Article id -> row, or None when an id is on several rows (then the column is searched)."""
        if self._rows_by_id is None:
            ids = self.frame["article_id"].astype(str).tolist()
            self._rows_by_id = dict(zip(ids, range(len(ids)), strict=True))
            self._ids_unique = len(self._rows_by_id) == len(ids)
        return self._rows_by_id if self._ids_unique else None

    def evaluate(self, node: Node, themes: ThemeLookup | None = None) -> set[int]:
        """The rows of the frame that match a parsed query."""
        if isinstance(node, Term):
            return self.term_rows(node)
        if isinstance(node, Field):
            return self.field_rows(node, themes)
        if isinstance(node, Not):
            return set(self.all_rows - self.evaluate(node.operand, themes))
        if isinstance(node, And):
            positives = [o for o in node.operands if not isinstance(o, Not)]
            negatives = [o.operand for o in node.operands if isinstance(o, Not)]
            result: set[int] = set(self.all_rows) if not positives else self.evaluate(positives[0], themes)
            for positive in positives[1:]:
                if not result:
                    break
                result &= self.evaluate(positive, themes)
            for negative in negatives:
                if not result:
                    break
                result -= self.evaluate(negative, themes)
            return result
        assert isinstance(node, Or)
        union: set[int] = set()
        for alternative in node.operands:
            union |= self.evaluate(alternative, themes)
        return union

    def search(self, query: str, themes: ThemeLookup | None = None) -> pd.DataFrame:
        """Parse and run ``query``; returns the matching rows of the frame, newest first.

        Raises ``QuerySyntaxError`` with the position when the query does not parse, or when ``themes``
        is given and a ``theme:`` names none of its themes.
        """
        rows = self.evaluate(parse_with_themes(query, themes), themes)
        return rows_at(self.frame, np.array(sorted(rows), dtype=np.int64))

    def mask(self, query: str, themes: ThemeLookup | None = None) -> np.ndarray:
        """A boolean array over the frame's rows: True where ``query`` matches (errors as ``search``)."""
        return self._mask(parse_with_themes(query, themes), themes)

    def _mask(self, node: Node, themes: ThemeLookup | None) -> np.ndarray:
        """``evaluate`` over boolean arrays instead of sets of rows: the same rows, found faster when
        they are many (``-china`` is 45,000 rows of 100,000)."""
        if isinstance(node, Term):
            return self._term_mask(node)
        if isinstance(node, Field):
            return self.field_mask(node, themes)
        if isinstance(node, Not):
            return ~self._mask(node.operand, themes)
        if isinstance(node, And):
            positives = [o for o in node.operands if not isinstance(o, Not)]
            negatives = [o.operand for o in node.operands if isinstance(o, Not)]
            result = np.ones(len(self.frame), dtype=bool)
            for operand in positives:
                result &= self._mask(operand, themes)
                if not result.any():
                    return result
            for negative in negatives:
                result &= ~self._mask(negative, themes)
                if not result.any():
                    return result
            return result
        assert isinstance(node, Or)
        union = np.zeros(len(self.frame), dtype=bool)
        for alternative in node.operands:
            union |= self._mask(alternative, themes)
        return union

    def _rows_mask(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros(len(self.frame), dtype=bool)
        out[rows] = True
        return out


def _joined_ints(joined: str | None, dtype: type[np.integer] | np.dtype) -> np.ndarray:
    """The integers of SQLite's ``group_concat`` (comma-separated; None when no row), read by numpy."""
    if not joined:
        return np.zeros(0, dtype=dtype)
    return np.fromstring(joined, dtype=dtype, sep=",")


def match_expression(term: Term) -> str:
    """A term as an FTS5 MATCH expression: each word quoted (a phrase as one string), ``*`` for a prefix."""
    quoted = " ".join(f'"{w}"' for w in term.words)
    expression = f'"{" ".join(term.words)}"' if term.is_phrase else quoted
    return expression + " *" if term.prefix else expression


_TOKENS: dict[str, list[str]] = {}
_TOKENS_LOCK = threading.Lock()
_TOKENS_DB: list[sqlite3.Connection] = []


def tokenize(word: str) -> list[str]:
    """The tokens FTS5 makes of ``word`` with the index's ``TOKENIZER`` (in a small in-memory FTS5 table,
    made once): the terms a MATCH of the word looks up. Kept for the last 10,000 words asked."""
    tokens = _TOKENS.get(word)
    if tokens is not None:
        return tokens
    with _TOKENS_LOCK:
        if not _TOKENS_DB:
            db = sqlite3.connect(":memory:", check_same_thread=False)
            db.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{TOKENIZER}')")
            db.execute("CREATE VIRTUAL TABLE tv USING fts5vocab(t, instance)")
            _TOKENS_DB.append(db)
        db = _TOKENS_DB[0]
        with db:
            db.execute("DELETE FROM t")
            db.execute("INSERT INTO t(rowid, x) VALUES (1, ?)", (word,))
            tokens = [term for (term,) in db.execute("SELECT term FROM tv ORDER BY offset")]
        if len(_TOKENS) >= 10_000:
            _TOKENS.clear()
        _TOKENS[word] = tokens
    return tokens


def _quoted(token: str) -> str:
    """A token of the index as an FTS5 string (a ``"`` doubled; the tokenizer makes none)."""
    return '"' + token.replace('"', '""') + '"'


#: How an ``agency`` value lists several wires (``"Bloomberg, Reuters"``), as ``str.split`` reads it.
_WIRE_SPLIT = re.compile(r",\s*")


_SCHEMA = (
    # contentless: the stories' text is the cache's (its text file); FTS5 keeps only the index (0.93 of
    # 2.57 GB at 1,000,000 stories). A document is removed with the text it was indexed with
    # (``Earlier``), which FTS5 tokenises again to take its terms out.
    f"CREATE VIRTUAL TABLE docs USING fts5(headline, body, caption, content='', tokenize='{TOKENIZER}')",
    # every token occurrence (term, doc, col, offset): exact per-story counts for themes, in SQLite
    "CREATE VIRTUAL TABLE vocab USING fts5vocab(docs, instance)",
    # which story (id, content hash, occurrence of the pair in the frame) each document is
    "CREATE TABLE docmap(docid INTEGER PRIMARY KEY, article_id TEXT NOT NULL, hash INTEGER NOT NULL,"
    " dup INTEGER NOT NULL)",
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # every indexed term and how many documents hold it: the expansions of a prefix
    "CREATE TABLE terms(term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID",
    # the documents of each common term (``POSTINGS_SHARE``): a bitmap over docids (``np.packbits``)
    "CREATE TABLE postings(term TEXT PRIMARY KEY, docs BLOB NOT NULL)",
)


def postings_threshold(documents: int) -> int:
    """The document frequency from which a term's documents are stored as a bitmap."""
    return max(POSTINGS_FLOOR, int(np.ceil(POSTINGS_SHARE * documents)))


def _documents(
    frame: pd.DataFrame, rows: np.ndarray, docids: np.ndarray
) -> Iterable[tuple[int, str, str, str]]:
    """(docid, headline, body, caption) of the frame's ``rows``: what the index is given for each. Taken
    ``DOCUMENT_ROWS`` rows at a time as the index asks for them: a build of every story never holds all
    their text as Python strings at once (1.4 GB at 1,000,000 stories, beside the mapped file)."""
    for start in range(0, len(rows), DOCUMENT_ROWS):
        part = slice(start, start + DOCUMENT_ROWS)
        yield from _indexed_text(take_frame_rows(frame, rows[part]), docids[part])


def _indexed_text(part: pd.DataFrame, docids: np.ndarray) -> Iterable[tuple[int, str, str, str]]:
    return zip(
        docids.tolist(),
        part["headline"].fillna("").astype(str),
        part["body"].fillna("").astype(str),
        part["photo_caption"].fillna("").astype(str),
        strict=True,
    )


def _fill(db: sqlite3.Connection, frame: pd.DataFrame, keys: pd.DataFrame | None) -> None:
    """A new index of ``frame``: docid ``i`` is row ``i``; ``keys`` (``_row_keys``), when given, are
    stored in ``docmap`` for later updates."""
    for statement in _SCHEMA:
        db.execute(statement)
    rows = np.arange(len(frame))
    with db:
        # no merging of segments while the documents go in: the 'optimize' below merges them all once
        # (8.7-10.3 against 11.0-12.0 CPU s at 100,000 stories); later updates merge as by default
        db.execute("INSERT INTO docs(docs, rank) VALUES ('automerge', 0)")
        db.executemany(
            "INSERT INTO docs(rowid, headline, body, caption) VALUES (?, ?, ?, ?)",
            _documents(frame, rows, rows),
        )
        if keys is not None:
            db.executemany(
                "INSERT INTO docmap(docid, article_id, hash, dup) VALUES (?, ?, ?, ?)",
                zip(
                    rows.tolist(),
                    keys["article_id"],
                    keys["hash"].tolist(),
                    keys["dup"].tolist(),
                    strict=True,
                ),
            )
        db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        db.execute(f"INSERT INTO docs(docs, rank) VALUES ('automerge', {AUTOMERGE})")
        _fill_postings(db, len(frame))


def _bitmap_bytes(top: int) -> int:
    """The bytes of a bitmap of docids 0..``top`` with ``POSTINGS_ROOM`` to spare."""
    return (top + 1 + int((top + 1) * POSTINGS_ROOM)) // 8 + 1


def _fill_postings(db: sqlite3.Connection, documents: int) -> None:
    """Fill ``terms`` (every term with its document count, from an fts5vocab 'row' table) and
    ``postings`` (the docids of the terms of at least ``postings_threshold`` documents, asked of FTS5).
    A term that the tokenizer would not read back as itself, or whose MATCH does not select exactly its
    counted documents, gets no bitmap (FTS5 answers it)."""
    db.execute("CREATE VIRTUAL TABLE temp.vocab_rows USING fts5vocab(main, docs, row)")
    try:
        db.execute("INSERT INTO terms(term, df) SELECT term, doc FROM temp.vocab_rows")
    finally:
        db.execute("DROP TABLE temp.vocab_rows")
    common = db.execute(
        "SELECT term, df FROM terms WHERE df >= ? ORDER BY term", (postings_threshold(documents),)
    ).fetchall()
    for term, df in common:
        if tokenize(term) != [term]:
            continue
        (joined,) = db.execute(
            "SELECT group_concat(rowid) FROM docs WHERE docs MATCH ?", (_quoted(term),)
        ).fetchone()
        docids = _joined_ints(joined, np.intp)
        if len(docids) != df:
            continue
        bits = np.zeros(_bitmap_bytes(max(documents, int(docids.max()) + 1) - 1) * 8, dtype=bool)
        bits[docids] = True
        db.execute("INSERT INTO postings(term, docs) VALUES (?, ?)", (term, np.packbits(bits).tobytes()))


def _set_meta(db: sqlite3.Connection, fingerprint: str) -> None:
    with db:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('version', ?)", (INDEX_VERSION,))
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('fingerprint', ?)", (fingerprint,))


@dataclass(frozen=True, slots=True)
class StoredKeys:
    """An index's docmap as arrays: each document's docid, article id (Arrow text), content hash and
    occurrence of the (id, hash) pair. ``unique``: whether every hash is once, when known (the keys file
    says it); None to be found."""

    docids: np.ndarray
    ids: pa.Array
    hashes: np.ndarray
    dups: np.ndarray
    unique: bool | None = None

    def __len__(self) -> int:
        return len(self.docids)

    def ids_at(self, positions: np.ndarray) -> np.ndarray:
        """The article ids at ``positions``, as Python strings (objects)."""
        return np.array(self.ids.take(pa.array(positions, pa.int64())).to_pylist(), dtype=object)


def _stored_keys(db: sqlite3.Connection) -> StoredKeys:
    """The docmap, column by column: SQLite joins each column into one string in a single scan (the same
    row order for all four) and numpy parses the numbers, so no Python tuple is made per document; the ids
    are joined with a unit separator. An id that holds the separator, or a value that does not parse, is
    read again row by row (``_stored_rows``)."""
    try:
        docids, ids, hashes, dups = db.execute(
            "SELECT group_concat(docid), group_concat(article_id, char(31)), group_concat(hash),"
            " group_concat(dup) FROM docmap"
        ).fetchone()
    except sqlite3.DataError:  # longer than SQLite's longest string
        return _stored_rows(db)
    names = pa.array([] if ids is None else ids.split("\x1f"), pa.string())
    parsed = [_parsed_ints(docids), _parsed_ints(hashes), _parsed_ints(dups)]
    columns = [column for column in parsed if column is not None and len(column) == len(names)]
    if len(columns) != len(parsed):
        return _stored_rows(db)
    return StoredKeys(columns[0], names, columns[1], columns[2])


def _parsed_ints(joined: str | None) -> np.ndarray | None:
    """The int64 values of a ``group_concat`` (none for None), or None when it holds anything else."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # numpy's warning for a string not read to its end
        try:
            return _joined_ints(joined, np.int64)
        except (DeprecationWarning, ValueError):
            return None


def _stored_rows(db: sqlite3.Connection) -> StoredKeys:
    """``_stored_keys`` read as one tuple per document."""
    stored = db.execute("SELECT docid, article_id, hash, dup FROM docmap").fetchall()
    docids, ids, hashes, dups = zip(*stored, strict=True) if stored else ((), (), (), ())
    return StoredKeys(
        np.array(docids, dtype=np.int64),
        pa.array(ids, pa.string()),
        np.array(hashes, dtype=np.int64),
        np.array(dups, dtype=np.int64),
    )


def _joined_keys(keys: pd.DataFrame, stored: StoredKeys) -> tuple[np.ndarray, np.ndarray]:
    """``keys.merge(<stored as a frame>, on=["article_id", "hash", "dup"], how="left")`` as (the ``row``
    of each joined row, the position in ``stored`` of its match or -1). When no key has an occurrence
    above 0 and each stored hash is once, a key can match only the stored row of its hash, kept when the
    ids are equal (the merge's rows: one per key, in order), with no join over strings. That row is
    found by ``_aligned_positions`` when the keys' hashes are each once too and the stored ones are
    known to be (the keys file says it: the stored keys are then in the order of their frame's rows),
    else by a hash table of the stored hashes. Otherwise the merge itself."""
    rows = keys["row"].to_numpy(dtype=np.int64)
    hashes = keys["hash"].to_numpy(dtype=np.int64)
    if keys["dup"].to_numpy().any() or stored.dups.any():
        return _merged_keys(keys, stored)
    if stored.unique and keys.attrs.get(UNIQUE) and len(stored):
        at = _aligned_positions(hashes, stored.hashes)
    else:
        # one hash table of the stored hashes, which says whether each is once and finds the keys' (at
        # 1,000,000 stories 0.28 s, against 0.56 s for sorting them and a binary search of every key)
        stored_hashes = pd.Index(stored.hashes)
        if not stored_hashes.is_unique:
            return _merged_keys(keys, stored)
        if not len(stored):
            return rows, np.full(len(keys), -1, dtype=np.int64)
        at = np.asarray(stored_hashes.get_indexer(hashes), dtype=np.int64)
    found = np.flatnonzero(at >= 0)
    same = pc.equal(_id_array(keys["article_id"]).take(found), stored.ids.take(at[found]))
    at[found[~same.to_numpy(zero_copy_only=False)]] = -1
    return rows, at


def _id_array(ids: pd.Series) -> pa.Array:
    """The keys' article ids as one Arrow ``string`` array."""
    array = arrow_text(ids)
    if array is None:
        return pa.array(ids.astype(str).tolist(), pa.string())
    return array.cast(pa.string())


#: ``_aligned_positions`` looks up at most this many keys' hashes among the stored ones to find the shift
#: of their part of the frame; what is still unplaced after them is found by a hash table.
ALIGN_PROBES = 64


def _aligned_positions(now: np.ndarray, before: np.ndarray, probes: int = ALIGN_PROBES) -> np.ndarray:
    """``pd.Index(before).get_indexer(now)`` when each hash of ``now`` and each of ``before`` is once,
    without a hash table of a million hashes (0.3-0.35 s): ``before`` are the hashes of the frame the
    stored index was of, in its row order, and a frame changed by a few stories holds the rest in the same
    order, each part shifted by the stories added or removed before it. So the keys are compared with
    the stored hash at their own place and at the shift of the frame's length; then, up to ``probes``
    times, the first key still unplaced is found among the stored hashes (one comparison of the array)
    and the keys still unplaced are compared at its shift. What is left is found by a hash table of the
    stored hashes no key took (with every hash once, a key's stored hash is one no other key took)."""
    n, m = len(now), len(before)
    at = np.full(n, -1, dtype=np.int64)
    left = np.arange(n, dtype=np.int64)

    def shifted(left: np.ndarray, shift: int) -> np.ndarray:
        places = left - shift
        inside = (places >= 0) & (places < m)
        hit = np.zeros(len(left), dtype=bool)
        hit[inside] = now[left[inside]] == before[places[inside]]
        at[left[hit]] = places[hit]
        return left[~hit]

    for shift in dict.fromkeys((0, n - m)):
        left = shifted(left, shift)
    for _ in range(probes):
        if not len(left):
            break
        first = int(left[0])
        (stored_at,) = np.nonzero(before == now[first])
        if len(stored_at):
            left = shifted(left, first - int(stored_at[0]))
        else:  # a new hash: this key has no stored document
            left = left[1:]
    if len(left):
        free = np.ones(m, dtype=bool)
        free[at[at >= 0]] = False
        (untaken,) = np.nonzero(free)
        found = np.asarray(pd.Index(before[untaken]).get_indexer(now[left]), dtype=np.int64)
        at[left[found >= 0]] = untaken[found[found >= 0]]
    return at


def _merged_keys(keys: pd.DataFrame, stored: StoredKeys) -> tuple[np.ndarray, np.ndarray]:
    """``_joined_keys`` by pandas' merge: for keys that repeat a pair, or hashes stored twice."""
    frame = pd.DataFrame(
        {
            "article_id": pd.array(stored.ids.to_pylist(), dtype=keys["article_id"].dtype),
            "hash": stored.hashes,
            "dup": stored.dups,
            "at": np.arange(len(stored)),
        }
    )
    joined = keys.merge(frame, on=["article_id", "hash", "dup"], how="left")
    return joined["row"].to_numpy(dtype=np.int64), joined["at"].fillna(-1).to_numpy(dtype=np.int64)


def _mapping(db: sqlite3.Connection, keys: pd.DataFrame) -> np.ndarray | None:
    """docid -> row of the frame for an index that holds exactly the frame's stories, else None."""
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("version") != INDEX_VERSION:
        return None
    stored = _stored_keys(db)
    (count,) = db.execute("SELECT count(*) FROM docs").fetchone()
    if len(stored) != len(keys) or count != len(keys):
        return None
    rows, at = _joined_keys(keys, stored)
    found = at >= 0
    if np.count_nonzero(found) != len(keys):
        return None
    return _row_of_doc(stored.docids[at[found]], rows[found])


#: Beside ``fts-<fingerprint>.sqlite``: its docid -> row array (``np.save``), written when the index is built,
#: updated or first reused, so a later start maps docids to rows without joining the docmap with the frame.
ROWS_SUFFIX = ".rows.npy"


def _rows_path(path: Path) -> Path:
    return path.with_name(path.stem + ROWS_SUFFIX)


def _stored_mapping(db: sqlite3.Connection, path: Path, rows: int) -> np.ndarray | None:
    """The stored docid -> row array of the index ``path`` when it is one for a frame of ``rows`` rows
    (each row once, nothing out of range) and the index is of this version; else None (then the docmap is
    joined with the frame). The index file's name is the fingerprint of the frame's stories in order, so
    an array stored for it holds for every frame that opens it."""
    try:
        mapping = np.load(_rows_path(path), allow_pickle=False)
    except (OSError, ValueError):
        return None
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("version") != INDEX_VERSION or mapping.ndim != 1 or mapping.dtype.kind != "i":
        return None
    placed = mapping[mapping >= 0]
    if len(placed) != rows or (rows and (placed.max() >= rows or np.bincount(placed, minlength=rows).max() != 1)):
        return None
    rows_of_docs: np.ndarray = mapping.astype(np.intp, copy=False)
    return rows_of_docs


def _store_mapping(path: Path, mapping: np.ndarray) -> None:
    """Write ``mapping`` beside the index ``path`` (atomically); a folder that cannot be written keeps the
    join at every start, nothing else."""
    _write_beside(_rows_path(path), lambda out: np.save(out, mapping, allow_pickle=False))


def _write_beside(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """``write`` into a new file renamed to ``target`` when complete; nothing when it cannot be written."""
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".fts-beside-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        os.replace(tmp, target)
    except (OSError, pa.ArrowException):
        Path(tmp).unlink(missing_ok=True)


#: Beside ``fts-<fingerprint>.sqlite``: its docmap in the order of its frame's rows (each row's docid,
#: article id, content hash and occurrence of the pair; an Arrow IPC file, read mapped), and whether every
#: hash is once. The next update reads it instead of the docmap out of SQLite (1.0-1.8 s at 1,000,000
#: stories) and finds each story's document by where it was (``_aligned_positions``).
KEYS_SUFFIX = ".keys.arrow"
KEYS_SCHEMA = pa.schema(
    [("docid", pa.int64()), ("article_id", pa.string()), ("hash", pa.int64()), ("dup", pa.int64())]
)
#: ``_row_keys``' frame attribute: whether each row's content hash is once in the frame
UNIQUE = "hashes_unique"


def _keys_path(path: Path) -> Path:
    return path.with_name(path.stem + KEYS_SUFFIX)


def _store_keys(path: Path, keys: pd.DataFrame, row_of_doc: np.ndarray) -> None:
    """Write the keys file of the index ``path`` of the frame whose ``_row_keys`` are ``keys``; its
    docids are those of ``row_of_doc`` (docid -> row)."""
    docids = np.full(len(keys), -1, dtype=np.int64)
    placed = row_of_doc >= 0
    docids[row_of_doc[placed]] = np.flatnonzero(placed)
    table = pa.table(
        [
            pa.array(docids),
            _id_array(keys["article_id"]),
            pa.array(keys["hash"].to_numpy(dtype=np.int64)),
            pa.array(keys["dup"].to_numpy(dtype=np.int64)),
        ],
        schema=KEYS_SCHEMA.with_metadata(
            {"version": INDEX_VERSION, "unique": "1" if keys.attrs.get(UNIQUE) else "0"}
        ),
    )

    def write(out: BinaryIO) -> None:
        with pa.ipc.new_file(out, table.schema) as writer:
            writer.write_table(table)

    _write_beside(_keys_path(path), write)


def _read_keys(path: Path, db: sqlite3.Connection) -> StoredKeys | None:
    """The docmap of the index ``path`` (open as ``db``) from its keys file, its columns views of the
    mapped file; None when there is none, it does not read, or it does not hold as many documents with
    the same highest docid as the docmap (then the docmap is read)."""
    try:
        with pa.memory_map(str(_keys_path(path))) as source:
            table = pa.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowException):
        return None
    meta = table.schema.metadata or {}
    if table.schema.remove_metadata() != KEYS_SCHEMA or meta.get(b"version") != INDEX_VERSION.encode():
        return None
    # apart: together SQLite reads every row (0.1-0.17 s at 1,000,000 documents), not the count's pages
    (count,) = db.execute("SELECT count(*) FROM docmap").fetchone()
    (top,) = db.execute("SELECT max(docid) FROM docmap").fetchone()
    columns = [table.column(name).combine_chunks() for name in KEYS_SCHEMA.names]
    if table.num_rows != count or any(column.null_count for column in columns):
        return None
    docids, ids, hashes, dups = columns
    numbers = [column.to_numpy() for column in (docids, hashes, dups)]
    if count and int(numbers[0].max()) != top:
        return None
    return StoredKeys(numbers[0], ids, numbers[1], numbers[2], unique=meta.get(b"unique") == b"1")


def _row_of_doc(docids: np.ndarray, rows: np.ndarray) -> np.ndarray:
    out = np.full(int(docids.max()) + 1 if len(docids) else 0, -1, dtype=np.intp)
    out[docids] = rows
    return out


def _gone_positions(stored: StoredKeys, at: np.ndarray) -> np.ndarray:
    """The positions in ``stored`` of the documents that no joined row matched (``at``: ``_joined_keys``'
    positions), in docid order: a mask over the stored documents, then only these few sorted."""
    matched = np.zeros(len(stored), dtype=bool)
    matched[at[at >= 0]] = True
    gone = np.flatnonzero(~matched)
    ordered: np.ndarray = gone[np.argsort(stored.docids[gone], kind="stable")]
    return ordered


def _removed_documents(
    stored: StoredKeys, gone: np.ndarray, frame: pd.DataFrame, keys: pd.DataFrame, earlier: Sequence[Earlier]
) -> list[tuple[int, str, str, str]] | None:
    """(docid, headline, body, caption) of the stored documents at ``gone``, as they were indexed: each
    story found by its article id and content hash in ``frame`` (a pair repeated fewer times now) or in
    ``earlier``, kept only when the text found hashes to that hash again. None when one is not found: the
    index is then built anew rather than left holding terms of text it was not given back."""
    if not len(gone):
        return []
    want_ids, want_hashes = stored.ids_at(gone), stored.hashes[gone]
    found: list[tuple[int, str, str, str] | None] = [None] * len(gone)
    sources: list[tuple[pd.DataFrame, np.ndarray | None]] = [(e.frame, e.hashes) for e in earlier]
    if keys["dup"].to_numpy().any() or stored.dups.any():
        sources.insert(0, (frame, keys["hash"].to_numpy(dtype=np.int64)))
    left = np.arange(len(gone))
    for source, hashes in sources:
        if not len(left) or not len(source):
            continue
        hashed = (content_hashes(source) if hashes is None else np.asarray(hashes)).view(np.int64)
        if len(hashed) != len(source):
            continue
        rows = _rows_of_keys(source["article_id"], hashed, want_ids[left], want_hashes[left])
        hit = rows >= 0
        if not hit.any():
            continue
        part = take_frame_rows(source, rows[hit])
        sound = content_hashes(part).view(np.int64) == want_hashes[left[hit]]
        texts = list(_indexed_text(part, stored.docids[gone[left[hit]]]))
        for place, text, good in zip(left[hit].tolist(), texts, sound.tolist(), strict=True):
            if good:
                found[place] = text
        left = np.array([place for place in left.tolist() if found[place] is None], dtype=np.intp)
    if len(left):
        return None
    return [text for text in found if text is not None]


def _rows_of_keys(
    ids: pd.Series, hashes: np.ndarray, want_ids: np.ndarray, want_hashes: np.ndarray
) -> np.ndarray:
    """For each wanted (article id, content hash), a row of ``ids``/``hashes`` that holds it, or -1: the
    hashes sorted once, the few wanted looked up and their ids compared."""
    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    starts = np.searchsorted(ordered, want_hashes, side="left")
    ends = np.searchsorted(ordered, want_hashes, side="right")
    out = np.full(len(want_hashes), -1, dtype=np.intp)
    for place in np.flatnonzero(ends > starts).tolist():
        for candidate in order[starts[place] : ends[place]].tolist():
            if str(ids.iat[candidate]) == str(want_ids[place]):
                out[place] = candidate
                break
    return out


def _update_from_previous(
    folder: Path,
    path: Path,
    tmp: Path,
    keys: pd.DataFrame,
    frame: pd.DataFrame,
    early: EarlyCopy | None = None,
    earlier: Sequence[Earlier] = (),
) -> tuple[np.ndarray, np.ndarray, str] | None:
    """Update a copy (``tmp``) of the folder's newest other index for ``frame``: delete the documents of
    stories gone or changed (their text from ``frame`` or ``earlier``: ``_removed_documents``), insert the
    new and changed ones, in one transaction. Returns (docid -> row, the changed rows, the previous index's
    fingerprint), or None when there is nothing to update from (no previous index, a damaged or older one,
    more than ``REBUILD_SHARE`` of the rows changed, a removed story's text not found). The copy is
    ``early``'s when it is one of that index as it is now."""
    previous = _newest_index(folder, other_than=path)
    if previous is None:
        return None
    try:
        source = sqlite3.connect(f"file:{previous}?mode=ro", uri=True)
        try:
            meta = dict(source.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("version") != INDEX_VERSION:
                return None
            stored = _read_keys(previous, source) or _stored_keys(source)
        finally:
            source.close()
        rows, at = _joined_keys(keys, stored)
        kept = at >= 0
        changed = rows[~kept]
        if len(changed) > REBUILD_SHARE * max(len(keys), 1):
            return None
        gone_at = _gone_positions(stored, at)
        removed = _removed_documents(stored, gone_at, frame, keys, earlier)
        if removed is None:
            return None
        if early is None or not early.take(previous, tmp):
            shutil.copyfile(previous, tmp)
    except (OSError, sqlite3.DatabaseError):
        return None
    gone = stored.docids[gone_at]
    start = int(stored.docids.max()) + 1 if len(stored) else 0
    new_docids = np.arange(start, start + len(changed), dtype=np.int64)
    db = sqlite3.connect(tmp)
    try:
        delta = _term_changes(db, removed, _documents(frame, changed, new_docids))
        with db:  # one transaction: the copy is complete or not renamed into place
            _update_postings(db, delta, start)
            # a contentless table forgets a document given the text it was indexed with
            db.executemany(
                "INSERT INTO docs(docs, rowid, headline, body, caption) VALUES ('delete', ?, ?, ?, ?)", removed
            )
            db.executemany("DELETE FROM docmap WHERE docid = ?", ((int(d),) for d in gone))
            db.executemany(
                "INSERT INTO docs(rowid, headline, body, caption) VALUES (?, ?, ?, ?)",
                _documents(frame, changed, new_docids),
            )
            part = keys.iloc[changed]
            db.executemany(
                "INSERT INTO docmap(docid, article_id, hash, dup) VALUES (?, ?, ?, ?)",
                zip(
                    new_docids.tolist(),
                    part["article_id"],
                    part["hash"].tolist(),
                    part["dup"].tolist(),
                    strict=True,
                ),
            )
        _set_meta(db, path.name[len("fts-") : -len(".sqlite")])
    except sqlite3.DatabaseError:
        db.close()
        return None
    db.close()
    all_docids = np.zeros(len(rows), dtype=np.int64)
    all_docids[kept] = stored.docids[at[kept]]
    all_docids[changed] = new_docids
    previous_fingerprint = previous.name[len("fts-") : -len(".sqlite")]
    return _row_of_doc(all_docids, rows), changed, previous_fingerprint


def _term_changes(
    db: sqlite3.Connection,
    removed: Sequence[tuple[int, str, str, str]],
    added: Iterable[tuple[int, str, str, str]],
) -> list[tuple[str, int]]:
    """The distinct (term, docid) pairs of the documents ``removed`` and ``added`` (docid, headline, body,
    caption), tokenised by FTS5 itself: both go into a temporary FTS5 table with the index's tokenizer,
    read back through an fts5vocab 'instance' table over it."""
    db.execute(
        "CREATE VIRTUAL TABLE temp.delta USING fts5(headline, body, caption, content='',"
        f" tokenize='{TOKENIZER}')"
    )
    db.execute("CREATE VIRTUAL TABLE temp.delta_vocab USING fts5vocab(temp, delta, instance)")
    try:
        with db:
            insert = "INSERT INTO temp.delta(rowid, headline, body, caption) VALUES (?, ?, ?, ?)"
            db.executemany(insert, removed)
            db.executemany(insert, added)
        pairs: list[tuple[str, int]] = db.execute(
            "SELECT DISTINCT term, doc FROM temp.delta_vocab"
        ).fetchall()
    finally:
        db.execute("DROP TABLE temp.delta_vocab")
        db.execute("DROP TABLE temp.delta")
    return pairs


def _update_postings(db: sqlite3.Connection, pairs: Sequence[tuple[str, int]], start: int) -> None:
    """Keep ``terms`` and ``postings`` exact through an update: ``pairs`` are the (term, docid) pairs of
    the documents removed (docid < ``start``) and inserted (docid >= ``start``). Each term's count moves
    by its inserted less its removed documents (a term left in none is dropped); each stored bitmap
    clears the bits of its removed documents and sets those of its inserted ones: in place when it has
    room for the new docids, else written again grown (with ``POSTINGS_ROOM``). A term that becomes
    common gets no bitmap until the index is built again: FTS5 answers it."""
    if not pairs:
        return
    counts: dict[str, int] = defaultdict(int)
    by_term: dict[str, list[int]] = defaultdict(list)
    for term, doc in pairs:
        counts[term] += 1 if doc >= start else -1
        by_term[term].append(doc)
    db.executemany(
        "INSERT INTO terms(term, df) VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
        ((term, change) for term, change in counts.items() if change),
    )
    # a term left in no document goes, with its bitmap (now empty) if it has one
    fewer = [(term,) for term, change in counts.items() if change < 0]
    db.executemany("DELETE FROM terms WHERE term = ? AND df <= 0", fewer)
    db.executemany("DELETE FROM postings WHERE term = ? AND term NOT IN (SELECT term FROM terms)", fewer)
    top = max(doc for _, doc in pairs)
    stored = [
        (rowid, term) for rowid, term in db.execute("SELECT rowid, term FROM postings") if term in by_term
    ]
    if not db.in_transaction:  # the blob writes belong to the caller's transaction
        db.execute("BEGIN")
    for rowid, term in stored:
        docids = np.asarray(by_term[term], dtype=np.int64)
        removed, inserted = docids[docids < start].tolist(), docids[docids >= start].tolist()
        with db.blobopen("postings", "docs", rowid) as blob:
            if top >> 3 < len(blob):  # room for every docid: the few bytes in place
                for doc in removed:
                    blob[doc >> 3] &= ~(0x80 >> (doc & 7)) & 0xFF
                for doc in inserted:
                    blob[doc >> 3] |= 0x80 >> (doc & 7)
                continue
            packed = np.frombuffer(blob.read(), dtype=np.uint8)
        grown = np.zeros(_bitmap_bytes(top), dtype=np.uint8)
        grown[: len(packed)] = packed
        for doc in removed:
            grown[doc >> 3] &= ~(0x80 >> (doc & 7)) & 0xFF
        for doc in inserted:
            grown[doc >> 3] |= 0x80 >> (doc & 7)
        db.execute("UPDATE postings SET docs = ? WHERE rowid = ?", (grown.tobytes(), rowid))


# -- highlights and snippets ----------------------------------------------------------------------
def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x80, 0x2000):
        decomposed = unicodedata.normalize("NFD", chr(code))
        if (
            len(decomposed) > 1
            and not unicodedata.combining(decomposed[0])
            and unicodedata.combining(decomposed[1])
        ):
            table[code] = decomposed[0]
    return table


_FOLD = _fold_table()
# most texts have no accented letter: finding that out is ten times faster than translating them
_FOLDABLE = re.compile("[" + "".join(map(chr, _FOLD)) + "]")


def fold(text: str) -> str:
    """Accents removed one character for one (``Nestlé`` -> ``Nestle``), so offsets stay valid; this is
    how the index's ``remove_diacritics`` tokenizer sees the text."""
    return text.translate(_FOLD) if _FOLDABLE.search(text) else text


def term_pattern(term: Term) -> re.Pattern[str]:
    """A regex that finds a term the way the index does in ``fold(text)``: whole words, case-insensitive,
    accents ignored, any run of non-letters (``_`` included) between the words of a phrase."""
    parts = [re.escape(fold(w)) for w in term.words]
    body = r"[\W_]+".join(parts)
    tail = r"[^\W_]*" if term.prefix else r"(?![^\W_])"
    return re.compile(rf"(?<![^\W_]){body}{tail}", re.IGNORECASE)


def find_hits(texts: dict[str, str], terms: Iterable[Term], context: int = 60, limit: int = 200) -> list[Hit]:
    """Every occurrence of ``terms`` in the given texts (field name -> text), in order, with snippets."""
    hits: list[Hit] = []
    for field_name, text in texts.items():
        if not text:
            continue
        folded = fold(text)
        for term in terms:
            for match in term_pattern(term).finditer(folded):
                hits.append(
                    Hit(
                        field_name,
                        match.start(),
                        match.end(),
                        str(term),
                        kwic(text, match.start(), match.end(), context),
                    )
                )
                if len(hits) >= limit:
                    break
    order = {"headline": 0, "body": 1, "photo_caption": 2}
    return sorted(hits, key=lambda h: (order.get(h.field, 9), h.start))


def kwic(text: str, start: int, end: int, context: int = 60) -> str:
    """``… left context [match] right context …`` on one line, cut at word boundaries."""
    left = text[max(0, start - context) : start]
    right = text[end : end + context]
    if start - context > 0 and " " in left:
        left = "…" + left[left.index(" ") + 1 :]
    if end + context < len(text) and " " in right:
        right = right[: right.rindex(" ")] + "…"
    return " ".join(f"{left}[{text[start:end]}]{right}".split())


def query_hits(row: dict[str, object], query: str, context: int = 60) -> list[Hit]:
    """Highlights of ``query`` in one story (a frame row as a dict); an inferred headline only repeats
    the lead, so its hits are not listed twice."""
    terms = positive_terms(parse_query(query))
    fields = (
        ("body", "photo_caption") if row.get("headline_inferred") else ("headline", "body", "photo_caption")
    )
    texts = {name: str(row.get(name) or "") for name in fields}
    return find_hits(texts, terms, context)
