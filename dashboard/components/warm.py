"""A loaded collection made ready for many sessions: its lookups computed once, its objects out of the
garbage collector's way.

Streamlit runs a full garbage collection after every script run (``runner.postScriptGC``). With 100,000
stories in memory that is 670,000 tracked objects and 0.16 s of CPU on every rerun of every session.
``gc.freeze()`` moves the objects alive at that moment (the collection, its index lookups and theme
memberships) to a permanent generation the collector skips; what later runs create is still collected.
"""

from __future__ import annotations

import gc

from core.storing.collection import Collection
from core.storing.heap import paused_gc

READY = "ready"
#: ``collection.derived`` key of the term counts of a random sample of stories: the background the themes
#: page's distinctive terms compare a selection with (``core.analysing.terms.term_sample``).
BACKGROUND = "term_background"


def ready(collection: Collection) -> None:
    """Compute the collection's lookups (``Collection.prepare``) and the terms background, and freeze the
    heap, once per collection
    (again after the themes file changed, which drops the lookups). Concurrent sessions wait for it."""
    if collection.derived.get(READY):
        return
    with collection.lock:
        if collection.derived.get(READY):
            return
        with paused_gc():  # many lookups made, none in a cycle (``core.storing.heap``)
            collection.prepare()
            collection.derived[BACKGROUND] = collection.term_background()
        if gc.get_freeze_count():  # a collection read before (now replaced) may be garbage: collect it
            gc.unfreeze()
            gc.collect()
        gc.freeze()  # the first collection of the process: nothing of size to collect, 0.4 s not spent
        collection.derived[READY] = True
