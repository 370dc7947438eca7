"""The selected stories as downloadable files: CSV, JSON Lines, JSON and Parquet bytes."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pandas as pd

from core.model import COLUMNS, LIST_COLUMNS
from core.storing.frame import frame_to_json_records


def _csv_cell(name: str, value: Any) -> Any:
    if name in LIST_COLUMNS:
        if name == "sources":
            return "; ".join(f"{s['file']}:{s['first_line']}-{s['last_line']}" for s in value)
        return "; ".join(value)
    return "" if value is None else value


def to_csv(frame: pd.DataFrame) -> str:
    """One row per story; list fields joined with ``"; "``; times in ISO 8601 with ``+08:00``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in frame_to_json_records(frame):
        writer.writerow({name: _csv_cell(name, row[name]) for name in COLUMNS})
    return buffer.getvalue()


def to_jsonl(frame: pd.DataFrame) -> str:
    """One JSON object per line, the record fields of ``core.model``."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in frame_to_json_records(frame))


def to_json(frame: pd.DataFrame) -> str:
    """A JSON array of the records."""
    return json.dumps(list(frame_to_json_records(frame)), ensure_ascii=False, indent=1)


def to_parquet(frame: pd.DataFrame) -> bytes:
    """The frame with its schema (lists stay lists, times stay tz-aware)."""
    buffer = io.BytesIO()
    frame[list(COLUMNS)].to_parquet(buffer, index=False)
    return buffer.getvalue()


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
