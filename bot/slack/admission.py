"""Load shedding: per-user and per-channel token buckets, and the sentences for asks that are not taken."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Refusal = Literal["user", "channel", "busy"]
BUSY = "I'm answering a lot of questions right now and couldn't take this one; please ask again in a few minutes."
PRUNE_AT = 10_000  # buckets kept before full (idle) ones are dropped


def refusal_sentence(refusal: Refusal, per_minute: float) -> str:
    """What the asker is told when an ask is not taken."""
    if refusal == "user":
        return (
            f"You've asked me more than {per_minute:g} questions in a minute, so I skipped this one; "
            "please wait a minute and ask again."
        )
    if refusal == "channel":
        return (
            f"This channel asked me more than {per_minute:g} questions in a minute, so I skipped this one; "
            "please ask again in a minute."
        )
    return BUSY


@dataclass
class TokenBucket:
    """`capacity` tokens, refilled continuously at `capacity` per minute; an ask takes one."""

    capacity: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.capacity / 60.0)
        self.updated = now


class RateLimiter:
    """Admits an ask when both its user's and its channel's bucket hold a token (and then takes one from each)."""

    def __init__(
        self, user_per_minute: float, channel_per_minute: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = {"user": user_per_minute, "channel": channel_per_minute}
        self.clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._quiet_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def admit(self, user: str, channel: str) -> Refusal | None:
        """None when the ask may go ahead, else which limit it is over."""
        now = self.clock()
        with self._lock:
            mine = self._bucket("user", user, now)
            theirs = self._bucket("channel", channel, now)
            checks: tuple[tuple[Refusal, TokenBucket], ...] = (("user", mine), ("channel", theirs))
            for refusal, bucket in checks:
                if bucket.tokens < 1.0:
                    return refusal
            mine.tokens -= 1.0
            theirs.tokens -= 1.0
            return None

    def first_refusal(self, user: str) -> bool:
        """True at most once a minute per user, so a flood gets one notice rather than one per message."""
        now = self.clock()
        with self._lock:
            if now < self._quiet_until.get(user, 0.0):
                return False
            self._quiet_until[user] = now + 60.0
            return True

    def sentence(self, refusal: Refusal) -> str:
        return refusal_sentence(refusal, self.per_minute.get(refusal, 0.0))

    def _bucket(self, kind: str, name: str, now: float) -> TokenBucket:
        key = (kind, name)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= PRUNE_AT:
                self._prune(now)
            capacity = self.per_minute[kind]
            bucket = self._buckets[key] = TokenBucket(capacity, capacity, now)
        bucket.refill(now)
        return bucket

    def _prune(self, now: float) -> None:
        """Drop buckets that have refilled (a new one starts full anyway) and notices that have lapsed."""
        for key, bucket in list(self._buckets.items()):
            bucket.refill(now)
            if bucket.tokens >= bucket.capacity:
                del self._buckets[key]
        self._quiet_until = {user: until for user, until in self._quiet_until.items() if until > now}
