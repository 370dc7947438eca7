"""Dates a record cannot hold (before 1677-09-21 or after 2262-04-11 in UTC, pandas' nanosecond range):
the story or entry is kept, undated, with a warning naming its line; nothing crashes, whichever path the
page takes (parse, frame, ingest and cache, the large-page reader, the CLI, an upload)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from core.cli import main
from core.model import BEIJING, holdable
from core.parsing import parse_page
from core.reading.uploads import save_upload
from core.storing.frame import articles_to_frame
from core.storing.ingest import ingest

GOOD = """By Dave Yin / Oct 25, 2019 05:09 PM / World

A normal story about Huawei and the trade war that is read whatever stands beside it in the input.
"""

# Each byline's date is outside what a record can hold; the last one is just inside.
FAR_BYLINES = [
    "Oct 25, 9999 05:09 PM",
    "Jan 02, 0001 04:07 AM",
    "Sep 20, 1677 11:00 PM",
    "Apr 12, 2262 08:00 AM",  # 00:00 UTC on Apr 12, a day past the last holdable instant
]
EDGE_BYLINE = "Apr 11, 2262 11:00 PM"


def far_page(bylines: list[str]) -> str:
    stories = [
        f"By Matthew Walsh / {byline} / World\n\nStory number {i} tells of the governing bodies of the world "
        f"and their decisions on trade, told at length.\n"
        for i, byline in enumerate(bylines)
    ]
    return "\n\n".join(stories)


@pytest.mark.parametrize("byline", FAR_BYLINES)
def test_story_kept_undated_with_a_warning(byline: str) -> None:
    result = parse_page(far_page([byline]), "far.txt")
    (story,) = result.articles
    assert story.published_at is None
    assert story.body.startswith("Story number 0")
    warning = " ".join(result.report.warnings)
    assert "far.txt:1:" in warning and "outside the range a record can hold" in warning
    assert byline.split()[2] in warning  # the year as written
    frame = articles_to_frame(result.articles)
    assert frame["published_at"].isna().all()


def test_edge_of_range_is_kept_with_its_time() -> None:
    (story,) = parse_page(far_page([EDGE_BYLINE]), "edge.txt").articles
    assert story.published_at == datetime(2262, 4, 11, 23, 0, tzinfo=BEIJING)
    assert holdable(story.published_at)


def test_article_page_and_listing_entries_too() -> None:
    article = (
        "Caixin Global – Latest China News & Headlines\n\nHome > World >\n\nOct 25, 9999 03:05 PM\n\n"
        "Huawei Bets on In-House Chips as Smartphone Sales Surge\n\nBy Li Xiang and Mo Yelin\n\n"
        "Huawei Technologies Co. Ltd. is betting on in-house chips as its smartphone sales surge, "
        "executives said Friday.\n\nBy the end of June, Huawei had shipped 54 million handsets.\n"
    )
    result = parse_page(article, "article.txt")
    assert result.report.shape == "article"
    assert [a.published_at for a in result.articles] == [None]
    assert all(e.published_at is None for e in result.listings)
    assert any("9999" in w for w in result.report.warnings)

    listing = (
        "China Belt & Road News - Caixin Global\n\nHome > Belt & Road\n\nBELT & ROAD\n\n"
        "China, Laos Open Kunming-Vientiane Railway After Five Years of Work\n"
        "The 1,035-kilometer line cost about $6 billion.\nNov 27, 9999 10:02 AM\n\n"
        "Chinese Policy Banks Scale Back Overseas Lending\nNew loans fell.\nNov 27, 2020 10:02 AM\n\n"
        "Pakistan Seeks Debt Relief on Power Plants Built by Chinese Firms\nRepayments.\n"
        "Jul 11, 2019 07:40 PM\n"
    )
    result = parse_page(listing, "listing.txt")
    assert result.report.shape == "listing"
    times = {e.headline[:5]: e.published_at for e in result.listings}
    assert times["China"] is None and times["Chine"] is not None
    assert any("listing.txt:7:" in w and "9999" in w for w in result.report.warnings)


def test_a_hand_made_record_with_such_a_time_becomes_nat() -> None:
    (story,) = parse_page(GOOD, "good.txt").articles
    far = replace(story, published_at=datetime(9999, 1, 1, tzinfo=BEIJING))
    frame = articles_to_frame([far, story])
    assert frame["published_at"].isna().tolist() == [True, False]


def write_inputs(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "far.txt").write_text(far_page(FAR_BYLINES), encoding="utf-8")
    return [folder / "good.txt", folder / "far.txt"]


@pytest.mark.parametrize("stream_mb", ["", "0"])  # whole pages, and every page read in pieces
def test_ingest_and_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stream_mb: str) -> None:
    monkeypatch.setenv("CAIXIN_STREAM_MB", stream_mb)
    paths = write_inputs(tmp_path / "pages")
    for _ in range(2):  # the second run reads the cache the first one wrote
        corpus = ingest(paths, cache_dir=tmp_path / "cache", workers=1)
        assert not corpus.failed
        assert len(corpus.articles) == 1 + len(FAR_BYLINES)
        assert corpus.articles["published_at"].notna().sum() == 1
        assert sum("outside the range" in w for w in corpus.report.warnings) == len(FAR_BYLINES)
    assert corpus.from_cache


def test_cli_reads_the_good_file_beside_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = write_inputs(tmp_path / "pages")
    code = main(["parse", "--no-cache", *map(str, paths)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 1 + len(FAR_BYLINES)
    assert [r["published_at"] for r in records].count(None) == len(FAR_BYLINES)


def test_upload_is_saved_and_reported(tmp_path: Path) -> None:
    target, report = save_upload("far.txt", far_page(FAR_BYLINES).encode(), tmp_path)
    assert target.is_file()
    assert report.stories == len(FAR_BYLINES)
    assert sum("outside the range" in w for w in report.warnings) == len(FAR_BYLINES)
