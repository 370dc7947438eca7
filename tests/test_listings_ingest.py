"""Issue 5 end to end: other page shapes through ingest, the cache, the catalog and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main
from core.storing.ingest import ingest

ROOT = Path(__file__).resolve().parents[1]
PAGES2 = ROOT / "tests" / "fixtures" / "pages2"
SAMPLE = ROOT / "data" / "pages"


def test_listing_entries_are_kept_beside_the_stories_and_survive_the_cache(tmp_path: Path) -> None:
    first = ingest([str(SAMPLE), str(PAGES2)], cache_dir=tmp_path)
    assert len(first.listings) > 0
    assert set(first.listings.columns) >= {
        "headline",
        "summary",
        "published_at",
        "group",
        "source",
        "line",
        "article_id",
    }
    # an article page gives a story with a real headline, and its own listing entry points at it
    article = first.articles[
        first.articles["headline"] == "Huawei Bets on In-House Chips as Smartphone Sales Surge"
    ]
    assert len(article) == 1 and not bool(article["headline_inferred"].iloc[0])
    own = first.listings[
        first.listings["headline"] == "Huawei Bets on In-House Chips as Smartphone Sales Surge"
    ]
    assert set(own["article_id"]) == {article["article_id"].iloc[0]}
    # undated listing items that match nothing stay visible, "known from listings only"
    assert first.listings["article_id"].isna().sum() > 0
    again = ingest([str(SAMPLE), str(PAGES2)], cache_dir=tmp_path)
    assert again.from_cache
    assert len(again.listings) == len(first.listings)
    assert (
        again.listings["article_id"].fillna("-").tolist() == first.listings["article_id"].fillna("-").tolist()
    )


def test_the_sample_parses_as_before_beside_other_shapes(tmp_path: Path) -> None:
    alone = ingest([str(SAMPLE)], cache_dir=tmp_path / "a")
    mixed = ingest([str(SAMPLE), str(PAGES2)], cache_dir=tmp_path / "b")
    sample_rows = mixed.articles[
        mixed.articles["sources"].map(lambda s: any("000_6a6401b8027f1b55" in x for x in s))
    ]
    assert len(alone.articles) == 20
    assert sorted(sample_rows["article_id"]) == sorted(alone.articles["article_id"])


def test_unrelated_file_gives_no_stories(tmp_path: Path) -> None:
    corpus = ingest([str(PAGES2 / "unrelated.txt")], cache_dir=tmp_path)
    assert corpus.articles.empty and corpus.listings.empty
    assert corpus.report.pages[0].shape == "unrecognised"


def test_cli_parse_listings_and_stats_shapes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "--listings", str(PAGES2), "--cache-dir", str(tmp_path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and all(
        set(row) == {"headline", "summary", "published_at", "group", "source", "line", "article_id"}
        for row in rows
    )
    assert any(row["published_at"] is None for row in rows)
    dated = [row["published_at"] for row in rows if row["published_at"]]
    assert all(stamp.endswith("+08:00") for stamp in dated)
    assert main(["stats", str(PAGES2), "--cache-dir", str(tmp_path)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["listing_entries"] == len(rows)
    shapes = {Path(k).name: v for k, v in stats["shapes"].items()}
    assert shapes["unrelated.txt"] == "unrecognised"
    assert shapes["listing_belt_and_road.html"] == "listing"
    assert shapes["digest_best_reads.txt"] == "digest"
    assert shapes["article.txt"] == "article"
    assert main(["report", str(PAGES2), "--cache-dir", str(tmp_path)]) == 0
    assert "read as listing" in capsys.readouterr().out


def test_listing_only_timeline_counts_unmatched_dated_entries(tmp_path: Path) -> None:
    from datetime import date

    from core.analysing.analytics import listing_only_timeline

    corpus = ingest([str(SAMPLE), str(PAGES2)], cache_dir=tmp_path)
    listings = corpus.listings
    expected = int((listings["article_id"].isna() & listings["published_at"].notna()).sum())
    assert expected > 0
    assert int(listing_only_timeline(listings, "M")["articles"].sum()) == expected
    assert int(listing_only_timeline(listings, "M", date(2030, 1, 1), None)["articles"].sum()) == 0


def test_timeline_page_shows_listing_only_series(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CAIXIN_DATA", os.pathsep.join([str(SAMPLE), str(PAGES2)]))
    monkeypatch.setenv("CAIXIN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CAIXIN_UPLOADS", str(tmp_path / "uploads"))
    at = AppTest.from_file(str(ROOT / "dashboard" / "main.py"), default_timeout=60)
    at.run()
    at.switch_page("views/timeline.py")
    at.run()
    toggle = at.toggle(key="listings")
    toggle.set_value(True).run()
    assert not at.exception
    chart = at.get("vega_lite_chart")[0].proto
    assert '"field": "group"' in chart.spec
    assert b"Known from listings only" in chart.data.data  # the frame the chart draws (Arrow)
