"""What the merge of one generation leaves for the next ingest, so that it merges only the stories its
changed files touch (``core.storing.ingest``; ``docs/cache.md``, "The merge memo").

A full ingest merges every record: the copies of a story (one ``article_id``, or a short copy given the id
of a longer copy of the same minute whose text it opens) become one row, ordered newest first and then by
the input position of the winning copy; the reporters' aliases and name-order merges then rewrite the
authors and contacts of every story. An ingest after a few files changed re-merges only the stories with
a copy at a minute (``published_at``) that a changed record has, old or new, and the stories whose id one
of those copies now takes; every other story keeps its row of the previous articles file. For that it
needs, per generation (``merge-<generation>.npz``):

- each record's instant (``published_at`` as int64 nanoseconds, NaT the smallest int64) and the row of the
  story it merged into, in the records' order (the order of the segments);
- the number of records of each file of the state, in the state's order, and whether each starts a
  segment by its name (``core.storing.segments.name_starts``: carried over, not hashed again);
- each story's winning copy (its position in the records);
- how often each aliased author name and each contact name occurs over the stories (for the name-order
  merges, which count over the whole collection: when they change, the ingest merges everything);
- the headline, ``headline_inferred`` and ``headline_match`` each story had before the headline catalog
  changed them (only the stories it changed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.storing.frame import texts_differ

#: An ingest that parsed or removed more files than this (or a tenth of the inputs, at least 4) merges every
#: record.
MOST_CHANGED_FILES = 64

_NAT = np.iinfo(np.int64).min


def instants(stamps: pd.Series) -> np.ndarray:
    """``stamps`` (times) as int64 nanoseconds since the epoch, NaT as the smallest int64: equal values
    are equal times, whatever the unit or zone of the column."""
    times = pd.to_datetime(stamps.reset_index(drop=True), utc=True)
    if times.dt.unit != "ns":
        times = times.dt.as_unit("ns")
    return np.asarray(times.array.asi8, dtype=np.int64)


def _pack(names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as one array of UTF-8 bytes (a lone surrogate kept) and their offsets."""
    encoded = [name.encode("utf-8", "surrogatepass") for name in names]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets


def _unpack(data: np.ndarray, offsets: np.ndarray) -> list[str]:
    raw = data.tobytes()
    bounds = offsets.tolist()
    return [raw[a:b].decode("utf-8", "surrogatepass") for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _counts_arrays(prefix: str, counts: Counter[str]) -> dict[str, np.ndarray]:
    data, offsets = _pack(list(counts))
    return {
        f"{prefix}_data": data,
        f"{prefix}_offsets": offsets,
        f"{prefix}_counts": np.fromiter(counts.values(), dtype=np.int64, count=len(counts)),
    }


def _counts_of(prefix: str, arrays: Mapping[str, np.ndarray]) -> Counter[str]:
    names = _unpack(arrays[f"{prefix}_data"], arrays[f"{prefix}_offsets"])
    counts = arrays[f"{prefix}_counts"].tolist()
    if len(names) != len(counts):
        raise ValueError("names and counts differ in length")
    return Counter(dict(zip(names, counts, strict=True)))


@dataclass(slots=True)
class MergeMemo:
    """What a generation's merge left (module docstring)."""

    record_instants: np.ndarray
    record_stories: np.ndarray
    file_records: np.ndarray
    story_winners: np.ndarray
    authors: Counter[str]
    contacts: Counter[str]
    # what the headline catalog overwrote (none until ``apply_headline_catalog`` fills them in)
    catalog_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    catalog_headlines: list[str] = field(default_factory=list)
    catalog_inferred: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    catalog_match: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    # whether each file of the state starts a segment by its name (``core.storing.segments.name_starts``);
    # None in a memo written before it was kept
    file_starts: np.ndarray | None = None

    def arrays(self) -> dict[str, np.ndarray]:
        data, offsets = _pack(self.catalog_headlines)
        return {
            "record_instants": self.record_instants.astype(np.int64, copy=False),
            "record_stories": self.record_stories.astype(np.int64, copy=False),
            "file_records": self.file_records.astype(np.int64, copy=False),
            "story_winners": self.story_winners.astype(np.int64, copy=False),
            **_counts_arrays("authors", self.authors),
            **_counts_arrays("contacts", self.contacts),
            "catalog_rows": self.catalog_rows.astype(np.int64, copy=False),
            "catalog_data": data,
            "catalog_offsets": offsets,
            "catalog_inferred": self.catalog_inferred.astype(bool, copy=False),
            "catalog_match": self.catalog_match.astype(np.float64, copy=False),
            **({} if self.file_starts is None else {"file_starts": self.file_starts.astype(bool, copy=False)}),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], records: int, files: int, stories: int) -> MergeMemo | None:
        """The memo of ``arrays`` (``CacheStore.read_merge``), checked against the generation's numbers of
        records, files and stories; None when it is not as written."""
        try:
            memo = cls(
                record_instants=_ints(arrays["record_instants"], records),
                record_stories=_ints(arrays["record_stories"], records),
                file_records=_ints(arrays["file_records"], files),
                story_winners=_ints(arrays["story_winners"], stories),
                authors=_counts_of("authors", arrays),
                contacts=_counts_of("contacts", arrays),
                catalog_rows=_ints(arrays["catalog_rows"], None),
                catalog_headlines=_unpack(arrays["catalog_data"], arrays["catalog_offsets"]),
                catalog_inferred=np.asarray(arrays["catalog_inferred"], dtype=bool),
                catalog_match=np.asarray(arrays["catalog_match"], dtype=np.float64),
                file_starts=_flags(arrays["file_starts"], files) if "file_starts" in arrays else None,
            )
        except (KeyError, ValueError, TypeError, UnicodeDecodeError):
            return None
        changed = len(memo.catalog_rows)
        if (
            int(memo.file_records.sum()) != records
            or (memo.file_records < 0).any()
            or (records and not (0 <= memo.record_stories.min() and memo.record_stories.max() < stories))
            or (stories and not (0 <= memo.story_winners.min() and memo.story_winners.max() < records))
            or not len(memo.catalog_headlines) == len(memo.catalog_inferred) == len(memo.catalog_match) == changed
            or (changed and not (0 <= memo.catalog_rows.min() and memo.catalog_rows.max() < stories))
        ):
            return None
        return memo


def _ints(values: np.ndarray, length: int | None) -> np.ndarray:
    if values.dtype != np.int64 or values.ndim != 1 or (length is not None and len(values) != length):
        raise ValueError("not an int64 array of the expected length")
    return values


def _flags(values: np.ndarray, length: int) -> np.ndarray:
    if values.dtype != np.bool_ or values.ndim != 1 or len(values) != length:
        raise ValueError("not a boolean array of the expected length")
    return values


def catalog_changes(before: pd.DataFrame, after: pd.DataFrame) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    """The rows whose headline, ``headline_inferred`` or ``headline_match`` the headline catalog changed
    (``before`` and ``after`` it, same rows), with their values before."""
    if not len(before):
        return np.zeros(0, dtype=np.int64), [], np.zeros(0, dtype=bool), np.zeros(0, dtype=np.float64)
    headline = texts_differ(before["headline"], after["headline"])
    inferred = before["headline_inferred"].to_numpy(dtype=bool) != after["headline_inferred"].to_numpy(dtype=bool)
    old, new = before["headline_match"].to_numpy(dtype=np.float64), after["headline_match"].to_numpy(dtype=np.float64)
    match = ~((old == new) | (np.isnan(old) & np.isnan(new)))
    rows = np.flatnonzero(headline | inferred | match).astype(np.int64)
    return (
        rows,
        [str(h) for h in before["headline"].take(rows).tolist()],
        before["headline_inferred"].to_numpy(dtype=bool)[rows],
        old[rows],
    )


__all__ = ["MOST_CHANGED_FILES", "MergeMemo", "catalog_changes", "instants"]
