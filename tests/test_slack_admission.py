"""Load shedding pieces: the token buckets, the time budget, and where private replies may go."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.settings import Settings
from bot.slack.admission import RateLimiter
from bot.slack.blocks import error_message
from bot.slack.budget import Budget, TooSlow
from bot.slack.claims import SlackStore
from bot.slack.delivery import Delivery, DeliveryFailed
from bot.slack.intake import Ask
from bot.store import schema
from tests.fake_slack import BOT_TOKEN, FakeSlack, RecordingHost
from tests.support import at_once


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_020.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(state_url: str, tmp_path: Path) -> Iterator[SlackStore]:
    opened = SlackStore.open(Settings(data_dir=tmp_path / "data", state_url=state_url))
    yield opened
    opened.close()


def test_each_user_and_channel_has_a_bucket_of_one_minutes_worth(store: SlackStore) -> None:
    clock = Clock()
    limiter = RateLimiter(store, user_per_minute=3, channel_per_minute=5, clock=clock)
    assert [limiter.admit("U1", "C1") for _ in range(4)] == [None, None, None, "user"]
    assert [limiter.admit("U2", "C1") for _ in range(3)] == [None, None, "channel"]
    clock.now += 20.0  # one user token back (3 a minute), and 5/3 channel tokens
    assert limiter.admit("U1", "C1") is None
    assert limiter.admit("U2", "C1") == "channel", "U2's token was not spent when the channel refused"
    assert limiter.admit("U2", "C2") is None


def test_replicas_sharing_a_store_share_the_limits(store: SlackStore, state_url: str, tmp_path: Path) -> None:
    clock = Clock()
    other = SlackStore.open(Settings(data_dir=tmp_path / "other", state_url=state_url))
    try:
        replicas = [RateLimiter(s, user_per_minute=10, channel_per_minute=100, clock=clock) for s in (store, other)]
        admitted = at_once(20, lambda: [r.admit("U1", f"C{n}") for n, r in enumerate(replicas)])
        assert sum(found is None for pair in admitted for found in pair) == 10, "one bucket for both replicas"
        assert sum(found == "user" for pair in admitted for found in pair) == 30
    finally:
        other.close()


def test_a_flood_is_told_once_a_minute_on_any_replica(store: SlackStore) -> None:
    clock = Clock()
    limiter, elsewhere = RateLimiter(store, 1, 100, clock=clock), RateLimiter(store, 1, 100, clock=clock)
    assert [limiter.first_refusal("U1") for _ in range(2)] + [elsewhere.first_refusal("U1")] == [True, False, False]
    assert limiter.first_refusal("U2")
    clock.now += 61
    assert elsewhere.first_refusal("U1")
    assert "more than 1 questions" in limiter.sentence("user") and "channel" in limiter.sentence("channel")


def test_idle_buckets_are_purged_with_the_rest(store: SlackStore) -> None:
    RateLimiter(store, 10, 10, clock=lambda: time.time() - 7200).admit("U1", "C1")
    RateLimiter(store, 10, 10).admit("U2", "C2")
    store.purge(before=0.0)
    with store.db.begin() as conn:
        assert sorted(r.key for r in conn.execute(schema.rate_buckets.select())) == ["channel:C2", "user:U2"]


def test_the_budget_returns_in_time_or_raises_and_bounds_abandoned_work() -> None:
    budget = Budget(threads=1, seconds=0.3)
    assert budget.run(lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        budget.run(lambda: 1 // 0)
    release = threading.Event()
    with pytest.raises(TooSlow):
        budget.run(release.wait)
    with pytest.raises(TooSlow):
        budget.run(lambda: 1)  # the only thread is still busy with the abandoned work
    release.set()
    assert budget.run(lambda: 2) == 2


def test_abandoned_work_that_checks_the_deadline_ends_there_and_frees_its_slot() -> None:
    from bot.deadline import PastDeadline, check

    budget = Budget(threads=1, seconds=0.3)
    ended = threading.Event()

    def long_reading() -> None:
        try:
            for _ in range(1000):  # ten seconds of steps, each checking the deadline first
                check()
                time.sleep(0.01)
        finally:
            ended.set()

    with pytest.raises(TooSlow) as told:
        budget.run(long_reading)
    assert isinstance(told.value, PastDeadline)
    assert ended.wait(1.0), "the work stopped at its next check"
    assert budget.run(lambda: 2) == 2, "its slot is free again"
    check()  # no deadline outside the budget's work


def test_private_replies_go_only_to_the_allowed_hook_hosts(fake: FakeSlack) -> None:
    elsewhere = RecordingHost()
    try:
        delivery = Delivery(Settings(slack_response_hosts=fake.base), WebClient(BOT_TOKEN, base_url=fake.api_url))
        ask = Ask("command", "C1", "U1", "hi", reply_in="ephemeral", response_url=f"{elsewhere.base}/hook")
        with pytest.raises(DeliveryFailed):
            delivery.respond(ask, error_message(["hello"]))
        delivery.tell(ask, "busy")
        assert elsewhere.requests == []
        delivery.tell(Ask("command", "C1", "U1", response_url=fake.response_url("ok")), "busy")
        assert fake.responded("ok")[0]["text"] == "busy"
        assert Settings().slack_response_hosts == "hooks.slack.com"
    finally:
        elsewhere.close()
