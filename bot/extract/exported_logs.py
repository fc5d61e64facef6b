"""A log platform's export of a search's results, read as a plain-text log prints the same events, oldest first:
a JSON array of records, or a CSV or TSV table (CloudWatch Logs Insights, Datadog's log explorer, Kibana's Discover,
Splunk) whose header names a time column and a message column. The platforms sort a search newest first, which puts
the last line of a traceback shipped line by line above its first: when the times go down more often than up, the
events are turned round. Each event prints as a JSON record does (`as_printed`: its level, then its message, a
message of several lines line by line), and a message that is itself a JSON record (a JSON logger's line) as that
record; the columns that say where it came from (host, service, stream) are left out."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.extract.json_logs import TIME_KEYS, as_printed, is_record, parse_json, record_in
from bot.extract.log_part import read_part

# column names, lower-cased, as the platforms write them (Datadog's message column is titled "Content")
MESSAGE_COLUMNS = ("message", "@message", "_raw", "content", "msg", "log", "line", "textpayload")
LEVEL_COLUMNS = ("level", "log.level", "status", "severity", "levelname", "loglevel")
TIME_COLUMNS = ("@timestamp", "timestamp", "_time", "date", "time", "datetime", "ts")
SOURCE_COLUMNS = frozenset({"host", "hostname", "host.name", "service", "service.name", "source", "sourcetype"})
SOURCE_COLUMNS |= {"@logstream", "@log", "@ptr", "index", "splunk_server", "_id", "_index", "container.name", "stream"}
DELIMITERS = ",\t;"
SHOWN_TIMES = ("%b %d, %Y @ %H:%M:%S.%f", "%b %d, %Y @ %H:%M:%S")  # Kibana's Discover: `Dec 6, 2026 @ 02:30:01.123`


def exported_lines(text: str) -> list[str]:
    """The printed lines of the events `text` exports, oldest first; [] when it is no export."""
    records = json_export(text) or table_export(text)
    return [line for record in oldest_first(records) for line in as_printed(record)]


def json_export(text: str) -> list[dict[str, Any]]:
    """The records of a JSON document that is an array of them; [] otherwise."""
    stripped = text.strip()
    document = parse_json(stripped) if stripped.startswith("[") else None
    if isinstance(document, list) and document and all(is_record(item) for item in document):
        return read_part(document)
    return []


def table_export(text: str) -> list[dict[str, Any]]:
    """The rows of a CSV or TSV export as records (`message`, `level`, `time`, and the values of the columns that do
    not say where an event came from); [] when the first line names no time and message column, or the table cannot
    be read (a cell past the csv module's limit)."""
    body = text.lstrip("\ufeff\r\n")
    try:
        return next(filter(None, (table_records(body, delimiter) for delimiter in DELIMITERS)), [])
    except csv.Error:
        return []


def table_records(body: str, delimiter: str) -> list[dict[str, Any]]:
    """The rows of `body` split at `delimiter`, when its header names a time and a message column; a message that is
    a JSON record (a JSON logger's line, as CloudWatch keeps it) is that record, its level and fields its own."""
    reader = csv.reader(io.StringIO(body), delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader, [])]
    message, time, level = (column(header, names) for names in (MESSAGE_COLUMNS, TIME_COLUMNS, LEVEL_COLUMNS))
    if message is None or time is None:
        return []
    return [
        {"time": row[time], **inner}
        if (inner := record_in(row[message])) is not None
        else {
            "message": row[message],
            "time": row[time],
            **({"level": row[level]} if level is not None and level < len(row) else {}),
            **{
                f"column {i}": value
                for i, value in enumerate(row)
                if i not in {message, time, level}
                and i < len(header)
                and header[i] not in SOURCE_COLUMNS
                and value.strip()
            },
        }
        for row in read_part(row for row in reader if max(message, time) < len(row))
    ]


def column(header: list[str], names: Sequence[str]) -> int | None:
    """Where the first of `names` the header holds stands in it."""
    return next((header.index(name) for name in names if name in header), None)


def oldest_first(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`records` turned round when their times (each one's first time field) go down from one to the next more often
    than up."""
    moments = [moment(next((value for key, value in record.items() if key in TIME_KEYS), None)) for record in records]
    steps = [(a, b) for a, b in itertools.pairwise(moments) if a is not None and b is not None]
    falls, rises = sum(b < a for a, b in steps), sum(b > a for a, b in steps)
    return records[::-1] if falls > rises else records


def moment(value: Any) -> float | None:
    """A record's time as seconds since 1970 (a number as it is: seconds or milliseconds alike order), or None when
    it is no time this reads: ISO 8601 (a space or `T`, with a zone or not) or Kibana's shown time."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    when = parsed_time(text)
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def parsed_time(text: str) -> datetime | None:
    """`text` as ISO 8601 or as Kibana shows a time; None when it is neither."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for form in SHOWN_TIMES:
        try:
            return datetime.strptime(text, form)
        except ValueError:
            continue
    return None
