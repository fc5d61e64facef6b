"""Give back to the system the memory a question freed.

glibc's allocator keeps what a process frees for its own reuse: one pool ("arena") per thread that allocated,
up to eight per core, and in each the pages around what is still in use. A bot that reads screens and sound on
several threads (OCR, speech, Slack workers) so grows from question to question. Two pools, and trimming them once
a question is answered, keep that growth down (measured in docs/PERFORMANCE.md). Elsewhere than glibc (macOS, musl)
both are no-ops.
"""

from __future__ import annotations

import ctypes
from functools import cache
from typing import Any

ARENAS = 2  # malloc pools for the process; glibc's default is up to 8 per core
M_ARENA_MAX = -8  # mallopt's parameter number for the pool limit (malloc.h)


@cache
def glibc() -> Any:
    """The process's C library when it is glibc (it has `malloc_trim`), else None."""
    libc = ctypes.CDLL(None)  # the symbols already loaded: no library search, no `ldconfig` run
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def limit_arenas(count: int = ARENAS) -> None:
    """At most `count` malloc pools for the whole process: call it before threads start, as pools are made per
    thread on first use."""
    libc = glibc()
    if libc is not None:
        libc.mallopt(M_ARENA_MAX, count)


def release_freed() -> None:
    """Return the whole pages that freed memory holds to the system (what a question's pictures and frames took)."""
    libc = glibc()
    if libc is not None:
        libc.malloc_trim(0)
