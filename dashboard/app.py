"""caixin-dashboard's server: ``streamlit run dashboard/app.py`` (optionally ``-- --data PATH``).

An ``st.App``: Streamlit runs ``main.py`` (navigation, the shared filters, the pages) for every visitor, and
this app adds what a page script cannot do:

- **the streamed export** (``export/<token>/<file name>``, ``components.exports``): the Data page links
  to it, and the file is sent a chunk of stories at a time as it is made, so an export of any size holds
  one chunk in the server's memory, not the whole file (at most ``CAIXIN_EXPORTS_AT_ONCE`` at a time, 2 by
  default; one more is answered 503, try again);
- **the data read at start** (``components.data.preload``, on a thread when the server starts; off with
  ``CAIXIN_PRELOAD=0``): the first visitor after a restart finds the collection read, or being read;
- **memory given back** (``components.memory``, off with ``CAIXIN_MALLOC_TUNING=0``): on glibc, the arrays
  a page builds and drops go back to the system instead of staying in the process's heap.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

# only what is light here: pandas, core and the pages' modules are imported on the start's thread below,
# while the server already listens and a browser loads the page's scripts
from components.memory import tune_malloc
from components.routes import ROUTE, begin_start, end_start, serve_route

tune_malloc()  # before the data is read: freed arrays go back to the system (``components.memory``)


async def export_file(request: Request) -> Response:
    """The export of the link's token, streamed; a one-line answer when the link no longer works."""
    from components.data import collection_in_use
    from components.exports import Busy, Gone, disposition, redeem, sending
    from core.analysing.export import FORMATS

    try:
        wanted, pieces = await run_in_threadpool(redeem, collection_in_use(), request.path_params["token"])
        counted = sending(pieces)
    except Gone as gone:
        return PlainTextResponse(str(gone), status_code=410)
    except Busy as busy:
        return PlainTextResponse(str(busy), status_code=503, headers={"Retry-After": "60"})
    return StreamingResponse(counted, media_type=FORMATS[wanted.fmt][1], headers=disposition(wanted.file_name))


def _start() -> None:
    """The server's start, on a thread: the pages' modules imported, then the data read (``preload``)."""
    try:
        from components.data import preload

        preload()
    finally:
        end_start()


@asynccontextmanager
async def lifespan(_: Any) -> AsyncIterator[None]:
    serve_route()
    begin_start()
    threading.Thread(target=_start, name="caixin-start", daemon=True).start()
    yield


def _routes() -> list[Route]:
    """The export route, at the root and under ``server.baseUrlPath`` when one is set (a route of an
    ``st.App`` is not put under it by Streamlit)."""
    path = f"/{ROUTE}/{{token}}/{{name}}"
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return [Route(path, export_file), *([Route(f"/{base}{path}", export_file)] if base else [])]


app = st.App(Path(__file__).with_name("main.py"), lifespan=lifespan, routes=_routes())
