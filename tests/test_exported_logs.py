"""bot.extract.exported_logs: a log platform's export (CSV, TSV or a JSON array) read as the log it holds, oldest
first, then cut like any log."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from bot.extract.exported_logs import exported_lines, moment
from bot.extract.logs import log_lines

TRACE = [
    "Traceback (most recent call last):",
    '  File "/srv/app/load.py", line 12, in load',
    "    import yaml",
    "ModuleNotFoundError: No module named 'yaml'",
]
START = 1_764_669_600.0


def iso(t: float, sep: str = "T", zone: str = "Z") -> str:
    return time.strftime(f"%Y-%m-%d{sep}%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}{zone}"


def kibana(t: float) -> str:
    day = time.gmtime(t)
    return time.strftime(f"%b {day.tm_mday}, %Y @ %H:%M:%S", day) + f".{int(t * 1000) % 1000:03d}"


def events(per_line: bool) -> list[tuple[float, str, str]]:
    """(time, level, message) of a log's events, oldest first: 150 routine ones, the failure (one event of several
    lines, or an event per line as container output is shipped), 30 more."""
    routine = [(START + i, "info", f"processed batch {i} (250 records)") for i in range(180)]
    failure = [(START + 150.5 + i / 1000, "error", line) for i, line in enumerate(TRACE)]
    return routine[:150] + (failure if per_line else [(START + 150.5, "error", "\n".join(TRACE))]) + routine[150:]


def table(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL if delimiter == "," else csv.QUOTE_MINIMAL).writerows(
        [header, *rows]
    )
    return out.getvalue()


def export(platform: str, newest_first: bool = True, delimiter: str = ",") -> str:
    """The events as `platform` exports them to CSV."""
    found = events(per_line=platform == "cloudwatch")
    found = found[::-1] if newest_first else found
    if platform == "cloudwatch":  # the line as the program printed it, its level inside
        rows = [
            [iso(t, " ", ""), f"{lv.upper()} {m}" if lv == "info" else m, "ecs/api/3f2a", "1234:/ecs/api"]
            for t, lv, m in found
        ]
        return table(["@timestamp", "@message", "@logStream", "@log"], rows, delimiter)
    if platform == "datadog":
        rows = [[iso(t), "web-3", "api", level, m] for t, level, m in found]
        return table(["Date", "Host", "Service", "Status", "Content"], rows, delimiter)
    if platform == "kibana":
        rows = [[kibana(t), level, m, "web-3"] for t, level, m in found]
        return table(["@timestamp", "log.level", "message", "host.name"], rows, delimiter)
    rows = [[iso(t, zone="+0000"), "web-3", f"{iso(t)} {level.upper()} {m}"] for t, level, m in found]  # Splunk
    return table(["_time", "host", "_raw"], rows, delimiter)


@pytest.mark.parametrize("platform", ["cloudwatch", "datadog", "kibana", "splunk"])
def test_an_export_newest_first_is_cut_to_its_failure_in_the_order_it_happened(platform: str) -> None:
    lines = [line.text for line in log_lines(export(platform), 40)]
    assert [line for line in lines if "batch" not in line][-3:] == [line.strip() for line in TRACE[1:]]
    assert TRACE[0] in "\n".join(lines)  # first, after its event's level
    assert not any("web-3" in line or "processed batch" in line for line in lines)  # host and routine events gone


def test_a_json_loggers_records_in_an_export_are_read_as_records() -> None:
    """A service that logs JSON, searched in CloudWatch: each `@message` is a record, the traceback in one field."""
    for failing in ({"err": {"type": "Error", "stack": "\n".join(TRACE)}}, {"exception": "\n".join(TRACE)}):
        records = [
            {"level": level, "msg": "job failed", **failing} if level == "error" else {"level": level, "msg": m}
            for _, level, m in events(False)
        ]
        times = [t for t, _, _ in events(False)]
        rows = [[iso(t), json.dumps(r), "ecs/api/3f2a", "1234:/ecs/api"] for t, r in zip(times, records, strict=True)]
        export = table(["@timestamp", "@message", "@logStream", "@log"], rows[::-1])
        lines = [line.text for line in log_lines(export, 40)]
        assert lines[0].startswith("ERROR job failed") and lines[1:] == [TRACE[0], *(x.strip() for x in TRACE[1:])]


def test_an_export_sorted_oldest_first_or_tab_separated_reads_the_same() -> None:
    newest = exported_lines(export("datadog"))
    assert exported_lines(export("datadog", newest_first=False)) == newest
    assert exported_lines(export("datadog", delimiter="\t")) == newest
    assert exported_lines("\ufeff" + export("kibana", delimiter=";")) == exported_lines(export("kibana"))
    assert newest[:2] == ["INFO processed batch 0 (250 records)", "INFO processed batch 1 (250 records)"]


def test_an_export_of_records_as_one_json_array_is_read_record_by_record_oldest_first() -> None:
    records = [{"severity": level.upper(), "timestamp": iso(t), "textPayload": m} for t, level, m in events(True)]
    lines = [line.text for line in log_lines(json.dumps(records[::-1], indent=2), 40)]
    where = [next(i for i, line in enumerate(lines) if part.strip() in line) for part in TRACE]
    assert where == sorted(where) and not any("processed batch" in line for line in lines)


def test_grafanas_download_of_lokis_lines_as_json_is_read_oldest_first() -> None:
    """Grafana Explore's JSON download: each entry's `line`, `timestamp` in nanoseconds, `date` and `fields` (the
    stream's labels, left out), newest first."""
    labels = {"app": "api", "namespace": "prod"}
    entries = [
        {
            "line": m if level == "error" else f"INFO {m}",
            "timestamp": str(int(t * 1e9)),
            "date": iso(t),
            "fields": labels,
        }
        for t, level, m in events(True)  # the traceback's lines as the program printed them, one entry each
    ]
    lines = [line.text for line in log_lines(json.dumps(entries[::-1], indent=2), 40)]
    assert lines == [TRACE[0], *(line.strip() for line in TRACE[1:])]


def test_text_that_is_no_export_is_not_read_as_one() -> None:
    assert exported_lines("id,name,price\n1,widget,3.50\n") == []  # a table of something else
    assert exported_lines("2026-11-02T10:00:00Z ERROR boom, time, message\n") == []
    assert exported_lines('[{"id": 1}]') == []
    assert exported_lines('time,message\n2026-11-02,"' + "x" * 200_000 + '"\n') == []  # past csv's cell limit


def test_times_as_the_platforms_write_them_are_read() -> None:
    t = START + 0.25
    assert moment(iso(t)) == moment(iso(t, " ", "")) == moment(iso(t, zone="+0000")) == moment(kibana(t)) == t
    assert moment("1764669600250") == 1764669600250.0 and moment("yesterday") is None and moment(None) is None
