"""A worker gives a large request's buffers back to the operating system once they are freed
(cds_hooks.malloc_tuning): measured as the process's resident memory, in a fresh process."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="the tuning applies to glibc's allocator only"
)

#: Frees two 8 MiB buffers, the second after glibc (left to itself) has raised its mmap threshold
#: past 8 MiB on the first free, and prints how much resident memory stayed behind, in KiB.
_PROBE = """
import sys
from cds_hooks.malloc_tuning import return_large_buffers_to_os

def resident_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

if sys.argv[1] == "tuned":
    assert return_large_buffers_to_os()
before = resident_kib()
for _ in range(2):
    buffer = b"x" * (8 << 20)
    del buffer
print(resident_kib() - before)
"""


def _kept_kib(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def test_freed_large_buffers_leave_the_resident_memory() -> None:
    assert _kept_kib("tuned") < 2 * 1024


def test_without_the_tuning_the_second_buffer_stays_resident() -> None:
    """The control: glibc's own behaviour, which the tuning exists to change."""
    assert _kept_kib("untuned") >= 6 * 1024
