"""Memory a question freed goes back to the system (glibc only; elsewhere the calls are no-ops)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from bot.memory import ARENAS, glibc


def test_memory_a_question_freed_goes_back_to_the_system() -> None:
    if glibc() is None:
        pytest.skip("not glibc")
    # in a fresh process, so that nothing else's memory moves the figure: 64 KiB blocks (under glibc's mmap threshold,
    # so from its heap) between small ones that stay, freed; the heap cannot shrink past the small ones
    script = textwrap.dedent(
        """
        from bot.memory import release_freed

        def rss_mb():
            for line in open("/proc/self/status"):
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) // 1024

        kept, freed = [], []
        for _ in range(3000):
            freed.append(bytearray(64 * 1024))
            kept.append(bytearray(512))
        del freed
        before = rss_mb()
        release_freed()
        print(before, rss_mb())
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    before, after = map(int, out.split())
    assert before - after > 100  # of the 190 MB freed


def test_threads_share_the_limited_malloc_pools() -> None:
    if glibc() is None:
        pytest.skip("not glibc")
    # six threads allocating at once take a pool each (seven with the main one) unless the pools are limited;
    # glibc's malloc_stats prints one "Arena N:" line per pool
    script = textwrap.dedent(
        """
        import sys, threading
        from bot.memory import glibc, limit_arenas

        if sys.argv[1] == "limited":
            limit_arenas()
        barrier, kept = threading.Barrier(6), []

        def allocate():
            barrier.wait()
            kept.append([bytearray(2048) for _ in range(2000)])
            barrier.wait()

        threads = [threading.Thread(target=allocate) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        glibc().malloc_stats()
        """
    )

    def pools(how: str) -> int:
        run = subprocess.run([sys.executable, "-c", script, how], capture_output=True, text=True, check=True)
        return sum(1 for line in run.stderr.splitlines() if line.startswith("Arena "))

    assert pools("default") > ARENAS
    assert pools("limited") == ARENAS
