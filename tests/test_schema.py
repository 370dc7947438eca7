"""The article frame's schema (``core.model.COLUMNS``) holds for fresh ingests, cache reloads and empty frames."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.config import Reporters
from core.model import COLUMNS, LIST_COLUMNS, ROLES, Article, SourceSpan, parse_source_span
from core.parsing import ParseResult
from core.storing.frame import (
    ARROW_LIST,
    ARROW_LIST_COLUMNS,
    articles_to_frame,
    empty_frame,
    frame_to_json_records,
)
from core.storing.ingest import ingest

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
SAMPLE = Path(__file__).resolve().parent.parent / "data" / "pages" / "000_6a6401b8027f1b55.txt"


def check_schema(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == list(COLUMNS)
    # the list columns of ARROW_LIST_COLUMNS are Arrow lists of str; the others of COLUMNS as declared
    declared_dtypes = {name: str(ARROW_LIST) if name in ARROW_LIST_COLUMNS else kind for name, kind in COLUMNS.items()}
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == declared_dtypes
    for name, declared in COLUMNS.items():
        dtype = frame[name].dtype
        if declared == "string":
            assert isinstance(dtype, pd.StringDtype), name
        elif name == "published_at":
            assert isinstance(dtype, pd.DatetimeTZDtype)
            assert dtype.tz.utcoffset(None) == timedelta(hours=8)
        elif declared == "bool":
            assert dtype == np.dtype(bool), name
        elif declared == "int32":
            assert dtype == np.dtype("int32"), name
        elif declared == "float64":
            assert dtype == np.dtype("float64"), name
        else:
            assert name in LIST_COLUMNS, name
            assert dtype == (ARROW_LIST if name in ARROW_LIST_COLUMNS else np.dtype(object)), name
            for value in frame[name]:
                assert isinstance(value, list), (name, type(value))
                assert all(isinstance(item, str) for item in value), name
    assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0


def fresh(cache: Path) -> pd.DataFrame:
    return ingest([PAGES, SAMPLE], cache_dir=cache, reporters=Reporters(), workers=1).articles


def test_fresh_ingest_schema(tmp_path: Path) -> None:
    frame = fresh(tmp_path / "cache")
    assert len(frame) > 40
    check_schema(frame)


def test_cache_reload_schema(tmp_path: Path) -> None:
    first = fresh(tmp_path / "cache")
    corpus = ingest([PAGES, SAMPLE], cache_dir=tmp_path / "cache", reporters=Reporters(), workers=1)
    assert corpus.from_cache
    check_schema(corpus.articles)
    pd.testing.assert_frame_equal(first, corpus.articles)


def test_empty_frame_schema() -> None:
    frame = empty_frame()
    assert len(frame) == 0
    check_schema(frame)


def test_empty_ingest_schema(tmp_path: Path) -> None:
    corpus = ingest([PAGES / "empty.txt", PAGES / "no_stories.txt"], cache_dir=tmp_path / "c", reporters=Reporters(),
                    workers=1)
    assert len(corpus.articles) == 0
    check_schema(corpus.articles)
    again = ingest([PAGES / "empty.txt", PAGES / "no_stories.txt"], cache_dir=tmp_path / "c", reporters=Reporters(),
                   workers=1)
    check_schema(again.articles)


def test_frame_from_articles_schema(sample_result: ParseResult) -> None:
    frame = articles_to_frame(sample_result.articles)
    check_schema(frame)
    assert len(frame) == 20


def test_missing_values_are_na_not_text(sample_result: ParseResult) -> None:
    frame = articles_to_frame(sample_result.articles)
    assert frame["agency"].isna().sum() == 17
    assert "None" not in set(frame["agency"].dropna())
    assert frame["photo_caption"].isna().sum() == 20 - 4  # captions on lines 208, 267, 308, 367


def test_columns_match_the_record() -> None:
    assert list(COLUMNS) == [f.name for f in dataclasses.fields(Article)]


def test_article_is_a_frozen_slots_dataclass(sample_result: ParseResult) -> None:
    assert dataclasses.is_dataclass(Article)
    assert "__slots__" in Article.__dict__
    article = sample_result.articles[0]
    assert not hasattr(article, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        article.headline = "changed"  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        article.new_field = 1  # type: ignore[attr-defined]
    for name in LIST_COLUMNS:
        assert isinstance(getattr(article, name), tuple), name
    assert hash(SourceSpan("a", 1, 2)) == hash(SourceSpan("a", 1, 2))


@pytest.mark.parametrize("text", ["page.txt:9-31", "C:/pages/a:b.txt:1-1", "x.txt:5-7"])
def test_source_span_round_trip(text: str) -> None:
    assert str(parse_source_span(text)) == text


def test_json_records_have_beijing_iso_times(sample_result: ParseResult) -> None:
    for article in sample_result.articles:
        record = article.to_json_dict()
        assert list(record) == list(COLUMNS)
        assert record["published_at"].endswith("+08:00")
        assert len(record["published_at"]) == len("2019-06-17T19:42:00+08:00")
        assert all(isinstance(record[name], list) for name in LIST_COLUMNS)


def test_frame_json_records_equal_article_records(sample_result: ParseResult) -> None:
    frame = articles_to_frame(sample_result.articles)
    from_frame = list(frame_to_json_records(frame))
    from_articles = [a.to_json_dict() for a in sample_result.articles]
    assert from_frame == from_articles


def test_report_roles_are_the_model_roles(sample_result: ParseResult) -> None:
    assert list(sample_result.report.to_dict()["roles"]) == list(ROLES)
    assert set(sample_result.report.roles) <= set(ROLES)
