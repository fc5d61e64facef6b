"""bot.extract.json_logs: a log of JSON records read as its logger prints it, then cut like any log."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.extract.json_logs import printed_lines
from bot.extract.logs import log_lines, pasted_log

TRACE = [
    "Traceback (most recent call last):",
    '  File "/srv/app/load.py", line 12, in load',
    "    import yaml",
    "ModuleNotFoundError: No module named 'yaml'",
]
FAILURE = "\n".join(TRACE)
STAMP = "2026-11-02T10:00:00.123Z"


def routine(shape: str, i: int) -> dict[str, Any]:
    """An INFO record of `shape`, as the loggers write them."""
    message = f"processed batch {i} (250 records)"
    by_shape: dict[str, dict[str, Any]] = {
        "docker": {"log": f"{STAMP} INFO {message}\n", "stream": "stdout", "time": STAMP},
        "pino": {"level": 30, "time": 1764669600123 + i, "pid": 41, "hostname": "api-7", "msg": message},
        "structlog": {"event": message, "level": "info", "timestamp": STAMP, "logger": "app.worker"},
        "python-json-logger": {"asctime": STAMP, "levelname": "INFO", "name": "app", "message": message},
        "zap": {"level": "info", "ts": 1764669600.123, "caller": "server/handler.go:88", "msg": message},
        "journald": {"PRIORITY": "6", "MESSAGE": message, "_PID": "12", "__REALTIME_TIMESTAMP": "1764669600123456"},
        "cloud": {"severity": "INFO", "timestamp": STAMP, "textPayload": message, "insertId": f"x{i}"},
    }
    return by_shape[shape]


def failing(shape: str) -> list[dict[str, Any]]:
    """The records `shape` writes for the failure: Docker one per line of output, the loggers one whose exception
    or stack field holds the traceback."""
    err = {"type": "ModuleNotFoundError", "message": TRACE[-1], "stack": FAILURE}
    by_shape: dict[str, list[dict[str, Any]]] = {
        "docker": [{"log": line + "\n", "stream": "stderr", "time": STAMP} for line in TRACE],
        "pino": [{"level": 50, "time": 1764669600999, "pid": 41, "hostname": "api-7", "err": err, "msg": "job failed"}],
        "structlog": [{"event": "job failed", "level": "error", "timestamp": STAMP, "exception": FAILURE}],
        "python-json-logger": [{"asctime": STAMP, "levelname": "ERROR", "message": "job failed", "exc_info": FAILURE}],
        "zap": [{"level": "error", "ts": 1764669600.9, "msg": "job failed", "error": FAILURE}],
        "journald": [{"PRIORITY": "3", "MESSAGE": FAILURE, "__REALTIME_TIMESTAMP": "1764669600999999"}],
        "cloud": [{"severity": "ERROR", "timestamp": STAMP, "textPayload": FAILURE + "\n"}],
    }
    return by_shape[shape]


SHAPES = ("docker", "pino", "structlog", "python-json-logger", "zap", "journald", "cloud")


@pytest.mark.parametrize("shape", SHAPES)
def test_a_json_log_is_cut_to_its_failure_as_a_printed_log_is(shape: str) -> None:
    records = [routine(shape, i) for i in range(200)] + failing(shape) + [routine(shape, i) for i in range(200, 260)]
    text = "\n".join(json.dumps(record) for record in records)
    lines = [line.text for line in log_lines(text, 40)]
    assert TRACE[-1] in lines and TRACE[0] in "\n".join(lines)  # the exception and its traceback, unescaped
    assert not any("processed batch" in line or '"' + "level" in line for line in lines)  # no routine record, no JSON
    assert len(lines) <= len(TRACE) + 1


def test_a_record_prints_its_level_message_and_values_and_each_stack_line_once() -> None:
    record = {"level": 50, "time": 1, "pid": 41, "msg": "charge failed", "http": {"status": 502, "path": "/pay"}}
    record["err"] = {
        "type": "Error",
        "message": "upstream reset",
        "stack": "Error: upstream reset\n    at pay (p.js:9)",
    }
    assert printed_lines(json.dumps(record)) == [
        "ERROR charge failed 502 /pay Error",  # err.message is said again in the stack
        "Error: upstream reset",
        "    at pay (p.js:9)",
    ]
    assert printed_lines('{"PRIORITY": "4", "MESSAGE": "disk 91% full", "__REALTIME_TIMESTAMP": "1"}') == [
        "WARN disk 91% full"
    ]


def test_a_docker_log_of_a_program_writing_colour_loses_its_escapes() -> None:
    records = [routine("docker", i) | {"log": f"\x1b[32mINFO\x1b[0m tick {i}\n"} for i in range(100)]
    records.append({"log": f"\x1b[31m{TRACE[-1]}\x1b[0m\n", "stream": "stderr", "time": STAMP})
    text = "\n".join(json.dumps(record) for record in records)  # the escapes written as \u001b
    assert "\\u001b" in text and [line.text for line in log_lines(text, 40)] == [TRACE[-1]]


def test_json_that_is_not_a_log_record_is_left_as_it_is() -> None:
    """An API's error body, a record without a level or time, a line cut short, JSON nested past any reason."""
    for text in (
        '{"detail":"Method Not Allowed"}',
        '{"msg": "Input should be less than or equal to 100", "loc": ["query", "limit"]}',
        '{"level": "error", "msg": "cut he',
        "{" + '"a":[' * 100_000,
        '[{"detail": "Not Found"}]',
    ):
        assert printed_lines(text) == text.splitlines()


def test_a_json_log_pasted_without_a_fence_is_told_from_what_the_person_wrote() -> None:
    records = [routine("structlog", i) for i in range(30)] + failing("structlog")
    message = "\n".join(["the nightly job died again, any idea?", *map(json.dumps, records)])
    prose, pasted = pasted_log(message)
    assert prose == "the nightly job died again, any idea?"
    assert TRACE[-1] in [line.text for line in log_lines(pasted, 40)]
