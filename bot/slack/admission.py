"""Load shedding: per-user and per-channel token buckets (in the store: one limit for every replica), and the
sentences for asks that are not taken."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from bot.slack.claims import SlackStore

log = logging.getLogger(__name__)

Refusal = Literal["user", "channel", "busy"]
BUSY = "I'm answering a lot of questions right now and couldn't take this one; please ask again in a few minutes."
LIMITS: tuple[Refusal, Refusal] = ("user", "channel")  # in the order their buckets are asked for


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


class RateLimiter:
    """Admits an ask when both its user's and its channel's bucket hold a token (and then takes one from each). The
    buckets live in the store, so the limits hold across every replica that shares it; if the store cannot be
    reached the ask is admitted (a flood is better than a lost question)."""

    def __init__(
        self,
        store: SlackStore,
        user_per_minute: float,
        channel_per_minute: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.per_minute: dict[Refusal, float] = {"user": user_per_minute, "channel": channel_per_minute}
        self.clock = clock

    def admit(self, user: str, channel: str) -> Refusal | None:
        """None when the ask may go ahead, else which limit it is over."""
        buckets = [(f"user:{user}", self.per_minute["user"]), (f"channel:{channel}", self.per_minute["channel"])]
        try:
            empty = self.store.take_tokens(buckets, self.clock())
        except SQLAlchemyError:
            log.exception("rate limits not checked for %s in %s: the store cannot be reached", user, channel)
            return None
        return None if empty is None else LIMITS[empty]

    def first_refusal(self, user: str) -> bool:
        """True at most once a minute per user (on any replica), so a flood gets one notice, not one per message."""
        key = f"rate-notice:{user}:{int(self.clock() // 60)}"
        try:
            if not self.store.claim(key):
                return False
            self.store.finish(key)
        except SQLAlchemyError:
            log.exception("could not note the rate-limit notice to %s", user)
        return True

    def sentence(self, refusal: Refusal) -> str:
        return refusal_sentence(refusal, self.per_minute.get(refusal, 0.0))
