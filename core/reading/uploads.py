"""Pages uploaded through the dashboard: checked, reported on and stored under a safe name.

A stored name is the upload's own file name without folders or unsafe characters, with a page suffix the
folder scan reads (``core.reading.files.PAGE_SUFFIXES``; ``.txt`` is added otherwise) and at most
``MAX_NAME_BYTES`` bytes in UTF-8, cut on a character boundary before the suffix. Every failure (an
undecodable page, a file-system error) is a one-line ``InputError`` naming the upload, never the folder.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.errors import InputError
from core.parsing import parse_page
from core.parsing.report import PageReport
from core.reading.files import PAGE_SUFFIXES, decode_bytes
from core.storing.cache import atomic_write_bytes

_UNSAFE = re.compile(r"[^\w.() -]+")
#: Longest stored name in UTF-8 bytes. File systems allow 255; the atomic write's temporary file adds
#: about 15 bytes to the name, and a second upload of the same name 9 more for its content hash.
MAX_NAME_BYTES = 200
_HASH_CHARS = 8


def _fit(stem: str, suffix: str, limit: int = MAX_NAME_BYTES) -> str:
    """``stem + suffix`` cut to ``limit`` UTF-8 bytes; only the stem is cut, on a character boundary."""
    room = limit - len(suffix.encode("utf-8"))
    encoded = stem.encode("utf-8")
    if len(encoded) > room:
        stem = encoded[:room].decode("utf-8", errors="ignore")  # a split character is dropped whole
    return stem + suffix


def _split(name: str) -> tuple[str, str]:
    """A cleaned name as (stem, page suffix); a name without a page suffix keeps all of it as its stem."""
    suffix = Path(name).suffix
    if suffix.lower() in PAGE_SUFFIXES and len(suffix) < len(name):
        return name[: -len(suffix)], suffix
    return name, ".txt"


def safe_name(name: str) -> str:
    """The file's own name with no folders and no characters that could leave the upload folder, with a
    page suffix, at most ``MAX_NAME_BYTES`` bytes in UTF-8."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip(" .") or "page.txt"
    stem, suffix = _split(cleaned)
    return _fit(stem, suffix)


def _saving_error(name: str, error: OSError) -> InputError:
    """A file-system error as a one-line message naming the upload (not the server's folder)."""
    if isinstance(error, IsADirectoryError):
        reason = "a folder of that name is in the way"
    elif isinstance(error, NotADirectoryError | FileExistsError):
        reason = "the upload folder is not a folder"
    elif isinstance(error, PermissionError):
        reason = "permission denied"
    else:
        reason = error.strerror or (os.strerror(error.errno) if error.errno else type(error).__name__)
    return InputError(name, f"cannot be saved ({reason}); nothing was added")


def check_upload(name: str, data: bytes) -> PageReport:
    """Decode and parse an uploaded page; its parse report. ``InputError`` for a binary, undecodable or
    empty upload."""
    text, warnings = decode_bytes(data, name)
    if not text.strip():
        raise InputError(name, "empty file, nothing to add")
    report = parse_page(text, name).report
    report.warnings[:0] = warnings
    return report


def store_upload(name: str, data: bytes, folder: Path) -> tuple[Path, bool]:
    """Store checked bytes in ``folder`` under ``safe_name(name)``; returns the path and whether a file was
    written (False: the same bytes were there already).

    A different file with the same name is kept beside it under a name with a content hash. Any
    file-system error is an ``InputError`` naming the upload; nothing is left behind then.
    """
    target = folder / safe_name(name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if target.exists() and not target.is_dir():
            if target.read_bytes() == data:
                return target, False
            stem, suffix = _split(target.name)
            digest = hashlib.sha256(data).hexdigest()[:_HASH_CHARS]
            target = folder / (_fit(stem, f"-{digest}{suffix}"))
            if target.is_file() and target.read_bytes() == data:
                return target, False
        atomic_write_bytes(target, data)
    except OSError as error:
        raise _saving_error(name, error) from None
    return target, True


def save_upload(name: str, data: bytes, folder: Path) -> tuple[Path, PageReport]:
    """Check an uploaded page and store it in ``folder``; returns where and its parse report.

    Raises ``InputError`` (naming the file) for a binary or undecodable upload and for a file-system error;
    nothing is stored then. A different file with the same name is kept beside it under a name with a
    content hash.
    """
    report = check_upload(name, data)
    target, _ = store_upload(name, data, folder)
    return target, report


Status = Literal["added", "unchanged", "refused"]


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What became of one uploaded file."""

    name: str  #: as uploaded
    status: Status  #: added; unchanged (the same bytes were stored already); refused
    saved_as: str | None = None  #: the stored file's name in the upload folder
    stories: int = 0
    unknown: int = 0
    problem: str = ""  #: why it was refused, or the page's warnings

    @property
    def stored(self) -> bool:
        return self.status != "refused"


def add_uploads(files: Iterable[tuple[str, bytes]], folder: Path) -> list[UploadResult]:
    """Check and store each ``(name, bytes)``; one result per file, in order. Nothing raises for one file:
    a refused file has its reason in ``problem`` and the others are still stored."""
    results = []
    for name, data in files:
        try:
            report = check_upload(name, data)
            saved, written = store_upload(name, data, folder)
        except InputError as error:
            results.append(UploadResult(name, "refused", problem=error.reason))
            continue
        results.append(
            UploadResult(
                name,
                "added" if written else "unchanged",
                saved.name,
                report.stories,
                report.roles.get("unknown", 0),
                "; ".join(report.warnings),
            )
        )
    return results
