"""The story threads of an edited collection updated from the links of the one before
(``core.analysing.threads.updated_thread_links``) equal those computed afresh (``story_threads``), on
generated collections with random edits; and the dashboard's re-read after one page changed updates them
(and the theme memberships) instead of reading every story, with the same results as a cold open."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from core.analysing.threads import (
    _CANDIDATE_BYTES,
    _CANDIDATE_WORDS,
    _TABLE,
    TOP,
    Links,
    _headline_words,
    _story_words,
    story_threads,
    thread_links,
    updated_thread_links,
)
from core.storing.collection import open_collection, thread_keys
from core.storing.ingest import ingest


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    from bench.corpus import generate_corpus

    folder = tmp_path_factory.mktemp("threads-pages")
    generate_corpus(folder, stories=600, seed=11)
    frame = ingest([folder], use_cache=False).articles
    return frame.reset_index(drop=True)


def edited(frame: pd.DataFrame, rng: random.Random, edits: int, links: Links) -> pd.DataFrame:
    """``frame`` with ``edits`` random edits of what threads depend on: a body replaced by another story's
    (ties and new best matches), a body cut (a best match lost), the bodies of the best matches of one
    related headline cut, a headline written, Related lines added (known and new texts) or dropped, a
    story removed, a story added (a copy under a new id)."""
    # Python lists, which cells can be set to one by one (an Arrow list column takes whole columns)
    frame = frame.assign(related=pd.Series(frame["related"].tolist(), index=frame.index, dtype=object))
    texts = sorted({str(t) for lines in frame["related"] for t in lines})
    for number in range(edits):
        kind = rng.randrange(8)
        row = rng.randrange(len(frame))
        other = rng.randrange(len(frame))
        best = [found for found in links.best.values() if len(found) >= 2]
        if kind == 7 and best:
            ids = frame["article_id"].astype(str)
            for article_id, _ in rng.choice(best)[: rng.choice((1, 2, 3, TOP))]:
                frame.loc[ids == article_id, "body"] = "Cut."
        elif kind == 0:
            frame.loc[row, "body"] = frame.loc[other, "body"]
        elif kind == 1:
            frame.loc[row, "body"] = " ".join(str(frame.loc[row, "body"]).split()[:3])
        elif kind == 2:
            frame.loc[row, "headline"] = rng.choice(texts) if texts else "A written headline"
            frame.loc[row, "headline_inferred"] = False
        elif kind == 3:
            new_text = rng.choice(texts) if texts and rng.random() < 0.6 else f"China Trade Talks Resume {number}"
            frame.at[row, "related"] = [*frame.at[row, "related"], new_text]
        elif kind == 4:
            frame.at[row, "related"] = []
        elif kind == 5 and len(frame) > 10:
            frame = frame.drop(index=frame.index[row]).reset_index(drop=True)
        else:
            copy = frame.iloc[[other]].copy()
            copy["article_id"] = f"added{number:04d}{rng.randrange(10**6):06d}"
            at = rng.randrange(len(frame) + 1)
            frame = pd.concat([frame.iloc[:at], copy, frame.iloc[at:]], ignore_index=True)
    return frame


@pytest.mark.parametrize("seed", range(12))
def test_updated_threads_equal_the_computed_ones_after_random_edits(generated: pd.DataFrame, seed: int) -> None:
    rng = random.Random(seed)
    frame = generated
    _, links = thread_links(frame, thread_keys(frame, None))
    assert links is not None
    partial = 0
    for _ in range(4):  # updates of updates: the links an update stores are as good
        frame = edited(frame, rng, rng.choice((1, 2, 5, 20)), links)
        threads, links, read = updated_thread_links(frame, thread_keys(frame, None), links)
        assert links is not None
        pd.testing.assert_frame_equal(threads, story_threads(frame))
        partial += read < len(frame)
        assert all(len(found) <= TOP for found in links.best.values())
    assert partial, "every update read every story"


def test_an_update_reads_only_the_edited_stories(generated: pd.DataFrame) -> None:
    frame = generated
    _, links = thread_links(frame, thread_keys(frame, None))
    assert links is not None
    changed = frame.copy()
    row = int(np.flatnonzero(changed["related"].map(len).to_numpy() == 0)[0])
    changed.loc[row, "body"] = str(changed.loc[row, "body"]) + " Officials said more talks would follow."
    threads, _, read = updated_thread_links(changed, thread_keys(changed, None), links)
    assert read == 1
    pd.testing.assert_frame_equal(threads, story_threads(changed))


def test_unchanged_stories_in_another_order_are_computed_again(generated: pd.DataFrame) -> None:
    frame = generated
    _, links = thread_links(frame, thread_keys(frame, None))
    assert links is not None
    shuffled = frame.iloc[::-1].reset_index(drop=True)
    threads, _, read = updated_thread_links(shuffled, thread_keys(shuffled, None), links)
    assert read == len(shuffled)
    pd.testing.assert_frame_equal(threads, story_threads(shuffled))


def test_the_threads_taken_in_arrow_equal_those_of_python_lists(generated: pd.DataFrame) -> None:
    """The threads frame is taken in Arrow when the ids and the ``Related:`` lines are held there (no
    Python string per line), and made from Python objects otherwise: the same frame either way."""
    from core.analysing.threads import _first_come, _queries
    from core.storing.frame import ARROW_LIST

    assert generated["related"].dtype == ARROW_LIST and _queries(generated)[0].arrow is not None
    lists = pd.Series([list(items) for items in generated["related"].tolist()], dtype=object)
    python = generated.assign(related=lists, article_id=generated["article_id"].astype(object))
    assert _queries(python)[0].arrow is None
    arrow_threads = story_threads(generated)
    assert len(arrow_threads) and arrow_threads["target_id"].isna().any() and arrow_threads["target_id"].notna().any()
    pd.testing.assert_frame_equal(arrow_threads, story_threads(python))
    assert _first_come(np.array([0, 0, 1, 0, 2, 1]), 3)
    assert not _first_come(np.array([1, 0]), 2) and not _first_come(np.array([0, 2, 1]), 3)
    assert not _first_come(np.array([0, 1]), 3) and _first_come(np.array([], dtype=np.int64), 0)


def test_a_re_read_finds_whether_the_ids_are_unique_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard's re-read after one page changed makes the frame's positions once (a binary search
    over the sorted ids, which says whether each id is once) and asks no id column or index whether its
    ids are unique besides: the theme memberships, the counts' codes and the story threads take it from
    the positions. The result is a cold open's."""
    import core.storing.derived as derived_module
    from bench.bench_scale import add_story
    from bench.corpus import generate_corpus

    pages = tmp_path / "pages"
    files = generate_corpus(pages, stories=300, seed=5)
    first = open_collection([pages], cache_dir=tmp_path / "cache", early_threads=True)
    first.prepare()
    known = set(first.articles["article_id"].astype(str))
    asked: list[int] = []  # the length of each column or index of ids asked (pandas asks others of its own)
    made: list[int] = []
    real_series, real_index = pd.Series.is_unique, pd.Index.is_unique

    class Counted(derived_module.Positions):
        def __init__(self, *args: object, **kwargs: object) -> None:
            made.append(1)
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def record(values: pd.Series | pd.Index) -> None:
        if len(values) > 50 and any(str(value) in known for value in list(values)[:5]):
            asked.append(len(values))

    def series_unique(self: pd.Series) -> bool:
        record(self)
        return bool(real_series.fget(self))  # type: ignore[attr-defined]

    def index_unique(self: pd.Index) -> bool:
        record(self)
        return bool(real_index.fget(self))  # type: ignore[attr-defined]

    add_story(files[3], 1)
    monkeypatch.setattr(derived_module, "Positions", Counted)
    monkeypatch.setattr(pd.Series, "is_unique", property(series_unique))
    monkeypatch.setattr(pd.Index, "is_unique", property(index_unique))
    again = open_collection([pages], cache_dir=tmp_path / "cache", early_threads=True)
    again.prepare()
    monkeypatch.undo()
    assert again.files is not None and {"themes", "threads"} <= again.files.updated
    assert again.coded() is not None and again.positions().unique
    assert made == [1] and asked == []
    cold = open_collection([pages], use_cache=False)
    pd.testing.assert_frame_equal(again.threads(), cold.threads())
    pd.testing.assert_frame_equal(again.memberships, cold.memberships)


def test_the_re_read_after_one_page_changed_equals_a_cold_open(tmp_path: Path) -> None:
    from bench.bench_ingest import change_page
    from bench.bench_scale import add_story
    from bench.corpus import generate_corpus

    pages = tmp_path / "pages"
    files = generate_corpus(pages, stories=400, seed=5)
    first = open_collection([pages], cache_dir=tmp_path / "cache")
    first.prepare()
    for step in range(3):
        if step == 1:
            add_story(files[len(files) // 2], 1)
        else:
            change_page(files[step * 3], step + 1)
        again = open_collection([pages], cache_dir=tmp_path / "cache")
        again.prepare()
        assert again.files is not None and {"threads", "themes"} <= again.files.updated
        cold = open_collection([pages], use_cache=False)
        pd.testing.assert_frame_equal(again.threads(), story_threads(cold.articles))
        pd.testing.assert_frame_equal(again.memberships, cold.memberships)
        positions = {article_id: n for n, article_id in enumerate(cold.articles["article_id"].astype(str))}
        expected_rows = [positions[str(i)] for i in cold.memberships["article_id"]]
        assert again.stored_member_rows is not None
        assert again.stored_member_rows.tolist() == expected_rows
        assert dict(again.themes_by_article()) == dict(cold.themes_by_article())
        assert again.filter_options() == cold.filter_options()
    shutil.rmtree(tmp_path / "cache")


def test_the_re_read_places_the_stored_memberships_and_thread_links_where_the_merge_moved_their_stories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an incremental merge the ingest says where each story of the generation it merged from is now
    (``Corpus.moved``: what looking its id up among the new frame's gives); the theme memberships and the
    thread links stored for that generation are placed by it, not by looking their ids up, and equal a
    cold open's. Those of another generation are not (the rows they hold are another frame's)."""
    import core.storing.collection as collection_module
    from bench.bench_ingest import change_page
    from bench.bench_scale import add_story
    from bench.corpus import generate_corpus
    from core.storing.frame import positions_in

    pages = tmp_path / "pages"
    files = generate_corpus(pages, stories=400, seed=2)  # a seed whose edits all merge incrementally
    before = open_collection([pages], cache_dir=tmp_path / "cache", early_threads=True)
    before.prepare()
    looked_up: list[int] = []
    real = collection_module.positions_in

    def counted(values: pd.Series, among: object) -> np.ndarray:
        looked_up.append(len(values))
        return real(values, among)  # type: ignore[arg-type]

    monkeypatch.setattr(collection_module, "positions_in", counted)
    import core.analysing.threads as threads_module

    monkeypatch.setattr(threads_module, "positions_in", counted)
    edits = [
        lambda: add_story(files[len(files) // 2], 1),
        lambda: change_page(files[2], 2),
        lambda: files[5].unlink(),  # its stories gone
        lambda: (add_story(files[7], 3), change_page(files[11], 4)),
    ]
    for edit in edits:
        edit()
        looked_up.clear()
        again = open_collection([pages], cache_dir=tmp_path / "cache", early_threads=True)
        again.prepare()
        moved = again.corpus.moved
        assert moved is not None and moved.generation == before.corpus.generation
        expected = positions_in(before.articles["article_id"], again.articles["article_id"])
        assert moved.rows.tolist() == expected.tolist()
        assert (moved.rows < 0).any() or len(again.articles) >= len(before.articles)
        assert again.files is not None and "themes" in again.files.updated
        assert again.files is not None and "threads" in again.files.updated
        # the memberships and the thread links placed without a lookup of every id (a few are: the
        # stories merged again, those named among the threads' best)
        assert max(looked_up, default=0) < len(again.articles) // 4, looked_up
        cold = open_collection([pages], use_cache=False)
        pd.testing.assert_frame_equal(again.memberships, cold.memberships)
        pd.testing.assert_frame_equal(again.threads(), story_threads(cold.articles))
        rows = {article_id: n for n, article_id in enumerate(cold.articles["article_id"].astype(str))}
        assert again.stored_member_rows is not None
        assert again.stored_member_rows.tolist() == [rows[str(i)] for i in cold.memberships["article_id"]]
        before = again
    # memberships stored for another generation, or rows beyond it, are not placed by it: looked up
    from core.storing.collection import _moved_rows
    from core.storing.ingest import RowsNow

    stored = pd.DataFrame({"article_id": ["a", "b", "c"], "row": [2, 0, 1]})
    now = RowsNow("g1", np.array([5, -1, 7], dtype=np.int64))
    placed = _moved_rows(stored, {b"generation": b"g1"}, now)
    assert placed is not None and placed.tolist() == [7, 5, -1]
    assert _moved_rows(stored, {b"generation": b"g0"}, now) is None
    assert _moved_rows(stored, {}, now) is None
    assert _moved_rows(stored.assign(row=[3, 0, 1]), {b"generation": b"g1"}, now) is None
    assert _moved_rows(stored.drop(columns="row"), {b"generation": b"g1"}, now) is None
    assert _moved_rows(stored, {b"generation": b"g1"}, None) is None
    # so are the thread links of another generation, or of a frame of another length
    from core.storing.collection import _rows_before

    links = Links(np.array(["a", "b", "c"], dtype=object), np.zeros(3, dtype=np.int64), {}, frozenset(), 0.5, "g1")
    before = _rows_before(now, links, 8)
    assert before is not None and before.tolist() == [-1, -1, -1, -1, -1, 0, -1, 2]
    assert _rows_before(RowsNow("g0", now.rows), links, 8) is None
    assert _rows_before(now, Links(links.ids, links.keys, {}, frozenset(), 0.5), 8) is None
    assert _rows_before(RowsNow("g1", now.rows[:2]), links, 8) is None
    assert _rows_before(now, links, 6) is None


def test_a_new_generation_of_the_same_stories_takes_the_stored_memberships(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page changed without changing any story (a line added after its last one): a new generation of
    the same frame, whose index is reused; the memberships are those stored, not matched again."""
    import core.storing.collection as collection_module
    from bench.corpus import generate_corpus

    pages = tmp_path / "pages"
    files = generate_corpus(pages, stories=200, seed=9)
    first = open_collection([pages], cache_dir=tmp_path / "cache")
    first.prepare()
    with files[2].open("a", encoding="utf-8") as page:
        page.write("\n\n")
    matched: list[int] = []
    real_match = collection_module.match_themes
    monkeypatch.setattr(
        collection_module, "match_themes", lambda index, themes: matched.append(1) or real_match(index, themes)
    )
    again = open_collection([pages], cache_dir=tmp_path / "cache")
    again.prepare()
    assert again.corpus.generation != first.corpus.generation
    assert again.index.how == "reused"
    assert not matched, "the themes were matched again"
    assert again.files is not None and "themes" in again.files.updated
    cold = open_collection([pages], use_cache=False)
    pd.testing.assert_frame_equal(again.memberships, cold.memberships)
    assert again.stored_member_rows is not None
    positions = {article_id: n for n, article_id in enumerate(cold.articles["article_id"].astype(str))}
    assert again.stored_member_rows.tolist() == [positions[str(i)] for i in cold.memberships["article_id"]]
    pd.testing.assert_frame_equal(again.threads(), story_threads(cold.articles))


def test_a_re_read_computes_the_threads_beside_the_other_lookups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``prepare`` on a new generation updates the threads in a thread of their own, from the links the
    earlier generation stored (read before the other lookups' files remove them), while it makes the
    others; a warm start reads them from their file; what the thread raises, ``prepare`` raises."""
    import threading

    import core.storing.collection as collection_module
    from bench.bench_scale import add_story
    from bench.corpus import generate_corpus

    pages = tmp_path / "pages"
    files = generate_corpus(pages, stories=300, seed=4)
    open_collection([pages], cache_dir=tmp_path / "cache").prepare()
    where: list[str] = []
    real = collection_module.updated_thread_links

    def recorded(*args: object, **kwargs: object) -> object:
        where.append(threading.current_thread().name)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(collection_module, "updated_thread_links", recorded)
    add_story(files[3], 1)
    again = open_collection([pages], cache_dir=tmp_path / "cache")
    again.prepare()
    assert where == ["caixin-threads"]
    assert again.files is not None and "threads" in again.files.updated
    pd.testing.assert_frame_equal(again.threads(), story_threads(open_collection([pages], use_cache=False).articles))
    warm = open_collection([pages], cache_dir=tmp_path / "cache", early_threads=True)
    assert warm.threads_beside is None  # their file is there
    warm.prepare()
    assert warm.files is not None and "threads" in warm.files.loaded and where == ["caixin-threads"]

    # begun by open_collection itself, beside the index and the memberships
    add_story(files[4], 3)
    early = open_collection([pages], cache_dir=tmp_path / "cache", early_threads=True)
    assert early.threads_beside is not None
    early.prepare()
    assert where == ["caixin-threads"] * 2
    assert early.files is not None and "threads" in early.files.updated
    pd.testing.assert_frame_equal(early.threads(), story_threads(open_collection([pages], use_cache=False).articles))

    def failing(*args: object, **kwargs: object) -> object:
        raise MemoryError("no room for the threads")

    monkeypatch.setattr(collection_module, "updated_thread_links", failing)
    add_story(files[5], 2)
    failed = open_collection([pages], cache_dir=tmp_path / "cache")
    with pytest.raises(MemoryError, match="no room for the threads"):
        failed.prepare()


def _story_words_whole(frame: pd.DataFrame, vocabulary: set[bytes]) -> dict[int, set[bytes]]:
    """``_story_words`` as it was before the leads were read a chunk at a time: every body joined into one
    buffer and cleaned at once, each lead cut at ``_CANDIDATE_BYTES`` bytes of it."""
    bodies = [str(b).encode() if isinstance(b, str) else b"" for b in frame["body"].astype(object)]
    words_of: dict[int, set[bytes]] = {}
    for row, body in enumerate(bodies):
        found = vocabulary.intersection(body[:_CANDIDATE_BYTES].translate(_TABLE).split()[:_CANDIDATE_WORDS])
        if found:
            words_of[row] = found
    heads = frame["headline"].fillna("").astype(str).where(~frame["headline_inferred"].astype(bool), "")
    for row, head in enumerate(heads):
        if head:
            found = vocabulary.intersection(head.encode().translate(_TABLE).split())
            if found:
                words_of.setdefault(row, set()).update(found)
    return dict(sorted(words_of.items()))


@pytest.mark.parametrize("chunk", [1, 7, 10_000])
def test_story_words_of_a_body_column_in_chunks_are_those_of_the_whole_bodies(
    generated: pd.DataFrame, chunk: int
) -> None:
    """The leads read one chunk of the body column at a time, cut at a byte (even inside a character),
    with empty and missing bodies among them, give the words of the bodies read whole; and so the same
    threads."""
    frame = generated.copy()
    bodies = frame["body"].astype(object).tolist()
    bodies[3] = None
    bodies[4] = ""
    bodies[5] = "\u00e9" * 391 + "x Huawei tariffs \u4e2d\u56fd trade talks " * 30  # byte 800 inside a character
    bodies[6] = "word " * 500
    cut = [bodies[i : i + chunk] for i in range(0, len(bodies), chunk)]
    frame["body"] = pd.Series(
        pd.arrays.ArrowStringArray(pa.chunked_array([pa.array(part, pa.large_string()) for part in cut])),
        index=frame.index,
    )
    assert frame["body"].array._pa_array.num_chunks == len(cut)
    vocabulary = {w for text in frame["related"] for line in text for w in _headline_words(str(line))}
    vocabulary |= {b"huawei", b"tariffs", b"trade", b"word"}
    expected = _story_words_whole(frame, vocabulary)
    assert expected and 5 in expected and 6 in expected
    assert _story_words(frame, vocabulary) == expected
    one = frame.assign(body=pd.Series(bodies, index=frame.index, dtype=object))
    pd.testing.assert_frame_equal(story_threads(frame), story_threads(one))
