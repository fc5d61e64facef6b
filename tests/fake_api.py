"""A small HTTP server on 127.0.0.1 for fake tracker APIs: routes, a request log, scripted faults.

Faults are queued per path prefix and used up in order: a rate-limit answer, a server error, or a dropped
connection (the socket is closed without a reply, as when the network fails).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Any:
    """A recorded response shape from tests/fixtures/ (JSON)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Request:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    drop: bool = False


Route = Callable[[Request, re.Match[str]], Reply]


class FakeApi:
    """Serves `routes` (regex on the path -> handler) and records every request."""

    def __init__(self) -> None:
        self.routes: list[tuple[re.Pattern[str], Route]] = []
        self.requests: list[Request] = []
        self.faults: list[tuple[str, Reply]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                fake.handle(self)

            def do_POST(self) -> None:  # noqa: N802
                fake.handle(self)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def route(self, pattern: str, handler: Route) -> None:
        self.routes.append((re.compile(pattern), handler))

    def fail(self, path_prefix: str, reply: Reply, times: int = 1) -> None:
        """The next `times` requests whose path starts with `path_prefix` get `reply` instead."""
        with self.lock:
            self.faults += [(path_prefix, reply)] * times

    def count(self, path_pattern: str = "") -> int:
        return sum(1 for r in self.requests if re.search(path_pattern, r.path))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        parsed = urlparse(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        request = Request(handler.command, parsed.path, parse_qs(parsed.query), dict(handler.headers.items()))
        with self.lock:
            self.requests.append(request)
            fault = next((f for f in self.faults if parsed.path.startswith(f[0])), None)
            if fault is not None:
                self.faults.remove(fault)
        reply = fault[1] if fault is not None else self.dispatch(request)
        if reply.drop:
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        self.send(handler, reply)

    def dispatch(self, request: Request) -> Reply:
        for pattern, route in self.routes:
            found = pattern.fullmatch(request.path)
            if found:
                return route(request, found)
        return Reply(404, {"message": "Not Found"})

    def send(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        data = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        handler.send_response(reply.status)
        headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
