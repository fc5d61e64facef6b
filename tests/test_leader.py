"""Leader election: on a local S3 server (moto) and on a local folder, exactly one contender leads and
another takes over once the leader stops renewing (dies) or resigns."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.leader import FileLease, Leader, S3Lease, open_leader
from bot.refresh import RefreshReport
from bot.schedule import run_refresh
from bot.settings import Settings
from tests.s3_server import local_s3, new_bucket

LEASE = 30.0


class FakeClock:
    """A monotonic clock the test moves by hand (no sleeping, no timing assertions)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with local_s3() as server:
        yield server.endpoint


def s3_contender(endpoint: str, bucket: str, holder: str, clock: FakeClock) -> Leader:
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint)
    return Leader(S3Lease(client, bucket, "kb/_supportbot/lease.json", holder, LEASE, clock), LEASE, clock)


@pytest.fixture
def pair(endpoint: str) -> tuple[Leader, Leader, FakeClock]:
    clock, bucket = FakeClock(), new_bucket(endpoint)
    return s3_contender(endpoint, bucket, "a", clock), s3_contender(endpoint, bucket, "b", clock), clock


def test_two_contenders_exactly_one_leads_and_keeps_leading(pair: tuple[Leader, Leader, FakeClock]) -> None:
    a, b, clock = pair
    for _ in range(5):
        results = [a.campaign(), b.campaign()]
        assert results == [True, False]
        assert (a.is_leader, b.is_leader) == (True, False)
        clock.now += a.renew_seconds


def test_a_leader_that_stops_renewing_is_replaced_after_the_lease_expires(
    pair: tuple[Leader, Leader, FakeClock],
) -> None:
    a, b, clock = pair
    assert a.campaign() and not b.campaign()
    clock.now += LEASE / 2
    assert not b.campaign(), "half a lease without renewal is not yet expiry"
    clock.now += LEASE * 0.4
    assert not a.is_leader, "a stalled leader stops believing it leads before anyone can take over"
    assert not b.campaign()
    clock.now += LEASE * 0.1
    assert b.campaign() and b.is_leader, "a whole lease period unrenewed: b takes over"
    assert not a.campaign(), "the old leader's renewal is refused (its ETag is stale)"
    assert (a.is_leader, b.is_leader) == (False, True)


def test_a_resigning_leader_hands_over_at_once(pair: tuple[Leader, Leader, FakeClock]) -> None:
    a, b, _ = pair
    assert a.campaign() and not b.campaign()
    a.resign()
    assert not a.is_leader
    assert b.campaign(), "a released lease is free without waiting for expiry"
    assert not a.campaign()


def test_hold_refuses_while_another_leads_and_releases_after(pair: tuple[Leader, Leader, FakeClock]) -> None:
    a, b, _ = pair
    with a.hold() as held:
        assert held
        with b.hold() as other:
            assert not other
    with b.hold() as held:
        assert held, "a's one-off hold released the lease on the way out"


def test_an_unreachable_store_means_not_leading(endpoint: str) -> None:
    clock = FakeClock()
    dead = s3_contender("http://127.0.0.1:9", "nowhere", "a", clock)
    dead.lease.client.meta.config.retries = {"max_attempts": 1}  # type: ignore[attr-defined]
    assert not dead.campaign() and not dead.is_leader


def test_open_leader_uses_the_bucket_for_an_s3_store(endpoint: str) -> None:
    bucket = new_bucket(endpoint)
    settings = Settings(db_uri=f"s3://{bucket}/team/kb", knowledge_dir=Path("knowledge"))
    first, second = open_leader(settings), open_leader(settings)
    assert first.campaign() and not second.campaign()
    import boto3

    keys = [o["Key"] for o in boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("team/kb/_supportbot/") and keys[0].endswith(".leader.json")
    first.resign()


HOLDER = """
import sys, time
from pathlib import Path
from bot.leader import FileLease
lease = FileLease(Path(sys.argv[1]))
assert lease.try_acquire()
print("leading", flush=True)
time.sleep(600)
"""


def test_local_store_one_leader_and_takeover_when_the_holder_dies(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=tmp_path / "knowledge")
    a, b = open_leader(settings), open_leader(settings)
    assert isinstance(a.lease, FileLease)
    assert a.campaign() and not b.campaign()
    assert a.campaign(), "renewing a held lock keeps it"
    a.resign()
    assert b.campaign()
    b.resign()
    lock = Path(a.lease._lock.lock_file)  # type: ignore[attr-defined]
    assert lock.parent == tmp_path / "data" and lock.name.endswith(".leader.lock")
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "leading"
        survivor = Leader(FileLease(lock), LEASE)
        assert not survivor.campaign(), "another process leads"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert survivor.campaign(), "the dead holder's lock is freed by the OS"
    finally:
        child.kill()
        child.wait()


class Counting:
    """A refresher stand-in that counts its runs (the scheduler's job only needs `refresh` and `leader`)."""

    def __init__(self, leader: Leader) -> None:
        self.leader, self.calls = leader, 0

    def refresh(self, progress: object = None) -> RefreshReport:
        self.calls += 1
        return RefreshReport(version=1)


def test_only_the_leader_runs_the_scheduled_refresh(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=tmp_path / "knowledge")
    a, b = Counting(open_leader(settings)), Counting(open_leader(settings))
    assert run_refresh(a) is not None and run_refresh(b) is None
    assert (a.calls, b.calls) == (1, 0)
    a.leader.resign()
    assert run_refresh(b) is not None and b.calls == 1, "the next replica takes over"
    b.leader.resign()
