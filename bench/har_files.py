"""How well does a HAR file (the browser's record of a page's requests, which support teams ask for) read? (issue 11:
whatever a person drops in the channel is read)

    .venv/bin/python -m bench.har_files

Indexes the shipped `knowledge/` in a temporary folder and asks the engine, for each of seven shipped bugs that show
in a browser, one question with a HAR file attached, as Chrome's "Save all as HAR (with content)" writes it (indented)
and minified (as some HAR tools write it). Each HAR records a page's load: about 140 requests that succeed (the page,
scripts whose code throws and catches errors as scripts do, styles, fonts, pictures, an analytics beacon, a request
answered 304) and a missing favicon (404), with the failing requests among them: nginx's 502 and 504 pages, Chrome's
`net::ERR_NAME_NOT_RESOLVED` and `net::ERR_CONNECTION_REFUSED` (status 0), a redirect loop ending in
`net::ERR_TOO_MANY_REDIRECTS`, FastAPI's 422 body and Django's DisallowedHost debug page (400). Each also indented
with its pictures' bodies recorded in base64 (about 20 MB, over the 5 MB limit for text). Prints the HAR's size, the
seconds the question took, how many lines were read, the first of them (or the sentence the asker got), the decision
and the bug first.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import time
from typing import Any

from bench.hostile_text import table_engine
from bot.records import Attachment, Query

NGINX_PAGE = (
    "<html>\r\n<head><title>{status}</title></head>\r\n<body>\r\n<center><h1>{status}</h1></center>\r\n"
    "<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n"
)
SCRIPT = (
    'function r(t){{return fetch("/api/"+t).then(function(e){{if(!e.ok)throw new Error("Request failed: "+e.status);'
    "return e.json()}}).catch(function(e){{console.error(e);window.__errors.push(String(e))}})}}"
    'var n{index}=document.querySelector("#app");if(!n{index})throw new TypeError("mount point missing");'
)
DJANGO_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta http-equiv="content-type" content="text/html; charset=utf-8">
  <title>DisallowedHost
          at /</title>
  <style type="text/css">html * { padding:0; margin:0; } body * { padding:10px 20px; }</style>
</head>
<body>
<div id="summary">
  <h1>DisallowedHost
       at /</h1>
  <pre class="exception_value">Invalid HTTP_HOST header: &#x27;backoffice.lumen.test&#x27;. \
You may need to add &#x27;backoffice.lumen.test&#x27; to ALLOWED_HOSTS.</pre>
  <table class="meta">
    <tr><th scope="row">Request Method:</th><td>GET</td></tr>
    <tr><th scope="row">Request URL:</th><td>http://backoffice.lumen.test/</td></tr>
    <tr><th scope="row">Django Version:</th><td>5.2.1</td></tr>
    <tr><th scope="row">Exception Type:</th><td>DisallowedHost</td></tr>
  </table>
</div>
</body>
</html>
"""
UNPROCESSABLE = {
    "detail": [{"type": "missing", "loc": ["body", "items", 0, "sku"], "msg": "Field required", "input": {"qty": 2}}]
}


def entry(method: str, url: str, status: int, text: str, mime: str = "", body: str = "", **response: Any) -> dict:
    """One request as Chrome records it."""
    content: dict[str, Any] = {"size": len(body), "mimeType": mime or "x-unknown"}
    if body:
        content["text"] = body
    return {
        "_initiator": {"type": "script"},
        "_priority": "High",
        "_resourceType": "fetch" if "/api/" in url else "other",
        "cache": {},
        "connection": "443",
        "request": {
            "method": method,
            "url": url,
            "httpVersion": "http/2.0",
            "headers": [{"name": ":authority", "value": url.split("/")[2]}, {"name": "cookie", "value": "sid=8f3e2a"}],
            "queryString": [],
            "cookies": [{"name": "sid", "value": "8f3e2a"}],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": status,
            "statusText": text,
            "httpVersion": "http/2.0" if status else "",
            "headers": [{"name": "content-type", "value": mime}] if status else [],
            "cookies": [],
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_transferSize": len(body) + 300,
            "_error": None,
            **response,
        },
        "serverIPAddress": "10.0.0.5" if status else "",
        "startedDateTime": "2026-12-06T10:00:00.000Z",
        "time": 42.0,
        "timings": {"blocked": 1.0, "dns": -1, "ssl": -1, "connect": -1, "send": 0.1, "wait": 40.0, "receive": 0.9},
    }


def page_load(rng: random.Random, site: str) -> list[dict]:
    """The requests of a page that loads: the page, its scripts, styles, fonts, pictures, a beacon, a 304, a 404."""
    entries = [entry("GET", f"{site}/", 200, "", "text/html", "<!doctype html><html><body><div id=app></div></body>")]
    for index in range(40):
        entries.append(
            entry(
                "GET",
                f"{site}/assets/chunk-{index:03d}.js",
                200,
                "",
                "application/javascript",
                SCRIPT.format(index=index) * rng.randint(2, 6),
            )
        )
    for index in range(20):
        entries.append(entry("GET", f"{site}/assets/style-{index:02d}.css", 200, "", "text/css", ".a{color:red}" * 20))
    for index in range(70):
        entries.append(entry("GET", f"{site}/img/product-{index:03d}.webp", 200, "", "image/webp"))
    entries.append(entry("GET", f"{site}/fonts/inter.woff2", 200, "", "font/woff2"))
    entries.append(entry("POST", "https://stats.lumen.test/collect?v=2", 204, ""))
    entries.append(entry("GET", f"{site}/api/me", 304, ""))
    entries.append(entry("GET", f"{site}/favicon.ico", 404, "", "text/html", NGINX_PAGE.format(status="404 Not Found")))
    return entries


def failing(bug: str) -> list[dict]:
    """The requests that failed, for `bug`."""
    if bug == "nginx-502-bad-gateway":
        page = NGINX_PAGE.format(status="502 Bad Gateway")
        return [entry("GET", "https://shop.lumen.test/api/orders?page=1", 502, "", "text/html", page)]
    if bug == "nginx-504-gateway-timeout":
        page = NGINX_PAGE.format(status="504 Gateway Time-out")
        return [entry("POST", "https://shop.lumen.test/api/reports/monthly", 504, "", "text/html", page)]
    if bug == "chrome-err-name-not-resolved":
        return [entry("GET", "https://orders.lumen.internal/api/orders", 0, "", _error="net::ERR_NAME_NOT_RESOLVED")]
    if bug == "chrome-err-connection-refused":
        return [entry("GET", "http://localhost:5173/src/main.ts", 0, "", _error="net::ERR_CONNECTION_REFUSED")]
    if bug == "chrome-err-too-many-redirects":
        hops = []
        for hop in range(20):
            scheme, to = ("https", "http") if hop % 2 else ("http", "https")
            url = f"{scheme}://reports.lumen.test/login"
            hops.append(entry("GET", url, 302, "", "text/html", redirectURL=f"{to}://reports.lumen.test/login"))
        hops.append(entry("GET", "http://reports.lumen.test/login", 0, "", _error="net::ERR_TOO_MANY_REDIRECTS"))
        return hops
    if bug == "fastapi-422-missing-field-sku":
        body = json.dumps(UNPROCESSABLE)
        return [entry("POST", "https://api.lumen.test/orders", 422, "", "application/json", body)]
    return [entry("GET", "http://backoffice.lumen.test/", 400, "Bad Request", "text/html", DJANGO_PAGE)]


BUGS = (
    "nginx-502-bad-gateway",
    "nginx-504-gateway-timeout",
    "chrome-err-name-not-resolved",
    "chrome-err-connection-refused",
    "chrome-err-too-many-redirects",
    "fastapi-422-missing-field-sku",
    "django-disallowedhost-allowed-hosts",
)


def har(bug: str, indent: int | None, pictures: bool = False) -> bytes:
    """A HAR of a page load with `bug`'s failing requests among its requests; with `pictures`, the pictures' bodies
    recorded too, in base64 (as "with content" saves them: about 20 MB)."""
    rng = random.Random(bug)
    entries = page_load(rng, "https://shop.lumen.test")
    for item in entries if pictures else ():
        content = item["response"]["content"]
        if content["mimeType"] == "image/webp":
            content["text"] = base64.b64encode(rng.randbytes(200_000)).decode()
            content["encoding"] = "base64"
    at = rng.randint(len(entries) // 3, len(entries) - 1)
    entries[at:at] = failing(bug)
    log = {
        "version": "1.2",
        "creator": {"name": "WebInspector", "version": "537.36"},
        "pages": [
            {
                "startedDateTime": "2026-12-06T10:00:00.000Z",
                "id": "page_3",
                "title": "https://shop.lumen.test/",
                "pageTimings": {"onContentLoad": 812.4, "onLoad": 1204.9},
            }
        ],
        "entries": entries,
    }
    return json.dumps({"log": log}, indent=indent).encode()


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    columns = ("bug", "HAR", "MB", "seconds", "lines read", "first line read", "decision", "first bug")
    with table_engine("bench-har-files-", columns) as matcher:
        for bug in BUGS:
            for form, indent, pictures in (("indented", 2, False), ("minified", None, False), ("pictures", 2, True)):
                data = har(bug, indent, pictures)
                started = time.perf_counter()
                answer = matcher.match(Query(attachments=(Attachment("shop.lumen.test.har", data),)))
                took = f"{time.perf_counter() - started:.2f}"
                read = answer.inputs[0].lines
                first = read[0].text[:70].replace("|", "\\|") if read else answer.inputs[0].error or "-"
                best = answer.matches[0].bug.id if answer.matches else "-"
                mark = "" if best == bug else " (wrong)"
                size = f"{len(data) / 1e6:.2f}"
                row = (bug, form, size, took, str(len(read)), f"`{first}`", answer.decision, best + mark)
                print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
