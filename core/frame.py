"""Records to the article DataFrame and back to JSON-ready rows, with the schema of ``core.model``."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from core.model import BEIJING, COLUMNS, LIST_COLUMNS, Article, SourceSpan, parse_source_span

TIME_DTYPE = pd.DatetimeTZDtype("ns", BEIJING)


def empty_frame() -> pd.DataFrame:
    """A frame with no rows and the article schema."""
    return conform(pd.DataFrame({name: [] for name in COLUMNS}))


def articles_to_frame(articles: Sequence[Article]) -> pd.DataFrame:
    """One row per article, columns and dtypes as ``core.model.COLUMNS``."""
    data: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for article in articles:
        for name in COLUMNS:
            value = getattr(article, name)
            if name == "sources":
                value = [str(span) for span in value]
            elif name in LIST_COLUMNS:
                value = list(value)
            data[name].append(value)
    return conform(pd.DataFrame(data))


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Cast a frame to the article schema (column order, dtypes, list columns as lists)."""
    out = {}
    for name, dtype in COLUMNS.items():
        column = frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index)
        if name == "published_at":
            column = pd.to_datetime(column, utc=True).dt.tz_convert(BEIJING).astype(TIME_DTYPE)
        elif name in LIST_COLUMNS:
            column = column.map(_as_list).astype(object)
        else:
            column = column.astype(dtype)
        out[name] = column
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _as_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [str(v) for v in value]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def row_to_json(row: dict[str, Any]) -> dict[str, Any]:
    """One frame row as the JSON record of ``Article.to_json_dict`` (ISO time with ``+08:00``)."""
    out: dict[str, Any] = {}
    for name in COLUMNS:
        value = row.get(name)
        if name == "published_at":
            out[name] = None if value is None or pd.isna(value) else _iso(value)
        elif name == "sources":
            spans = [parse_source_span(s) for s in _as_list(value)]
            out[name] = [
                {"file": s.file, "first_line": s.first_line, "last_line": s.last_line} for s in spans
            ]
        elif name in LIST_COLUMNS:
            out[name] = _as_list(value)
        else:
            out[name] = _plain(value)
    return out


def _iso(value: Any) -> str:
    stamp: datetime = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    return stamp.astimezone(BEIJING).isoformat()


def frame_to_json_records(frame: pd.DataFrame) -> Iterable[dict[str, Any]]:
    """Rows as JSON-ready dicts, in frame order."""
    for row in frame.to_dict(orient="records"):
        yield row_to_json(row)


def sources_of(row: dict[str, Any]) -> list[SourceSpan]:
    """The ``SourceSpan`` list of one frame row."""
    return [parse_source_span(s) for s in _as_list(row.get("sources"))]
