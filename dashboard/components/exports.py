"""The Data page's export, built a chunk of stories at a time, and streamed from the server when it can be.

``pieces`` is the file of a selection as ``core.analysing.export.stream_export`` writes it: 2,000 stories
at a time, each chunk's text read from disk and its research columns computed from that chunk's theme
memberships, so building it holds one chunk, whatever the selection's size.

When the dashboard runs as ``streamlit run dashboard/app.py`` (the ``st.App`` there), the file is not built
in Streamlit's memory at all: the page registers the export (``ticket``) and links to
``export/<token>/<file name>``, a route of that app which sends the pieces as they are made (``redeem``,
``sending``).
The token is random (128 bits), names the export's filters and options (not its rows), and is kept with
the collection it was made on, at most ``TICKETS`` of them, each for ``TICKET_SECONDS``: a re-read of the
data or an old link gives a one-line answer that says to export again. Run any other way (``streamlit run
dashboard/main.py``, AppTest) there is no route, and the page's download button builds the same pieces
into one file in memory, within ``components.data.export_limit``.
"""

from __future__ import annotations

import html
import logging
import os
import secrets
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from time import monotonic
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from components.paths import PathNames, names_for
from components.view import selection
from core.analysing import export
from core.analysing.query import Term
from core.storing.collection import Collection, Filters

#: how long an export link works after the page made it
TICKET_SECONDS = 3600
#: export links kept per collection (the oldest dropped first)
TICKETS = 256
_TICKETS_KEY = "export_tickets"
#: the default of ``CAIXIN_EXPORTS_AT_ONCE``
EXPORTS_AT_ONCE = 2
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Export:
    """What one export link sends: the stories the filters select, in the format and with the columns
    chosen, under ``file_name``."""

    filters: Filters
    themes_key: str
    fmt: str
    body: bool
    research: bool
    terms: tuple[Term, ...]
    labels: tuple[tuple[str, str], ...]
    file_name: str


def chunk_memberships(collection: Collection, rows: np.ndarray) -> pd.DataFrame:
    """The theme memberships of the stories at ``rows`` (positions), in memberships order (as
    ``View.memberships`` has them): one pass over the membership rows, nothing kept between chunks."""
    chosen = np.zeros(len(collection.articles), dtype=bool)
    chosen[rows] = True
    return collection.memberships_of(chosen)


def pieces(
    collection: Collection,
    positions: np.ndarray,
    fmt: str,
    *,
    body: bool,
    terms: Sequence[Term] | None,
    labels: dict[str, str],
    names: PathNames,
) -> Iterator[bytes]:
    """The export of the stories at ``positions`` (sorted row positions) in ``fmt``, a chunk at a time:
    with the research columns (``terms``: the search and theme terms the snippet looks for; None: no
    research columns), sources named as ``names`` names them."""
    taken: dict[str, np.ndarray] = {}

    def read(start: int, stop: int) -> pd.DataFrame:
        taken["rows"] = positions[start:stop]
        return collection.rows(taken["rows"])

    def research(part: pd.DataFrame) -> pd.DataFrame:
        members = chunk_memberships(collection, taken["rows"])
        return export.ResearchColumns(members, list(terms or ()), labels)(part)

    return export.stream_export(
        read, len(positions), fmt, research if terms is not None else None, body=body, prepare=names.sources
    )


def ticket(collection: Collection, wanted: Export) -> str:
    """The token of an export link for ``wanted`` on ``collection``: the same token for the same export
    while it is valid (a rerun does not make another), a new one after ``TICKET_SECONDS``."""
    now = monotonic()
    with collection.lock:
        tickets: OrderedDict[str, tuple[Export, float]] = collection.derived.setdefault(
            _TICKETS_KEY, OrderedDict()
        )
        for token, (known, made) in tickets.items():
            if known == wanted and now - made < TICKET_SECONDS / 2:
                return token
        token = secrets.token_urlsafe(16)
        tickets[token] = (wanted, now)
        while len(tickets) > TICKETS:
            tickets.popitem(last=False)
        return token


class Gone(LookupError):
    """An export link that no longer works (its one-line reason is the message)."""


class Busy(RuntimeError):
    """As many exports as the server sends at once are being sent (the one-line message says so)."""


def exports_at_once() -> int:
    """How many streamed exports one server sends at the same time: ``CAIXIN_EXPORTS_AT_ONCE`` (default
    2). Each takes most of a core while it runs (about 30 s per 100,000 stories with their text), so a
    public server's visitors cannot take every core with exports. A value that is not a whole number of at
    least 1 is logged and the default used."""
    value = os.environ.get("CAIXIN_EXPORTS_AT_ONCE", "").strip()
    try:
        count = int(value) if value else EXPORTS_AT_ONCE
    except ValueError:
        count = 0
    if count < 1:
        log.warning("CAIXIN_EXPORTS_AT_ONCE=%r is not a whole number of at least 1; using %d", value, EXPORTS_AT_ONCE)
        return EXPORTS_AT_ONCE
    return count


_sending = threading.Lock()
_sent_now = [0]


class _Sending:
    """The pieces of one export, counted among those being sent from when it is made until it is used up,
    fails, or is dropped (a visitor who left before the first byte: released when collected)."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._release = weakref.finalize(self, _release_one)

    def __iter__(self) -> _Sending:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._pieces)
        except BaseException:
            self._release()
            raise


def _release_one() -> None:
    with _sending:
        _sent_now[0] -= 1


def sending(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """``pieces`` counted among the exports being sent; ``Busy`` when ``exports_at_once`` are already."""
    limit = exports_at_once()
    with _sending:
        if _sent_now[0] >= limit:
            raise Busy(
                f"The server is sending {limit} export{'s' if limit != 1 else ''} already: try again in a "
                "minute, or narrow the selection."
            )
        _sent_now[0] += 1
    return _Sending(pieces)


def sent_now() -> int:
    """How many exports are being sent now."""
    with _sending:
        return _sent_now[0]


def redeem(collection: Collection | None, token: str) -> tuple[Export, Iterator[bytes]]:
    """The export of ``token`` on ``collection`` (the one in use) and its file's pieces; ``Gone`` when the
    link is unknown, expired, or was made on data read before."""
    tickets: OrderedDict[str, tuple[Export, float]] = (
        collection.derived.get(_TICKETS_KEY, OrderedDict()) if collection is not None else OrderedDict()
    )
    found = tickets.get(token)
    if collection is None or found is None or monotonic() - found[1] > TICKET_SECONDS:
        raise Gone(
            "This export link has expired, or the data was read again since it was made: "
            "export again from the Data page."
        )
    wanted = found[0]
    if wanted.themes_key != collection.themes_key:
        raise Gone("The themes changed since this export link was made: export again from the Data page.")
    mask, _ = selection(collection, wanted.filters)
    stream = pieces(
        collection,
        np.flatnonzero(mask),
        wanted.fmt,
        body=wanted.body,
        terms=wanted.terms if wanted.research else None,
        labels=dict(wanted.labels),
        names=names_for(collection),
    )
    return wanted, stream


def disposition(file_name: str) -> dict[str, Any]:
    """The headers that make a browser save the response as ``file_name`` (ASCII, as the page names it)."""
    return {"Content-Disposition": f'attachment; filename="{file_name}"', "Cache-Control": "no-store"}


#: the link drawn as Streamlit's secondary button (its theme's colours, so dark mode and contrast follow)
_LINK_STYLE = """<style>
a.caixin-export { display: inline-flex; align-items: center; gap: 0.5rem; padding: 0.25rem 0.75rem;
  min-height: 2.5rem; border-radius: 0.5rem; border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.2));
  color: inherit; background: var(--st-secondary-background-color, transparent); text-decoration: none; }
a.caixin-export:hover { border-color: var(--st-primary-color, #ff4b4b); color: var(--st-primary-color, #ff4b4b); }
a.caixin-export:focus-visible { outline: 2px solid var(--st-primary-color, #ff4b4b); outline-offset: 2px; }
</style>"""


def download_link(href: str, file_name: str, label: str) -> None:
    """A link that saves ``href`` (relative to the page) as ``file_name``, looking like a button. The
    label is the page's own words (no story text), escaped all the same."""
    st.html(
        _LINK_STYLE
        + f'<a class="caixin-export" href="{html.escape(href)}" download="{html.escape(file_name)}">'
        + f'<span aria-hidden="true">⤓</span>{html.escape(label)}</a>'
    )
