"""The routes ``dashboard/app.py`` adds to Streamlit's, as the pages need to know them: light on purpose (no
pandas, no core), so the server imports it before it listens without delaying its start."""

from __future__ import annotations

import threading

#: the export route's first path segment: ``export/<token>/<file name>`` (``components.exports``)
ROUTE = "export"
_SERVED = threading.Event()


def route_served() -> bool:
    """True once ``dashboard/app.py``'s app has started in this process: the export route answers."""
    return _SERVED.is_set()


def serve_route() -> None:
    """Said by the app's lifespan (``dashboard/app.py``): the pages may link to the route."""
    _SERVED.set()


#: set while no start is reading (clear from ``begin_start`` to ``end_start``): what a visitor's first run
#: waits on
_IDLE = threading.Event()
_IDLE.set()


def begin_start() -> None:
    """The server's start has begun reading (``dashboard/app.py``): a visitor's first run waits for it
    (``components.data``) rather than read the data a second time beside it."""
    _IDLE.clear()


def end_start() -> None:
    """The read at the server's start is over (read, failed, or turned off)."""
    _IDLE.set()


def wait_start(seconds: float) -> None:
    """Wait while the server's start reads the data, at most ``seconds``: back as soon as the read is
    over (a visitor's first run then goes on at once, not at its next look)."""
    _IDLE.wait(seconds)


def starting() -> bool:
    """True while the server's start reads the data."""
    return not _IDLE.is_set()
