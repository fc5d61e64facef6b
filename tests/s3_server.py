"""A local S3 server for tests: moto in server mode on 127.0.0.1, reached only through the AWS_* variables.

Its `gate` can hold LanceDB commits (PUTs of `_versions/*.manifest`) so a test can kill a writer at the
exact moment its data files are uploaded but its commit is not. `answer_queries` is the body of a
reader process (spawned, so it imports this light module rather than a test module).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from typing import Any

import pytest

HELD_SECONDS = 120.0


@dataclass
class CommitGate:
    """While armed, every LanceDB manifest write waits (then fails); `held` is set when one arrives."""

    armed: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)
    opened: threading.Event = field(default_factory=threading.Event)

    def wrap(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        def gated(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            commit = environ["REQUEST_METHOD"] == "PUT" and "/_versions/" in environ.get("PATH_INFO", "")
            if commit and self.armed.is_set():
                self.held.set()
                self.opened.wait(HELD_SECONDS)
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"held by the test"]
            return app(environ, start_response)

        return gated


@dataclass(frozen=True)
class LocalS3:
    endpoint: str
    gate: CommitGate


@contextmanager
def local_s3() -> Iterator[LocalS3]:
    """Start moto on a free port, point the standard AWS variables at it, yield its endpoint and gate."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    gate = CommitGate()

    class GatedMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = gate.wrap(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = GatedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
        }.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ALLOW_HTTP", "SUPPORTBOT_DB_URI"):
            patch.delenv(name, raising=False)
        try:
            yield LocalS3(endpoint, gate)
        finally:
            gate.opened.set()
            server.stop()


def new_bucket(endpoint: str) -> str:
    """A fresh, empty bucket on the local server."""
    import boto3

    name = f"kb-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=name)
    return name


def answer_queries(settings: Any, requests: Queue, answers: Queue) -> None:
    """A reader replica: one warm matcher over the bucket, answering texts until it gets None.

    Each answer is (pid, table version, best bug id or None).
    """
    import os

    from bot.matcher import Matcher
    from bot.records import Query

    matcher = Matcher.from_settings(settings)
    matcher.embedder.encode_texts(["warm up"])
    answers.put((os.getpid(), None, "ready"))
    while (text := requests.get()) is not None:
        answer = matcher.match(Query(text=text))
        best = answer.best.bug.id if answer.best else None
        answers.put((os.getpid(), matcher.index.snapshot().version, best))
