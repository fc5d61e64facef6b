"""A log of JSON records (what services log and log shippers export: Docker's json-file, pino, structlog, zap,
python-json-logger, journald, Cloud Logging) read as a plain-text log prints the same records: each record one
line, its level first, then its message and the values of its other fields (their keys name the logger's schema,
not what failed; its time and where it came from are left out); a field that holds several lines (a stack trace,
an exception) printed below, line by line. A record is a JSON object with a message and a level or a time; any
other line (and any other JSON, such as an API's error body) is left as it is."""

from __future__ import annotations

import json
from typing import Any, TypeGuard

MESSAGE_KEYS = ("msg", "message", "event", "log", "MESSAGE", "textPayload", "@message", "line")  # Grafana's: line
LEVEL_KEYS = ("level", "severity", "levelname", "lvl", "log.level", "loglevel", "PRIORITY")
TIME_KEYS = frozenset({"time", "timestamp", "ts", "@timestamp", "asctime", "datetime", "t", "receiveTimestamp"})
TIME_KEYS |= {"__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP", "date"}
# where a record came from rather than what it says
SOURCE_KEYS = frozenset({"pid", "hostname", "host", "caller", "stream", "v", "logger", "name", "thread", "threadName"})
SOURCE_KEYS |= {"process", "processName", "insertId", "logName", "resource", "labels", "_HOSTNAME", "_PID", "_BOOT_ID"}
SOURCE_KEYS |= {"_MACHINE_ID", "_TRANSPORT", "__CURSOR", "_SYSTEMD_UNIT", "SYSLOG_IDENTIFIER", "_COMM", "_EXE"}
SOURCE_KEYS |= {"fields"}  # Grafana's download: the stream's labels and the fields its query parsed out of the line
# pino's and bunyan's numeric levels (the least of each band), journald's syslog priorities
NUMERIC_LEVELS = ((60, "FATAL"), (50, "ERROR"), (40, "WARN"), (30, "INFO"), (20, "DEBUG"), (0, "TRACE"))
PRIORITIES = ("FATAL", "FATAL", "FATAL", "ERROR", "WARN", "NOTICE", "INFO", "DEBUG")
MAX_DEPTH = 3  # nested objects (`err`, `http`) opened this deep, deeper ones printed as JSON


def printed_lines(text: str) -> list[str]:
    """`text` with each JSON record replaced by its printed lines (an export, a whole array of them, is read by
    `bot.extract.exported_logs`)."""
    lines = []
    for line in text.splitlines():
        record = record_in(line)
        lines.extend(as_printed(record) if record is not None else [line])
    return lines


def is_json_record(line: str) -> bool:
    """Whether `line` is one JSON log record."""
    return record_in(line) is not None


def record_in(line: str) -> dict[str, Any] | None:
    """The JSON log record `line` is, if it is one."""
    value = parse_json(line.strip()) if line.lstrip().startswith("{") else None
    return value if is_record(value) else None


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read
        return None


def is_record(value: Any) -> TypeGuard[dict[str, Any]]:
    return (
        isinstance(value, dict)
        and any(isinstance(value.get(key), str) for key in MESSAGE_KEYS)
        and any(key in value for key in (*LEVEL_KEYS, *TIME_KEYS))
    )


def as_printed(record: dict[str, Any]) -> list[str]:
    """A record's printed lines: `LEVEL message value …`, then each field of several lines, line by line; a value
    those lines already show (pino's `err.message`, said again in its `err.stack`) left out."""
    level = level_name(next((record[key] for key in LEVEL_KEYS if key in record), None))
    message_key = next(key for key in MESSAGE_KEYS if isinstance(record.get(key), str))
    message, *below = record[message_key].rstrip("\n").split("\n")
    head = [level, message] if level else [message]
    skipped = {message_key, *LEVEL_KEYS, *TIME_KEYS, *SOURCE_KEYS}
    values = field_values({k: v for k, v in record.items() if k not in skipped})
    several = [v for v in values if isinstance(v, str) and "\n" in v.strip()]
    below.extend(line for value in several for line in value.rstrip("\n").split("\n"))
    shown = {line.strip() for line in (message, *below)}
    head.extend(str(v) for v in values if not (v in several or already_shown(v, shown)))
    return [" ".join(head), *below]


def already_shown(value: Any, lines: set[str]) -> bool:
    """Whether `value` is one of `lines`, or the message of one (`Error: upstream reset` shows `upstream reset`)."""
    text = value.strip() if isinstance(value, str) else ""
    return bool(text) and any(line == text or line.endswith(f": {text}") for line in lines)


def level_name(value: Any) -> str:
    """A record's level as a word a log line starts with ("" when it has none)."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        number = int(value)
        if isinstance(value, str) and number < len(PRIORITIES):  # journald's PRIORITY is a string, 0 to 7
            return PRIORITIES[number]
        return next(name for least, name in NUMERIC_LEVELS if number >= least)
    return str(value).upper() if isinstance(value, str) else ""


def field_values(fields: dict[str, Any], depth: int = 1) -> list[Any]:
    """The values of `fields`, in order: nested objects opened `MAX_DEPTH` deep, lists printed as JSON."""
    values: list[Any] = []
    for value in fields.values():
        if isinstance(value, dict) and depth < MAX_DEPTH:
            values.extend(field_values(value, depth + 1))
        elif isinstance(value, dict | list):
            values.append(json.dumps(value, separators=(",", ":")))
        elif value is not None:
            values.append(value)
    return values
