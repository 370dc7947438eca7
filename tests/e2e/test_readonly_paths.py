"""Hosted mode in a real browser: no page shows (or sends) an absolute server path.

A server runs with ``CAIXIN_READONLY=1`` on a copy of the sample in a temporary folder with a distinctive
absolute path, beside a page that gives a warning and a binary file that cannot be read (so the data
page has paths in its warnings and errors to hide). Every page is opened, its expanders and the reader's
raw source lines too; neither the page text, nor its HTML, nor anything the server sent over the
WebSocket may hold the data folder or the cache folder, and neither the text nor the HTML the project
folder (Streamlit's own session message names the script, ``dashboard/main.py``, with its path: that is
the framework's, not the data's). Sources are shown relative to the data folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.storing.collection import open_collection

from .conftest import (
    ROOT,
    Server,
    assert_healthy,
    open_expander,
    open_view,
    settle,
    start_server,
    stop_server,
    warm_up,
)

pytestmark = pytest.mark.e2e

SAMPLE_FILE = "000_6a6401b8027f1b55.txt"
PAGES = ["/", "/timeline", "/reporters", "/themes", "/data"]


@pytest.fixture(scope="module")
def hosted_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("server-only-secret-path") / "pages"
    folder.mkdir()
    (folder / SAMPLE_FILE).write_bytes((ROOT / "data" / "pages" / SAMPLE_FILE).read_bytes())
    (folder / "latin1.txt").write_bytes((ROOT / "tests" / "fixtures" / "pages" / "latin1.txt").read_bytes())
    (folder / "binary.txt").write_bytes(b"\x00\x01 not a page")
    return folder


@pytest.fixture(scope="module")
def hosted_server(
    tmp_path_factory: pytest.TempPathFactory, browser_context: Any, hosted_data: Path
) -> Iterator[Server]:
    running, process = start_server(
        tmp_path_factory.mktemp("hosted-server"), hosted_data, {"CAIXIN_READONLY": "1"}
    )
    try:
        warm_up(browser_context, running)
        yield running
    finally:
        stop_server(running, process)


@pytest.fixture(scope="module")
def article_id(hosted_data: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    collection = open_collection([hosted_data], cache_dir=tmp_path_factory.mktemp("hosted-oracle"))
    frame = collection.articles
    return str(frame.loc[frame["sources"].map(lambda s: SAMPLE_FILE in s[0]), "article_id"].iloc[0])


@pytest.fixture()
def frames(page: Any) -> list[bytes]:
    """Everything the server sends the tab over its WebSocket (Streamlit's protobuf messages)."""
    received: list[bytes] = []

    def on_socket(socket: Any) -> None:
        socket.on(
            "framereceived",
            lambda payload: received.append(payload if isinstance(payload, bytes) else payload.encode()),
        )

    page.on("websocket", on_socket)
    return received


def data_paths(server: Server) -> list[str]:
    """The server's data paths: the data folder (and the temporary folder it is in) and the cache."""
    cache = server.log.parent / "cache"
    assert cache.is_dir(), "the server should have written its cache"
    return [str(server.data.parent), str(server.data), str(cache), str(server.log.parent)]


def assert_no_server_path(tab: Any, server: Server, frames: list[bytes]) -> None:
    text = tab.inner_text("body")
    html = tab.content()
    sent = b"".join(frames)
    assert sent, "no WebSocket message was seen"
    for secret in [*data_paths(server), str(ROOT)]:
        assert secret not in text, f"{secret} shown on {tab.url}"
        assert secret not in html, f"{secret} in the HTML of {tab.url}"
    for secret in data_paths(server):
        assert secret.encode() not in sent, f"{secret} sent to the browser on {tab.url}"
    assert "/tmp/" not in text and "/tmp/" not in html


def open_expanders(tab: Any) -> None:
    """Open every expander of the main area, so its content is drawn and shown."""
    expanders = tab.locator('[data-testid="stMain"] [data-testid="stExpander"]')
    for index in range(expanders.count()):
        open_expander(expanders.nth(index))
    settle(tab)


@pytest.mark.parametrize("path", PAGES)
def test_hosted_page_shows_no_server_path(
    page: Any, hosted_server: Server, frames: list[bytes], path: str
) -> None:
    open_view(page, hosted_server, path)
    open_expanders(page)
    assert_healthy(page)
    assert_no_server_path(page, hosted_server, frames)
    if path == "/data":
        main = page.inner_text('[data-testid="stMain"]')
        assert "Data read from: pages" in main
        assert "uploads and changes to the collection are turned off" in main
        assert "binary.txt" in page.content()  # the unreadable file is listed (by its name)


def test_hosted_reader_names_sources_relative_to_the_data_folder(
    page: Any, hosted_server: Server, frames: list[bytes], article_id: str
) -> None:
    open_view(page, hosted_server, f"/reader?article={article_id}")
    open_expander(page.get_by_test_id("stExpander").filter(has_text="Source lines"))
    page.get_by_text("Show the raw lines").first.click()
    page.locator('[data-testid="stMain"] [data-testid="stCode"]').first.wait_for()
    settle(page)
    assert_healthy(page)
    main = page.inner_text('[data-testid="stMain"]')
    assert f"{SAMPLE_FILE}, lines " in main
    assert_no_server_path(page, hosted_server, frames)
