"""One total order of stories, whatever the history of the cache.

Stories come out newest first; stories of the same minute in the order their winning copy has in the
inputs (the input files in order, then the line in the file). A cache updated by any sequence of
incremental ingests gives the same frame (every column, the same order) as a clean ingest of the same
folder. The number of examples comes from the Hypothesis profile (``tests/conftest.py``), capped here
because every example runs a dozen ingests.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import Reporters
from core.storing.ingest import Corpus, ingest

NO_ALIASES = Reporters()
NAMES = ["a.txt", "b.txt", "c.txt", "d.txt", "sub/e.txt"]


def _story(author: str, minute: str, lead: str, *, teaser: bool = False, cut: bool = False) -> str:
    body = [
        f"By {author} / Apr 22, 2020 05:{minute} PM / Finance",
        lead,
        "Officials said the measures would take effect next month, according to a statement.",
    ]
    if cut:
        return "\n\n".join(body[:2])  # ends after its first paragraph: a short copy of the full story
    body.append("Read the full story on Caixin Global later today." if teaser else "Related: Markets Rally")
    return "\n\n".join(body)


LEADS = [
    "China's biggest banks are preparing to absorb losses on oil-linked products sold to retail investors.",
    "Huawei said its revenue grew in the first quarter despite the pandemic and U.S. sanctions on chips.",
    "The Beijing city government will let students return to school in stages starting next week.",
    "Regulators fined three brokerages for selling risky products to investors who could not bear losses.",
    "Shares of the property developer fell after it missed a payment on its dollar bonds this week.",
]
# Stories of three minutes; several of one minute, some as full copy, teaser or cut copy of the same story.
STORIES = [
    _story("Wang Jing", "40", LEADS[0]),
    _story("Wang Jing", "40", LEADS[0], teaser=True),
    _story("Wang Jing", "40", LEADS[0], cut=True),
    _story("Dave Yin", "40", LEADS[1]),
    _story("Qing Ying", "40", LEADS[2]),
    _story("Qing Ying", "40", LEADS[2], teaser=True),
    _story("Denise Jia", "41", LEADS[3]),
    _story("Denise Jia", "41", LEADS[3], cut=True),
    _story("Mo Yelin", "41", LEADS[4]),
    _story("Mo Yelin", "39", LEADS[4]),
]

pages = st.lists(st.integers(0, len(STORIES) - 1), min_size=1, max_size=4)
steps = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(NAMES), pages),  # add a file or change it
    st.tuples(st.just("delete"), st.sampled_from(NAMES), st.just([])),
    st.tuples(st.just("touch"), st.sampled_from(NAMES), st.just([])),
)


class Folder:
    """Page files whose modification times only ever move forward (no change hides in one clock tick)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.clock = 1_600_000_000_000_000_000

    def tick(self, path: Path) -> None:
        self.clock += 1_000_000_000
        os.utime(path, ns=(self.clock, self.clock))

    def apply(self, action: str, name: str, stories: list[int]) -> None:
        path = self.root / name
        if action == "write":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n\n".join(STORIES[i] for i in stories) + "\n", encoding="utf-8")
            self.tick(path)
        elif action == "delete":
            path.unlink(missing_ok=True)
        elif path.exists():
            self.tick(path)


def _run(folder: Path, cache: Path | None) -> Corpus:
    """An ingest through the cache in ``cache``; None: a clean one that neither reads nor writes a cache."""
    return ingest([folder], cache_dir=cache, reporters=NO_ALIASES, workers=1, use_cache=cache is not None)


def _assert_same(incremental: Corpus, clean: Corpus) -> None:
    pd.testing.assert_frame_equal(incremental.articles, clean.articles)
    pd.testing.assert_frame_equal(incremental.listings, clean.listings)
    assert incremental.report.to_dict() == clean.report.to_dict()
    assert incremental.cache_warnings == []


def replay_edits(
    work: Path, first: list[tuple[str, list[int]]], history: list[tuple[str, str, list[int]]]
) -> tuple[Folder, Path]:
    """Write ``first`` into ``work/in``, ingest it into ``work/cache``, then apply each step of
    ``history`` and check after each that the incremental ingest equals an ingest without a cache."""
    folder = Folder(work / "in")
    folder.root.mkdir()
    for name, stories in first:
        folder.apply("write", name, stories)
    cache = work / "cache"
    _run(folder.root, cache)
    for action, name, stories in history:
        folder.apply(action, name, stories)
        _assert_same(_run(folder.root, cache), _run(folder.root, None))
    return folder, cache


# Each example runs two ingests per step (about 0.6 s of CPU in all): capped at 25 examples, about 17 s.
@settings(max_examples=min(settings.default.max_examples, 25))
@given(
    first=st.lists(st.tuples(st.sampled_from(NAMES), pages), min_size=1, max_size=4),
    history=st.lists(steps, min_size=1, max_size=6),
)
def test_incremental_ingests_give_the_clean_frame(
    first: list[tuple[str, list[int]]], history: list[tuple[str, str, list[int]]]
) -> None:
    work = Path(tempfile.mkdtemp(prefix="order-"))
    try:
        folder, cache = replay_edits(work, first, history)
        clean = _run(folder.root, work / "clean")  # a fresh cache folder
        _assert_same(_run(folder.root, cache), clean)
        assert _run(folder.root, work / "clean").from_cache
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write(path: Path, *stories: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(STORIES[i] for i in stories) + "\n", encoding="utf-8")


def test_ties_follow_the_input_order_after_a_change(tmp_path: Path) -> None:
    """The example the issue reported: a changed file's stories of a shared minute moved to the end."""
    folder = tmp_path / "in"
    _write(folder / "a.txt", 0)
    _write(folder / "b.txt", 3)
    _write(folder / "c.txt", 4)
    cache = tmp_path / "cache"
    first = _run(folder, cache)
    assert [h.split()[0] for h in first.articles["body"]] == ["China's", "Huawei", "The"]
    _write(folder / "a.txt", 0, 6)
    stat = (folder / "a.txt").stat()
    os.utime(folder / "a.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    changed = _run(folder, cache)
    assert [h.split()[0] for h in changed.articles["body"]] == ["Regulators", "China's", "Huawei", "The"]
    pd.testing.assert_frame_equal(changed.articles, _run(folder, tmp_path / "clean").articles)
    pd.testing.assert_frame_equal(_run(folder, cache).articles, changed.articles)
