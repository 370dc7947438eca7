"""Reading inputs: files, folders and globs; decoding; binary detection.

Nothing here raises for one bad input while others are still to be read: ``expand_inputs`` returns the
errors beside the files, and ``read_page`` raises ``InputError`` for the one file it was asked about.
"""

from __future__ import annotations

import codecs
import glob
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError

#: Files taken from a folder; a file named explicitly is read whatever its name.
PAGE_SUFFIXES = frozenset({".txt", ".text", ".md", ".htm", ".html"})


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode the bytes that are not UTF-8 as Latin-1: every byte becomes one character, none is lost."""
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return bytes(bad).decode("latin-1"), error.end


codecs.register_error("caixin-latin1", _latin1_fallback)


@dataclass(frozen=True, slots=True)
class DecodedPage:
    """A page's text, its content hash and what reading it had to say."""

    path: str
    text: str
    sha256: str
    size: int
    warnings: tuple[str, ...] = ()


def expand_inputs(inputs: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[InputError]]:
    """Files named by paths, folders (searched recursively) and glob patterns, in a stable order.

    Returns the files (each once) and one ``InputError`` per input that names nothing readable.
    """
    files: list[Path] = []
    errors: list[InputError] = []
    seen: set[Path] = set()

    def add(path: Path, key: Path | None = None) -> None:
        key = key or path.resolve()
        if key not in seen:
            seen.add(key)
            files.append(path)

    for raw in inputs:
        text = os.fspath(raw)
        path = Path(text)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES and not p.name.startswith(".")
            )
            if not found:
                errors.append(InputError(text, "folder holds no page files (.txt, .html, .htm, .md)"))
            base = path.resolve()  # resolved once: a folder of thousands of pages costs one realpath
            for p in found:
                add(p, base / p.relative_to(path))
        elif path.is_file():
            add(path)
        elif glob.has_magic(text):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True) if Path(m).is_file())
            if not matches:
                errors.append(InputError(text, "pattern matches no files"))
            for p in matches:
                add(p)
        elif path.exists():
            errors.append(InputError(text, "not a regular file or folder"))
        else:
            errors.append(InputError(text, "no such file or folder"))
    return files, errors


def decode_bytes(data: bytes, name: str) -> tuple[str, list[str]]:
    """Bytes to text: UTF-8 with or without BOM, UTF-16 with BOM; other bytes read as Latin-1 with a warning.

    Raises ``InputError`` for binary data (NUL bytes outside UTF-16).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise InputError(name, "starts like UTF-16 but does not decode; not a text page") from None
    if b"\x00" in data:
        raise binary_error(name, data.index(b"\x00"))
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    text, warning = decode_utf8(data, name)
    return text, [warning] if warning else []


def decode_utf8(
    data: bytes, name: str, *, first_line: int = 1, first_byte: int = 0
) -> tuple[str, str | None]:
    """UTF-8 bytes to text; bytes that are not UTF-8 are read as Latin-1 (none lost) and the warning says
    where the first one is. ``first_line`` and ``first_byte`` place ``data`` in its file (``core.stream``
    decodes a file piece by piece)."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        line = first_line + data.count(b"\n", 0, error.start)
        byte = first_byte + error.start
        warning = f"{name}:{line}: bytes that are not UTF-8 (first at byte {byte}); read as Latin-1"
        return data.decode("utf-8", errors="caixin-latin1"), warning


def binary_error(name: str, offset: int) -> InputError:
    """The error for a file with a NUL byte (outside UTF-16): a binary file, not a page."""
    return InputError(name, f"binary file (NUL byte at offset {offset}); not a text page")


def open_error(name: str, error: OSError) -> InputError:
    """A one-line ``InputError`` for a file that cannot be opened or read."""
    if isinstance(error, IsADirectoryError):
        return InputError(name, "is a folder, not a file")
    if isinstance(error, FileNotFoundError):
        return InputError(name, "no such file")
    if isinstance(error, PermissionError):
        return InputError(name, "permission denied")
    return InputError(name, f"cannot be read ({error.strerror or error})")


def read_page(path: str | os.PathLike[str]) -> DecodedPage:
    """Read and decode one page file; ``InputError`` names the file when it cannot be read as text."""
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except OSError as error:
        raise open_error(name, error) from None
    text, warnings = decode_bytes(data, name)
    return DecodedPage(name, text, hashlib.sha256(data).hexdigest(), len(data), tuple(warnings))


def inputs_fingerprint(inputs: Iterable[str | os.PathLike[str]]) -> dict[str, tuple[int, int]]:
    """Each input file with its size and modification time: cheap to compute, and it changes when a
    file is added, removed or changed (used to notice data changing under a running server)."""
    files, _ = expand_inputs(inputs)
    out: dict[str, tuple[int, int]] = {}
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        out[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return out
