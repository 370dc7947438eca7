"""File names as the dashboard shows them: relative to the data folders, never the server's own paths.

A story's source, a file of the parse report or a warning names a file by the path it was read from
(``/srv/caixin/pages/2019/live.txt``). Every page and export names it relative to the data folder it was
found in (``2019/live.txt``); with several data folders (the configured data and the upload folder, say)
the folder's own name comes first (``pages/2019/live.txt``, ``uploads/notes.txt``). The data page says
which folders were read: as configured when run locally, by their own names only in hosted mode.

In hosted mode (``CAIXIN_READONLY=1``) messages are also cleared of the cache folder, the project folder
and any other absolute path, so no page tells a visitor where the server keeps its files.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from components.data import read_only
from core.config import PROJECT_ROOT
from core.model import parse_source_span
from core.storing.cache import default_cache_dir
from core.storing.collection import Collection

#: An absolute path in a message: a ``/`` not inside a word, a URL or a relative path, and what follows up
#: to a space, quote or ``:`` (which ends the file part of ``path:line: message``).
_ABSOLUTE = re.compile(r"(?<![\w.:/~-])/[^\s:'\"]+")


def _static_part(root: str) -> str:
    """The folder a glob pattern searches (the part before its first wildcard); a path itself otherwise."""
    if not glob.has_magic(root):
        return root
    parts = Path(root).parts
    static = [p for p in parts[: next(i for i, p in enumerate(parts) if glob.has_magic(p))]]
    return str(Path(*static)) if static else "."


@dataclass(frozen=True, slots=True)
class _Root:
    given: str  #: as configured (files are named with this spelling)
    absolute: str  #: the same, absolute and normalised
    label: str  #: what is shown in its place ("" for the only folder)
    is_file: bool


class PathNames:
    """How the paths of one collection are shown. ``roots`` are its inputs as configured; ``hosted``
    clears every other absolute path from messages too."""

    def __init__(self, roots: Sequence[str], *, hosted: bool, hidden: Sequence[str | Path] = ()) -> None:
        self.hosted = hosted
        bases = [str(Path(_static_part(r))) for r in roots]
        labels = _labels(bases)
        self._given = [
            _Root(base, os.path.abspath(base), label if len(bases) > 1 else "", os.path.isfile(base))
            for base, label in zip(bases, labels, strict=True)
        ]
        # the deepest folder first, when one data folder holds another
        self._roots = sorted(self._given, key=lambda r: len(r.absolute), reverse=True)
        self._hidden = sorted({os.path.abspath(h) for h in hidden}, key=len, reverse=True)
        self.key = (tuple(roots), hosted)

    def file(self, path: str) -> str:
        """A file path relative to its data folder (with the folder's name when there are several)."""
        absolute = os.path.abspath(path)
        for root in self._roots:
            if absolute == root.absolute:
                return os.path.basename(absolute) if root.is_file else (root.label or ".")
            if absolute.startswith(root.absolute.rstrip(os.sep) + os.sep):
                relative = absolute[len(root.absolute.rstrip(os.sep)) + 1 :]
                return f"{root.label}/{relative}" if root.label else relative
        return os.path.basename(path) or path

    def folders(self) -> list[str]:
        """The data folders (and files) as shown: their own names in hosted mode, else as configured."""
        if self.hosted:
            return [os.path.basename(r.absolute) or "." for r in self._given]
        return [r.given for r in self._given]

    def text(self, message: str) -> str:
        """A message with every data path shown as ``file`` shows it; in hosted mode the cache, the project
        folder and any other absolute path are cleared too."""
        for root in self._roots:
            for spelling in dict.fromkeys((root.absolute, root.given)):
                if not spelling or spelling == ".":
                    continue
                folder = spelling.rstrip(os.sep)
                inside = f"{root.label}/" if root.label else ""
                message = message.replace(folder + os.sep, inside)
                if root.is_file:
                    message = message.replace(folder, os.path.basename(folder))
                else:
                    message = re.sub(
                        re.escape(folder) + r"(?![\w.-])", root.label or os.path.basename(folder), message
                    )
        if not self.hosted:
            return message
        for hidden in self._hidden:
            message = message.replace(hidden, "the cache")
        message = message.replace(str(PROJECT_ROOT) + os.sep, "")
        return _ABSOLUTE.sub(lambda m: os.path.basename(m.group(0).rstrip("/")) or "/", message)

    def sources(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with its ``sources`` (``file:first-last``) naming files as ``file`` does, for exports."""
        cache: dict[str, str] = {}

        def shown(span: str) -> str:
            source = parse_source_span(span)
            name = cache.get(source.file)
            if name is None:
                name = cache[source.file] = self.file(source.file)
            return f"{name}:{source.first_line}-{source.last_line}"

        return frame.assign(sources=[[shown(s) for s in spans] for spans in frame["sources"]])


def _labels(bases: Sequence[str]) -> list[str]:
    """Each root's own name; roots with the same name get their parent's name in front."""
    names = [os.path.basename(os.path.abspath(b).rstrip(os.sep)) or "root" for b in bases]
    labels = []
    for base, name in zip(bases, names, strict=True):
        if names.count(name) > 1:
            parent = os.path.basename(os.path.dirname(os.path.abspath(base).rstrip(os.sep)))
            name = f"{parent}/{name}" if parent else name
        labels.append(name)
    return labels


def names_for(collection: Collection) -> PathNames:
    """The path names of ``collection`` in this server's mode."""
    return PathNames(collection.inputs, hosted=read_only(), hidden=[default_cache_dir()])
