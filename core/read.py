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
from core.parse import split_lines

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
        offset = data.index(b"\x00")
        raise InputError(name, f"binary file (NUL byte at offset {offset}); not a text page")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        text = data.decode("utf-8", errors="caixin-latin1")
        return text, [
            f"{name}:{line}: bytes that are not UTF-8 (first at byte {error.start}); read as Latin-1"
        ]


def read_page(path: str | os.PathLike[str]) -> DecodedPage:
    """Read and decode one page file; ``InputError`` names the file when it cannot be read as text."""
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except IsADirectoryError:
        raise InputError(name, "is a folder, not a file") from None
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except PermissionError:
        raise InputError(name, "permission denied") from None
    except OSError as error:
        raise InputError(name, f"cannot be read ({error.strerror or error})") from None
    text, warnings = decode_bytes(data, name)
    return DecodedPage(name, text, hashlib.sha256(data).hexdigest(), len(data), tuple(warnings))


def read_lines(path: str | os.PathLike[str], first: int, last: int) -> list[str]:
    """Lines ``first..last`` (1-based, inclusive) of a page as the parser numbered them.

    Raises ``InputError`` when the file cannot be read any more.
    """
    page = read_page(path)
    lines = split_lines(page.text)
    return lines[max(0, first - 1) : last]


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
