"""Pick the lines of a screenshot or log that state the error, so they are searched on their own."""

from __future__ import annotations

import re

ERROR_LINE = re.compile(
    r"error|fail|fatal|exception|refused|denied|invalid|not found|unable|cannot|can't|couldn't|could not|"
    r"timed? ?out|conflict|unexpected|missing|no such|does not exist|doesn't exist|too many|too large|"
    r"unavailable|forbidden|unauthori[sz]ed|bad gateway|bad request|not allowed|rejected|isn't working|"
    r"can't be reached|unreachable|\b[45]\d\d\b|\bERR[_!]|\bE[A-Z]{3,}\b|[A-Za-z]+(?:Error|Exception)\b",
    re.IGNORECASE,
)


def salient_lines(text: str, limit: int = 8) -> str:
    """The lines that look like an error message (at most `limit`), or "" when none do."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    picked = [line for line in lines if ERROR_LINE.search(line)]
    return "\n".join(dict.fromkeys(picked[:limit]))


# values that differ from one occurrence of an error to the next: double-quoted names (one token: a quoted
# phrase is a message, not a name), IPv4 addresses (with a port), shell prompts; masking them leaves the message's
# template, as log parsers do
INSTANCE_VALUE = re.compile(
    r'"[^"\s]*(?:"|$)|\(?\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b\)?|[\w.-]+@[\w.-]+:\S*[$#]', re.MULTILINE
)


def message_template(text: str) -> str:
    """`text` without the values that change between occurrences of the same error ("" when nothing else is left)."""
    masked = re.sub(r"[ \t]{2,}", " ", INSTANCE_VALUE.sub(" ", text))
    return masked if re.search(r"[^\W\d_]{2,}", masked) else ""


_WORD = re.compile(r"[a-z0-9]{2,}")


def matching_line(query: str, knowledge: str) -> str:
    """The line of `query` that best shows why it met `knowledge`: the one sharing the most (by length) words
    with it, an error line first when one shares any; "" when no line shares a word."""
    known = set(_WORD.findall(knowledge.lower()))
    lines = [line.strip() for line in query.splitlines() if line.strip()]
    for pool in ([line for line in lines if ERROR_LINE.search(line)], lines):
        shared = [(sum(len(w) for w in set(_WORD.findall(line.lower())) & known), -i) for i, line in enumerate(pool)]
        score, position = max(shared, default=(0, 0))
        if score:
            return pool[-position]
    return ""
