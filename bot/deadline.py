"""The time by which the work of one ask must end.

The Slack layer's time budget sets it (`until`) around the work it abandons when the time runs out, and the engine
checks it before its costly steps (`check`: each call of an OCR engine, each frame a recording decodes, each packet of
sound decoded, each 30 s window of speech heard): so work the asker was already told about stops at its next step
instead of keeping its worker busy for minutes. Work run without a deadline (the CLI, an eval) never stops.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from bot.errors import BotError

DEADLINE: ContextVar[float] = ContextVar("supportbot_deadline", default=math.inf)


class PastDeadline(BotError):
    """The ask's time budget ran out while its work went on."""

    message = "That took me too long to read; please send a smaller screenshot, a shorter clip or a few words instead."


@contextmanager
def until(deadline: float) -> Iterator[None]:
    """Run the block with `deadline` (a `time.monotonic()` value) as its work's deadline."""
    token = DEADLINE.set(deadline)
    try:
        yield
    finally:
        DEADLINE.reset(token)


def check() -> None:
    """Raise `PastDeadline` when the deadline of the work running has passed."""
    if time.monotonic() > DEADLINE.get():
        raise PastDeadline()
