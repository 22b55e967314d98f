"""Keep a months-long kiosk process's memory flat: at most two glibc malloc arenas.

glibc gives each thread that allocates its own arena (up to 8 × cores); device workers, the outbox, HTTP
and SQLite threads each fragment theirs, and freed memory in them is rarely returned. In the 10,000-journey
soak that alone made resident memory creep by ~15 MB while Python's own heap (tracemalloc) stayed flat; with
two arenas it stays within ~2 MB (docs/proof.md). It must be set before threads start allocating, so the
kiosk command does it first thing. Elsewhere (musl, macOS) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_ARENA_MAX = -8  # from glibc's malloc.h
ARENAS = 2


def limit_malloc_arenas(count: int = ARENAS) -> bool:
    """True when glibc accepted the limit."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return mallopt(M_ARENA_MAX, count) == 1
