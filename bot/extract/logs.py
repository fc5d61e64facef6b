"""The lines of a pasted log or text file worth searching: a long log is cut down to its errors, the tracebacks
that lead to them and the commands that failed, each distinct line once, timestamps dropped.

A log's records (lines that start with a timestamp or a level) are read by their level: INFO and DEBUG lines are
routine whatever their words, warnings count only when nothing is louder. In a log of such records the lines that
are not records (a traceback, a pasted terminal or JSON body) stand out and are kept. A log with none of these is
cut to its rare lines (those whose form, numbers aside, shows once), as log miners do. A log of JSON records is read
as a plain-text log prints them (`bot.extract.json_logs`), so is a log platform's export (a CSV or a JSON array of a
search's events), oldest first (`bot.extract.exported_logs`), and a log collected through a tool that ran the
program (Compose, journald, kubectl, BuildKit) as the program printed it: that tool's prefix or time on each line
dropped, its report that the program exited non-zero second to how it failed. A log copied with its line numbers
(`cat -n`, `less -N`, `grep -n`) is read without them, `grep -rn`'s lines over a folder as an archive of the files
it named. A short log loses its routine records, and so does a screen that shows a log (a terminal's scrollback, a
server's output above the failure, `docker compose up`, an editor's numbered lines), once the numbers and a runner's
prefix on most lines are dropped. A very long log is read in part (`bot.extract.log_part`: its first and last lines),
each line up to `LINE_CHARS` characters, so that no text costs more to read than a log of ordinary size."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.extract.exported_logs import exported_lines
from bot.extract.har import har_lines
from bot.extract.json_logs import is_json_record, printed_lines
from bot.extract.log_part import read_part
from bot.ranking.text import ERROR_LINE, fold, one_edit, shows_failure
from bot.records import TextFile, TextLine
from bot.terminal import printable

TIMESTAMP = re.compile(
    r"^\s*(?:\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?|"
    r"\[?[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}\]?|\[?\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\]?)\s*"
)
LEVEL_NAME = r"TRACE|DEBUG|INF[O0]|N[O0]TICE|WARN(?:ING)?|ERR[O0]R|FATAL|CRIT(?:ICAL)?|SEVERE"  # O read as 0 by OCR
# a record's level, within its first few fields ("[main] INFO", "- app - ERROR -", "level=warn", "at=info", "[error]")
LEVEL = re.compile(rf"^(?:\S+\s+){{0,3}}?[\[(<]?(?:level=|at=)?({LEVEL_NAME})[\])>:|]?(?:\s|$)", re.IGNORECASE)
# what a tool that runs programs puts before each line they print: `docker compose up`'s service and bar
# (`api-1  | `), `kubectl logs --prefix`'s pod, BuildKit's step and seconds (`#12 4.532 `), turbo's task
# (`api:dev: `), concurrently's name (`[api] `; a level in brackets is Maven's, not a name), and with the time they
# wrote, journald's and syslog's host, unit and pid (`web-3 gunicorn[1234]: `) or Heroku's dyno (`app[web.1]: `)
RUNNER_PREFIXES = (
    re.compile(r"(?=[\w.-]*[a-z])[\w.-]+ *\|(?: |$)", re.IGNORECASE),  # a name, not a table's number
    # Compose's `api-1 |` as OCR reads it: `web- 1|`, `api-1 I`, or the bar lost
    re.compile(r"[A-Za-z][\w.]* ?[-_] ?\d+(?: *(?:\||[Il!](?= )) ?| +)"),
    re.compile(r"\[pod/[^\]\s]+\] "),
    re.compile(r"#\d+ (?:\d+\.\d+ )?"),
    re.compile(rf"(?!(?:{LEVEL_NAME}):)[\w@/.-]+:[\w-]+: ", re.IGNORECASE),
    re.compile(rf"\[(?!(?:{LEVEL_NAME})\])[\w.-]+\] ", re.IGNORECASE),
    re.compile(TIMESTAMP.pattern + r"(?:[\w.-]+ )?[\w.@/-]+\[[\w.-]+\]: "),  # a unit's or dyno's, after the time
)
# a line's number as a tool that numbers lines writes it: `cat -n`'s and `nl`'s (a tab after it), `less -N`'s or an
# editor's gutter (a space), `grep -n`'s (`12:` on a line it matched, `12-` on a line of context; after the file's name
# over a folder, `logs/app.log:12:`; a compiler's `main.c:12:5: ` names a line and column, and is kept)
LINE_NUMBERS = (
    re.compile(r" *(?P<number>\d+)(?:\t| )"),
    re.compile(r"(?:(?P<file>[^\s:]+?)[:-])??(?P<number>\d+)[:-](?!\d+:(?:\d+:)? )"),
)
NUMBERED = 0.9  # the share of steps from one numbered line to the next that go up in lines a tool numbered
GREP_SEPARATOR = "--"  # what `grep` prints between its groups of context
COLLECTED_TIME = 0.9  # the share of a log's lines that start with a time when the collecting tool wrote them
# a tool's report that a program it ran failed, which says nothing of how: BuildKit's "did not complete successfully:
# exit code: 1", systemd's "code=exited, status=1/FAILURE", GitHub Actions' "Process completed with exit code 1.",
# yarn's and pnpm's "Command failed with exit code 1", turbo's "exited (1)", make's "*** [test] Error 1"
EXIT_REPORT = re.compile(
    r"\bexit(?:ed)?\b[^.()]{0,24}?\b(?:code|status)\b[=: ]*\d|\bexited \(\d+\)|\*\*\* \[[^\]]*\] Error \d",
    re.IGNORECASE,
)
# the routine levels, by their names folded as OCR's slips are (`INE0`, `DEBU6`, `LNF0` are compared with these)
ROUTINE_LEVELS = {fold(name): name for name in ("trace", "debug", "info", "notice", "warn", "warning")}
GLUED_TIME = re.compile(r"^[^A-Za-z]+")  # what OCR glued before a level: the time's end (`35INE0`, `0@INF0`)
LEVEL_MARKS = ("[", "(", "<", "level=", "at=")  # what a logger writes a level after when not first or in capitals
QUIET = frozenset({"trace", "debug", "info", "notice"})
WARNING = frozenset({"warn", "warning"})
TRACEBACK = re.compile(r"^Traceback \(most recent call last\)|^\s*(?:File \"|at [\w$.<>]+\(|Caused by:)|^ {4}\S")
COMMAND = re.compile(r"^(?:\S*[$#%>] |\+ |Step \d+/\d+ : |RUN |> )\S")
REPEAT = re.compile(r"\d+|0x[0-9a-f]+", re.I)  # numbers and addresses differ between repeats of one line
ARCHIVE_FAILING = 4  # an archive's files searched (and read alone) when more show a failure: the loudest
ARCHIVE_FILE_LINES = 20  # lines of each failing file of an archive searched at least, however many files fail
RECORDING_FRAME = re.compile(r"^Script (?:started|done) on \d{4}-\d{2}-\d{2}")  # `script`'s first and last lines
LINE_CHARS = 2000  # a log's line is read this far: its message starts it, and what a program prints on one line
# beyond this (a payload, a minified bundle, a hostile paste) would only slow every pattern that reads it
LOG_LINES = 5  # this many lines of machine output make a log: a message with as many, most of its lines from the
# first to the last of them, holds a pasted one (people paste logs without a code fence); a screen showing as many
# routine records shows one


@dataclass(frozen=True)
class LogLine:
    """One line of a log, its timestamp dropped: `level` is its record's level, lower-cased ("" when none), and
    `record` whether it is a record at all (starts with a timestamp or a level)."""

    text: str
    level: str
    record: bool


def log_lines(text: str, limit: int) -> tuple[TextLine, ...]:
    """The lines of `text` to search, at most `limit`: a short text whole but for a log's routine records
    (`beyond_routine`), the salient ones of a long log; terminal escapes (a log saved with colour) and control
    characters dropped, and so are the lines a `script` recording starts and ends with (when, and the terminal's
    settings). A HAR file is read as its failing requests (`har_lines`). A very long log is read in part
    (`read_part`), each line up to `LINE_CHARS`."""
    records = har_lines(text) or exported_lines(text)
    printed = read_part(records or printed_lines("\n".join(read_part(text.splitlines()))))
    raws = [printable(raw)[:LINE_CHARS] for raw in printed if not RECORDING_FRAME.match(raw)]
    texts, files = unnumbered(raws)
    if len(set(filter(None, files))) > 1:  # `grep -rn` over a folder: read as an archive of the files it matched
        return archive_lines(grepped_files(texts, files), limit)
    plain = without_collected_times(without_runner_prefixes(texts))
    lines = [line for line in map(parse, plain) if line.text.strip()]
    if len(lines) > limit:
        kept = salient(lines, limit)
    else:
        kept = [lines[i].text for i in beyond_routine(lines)] or [line.text for line in lines]
    return tuple(TextLine(line.strip(), 1.0, origin="log") for line in kept)


def archive_lines(files: Sequence[TextFile], limit: int) -> tuple[TextLine, ...]:
    """The lines of an archive's text files to search: each file cut as a log is; only the files that show a failure
    louder than a warning, when any does (a support bundle's other logs and settings say nothing of it), at most
    `ARCHIVE_FAILING` of them, those with the most such lines; `limit` lines shared among them, though each keeps at
    least `ARCHIVE_FILE_LINES`; when several fail, each one's lines numbered as a window of their own, so that each is
    also read alone."""
    cut = [log_lines(file.text, limit) for file in files]
    loud = [sum(1 for line in lines if shows_failure(line.text) and is_loud(line.text)) for lines in cut]
    loudest = sorted((i for i in range(len(files)) if loud[i]), key=lambda i: -loud[i])
    failing = sorted(loudest[:ARCHIVE_FAILING])  # in the archive's order
    chosen = failing or list(range(len(files)))
    share = max(limit // len(chosen), ARCHIVE_FILE_LINES if failing else 1)
    kept: list[TextLine] = []
    for number, i in enumerate(chosen, start=1):
        lines = cut[i] if len(cut[i]) <= share else log_lines(files[i].text, share)
        kept.extend(replace(line, window=number if len(failing) > 1 else 0) for line in lines)
    return tuple(kept[: max(limit, share * len(failing))])


def unnumbered(lines: list[str]) -> tuple[list[str], list[str]]:
    """`lines` as the file holds them when a tool numbered them (`cat -n`, `less -N`, `grep -n`), and the file each
    was found in (`grep -rn`; "" when none is named, a line without a number that of the line before): the form of
    `LINE_NUMBERS` most lines carry, when at least half do, their numbers going up from one line to the next of the
    same file (`NUMBERED`; two steps at least), dropped, and `grep`'s separators between groups blanked. A line
    that starts with a time carries no number (its hour). Otherwise `lines` as they are."""
    found = max(([numbered(line, form) for line in lines] for form in LINE_NUMBERS), key=carried)
    numbers = [(match.groupdict().get("file") or "", int(match["number"])) for match in found if match]
    steps = [(earlier, later) for earlier, later in itertools.pairwise(numbers) if earlier[0] == later[0]]
    rises = sum(later > earlier for earlier, later in steps)
    if len(steps) < 2 or 2 * len(numbers) < written(lines) or rises < NUMBERED * len(steps):
        return lines, [""] * len(lines)
    texts, files, file = [], [], ""
    for line, match in zip(lines, found, strict=True):
        if match:
            file = match.groupdict().get("file") or ""
        texts.append(line[match.end() :] if match else "" if line.strip() == GREP_SEPARATOR else line)
        files.append(file)
    return texts, files


def grepped_files(texts: list[str], files: list[str]) -> list[TextFile]:
    """The files `grep -rn` found `texts` in, each with its lines, in the order it named them."""
    grouped: dict[str, list[str]] = {}
    for text, file in zip(texts, files, strict=True):
        grouped.setdefault(file, []).append(text)
    return [TextFile(file, "\n".join(lines)) for file, lines in grouped.items()]


def numbered(line: str, form: re.Pattern[str]) -> re.Match[str] | None:
    """The number `form` finds at the start of `line`; None on a line that starts with a time."""
    return None if TIMESTAMP.match(line) else form.match(line)


def without_runner_prefixes(lines: list[str]) -> list[str]:
    """`lines` as the program printed them when at least half carry the prefix of one tool that ran it (the form of
    `RUNNER_PREFIXES` most lines carry): that prefix dropped, with the tool's time before a unit's; the program's own
    time and level, after it, stay. Otherwise `lines` as they are."""
    ends = max(([prefix_end(line, form) for line in lines] for form in RUNNER_PREFIXES), key=carried)
    if 2 * carried(ends) < max(written(lines), 1):
        return lines
    return [line[end:] for line, end in zip(lines, ends, strict=True)]


def carried(found: Sequence[object]) -> int:
    """How many lines carry a prefix or number, given what was found on each (where a prefix ends, 0 for none; a
    number's match, None for none)."""
    return sum(bool(item) for item in found)


def without_collected_times(lines: list[str]) -> list[str]:
    """`lines` without the time at their start when nearly every line (`COLLECTED_TIME`), a traceback's frames and a
    page's lines too, carries one: the collecting tool's (GitHub Actions, `kubectl logs --timestamps`, `docker logs
    -t`), so that a line is a record by its level. The program's own time and level, after it, stay."""
    stamps = [TIMESTAMP.match(line) for line in lines]
    if sum(stamp is not None for stamp in stamps) < COLLECTED_TIME * max(written(lines), 1):
        return lines
    return [line[stamp.end() :] if stamp else line for line, stamp in zip(lines, stamps, strict=True)]


def written(lines: list[str]) -> int:
    return sum(1 for line in lines if line.strip())


def prefix_end(line: str, form: re.Pattern[str]) -> int:
    """Where the prefix `form` ends on `line`; 0 when it has none."""
    found = form.match(line)
    return found.end() if found else 0


def is_loud(line: str) -> bool:
    """Whether a line is louder than a warning: a record of another level, or no record."""
    return parse(line).level not in QUIET | WARNING


def pasted_log(text: str) -> tuple[str, str]:
    """A message's text split into what the person wrote and the log or traceback pasted in it without a code
    fence ("" when there is none): the lines from the first line of machine output (a log record, a traceback
    frame, a command, an error; told without their numbers when a tool numbered the lines) to the last, when at
    least `LOG_LINES` of them are and they are most of it. A few lines (fewer than `LOG_LINES` written) before the
    first that has a program's form (`has_machine_form`) are the person's, though they name an error: people say what
    failed before they paste ("deploy failed, log below", "getting this error:")."""
    lines = read_part(text.splitlines())
    texts = unnumbered([line[:LINE_CHARS] for line in lines])[0]
    machine = [i for i, line in enumerate(texts) if is_machine_output(line)]
    if len(machine) < LOG_LINES:
        return text, ""
    formed = next((i for i in machine if has_machine_form(texts[i])), len(lines))
    said = sum(1 for line in lines[machine[0] : formed] if line.strip())
    first, last = formed if said < LOG_LINES else machine[0], machine[-1]
    written = sum(1 for line in lines[first : last + 1] if line.strip())
    if len(machine) * 2 < written:
        return text, ""
    prose = "\n".join([*lines[:first], *lines[last + 1 :]])
    return prose, "\n".join(lines[first : last + 1])


def without_routine_records(lines: tuple[TextLine, ...]) -> tuple[TextLine, ...]:
    """A screen's lines without the routine records of a log it shows (`beyond_routine`): errors, the tracebacks and
    commands around them and whatever is not a record (a page's text) stay, in order. The numbers of a view that
    numbers lines (an editor's gutter, GitHub Actions' log page, `less -N`) and a runner's prefix on most lines
    (`docker compose up`'s name and bar, as OCR reads them) are dropped first."""
    texts = without_runner_prefixes(unnumbered([line.text for line in lines])[0])
    lines = tuple(replace(line, text=text.strip()) for line, text in zip(lines, texts, strict=True) if text.strip())
    return tuple(lines[i] for i in beyond_routine([parse_read(line.text) for line in lines]))


def parse_read(raw: str) -> LogLine:
    """A screen's line as `parse` reads it, or, when no level is found, a record of the routine level OCR read with
    a slip (`slipped_level`)."""
    line = parse(raw)
    level = "" if line.level else slipped_level(line.text)
    return LogLine(line.text, level, True) if level else line


def slipped_level(text: str) -> str:
    """The routine level (lower-cased) a word among the first three of `text` names with one character read wrong,
    added or lost (`INE0`, `DEBU6`, `WARNNG`), in capitals but for one lower-case letter, as read or after the time
    glued to it (`10.41:35INE0`, `10:42:0@INF0`); "" when none does."""
    for word in text.split()[:3]:
        word = word.strip("[]()<>|:.,")
        for read in (word, GLUED_TIME.sub("", word)):
            if len(read) < 4 or sum(c.islower() for c in read) > 1:
                continue
            folded = fold(read)
            for known, name in ROUTINE_LEVELS.items():
                if folded == known or one_edit(folded, known):
                    return name
    return ""


def beyond_routine(lines: list[LogLine]) -> list[int]:
    """Which of `lines` to keep once at least `LOG_LINES` are routine records: all but INFO and DEBUG records, records
    of no level that state no error, warnings when a line is louder (an error, or a line that is no record: a page, a
    command's output, a prompt) and repeats of a record kept (its letters the same: numbers, spacing and punctuation,
    which OCR slips on, aside). All of them otherwise."""
    louder = any(is_error(line, WARNING) or not line.record for line in lines)
    routine = [
        line.record
        and (line.level in QUIET or (line.level in WARNING and louder) or not (line.level or states_error(line.text)))
        for line in lines
    ]
    if sum(routine) < LOG_LINES:
        return list(range(len(lines)))
    seen: set[str] = set()
    kept = []
    for i, (line, dropped) in enumerate(zip(lines, routine, strict=True)):
        form = "".join(filter(str.isalpha, line.text.lower())) if line.record else None
        if dropped or form in seen:
            continue
        if form is not None:
            seen.add(form)
        kept.append(i)
    return kept


def is_machine_output(line: str) -> bool:
    """Whether a line looks printed by a program rather than written by a person: it has a program's form, or states
    an error."""
    parsed = parse(line)
    return parsed.record or has_machine_form(line) or states_error(parsed.text)


def has_machine_form(line: str) -> bool:
    """Whether a line has a form only programs print: a time at its start, a level as a logger writes it (in capitals,
    first, or marked: `[error]`, `level=error`; "getting this error:" is a person's), a runner's prefix, a JSON
    record, a traceback's line, a command at a prompt."""
    level = LEVEL.match(line.strip())
    before = line.strip()[: level.start(1)].rstrip() if level else ""
    return (
        bool(TIMESTAMP.match(line))
        or bool(level and (level.group(1).isupper() or not before or before.endswith(LEVEL_MARKS)))
        or any(form.match(line) for form in RUNNER_PREFIXES)
        or is_json_record(line)
        or bool(TRACEBACK.search(line) or COMMAND.search(line))
    )


def parse(raw: str) -> LogLine:
    stamp = TIMESTAMP.match(raw)
    text = raw[stamp.end() :].rstrip() if stamp else raw.rstrip()  # indentation stays: it marks a traceback
    level = LEVEL.match(text)
    return LogLine(text, level.group(1).lower().replace("0", "o") if level else "", bool(stamp or level))


def salient(lines: list[LogLine], limit: int) -> list[str]:
    """The loudest lines, each distinct once: errors with the command or traceback that led to them; warnings when
    no line is louder; then, in a log of records, the lines between its records that are not records (a header above
    the first record, a program's banner, is not one). A tool's report that a program failed (`EXIT_REPORT`) gives
    way to any other error. The last `limit` of them in the log's order (a log ends where it failed), else its rare
    lines."""
    texts = [line.text for line in lines]
    errors = [i for i, line in enumerate(lines) if is_error(line, WARNING)]
    errors = errors or [i for i, line in enumerate(lines) if is_error(line, frozenset())]
    picked = {j for i in errors for j in (i, *context_before(texts, i))}
    if sum(line.record for line in lines) * 2 > len(lines):
        first = next(i for i, line in enumerate(lines) if line.record)
        picked.update(i for i, line in enumerate(lines) if not line.record and i > first)
    reports = {i for i in picked if EXIT_REPORT.search(texts[i])}
    if any(i not in reports for i in errors):
        picked -= reports
    seen: set[str] = set()
    kept = []
    for i in sorted(picked, reverse=True):
        key = REPEAT.sub("#", texts[i].strip().lower())
        if key not in seen:
            seen.add(key)
            kept.append(i)
        if len(kept) == limit:
            break
    return [texts[i] for i in sorted(kept)] or rare(texts, limit)


def is_error(line: LogLine, muted: frozenset[str]) -> bool:
    """Whether `line` says something failed, at a level that is neither routine nor `muted`."""
    return line.level not in QUIET and line.level not in muted and states_error(line.text)


def states_error(line: str) -> bool:
    """Whether `line` states an error: an error line that is not a traceback's header or one of its frames."""
    return not TRACEBACK.search(line) and bool(ERROR_LINE.search(line))


def rare(lines: list[str], limit: int) -> list[str]:
    """The lines whose form (numbers and addresses masked) occurs once: what stands out in a repetitive log;
    the last `limit` lines when none does."""
    forms = [REPEAT.sub("#", line.lower()) for line in lines]
    counts: dict[str, int] = {}
    for form in forms:
        counts[form] = counts.get(form, 0) + 1
    once = [line for line, form in zip(lines, forms, strict=True) if counts[form] == 1]
    return once[-limit:] if once else lines[-limit:]


def context_before(lines: list[str], i: int) -> list[int]:
    """The traceback header and last two frames, or the command, that lead to the error on line `i`."""
    context = []
    j = i - 1
    frames = 0
    while j >= 0 and i - j <= 40 and TRACEBACK.search(lines[j]):
        if lines[j].startswith("Traceback") or frames < 2:
            context.append(j)
        frames += lines[j].lstrip().startswith(("File ", "at "))
        j -= 1
    if j >= 0 and i - j <= 2 and COMMAND.search(lines[j]):
        context.append(j)
    return context
