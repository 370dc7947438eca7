"""How the server process gives memory back: on glibc, blocks of 128 KiB or more are their own mappings,
returned to the system when freed.

glibc raises that threshold as large blocks are freed (up to 32 MiB), after which the arrays of a page's
run (an order over 1,000,000 stories, a filtered copy of a column) come from its heap, where memory freed
in the middle of the heap is kept by the process. A page that builds such arrays once and drops them then
left the server 50-100 MB larger. ``CAIXIN_MALLOC_TUNING=0`` leaves glibc's default; another C library is
left as it is.
"""

from __future__ import annotations

import ctypes

from components.switches import switched_on

#: ``mallopt``'s parameter for the mmap threshold (glibc's ``malloc.h``); setting it also stops the raises
M_MMAP_THRESHOLD = -3
#: glibc's own starting threshold
MMAP_THRESHOLD = 128 * 1024


def tune_malloc() -> bool:
    """Fix glibc's mmap threshold at ``MMAP_THRESHOLD``; whether it was set (False: turned off, not
    glibc, or refused)."""
    if not switched_on("CAIXIN_MALLOC_TUNING"):
        return False
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols, the C library's among them (no ldconfig run)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it: another libc's mallopt may differ
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
