"""Run each ask's work within a time budget, on at most as many threads as there are workers.

Python cannot stop a thread, so work past its budget is abandoned, not killed: the asker gets a sentence at
once, the late result is dropped, and the thread keeps its slot until it ends, so abandoned work never adds
to the load. The work runs with the budget's end as its deadline (`bot.deadline`), which the engine checks before
each OCR call and recording frame: abandoned work ends there, and its slot is free again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from bot.deadline import PastDeadline, until

T = TypeVar("T")


class TooSlow(PastDeadline):
    """An ask's downloads and matching did not finish within `slack_ask_seconds`."""


class Budget:
    """`run(work)` returns work's result, or raises `TooSlow` when the budget runs out first."""

    def __init__(self, threads: int, seconds: float) -> None:
        self.seconds = seconds
        self._slots = threading.BoundedSemaphore(threads)

    def run(self, work: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.seconds
        if not self._slots.acquire(timeout=self.seconds):
            raise TooSlow()
        done = threading.Event()
        outcome: list[tuple[bool, Any]] = []

        def target() -> None:
            try:
                with until(deadline):
                    outcome.append((True, work()))
            except BaseException as err:  # noqa: BLE001 - handed to the waiting worker below
                outcome.append((False, err))
            finally:
                self._slots.release()
                done.set()

        threading.Thread(target=target, name="supportbot-work", daemon=True).start()
        if not done.wait(max(0.0, deadline - time.monotonic())):
            raise TooSlow()
        ok, value = outcome[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]
