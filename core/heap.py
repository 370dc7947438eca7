"""The garbage collector paused while a collection's frames are built, and while pages are parsed.

Opening a cached collection makes about half a million Python objects at 100,000 stories (the lists of the
list columns, the strings in them). CPython's cyclic collector runs every 700 new container objects and,
as the heap grows, scans the older generations again and again: 80 % of the time spent turning the Arrow
list columns into Python lists went to it (0.73 s of CPU with it, 0.14 s without, at 100,000 stories).
None of these objects form reference cycles, so nothing is left for the collector while it is paused;
reference counting frees everything as usual.

Parsing is the same: a page's lines, stories and records are made by the tens of thousands and hold no
cycle, and each collection the parser's allocations set off scans every young object of the process (the
caller's too). ``parse_page`` and a parse worker's chunk (``core.storing.ingest._parse_chunk``) run with it
paused: a chunk of 64 pages took 4-7 % less CPU (in one process, alternated chunk by chunk); ``parse_page``
alone, in a new process that keeps little else, the same (the young objects it would scan are few).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the block with the cyclic garbage collector off; it is on again afterwards when it was on
    before (a caller that paused it keeps it paused)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
