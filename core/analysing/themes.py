"""Editable themes (``data/themes.toml``) and which stories carry them, with the evidence.

A theme matches a story when its terms occur in the headline, body or photo caption at least ``min_hits``
times in all and none of its ``exclude`` terms occurs. A theme can instead be a saved query (``query =``),
which matches exactly what that query selects. ``docs/themes.md`` documents the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.analysing.query import Term, parse_query, positive_terms
from core.arrays import sorted_unique
from core.config import DATA_DIR, load_toml
from core.errors import ConfigError, QuerySyntaxError
from core.storing.search import Hit, SearchIndex, find_hits

DEFAULT_THEMES_FILE = Path(os.environ.get("CAIXIN_THEMES") or DATA_DIR / "themes.toml")
PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#e6550d",
)  # fmt: skip
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_KEYS = {"label", "colour", "color", "description", "terms", "exclude", "min_hits", "query"}
MEMBERSHIP_COLUMNS = ["article_id", "theme", "hits", "evidence"]


@dataclass(frozen=True, slots=True)
class Theme:
    """One theme: what it is called, how it looks and what matches it."""

    slug: str
    label: str
    colour: str
    description: str = ""
    terms: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()
    min_hits: int = 1
    query: str | None = None

    @property
    def definition(self) -> str:
        """The theme's rule in words, for showing beside its evidence."""
        if self.query:
            return f"query: {self.query}"
        text = "any of: " + ", ".join(str(t) for t in self.terms)
        if self.min_hits > 1:
            text += f" (at least {self.min_hits} hits)"
        if self.exclude:
            text += "; not: " + ", ".join(str(t) for t in self.exclude)
        return text

    def highlight_terms(self) -> list[Term]:
        return positive_terms(parse_query(self.query)) if self.query else list(self.terms)


def parse_term(text: str) -> Term:
    """A theme term: a word, a phrase (several words) or a prefix ending in ``*``."""
    stripped = text.strip()
    prefix = stripped.endswith("*")
    core = stripped[:-1] if prefix else stripped
    node = parse_query(f'"{core}"*' if prefix else f'"{core}"')
    if not isinstance(node, Term) or '"' in core:
        raise QuerySyntaxError(text, 0, "a theme term is one word, one phrase or one prefix")
    return node


def query_theme(slug: str, label: str, query: str, colour: str = "#7f7f7f") -> Theme:
    """An ad-hoc theme defined by a saved query. Raises ``QuerySyntaxError`` for a bad query."""
    parse_query(query)
    return Theme(slug, label, colour, f"Saved query: {query}", query=query)


def _where(lines: list[str], slug: str, key: str | None = None) -> int | None:
    """Line number of ``[themes.slug]`` (or of ``key`` inside it) for error messages."""
    start = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if start is None and stripped.replace(" ", "") in (f"[themes.{slug}]", f'[themes."{slug}"]'):
            start = number
            if key is None:
                return number
        elif start is not None:
            if stripped.startswith("["):
                break
            if stripped.split("=")[0].strip() == key:
                return number
    return start


def load_themes(path: Path | None = None) -> list[Theme]:
    """Read the themes file; raises ``ConfigError`` naming the line and key of the first problem."""
    path = path or DEFAULT_THEMES_FILE
    data = load_toml(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    table = data.get("themes")
    if not isinstance(table, dict) or not table:
        raise ConfigError(str(path), "no [themes.<slug>] tables found", key="themes")
    themes: list[Theme] = []
    for index, (slug, spec) in enumerate(table.items()):
        where = _where(lines, slug)
        if not _SLUG.match(slug):
            raise ConfigError(
                str(path), "slug must be lower-case letters, digits and '-'", where, f"themes.{slug}"
            )
        if not isinstance(spec, dict):
            raise ConfigError(str(path), "must be a table", where, f"themes.{slug}")
        for key in spec:
            if key not in _KEYS:
                raise ConfigError(
                    str(path),
                    f"unknown key (allowed: {', '.join(sorted(_KEYS))})",
                    _where(lines, slug, key),
                    f"themes.{slug}.{key}",
                )

        def fail(key: str, message: str, slug: str = slug) -> ConfigError:
            return ConfigError(str(path), message, _where(lines, slug, key), f"themes.{slug}.{key}")

        label = spec.get("label")
        if not isinstance(label, str) or not label.strip():
            raise fail("label", "needs a non-empty label")
        colour_key = "color" if "color" in spec and "colour" not in spec else "colour"
        colour = spec.get(colour_key, PALETTE[index % len(PALETTE)])
        if not isinstance(colour, str) or not _COLOUR.match(colour):
            raise fail(colour_key, f"colour must look like #1f77b4, got {colour!r}")
        description = spec.get("description", "")
        if not isinstance(description, str):
            raise fail("description", "must be a string")
        min_hits = spec.get("min_hits", 1)
        if not isinstance(min_hits, int) or isinstance(min_hits, bool) or min_hits < 1:
            raise fail("min_hits", "must be a whole number of at least 1")
        query = spec.get("query")
        if query is not None:
            if not isinstance(query, str):
                raise fail("query", "must be a string")
            try:
                parse_query(query)
            except QuerySyntaxError as error:
                raise fail("query", str(error)) from None
        terms = _terms(spec, "terms", fail)
        exclude = _terms(spec, "exclude", fail)
        if not terms and not query:
            raise fail("terms", "needs at least one term (or a query)")
        themes.append(Theme(slug, label.strip(), colour, description, terms, exclude, min_hits, query))
    return themes


def _terms(spec: dict[str, object], key: str, fail: object) -> tuple[Term, ...]:
    raw = spec.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise fail(key, "must be a list of strings")  # type: ignore[operator]
    out = []
    for text in raw:
        try:
            out.append(parse_term(text))
        except QuerySyntaxError as error:
            raise fail(key, f"term {text!r}: {error.message}") from None  # type: ignore[operator]
    return tuple(out)


class ThemeBook:
    """The themes in use: reloads the file and keeps the last good themes when an edit breaks it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or DEFAULT_THEMES_FILE
        self.themes: list[Theme] = []
        self.error: str | None = None
        self._mtime: int | None = None
        self.reload()

    def reload(self) -> list[Theme]:
        """Re-read the file if it changed; on error keep the previous themes and set ``error``."""
        try:
            mtime = self.path.stat().st_mtime_ns
        except OSError as error:
            self.error = (
                f"{self.path}: cannot be read ({error.strerror or error}); using the last good themes"
            )
            return self.themes
        if mtime == self._mtime:
            return self.themes
        try:
            self.themes = load_themes(self.path)
            self.error = None
        except (ConfigError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            self.error = f"{error}; using the last good themes"
        self._mtime = mtime
        return self.themes

    def by_slug(self) -> dict[str, Theme]:
        return {t.slug: t for t in self.themes}


def match_themes(index: SearchIndex, themes: Sequence[Theme]) -> pd.DataFrame:
    """Which stories carry which theme, with evidence.

    Returns one row per (story, theme): ``article_id``, ``theme`` (slug), ``hits`` (occurrences of the
    theme's terms in the headline, body and caption; an inferred headline, which repeats the lead, is not
    counted) and ``evidence`` (``"tariff* ×3, trade war ×1"``). Occurrences are counted from the full-text
    index's token positions, so ``min_hits`` and ``exclude`` are exact and the work stays in SQLite.
    """
    frame = index.frame
    ids = np.asarray(frame["article_id"].astype(str).to_numpy(), dtype=object)
    inferred = frozenset(np.flatnonzero(frame["headline_inferred"].to_numpy(dtype=bool)).tolist())
    counted: dict[Term, tuple[np.ndarray, np.ndarray]] = {}

    def counts_of(term: Term) -> tuple[np.ndarray, np.ndarray]:
        key = Term(term.words, term.prefix)
        if key not in counted:
            counted[key] = index.term_row_counts(key, inferred)
        return counted[key]

    parts: list[pd.DataFrame] = []
    for theme in themes:
        # one entry per term as written (two terms written alike: the later one's counts, as a dict did)
        per_term = {str(term): counts_of(term) for term in theme.highlight_terms()}
        names = list(per_term)
        if theme.query:
            selected = np.array(sorted(index.evaluate(parse_query(theme.query), lambda slug: None)), dtype=np.int64)
        else:
            selected = sorted_unique(np.concatenate([rows for rows, _ in per_term.values()] or [np.zeros(0, np.int64)]))
            for term in theme.exclude:
                if len(selected):
                    selected = selected[~np.isin(selected, np.fromiter(index.term_rows(term), dtype=np.int64))]
        parts.append(_theme_rows(theme, names, list(per_term.values()), selected, ids))
    columns = {"article_id": "string", "theme": "string", "hits": "int32", "evidence": "string"}
    if not parts:
        return pd.DataFrame(columns=MEMBERSHIP_COLUMNS).astype(columns)
    return pd.concat(parts, ignore_index=True).astype(columns)


def _theme_rows(
    theme: Theme,
    names: list[str],
    found: list[tuple[np.ndarray, np.ndarray]],
    selected: np.ndarray,
    ids: np.ndarray,
) -> pd.DataFrame:
    """The membership rows of one theme: its ``selected`` rows (sorted) with their hits and evidence
    (``_evidence`` of the terms found in each), those with fewer than ``min_hits`` left out unless the
    theme is a query."""
    rows = np.concatenate([r for r, _ in found] or [np.zeros(0, np.int64)])
    counts = np.concatenate([c for _, c in found] or [np.zeros(0, np.int64)])
    terms = np.repeat(np.arange(len(found), dtype=np.int64), [len(r) for r, _ in found])
    inside = np.isin(rows, selected)
    rows, counts, terms = rows[inside], counts[inside], terms[inside]
    hits = np.zeros(len(selected), dtype=np.int64)
    at = np.searchsorted(selected, rows)
    np.add.at(hits, at, counts)
    keep = np.ones(len(selected), dtype=bool) if theme.query else hits >= theme.min_hits
    # the evidence: per row its terms, most occurrences first, then by name
    name_rank = np.empty(len(names), dtype=np.int64)
    name_rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
    order = np.lexsort((name_rank[terms], -counts, at))
    at, counts, terms = at[order], counts[order], terms[order]
    pieces = [f"{names[t]} ×{n}" for t, n in zip(terms.tolist(), counts.tolist(), strict=True)]
    bounds = np.searchsorted(at, np.arange(len(selected) + 1)).tolist()
    evidence = [", ".join(pieces[bounds[i] : bounds[i + 1]]) for i in np.flatnonzero(keep).tolist()]
    chosen = selected[keep]
    return pd.DataFrame(
        {
            "article_id": ids[chosen],
            "theme": [theme.slug] * len(chosen),
            "hits": hits[keep],
            "evidence": evidence,
        },
        columns=MEMBERSHIP_COLUMNS,
    )


def theme_hits(row: dict[str, object], theme: Theme, context: int = 60) -> list[Hit]:
    """Where a theme's terms occur in one story (offsets for highlighting, with snippets)."""
    texts = {name: str(row.get(name) or "") for name in ("headline", "body", "photo_caption")}
    return find_hits(texts, theme.highlight_terms(), context)


def themes_of(memberships: pd.DataFrame) -> dict[str, list[str]]:
    """article_id -> theme slugs, for tables."""
    out: dict[str, list[str]] = {}
    for article_id, slug in zip(memberships["article_id"], memberships["theme"], strict=True):
        out.setdefault(str(article_id), []).append(str(slug))
    return out
