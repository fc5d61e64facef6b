"""bot.extract.logs: a long log cut down to its salient lines; a short text kept whole, but for a log's routine
records."""

from __future__ import annotations

from time import monotonic

import pytest

from bot.extract.log_part import HEAD_LINES, READ_LINES, read_part
from bot.extract.logs import LINE_CHARS, log_lines, pasted_log, slipped_level, without_routine_records
from bot.ranking.text import ERROR_LINE
from bot.records import TextLine

NOISE = [f"2026-11-02T10:{i % 60:02d}:00Z INFO processed batch {i} (250 records)" for i in range(400)]
TRACE = [
    "Traceback (most recent call last):",
    '  File "/srv/app/main.py", line 3, in <module>',
    '  File "/srv/app/load.py", line 12, in load',
    "    import yaml",
    "ModuleNotFoundError: No module named 'yaml'",
]


def test_a_long_log_is_cut_to_the_traceback_and_its_error() -> None:
    text = "\n".join([*NOISE[:300], *TRACE, *NOISE[300:]])
    lines = [line.text for line in log_lines(text, 40)]
    assert lines[0] == "Traceback (most recent call last):" and lines[-1] == TRACE[-1]
    assert "processed batch" not in "\n".join(lines)
    assert all(line.origin == "log" and line.confidence == 1.0 for line in log_lines(text, 40))


def test_repeats_are_kept_once_and_the_failed_command_comes_with_its_error() -> None:
    retries = [f"10:00:{i:02d} ERROR retry {i}: connection refused (attempt {i})" for i in range(30)]
    text = "\n".join(
        [*NOISE, "$ curl http://backend:9091/health", "curl: (7) Failed to connect to backend port 9091", *retries]
    )
    lines = [line.text for line in log_lines(text, 40)]
    assert lines[:2] == ["$ curl http://backend:9091/health", "curl: (7) Failed to connect to backend port 9091"]
    assert sum("connection refused" in line for line in lines) == 1


def test_routine_and_warning_records_give_way_to_what_failed() -> None:
    """INFO records are routine whatever their words; a warning repeated all through the log counts only when
    nothing is louder; the failure pasted into the log (no timestamp, no level) is kept whole."""
    warning = "2026-11-02T10:00:00Z WARN  deprecated setting 'timeout_ms' used; use 'timeout'"
    body = ["Pretty-print", '{"detail":[{"type":"less_than_equal","loc":["query","limit"],', '"msg":"Input"}]}']
    routine = "2026-11-02T10:00:00Z INFO  retried a failed upload"
    text = "\n".join([*NOISE[:150], warning, routine, *body, warning, *NOISE[150:300]])
    assert [line.text for line in log_lines(text, 40)] == body
    only_warnings = "\n".join([*NOISE[:150], warning, routine, *NOISE[150:300]])
    assert [line.text for line in log_lines(only_warnings, 40)] == [warning.split("Z ", 1)[1].strip()]


def test_a_banner_above_the_first_record_is_not_what_the_log_tells() -> None:
    """A program's header line (its name, version, the user's folder) is no record, but it is not output pasted
    between records either; a plain-text failure between records still is."""
    banner = "Acme Sync 4.2 – log started 30.11.2026 10:02 – C:\\Users\\José\\AppData\\Local\\Acme\\logs"
    body = ["404 Not Found", "nginx/1.22.1"]
    text = "\n".join([banner, *NOISE[:150], *body, *NOISE[150:300]])
    assert [line.text for line in log_lines(text, 40)] == body


def test_a_level_is_read_in_the_usual_log_formats() -> None:
    from bot.extract.logs import parse

    for raw, level in [
        ("2026-11-02 10:00:00,123 - shop.api - ERROR - payment failed", "error"),
        ("2026-11-02T10:00:00Z [main] INFO com.shop.Api - started", "info"),
        ("time=10:00:00 level=warn msg=slow", "warn"),
        ("2026/11/02 10:00:00 [error] 31#0: *1 connect() failed", "error"),
        ("psql: error: connection to server failed", "error"),
        ("curl: (7) Failed to connect to backend port 9091", ""),
    ]:
        assert parse(raw).level == level, raw


def test_a_log_saved_with_colour_reads_as_the_terminal_showed_it() -> None:
    """Levels and timestamps coloured, a prompt setting the window title, a hyperlink, a spinner's backspaces, and
    the lines a `script` recording starts and ends with."""
    coloured = [f"\x1b[2m{line[:20]}\x1b[0m \x1b[32mINFO\x1b[0m{line[25:]}" for line in NOISE]
    failure = [
        "\x1b]0;kim@dev-box: ~/etl\x07\x1b[?2004h"  # the title, bracketed paste on, then the coloured prompt
        "\x1b[01;32mkim@dev-box\x1b[00m:\x1b[01;34m~/etl\x1b[00m$ python load.py",
        "\x1b[?2004lloading |\x08/\x08-\x08done",
        "\x1b[31m\x1b[1mModuleNotFoundError\x1b[22m: No module named 'yaml'\x1b[0m",
        "see \x1b]8;;https://docs.python.org/3/library/exceptions.html\x1b\\the docs\x1b]8;;\x1b\\",
    ]
    text = "\r\n".join(
        [
            'Script started on 2026-11-30 10:02:11+00:00 [TERM="xterm-256color" TTY="/dev/pts/3"]',
            *coloured[:300],
            *failure,
            *coloured[300:],
            'Script done on 2026-11-30 10:09:45+00:00 [COMMAND_EXIT_CODE="1"]',
        ]
    )
    lines = [line.text for line in log_lines(text, 40)]
    assert lines == ["kim@dev-box:~/etl$ python load.py", "loading |/-done", TRACE[-1], "see the docs"]


def test_a_log_without_error_words_is_cut_to_its_rare_lines() -> None:
    text = "\n".join([*NOISE[:200], "upstream answered nothing", "nginx/1.22.1", *NOISE[200:]])
    assert [line.text for line in log_lines(text, 40)] == ["upstream answered nothing", "nginx/1.22.1"]


def test_a_short_text_is_kept_whole_without_timestamps() -> None:
    lines = [line.text for line in log_lines("[10:00:01] starting\n[10:00:02] npm ERR! code E404\n", 40)]
    assert lines == ["starting", "npm ERR! code E404"]


def test_error_codes_are_told_from_ordinary_words() -> None:
    for line in (
        "npm ERR! code ENOENT",
        "HTTP ERROR 500",
        "404Not Found",
        "status=502",
        'FATAL: role "x" missing',
        "422 Unprocessable Entity",
        '{"type":"literal_error","loc":["query","sort"]}',
        "response = self.handle_exception(e)",
        "curl: (52) Empty reply from server",
    ):
        assert ERROR_LINE.search(line), line
    for line in (
        "Finder File Edit View",
        "def export(invoices):",
        "GET /api/orders 200 12ms",
        "flushed 444 series",
        "deprecated setting 'timeout_ms' used",
        "nonfatal",
    ):
        assert not ERROR_LINE.search(line), line


RUNNERS = {  # the prefix each tool that runs programs puts before a line they print
    "docker compose up": lambda i: ["api-1     | ", "worker-1  | ", "db-1      | "][i % 3],
    "docker compose v1": lambda i: "shop_api_1  | ",
    "journalctl": lambda i: f"Nov 30 10:{i % 60:02d}:11 web-3 gunicorn[{1200 + i % 2}]: ",
    "heroku logs": lambda i: f"2026-11-30T10:{i % 60:02d}:11.466105+00:00 app[web.{1 + i % 2}]: ",
    "kubectl logs --prefix": lambda i: f"[pod/api-7d9f8c6b5-{'x2k4q' if i % 2 else 'bm8zt'}/api] ",
    "docker build --progress=plain": lambda i: f"#12 {i / 7:.3f} ",
    "turbo": lambda i: "@acme/api:dev: ",
    "concurrently": lambda i: ["[api] ", "[web] "][i % 2],
}


def test_a_log_collected_by_the_tool_that_ran_it_reads_as_the_program_printed_it() -> None:
    """Every line behind the runner's prefix (a traceback's frames and blank lines too) reads as the program printed
    it: the prefix dropped, with the time journald or Heroku wrote, the program's own time and level kept."""
    plain = [*NOISE[:200], *TRACE, "", *NOISE[200:260]]
    for runner, prefix in RUNNERS.items():
        collected = "\n".join(prefix(i) + line for i, line in enumerate(plain))
        assert log_lines(collected, 40) == log_lines("\n".join(plain), 40), runner
        short = "\n".join(prefix(i) + line for i, line in enumerate(TRACE))
        assert [line.text for line in log_lines(short, 40)] == [line.strip() for line in TRACE], runner


TIMES = {  # the time a collecting tool writes before every line
    "GitHub Actions": lambda i: f"2026-11-30T10:{i % 60:02d}:11.4661053Z ",
    "kubectl logs --timestamps": lambda i: f"2026-11-30T10:{i % 60:02d}:11.466105323Z ",
    "docker compose logs -t": lambda i: f"api-1  | 2026-11-30T10:{i % 60:02d}:11.466105323Z ",
}


def test_a_time_the_collecting_tool_wrote_on_every_line_does_not_make_a_record() -> None:
    """With a time before every line, a page's or a command's output between the program's records still stands out
    as it does without one; records are told by their level."""
    page = ["Pretty-print", '{"detail":"Method Not Allowed"}', "$ curl -s localhost:8000/api", "done"]
    for body in (page, TRACE):
        plain = [*NOISE[:200], *body, *NOISE[200:260]]
        for tool, time in TIMES.items():
            collected = "\n".join(time(i) + line for i, line in enumerate(plain))
            assert log_lines(collected, 40) == log_lines("\n".join(plain), 40), tool
    assert [line.text for line in log_lines("\n".join([*NOISE[:200], *page, *NOISE[200:260]]), 40)] == page


def test_a_tools_report_that_the_program_failed_gives_way_to_how_it_failed() -> None:
    """BuildKit's, Compose's, make's or GitHub Actions' line that the program exited non-zero is left out when the log
    shows how it failed, and kept when it is all the log shows."""
    plain = "\n".join([*NOISE[:300], *TRACE, *NOISE[300:]])
    for report in (
        '#12 ERROR: process "/bin/sh -c ./scripts/check.sh" did not complete successfully: exit code: 1',
        "api-1 exited with code 1",
        "make: *** [Makefile:12: test] Error 1",
        "2026-11-02T10:00:00Z ##[error]Process completed with exit code 1.",
    ):
        reported = "\n".join([*NOISE[:300], *TRACE, report, *NOISE[300:]])
        assert log_lines(reported, 40) == log_lines(plain, 40), report
        alone = "\n".join([*NOISE[:300], report, *NOISE[300:]])
        assert [line.text for line in log_lines(alone, 40)] == [report.split("Z ", 1)[-1]], report


def test_only_a_prefix_most_lines_carry_is_a_runners() -> None:
    """Maven's bracketed levels, Python logging's `LEVEL:name:`, git's `error:`/`hint:`, a table's first column and a
    few lines that happen to look like a runner's stay as they are."""
    maven = ["[INFO] Building shop-api 1.4.0", "[INFO] --- compiler:3.11.0:compile ---"] * 4
    maven.append("[ERROR] Failed to execute goal on project shop-api: Could not resolve dependencies")
    assert [line.text for line in log_lines("\n".join(maven), 3)] == [maven[-1]]
    logging = [f"INFO:app.worker: tick {i}" for i in range(60)] + ["ERROR:app.worker: job failed: disk full"]
    assert [line.text for line in log_lines("\n".join(logging), 3)] == [logging[-1]]  # Python logging's default format
    git = ["error: Your local changes would be overwritten by merge:", "\tapp.py", "hint: commit them first"]
    assert [line.text for line in log_lines("\n".join(git), 40)] == [line.strip() for line in git]
    table = [" id | name", "----+------", "  1 | alice", "  2 | bob", 'ERROR:  relation "users" does not exist']
    assert [line.text for line in log_lines("\n".join(table), 40)] == [line.strip() for line in table]
    pods = ["NAME READY STATUS RESTARTS AGE", *(f"api-7d9f8c6b5-x2k{i} 0/1 CrashLoopBackOff 5 3m" for i in range(4))]
    assert [line.text for line in log_lines("\n".join(pods), 40)] == pods  # `kubectl get pods`: names, not prefixes
    few = ["api-1  | ready", *TRACE, "$ echo done | tee out.log"]
    assert [line.text for line in log_lines("\n".join(few), 40)] == [line.strip() for line in few]


NUMBERERS = {  # how a tool that numbers lines writes line `n`
    "cat -n": lambda n: f"{n:6d}\t",
    "less -N": lambda n: f"{n:7d} ",
    "grep -n -C": lambda n: f"{n}{':' if n % 7 == 0 else '-'}",  # a matched line's `:`, a context line's `-`
}


def test_a_log_copied_with_its_line_numbers_reads_as_the_file_holds_it() -> None:
    """`cat -n` over the whole log, `less -N` over a stretch of it from line 4211, and `grep -n` with context: each
    line's number dropped (a traceback's frames keep their indentation), `grep`'s `--` between groups too."""
    plain = [*NOISE[:200], *TRACE, *NOISE[200:260]]
    for tool, number in NUMBERERS.items():
        numbered = "\n".join(number(n) + line for n, line in enumerate(plain, start=4211))
        assert log_lines(numbered, 40) == log_lines("\n".join(plain), 40), tool
        short = "\n".join(number(n) + line for n, line in enumerate(TRACE, start=88))
        assert [line.text for line in log_lines(short, 40)] == [line.strip() for line in TRACE], tool
    groups = "\n".join(["12-" + NOISE[0], "13:" + NOISE[1], "--", *(f"{n}-{line}" for n, line in enumerate(TRACE, 40))])
    assert [line.text for line in log_lines(groups, 40)] == [NOISE[0][21:], NOISE[1][21:], *map(str.strip, TRACE)]
    pasted = "\n".join(NUMBERERS["cat -n"](n) + line for n, line in enumerate(TRACE, start=1))
    assert pasted_log(f"we get this:\n{pasted}") == ("we get this:", pasted)


def test_grep_over_a_folder_reads_as_an_archive_of_the_files_it_matched() -> None:
    """`grep -rn`'s lines, each after its file's name: each file cut as a log, and each failing file also read
    alone (a window of its own), as an archive's are."""
    api = [f"logs/api.log-{n}-{line}" for n, line in enumerate(TRACE, start=300)]  # its numbers start again
    worker = [f"logs/worker.log:{n}:2026-11-02T10:00:00Z ERROR smtp: 421 4.7.0 Try again later" for n in (412, 530)]
    lines = log_lines("\n".join([*worker, "--", *api]), 40)
    assert {line.window for line in lines if "smtp" in line.text} == {1}
    assert [line.text for line in lines if line.window == 2] == [line.strip() for line in TRACE]


def test_only_numbers_going_up_on_most_lines_are_line_numbers() -> None:
    """A compiler's `file:line:column:`, `uniq -c`'s counts, clock times, a status code and a table's ids stay."""
    compiler = [f"src/main.c:{n}:5: error: expected ';' before '}}' token" for n in (12, 40, 41, 77)]
    counts = [f"{n:7d} ERROR connection refused by db-{n % 3}" for n in (412, 37, 9, 120)]
    times = [f"10:0{n}:11 INFO worker {n} ready" for n in range(6)]
    for kept in (compiler, counts, ["500 Internal Server Error"]):
        assert [line.text for line in log_lines("\n".join(kept), 40)] == [line.strip() for line in kept]
    assert [line.text for line in log_lines("\n".join(times), 40)] == [line[9:] for line in times]  # the time alone


def test_a_short_log_loses_its_routine_records_as_a_long_one_does() -> None:
    """A stretch of a log (what `less` or `grep -C` showed) fits the lines searched, yet its INFO records say nothing
    of the failure between them; a few records stay whole."""
    page = ["This site can't be reached", "127.0.0.1 unexpectedly closed the connection.", "ERR_CONNECTION_CLOSED"]
    short = [*NOISE[:12], *page, *NOISE[12:20]]
    assert [line.text for line in log_lines("\n".join(short), 40)] == page
    few = [NOISE[0], *page]
    assert [line.text for line in log_lines("\n".join(few), 40)] == [NOISE[0][21:], *page]


def test_a_log_pasted_without_a_fence_is_told_from_what_the_person_wrote() -> None:
    message = "\n".join(["prod is down since the deploy, log:", *NOISE[:50], *TRACE, *NOISE[50:80], "any idea?"])
    prose, pasted = pasted_log(message)
    assert prose == "prod is down since the deploy, log:\nany idea?"
    assert pasted.splitlines()[0] == NOISE[0] and TRACE[-1] in pasted and pasted.splitlines()[-1] == NOISE[79]
    assert pasted_log("\n".join(TRACE)) == ("", "\n".join(TRACE))  # a traceback alone
    compose = "\n".join(f"api-1  | {line}" for line in TRACE)  # a traceback behind a runner's prefix
    assert pasted_log(f"after docker compose up:\n{compose}") == ("after docker compose up:", compose)


def test_what_the_person_wrote_stays_theirs_when_it_says_what_failed() -> None:
    """People say what failed before they paste ("deploy failed, log below"): the log starts at the first line with
    a program's form, not at the first error word; a log of error lines alone still starts at its first."""
    said_first = (
        "deploy failed, log below",
        "build is failing again:",
        "getting this error:",
        "login broken\nany idea?",
    )
    for said in said_first:
        prose, pasted = pasted_log("\n".join([said, *NOISE[:20], *TRACE]))
        assert prose == said and pasted.splitlines()[0] == NOISE[0]
    npm = "\n".join(
        f"npm ERR! {what}" for what in ("code ENOENT", "syscall open", "path /app/package.json", "errno -2")
    )
    npm += "\nnpm ERR! enoent Could not read package.json"
    assert pasted_log(f"install failed:\n{npm}") == ("", f"install failed:\n{npm}")
    levelled = [
        "WARN  disk usage 91% on /var",
        "ERROR smtp: 421 4.7.0 Try again later",
        "[error] 12#0: connect() failed",
    ]
    assert pasted_log("\n".join(["deploy failed:", *levelled, *NOISE[:20]]))[0] == "deploy failed:"  # a logger's


def test_a_message_with_a_few_error_words_is_not_a_log() -> None:
    for message in (
        "npm ERR! code ENOENT when I install, help",
        "$ git pull\nerror: Your local changes would be overwritten\nPlease commit\nAborting",  # four lines
        "step 1: install\nstep 2: it said error\nstep 3: retried\nstep 4: error again\nstep 5: failed\nthen I gave up"
        "\nand asked IT\nwho asked me\nto ask here\nso here I am\nthanks",
    ):
        assert pasted_log(message) == (message, "")


def screen(*texts: str) -> tuple[TextLine, ...]:
    return tuple(TextLine(text, 0.95, at=4.0) for text in texts)


def test_a_log_on_a_screen_loses_its_routine_records_and_keeps_what_failed() -> None:
    """A terminal's scrollback above the failure, read by OCR (INF0 for INFO, a stamp without seconds' space)."""
    lines = screen(
        "10:41:00 INF0 starting worker pool size=3",
        "10:41:01 DEBUG cache miss key=user:4502",
        "10:41:02 WARN deprecated setting 'timeout_ms' used; use 'timeout'",
        "10:41:03 INFO GET /health 200 12ms",
        "10:41:04 metrics flushed (1028 series)",
        "10:41:05 WARN deprecated setting 'timeout ms ' used; use 'timeout",
        "10:41:06 ERROR payment worker crashed: connection refused",
        "10:41:07 ERROR payment worker crashed: connection refused",
        "$ psql -h db -U app shop",
        'psql: error: FATAL:  database "shop" does not exist',
    )
    kept = without_routine_records(lines)
    assert [line.text for line in kept] == [
        "10:41:06 ERROR payment worker crashed: connection refused",
        "$ psql -h db -U app shop",
        'psql: error: FATAL:  database "shop" does not exist',
    ]
    assert all(line.at == 4.0 and line.confidence == 0.95 for line in kept)


def test_routine_records_whose_level_ocr_read_with_a_slip_are_dropped_too() -> None:
    """Small log text read by the fast models: a level with one character read wrong, lost or added, glued to its
    time; the failure's lines stay, and so does a line whose capitals are no level."""
    lines = screen(
        "10.41:35INE0 starting worker pool size=2419",
        "10:41: 33 DEBU6 retry policy: 3 attempts, backoff 2s",
        "10:41:37 DEBlG connection pool warmed (7073 connections)",
        "10.41:41 LNF0 loaded config from /etc/app/config.yaml",
        "10:42:02WARN deprecated setting 'timeout_ms' used",
        "10:42:03 TNF0 GET /health 200 12ms",
        "10u42:90 INe0 job nightly-report queued",
        "10:42:0@INF0 processed batch 4447 (250 records)",
        "$ git merge feature",
        "error: Your local changes to the following files would be overwritten by merge:",
        "ABORTING MERGE",
    )
    assert [line.text for line in without_routine_records(lines)] == [
        "$ git merge feature",
        "error: Your local changes to the following files would be overwritten by merge:",
        "ABORTING MERGE",
    ]
    assert slipped_level("10:41:3y nEBus cache miss") == ""  # two slips: not read as a level


def test_docker_compose_on_a_screen_reads_as_the_services_printed_it() -> None:
    """A terminal running `docker compose up`, read by OCR: each service's name and bar (read as `|`, `I`, spaced
    apart, glued to the text or lost) dropped, then the routine records; the failure's lines stay, their frames
    told."""
    lines = screen(
        "redis-1 |INF0 GET /health 200 8069ms",
        "worker - 1 | DEBUG connection pool war med (5701 connections)",
        "web- 1|WARN deprecated setting 'timeout_ms' used; use 'timeout'",
        "redis -1 |INF0 loaded config from /etc/app/config.yam1",
        "db-1 DEBUG cache miss key=user:8651",
        "web-1 | alex@ThinkPad-T14:~/chatbot$ python3 utils.py",
        'web-1 |   File "/home/alex/chatbot/utils.py", line 5',
        "web-1 I IndentationError: unexpected indent",
    )
    assert [line.text for line in without_routine_records(lines)] == [
        "alex@ThinkPad-T14:~/chatbot$ python3 utils.py",
        'File "/home/alex/chatbot/utils.py", line 5',
        "IndentationError: unexpected indent",
    ]


def test_warnings_on_a_screen_stay_when_they_are_all_the_log_shows_and_a_few_records_stay_whole() -> None:
    warnings = ["10:41:00 WARN disk /var at 91% full", "10:41:05 WARN certificate for api.shop expires in 5 days"]
    routine = [f"10:42:0{i} INFO rotated log {i}" for i in range(5)]
    again = "10:43:00 WARN disk /var at 93% full"  # a repeat, numbers aside
    assert [line.text for line in without_routine_records(screen(*routine, *warnings, again))] == warnings
    few = screen("10:41:00 INFO starting", "10:41:01 INFO listening on :8000", "Page not found (404)")
    assert without_routine_records(few) == few


def test_a_log_viewer_that_numbers_lines_on_a_screen_reads_as_the_file_holds_it() -> None:
    """An editor's gutter, GitHub Actions' log page or `less -N`, read by OCR with each number glued to its line: the
    numbers dropped, then the routine records; the failure's lines stay, its frames told."""
    lines = screen(
        *(f"{n} 10:41:0{n % 10} INFO GET /health 200 {n}ms" for n in range(2028, 2034)),
        "2034 $ python3 utils.py",
        '2035   File "/home/alex/chatbot/utils.py", line 5',
        "2036 IndentationError: unexpected indent",
    )
    assert [line.text for line in without_routine_records(lines)] == [
        "$ python3 utils.py",
        'File "/home/alex/chatbot/utils.py", line 5',
        "IndentationError: unexpected indent",
    ]


ERROR_LOG = [
    "2026/11/02 10:00:01 [error] 1234#1234: *1 connect() failed (111: Connection refused) while connecting to upstream"
] * 5
# the worst cases of the patterns that read a log's line: before they were bounded, each took minutes to read
HOSTILE = {
    "one word of letters": "x" * 1_000_000,
    "HTTP without a space": "HTTP" * 250_000,
    "prompts without a space": "a@b:" * 250_000,
    "two million short lines": "x\n" * 2_000_000,
}


@pytest.mark.parametrize("shape", HOSTILE)
def test_a_hostile_log_is_read_in_bounded_time_and_its_error_still_found(shape: str) -> None:
    """No line is read beyond `LINE_CHARS` and no log beyond `READ_LINES` lines, and no pattern retries from every
    letter of a long word: a hostile text is read in about a second (the bound leaves room for a busy machine)."""
    text = "\n".join([*ERROR_LOG, HOSTILE[shape]])
    started = monotonic()
    lines = [line.text for line in log_lines(text, 40)]
    prose, pasted = pasted_log(text)
    elapsed = monotonic() - started
    assert elapsed < 15, f"{shape}: {elapsed:.1f} s"
    assert any("Connection refused" in line for line in lines)
    assert pasted.startswith(ERROR_LOG[0]) or "\n" in HOSTILE[shape]  # millions of lines of `x` are most of the text
    assert all(len(line) <= LINE_CHARS for line in lines)


def test_a_very_long_log_is_read_at_its_first_and_last_lines() -> None:
    """Of a log longer than `READ_LINES`, the first `HEAD_LINES` (where its program started) and its last lines
    (where it failed) are read; what only its middle says is not."""
    filler = [f"2026-11-02T10:00:00Z INFO step {i} done" for i in range(READ_LINES)]
    text = "\n".join(
        [
            "2026-11-02T09:59:59Z ERROR config: unknown key 'listen_port'",
            *filler[: HEAD_LINES + 10],
            "2026-11-02T10:00:00Z ERROR smtp: connection reset by peer",
            *filler,
            "2026-11-02T10:00:01Z ERROR worker: killed by OOM",
        ]
    )
    read = "\n".join(line.text for line in log_lines(text, 40))
    assert "unknown key" in read and "killed by OOM" in read
    assert "smtp" not in read
    assert read_part(range(READ_LINES + 5)) == [*range(HEAD_LINES), *range(HEAD_LINES + 5, READ_LINES + 5)]
    assert read_part(range(7)) == list(range(7))
