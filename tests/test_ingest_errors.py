"""Any exception while reading one file becomes that file's error line; the other files are still read.

In this process (``workers=1``) and in worker processes (``workers=2`` and eight files or more): a parser
that raises, a file whose stories cannot be stored (a name that is not UTF-8) and a worker process that
dies while reading one file each fail that file alone, with a one-line message naming it.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import core.storing.ingest
from core.config import Reporters
from core.storing.frame import conform
from core.storing.ingest import Corpus, ingest

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "pages" / "000_6a6401b8027f1b55.txt"
NO_ALIASES = Reporters()
NOT_UTF8 = os.fsdecode(b"caf\xe9.txt")  # a file name with a Latin-1 byte (a surrogate in Python's str)


def make_pages(folder: Path, copies: int) -> list[Path]:
    """``copies`` pages of different stories (the sample, each copy moved to another year)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = SAMPLE.read_text(encoding="utf-8")
    paths = []
    for n in range(copies):
        path = folder / f"page_{n:02d}.txt"
        path.write_text(text.replace(", 2019 ", f", {2000 + n} "), encoding="utf-8")
        paths.append(path)
    return paths


def run(inputs: list[Any], cache: Path, workers: int) -> Corpus:
    return ingest(inputs, cache_dir=cache, reporters=NO_ALIASES, workers=workers)


def error_of(corpus: Corpus, path: Path) -> str:
    shown = os.fsencode(path).decode("utf-8", "backslashreplace")  # a name that is not UTF-8 as \xNN
    page = next(p for p in corpus.report.pages if p.source == shown)
    assert page.shape == "error" and page.error is not None
    return page.error


def assert_one_line(message: str, path: Path, *words: str) -> None:
    assert "\n" not in message and "Traceback" not in message
    assert os.fsencode(path).decode("utf-8", "backslashreplace") in message  # bytes not UTF-8 as \xNN
    message.encode("utf-8")  # printable: no lone surrogate
    for word in words:
        assert word in message


def assert_others_read(corpus: Corpus, culprit: Path, folder: Path, tmp_path: Path) -> None:
    """Every other file was read: the frame is that of the folder without the culprit."""
    assert corpus.report.errors == [error_of(corpus, culprit)]
    assert sum(p.stories for p in corpus.report.pages) == len(corpus.articles)
    rest = tmp_path / "rest"
    shutil.copytree(folder, rest, ignore=shutil.ignore_patterns(culprit.name))
    expected = run([rest], tmp_path / "cache-rest", workers=1).articles
    moved = conform(corpus.articles.assign(sources=[[s.replace(str(folder), str(rest)) for s in lst]
                                                    for lst in corpus.articles["sources"]]))
    pd.testing.assert_frame_equal(moved, expected)


# -- in this process ------------------------------------------------------------------------------------


def test_a_parser_that_raises_fails_that_file_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "in"
    paths = make_pages(folder, 3)
    real = core.storing.ingest.parse_page

    def failing(text: str, source: str = "<string>", *args: Any, **kwargs: Any) -> Any:
        if source.endswith("page_01.txt"):
            raise RuntimeError("the parser met\nsomething new")
        return real(text, source, *args, **kwargs)

    monkeypatch.setattr(core.storing.ingest, "parse_page", failing)
    corpus = run([folder], tmp_path / "cache", workers=1)
    assert corpus.failed
    assert_one_line(error_of(corpus, paths[1]), paths[1], "RuntimeError", "the parser met something new")
    assert_others_read(corpus, paths[1], folder, tmp_path)

    # the failure is not remembered: once the parser reads the file, the next ingest reads it
    monkeypatch.setattr(core.storing.ingest, "parse_page", real)
    again = run([folder], tmp_path / "cache", workers=1)
    assert not again.failed and len(again.articles) == 60
    assert again.cache_warnings == []


@pytest.mark.parametrize("content", ["latin1.txt", "furniture only"])  # with stories; with none
@pytest.mark.parametrize(("workers", "pages"), [(1, 2), (2, 10)])  # in this process; in worker processes
def test_a_name_that_is_not_utf8_fails_that_file_alone(tmp_path: Path, workers: int, pages: int, content: str) -> None:
    folder = tmp_path / "in"
    make_pages(folder, pages)
    culprit = folder / NOT_UTF8
    if content.endswith(".txt"):
        shutil.copy(PAGES / content, culprit)
    else:  # a page of no story once made the ingest fail whole (the name reached an Arrow text column)
        culprit.write_text("Home\nLatest News\n", encoding="utf-8")
    corpus = run([folder], tmp_path / "cache", workers=workers)
    assert corpus.failed
    assert_one_line(error_of(corpus, culprit), culprit, "not valid UTF-8", "rename")
    assert_others_read(corpus, culprit, folder, tmp_path)
    again = run([folder], tmp_path / "cache", workers=workers)  # the state was written and is read back
    assert again.cache_warnings == [] and again.report.errors == corpus.report.errors
    named = run([culprit, folder / "page_00.txt"], tmp_path / "cache-named", workers=workers)  # named as an input
    assert named.report.errors == [error_of(named, culprit)] and len(named.articles) == 20


# -- in worker processes --------------------------------------------------------------------------------


def _faults_in_worker(faults: dict[str, str]) -> None:
    """Runs in each worker process: ``parse_page`` raises or kills the process for the named files."""
    real = core.storing.ingest.parse_page

    def faulty(text: str, source: str = "<string>", *args: Any, **kwargs: Any) -> Any:
        fault = faults.get(Path(source).name)
        if fault == "die":
            os._exit(7)  # as a crash in C code or the out-of-memory killer would end it
        if fault == "raise":
            raise MemoryError("no memory left for this page")
        return real(text, source, *args, **kwargs)

    core.storing.ingest.parse_page = faulty


def _pool_with_faults(faults: dict[str, str]) -> type[ProcessPoolExecutor]:
    class FaultyPool(ProcessPoolExecutor):
        def __init__(self, max_workers: int | None = None, **kwargs: Any) -> None:
            super().__init__(max_workers=max_workers, initializer=_faults_in_worker, initargs=(faults,))

    return FaultyPool


@pytest.mark.parametrize("fault", ["raise", "die"])
def test_a_worker_fault_fails_that_file_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    folder = tmp_path / "in"
    paths = make_pages(folder, 12)
    culprit = paths[5]
    monkeypatch.setattr(core.storing.ingest, "ProcessPoolExecutor", _pool_with_faults({culprit.name: fault}))
    calls: list[str] = []
    real = core.storing.ingest.parse_page

    def here(text: str, source: str = "<string>", *args: Any, **kwargs: Any) -> Any:
        calls.append(Path(source).name)  # only files parsed in this process
        return real(text, source, *args, **kwargs)

    monkeypatch.setattr(core.storing.ingest, "parse_page", here)
    corpus = run([folder], tmp_path / "cache", workers=2)
    assert calls == []  # every file, also those re-read after a worker died, was read by a worker
    assert corpus.failed
    words = ["MemoryError", "no memory left"] if fault == "raise" else ["worker process", "died"]
    assert_one_line(error_of(corpus, culprit), culprit, *words)
    assert_others_read(corpus, culprit, folder, tmp_path)
    assert len(corpus.articles) == 11 * 20
