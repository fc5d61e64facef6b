"""The lines of a pasted log or text file worth searching: a long log is cut down to its errors, the tracebacks
that lead to them and the commands that failed, each distinct line once, timestamps dropped. A log with no
error line is cut to its rare lines (those whose form, numbers aside, shows once), as log miners do."""

from __future__ import annotations

import re

from bot.records import TextLine

# what an error says, in words (any case) or in codes (as written: ENOENT, ERR_SSL_..., *Error, and an HTTP 4xx/5xx
# with its reason or after HTTP/status/code, so that "450 records" in a log is not one)
ERROR_LINE = re.compile(
    r"(?i:error|fail|fatal|exception|traceback|refused|denied|invalid|not found|unable|cannot|can't|couldn't|"
    r"could not|timed? ?out|conflict|unexpected|missing|no such|does not exist|doesn't exist|too many|too large|"
    r"unavailable|forbidden|unauthori[sz]ed|bad gateway|bad request|not allowed|rejected|isn't working|"
    r"can't be reached|unreachable|aborted|panic|segmentation fault|did not match|no module named|undefined|"
    r"permission|exit (?:code|status) [1-9]|reset by peer|empty reply|broken pipe|no route to host)|\"detail\": ?|"
    r"(?<![\w.])[45]\d\d ?(?=[A-Z])|(?:HTTP\S*|status|code)[ :=]+[45]\d\d\b|"
    r"\bERR[_!]|\bE[A-Z]{3,}\b|\b[A-Z]\w*(?:Error|Exception)\b"
)

TIMESTAMP = re.compile(
    r"^\s*(?:\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?|"
    r"\[?[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}\]?|\[?\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\]?)\s*"
)
TRACEBACK = re.compile(r"^Traceback \(most recent call last\)|^\s*(?:File \"|at [\w$.<>]+\(|Caused by:)|^ {4}\S")
COMMAND = re.compile(r"^(?:\S*[$#%>] |\+ |Step \d+/\d+ : |RUN |> )\S")
REPEAT = re.compile(r"\d+|0x[0-9a-f]+", re.I)  # numbers and addresses differ between repeats of one line


def log_lines(text: str, limit: int) -> tuple[TextLine, ...]:
    """The lines of `text` to search, at most `limit`: all of a short text, the salient ones of a long log."""
    lines = [TIMESTAMP.sub("", line).rstrip() for line in text.splitlines()]
    lines = [line for line in lines if line.strip()]  # indentation stays: it marks a traceback's code lines
    if len(lines) > limit:
        lines = salient(lines, limit)
    return tuple(TextLine(line.strip(), 1.0, origin="log") for line in lines)


def salient(lines: list[str], limit: int) -> list[str]:
    """Error lines, each with the command or traceback lines just before it; distinct lines, the last `limit`
    of them (a log ends where it failed)."""
    picked: set[int] = set()
    for i, line in enumerate(lines):
        if ERROR_LINE.search(line) and not TRACEBACK.search(line):
            picked.add(i)
            picked.update(context_before(lines, i))
    seen: set[str] = set()
    kept = []
    for i in sorted(picked, reverse=True):
        key = REPEAT.sub("#", lines[i].lower())
        if key not in seen:
            seen.add(key)
            kept.append(i)
        if len(kept) == limit:
            break
    return [lines[i] for i in sorted(kept)] or rare(lines, limit)


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
