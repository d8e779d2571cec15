"""Keep a long crawl's memory from creeping up: glibc malloc tuning for page-sized buffers.

Every page passes through the crawler process as a few large buffers (the body, its
decoded text, pickles for the writer and the extraction workers), 100-200 KB each on
news sites. glibc serves the first of them with mmap, then raises its mmap threshold
to the largest size freed, so later ones come from the brk heap, where pages of other
sizes leave holes that never go back to the system: the main process grew by about
6 KB per page (14 MB over 1,500 pages of bench/throughput.py's (c)), nearly all of it
heap high water, not live objects (tracemalloc: +1 MB). A fixed threshold keeps every
buffer of 64 KB and up in its own mapping, returned whole when freed.

The price is a fresh mapping, and its page faults, per large buffer: about 0.3 ms of CPU
per page, which is nothing next to extraction (~45 ms) but a tenth of a bare fetch. Hence
the setting MEMORY_MMAP_THRESHOLD (bytes; 0 leaves glibc's dynamic threshold alone) for a
capture-only crawl that wants pages/s more than a flat RSS.

Only glibc has `mallopt`; elsewhere (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import logging

logger = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc <malloc.h>

_done = False


def limit_heap_fragmentation(threshold: int) -> bool:
    """Fix glibc's mmap threshold at `threshold` bytes (once per process; 0: leave it
    dynamic; MEMORY_MMAP_THRESHOLD gives the default). False where that is not possible or
    not asked for."""
    global _done
    if _done:
        return True
    if threshold <= 0:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own symbols: libc's, if glibc
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    _done = mallopt(M_MMAP_THRESHOLD, threshold) == 1
    if not _done:
        logger.debug("mallopt(M_MMAP_THRESHOLD) refused; heap tuning skipped")
    return _done
