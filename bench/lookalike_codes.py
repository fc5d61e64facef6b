"""Queries whose error code is a near look-alike of one in the shipped knowledge base, and queries of those codes.

    .venv/bin/python -m bench.lookalike_codes OUT
    .venv/bin/supportbot eval --knowledge knowledge --queries OUT/queries.jsonl

Chrome names many failures alike: `ERR_CONNECTION_RESET` and `ERR_CONNECTION_REFUSED` are 0.89 alike letter for letter,
`ERR_NAME_RESOLUTION_FAILED` shows the very sentence `ERR_NAME_NOT_RESOLVED` does. Writes OUT/queries.jsonl (files
relative to OUT) and OUT/media/*: for each code, Chrome's error page for it rendered as a screenshot, the same page
forwarded (a half-size JPEG, quality 40) and a typed message naming it. The shipped knowledge's own codes are
expected to be its bugs; every look-alike is out of the knowledge base, so a `match` for one is a wrong answer.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bench.query_sets import command_line

SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
UNREACHABLE = "This site can't be reached"
DOWN = "The webpage at https://{host}/ might be temporarily down or it may have moved permanently to a new web address."
# (code, host, heading, what the page says, the shipped bug it is, or None for a look-alike out of the knowledge base)
PAGES = [
    (
        "ERR_CONNECTION_REFUSED",
        "localhost:3000",
        UNREACHABLE,
        "{host} refused to connect.",
        "chrome-err-connection-refused",
    ),
    ("ERR_CONNECTION_RESET", "staging.lumen.test", UNREACHABLE, "The connection was reset.", None),
    ("ERR_CONNECTION_CLOSED", "api.lumen.test", UNREACHABLE, "{host} unexpectedly closed the connection.", None),
    ("ERR_CONNECTION_FAILED", "files.lumen.test", UNREACHABLE, DOWN, None),
    ("ERR_CONNECTION_TIMED_OUT", "db.lumen.test", UNREACHABLE, "{host} took too long to respond.", None),
    (
        "ERR_NAME_NOT_RESOLVED",
        "shop.lumen.test",
        UNREACHABLE,
        "{host}'s server IP address could not be found.",
        "chrome-err-name-not-resolved",
    ),
    (
        "ERR_NAME_RESOLUTION_FAILED",
        "cdn.lumen.test",
        UNREACHABLE,
        "{host}'s server IP address could not be found.",
        None,
    ),
    (
        "ERR_TOO_MANY_REDIRECTS",
        "app.lumen.test",
        "This page isn't working",
        "{host} redirected you too many times.",
        "chrome-err-too-many-redirects",
    ),
    ("ERR_TOO_MANY_RETRIES", "upload.lumen.test", UNREACHABLE, DOWN, None),
    ("ERR_CONNECTION_ABORTED", "ws.lumen.test", UNREACHABLE, DOWN, None),
]


def chrome_page(code: str, host: str, heading: str, says: str) -> Image.Image:
    """Chrome's error page as a 1100×620 screenshot: address bar, heading, what it says, what to try, the code."""
    image = Image.new("RGB", (1100, 620), "white")
    draw = ImageDraw.Draw(image)
    grey, small = (95, 99, 104), ImageFont.truetype(SANS, 17)
    draw.rectangle((0, 0, 1100, 40), fill=(222, 225, 230))
    draw.text((20, 10), host, font=ImageFont.truetype(SANS, 16), fill=(60, 60, 60))
    draw.text((180, 150), heading, font=ImageFont.truetype(SANS, 30), fill=(32, 33, 36))
    draw.text((180, 210), says.format(host=host), font=small, fill=grey)
    draw.text((180, 250), "Try:", font=small, fill=grey)
    draw.text((200, 280), "• Checking the connection", font=small, fill=grey)
    draw.text((200, 310), "• Checking the proxy and the firewall", font=small, fill=grey)
    draw.text((180, 360), code, font=ImageFont.truetype(SANS, 14), fill=grey)
    draw.rounded_rectangle((180, 420, 280, 460), 6, fill=(26, 115, 232))
    draw.text((200, 430), "Reload", font=ImageFont.truetype(SANS, 16), fill="white")
    return image


def make(out: Path) -> list[dict]:
    """Write the pages to OUT/media; returns the queries."""
    (out / "media").mkdir(parents=True, exist_ok=True)
    queries = []
    for code, host, heading, says, expected in PAGES:
        name = code.lower().removeprefix("err_").replace("_", "-")
        page = chrome_page(code, host, heading, says)
        page.save(out / "media" / f"{name}.png")
        page.resize((550, 310), Image.Resampling.BICUBIC).save(out / "media" / f"{name}-forwarded.jpg", quality=40)
        asked = {
            "screenshot": ("", [f"media/{name}.png"]),
            "thumb": ("", [f"media/{name}-forwarded.jpg"]),
            "text": (f"chrome shows {code} when I open {host}", []),
        }
        for kind, (text, files) in asked.items():
            queries.append({"id": f"{name}-{kind}", "text": text, "files": files, "kind": kind, "expected": expected})
    return queries


if __name__ == "__main__":
    command_line(__doc__.splitlines()[0], make)
