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
