"""Delivery claims on SQLite and a real PostgreSQL server: once per key across threads and processes, states,
stale claims taken over by exactly one redelivery, release."""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from bot.slack.claims import SlackStore
from bot.store import schema
from tests.support import at_once

KEYS = [f"msg:C1:{n}.0" for n in range(40)]


@pytest.fixture
def settings(state_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", state_url=state_url)


@pytest.fixture
def store(settings: Settings) -> Any:
    opened = SlackStore.open(settings)
    yield opened
    opened.close()


def states(store: SlackStore) -> dict[str, str]:
    with store.db.begin() as conn:
        return {r.key: r.state for r in conn.execute(schema.claims.select())}


def test_a_key_is_claimed_once_and_survives_a_restart(store: SlackStore, settings: Settings) -> None:
    assert store.claim("msg:C1:1.0", stale_seconds=600) is True
    assert store.claim("msg:C1:1.0", stale_seconds=600) is False
    store.finish("msg:C1:1.0")
    assert states(store) == {"msg:C1:1.0": "answered"}
    reopened = SlackStore.open(settings)
    assert reopened.claim("msg:C1:1.0", stale_seconds=0) is False, "an answered claim is never taken over"
    assert reopened.claim("msg:C1:2.0", stale_seconds=600) is True
    reopened.release("msg:C1:2.0")
    assert reopened.claim("msg:C1:2.0", stale_seconds=600) is True, "released work may be tried again"
    reopened.close()


def test_an_unfinished_claim_goes_stale_and_one_redelivery_takes_it_over(store: SlackStore) -> None:
    assert store.claim("msg:C1:3.0", stale_seconds=600) is True  # then the process dies mid-answer
    assert store.claim("msg:C1:3.0", stale_seconds=600) is False, "fresh: someone may still be answering"
    with store.db.begin() as conn:
        conn.execute(schema.claims.update().values(claimed_at=time.time() - 601))
    wins = at_once(6, lambda: store.claim("msg:C1:3.0", stale_seconds=600))
    assert sorted(wins) == [False] * 5 + [True]
    assert states(store) == {"msg:C1:3.0": "claimed"}


def test_concurrent_claims_have_one_winner(store: SlackStore) -> None:
    wins = at_once(8, lambda: store.claim("msg:C1:9.9"))
    assert sorted(wins) == [False] * 7 + [True]


def claim_all(settings: Settings, start: Any, keys: list[str], won: Any) -> None:
    """A replica: wait for the start signal, then claim every key (each process in its own order)."""
    store = SlackStore.open(settings)
    start.wait()
    for key in keys:
        if store.claim(key, stale_seconds=600):
            won.put(key)
    store.close()
    won.put(None)


def test_replica_processes_racing_for_the_same_deliveries_each_win_once(settings: Settings) -> None:
    SlackStore.open(settings).close()  # migrated once, as `serve` does before it takes events
    context = multiprocessing.get_context("spawn")
    start, won = context.Event(), context.Queue()
    orders = [KEYS, KEYS[::-1], KEYS[1::2] + KEYS[::2], KEYS]
    replicas = [context.Process(target=claim_all, args=(settings, start, keys, won)) for keys in orders]
    for replica in replicas:
        replica.start()
    time.sleep(1.0)
    start.set()
    winners: Counter[str] = Counter()
    done = 0
    while done < len(replicas):
        key = won.get(timeout=120)
        done += key is None
        if key is not None:
            winners[key] += 1
    for replica in replicas:
        replica.join(30)
        assert replica.exitcode == 0
    assert winners == Counter({key: 1 for key in KEYS})
