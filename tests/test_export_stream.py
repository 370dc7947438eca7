"""The Data page's export a chunk at a time (``dashboard/components/exports.py``): the pieces are the file the
whole selection gives at once, each chunk's memberships are the selection's, export links are kept per
collection and refused once they no longer hold, and the data is read when the server starts.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from core.analysing import export
from core.analysing.ranking import relevance_terms
from core.storing.collection import Collection, Filters, open_collection, select

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "pages"
if str(ROOT / "dashboard") not in sys.path:
    sys.path.insert(0, str(ROOT / "dashboard"))

import components.data as data_component  # noqa: E402  # the modules the app imports (same sys.path)
from components import exports  # noqa: E402
from components.paths import names_for  # noqa: E402


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    return open_collection([SAMPLE], cache_dir=tmp_path_factory.mktemp("stream-cache"))


def whole_file(collection: Collection, mask: np.ndarray, fmt: str, *, body: bool, research: bool, q: str = "") -> bytes:
    """The export as the Data page built it before it streamed: the selection's stories and memberships
    whole, written by ``export_bytes``."""
    positions = np.flatnonzero(mask)
    rows = collection.member_rows()
    members = collection.memberships[(rows >= 0) & mask[np.maximum(rows, 0)]]
    labels = {t.slug: t.label for t in collection.themes}
    extra = export.ResearchColumns(members, relevance_terms(q), labels) if research else None
    return export.export_bytes(
        collection.rows(positions), fmt, extra, body=body, prepare=names_for(collection).sources
    )


def streamed(collection: Collection, mask: np.ndarray, fmt: str, *, body: bool, research: bool, q: str = "") -> list[bytes]:
    return list(
        exports.pieces(
            collection,
            np.flatnonzero(mask),
            fmt,
            body=body,
            terms=relevance_terms(q) if research else None,
            labels={t.slug: t.label for t in collection.themes},
            names=names_for(collection),
        )
    )


@pytest.mark.parametrize("fmt", list(export.FORMATS))
@pytest.mark.parametrize(("body", "research"), [(True, True), (False, True), (True, False)])
@pytest.mark.parametrize("q", ["", "huawei OR trade"])
def test_the_pieces_are_the_file_of_the_whole_selection(
    sample: Collection, fmt: str, body: bool, research: bool, q: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    mask = select(sample, Filters(q=q))
    assert 0 < mask.sum() < len(mask) or not q
    expected = whole_file(sample, mask, fmt, body=body, research=research, q=q)
    monkeypatch.setattr(export, "CHUNK_ROWS", 3)  # several chunks, the last a short one
    pieces = streamed(sample, mask, fmt, body=body, research=research, q=q)
    assert len(pieces) >= 3
    joined = b"".join(pieces)
    if fmt == "parquet":  # one row group per chunk: the same rows, not the same bytes
        assert pq.read_table(io.BytesIO(joined)).to_pylist() == pq.read_table(io.BytesIO(expected)).to_pylist()
        assert pq.ParquetFile(io.BytesIO(joined)).num_row_groups == len(pieces) - 1
    else:
        monkeypatch.setattr(export, "CHUNK_ROWS", 2000)
        assert joined == expected


def test_each_chunk_reads_only_its_own_stories(sample: Collection, monkeypatch: pytest.MonkeyPatch) -> None:
    """The text is read a chunk at a time: no read asks for more than ``CHUNK_ROWS`` stories."""
    asked: list[int] = []
    rows = Collection.rows

    def counted(self: Collection, positions: np.ndarray) -> pd.DataFrame:
        asked.append(len(positions))
        return rows(self, positions)

    monkeypatch.setattr(Collection, "rows", counted)
    monkeypatch.setattr(export, "CHUNK_ROWS", 4)
    stream = exports.pieces(
        sample, np.arange(len(sample.articles)), "csv", body=True, terms=(), labels={}, names=names_for(sample)
    )
    first = next(stream)
    assert asked == [4] and first.startswith(b"article_id,")  # nothing read beyond the first chunk yet
    list(stream)
    assert sum(asked) == len(sample.articles) and max(asked) == 4


def test_a_chunks_memberships_are_the_selections_in_their_order(sample: Collection) -> None:
    rows = sample.member_rows()
    rng = np.random.default_rng(3)
    for _ in range(20):
        chosen = np.sort(rng.choice(len(sample.articles), size=rng.integers(0, 8), replace=False))
        got = exports.chunk_memberships(sample, chosen)
        expected = sample.memberships[np.isin(rows, chosen)]
        pd.testing.assert_frame_equal(got, expected)


def one_export(sample: Collection, **changes: object) -> exports.Export:
    wanted = exports.Export(
        filters=Filters(themes=("huawei",)),
        themes_key=sample.themes_key,
        fmt="csv",
        body=True,
        research=True,
        terms=(),
        labels=tuple(sorted((t.slug, t.label) for t in sample.themes)),
        file_name="caixin-5-stories.csv",
    )
    return exports.Export(**{**{n: getattr(wanted, n) for n in wanted.__slots__}, **changes})


@pytest.fixture
def clean(sample: Collection) -> Iterator[Collection]:
    sample.derived.pop(exports._TICKETS_KEY, None)
    yield sample
    sample.derived.pop(exports._TICKETS_KEY, None)


def test_a_link_sends_the_selection_and_an_unknown_one_is_gone(clean: Collection) -> None:
    wanted = one_export(clean)
    token = exports.ticket(clean, wanted)
    assert len(token) >= 20 and exports.ticket(clean, wanted) == token  # a rerun: the same link
    assert exports.ticket(clean, one_export(clean, fmt="jsonl")) != token
    found, pieces = exports.redeem(clean, token)
    assert found == wanted
    mask = select(clean, wanted.filters)
    assert b"".join(pieces) == whole_file(clean, mask, "csv", body=True, research=True)
    with pytest.raises(exports.Gone, match="export again from the Data page"):
        exports.redeem(clean, token + "x")
    with pytest.raises(exports.Gone, match="export again from the Data page"):
        exports.redeem(None, token)  # no collection (yet) in this server


def test_links_expire_and_are_bounded(clean: Collection, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(exports, "monotonic", lambda: clock[0])
    token = exports.ticket(clean, one_export(clean))
    clock[0] += exports.TICKET_SECONDS / 2 + 1
    again = exports.ticket(clean, one_export(clean))
    assert again != token  # past half its life a page hands out a fresh link
    exports.redeem(clean, token)  # the old one still works until it expires
    clock[0] += exports.TICKET_SECONDS / 2
    with pytest.raises(exports.Gone):
        exports.redeem(clean, token)
    monkeypatch.setattr(exports, "TICKETS", 3)
    tokens = [exports.ticket(clean, one_export(clean, file_name=f"f{n}.csv")) for n in range(5)]
    assert len(clean.derived[exports._TICKETS_KEY]) == 3
    with pytest.raises(exports.Gone):
        exports.redeem(clean, tokens[0])
    exports.redeem(clean, tokens[-1])


def test_a_link_made_before_the_themes_changed_is_gone(clean: Collection) -> None:
    token = exports.ticket(clean, one_export(clean, themes_key="an older themes file"))
    with pytest.raises(exports.Gone, match="themes changed"):
        exports.redeem(clean, token)


# ------------------------------------------------------------------------------------------------ preload


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CAIXIN_DATA", str(SAMPLE))
    monkeypatch.setenv("CAIXIN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CAIXIN_UPLOADS", str(tmp_path / "uploads"))
    monkeypatch.setattr(sys, "argv", ["streamlit"])
    data_component._store.clear()
    yield
    data_component._store.clear()


def test_the_server_reads_the_data_when_it_starts(store: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIXIN_PRELOAD", "0")
    data_component.preload()
    assert data_component.collection_in_use() is None  # turned off: nothing read
    monkeypatch.setenv("CAIXIN_PRELOAD", "1")
    data_component.preload()
    collection = data_component.collection_in_use()
    assert collection is not None and len(collection.articles) == 20
    assert collection.inputs == (str(SAMPLE),)


def test_a_failed_read_at_start_leaves_no_collection(
    store: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object, **__: object) -> Collection:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(data_component, "read_collection", broken)
    data_component.preload()
    assert data_component.collection_in_use() is None  # the first visitor's run reads and shows the error
    assert "when the server started failed" in caplog.text


def test_a_visitor_during_the_read_at_start_waits_for_it_and_reads_nothing(
    store: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run of a session that arrives while the server's start reads the data shows that read's
    progress, then uses its collection: the data is read once."""
    from streamlit.testing.v1 import AppTest

    reads: list[tuple[str, ...]] = []
    real = data_component.read_collection
    release = threading.Event()

    def slow(key: tuple[str, ...], progress: object = None) -> Collection:
        reads.append(tuple(key))
        if progress is not None:
            progress(10, 100, str(SAMPLE / "page.txt"))  # type: ignore[operator]
        release.wait(30)
        return real(key)

    monkeypatch.setattr(data_component, "read_collection", slow)
    thread = threading.Thread(target=data_component.preload)  # as dashboard/app.py starts it
    thread.start()
    threading.Timer(3.0, release.set).start()  # the visitor's run starts while the read waits
    at = AppTest.from_file(str(ROOT / "dashboard" / "main.py"), default_timeout=90)
    at.run()
    thread.join(60)
    assert not at.exception
    assert len(reads) == 1  # the visitor's run did not read again
    assert data_component.collection_in_use() is not None
    assert any("20 stories" in str(m.value) for m in at.markdown)


def test_a_visitor_waiting_for_the_start_goes_on_when_it_ends(store: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """As ``dashboard/app.py`` starts: the start is begun, read on a thread, ended. A visitor's first run
    meanwhile waits for the start (``routes.wait_start``), not for the next of its looks, and uses its
    collection: the data is read once."""
    from streamlit.testing.v1 import AppTest

    from components import routes

    reads: list[tuple[str, ...]] = []
    real = data_component.read_collection
    release = threading.Event()

    def slow(key: tuple[str, ...], progress: object = None) -> Collection:
        reads.append(tuple(key))
        release.wait(30)
        return real(key)

    def start() -> None:  # dashboard/app.py's _start
        try:
            data_component.preload()
        finally:
            routes.end_start()

    monkeypatch.setattr(data_component, "read_collection", slow)
    routes.begin_start()
    thread = threading.Thread(target=start)
    thread.start()
    threading.Timer(3.0, release.set).start()
    try:
        at = AppTest.from_file(str(ROOT / "dashboard" / "main.py"), default_timeout=90)
        at.run()
    finally:
        release.set()
        thread.join(60)
    assert not routes.starting()
    assert not at.exception
    assert len(reads) == 1  # the visitor's run did not read again
    assert any("20 stories" in str(m.value) for m in at.markdown)


def test_waiting_for_the_start_ends_with_it() -> None:
    """``wait_start`` is back as soon as the start's read is over, well before its time runs out; and at
    once when no start is under way."""
    import time

    from components import routes

    routes.begin_start()
    threading.Timer(0.2, routes.end_start).start()
    began = time.monotonic()
    routes.wait_start(30)
    assert not routes.starting()
    assert time.monotonic() - began < 10  # not the 30 s given
    began = time.monotonic()
    routes.wait_start(30)
    assert time.monotonic() - began < 10


# ------------------------------------------------------------------------------------ exports at once


def test_at_most_so_many_exports_are_sent_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIXIN_EXPORTS_AT_ONCE", "2")
    assert exports.sent_now() == 0

    def pieces(fail: bool = False) -> Iterator[bytes]:
        yield b"a"
        if fail:
            raise OSError(5, "Input/output error")
        yield b"b"

    first, second = exports.sending(pieces()), exports.sending(pieces(fail=True))
    with pytest.raises(exports.Busy, match="sending 2 exports already: try again in a minute"):
        exports.sending(pieces())
    assert list(first) == [b"a", b"b"]  # used up: its place is free
    third = exports.sending(pieces())
    with pytest.raises(OSError):
        list(second)  # failed: its place is free too
    fourth = exports.sending(pieces())
    assert exports.sent_now() == 2
    del third  # a visitor who left before the first byte
    assert exports.sent_now() == 1
    del fourth
    assert exports.sent_now() == 0


@pytest.mark.parametrize(("value", "count"), [("", 2), ("5", 5), ("0", 2), ("many", 2), ("-1", 2)])
def test_exports_at_once_setting(value: str, count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIXIN_EXPORTS_AT_ONCE", value)
    assert exports.exports_at_once() == count
