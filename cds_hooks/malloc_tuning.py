"""Give a large request's buffers back to the operating system when the request is done.

glibc raises its mmap threshold each time a block above it is freed, up to 32 MiB, so after the
first large request the multi-MiB buffers of the next ones (the body, its text, a list growing
to a few MiB) come from the heap, and what they leave there stays in the worker's RSS beside
Python's own arenas. A fixed threshold of 1 MiB keeps every block that large in its own mapping,
returned on free: the 10,000-Observation request peaked at 137-139 MiB instead of 145-148 MiB, for
about 10 ms more on that request (page faults on fresh mappings); requests of the usual size
allocate nothing that large (docs/performance.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

#: mallopt's parameter numbers (malloc.h: M_TRIM_THRESHOLD, M_MMAP_THRESHOLD).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1 << 20
#: Free memory at the top of the heap kept for reuse: twice the mmap threshold, as glibc's own
#: dynamic setting keeps, rather than the 128 KiB that fixing the threshold would leave.
TRIM_THRESHOLD_BYTES = 2 * MMAP_THRESHOLD_BYTES


def return_large_buffers_to_os() -> bool:
    """Fix glibc's mmap threshold at MMAP_THRESHOLD_BYTES in this process (and in the processes
    it forks later). False where the C library is not glibc: nothing is changed there."""
    if platform.libc_ver()[0] != "glibc":
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    fixed = libc.mallopt(ctypes.c_int(_M_MMAP_THRESHOLD), ctypes.c_int(MMAP_THRESHOLD_BYTES))
    trimmed = libc.mallopt(ctypes.c_int(_M_TRIM_THRESHOLD), ctypes.c_int(TRIM_THRESHOLD_BYTES))
    return bool(fixed) and bool(trimmed)
