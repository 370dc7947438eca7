"""Where the data comes from and loading it once per server process, shared by all sessions."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import streamlit as st

from core.cli import megabytes
from core.collection import Collection, open_collection
from core.config import PROJECT_ROOT

DEFAULT_DATA = PROJECT_ROOT / "data" / "pages"


def check_seconds() -> float:
    """How often a run may look for data files changed on disk (``CAIXIN_CHECK_SECONDS``, default 20)."""
    try:
        return float(os.environ.get("CAIXIN_CHECK_SECONDS", "20"))
    except ValueError:
        return 20.0


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


class _Store:
    """Collections by input paths, shared by every session of this server process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.collections: dict[tuple[str, ...], Collection] = {}
        self.checked = time.monotonic()


@st.cache_resource(show_spinner=False)
def _store() -> _Store:
    return _Store()


def inputs() -> tuple[str, ...]:
    """The configured data plus the upload folder when it holds pages."""
    paths = data_paths()
    uploads = upload_dir()
    if not read_only() and uploads.is_dir() and any(uploads.iterdir()):
        paths = (*paths, str(uploads))
    return paths


def load_collection(force: bool = False) -> Collection:
    """The collection for the configured inputs; parsed through the core cache on first use, with
    progress shown, and held once per server process."""
    key = inputs()
    store = _store()
    # the progress slot exists on every run, so the page keeps the same layout once the data is loaded
    placeholder = st.empty()
    with store.lock:
        collection = store.collections.get(key)
        if collection is not None and not force:
            collection.refresh_themes()
            now = time.monotonic()
            if now - store.checked < check_seconds():
                return collection
            store.checked = now
            if not collection.inputs_changed():
                return collection
            st.toast("The data files changed on disk: reading them again.", icon=":material/sync:")
        with placeholder.status("Reading saved pages…", expanded=True) as status:
            bar = st.progress(0.0, text="Checking the cache…")

            def progress(done: int, total: int, path: str) -> None:
                amount = f"{megabytes(done)} of {megabytes(total)} MB"
                bar.progress(done / total if total else 1.0, text=f"{amount} · {Path(path).name}")

            collection = open_collection(list(key), progress=progress)
            status.update(label="Collection loaded", state="complete")
        placeholder.empty()
        store.collections = {key: collection}
        return collection
