"""Derived lookups stored beside the cache (``core.storing.derived``): read back by a second open, equal to what
is computed in memory, and recomputed quietly when missing, damaged or not writable."""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pytest

import core.storing.collection as collection_module
from core.analysing.analytics import option_counts, story_threads
from core.analysing.coded import Coded
from core.analysing.themes import themes_of
from core.storing.collection import KINDS, Collection, open_collection

T = TypeVar("T")


def reference(collection: Collection) -> dict[str, object]:
    """The lookups as the code before the derived store computed them, from the frame in memory."""
    frame = collection.articles
    counts = Counter(name for authors in frame["authors"] for name in authors)
    counts.update(frame["agency"].dropna().astype(str).tolist())
    unsigned = int(((frame["authors"].map(len) == 0) & frame["agency"].isna()).sum())
    positions = {article_id: n for n, article_id in enumerate(frame["article_id"].astype(str))}
    theme_ids: dict[str, set[str]] = {}
    for theme in collection.themes:
        members = collection.memberships
        ids = set(members.loc[members["theme"] == theme.slug, "article_id"].astype(str))
        theme_ids[theme.slug] = ids
        theme_ids[theme.label.lower()] = ids
    member_rows = np.array([positions.get(str(i), -1) for i in collection.memberships["article_id"]], dtype=np.int64)
    return {
        "coded": Coded.build(frame, collection.memberships, member_rows),
        "option_counts": option_counts(frame, collection.memberships),
        "theme_ids": theme_ids,
        "threads": story_threads(frame),
        "themes_by_article": themes_of(collection.memberships),
        "positions": positions,
        "headlines": dict(zip(frame["article_id"].astype(str), frame["headline"].astype(str), strict=True)),
        "member_rows": member_rows,
        "options": {
            "theme": [t.slug for t in collection.themes],
            "reporter": sorted(counts, key=lambda n: (-counts[n], n)) + (["Unsigned"] if unsigned else []),
            "section": sorted({str(s) for s in frame["section"].dropna() if str(s)}),
            "kind": list(KINDS),
        },
    }


def check_equal(collection: Collection, expected: dict[str, object]) -> None:
    pd.testing.assert_frame_equal(collection.threads(), expected["threads"])  # type: ignore[arg-type]
    assert dict(collection.themes_by_article()) == expected["themes_by_article"]
    assert list(collection.themes_by_article()) == list(expected["themes_by_article"])  # type: ignore[call-overload]
    assert dict(collection.positions()) == expected["positions"]
    assert dict(collection.headlines_by_id()) == expected["headlines"]
    np.testing.assert_array_equal(collection.member_rows(), expected["member_rows"])  # type: ignore[arg-type]
    assert collection.filter_options() == expected["options"]
    assert collection.option_counts() == expected["option_counts"]
    assert [list(values) for values in collection.option_counts().values()] == [
        list(values) for values in expected["option_counts"].values()  # type: ignore[attr-defined]
    ]
    coded, wanted = collection.coded(), expected["coded"]
    assert isinstance(coded, Coded) and isinstance(wanted, Coded)
    for name in Coded.__dataclass_fields__:
        mine, theirs = getattr(coded, name), getattr(wanted, name)
        if isinstance(theirs, np.ndarray):
            assert mine.dtype == theirs.dtype, name
            np.testing.assert_array_equal(mine, theirs, err_msg=name)
        else:
            assert mine == theirs, name
    for name, ids in expected["theme_ids"].items():  # type: ignore[attr-defined]
        assert collection.theme_ids(name) == ids
    assert collection.theme_ids("no such theme") is None
    for article_id in list(expected["positions"])[:20] + ["0000000000000000"]:  # type: ignore[call-overload]
        assert collection.position_of(article_id) == expected["positions"].get(article_id)  # type: ignore[attr-defined]
        assert collection.themes_by_article().get(article_id) == expected["themes_by_article"].get(article_id)  # type: ignore[attr-defined]


def count_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the computations of the story threads: in memory (``story_threads``), into a cache folder
    (``thread_links``) or updated from an earlier generation's links (``updated_thread_links``)."""
    calls: list[int] = []

    def counting(function: Callable[..., T]) -> Callable[..., T]:
        def counted(frame: pd.DataFrame, *args: object, **kwargs: object) -> T:
            calls.append(len(frame))
            return function(frame, *args, **kwargs)

        return counted

    for name in ("story_threads", "thread_links", "updated_thread_links"):
        monkeypatch.setattr(collection_module, name, counting(getattr(collection_module, name)))
    return calls


def test_a_second_open_reads_the_stored_lookups(
    many_pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_threads(monkeypatch)
    first = open_collection([many_pages], cache_dir=tmp_path)
    first.prepare()
    assert len(calls) == 1
    expected = reference(first)
    check_equal(first, expected)

    matched: list[int] = []
    real_match = collection_module.match_themes
    monkeypatch.setattr(
        collection_module, "match_themes", lambda *a, **k: matched.append(1) or real_match(*a, **k)
    )
    second = open_collection([many_pages], cache_dir=tmp_path)
    second.prepare()
    assert len(calls) == 1, "story threads computed again on the second open"
    assert not matched, "themes matched again on the second open"
    assert second.files is not None and {"threads", "options", "themes", "coded", "counts", "order"} <= second.files.loaded
    assert second.stored_member_rows is not None
    check_equal(second, expected)


def test_the_stored_lookups_equal_the_computed_ones_on_a_generated_collection(tmp_path: Path) -> None:
    from bench.corpus import generate_corpus

    pages = tmp_path / "pages"
    generate_corpus(pages, stories=600, seed=11)
    computed = open_collection([pages], use_cache=False)
    assert computed.files is not None and not computed.files.enabled
    expected = reference(computed)
    check_equal(computed, expected)
    open_collection([pages], cache_dir=tmp_path / "cache").prepare()
    stored = open_collection([pages], cache_dir=tmp_path / "cache")
    stored.prepare()
    assert stored.files is not None and {"threads", "options", "themes", "coded", "counts", "order"} <= stored.files.loaded
    pd.testing.assert_frame_equal(stored.memberships, computed.memberships)
    check_equal(stored, expected)


def test_a_changed_collection_gets_new_lookups(many_pages: Path, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for page in sorted(many_pages.iterdir())[:40]:
        os.link(page, pages / page.name)
    open_collection([pages], cache_dir=tmp_path / "cache").prepare()
    (pages / sorted(p.name for p in pages.iterdir())[0]).unlink()
    changed = open_collection([pages], cache_dir=tmp_path / "cache")
    changed.prepare()
    assert changed.files is not None and not changed.files.loaded
    check_equal(changed, reference(changed))
    derived = sorted(p.name for p in (changed.corpus.cache_root or tmp_path).glob("derived-*"))
    assert derived == [
        f"derived-{changed.files.generation}.arrow",
        f"derived-{changed.files.generation}.coded-{changed.themes_key}.arrow",
        f"derived-{changed.files.generation}.counts-{changed.themes_key}.json",
        f"derived-{changed.files.generation}.json",
        f"derived-{changed.files.generation}.links.arrow",
        f"derived-{changed.files.generation}.order.npy",
    ]


def test_damaged_stored_lookups_are_computed_again(
    many_pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = open_collection([many_pages], cache_dir=tmp_path)
    first.prepare()
    expected = reference(first)
    root = first.corpus.cache_root
    assert root is not None
    for path in [*root.glob("derived-*"), *root.glob("themes-*.parquet")]:
        path.write_bytes(b"not what was written")
    calls = count_threads(monkeypatch)
    again = open_collection([many_pages], cache_dir=tmp_path)
    again.prepare()
    assert len(calls) == 1
    assert again.corpus.cache_warnings == []
    check_equal(again, expected)
    third = open_collection([many_pages], cache_dir=tmp_path)  # rewritten by the one before
    third.prepare()
    assert len(calls) == 1
    check_equal(third, expected)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_cache_computes_in_memory(many_pages: Path, tmp_path: Path) -> None:
    warm = open_collection([many_pages], cache_dir=tmp_path)  # a cache without derived files
    root = warm.corpus.cache_root
    assert root is not None
    for path in [*root.glob("derived-*"), *root.glob("themes-*.parquet")]:
        path.unlink()
    expected = reference(warm)
    lock = root.parent / f"{root.name}.lock"
    modes = {p: p.stat().st_mode for p in (root, root.parent, lock)}
    try:
        for path in modes:
            path.chmod(stat.S_IMODE(modes[path]) & ~0o222)
        read_only = open_collection([many_pages], cache_dir=tmp_path)
        read_only.prepare()
        check_equal(read_only, expected)
        assert not list(root.glob("derived-*"))
    finally:
        for path, mode in modes.items():
            path.chmod(stat.S_IMODE(mode))


def test_a_cache_without_the_exclusive_lock_is_not_written(
    many_pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a read-only cache folder gives (the lock file opened for reading, locked shared), also when
    the tests run as root: the lookups are computed in memory and nothing is written."""
    from contextlib import contextmanager

    from core.storing.cache import CacheLock, CacheStore

    warm = open_collection([many_pages], cache_dir=tmp_path)
    root = warm.corpus.cache_root
    assert root is not None
    for path in [*root.glob("derived-*"), *root.glob("themes-*.parquet")]:
        path.unlink()
    expected = reference(warm)

    @contextmanager
    def shared(self: CacheStore):  # type: ignore[no-untyped-def]
        yield CacheLock(False, "lock file not writable (read-only)")

    monkeypatch.setattr(CacheStore, "lock", shared)
    calls = count_threads(monkeypatch)
    for _ in range(2):
        read_only = open_collection([many_pages], cache_dir=tmp_path)
        read_only.prepare()
        check_equal(read_only, expected)
    assert len(calls) == 2
    assert not list(root.glob("derived-*")) and not list(root.glob("themes-*.parquet"))


def test_a_collection_of_an_older_generation_leaves_the_newer_files_alone(
    many_pages: Path, tmp_path: Path
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for page in sorted(many_pages.iterdir())[:30]:
        os.link(page, pages / page.name)
    old = open_collection([pages], cache_dir=tmp_path / "cache")  # lookups not computed yet
    (pages / sorted(p.name for p in pages.iterdir())[0]).unlink()
    new = open_collection([pages], cache_dir=tmp_path / "cache")
    new.prepare()
    root = new.corpus.cache_root
    assert root is not None and new.files is not None
    before = sorted(p.name for p in root.iterdir())
    old.prepare()  # computed in memory: its generation is gone
    check_equal(old, reference(old))
    assert sorted(p.name for p in root.iterdir()) == before
    assert f"derived-{new.files.generation}.arrow" in before


def test_the_stored_codes_and_counts_follow_the_themes(many_pages: Path, tmp_path: Path) -> None:
    """The counts' codes are read in place from the mapped file (no copy of the arrays), and a change of
    the themes file gives new codes and option counts files that replace the old ones of the same
    generation."""
    themes = tmp_path / "themes.toml"
    themes.write_text('[themes.trade]\nlabel = "Trade"\nterms = ["trade"]\n', encoding="utf-8")
    open_collection([many_pages], cache_dir=tmp_path / "cache", themes_file=themes).prepare()
    again = open_collection([many_pages], cache_dir=tmp_path / "cache", themes_file=themes)
    again.prepare()
    assert again.files is not None and {"coded", "counts"} <= again.files.loaded
    assert again.option_counts()["theme"] == {"trade": len(again.theme_rows("trade"))}
    coded = again.coded()
    assert coded is not None and coded.themes == ["trade"]
    for name in ("credit_rows", "theme_rows", "days", "teaser"):
        array = getattr(coded, name)
        assert not array.flags.writeable and not array.flags.owndata, name
    check_equal(again, reference(again))
    root = again.corpus.cache_root
    assert root is not None
    assert sorted(p.name for p in root.glob("derived-*.co*-*")) == [
        f"derived-{again.files.generation}.coded-{again.themes_key}.arrow",
        f"derived-{again.files.generation}.counts-{again.themes_key}.json",
    ]

    themes.write_text('[themes.bank]\nlabel = "Banks"\nterms = ["bank"]\n', encoding="utf-8")
    changed = open_collection([many_pages], cache_dir=tmp_path / "cache", themes_file=themes)
    changed.prepare()
    assert changed.files is not None and not {"coded", "counts"} & changed.files.loaded
    assert changed.themes_key != again.themes_key
    assert sorted(p.name for p in root.glob("derived-*.co*-*")) == [
        f"derived-{changed.files.generation}.coded-{changed.themes_key}.arrow",
        f"derived-{changed.files.generation}.counts-{changed.themes_key}.json",
    ]
    check_equal(changed, reference(changed))
    coded = changed.coded()
    assert coded is not None and coded.themes == (["bank"] if len(changed.memberships) else [])
