"""How long does one question take when its text is built to be slow to read? (issue 11: a 50 MB log, a binary file
named `.log`, and nothing a user sends may stall the bot)

    .venv/bin/python -m bench.hostile_text [--message-chars 40000] [--file-mb 4.5] [--stop-after 120]

Indexes the shipped `knowledge/` in a temporary folder and asks the engine, for each shape below, one question: a
real nginx error log (the shipped 502 bug) followed by that shape, once as the message's text (Slack keeps at most
40,000 characters of a message) and once as a `.log` attachment (within `max_snippet_bytes`). The shapes are the
worst cases of the patterns that read a line: one word that never ends, a token repeated without a space, runs of one
character, millions of short lines, JSON nested without end. Prints the seconds each question took, its decision and
the bug first: the right bug should still be found in the real lines. A question still unanswered after
`--stop-after` seconds is stopped and printed as such.
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.matcher import Matcher  # noqa: E402
from bot.records import Answer, Attachment, Query  # noqa: E402
from bot.refresh import build_refresher  # noqa: E402
from bot.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = "nginx-502-bad-gateway"
ERROR_LOG = "\n".join(
    f"2026/11/02 10:00:{second:02d} [error] 1234#1234: *{second} connect() failed (111: Connection refused) while "
    'connecting to upstream, client: 10.0.0.5, server: lumen, request: "GET /orders HTTP/1.1", '
    'upstream: "http://127.0.0.1:8081/orders", host: "orders.lumen.test"'
    for second in range(1, 6)
)


def repeated(unit: str, tail: str = "") -> Callable[[int], str]:
    """`unit` repeated to `size` characters, then `tail`."""
    return lambda size: (unit * (size // len(unit) + 1))[: size - len(tail)] + tail


SHAPES: dict[str, Callable[[int], str]] = {
    "one word of letters": repeated("x"),
    "`HTTP` without a space": repeated("HTTP"),
    "`a@b:` without a space": repeated("a@b:"),
    "a run of spaces, then a word": repeated(" ", "return"),
    "a run of tabs, then a word": repeated("\t", "x"),
    "opening brackets": repeated("["),
    "double quotes": repeated('"'),
    'JSON nested without end (`{"a":`)': repeated('{"a":'),
    "short lines (`x`)": repeated("x\n"),
    "one error word, repeated": repeated("ERROR "),
}


class Stopped(BaseException):
    """A question that ran past `--stop-after` (a BaseException, so that no handler of the engine's takes it)."""


def stop(signum: int, frame: object) -> None:
    raise Stopped


def timed(matcher: Matcher, query: Query, stop_after: int) -> tuple[float, Answer | None]:
    """The seconds `query` took and its answer; None when it was stopped after `stop_after` seconds."""
    started = time.perf_counter()
    signal.alarm(stop_after)
    try:
        answer: Answer | None = matcher.match(query)
    except Stopped:
        answer = None
    finally:
        signal.alarm(0)
    return time.perf_counter() - started, answer


def cells(seconds: float, answer: Answer | None) -> tuple[str, str, str]:
    """A question's seconds, decision and first bug as table cells; the bug marked when it is not the 502."""
    if answer is None:
        return f"stopped after {seconds:.0f}", "-", "-"
    best = answer.matches[0].bug.id if answer.matches else "-"
    return f"{seconds:.2f}", answer.decision, best + ("" if best == EXPECTED else " (not the 502)")


@contextmanager
def table_engine(prefix: str, columns: Sequence[str]) -> Iterator[Matcher]:
    """The engine over the shipped `knowledge/`, indexed in a temporary folder named from `prefix` and warmed, its
    questions stoppable by `timed`; prints the head of a table of `columns` first."""
    signal.signal(signal.SIGALRM, stop)
    with tempfile.TemporaryDirectory(prefix=prefix) as work:
        settings = Settings(knowledge_dir=ROOT / "knowledge", data_dir=Path(work))
        matcher = Matcher.from_settings(settings)
        build_refresher(settings, matcher.embedder, matcher.extractor).refresh()
        matcher.warm()
        print("| " + " | ".join(columns) + " |")
        print("|" + "---|" * len(columns))
        yield matcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--message-chars", type=int, default=40_000, help="Size of each message's text.")
    parser.add_argument("--file-mb", type=float, default=4.5, help="Size of each attached log, in MB.")
    parser.add_argument("--stop-after", type=int, default=120, help="Seconds after which a question is stopped.")
    args = parser.parse_args()
    with table_engine(
        "bench-hostile-text-", ("shape after the error log", "as", "seconds", "decision", "first bug")
    ) as matcher:
        for name, shape in SHAPES.items():
            text = ERROR_LOG + "\n" + shape(args.message_chars - len(ERROR_LOG) - 1)
            data = (ERROR_LOG + "\n" + shape(int(args.file_mb * 1e6) - len(ERROR_LOG) - 1)).encode()
            for form, query in (
                (f"message ({len(text):,} chars)", Query(text=text)),
                (f"`.log` ({len(data) / 1e6:.1f} MB)", Query(attachments=(Attachment("app.log", data),))),
            ):
                took, decision, best = cells(*timed(matcher, query, args.stop_after))
                print(f"| {name} | {form} | {took} | {decision} | {best} |", flush=True)


if __name__ == "__main__":
    main()
