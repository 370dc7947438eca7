"""A loaded collection made ready for many sessions: its lookups computed once, its objects out of the
garbage collector's way.

Streamlit runs a full garbage collection after every script run (``runner.postScriptGC``). With 100,000
stories in memory that is 670,000 tracked objects and 0.16 s of CPU on every rerun of every session.
``gc.freeze()`` moves the objects alive at that moment (the collection, its index lookups and theme
memberships) to a permanent generation the collector skips; what later runs create is still collected.

``ready`` freezes before any page has run. A page's first run in the process then imports its modules
(Altair, Plotly and what they pull in) and computes its share of the per-process results: about 35,000
objects, module dictionaries, functions and classes among them, which cost the full collection after every
later run of every session about 50 ms of CPU at 100,000 stories (a fifth of a page load). ``settle``
collects and freezes once more after each page's first run, so the collection after a run walks only what
the sessions themselves hold.
"""

from __future__ import annotations

import gc

from core.heap import paused_gc
from core.storing.collection import Collection

READY = "ready"
#: ``collection.derived`` key: the pages that have run once since the collection was made ready (``settle``).
SETTLED = "settled_pages"
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
        with paused_gc():  # many lookups made, none in a cycle (``core.heap``)
            collection.prepare()
            collection.derived[BACKGROUND] = collection.term_background()
        if gc.get_freeze_count():  # a collection read before (now replaced) may be garbage: collect it
            gc.unfreeze()
            gc.collect()
        gc.freeze()  # the first collection of the process: nothing of size to collect, 0.4 s not spent
        collection.derived[READY] = True


def settle(collection: Collection, page: str) -> None:
    """After the first run of ``page`` (a name) on ``collection`` in this process: collect, then freeze
    what is alive, as ``ready`` does, so that the modules and results of the page's first run are out of
    the collector's way. Once per page and collection (again after the collection or the themes change,
    which make it ready again); later runs do nothing here.

    What is alive at that moment (the sessions running then, too) is frozen with the rest: an object of it
    that later becomes garbage in a reference cycle is not collected. That is bounded by the number of
    pages; a story frame is freed by reference counting as before (pandas frames form no cycle)."""
    if page in collection.derived.get(SETTLED, ()):
        return
    with collection.lock:
        settled: frozenset[str] = collection.derived.get(SETTLED, frozenset())
        if page in settled:
            return
        gc.collect()
        gc.freeze()
        collection.derived[SETTLED] = settled | {page}
