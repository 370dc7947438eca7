"""Where the data comes from and loading it once per server process, shared by all sessions.

The collection is read (parsed, through the core cache) outside the lock every session takes: that lock
only guards looking the collection up and swapping a new one in, so while one session re-reads the data
(after an upload, say) every other session keeps working on the collection it has. One read runs at a
time. A read that fails for any reason is one error on the page, never Streamlit's error page: the
collection read before stays in use, and a page that breaks the reader is left out and reported.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.routes import starting, wait_start
from components.switches import switched_on
from components.warm import ready
from core.analysing.highlight import markdown_code
from core.cli import megabytes
from core.config import PROJECT_ROOT
from core.errors import CaixinError
from core.parsing.report import PageReport
from core.reading.files import expand_inputs, inputs_fingerprint
from core.storing.cache import default_cache_dir
from core.storing.collection import Collection, open_collection
from core.storing.ingest import Progress, ingest

DEFAULT_DATA = PROJECT_ROOT / "data" / "pages"
#: ``st.session_state`` key: a re-read was asked for (the Re-read button, an upload); the next run does it.
REREAD_KEY = "_reread"
log = logging.getLogger(__name__)


def check_seconds() -> float:
    """How often a run may look for data files changed on disk (``CAIXIN_CHECK_SECONDS``, default 20)."""
    try:
        return float(os.environ.get("CAIXIN_CHECK_SECONDS", "20"))
    except ValueError:
        return 20.0


EXPORT_MAX_MB = 256.0  # the default of CAIXIN_EXPORT_MAX_MB


def export_limit() -> int | None:
    """The largest export (estimated bytes) the Data page builds in the session, where the server has no
    export route to stream it (``components.exports``): ``CAIXIN_EXPORT_MAX_MB`` (default 256; 0 for no
    limit). Streamlit holds such a download whole in the server's memory while it is built and sent,
    so one export of a million stories with their text (gigabytes) would take the memory every visitor's
    session shares. A value that is not a number is logged and the default used."""
    value = os.environ.get("CAIXIN_EXPORT_MAX_MB", "").strip()
    try:
        megabytes = float(value) if value else EXPORT_MAX_MB
    except ValueError:
        log.warning("CAIXIN_EXPORT_MAX_MB=%r is not a number of megabytes; using %g", value, EXPORT_MAX_MB)
        megabytes = EXPORT_MAX_MB
    return int(megabytes * 1_000_000) if megabytes > 0 else None


def data_paths() -> tuple[str, ...]:
    """``--data PATH`` after ``--`` on the streamlit command line, else ``$CAIXIN_DATA``, else data/pages."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--data", action="append")
    known, _ = parser.parse_known_args(sys.argv[1:])
    if known.data:
        return tuple(p for value in known.data for p in value.split(os.pathsep) if p)
    env = os.environ.get("CAIXIN_DATA", "")
    if env.strip():
        return tuple(p for p in env.split(os.pathsep) if p)
    return (str(DEFAULT_DATA),)


def read_only() -> bool:
    """Hosted mode: ``CAIXIN_READONLY=1`` turns off uploads and anything that changes the collection."""
    return os.environ.get("CAIXIN_READONLY", "").strip().lower() in ("1", "true", "yes", "on")


def upload_dir() -> Path:
    """Where uploaded pages are kept (and read from, beside the configured data)."""
    return Path(os.environ.get("CAIXIN_UPLOADS") or PROJECT_ROOT / "data" / "uploads")


@dataclass(frozen=True, slots=True)
class Failure:
    """The last read that failed: for which inputs, what they were then, and the one-line reason."""

    key: tuple[str, ...]
    fingerprint: dict[str, tuple[int, int]]
    message: str


class _Store:
    """The collection in use, shared by every session of this server process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # held only to look up and swap; never while reading data
        self.reading = threading.Lock()  # one read of the data at a time
        self.themes = threading.Lock()  # one look at the themes file at a time
        self.collection: Collection | None = None
        self.failure: Failure | None = None
        self.checked = time.monotonic()
        #: how far the read at the server's start is (done, total, file), for a visitor waiting for it
        self.progress: tuple[int, int, str] | None = None


@st.cache_resource(show_spinner=False)
def _store() -> _Store:
    return _Store()


def inputs() -> tuple[str, ...]:
    """The configured data plus the upload folder when it holds pages."""
    paths = data_paths()
    uploads = upload_dir()
    try:
        holds_pages = not read_only() and uploads.is_dir() and any(uploads.iterdir())
    except OSError:  # an upload folder that cannot be listed is left out; reading it would fail too
        holds_pages = False
    return (*paths, str(uploads)) if holds_pages else paths


def one_line(error: BaseException) -> str:
    """An exception as one line: the library's own errors as they are, others with their type."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, OSError) and error.strerror:
        text = error.strerror + (f": {error.filename}" if error.filename else "")
    if not isinstance(error, CaixinError):
        text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return text if len(text) <= 300 else text[:299] + "…"


def ask_reread() -> None:
    """Have the next run read the data files again (a button's callback)."""
    st.session_state[REREAD_KEY] = True


def load_collection(force: bool = False) -> Collection | None:
    """The collection for the configured inputs; parsed through the core cache on first use, with
    progress shown, and held once per server process.

    ``force`` reads the data again. When reading fails the error is shown (one line) and the collection
    read before is returned, or None when there is none.
    """
    key = inputs()
    store = _store()
    # the progress slot exists on every run, so the page keeps the same layout once the data is loaded
    placeholder = st.empty()
    now = time.monotonic()
    with store.lock:
        current, failure = store.collection, store.failure
        due = now - store.checked >= check_seconds()
        if due and not force:
            store.checked = now  # this session looks; the others carry on until the next interval
    if not force:
        failed = failure if failure is not None and failure.key == key else None
        if current is not None and current.inputs == key:
            with store.themes:
                try:
                    current.refresh_themes()
                except Exception:  # noqa: BLE001 - the themes matched before stay in use
                    log.exception("matching the themes again failed")
            if not due:
                _show_failure(failed, current)
                return current
            now_seen = inputs_fingerprint(key)
            if now_seen == current.fingerprint or (failed and now_seen == failed.fingerprint):
                _show_failure(failed, current)  # nothing changed since the last read (or failed read)
                return current
            if store.reading.locked():
                return current  # another session is reading the changed files; it swaps them in
            st.toast("The data files changed on disk: reading them again.", icon=":material/sync:")
        elif failed is not None:
            # the read of these inputs failed before: try again only once the files changed
            if not due or inputs_fingerprint(key) == failed.fingerprint:
                _show_failure(failed, current)
                return current
        elif current is not None and store.reading.locked():
            return current  # the inputs changed (an upload): the session reading them swaps them in
    return _read(store, key, current, placeholder)


def _read(
    store: _Store, key: tuple[str, ...], current: Collection | None, placeholder: DeltaGenerator
) -> Collection | None:
    """Read the data (one session at a time), then swap the new collection in."""
    at_start = current is None and starting()  # the first read of this process is under way at its start
    if store.reading.locked() or starting():  # the server's start, or another visitor, is reading
        with placeholder.status("Reading saved pages…", expanded=True) as status:
            bar = st.progress(0.0, text="The server is reading the saved pages…")
            while store.reading.locked() or starting():
                if store.progress is not None:
                    _show_progress(status, bar, *store.progress)
                if starting():
                    wait_start(0.25)  # the start's read: on at once when it is over
                else:
                    time.sleep(0.25)  # another visitor's read
    with store.reading:
        with store.lock:
            latest = store.collection
        if (
            latest is not None
            and latest is not current
            and latest.inputs == key
            # the start's read is this process's first: it is as fresh as a read now (listing 50,000 files
            # again costs 0.5 s); after another visitor's read the files may have changed since (an upload)
            and (at_start or latest.fingerprint == inputs_fingerprint(key))
        ):
            placeholder.empty()
            return latest  # another session (or the server's start) read the same files meanwhile
        try:
            with placeholder.status("Reading saved pages…", expanded=True) as status:
                bar = st.progress(0.0, text="Checking the cache…")
                collection = read_collection(key, lambda *at: _show_progress(status, bar, *at), current)
                status.update(label="Collection loaded", state="complete")
        except Exception as error:  # noqa: BLE001 - whatever the data does, the dashboard keeps running
            log.exception("reading %s failed", key)
            failure = Failure(key, inputs_fingerprint(key), one_line(error))
            with store.lock:
                store.failure = failure
                store.checked = time.monotonic()
            placeholder.empty()
            _show_failure(failure, current)
            return current
        placeholder.empty()
        with store.lock:
            store.collection = collection
            store.failure = None
            store.checked = time.monotonic()
        return collection


def _show_progress(status: Any, bar: Any, done: int, total: int, path: str) -> None:
    """How far a read is, on the page: megabytes read, then the stage after reading."""
    if total and done >= total:  # the stage after reading takes seconds on a big archive
        status.update(label="Building the search index and matching the themes…")
        bar.progress(1.0, text=f"Read {megabytes(total)} MB of saved pages")
        return
    amount = f"{megabytes(done)} of {megabytes(total)} MB"
    bar.progress(done / total if total else 1.0, text=f"Reading saved pages: {amount} · {Path(path).name}")


def collection_in_use() -> Collection | None:
    """The collection the pages show now (None before the first read), from any thread."""
    store = _store()
    with store.lock:
        return store.collection


def preload_on() -> bool:
    """``CAIXIN_PRELOAD`` (default on): read the data when the server starts (``preload``)."""
    return switched_on("CAIXIN_PRELOAD")


def preload() -> None:
    """Read the collection now, before any visitor asks for it (``dashboard/app.py`` calls this on a thread
    when the server starts); nothing when ``CAIXIN_PRELOAD`` is off. A visitor who arrives meanwhile waits
    for this read, its progress shown, instead of starting another; one that fails is logged, and the first
    visitor's run reads again and shows the error."""
    if not preload_on():
        return
    store = _store()
    key = inputs()
    with store.reading:
        with store.lock:
            if store.collection is not None:
                return
        started = time.monotonic()

        def progress(done: int, total: int, path: str) -> None:  # for a visitor who arrives meanwhile
            store.progress = (done, total, path)

        try:
            collection = read_collection(key, progress)
        except Exception:  # noqa: BLE001 - a visitor's run reads again and shows the error on the page
            log.exception("reading %s when the server started failed", key)
            return
        finally:
            store.progress = None
        with store.lock:
            if store.collection is None:
                store.collection = collection
                store.failure = None
                store.checked = time.monotonic()
        log.info("read %s stories at start in %.1f s", f"{len(collection.articles):,}", time.monotonic() - started)


def read_collection(
    key: Sequence[str], progress: Progress | None = None, earlier: Collection | None = None
) -> Collection:
    """Open the collection of ``key`` and make it ready for many sessions. Its ``fingerprint`` is that of
    the files as the ingest found them (the inputs are listed once). ``earlier``: the collection shown
    until now, whose stories the search index's update may need (a replica that made the new generation
    first leaves this one no old text of the stories that changed).

    When reading fails, each file is tried on its own: the ones that fail are left out, reported in the
    parse report as unreadable, and the rest are read. When no single file fails, the error is raised.
    """
    try:
        collection = open_collection(list(key), progress=progress, early_threads=True, earlier=earlier)
    except Exception as error:  # noqa: BLE001 - find the file that breaks the reader, if it is one
        log.exception("reading %s failed; trying each file on its own", key)
        files, _ = expand_inputs(key)
        broken: dict[str, str] = {}
        for path in files:
            try:
                ingest([path], use_cache=False, workers=1)
            except Exception as file_error:  # noqa: BLE001
                broken[str(path)] = one_line(file_error)
        if not broken:
            raise error from None
        rest = [str(p) for p in files if str(p) not in broken]
        collection = open_collection(rest, progress=progress, early_threads=True, earlier=earlier)
        collection.inputs = tuple(key)
        collection.fingerprint = inputs_fingerprint(key)
        collection.corpus.report.pages.extend(
            PageReport(source=path, shape="error", error=f"{path}: cannot be read ({reason}); left out")
            for path, reason in broken.items()
        )
    ready(collection)
    return collection


def _show_failure(failure: Failure | None, current: Collection | None) -> None:
    """A failed read as one error line (paths as the data page shows them)."""
    if failure is None:
        return
    from components.paths import PathNames

    shown = PathNames(failure.key, hosted=read_only(), hidden=[default_cache_dir()]).text(failure.message)
    message = markdown_code(shown)  # the text of an exception is never Markdown
    if current is None:
        st.error(f"The saved pages could not be read: {message}", icon=":material/error:")
    else:
        st.error(
            f"The saved pages could not be read again: {message}. The collection read before is shown.",
            icon=":material/error:",
        )
