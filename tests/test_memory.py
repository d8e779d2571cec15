"""crawler.memory: with the fixed mmap threshold, page-sized buffers that come and go
(16 in flight, 100-200 KB each) no longer leave the heap fragmented around small objects
that stay. Each case runs in a fresh interpreter: the setting is process-wide and glibc's
dynamic threshold has state."""

from __future__ import annotations

import ctypes
import subprocess
import sys

import pytest

# Prints: whether the threshold was applied, heap (brk arena) KB, KB of small objects kept.
WORKLOAD = """
import ctypes, sys, random
from crawler.memory import limit_heap_fragmentation
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks",
                "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
applied = limit_heap_fragmentation(int(sys.argv[1]))
rng = random.Random(7)
kept, inflight = [], []
for i in range(3000):
    inflight.append(bytes(rng.randrange(100_000, 200_000)))  # a page buffer
    kept.append(bytes(600 + i % 400))  # something small that stays (an outcome, a row)
    if len(inflight) > 16:  # 16 pages in flight, the oldest done
        inflight.pop(rng.randrange(len(inflight)))
inflight.clear()
print(applied, libc.mallinfo2().arena // 1024, len(kept) * 1000 // 1024)
"""


def _glibc_with_mallinfo2() -> bool:
    try:
        return hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2")
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _glibc_with_mallinfo2(), reason="needs glibc >= 2.33")


def heap_after_workload(threshold: int) -> tuple[bool, int, int]:
    out = subprocess.run(
        [sys.executable, "-c", WORKLOAD, str(threshold)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    applied, heap_kb, kept_kb = out.split()
    return applied == "True", int(heap_kb), int(kept_kb)


def test_fixed_threshold_keeps_the_heap_near_what_stays_alive():
    applied, fixed_kb, kept_kb = heap_after_workload(64 * 1024)
    assert applied
    assert fixed_kb < 2 * kept_kb + 2048  # what stays, plus allocator slack
    applied, dynamic_kb, _ = heap_after_workload(0)  # 0: glibc's own dynamic threshold
    assert not applied
    assert dynamic_kb > 2 * fixed_kb  # the fragmentation the setting exists to avoid
