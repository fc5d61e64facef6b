"""Leader election for the refresher: of several replicas sharing one store, only the lease holder refreshes.

The lease lives in the store itself. On S3 it is one small JSON object written with conditional
PUTs (`If-None-Match: *` to create it, `If-Match: <etag>` to renew, take over or give it up), so the
bucket's own compare-and-swap decides every race. A lease is expired when a contender has seen the
same ETag for `leader_lease_seconds` on its own clock (as Kubernetes' leader election does), so
replicas' wall clocks need not agree. On a local folder the lease is a `filelock` in the data dir,
which the OS frees when its holder dies.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from filelock import FileLock, Timeout

from bot.index import table_name
from bot.settings import Settings
from bot.storage import is_object_store, s3_client, s3_location

log = logging.getLogger(__name__)
Clock = Callable[[], float]
LOST = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")


class Lease(Protocol):
    """One lease: `try_acquire` takes or renews it (False while another holds it); `release` gives it up."""

    def try_acquire(self) -> bool: ...

    def release(self) -> None: ...


class FileLease:
    """A lease on a local store: an exclusive file lock held for as long as this process leads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(path), timeout=0, thread_local=False)

    def try_acquire(self) -> bool:
        if self._lock.is_locked:
            return True
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release(force=True)


class S3Lease:
    """A lease object in a bucket, taken and renewed with S3 conditional writes."""

    def __init__(
        self, client: Any, bucket: str, key: str, holder: str, seconds: float, clock: Clock = time.monotonic
    ) -> None:
        self.client, self.bucket, self.key = client, bucket, key
        self.holder, self.seconds, self.clock = holder, seconds, clock
        self._etag: str | None = None
        self._seen: tuple[str, float] | None = None

    def try_acquire(self) -> bool:
        if self._etag is not None:
            return self._put(self.holder, IfMatch=self._etag)
        current = self._read()
        if current is None:
            return self._put(self.holder, IfNoneMatch="*")
        etag, holder = current
        if holder and not self._expired(etag):
            return False
        return self._put(self.holder, IfMatch=etag)

    def release(self) -> None:
        """Mark the lease free (a conditional write, so a lease already taken over is left alone)."""
        if self._etag is not None:
            self._put("", IfMatch=self._etag)
            self._etag = None

    def _read(self) -> tuple[str, str] | None:
        """The lease's ETag and holder ("" when released), or None when there is no lease object."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.key)
        except self.client.exceptions.NoSuchKey:
            return None
        holder = json.loads(response["Body"].read() or b"{}").get("holder", "")
        return response["ETag"], str(holder)

    def _expired(self, etag: str) -> bool:
        """True once this contender has seen the same ETag, unrenewed, for a whole lease period."""
        now = self.clock()
        if self._seen is None or self._seen[0] != etag:
            self._seen = (etag, now)
        return now - self._seen[1] >= self.seconds

    def _put(self, holder: str, **condition: str) -> bool:
        from botocore.exceptions import ClientError

        body = json.dumps({"holder": holder, "lease_seconds": self.seconds, "written_at": time.time()})
        try:
            response = self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=body.encode(), ContentType="application/json", **condition
            )
        except ClientError as err:
            if str(err.response.get("Error", {}).get("Code")) in LOST:
                self._etag = None
                return False
            raise
        self._etag = response["ETag"] if holder else None
        return True


class Leader:
    """One contender: `campaign()` takes or renews the lease; `is_leader` holds only while a renewal is fresh."""

    def __init__(self, lease: Lease, seconds: float, clock: Clock = time.monotonic) -> None:
        self.lease, self.seconds, self.clock = lease, seconds, clock
        self._renewed: float | None = None
        self._lock = threading.Lock()

    @property
    def renew_seconds(self) -> float:
        """How often the leader renews: three times per lease period."""
        return self.seconds / 3

    @property
    def is_leader(self) -> bool:
        """True while the last successful renewal was sent less than two thirds of a lease ago.

        Contenders take over a lease only a whole period after its last write, so a leader that stalls
        stops believing it leads before anyone else starts to.
        """
        renewed = self._renewed
        return renewed is not None and self.clock() - renewed < self.seconds * 2 / 3

    def campaign(self) -> bool:
        """One round: become or stay the leader. Store errors count as a lost round, never raise."""
        with self._lock:
            was, sent = self.is_leader, self.clock()
            try:
                held = self.lease.try_acquire()
            except Exception as err:  # noqa: BLE001 - an unreachable store means "not leading", not a crash
                log.warning("leader lease round failed: %s", err)
                held = False
            self._renewed = sent if held else None
        if held != was:
            log.info("refresher leadership %s", "taken" if held else "lost")
        return held

    def resign(self) -> None:
        """Give the lease up at once, so another replica need not wait for it to expire."""
        with self._lock:
            if self._renewed is not None:
                self._renewed = None
                try:
                    self.lease.release()
                except Exception as err:  # noqa: BLE001 - it will expire anyway
                    log.warning("could not release the leader lease: %s", err)

    @contextmanager
    def hold(self, limit: float | None = None) -> Iterator[bool]:
        """Lead for the duration of a block (a one-off refresh); yields False when another replica leads.

        Renewals stop after `limit` seconds and the lease is given up, even if the block is stuck, so a hung
        refresh cannot keep every other replica from refreshing.
        """
        if self.is_leader:
            yield True
            return
        if not self.campaign():
            yield False
            return
        stop = threading.Event()
        until = None if limit is None else self.clock() + limit
        renewer = threading.Thread(target=self._renew_until, args=(stop, until), name="supportbot-lease", daemon=True)
        renewer.start()
        try:
            yield True
        finally:
            stop.set()
            renewer.join()
            self.resign()

    def _renew_until(self, stop: threading.Event, until: float | None) -> None:
        while not stop.wait(self.renew_seconds):
            if until is not None and self.clock() >= until:
                log.warning("giving up the refresher lease: the refresh ran past its time limit")
                self.resign()
                return
            self.campaign()


def lease_name(settings: Settings) -> str:
    """One lease per knowledge base, whatever embedding model its table was built with."""
    return table_name(settings, "")[:-2]


def holder_id() -> str:
    """A name for this process that is unique across replicas and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def open_leader(settings: Settings) -> Leader:
    """The leader contender for the settings' store: an S3 lease object, or a lock file in the data dir."""
    name = lease_name(settings)
    lease: Lease
    if is_object_store(settings.lancedb_uri):
        place = s3_location(settings.lancedb_uri)
        key = place.key("_supportbot", f"{name}.leader.json")
        lease = S3Lease(s3_client(settings), place.bucket, key, holder_id(), settings.leader_lease_seconds)
    else:
        lease = FileLease(Path(settings.data_dir) / f"{name}.leader.lock")
    return Leader(lease, settings.leader_lease_seconds)
