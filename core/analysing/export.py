"""The selected stories as downloadable files: CSV, JSON Lines, JSON and Parquet.

Every format is written a chunk of rows at a time into a binary file (``write_export``), so an export of
100,000 stories never holds the whole text as one string besides its bytes. ``research_columns`` adds what a
researcher needs beside the record fields: each story's themes, the terms that matched them, and a
snippet around the first hit of the search or theme terms. ``estimate_size`` tells how large a file will
be from a sample of rows, before anything is built.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.analysing.query import Term
from core.model import COLUMNS, LIST_COLUMNS
from core.storing.frame import arrow_table, frame_to_json_records, rows_at
from core.storing.search import fold, kwic, term_pattern

#: Export formats: name -> (file suffix, MIME type).
FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("csv", "text/csv"),
    "jsonl": ("jsonl", "application/x-ndjson"),
    "json": ("json", "application/json"),
    "parquet": ("parquet", "application/vnd.apache.parquet"),
}
#: The columns ``research_columns`` adds, after the record fields.
RESEARCH_COLUMNS = ("themes", "matched_terms", "snippet")
CHUNK_ROWS = 2000  # rows converted and written at a time
#: Columns to add to a chunk of stories (same index), e.g. ``ResearchColumns``.
Extra = Callable[[pd.DataFrame], pd.DataFrame]
#: A change to a chunk of stories before it is written, e.g. sources named relative to the data folder.
Prepare = Callable[[pd.DataFrame], pd.DataFrame]
SNIPPET_CONTEXT = 80  # characters each side of the first hit
OPENING_CHARS = 200  # snippet of a story without a hit: its opening


def _csv_cell(name: str, value: Any) -> Any:
    if name in LIST_COLUMNS or name == "themes":
        if name == "sources":
            return "; ".join(f"{s['file']}:{s['first_line']}-{s['last_line']}" for s in value)
        return "; ".join(value)
    return "" if value is None else value


def _records(frame: pd.DataFrame, extra: pd.DataFrame | None, body: bool) -> Iterator[dict[str, Any]]:
    """JSON-ready records of ``frame`` (its ``COLUMNS``), with the columns of ``extra`` (same rows, same
    order) after them; without ``body`` the story text is left out."""
    extra_rows = extra.to_dict("records") if extra is not None else None
    for number, record in enumerate(frame_to_json_records(frame)):
        if not body:
            del record["body"]
        if extra_rows is not None:
            record.update(extra_rows[number])
        yield record


def _chunks(
    read: Callable[[int, int], pd.DataFrame], total: int, extra: Extra | None, prepare: Prepare | None
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame | None]]:
    """Rows ``[start, stop)`` of ``total`` from ``read``, ``CHUNK_ROWS`` at a time (one empty chunk when
    there are none), prepared, with their extra columns."""
    for start in range(0, max(total, 1), CHUNK_ROWS):
        part = read(start, min(start + CHUNK_ROWS, total))
        if prepare is not None:
            part = prepare(part)
        added = extra(part) if extra is not None else None
        if added is not None and len(added) != len(part):
            raise ValueError(f"extra columns have {len(added)} rows for {len(part)} stories")
        yield part, added


def export_columns(extra_names: Sequence[str] = (), body: bool = True) -> list[str]:
    """The column names of an export, in order: the record fields (``body`` when asked), then
    ``extra_names``."""
    return [name for name in COLUMNS if body or name != "body"] + list(extra_names)


def write_export(
    frame: pd.DataFrame,
    fmt: str,
    out: IO[bytes],
    extra: Extra | None = None,
    *,
    body: bool = True,
    prepare: Prepare | None = None,
) -> None:
    """Write the stories of ``frame`` to ``out`` in ``fmt`` (a key of ``FORMATS``), ``CHUNK_ROWS`` rows at
    a time. Each chunk is first changed by ``prepare`` (e.g. sources named relative to the data folder),
    then given the columns ``extra`` computes for it (e.g. ``ResearchColumns``) after the record fields;
    ``body=False`` leaves the story text out. CSV joins lists with ``"; "``; times are ISO 8601 with
    ``+08:00``."""
    for piece in stream_export(
        lambda start, stop: frame.iloc[start:stop], len(frame), fmt, extra, body=body, prepare=prepare
    ):
        out.write(piece)


def stream_export(
    read: Callable[[int, int], pd.DataFrame],
    total: int,
    fmt: str,
    extra: Extra | None = None,
    *,
    body: bool = True,
    prepare: Prepare | None = None,
) -> Iterator[bytes]:
    """The bytes of ``write_export`` of ``total`` stories, one piece per chunk of ``CHUNK_ROWS`` stories:
    ``read(start, stop)`` gives the stories ``start`` to ``stop`` (a frame of every column), called once
    per chunk, so only one chunk's stories and bytes are held at a time (the dashboard's streamed
    download reads each chunk's text from disk). The pieces joined are ``export_bytes``'s file."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; the formats are {', '.join(FORMATS)}")
    chunks = _chunks(read, total, extra, prepare)
    if fmt == "parquet":
        yield from _parquet_pieces(chunks, body)
        return
    if fmt == "json":
        yield b"["
    first = True
    names: list[str] | None = None
    for part, added in chunks:
        text = io.StringIO()
        writer: csv.DictWriter[str] | None = None
        if fmt == "csv":
            header = names is None  # in the first chunk's piece only
            names = names or export_columns(list(added.columns) if added is not None else [], body)
            writer = csv.DictWriter(text, fieldnames=names, lineterminator="\n")
            if header:
                writer.writeheader()
        for record in _records(part, added, body):
            if writer is not None:
                writer.writerow({name: _csv_cell(name, value) for name, value in record.items()})
            elif fmt == "jsonl":
                text.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                dumped = json.dumps(record, ensure_ascii=False, indent=1)
                # as one json.dumps of the whole list would indent it (newlines in strings are escaped)
                text.write(("\n " if first else ",\n ") + dumped.replace("\n", "\n "))
            first = False
        yield text.getvalue().encode("utf-8")
    if fmt == "json":
        yield b"]" if first else b"\n]"


_ARROW_TYPES = {
    "string": pa.large_string(),
    "bool": pa.bool_(),
    "int32": pa.int32(),
    "float64": pa.float64(),
    "datetime64[ns, UTC+08:00]": pa.timestamp("ns", tz="+08:00"),
    "object": pa.list_(pa.string()),  # the list columns
}
_RESEARCH_TYPES = {
    "themes": pa.list_(pa.string()),
    "matched_terms": pa.large_string(),
    "snippet": pa.large_string(),
}


def _arrow_schema(names: Sequence[str]) -> pa.Schema:
    """One schema for every chunk (a chunk of stories without coverage links would otherwise make that
    column a list of nulls)."""
    types = {name: _ARROW_TYPES[dtype] for name, dtype in COLUMNS.items()} | _RESEARCH_TYPES
    return pa.schema([(name, types.get(name, pa.large_string())) for name in names])


class _Drain(io.RawIOBase):
    """A file Parquet writes into whose bytes are taken out after each row group (``take``)."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._at = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        piece = bytes(data)
        self._pieces.append(piece)
        self._at += len(piece)
        return len(piece)

    def tell(self) -> int:
        return self._at

    def take(self) -> bytes:
        taken, self._pieces = b"".join(self._pieces), []
        return taken


def _parquet_pieces(chunks: Iterator[tuple[pd.DataFrame, pd.DataFrame | None]], body: bool) -> Iterator[bytes]:
    """The stories with their schema (lists stay lists, times stay tz-aware), one row group per chunk;
    the file's bytes as each row group is written, the footer last."""
    sink = _Drain()
    writer: pq.ParquetWriter | None = None
    try:
        for part, added in chunks:
            table_part = part[export_columns((), body)].reset_index(drop=True)
            if added is not None:
                table_part = pd.concat([table_part, added.reset_index(drop=True)], axis=1)
            if writer is None:
                schema = _arrow_schema(list(table_part.columns))
                first = arrow_table(table_part, schema)
                writer = pq.ParquetWriter(sink, first.schema)
                writer.write_table(first)
            else:
                table = pa.Table.from_pandas(table_part, schema=schema, preserve_index=False)
                writer.write_table(table.replace_schema_metadata(writer.schema.metadata))
            yield sink.take()
    finally:
        if writer is not None:
            writer.close()
    yield sink.take()


def export_bytes(
    frame: pd.DataFrame,
    fmt: str,
    extra: Extra | None = None,
    *,
    body: bool = True,
    prepare: Prepare | None = None,
) -> bytes:
    """``write_export`` into memory: the file's bytes."""
    buffer = io.BytesIO()
    write_export(frame, fmt, buffer, extra, body=body, prepare=prepare)
    return buffer.getvalue()


def to_csv(frame: pd.DataFrame) -> str:
    """One row per story; list fields joined with ``"; "``; times in ISO 8601 with ``+08:00``."""
    return export_bytes(frame, "csv").decode("utf-8")


def to_jsonl(frame: pd.DataFrame) -> str:
    """One JSON object per line, the record fields of ``core.model``."""
    return export_bytes(frame, "jsonl").decode("utf-8")


def to_json(frame: pd.DataFrame) -> str:
    """A JSON array of the records."""
    return export_bytes(frame, "json").decode("utf-8")


def to_parquet(frame: pd.DataFrame) -> bytes:
    """The frame with its schema (lists stay lists, times stay tz-aware)."""
    return export_bytes(frame, "parquet")


SIZE_SAMPLE = 200  # rows converted to estimate the size of an export


def size_sample(total: int, sample: int = SIZE_SAMPLE) -> np.ndarray:
    """Positions of the rows ``estimate_size`` converts out of ``total``: ``sample`` spread evenly (all of
    them when there are no more)."""
    if total <= sample:
        return np.arange(total, dtype=np.intp)
    return np.linspace(0, total - 1, sample).round().astype(np.intp)


def estimate_size(
    frame: pd.DataFrame,
    fmt: str,
    extra: Extra | None = None,
    *,
    body: bool = True,
    prepare: Prepare | None = None,
    sample: int = SIZE_SAMPLE,
    total: int | None = None,
) -> int:
    """The size in bytes an export of ``frame`` will have, from ``sample`` rows spread evenly over it
    (exact when the frame has no more rows than that). Nothing but the sample is converted.

    With ``total``, ``frame`` holds only the rows at ``size_sample(total, sample)`` of a selection of
    ``total`` rows: a caller that reads the text from disk reads those rows' alone."""
    if total is None:
        total = len(frame)
        frame = rows_at(frame, size_sample(total, sample)) if total > sample else frame
    if total <= sample or len(frame) < 2:
        return len(export_bytes(frame, fmt, extra, body=body, prepare=prepare))
    one = len(export_bytes(frame.iloc[:1], fmt, extra, body=body, prepare=prepare))
    many = len(export_bytes(frame, fmt, extra, body=body, prepare=prepare))
    per_row = (many - one) / (len(frame) - 1)
    return int(one - per_row + per_row * total)


# ------------------------------------------------------------------------------------- research columns


class _Patterns:
    """The patterns of some terms, compiled once: each term's (``term_pattern``) and one that finds any of
    them, so a text is scanned once, not once per term."""

    def __init__(self, terms: Sequence[Term]) -> None:
        self.each = [term_pattern(term) for term in terms]
        joined = "|".join(f"(?:{pattern.pattern})" for pattern in self.each)
        self.any = re.compile(joined, re.IGNORECASE) if self.each else None

    def first(self, folded: str) -> tuple[int, int] | None:
        """``(start, end)`` of the earliest occurrence of any term in ``folded``, the longest of those
        that start there; None when no term occurs. The joined pattern finds the earliest start (each
        alternative keeps its own look-behind); each term's pattern matched at that start gives the
        occurrence it would find itself, since none of them occurs earlier."""
        if self.any is None:
            return None
        found = self.any.search(folded)
        if found is None:
            return None
        start = found.start()
        return start, max(match.end() for pattern in self.each if (match := pattern.match(folded, start)))


def first_hit(texts: Mapping[str, str], terms: Sequence[Term], context: int = SNIPPET_CONTEXT) -> str | None:
    """The keyword-in-context snippet of the earliest occurrence of any of ``terms`` in the first of
    ``texts`` (field -> text, in order) that holds one (of several starting there, the longest); None
    when none does."""
    return _first_hit(texts, _Patterns(terms), context)


def _first_hit(texts: Mapping[str, str], patterns: _Patterns, context: int = SNIPPET_CONTEXT) -> str | None:
    for text in texts.values():
        if not text:
            continue
        found = patterns.first(fold(text))
        if found is not None:
            return kwic(text, found[0], found[1], context)
    return None


def _opening(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= OPENING_CHARS:
        return text
    cut = text[:OPENING_CHARS]
    return (cut[: cut.rindex(" ")] if " " in cut else cut) + "…"


class ResearchColumns:
    """The research columns of any chunk of stories (an ``Extra``): ``themes`` (the slugs of the story's
    themes, in ``memberships`` order; a list), ``matched_terms`` (``Huawei: huawei ×3, meng ×1; Trade war:
    tariff* ×2``: the evidence of each theme, named by its label from ``labels`` when given) and
    ``snippet`` (the text around the first occurrence of ``terms``, ``[marked]``, searched in the
    headline, then the body, then the photo caption; an inferred headline is skipped; the opening of the
    body when no term occurs). The memberships are looked up once, not per chunk."""

    names = RESEARCH_COLUMNS

    def __init__(
        self, memberships: pd.DataFrame, terms: Sequence[Term] = (), labels: Mapping[str, str] | None = None
    ) -> None:
        self.terms = list(terms)
        self._patterns = _Patterns(self.terms)
        self._themes: dict[str, list[tuple[str, str]]] = {}
        names = labels or {}
        for article_id, theme, evidence in zip(
            memberships["article_id"].astype(str),
            memberships["theme"].astype(str),
            memberships["evidence"].astype(object),
            strict=True,
        ):
            shown = "" if evidence is None or evidence is pd.NA else str(evidence)
            self._themes.setdefault(article_id, []).append((theme, f"{names.get(theme, theme)}: {shown}"))

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        fields = ("headline", "body", "photo_caption")
        columns = {
            name: frame[name].astype(object).where(frame[name].notna(), "").tolist() for name in fields
        }
        inferred = frame["headline_inferred"].to_numpy(dtype=bool)
        themes: list[list[str]] = []
        matched: list[str] = []
        snippets: list[str] = []
        for number, article_id in enumerate(frame["article_id"].astype(str)):
            carried = self._themes.get(article_id, [])
            themes.append([slug for slug, _ in carried])
            matched.append("; ".join(evidence for _, evidence in carried))
            texts = {
                name: str(columns[name][number])
                for name in fields
                if not (name == "headline" and inferred[number])
            }
            snippet = _first_hit(texts, self._patterns) if self.terms else None
            snippets.append(snippet if snippet is not None else _opening(texts["body"]))
        return pd.DataFrame(
            {
                "themes": pd.Series(themes, dtype=object, index=frame.index),
                "matched_terms": matched,
                "snippet": snippets,
            },
            index=frame.index,
        ).astype({"matched_terms": "string", "snippet": "string"})


def story_count(n: int) -> str:
    """``1 story``, ``2,000 stories``."""
    return f"{n:,} {'story' if n == 1 else 'stories'}"


def file_size(size: int) -> str:
    """``850 bytes``, ``1.2 kB``, ``148 MB`` (powers of 1,000)."""
    if size < 1000:
        return f"{size:,} byte{'s' if size != 1 else ''}"
    units = ("kB", "MB", "GB")
    value, step = size / 1000, 0
    while value >= 1000 and step < len(units) - 1:
        value, step = value / 1000, step + 1
    return f"{value:.1f} {units[step]}" if value < 10 else f"{value:,.0f} {units[step]}"


def _listing_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for row in frame.to_dict("records"):
        stamp = row.get("published_at")
        article_id = row.get("article_id")
        rows.append(
            {
                "headline": row["headline"],
                "summary": row.get("summary") or "",
                "published_at": None if stamp is None or pd.isna(stamp) else stamp.isoformat(),
                "group": row.get("group") or "",
                "source": row["source"],
                "line": int(row["line"]),
                "article_id": None if article_id is None or pd.isna(article_id) else str(article_id),
            }
        )
    return rows


def listings_to_jsonl(frame: pd.DataFrame) -> str:
    """Listing entries as JSON Lines: headline, summary, published_at (or null), group, source, line,
    article_id (of the matched story, or null)."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in _listing_rows(frame))


def listings_to_csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    fields = ["headline", "summary", "published_at", "group", "source", "line", "article_id"]
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in _listing_rows(frame):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()
