"""A 300 MB POST to /slack/events, unsigned and then with made-up signature headers: how fast is it refused, and
how much memory does the server take meanwhile? (issue 13: refused in < 1 s with < 50 MB RSS growth)

Runs the real HTTP server (`bot.slack.serve.make_http_server` around the bolt app, against the fake Slack on
127.0.0.1) in this process; a raw-socket client streams the body from one reused 1 MB buffer, so the RSS growth
measured is the server's. The clock stops when the server answers (or drops the connection).

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.hostile_post
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.burst import Sampler, rss_mb
from bot.records import Answer, Query
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.serve import make_http_server
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack

CHUNK = b"\0" * (1 << 20)


class NoEngine:
    """The bench sends nothing answerable: every request must be refused before an ask exists."""

    def match(self, query: Query) -> Answer:
        raise AssertionError("a refused request reached the engine")


def post(port: int, total_mb: int, signed: bool) -> tuple[str, float, int]:
    """Stream a POST of `total_mb` MB; (the answer's status line or how the connection ended, seconds, MB sent)."""
    headers = ["POST /slack/events HTTP/1.1", "Host: bot", "Content-Type: application/json"]
    headers.append(f"Content-Length: {total_mb << 20}")
    if signed:
        headers += ["X-Slack-Signature: v0=" + "0" * 64, f"X-Slack-Request-Timestamp: {int(time.time())}"]
    answer: list[str] = []
    done = threading.Event()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)

    def read() -> None:
        try:
            answer.append(sock.makefile("rb").readline().decode().strip() or "connection closed")
        except OSError as err:
            answer.append(f"connection {type(err).__name__}")
        done.set()

    started = time.perf_counter()
    threading.Thread(target=read, daemon=True).start()
    sent = 0
    try:
        sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        while sent < total_mb and not done.is_set():
            sock.sendall(CHUNK)
            sent += 1
    except OSError:
        pass  # the server closed the connection while the body was still coming
    done.wait(30)
    seconds = time.perf_counter() - started
    sock.close()
    return (answer[0] if answer else "no answer"), seconds, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=300, help="Size of the body the client offers.")
    args = parser.parse_args()
    fake = FakeSlack()
    with TemporaryDirectory() as data:
        settings = Settings(
            slack_mode="http",
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=fake.api_url,
            data_dir=Path(data),
        )
        slack = create_app(settings, NoEngine())
        server = make_http_server(slack.bolt, "127.0.0.1", 0, settings.slack_http_threads)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        print("| request | answer | refused after s | MB the client got to send | RSS before / peak MB | growth MB |")
        print("|---|---|---|---|---|---|")
        for label, signed in ((f"{args.mb} MB, unsigned", False), (f"{args.mb} MB, signature headers", True)):
            before = rss_mb()
            with Sampler(every=0.01) as sampler:
                answer, seconds, sent = post(server.server_port, args.mb, signed)
            peak = max(sampler.rss_mb, rss_mb())
            print(f"| {label} | {answer} | {seconds:.3f} | {sent} | {before:.0f} / {peak:.0f} | {peak - before:.1f} |")
        server.shutdown()
        slack.close()
    fake.close()


if __name__ == "__main__":
    main()
