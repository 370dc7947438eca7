"""The dashboard under bad luck, through Streamlit's AppTest: uploads that are refused, data that cannot be
read, a re-read while other sessions keep working, and hosted mode showing no server path.

Each test runs ``dashboard/main.py`` (the script ``dashboard/app.py`` serves) on a copy of the sample (``data/pages``, 20 stories) in its own
temporary folder, with its own cache and upload folder.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Dataframe

from core.storing.collection import open_collection

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "main.py"
SAMPLE = ROOT / "data" / "pages"
SAMPLE_FILE = "000_6a6401b8027f1b55.txt"
PAGE = (SAMPLE / SAMPLE_FILE).read_bytes()
OTHER_PAGE = (ROOT / "tests" / "fixtures" / "pages" / "agency_and_photos.txt").read_bytes()  # 8 stories
TOTAL = 20
PAGES = ["overview", "timeline", "reporters", "themes", "reader", "data"]
if str(ROOT / "dashboard") not in sys.path:
    sys.path.insert(0, str(ROOT / "dashboard"))

from test_dashboard_apptest import open_page  # noqa: E402  # one way to open a page in a fresh session

import components.data as data_component  # noqa: E402  # the module the app imports (same sys.path)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the sample in a distinctive folder, a throw-away cache and upload folder, writable
    mode, and no collection left over from another test in this process."""
    folder = tmp_path / "server-only-path" / "pages"
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE / SAMPLE_FILE, folder / SAMPLE_FILE)
    monkeypatch.setenv("CAIXIN_DATA", str(folder))
    monkeypatch.setenv("CAIXIN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CAIXIN_UPLOADS", str(tmp_path / "uploads"))
    monkeypatch.delenv("CAIXIN_READONLY", raising=False)
    data_component._store.clear()
    yield folder
    data_component._store.clear()


def header_count(at: AppTest) -> int | None:
    for element in at.markdown:
        value = str(element.value)
        if value.startswith("**") and (" stories" in value or " story" in value):
            return int(value[2:].split(" ")[0].replace(",", ""))
    return None


def values(elements: Any) -> list[str]:
    return [str(e.value) for e in elements]


def button(at: AppTest, label: str) -> Any:
    return next(b for b in at.button if b.label == label)


def upload(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    """Put ``files`` in the data page's uploader and press **Add to the collection**."""
    at.file_uploader[0].set_value([(name, data, "text/plain") for name, data in files])
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    button(at, "Add to the collection").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


# ------------------------------------------------------------------------------------------ uploads


def test_a_mixed_upload_names_the_added_and_the_refused_files(data_dir: Path) -> None:
    at = upload(
        open_page("data"),
        [("photos.txt", OTHER_PAGE), ("broken.txt", b"\x89PNG\x00\x00"), ("blank.txt", b" \n")],
    )
    successes = values(at.success)
    assert len(successes) == 1
    assert "photos.txt" in successes[0]
    assert "broken.txt" not in successes[0] and "blank.txt" not in successes[0]
    errors = values(at.error)
    broken = [e for e in errors if "broken.txt" in e]
    blank = [e for e in errors if "blank.txt" in e]
    assert len(broken) == 1 and "binary file" in broken[0]
    assert len(blank) == 1 and "empty" in blank[0]
    assert not any("photos.txt" in e for e in errors)
    # the page after the upload counts the added stories
    assert header_count(at) == TOTAL + 8
    assert sorted(p.name for p in (data_dir.parent.parent / "uploads").iterdir()) == ["photos.txt"]


def test_when_every_file_is_refused_nothing_claims_success(data_dir: Path) -> None:
    at = upload(open_page("data"), [("broken.txt", b"\x00\x01"), ("blank.txt", b"")])
    assert not at.success, values(at.success)
    errors = values(at.error)
    assert any("broken.txt" in e for e in errors) and any("blank.txt" in e for e in errors)
    assert header_count(at) == TOTAL


def test_markdown_and_long_names_are_accepted_and_read(data_dir: Path) -> None:
    long_name = "新闻报道" * 22 + "新闻.md"  # 274 bytes in UTF-8
    at = upload(open_page("data"), [(long_name, OTHER_PAGE)])
    assert not at.error, values(at.error)
    assert len(at.success) == 1
    assert header_count(at) == TOTAL + 8
    stored = list((data_dir.parent.parent / "uploads").iterdir())
    assert len(stored) == 1 and stored[0].suffix == ".md"


def test_the_uploader_is_emptied_after_adding(data_dir: Path) -> None:
    at = upload(open_page("data"), [("photos.txt", OTHER_PAGE)])
    assert at.file_uploader[0].value in (None, [])


def test_an_upload_whose_re_read_fails_says_so_and_keeps_the_collection(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("data")
    monkeypatch.setattr(data_component, "open_collection", _boom)
    at = upload(at, [("photos.txt", OTHER_PAGE)])
    assert header_count(at) == TOTAL
    assert any("Out of bounds nanosecond timestamp" in e for e in values(at.error))
    (success,) = values(at.success)
    assert "photos.txt" in success and "once it can be read again" in success


# ------------------------------------------------------------------------------------------ data loading


def _boom(*args: object, **kwargs: object) -> object:
    raise ValueError("Out of bounds nanosecond timestamp: 9999-01-01 00:00:00\nsecond line of detail")


def test_a_collection_that_cannot_be_loaded_is_one_error_not_a_traceback(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data_component, "open_collection", _boom)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    errors = values(at.error)
    assert len(errors) == 1
    assert "Out of bounds nanosecond timestamp" in errors[0]
    assert "\n" not in errors[0] and "second line" not in errors[0] and "Traceback" not in errors[0]


def test_a_failed_re_read_keeps_the_collection_read_before(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("data")
    assert header_count(at) == TOTAL
    monkeypatch.setattr(data_component, "open_collection", _boom)
    button(at, "Re-read the data files").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert header_count(at) == TOTAL
    assert any("Out of bounds nanosecond timestamp" in e for e in values(at.error))
    # another page keeps working on the same collection
    at.switch_page("views/reader.py")
    at.run()
    assert not at.exception
    assert header_count(at) == TOTAL


def test_a_file_that_breaks_the_reader_is_reported_and_left_out(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (data_dir / "bad.txt").write_bytes(OTHER_PAGE)
    import core.storing.ingest

    real_parse = core.storing.ingest.parse_page

    def parse_page(text: str, source: str, *args: object, **kwargs: object) -> object:
        if Path(source).name == "bad.txt":
            raise ValueError("Out of bounds nanosecond timestamp: 9999-01-01 00:00:00")
        return real_parse(text, source, *args, **kwargs)

    monkeypatch.setattr(core.storing.ingest, "parse_page", parse_page)
    at = open_page("data")
    assert header_count(at) == TOTAL  # the sample is read, the bad page left out
    files = next(d.value for d in at.dataframe if "shape" in d.value.columns)
    bad = files[files["file"] == "bad.txt"]
    assert len(bad) == 1, files
    assert "Out of bounds nanosecond timestamp" in bad["error"].iloc[0]
    at.switch_page("views/overview.py")
    at.run()
    assert not at.exception
    assert "1 unreadable files" in " ".join(values(at.caption))


def test_other_sessions_do_not_wait_for_a_re_read(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A re-read (after an upload) parses outside the lock every session takes: a session that has a
    collection keeps it while the new one is read, and gets the new one once it is in."""
    first = data_component.load_collection()
    assert first is not None and len(first.articles) == TOTAL
    entered, release = threading.Event(), threading.Event()
    real_open = data_component.open_collection

    def slow_open(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(timeout=10)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(data_component, "open_collection", slow_open)
    results: list[Any] = []
    reader = threading.Thread(target=lambda: results.append(data_component.load_collection(force=True)))
    reader.start()
    try:
        assert entered.wait(timeout=30), "the re-read did not start"
        started = time.monotonic()
        during = data_component.load_collection()
        waited = time.monotonic() - started
    finally:
        release.set()
        reader.join(timeout=60)
    assert waited < 2, f"a session waited {waited:.1f} s for another session's re-read"
    assert during is first
    assert results and results[0] is not first
    assert data_component.load_collection() is results[0]


# ------------------------------------------------------------------------------------------ hosted mode


def shown_text(at: AppTest) -> str:
    """Everything the app sent for the page: every element's message (widget ids and keys included) and
    every table's cells."""
    out: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        if isinstance(node, Dataframe):
            out.append(node.value.to_csv())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)


@pytest.fixture(scope="module")
def an_article() -> str:
    """The id of a story of the sample (ids are content hashes: the same in every copy)."""
    collection = open_collection([SAMPLE], use_cache=False)
    return str(collection.articles["article_id"].iloc[0])


@pytest.mark.parametrize("page", PAGES)
def test_hosted_pages_show_no_server_path(
    page: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch, an_article: str
) -> None:
    monkeypatch.setenv("CAIXIN_READONLY", "1")
    at = open_page(page, {"article": an_article} if page == "reader" else None)
    for toggle in at.toggle:  # the reader's raw source lines
        toggle.set_value(True)
    at.run()
    assert not at.exception
    text = shown_text(at)
    tmp = str(data_dir.parent.parent)
    assert tmp not in text
    assert str(ROOT) not in text
    if page == "reader":
        assert f"{SAMPLE_FILE}, lines " in "\n".join(values(at.text))
        assert at.code, "the raw lines should be shown"
    if page == "data":
        files = next(d.value for d in at.dataframe if "shape" in d.value.columns)
        assert files["file"].tolist() == [SAMPLE_FILE]
        assert any("pages" in c and "Data read from" in c for c in values(at.caption))


def test_hosted_errors_and_warnings_show_no_server_path(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIXIN_READONLY", "1")
    (data_dir / "latin1.txt").write_bytes(
        (ROOT / "tests" / "fixtures" / "pages" / "latin1.txt").read_bytes()
    )  # a warning naming the file
    (data_dir / "binary.txt").write_bytes(b"\x00\x01binary")  # an unreadable file

    def failing(*args: object, **kwargs: object) -> object:
        raise OSError(28, "No space left on device", str(data_dir / "x" / "y.txt"))

    at = open_page("data")
    text = shown_text(at)
    assert str(data_dir.parent.parent) not in text
    assert "latin1.txt" in text and "binary.txt" in text
    monkeypatch.setattr(data_component, "open_collection", failing)
    data_component._store.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("No space left" in e for e in values(at.error))
    assert str(data_dir.parent.parent) not in shown_text(at)


def test_exports_name_sources_relative_to_the_data_folder(data_dir: Path) -> None:
    from components.paths import names_for
    from core.analysing import export

    collection = data_component.load_collection()
    assert collection is not None
    frame = names_for(collection).sources(collection.articles)
    csv = export.to_csv(frame)
    assert str(data_dir) not in csv
    assert f",{SAMPLE_FILE}:9-31," in csv
    records = [json.loads(line) for line in export.to_jsonl(frame).splitlines()]
    assert records[0]["sources"] == [{"file": SAMPLE_FILE, "first_line": 9, "last_line": 31}]
    assert str(data_dir) not in export.to_json(frame)
    assert str(data_dir).encode() not in export.to_parquet(frame)


# ------------------------------------------------------------------------------------------ path names


def test_path_names_relative_to_one_or_several_data_folders(tmp_path: Path) -> None:
    from components.paths import PathNames

    pages, uploads, single = tmp_path / "srv" / "pages", tmp_path / "var" / "uploads", tmp_path / "one.txt"
    (pages / "2019").mkdir(parents=True)
    uploads.mkdir(parents=True)
    single.write_text("x")
    one = PathNames([str(pages)], hosted=True)
    assert one.file(str(pages / "2019" / "live.txt")) == "2019/live.txt"
    assert one.folders() == ["pages"]
    several = PathNames([str(pages), str(uploads), str(single)], hosted=False)
    assert several.file(str(pages / "a.txt")) == "pages/a.txt"
    assert several.file(str(uploads / "b.md")) == "uploads/b.md"
    assert several.file(str(single)) == "one.txt"
    assert several.file("/elsewhere/c.txt") == "c.txt"
    assert several.folders() == [str(pages), str(uploads), str(single)]  # run locally: as configured
    nested = PathNames([str(pages), str(pages / "2019")], hosted=True)
    assert nested.file(str(pages / "2019" / "x.txt")) == "2019/x.txt"
    assert nested.file(str(pages / "y.txt")) == "pages/y.txt"
    pattern = PathNames([str(pages / "**" / "*.txt")], hosted=True)
    assert pattern.file(str(pages / "2019" / "z.txt")) == "2019/z.txt"


def test_path_names_clear_messages_in_hosted_mode(tmp_path: Path) -> None:
    from components.paths import PathNames

    pages, cache = tmp_path / "pages", tmp_path / "cache"
    hosted = PathNames([str(pages)], hosted=True, hidden=[cache])
    assert hosted.text(f"{pages}/a.txt:3: bytes that are not UTF-8") == "a.txt:3: bytes that are not UTF-8"
    assert hosted.text(f"{pages}: folder holds no page files") == "pages: folder holds no page files"
    assert hosted.text(f"{cache}/ab12: cache not written") == "the cache/ab12: cache not written"
    assert hosted.text(f"{ROOT}/data/themes.toml:4: bad key") == "data/themes.toml:4: bad key"
    assert hosted.text("No space left on device: /var/lib/other/file.txt") == (
        "No space left on device: file.txt"
    )
    assert hosted.text("see https://example.com/a/b and and/or 1/2") == (
        "see https://example.com/a/b and and/or 1/2"
    )
    local = PathNames([str(pages)], hosted=False, hidden=[cache])
    assert local.text(f"{pages}/a.txt:3: warning") == "a.txt:3: warning"
    assert local.text(f"{cache}/ab12: cache not written") == f"{cache}/ab12: cache not written"


@pytest.mark.parametrize("page", ["overview", "timeline", "reporters", "themes"])
def test_a_collection_of_no_story_says_where_to_add_pages(data_dir: Path, page: str) -> None:
    (data_dir / SAMPLE_FILE).write_text("Home\nLatest News\n", encoding="utf-8")  # a page of no story
    at = open_page(page)
    assert not at.exception, [e.message for e in at.exception]
    assert header_count(at) == 0
    assert any("add saved pages on the Data page" in text for text in values(at.info))
    assert not any("No story matches all the filters" in text for text in values(at.markdown))
