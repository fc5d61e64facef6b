"""A HAR file (HTTP Archive: the browser's record of a page's requests, which support teams ask for when a web page
fails) read as the requests that failed: each one's method, address and status (with the status's usual reason when
the browser recorded none, as over HTTP/2), or the network error the browser gave instead (`net::ERR_…`, status 0),
then the first lines of what the server answered (an HTML page's text, a JSON body as it is); the browser's own request
for the site's icon (`/favicon.ico`), missing on many sites, is no failure of the page. A HAR whose requests all
succeeded reads as its requests, one line each. An address is read without its query (which often carries a
token); headers, cookies and timings are left out: they say nothing of what failed, and headers and cookies hold
secrets."""

from __future__ import annotations

import base64
import binascii
import html
import http
import re
from typing import Any

from bot.extract.json_logs import parse_json
from bot.har import BODY_CHARS

BODY_LINES = 6  # lines of a failing response's body read
HIDDEN = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[^>]*>")


def har_lines(text: str) -> list[str]:
    """The lines a HAR is read as; [] when `text` is no HAR (a JSON document with `log.entries`)."""
    stripped = text.strip()
    if not stripped.startswith("{") or '"entries"' not in stripped:
        return []
    document = parse_json(stripped)
    log = document.get("log") if isinstance(document, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        return []
    requests = [entry for entry in entries if isinstance(entry, dict)]
    failed = [entry for entry in requests if (status(entry) == 0 or status(entry) >= 400) and not icon(entry)]
    lines: list[str] = []
    for entry in failed or requests:
        lines.append(request_line(entry))
        if failed:
            lines.extend(body_lines(field(entry, "response", "content")))
    return lines


def field(entry: dict[str, Any], *keys: str) -> Any:
    """`entry[keys[0]][keys[1]]…`, or None where a level is missing or no object."""
    value: Any = entry
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def status(entry: dict[str, Any]) -> int:
    value = field(entry, "response", "status")
    return value if isinstance(value, int) else 0


def icon(entry: dict[str, Any]) -> bool:
    """Whether `entry` is the browser's own request for the site's icon, which breaks nothing when it fails."""
    return str(field(entry, "request", "url") or "").split("?", 1)[0].endswith("/favicon.ico")


def request_line(entry: dict[str, Any]) -> str:
    """`GET https://shop.example/api/orders 502 Bad Gateway`, or the browser's error where no answer came."""
    method, url = field(entry, "request", "method"), field(entry, "request", "url")
    address = str(url).split("?", 1)[0].split("#", 1)[0] if url else ""
    code = status(entry)
    if code:
        reason = field(entry, "response", "statusText") or usual_reason(code)
        outcome = f"{code} {reason}".strip()
    else:
        outcome = str(field(entry, "response", "_error") or "failed, no response")
    return " ".join(part for part in (str(method or ""), address, outcome) if part)


def usual_reason(code: int) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return ""


def body_lines(content: Any) -> list[str]:
    """The first `BODY_LINES` lines of a response's body: an HTML page's text, any other text as it is."""
    if not isinstance(content, dict) or not isinstance(content.get("text"), str):
        return []
    body = content["text"][: BODY_CHARS * 2 if content.get("encoding") == "base64" else BODY_CHARS]
    if content.get("encoding") == "base64":
        try:
            body = base64.b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return []  # a picture, a font, a compressed body
    body = body[:BODY_CHARS]
    if "html" in str(content.get("mimeType", "")) or body.lstrip().startswith("<"):
        body = html.unescape(TAG.sub("\n", HIDDEN.sub("\n", body)))
    lines: list[str] = []
    for line in (" ".join(raw.split()) for raw in body.splitlines()):
        if line and line not in lines[-1:]:
            lines.append(line)
    return lines[:BODY_LINES]
