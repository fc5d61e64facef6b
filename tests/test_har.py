"""HAR files (the browser's record of a page's requests) read as the requests that failed."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from bot.errors import MediaTooLarge
from bot.extract.logs import log_lines
from bot.intake import decode_attachment
from bot.records import Attachment
from bot.settings import Settings

NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>"
)
NGINX_502 += "\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n"
SCRIPT = 'fetch("/api/cart").catch(function(e){console.error("Request failed", e); throw new Error("cart")});'


def request(url: str, status: int, body: str = "", mime: str = "", **response: Any) -> dict[str, Any]:
    """One request as Chrome records it over HTTP/2 (no status text), with a session cookie."""
    content: dict[str, Any] = {"size": len(body), "mimeType": mime or "x-unknown"}
    if body:
        content["text"] = body
    return {
        "request": {"method": "GET", "url": url, "headers": [{"name": "cookie", "value": "sid=s3cr3t-session"}]},
        "response": {"status": status, "statusText": "", "content": content, "_error": None, **response},
        "timings": {"wait": 40.0},
    }


def har(entries: list[dict[str, Any]], indent: int | None = 2) -> str:
    return json.dumps(
        {"log": {"version": "1.2", "creator": {"name": "WebInspector"}, "entries": entries}}, indent=indent
    )


def page(*failing: dict[str, Any]) -> list[dict[str, Any]]:
    """A page load of 30 scripts that name errors in their code, the site icon missing, and `failing` in between."""
    scripts = [
        request(f"https://shop.example/assets/{n}.js", 200, SCRIPT * 3, "application/javascript") for n in range(30)
    ]
    icon = request("https://shop.example/favicon.ico", 404, "<html><h1>404 Not Found</h1></html>", "text/html")
    return [*scripts[:20], *failing, icon, *scripts[20:]]


def texts(text: str) -> list[str]:
    return [line.text for line in log_lines(text, 40)]


def test_a_har_is_read_as_its_failing_requests_and_what_the_server_answered() -> None:
    gateway = request("https://shop.example/api/orders?token=abc123", 502, NGINX_502, "text/html")
    refused = request("http://localhost:5173/src/main.ts", 0, _error="net::ERR_CONNECTION_REFUSED")
    expected = [
        "GET https://shop.example/api/orders 502 Bad Gateway",  # the status's usual reason, the query left out
        "502 Bad Gateway",
        "nginx/1.24.0",
        "GET http://localhost:5173/src/main.ts net::ERR_CONNECTION_REFUSED",
    ]
    for indent in (2, None):  # as Chrome saves it, and minified on one line
        read = texts(har(page(gateway, refused), indent))
        assert read == expected, "no script's code, no missing icon, no cookie"


def test_a_body_sent_in_base64_is_read_and_a_binary_one_left_out() -> None:
    detail = json.dumps({"detail": [{"loc": ["body", "sku"], "msg": "Field required"}]})
    encoded = request("https://api.example/orders", 422, base64.b64encode(detail.encode()).decode(), "application/json")
    encoded["response"]["content"]["encoding"] = "base64"
    picture = request("https://api.example/avatar", 500, base64.b64encode(b"\x89PNG\r\n\x1a\n\xff\x00").decode())
    picture["response"]["content"]["encoding"] = "base64"
    assert texts(har([encoded, picture])) == [
        "GET https://api.example/orders 422 Unprocessable Entity",
        detail,
        "GET https://api.example/avatar 500 Internal Server Error",
    ]


def test_a_har_whose_requests_all_succeeded_reads_as_its_requests() -> None:
    read = texts(har([request("https://shop.example/", 200), request("https://shop.example/api/me", 304)]))
    assert read == ["GET https://shop.example/ 200 OK", "GET https://shop.example/api/me 304 Not Modified"]


def test_json_that_is_no_har_is_read_as_before() -> None:
    for document in ('{"entries": 3, "error": "quota exceeded"}', '{"log": "disk full", "entries": []}'):
        assert texts(document) == [document]


def test_a_har_over_the_text_limit_is_read_with_its_bodies_cut() -> None:
    """Most of a HAR's size is the bodies it recorded (pictures in base64, scripts): each is cut to its start, which
    is all that is read of it, before the limit is checked (gzipped too); a log as large, or a HAR still too large,
    is refused."""
    settings = Settings(max_snippet_bytes=200_000)
    pictures = [request(f"https://shop.example/img/{n}.webp", 200, "QUJD" * 25_000, "image/webp") for n in range(10)]
    gateway = request("https://shop.example/api/orders", 502, NGINX_502, "text/html")
    data = har([*pictures[:5], gateway, *pictures[5:]]).encode()
    assert len(data) > 1_000_000
    for name, sent in (("shop.har", data), ("shop.har.gz", gzip.compress(data))):
        media = decode_attachment(Attachment(name, sent), settings)
        assert texts(media.payload)[:3] == [
            "GET https://shop.example/api/orders 502 Bad Gateway",
            "502 Bad Gateway",
            "nginx/1.24.0",
        ]
    many = har([request(f"https://shop.example/api/items/{n}", 200) for n in range(3000)]).encode()
    unended = b'{"log": {"entries": [{"response": {"content": {"text": "' + b"a" * 1_000_000
    for refused in (b"GET /api/orders 502\n" * 60_000, many, unended):
        with pytest.raises(MediaTooLarge):
            decode_attachment(Attachment("big.har", refused), settings)
