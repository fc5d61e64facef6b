"""How much of a very long log is read: its first and last lines, a bounded number of them, so that a log of
millions of short lines (or an export of millions of rows) costs no more than a log of ordinary size."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable
from typing import TypeVar

READ_LINES = 50_000  # a log's lines read at most: a log of 5 MB (`max_snippet_bytes`) in lines of 100 characters
HEAD_LINES = READ_LINES // 5  # of them, the first lines (where its program started); the rest its last

Item = TypeVar("Item")


def read_part(items: Iterable[Item]) -> list[Item]:
    """The lines (or records) of a log as read: all of them up to `READ_LINES`; of a longer one, its first
    `HEAD_LINES` and its last ones (where it failed), `READ_LINES` in all. An iterator is read once, keeping no more."""
    found = iter(items)
    head = list(itertools.islice(found, HEAD_LINES))
    return head + list(deque(found, maxlen=READ_LINES - len(head)))
