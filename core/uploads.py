"""Pages uploaded through the dashboard: checked, reported on and stored under a safe name."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from core.cache import atomic_write_bytes
from core.errors import InputError
from core.parse import parse_page
from core.read import PAGE_SUFFIXES, decode_bytes
from core.report import PageReport

_UNSAFE = re.compile(r"[^\w.() -]+")


def safe_name(name: str) -> str:
    """The file's own name with no folders and no characters that could leave the upload folder."""
    base = Path(name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip(" .") or "page.txt"
    if Path(cleaned).suffix.lower() not in PAGE_SUFFIXES:
        cleaned += ".txt"
    return cleaned[:120]


def save_upload(name: str, data: bytes, folder: Path) -> tuple[Path, PageReport]:
    """Check an uploaded page and store it in ``folder``; returns where and its parse report.

    Raises ``InputError`` (naming the file) for a binary or undecodable upload; nothing is stored then.
    A different file with the same name is kept beside it under a name with a content hash.
    """
    text, warnings = decode_bytes(data, name)
    report = parse_page(text, name).report
    report.warnings[:0] = warnings
    if not text.strip():
        raise InputError(name, "empty file, nothing to add")
    target = folder / safe_name(name)
    if target.exists() and target.read_bytes() != data:
        digest = hashlib.sha256(data).hexdigest()[:8]
        target = target.with_name(f"{target.stem}-{digest}{target.suffix}")
    atomic_write_bytes(target, data)
    return target, report
