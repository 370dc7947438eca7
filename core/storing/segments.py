"""The records of a cache generation in segments: one Parquet file per group of input files.

An incremental ingest after one page changed used to rewrite the records of every file (one
``records-<generation>.parquet``). The records are now kept in segments: the input files, in input order,
are cut into runs of about ``SEGMENT_FILES`` (256) files, and the records of each run are one file,
``segment-<key>.parquet``. The cut is made by the files' names, not their positions (a file starts a new
segment when a hash of its name is 0 modulo ``SEGMENT_FILES``), so adding, removing or renaming a file
changes only the segment it falls in; every other segment keeps its files.

A segment's records depend only on its files' names and contents (and on the parser and the reporters
file, whose change rebuilds the whole cache), so its key is a digest of those: the file name of a segment
says what it holds. A generation's state lists its segments in order with their row counts
(``state.json``'s ``segments``); a segment the previous generation listed with the same key is kept as it
is, and only the segments of changed files are written. Read in order, the segments are the records in
input order (``core.storing.ingest``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: The mean number of input files in a segment (the cut falls where a name's hash is 0 modulo this).
#: 256 makes about 20 segments of some 5,000 records each at 5,000 files (100,000 stories): writing one
#: costs some 0.07 CPU s, and reading 20 files costs about what one file does (69 files cost a quarter
#: more; docs/performance.md).
SEGMENT_FILES = 256


def _name_hash(name: str) -> int:
    # os.fsencode: a name that is not UTF-8 (a lone surrogate) hashes its own bytes
    return int.from_bytes(hashlib.blake2b(os.fsencode(name), digest_size=8).digest(), "big")


def name_starts(names: Iterable[str]) -> np.ndarray:
    """Whether each of ``names`` starts a segment by its name: its hash is 0 modulo ``SEGMENT_FILES``. It
    depends on the name alone, so an incremental ingest carries it over for the files it kept (the merge
    memo's ``file_starts``) instead of hashing 50,000 names again (0.06-0.12 s)."""
    return np.fromiter((_name_hash(name) % SEGMENT_FILES == 0 for name in names), dtype=bool)


def segment_numbers(names: Sequence[str], starts: np.ndarray | None = None) -> np.ndarray:
    """The segment of each of ``names`` (the input files in input order): 0, 0, 1, 1, 1, 2, ...; a file
    whose name hashes to 0 modulo ``SEGMENT_FILES`` starts a new segment (the first file starts one).
    ``starts``: ``name_starts(names)``, when known."""
    starts = name_starts(names) if starts is None else np.array(starts, dtype=bool)
    if len(starts) != len(names):
        raise ValueError("one start flag per name")
    if len(starts):
        starts[0] = True
    return np.cumsum(starts) - 1


def segment_key(files: Sequence[tuple[str, str]], context: str) -> str:
    """The key of a segment of ``files`` (name and content hash of each, in order), in ``context`` (the
    cache format, the parser version and the reporters file's fingerprint): the SHA-256 of the context
    and of ``NUL name NUL hash`` for each file, hashed in one piece."""
    digest = hashlib.sha256(context.encode())
    # one encoding of the joined text: UTF-8 (lone surrogates as ``os.fsencode`` gives them) encodes each
    # character alone, so this is the bytes of each piece encoded one by one, joined
    digest.update(os.fsencode("".join(f"\0{name}\0{sha256}" for name, sha256 in files)))
    return digest.hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment of a new generation: its key, and its rows ``start:stop`` of the records."""

    key: str
    start: int
    stop: int

    @property
    def rows(self) -> int:
        return self.stop - self.start


def plan_segments(
    files: pd.Series, names: Sequence[str], sha256: Mapping[str, str], context: str
) -> list[Segment]:
    """The segments of records whose file is ``files`` (in input order: sorted by the file's place in
    ``names``), each file's content hash in ``sha256``. Segments without records are left out."""
    if not len(files):
        return []
    numbers = segment_numbers(names)
    position = {name: index for index, name in enumerate(names)}
    codes, uniques = pd.factorize(files, sort=False)
    places = np.array([position[name] for name in uniques], dtype=np.int64)
    of_row = numbers[places][codes]
    if len(of_row) > 1 and (np.diff(of_row) < 0).any():
        raise ValueError("records not in input order")
    counts = np.bincount(places[codes], minlength=len(names))
    return plan_segments_by_counts(counts, names, sha256, context)


def plan_segments_by_counts(
    counts: Sequence[int] | np.ndarray,
    names: Sequence[str],
    sha256: Mapping[str, str],
    context: str,
    starts: np.ndarray | None = None,
) -> list[Segment]:
    """``plan_segments`` of records in input order given by the number of records of each of ``names``
    (``starts``: ``name_starts(names)``, when known)."""
    if not len(names):
        return []
    numbers = segment_numbers(names, starts)
    rows_of = np.bincount(numbers, weights=np.asarray(counts, dtype=np.int64), minlength=int(numbers[-1]) + 1)
    # each segment's files are a run of ``names`` (the numbers do not decrease): sliced, not gathered by name
    firsts = np.flatnonzero(np.r_[True, numbers[1:] != numbers[:-1]]).tolist()
    bounds = [*firsts, len(names)]
    segments, start = [], 0
    for number, rows in enumerate(rows_of.astype(np.int64).tolist()):
        if rows:
            files = names[bounds[number] : bounds[number + 1]]
            key = segment_key([(name, sha256.get(name, "")) for name in files], context)
            segments.append(Segment(key, start, start + rows))
            start += rows
    return segments


__all__ = [
    "SEGMENT_FILES",
    "Segment",
    "name_starts",
    "plan_segments",
    "plan_segments_by_counts",
    "segment_key",
    "segment_numbers",
]
