"""Captures as people post them, made differently from the dev set's own generators (`make_wild.py`,
`make_recordings.py`): other screen sizes, layouts, codecs and photo parameters, to check that intake
generalises rather than fits one generator's look.

usage: python -m bench.captures OUT_DIR [--set ../shared/dev-set] [--kinds ...] [--every 1] [--seed 7]
                                [--editor plain|handling] [--tail routine|failing]
                                [--logs plain|json|colour|collected|stamped|numbered|exported|exported-json|
                                        newest-first|grafana-json]
                                [--saved as-is|compressed|bundle|windows]
Adds to OUT_DIR/queries.jsonl (files relative to OUT_DIR, kinds as below; out-of-KB queries keep kind
`out-of-kb`) and OUT_DIR/media/.
  desktop-4k     3840x2160 desktop, the failing window small among an editor, a log tail, a chat list, a menu bar
  desktop-hidpi  2880x1800 desktop drawn at 2x (HiDPI), other window placements
  crop           a partial crop (one or two edges cut off)
  compressed     scaled to 50-65 %, JPEG q45, then JPEG q30 again (forwarded twice)
  phone          a phone photo: stronger perspective and rotation, other moiré, vignette, blur; HEIC or JPEG
  heic, avif     the clean screenshot as HEIC or AVIF
  recording      1920x1080 at 30 fps, H.264 / HEVC in MP4 or VP8 in WebM: typing, a cut to an editor, the error
                 (narrated for half of them: kind recording+voice)
  snippet        a .log/.txt of 150-600 unrelated lines with the failure's terminal text inside
  animation      an animated GIF or WebP (what Kap, Peek or ScreenToGif save) of a window-sized recording at 8-15 fps
  streamed       a 1280x720 terminal recorded at 10 fps while a command streams 60-150 routine lines, the failure's
                 lines printed last and held 0.6-1.5 s; for half, the next command's output scrolls them off before
                 the recording stops (MP4 or WebM, no sound)
  paired         the screenshot posted with an unrelated one (the code being edited, or the team's chat), either first
  pasted         the snippet's log pasted into the message itself, without a code fence, after a line of prose
  annotated      marked up before posting: a red box (or an underline) around the error, an arrow, a yellow
                 highlighter stroke, black bars over the prompt or a host name
  zoomed         display scaling or browser zoom: the whole capture at 75-90 % or 125-175 %
  scrollback     a tall capture: 25-70 lines of routine output (a build, a server's log) above the failure, on
                 the screenshot's own background, as a terminal's scrollback or a full-page capture shows them
  rewrapped      the failure's text as another terminal shows it: Liberation Mono at 14-18 px, another colour scheme,
                 its lines hard-wrapped at 48-72 columns (mid-word, as terminals wrap)
  filmed         a phone's video of the monitor (landscape, or portrait close to the error), the hand drifting, at
                 30 fps in MOV (H.264) or MP4 (HEVC), the room's noise on the sound track or (half) the narration;
                 stored as a phone's camera stores it: in the sensor's orientation with a display rotation (a
                 quarter turn for portrait; none, or a half turn when the phone was held the other way round)
  composed       a terminal running `docker compose up`: the failure's text behind its service's name and bar, after
                 other services' routine lines, in another font and colours, cut at 100-140 columns
  gutter         a view that numbers lines: a GitHub Actions job's log page or an editor (the numbers in a gutter), or
                 `less -N` in a terminal; the failure's text after 10-40 routine records, numbered from 1-3000 on
  sideways       a phone photo or screenshot turned 90 degrees with no EXIF orientation left (stripped on the way)
  translucent    a translucent terminal or editor: the desktop picture shows through its background at 15-40 %
  themed         a low-contrast colour theme (Solarized, Nord, Dracula-like): grey-blue text on a tinted background
  ultrawide      3440x1440 desktop (21:9), laid out as desktop-4k
  tilted         crooked by 2-4 degrees on a plain surround (straightened by hand, scanned); PNG or JPEG q85
  occluded       another window lying over a fifth to a third of the failing one, from one edge
  lowlight       a photo in a dim room: 35-50 % of the light, sensor noise, slight blur; JPEG q70
  grayscale      without colour (a grey-scale scan or e-ink screen); JPEG q50
  pixelated      enlarged 1.5-2x by repeating pixels (an app that is not DPI-aware, scaled by the system)
  selected       the error line and up to two more selected with the mouse: the selection's colour (macOS, Windows,
                 GNOME, VS Code) behind them, the text turned white where the system does
  snipped        cut down to the error's line (and the next), a margin of 4-24 px (a snipping tool's rectangle)
  dithered       a GIF of 16-64 colours, dithered (a capture tool that saves GIF, a low-colour remote desktop)
  mobile         a phone's own screenshot of the page (1170x2532): status and address bars, the text at 40-48 px
                 wrapped between words to the phone's width
  typed-line     the failure quoted in the message as people copy it: one to three lines from one that says what
                 failed, after a few words, as plain text
  inline-line    the same lines (each query's the same in all three) in `inline code`, one line only
  fenced-line    the same lines in a ``` code fence
--editor handling: the desktops' editors show code that handles errors (`except Exception`, `log.error(...)`);
--tail failing: their log tail shows the app's own other failures (a timed-out job, a mail server's refusal).
--logs json: snippets and pasted logs are JSON records (what services log and log shippers export), one shape per
log: Docker's json-file (a record per line of output), pino (numeric levels, the failure in an error object's
stack), structlog or python-json-logger (in an exception field), zap, or Cloud Logging's severity and message;
the files named .jsonl, .json or .log.
--logs colour: snippets and pasted logs saved with the terminal's colours (escape sequences), half of them as a
`script` recording (CRLF line ends, window titles, bracketed paste); the files named .log, .txt or typescript-like,
without a suffix.
--logs collected: snippets and pasted logs as a tool that runs programs shows them, each line behind its prefix:
`docker compose up`, `journalctl`, `kubectl logs --prefix`, `heroku logs`, `docker build --progress=plain` or a
monorepo's task runner (turbo, concurrently).
--logs stamped: snippets and pasted logs with the collecting tool's time before every line: a GitHub Actions raw log,
`kubectl logs --timestamps`, `docker compose logs -t` or `docker logs -t`.
--logs numbered: snippets and pasted logs as copied from a tool that numbers lines: `cat -n`, `less -N` (a stretch
around the failure) or `grep -n` with context (`-B`/`-A`), over one file or a folder (`grep -rn`, the file's name
first).
--logs exported: snippets as a log platform exports a search's results to CSV (`.csv`), newest first as they sort (a
fifth oldest first): CloudWatch Logs Insights (each line of the failure an event of its own), Datadog's log explorer,
Kibana's Discover or Splunk (the failure one event of several lines).
--logs exported-json: snippets as CloudWatch Logs Insights exports the log of a service that logs JSON (pino or
structlog): each record's JSON in `@message`, the failure one record.
--logs newest-first: snippets and pasted logs as a viewer that lists the newest line first gives them, each line an
entry with its own time: Grafana Explore's download of Loki's lines (its meta lines, then the time, a tab and the
line), `journalctl -r`, or lines copied from a log viewer's list.
--logs grafana-json: snippets as Grafana Explore downloads Loki's lines as JSON, newest first: an array of each
entry's line, its time in nanoseconds, its date and the stream's labels.
--saved compressed: each snippet file compressed as logs are rotated and shipped: gzip, bzip2 or xz (`app.log.gz`,
`app.log.1.gz`, `.bz2`, `.xz`).
--saved bundle: each snippet file inside a support bundle, a zip (half with macOS's `__MACOSX/` entries) or a tar.gz:
the failing log among one to three logs of other services (half of the time one of them shows failures of its own), a
settings file (JSON, YAML or INI, its keys naming timeouts, retries and error logs), a system-information text, an
older rotated log (gzip) and, sometimes, a binary file (a PNG, a SQLite database).
--saved windows: each snippet file as a Windows program writes it: Windows-1252 text with CRLF line ends, its header
and some routine lines holding characters outside ASCII (a user's folder `C:\\Users\\José`, `µs`, `°C`, `’`).
"""

from __future__ import annotations

import argparse
import bz2
import csv
import functools
import gzip
import io
import json
import lzma
import math
import random
import re
import tarfile
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bot.extract import reading_order
from bot.extract.layout import rows as box_rows
from bot.extract.ocr import TextBox
from bot.ranking.text import ERROR_LINE
from tests.support import encode_video, plane

SET = Path(__file__).resolve().parents[2] / "shared" / "dev-set"
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
OTHER_MONO = "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf"
CODE = """import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

@dataclass
class Invoice:
    number: str
    lines: list
    def total(self):
        return sum(line.price * line.qty for line in self.lines)

def export(invoices, writer):
    for inv in invoices:
        writer.writerow([inv.number, inv.total()])
    log.info("exported %d invoices", len(invoices))
""".splitlines()
HANDLING = """import logging
log = logging.getLogger(__name__)

def export(invoices, writer):
    for inv in invoices:
        try:
            writer.writerow([inv.number, inv.total()])
        except Exception as exc:
            log.error("export failed for %s: %s", inv.number, exc)
            raise
    raise ValueError("no invoices found")
""".splitlines()
EDITOR_CODE = {"plain": list(CODE), "handling": HANDLING}  # what editor windows show (`--editor`)
LOG_TAIL = [
    "10:41:02 INFO  http GET /api/orders 200 12ms",
    "10:41:03 INFO  http GET /api/orders/118 200 8ms",
    "10:41:05 DEBUG cache hit orders:118",
    "10:41:07 INFO  scheduler tick (3 jobs)",
    "10:41:09 INFO  http POST /api/cart 201 31ms",
]
FAILING_TAIL = [  # an app whose own log shows failures that are not the one being asked about
    "10:41:02 INFO  http GET /api/orders 200 12ms",
    "10:41:03 ERROR worker-3: job nightly-report failed: timeout after 30s",
    "10:41:05 WARN  smtp send retried (attempt 2 of 3)",
    "10:41:07 ERROR smtp: 421 4.7.0 Try again later, closing connection",
    "10:41:09 INFO  http POST /api/cart 201 31ms",
]
LOG_TAILS = {"routine": list(LOG_TAIL), "failing": FAILING_TAIL}  # what log-tail windows show (`--tail`)
CHAT = ["Threads", "Mentions", "# team-web", "# releases", "# ops", "Priya: deploy went fine", "Tom: thanks!"]
NOISE_LOG = [
    "INFO  starting worker pool size={n}",
    "INFO  loaded config from /etc/app/config.yaml",
    "DEBUG connection pool warmed ({n} connections)",
    "INFO  GET /health 200 {n}ms",
    "INFO  processed batch {n} (250 records)",
    "DEBUG cache miss key=user:{n}",
    "WARN  deprecated setting 'timeout_ms' used; use 'timeout'",
    "INFO  metrics flushed ({n} series)",
    "INFO  job nightly-report queued",
    "DEBUG retry policy: 3 attempts, backoff 2s",
]


def screenshot_queries(root: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (root / "queries.jsonl").read_text().splitlines() if line.strip()]
    return [
        r for r in rows if r["files"] and r["files"][0].rsplit(".", 1)[-1] in ("png", "jpg") and r["kind"] != "voice"
    ]


def font(size: int, mono: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(MONO if mono else SANS, size)


def window(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], fill: tuple[int, ...], title: str, z: float
) -> None:
    left, top, right, bottom = box
    draw.rectangle(box, fill=fill)
    draw.rectangle((left, top, right, top + int(30 * z)), fill=(225, 225, 228))
    draw.text((left + int(12 * z), top + int(6 * z)), title, font=font(int(15 * z)), fill=(40, 40, 40))


def desktop(shot: Image.Image, rng: random.Random, size: tuple[int, int], z: float) -> Image.Image:
    """A desktop at zoom `z` (2 = HiDPI) with the failing window among unrelated ones, in a random layout."""
    width, height = size
    desk = Image.new("RGB", size, (rng.randint(20, 90), rng.randint(40, 110), rng.randint(70, 140)))
    draw = ImageDraw.Draw(desk)
    bar = int(28 * z)
    draw.rectangle((0, 0, width, bar), fill=(236, 236, 236))
    draw.text(
        (int(12 * z), int(5 * z)), "Finder   File   Edit   View   Window   Help", font=font(int(14 * z)), fill="black"
    )
    draw.text((width - int(220 * z), int(5 * z)), "Mon 9:41 AM", font=font(int(14 * z)), fill="black")
    third = width // 3
    slots = [
        (int(20 * z), third - int(10 * z)),
        (third + int(10 * z), 2 * third - int(10 * z)),
        (2 * third + int(10 * z), width - int(20 * z)),
    ]
    rng.shuffle(slots)
    (el, er), (wl, wr), (cl, cr) = slots
    window(draw, (el, bar + int(20 * z), er, height - int(40 * z)), (39, 40, 34), "invoice.py — billing", z)
    for i, line in enumerate(CODE * 3):
        y = bar + int(60 * z) + int(22 * z) * i
        if y < height - int(60 * z):
            draw.text((el + int(14 * z), y), line, font=font(int(14 * z), True), fill=(230, 219, 116))
    split = height // 2 + rng.randint(-int(100 * z), int(100 * z))
    window(draw, (cl, bar + int(20 * z), cr, split - int(10 * z)), (74, 21, 75), "Slack", z)
    for i, line in enumerate(CHAT):
        draw.text((cl + int(14 * z), bar + int(60 * z) + int(30 * z) * i), line, font=font(int(15 * z)), fill="white")
    window(draw, (cl, split + int(10 * z), cr, height - int(40 * z)), (12, 12, 12), "tail -f app.log", z)
    for i, line in enumerate(LOG_TAIL * 2):
        draw.text(
            (cl + int(14 * z), split + int(50 * z) + int(20 * z) * i),
            line,
            font=font(int(13 * z), True),
            fill=(180, 220, 180),
        )
    scale = min((wr - wl) / shot.width, (height - bar - int(120 * z)) / shot.height, z) * rng.uniform(0.7, 1.0)
    win = shot.convert("RGB").resize((int(shot.width * scale), int(shot.height * scale)), Image.Resampling.LANCZOS)
    x = wl + rng.randint(0, max(0, wr - wl - win.width))
    y = bar + int(60 * z) + rng.randint(0, max(0, height - bar - int(100 * z) - win.height))
    draw.rectangle((x - 1, y - int(30 * z), x + win.width + 1, y + win.height + 1), fill=(210, 210, 214))
    desk.paste(win, (x, y))
    return desk


def desktop_4k(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    return desktop(shot, rng, (3840, 2160), 1.0), "png"


def desktop_hidpi(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    return desktop(shot, rng, (2880, 1800), 2.0), "png"


def crop(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    w, h = shot.size
    left = int(w * rng.uniform(0, 0.12)) if rng.random() < 0.5 else 0
    right = w - (int(w * rng.uniform(0, 0.25)) if rng.random() < 0.7 else 0)
    top = int(h * rng.uniform(0, 0.1)) if rng.random() < 0.5 else 0
    bottom = h - (int(h * rng.uniform(0, 0.2)) if rng.random() < 0.5 else 0)
    return shot.convert("RGB").crop((left, top, right, bottom)), "png"


def compressed(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    scale = rng.uniform(0.5, 0.65)
    small = shot.convert("RGB").resize((int(shot.width * scale), int(shot.height * scale)), Image.Resampling.BILINEAR)
    once = io.BytesIO()
    small.save(once, "JPEG", quality=45)
    return Image.open(io.BytesIO(once.getvalue())).convert("RGB"), "jpg:30"


def phone(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """A photo of the screen: bezel, strong perspective and a little rotation, moiré, vignette, blur, noise."""
    im = shot.convert("RGB")
    w, h = im.size
    pad = int(0.04 * max(w, h))
    screen = Image.new("RGB", (w + 2 * pad, h + 2 * pad), (8, 8, 10))
    screen.paste(im, (pad, pad))
    W, H = screen.size
    canvas = (int(W * 1.25), int(H * 1.35))
    t = 0.12
    corners = [(0.12, 0.1), (0.9, 0.06), (0.92, 0.9), (0.08, 0.94)]
    dst = [(canvas[0] * (x + rng.uniform(-t, t) * 0.5), canvas[1] * (y + rng.uniform(-t, t) * 0.5)) for x, y in corners]
    out = screen.transform(
        canvas, Image.Transform.PERSPECTIVE, plane(dst, (W, H)), Image.Resampling.BICUBIC, fillcolor=(96, 86, 74)
    )
    out = out.rotate(rng.uniform(-4, 4), Image.Resampling.BICUBIC, fillcolor=(96, 86, 74))
    a = np.asarray(out).astype(np.float32)
    yy, xx = np.mgrid[0 : a.shape[0], 0 : a.shape[1]]
    f, ang = rng.uniform(0.7, 1.1), rng.uniform(0, math.pi)
    a *= (1 + 0.05 * np.sin(f * (xx * math.cos(ang) + yy * math.sin(ang))))[..., None]
    r = np.hypot((xx - a.shape[1] / 2) / a.shape[1], (yy - a.shape[0] / 2) / a.shape[0])
    a *= (1 - 0.5 * r**2)[..., None]
    a += np.random.default_rng(rng.randint(0, 2**31)).normal(0, 4, a.shape)
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 1.4)))
    scale = 2400 / max(out.size)
    out = out.resize((int(out.width * scale), int(out.height * scale)), Image.Resampling.LANCZOS)
    return out, ("heic" if rng.random() < 0.5 else "jpg:82")


def heic(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    return shot.convert("RGB"), "heic"


def avif(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    return shot.convert("RGB"), "avif"


def annotated(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """Marked up as people do before posting: the error boxed or underlined in red, an arrow pointing at it, a
    translucent yellow highlighter stroke, and black bars hiding the first line's start (a prompt, a host)."""
    im = shot.convert("RGB")
    boxes = sorted(terminal_reader().read(im), key=lambda b: (round(b.top / max(1.0, b.height)), b.left))
    if not boxes:
        return im, "png"
    target = next((b for b in boxes if ERROR_LINE.search(b.text)), rng.choice(boxes))
    pad = max(4, int(0.4 * (target.bottom - target.top)))
    box = (target.left - pad, target.top - pad, target.right + pad, target.bottom + pad)
    red = (rng.randint(200, 240), rng.randint(20, 60), rng.randint(30, 60))
    marker = im.copy()
    draw = ImageDraw.Draw(marker)
    highlight = rng.choice(boxes)
    draw.rectangle((highlight.left, highlight.top, highlight.right, highlight.bottom), fill=(255, 235, 59))
    im = Image.blend(im, marker, 0.35)
    draw = ImageDraw.Draw(im)
    width = rng.randint(2, 5)
    if rng.random() < 0.7:
        draw.rounded_rectangle(box, radius=rng.randint(0, 10), outline=red, width=width)
    else:
        draw.line((box[0], box[3], box[2], box[3]), fill=red, width=width)
    tip = (box[0] + rng.uniform(0.1, 0.4) * (box[2] - box[0]), box[3] + 2)
    tail = (tip[0] + rng.uniform(40, 120), min(im.height - 2, tip[1] + rng.uniform(30, 90)))
    draw.line((tail, tip), fill=red, width=width + 1)
    for angle in (0.45, -0.45):
        heading = math.atan2(tip[1] - tail[1], tip[0] - tail[0]) + math.pi + angle
        draw.line((tip, (tip[0] + 14 * math.cos(heading), tip[1] + 14 * math.sin(heading))), fill=red, width=width + 1)
    first = boxes[0]
    draw.rectangle(
        (first.left, first.top, first.left + (first.right - first.left) * rng.uniform(0.2, 0.45), first.bottom),
        fill=(0, 0, 0),
    )
    return im, ("jpg:88" if rng.random() < 0.3 else "png")


def zoomed(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """The capture at another display scaling or browser zoom."""
    scale = rng.choice([0.75, 0.8, 0.9, 1.25, 1.5, 1.75])
    size = (round(shot.width * scale), round(shot.height * scale))
    return shot.convert("RGB").resize(size, rng.choice([Image.Resampling.BILINEAR, Image.Resampling.LANCZOS])), "png"


def scrollback(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """Routine output above the failure on the screenshot's own background, as a tall terminal or a full-page
    capture shows it."""
    im = shot.convert("RGB")
    background = tuple(int(c) for c in np.median(np.asarray(im)[-6:].reshape(-1, 3), axis=0))
    ink = (30, 30, 30) if sum(background) > 384 else (200, 205, 210)
    size, count = rng.choice([13, 14, 15, 16]), rng.randint(25, 70)
    step = int(size * 1.45)
    canvas = Image.new("RGB", (im.width, im.height + count * step + 20), background)
    draw = ImageDraw.Draw(canvas)
    for i in range(count):
        line = rng.choice(NOISE_LOG).format(n=rng.randint(2, 9000))
        draw.text((12, 10 + i * step), f"10:{41 + i // 60:02d}:{i % 60:02d} {line}", font=font(size, True), fill=ink)
    canvas.paste(im, (0, count * step + 20))
    return canvas, "png"


TERMINAL_SCHEMES = [((0, 0, 0), (204, 204, 204)), ((255, 255, 255), (20, 20, 20)), ((30, 30, 46), (205, 214, 244))]


def rewrapped(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """The screenshot's text typed out again by another terminal: another font, size and colours, each line cut
    at the window's width wherever it falls."""
    lines = terminal_lines(shot)
    return typed_out(lines, rng.choice([48, 60, 72]), rng)


def composed(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """A terminal running `docker compose up`: the screenshot's text printed by one service, each line behind its
    padded name and bar, after 15-40 routine lines of the others (and its own), cut at 100-140 columns."""
    services = [f"{name}-1" for name in rng.sample(["api", "web", "worker", "db", "redis", "nginx"], 4)]
    width = max(map(len, services)) + 1
    routine = [
        f"{rng.choice(services).ljust(width)}| " + rng.choice(NOISE_LOG).format(n=rng.randint(2, 9000))
        for _ in range(rng.randint(15, 40))
    ]
    lines = terminal_lines(shot)
    return typed_out(
        routine + [f"{services[0].ljust(width)}| {line}" for line in lines], rng.choice([100, 120, 140]), rng
    )


def typed_out(lines: list[str], columns: int, rng: random.Random) -> tuple[Image.Image, str]:
    """`lines` as a terminal `columns` wide shows them: each cut at its width wherever it falls, in Liberation Mono
    at 14-18 px, in one of `TERMINAL_SCHEMES`."""
    wrapped = [row for line in lines for row in cut(line, columns)]
    size = rng.choice([14, 16, 18])
    face = ImageFont.truetype(OTHER_MONO, size)
    background, ink = rng.choice(TERMINAL_SCHEMES)
    step = int(size * 1.4)
    width = int(face.getlength("m" * columns)) + 32
    image = Image.new("RGB", (width, len(wrapped) * step + 40), background)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(wrapped):
        draw.text((16, 20 + i * step), line, font=face, fill=ink)
    return image, "png"


def cut(line: str, columns: int) -> list[str]:
    """`line` as a window `columns` wide wraps it: cut at its width wherever that falls (an empty line stays one)."""
    return [line[i : i + columns] for i in range(0, max(1, len(line)), columns)]


VIEWERS = {  # (background, the numbers' ink, the text's ink) of log viewers that number lines in a gutter
    "actions": ((13, 17, 23), (110, 118, 129), (230, 237, 243)),  # a GitHub Actions job's log page, dark
    "editor": ((255, 255, 255), (35, 120, 147), (30, 30, 30)),  # an editor with the log open, light
}


def gutter(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """The screenshot's text in a view that numbers lines, after 10-40 routine records, numbered from where that
    stretch starts in the file: a GitHub Actions job's log page or an editor (the numbers right-aligned in a gutter of
    their own colour; a line longer than 100-140 columns wrapped under its text, unnumbered), or `less -N` in a
    terminal (`typed_out`, each number padded before its line)."""
    lines = terminal_lines(shot)
    body = [rng.choice(NOISE_LOG).format(n=rng.randint(2, 9000)) for _ in range(rng.randint(10, 40))] + lines
    start, columns, shape = rng.randint(1, 3000), rng.choice([100, 120, 140]), rng.choice(["actions", "editor", "less"])
    if shape == "less":
        return typed_out([f"{start + i:7d} {line}" for i, line in enumerate(body)], columns, rng)
    background, number_ink, ink = VIEWERS[shape]
    size = rng.choice([14, 15, 16])
    face, step = ImageFont.truetype(OTHER_MONO, size), int(size * 1.5)
    margin = int(face.getlength("0" * len(str(start + len(body))))) + 40
    rows = [
        (start + i if not j else None, row) for i, line in enumerate(body) for j, row in enumerate(cut(line, columns))
    ]
    image = Image.new("RGB", (margin + int(face.getlength("m" * columns)) + 24, len(rows) * step + 32), background)
    draw = ImageDraw.Draw(image)
    for k, (number, text) in enumerate(rows):
        y = 16 + k * step
        if number is not None:
            draw.text((margin - 24 - face.getlength(str(number)), y), str(number), font=face, fill=number_ink)
        draw.text((margin, y), text, font=face, fill=ink)
    return image, "png"


def sideways(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """Turned a quarter either way, as a photo whose orientation tag was stripped arrives; half are phone photos."""
    image, how = phone(shot, rng) if rng.random() < 0.5 else (shot.convert("RGB"), "png")
    return image.transpose(rng.choice([Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270])), how


THEMES = [  # (background, text) of low-contrast editor and terminal themes
    ((0, 43, 54), (131, 148, 150)),  # Solarized dark
    ((253, 246, 227), (101, 123, 131)),  # Solarized light
    ((46, 52, 64), (216, 222, 233)),  # Nord
    ((40, 42, 54), (189, 147, 249)),  # Dracula (purple)
    ((39, 40, 34), (117, 113, 94)),  # Monokai comments
]


def themed(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """The capture in a low-contrast colour theme: each pixel's lightness mapped between the theme's background
    (for the screen's own background lightness) and its text colour."""
    grey = np.asarray(shot.convert("L")).astype(np.float32) / 255
    background, text = (np.array(c, np.float32) for c in rng.choice(THEMES))
    ink = np.abs(grey - float(np.median(grey)))[..., None]  # 0 on the background, up to 1 on text
    ink = np.clip(ink / max(1e-3, float(ink.max())), 0, 1)
    out = background + ink * (text - background)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8)), "png"


def wallpaper(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A desktop picture: broad colour washes and soft bright blobs (out-of-focus lights)."""
    gen = np.random.default_rng(rng.randint(0, 2**31))
    field = Image.fromarray(gen.integers(0, 256, (4, 6, 3), dtype=np.uint8)).resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(field)
    for _ in range(rng.randint(6, 14)):
        x, y, r = rng.uniform(0, size[0]), rng.uniform(0, size[1]), rng.uniform(0.03, 0.12) * size[0]
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randint(120, 255) for _ in range(3)))
    return field.filter(ImageFilter.GaussianBlur(0.02 * size[0]))


def translucent(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """A translucent terminal or editor (the desktop picture showing through its background at 15-40 %); the
    text stays opaque."""
    im = np.asarray(shot.convert("RGB"), np.float32)
    grey = im.mean(axis=2)
    ink = np.abs(grey - float(np.median(grey)))
    see_through = rng.uniform(0.15, 0.4) * (1 - np.clip(ink / 40, 0, 1))[..., None]
    paper = np.asarray(wallpaper(shot.size, rng), np.float32)
    out = im * (1 - see_through) + paper * see_through
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8)), "png"


def ultrawide(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    return desktop(shot, rng, (3440, 1440), 1.0), "png"


def tilted(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """Crooked by 2-4 degrees on a plain surround, as a capture straightened by hand or a scan leaves it."""
    angle = rng.choice([-1, 1]) * rng.uniform(2, 4)
    surround = (rng.randint(60, 200),) * 3
    image = shot.convert("RGB").rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=surround)
    return image, rng.choice(["png", "jpg:85"])


def occluded(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """Another window lying over a fifth to a third of the failing one, from its left, right or bottom edge."""
    image = shot.convert("RGB")
    draw = ImageDraw.Draw(image)
    w, h = image.size
    cover = rng.uniform(0.2, 0.32)
    box = rng.choice([(0, 0, int(w * cover), h), (int(w * (1 - cover)), 0, w, h), (0, int(h * (1 - cover)), w, h)])
    window(draw, box, rng.choice([(245, 245, 245), (30, 30, 30)]), "Notes", 1.0)
    return image, "png"


def lowlight(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """A photo taken in a dim room: a third to half the light, the sensor's noise, a little softness."""
    gen = np.random.default_rng(rng.randint(0, 2**31))
    dim = np.asarray(shot.convert("RGB"), np.float32) * rng.uniform(0.35, 0.5)
    noisy = dim + gen.normal(0, rng.uniform(6, 10), dim.shape)
    image = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7))
    return image, "jpg:70"


def grayscale(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """Without colour (a grey-scale scan, an e-ink screen, a tool's grey-scale setting), as a JPEG."""
    return shot.convert("L").convert("RGB"), "jpg:50"


def pixelated(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """Enlarged 1.5-2x by repeating pixels (an app that is not DPI-aware, scaled by the system)."""
    scale = rng.choice([1.5, 2.0])
    size = (round(shot.width * scale), round(shot.height * scale))
    return shot.convert("RGB").resize(size, Image.Resampling.NEAREST), "png"


SELECTIONS = [  # (the selection's colour, whether the text under it turns white) of macOS, Windows, GNOME, VS Code
    ((179, 215, 255), False),
    ((0, 120, 215), True),
    ((53, 132, 228), True),
    ((38, 79, 120), False),
]


SPAN = ((min, "left"), (min, "top"), (max, "right"), (max, "bottom"))  # a row's box from its boxes'


def row_boxes(im: Image.Image) -> list[TextBox]:
    """The capture's text rows as one box each, top to bottom, as the bench's own OCR reads them."""
    return [
        TextBox(" ".join(b.text for b in row), 1.0, *(f(getattr(b, side) for b in row) for f, side in SPAN))
        for row in box_rows(terminal_reader().read(im))
    ]


def failing_rows(im: Image.Image, rng: random.Random, most: int) -> list[TextBox]:
    """The first row that states an error (else one at random) and up to `most` - 1 rows after it (`row_boxes`)."""
    lines = row_boxes(im)
    if not lines:
        return []
    first = next((i for i, b in enumerate(lines) if ERROR_LINE.search(b.text)), rng.randrange(len(lines)))
    return lines[first : first + rng.randint(1, most)]


def snipped(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """Cut down to the error's line and the one after it, with a margin of 4-24 px (a snipping tool's rectangle)."""
    im = shot.convert("RGB")
    chosen = failing_rows(im, rng, 2)
    if not chosen:
        return im, "png"
    margin = rng.randint(4, 24)
    box = (
        max(0, int(min(b.left for b in chosen)) - margin),
        max(0, int(chosen[0].top) - margin),
        min(im.width, int(max(b.right for b in chosen)) + margin),
        min(im.height, int(chosen[-1].bottom) + margin),
    )
    return im.crop(box), "png"


def selected(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """The failure's lines selected with the mouse before the capture: from the start of the error line (or of a
    line) through one to three lines, the selection's colour behind them and, in some systems, the text turned white."""
    im = shot.convert("RGB")
    chosen = failing_rows(im, rng, 3)
    if not chosen:
        return im, "png"
    pixels = np.asarray(im).astype(np.float32)
    colour, white = rng.choice(SELECTIONS)
    out = pixels.copy()
    for n, b in enumerate(chosen):
        left = int(b.left if n == 0 else min(x.left for x in chosen)) - 2
        right = int(b.right if n == len(chosen) - 1 else max(x.right for x in chosen)) + 2
        box = np.s_[max(0, int(b.top) - 2) : min(im.height, int(b.bottom) + 2), max(0, left) : min(im.width, right)]
        area = pixels[box]
        background = np.median(area.reshape(-1, 3), axis=0)
        distance = np.linalg.norm(area - background, axis=2)
        alpha = np.clip(distance / max(1.0, float(np.percentile(distance, 98))), 0, 1)[..., None]  # ink, 0-1
        ink = np.full(3, 255.0) if white else (area - (1 - alpha) * background) / np.maximum(alpha, 0.05)
        out[box] = (1 - alpha) * np.array(colour) + alpha * np.clip(ink, 0, 255)
    return Image.fromarray(out.astype(np.uint8)), "png"


def dithered(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """Few colours: a GIF of 16-64 colours, dithered (a capture tool that saves GIF, a low-colour remote desktop)."""
    colours = rng.choice([16, 32, 64])
    return shot.convert("RGB").quantize(colours, dither=Image.Dither.FLOYDSTEINBERG), "gif"


def wrap_words(lines: Iterable[str], face: Any, width: float) -> list[str]:
    """`lines` wrapped between words, as a page wraps them, into rows no wider than `width` in the font `face` (a word
    wider than that stands alone on its row)."""
    rows: list[str] = []
    for line in lines:
        row = ""
        for word in line.split():
            if row and face.getlength(f"{row} {word}") > width:
                rows.append(row)
                row = word
            else:
                row = f"{row} {word}".strip()
        rows.append(row)
    return rows


def mobile(shot: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """The page as a phone's own screenshot shows it: 1170x2532, the status bar and the browser's address bar above,
    its text in DejaVu Sans at 40-48 px wrapped between words to the phone's width, a toolbar below."""
    size = rng.choice([40, 44, 48])
    face, width = font(size), 1170
    wrapped = wrap_words(terminal_lines(shot), face, width - 96)
    dark = rng.random() < 0.4
    background, ink = ((28, 28, 30), (235, 235, 240)) if dark else ((255, 255, 255), (28, 28, 30))
    image = Image.new("RGB", (width, 2532), background)
    draw = ImageDraw.Draw(image)
    draw.text((60, 40), f"9:{rng.randint(10, 59)}", font=font(46), fill=ink)
    draw.rounded_rectangle((40, 150, width - 40, 260), radius=30, fill=(60, 60, 64) if dark else (236, 236, 240))
    draw.text((90, 180), f"localhost:{rng.randint(3000, 9000)}", font=font(42), fill=ink)
    step = int(size * 1.5)
    for i, row in enumerate(wrapped[: (2532 - 620) // step]):
        draw.text((48, 340 + i * step), row, font=face, fill=ink)
    draw.rectangle((0, 2532 - 240, width, 2532), fill=(60, 60, 64) if dark else (246, 246, 248))
    return image, rng.choice(["png", "jpg:85"])


IMAGE_KINDS: dict[str, Callable[[Image.Image, random.Random], tuple[Image.Image, str]]] = {
    "desktop-4k": desktop_4k,
    "desktop-hidpi": desktop_hidpi,
    "crop": crop,
    "compressed": compressed,
    "phone": phone,
    "heic": heic,
    "avif": avif,
    "annotated": annotated,
    "zoomed": zoomed,
    "themed": themed,
    "translucent": translucent,
    "sideways": sideways,
    "scrollback": scrollback,
    "rewrapped": rewrapped,
    "composed": composed,
    "gutter": gutter,
    "ultrawide": ultrawide,
    "tilted": tilted,
    "occluded": occluded,
    "lowlight": lowlight,
    "grayscale": grayscale,
    "pixelated": pixelated,
    "selected": selected,
    "snipped": snipped,
    "dithered": dithered,
    "mobile": mobile,
}


def save(image: Image.Image, how: str, path: Path) -> Path:
    kind, _, quality = how.partition(":")
    if kind == "heic":
        from pillow_heif import register_heif_opener

        register_heif_opener()
        path = path.with_suffix(".heic")
        image.save(path, "HEIF", quality=70)
    elif kind == "avif":
        path = path.with_suffix(".avif")
        image.save(path, "AVIF", quality=60)
    elif kind == "gif":
        path = path.with_suffix(".gif")
        image.save(path, "GIF")
    elif kind == "jpg":
        path = path.with_suffix(".jpg")
        image.save(path, "JPEG", quality=int(quality))
    else:
        path = path.with_suffix(".png")
        image.save(path)
    return path


# --- recordings -----------------------------------------------------------------------------------

CODECS = [("mp4", "libx264", "aac"), ("mp4", "hevc", "aac"), ("webm", "libvpx", "libopus")]


def terminal(text: str, size: tuple[int, int]) -> Image.Image:
    im = Image.new("RGB", size, (40, 42, 54))
    ImageDraw.Draw(im).text((40, 60), text, font=font(26, True), fill=(240, 240, 240))
    return im


def editor(size: tuple[int, int]) -> Image.Image:
    im = Image.new("RGB", size, (30, 30, 30))
    draw = ImageDraw.Draw(im)
    for i, line in enumerate(CODE):
        draw.text((60, 60 + 34 * i), line, font=font(24, True), fill=(156, 220, 254))
    return im


def unrelated(rng: random.Random) -> Image.Image:
    """A screenshot that shows no failure: the code being edited, or the team's chat."""
    size = rng.choice([(1280, 800), (1024, 640)])
    if rng.random() < 0.5:
        return editor(size)
    im = Image.new("RGB", size, (74, 21, 75))
    for i, line in enumerate(CHAT):
        ImageDraw.Draw(im).text((40, 40 + 40 * i), line, font=font(22), fill="white")
    return im


def recording_frames(
    shot: Image.Image, rng: random.Random, size: tuple[int, int], fps: int
) -> list[tuple[Image.Image, int]]:
    """(picture, frames it lasts): typing a command, a cut to the editor, the error held, sometimes a cut back."""
    err = Image.new("RGB", size, (250, 250, 250))
    s = min(size[0] / shot.width, size[1] / shot.height, 1.4) * rng.uniform(0.75, 0.95)
    win = shot.convert("RGB").resize((int(shot.width * s), int(shot.height * s)), Image.Resampling.LANCZOS)
    err.paste(win, ((size[0] - win.width) // 2, (size[1] - win.height) // 2))
    command = "$ ./run.sh --env staging"
    parts = [(terminal(command[: n + 1], size), max(1, int(fps * 0.08))) for n in range(0, len(command), 2)]
    parts.append((editor(size), int(fps * rng.uniform(1.0, 2.0))))
    parts.append((err, int(fps * rng.uniform(2.5, 4.0))))
    if rng.random() < 0.5:
        parts.append((editor(size), int(fps * rng.uniform(0.5, 1.0))))
    return parts


def write_recording(path: Path, shot: Image.Image, voice: Path | None, rng: random.Random, n: int) -> Path:
    container, vcodec, acodec = CODECS[n % len(CODECS)]
    fps = 30
    screens = [(picture, count / fps) for picture, count in recording_frames(shot, rng, (1920, 1080), fps)]
    sound = voice.read_bytes() if voice is not None else None
    path = path.with_suffix(f".{container}")
    path.write_bytes(encode_video(screens, fps, container, vcodec, sound, acodec))
    return path


def filmed_frames(shot: Image.Image, rng: random.Random, fps: int) -> tuple[list[tuple[Image.Image, float]], bool]:
    """The recording's screens as a phone films them off the monitor: seen at an angle, the hand drifting a few
    pixels every frame, moiré, vignette, blur and sensor noise; landscape (the whole monitor) or portrait (the
    phone close to the error, the monitor's sides out of the picture). Also whether it is portrait."""
    parts = recording_frames(shot, rng, (1920, 1080), fps)
    portrait = rng.random() < 0.5
    size = (1080, 1920) if portrait else (1920, 1080)
    bezel = 60
    W, H = 1920 + 2 * bezel, 1080 + 2 * bezel
    span = rng.uniform(1.8, 2.5) if portrait else rng.uniform(0.8, 0.92)  # the monitor's width / the frame's
    cx, cy, half_w = size[0] / 2, size[1] / 2, size[0] * span / 2
    half_h = half_w * H / W
    tilt = [(rng.uniform(-0.06, 0.06) * half_w, rng.uniform(-0.06, 0.06) * half_h) for _ in range(4)]
    base = [
        (cx - half_w, cy - half_h),
        (cx + half_w, cy - half_h),
        (cx + half_w, cy + half_h),
        (cx - half_w, cy + half_h),
    ]
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]].astype(np.float32)
    f, ang = rng.uniform(0.7, 1.1), rng.uniform(0, math.pi)
    gain = 1 + 0.05 * np.sin(f * (xx * math.cos(ang) + yy * math.sin(ang)))
    gain *= 1 - 0.5 * (((xx - cx) / size[0]) ** 2 + ((yy - cy) / size[1]) ** 2)
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, 5, (4, size[1], size[0], 1)).astype(np.float32)
    phase = [rng.uniform(0, 2 * math.pi) for _ in range(4)]
    frames: list[tuple[Image.Image, float]] = []
    step = 2  # a new pose every other frame
    n = 0
    for picture, count in parts:
        screen = Image.new("RGB", (W, H), (8, 8, 10))
        screen.paste(picture, (bezel, bezel))
        for _ in range(0, count, step):
            t = n / fps
            drift = (
                12 * math.sin(1.3 * t + phase[0]) + 5 * math.sin(4.1 * t + phase[1]),
                10 * math.sin(1.1 * t + phase[2]) + 4 * math.sin(3.7 * t + phase[3]),
            )
            corners = [(x + dx + drift[0], y + dy + drift[1]) for (x, y), (dx, dy) in zip(base, tilt, strict=True)]
            out = screen.transform(
                size,
                Image.Transform.PERSPECTIVE,
                plane(corners, (W, H)),
                Image.Resampling.BILINEAR,
                fillcolor=(70, 64, 58),
            )
            a = np.asarray(out, np.float32) * gain[..., None] + noise[n % 4]
            out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.1))
            frames.append((out, step / fps))
            n += step
    return frames, portrait


def write_filmed(path: Path, shot: Image.Image, voice: Path | None, rng: random.Random, n: int) -> Path:
    """A phone's video of the monitor: H.264 in MOV or HEVC in MP4 at 30 fps and CRF 20 (about 8 and 0.8
    Mb/s here; x265's default CRF 28 wrote 150 kb/s, which leaves no small text), the room (or the narration) on
    its sound track. Stored as the camera's sensor sees it, with the display rotation that turns it upright: a
    quarter turn for portrait (-90 from the back camera, 90 from the front one), none for landscape or a half turn
    when the phone was held the other way round."""
    container, codec = [("mov", "libx264"), ("mp4", "hevc")][n % 2]
    frames, portrait = filmed_frames(shot, rng, 30)
    rotation = rng.choice((-90, 90) if portrait else (0, 180))
    sound = voice.read_bytes() if voice is not None else room_tone(rng, 8.0)
    path = path.with_suffix(f".{container}")
    path.write_bytes(encode_video(frames, 30, container, codec, sound, "aac", crf=20, rotation=rotation))
    return path


def streamed_frames(lines: list[str], rng: random.Random) -> list[tuple[Image.Image, float]]:
    """A 1280x720 terminal recorded while a command streams its output: 60-150 routine lines, two or three every tenth
    of a second, scrolling; then the failure's lines at once, held 0.6-1.5 s; for half of them the next command's
    output then pushes the failure up and off the window before the recording stops on that."""
    size, points = (1280, 720), rng.choice([14, 16])
    face, step = ImageFont.truetype(OTHER_MONO, points), int(points * 1.4)
    background, ink = rng.choice(TERMINAL_SCHEMES)
    shown = ["$ ./deploy.sh staging"]

    def window() -> Image.Image:
        image = Image.new("RGB", size, background)
        draw = ImageDraw.Draw(image)
        for i, line in enumerate(shown[-((size[1] - 40) // step) :]):
            draw.text((16, 20 + i * step), line[:150], font=face, fill=ink)
        return image

    def routine(minute: int, second: int) -> str:
        return f"10:{minute:02d}:{second % 60:02d} " + rng.choice(NOISE_LOG).format(n=rng.randint(2, 9000))

    frames = [(window(), 0.5)]
    for tick in range(rng.randint(30, 50)):
        shown.extend(routine(41, tick) for _ in range(rng.randint(2, 3)))
        frames.append((window(), 0.1))
    shown.extend(lines)
    frames.append((window(), rng.uniform(0.6, 1.5)))
    if rng.random() < 0.5:
        for tick in range(rng.randint(3, 8)):
            shown.extend(routine(42, tick) for _ in range(4))
            frames.append((window(), 0.1))
        frames.append((window(), 1.0))
    return frames


def write_streamed(path: Path, lines: list[str], rng: random.Random, n: int) -> Path:
    """`streamed_frames` at 10 fps, H.264 / HEVC in MP4 or VP8 in WebM, without sound."""
    container, vcodec, _ = CODECS[n % len(CODECS)]
    path = path.with_suffix(f".{container}")
    path.write_bytes(encode_video(streamed_frames(lines, rng), 10, container, vcodec))
    return path


def room_tone(rng: random.Random, seconds: float) -> bytes:
    """A WAV of what a phone hears with nobody speaking: hiss, a fan's low rumble, a few keystrokes."""
    import soundfile

    rate = 16_000
    gen = np.random.default_rng(rng.randint(0, 2**31))
    count = int(rate * seconds)
    spectrum = np.fft.rfft(gen.normal(0, 1, count)) / np.maximum(1, np.sqrt(np.arange(count // 2 + 1)))
    rumble = np.fft.irfft(spectrum, count)
    sound = 0.005 * gen.normal(0, 1, count) + 0.01 * rumble / rumble.std()
    for start in gen.integers(0, count - 400, int(4 * seconds)):
        sound[start : start + 400] += 0.1 * gen.normal(0, 1, 400) * np.exp(-np.arange(400) / 60)
    out = io.BytesIO()
    soundfile.write(out, np.clip(sound, -1, 1).astype(np.float32), rate, format="WAV")
    return out.getvalue()


def write_animation(path: Path, shot: Image.Image, rng: random.Random, n: int) -> Path:
    """The recording's screens, window-sized, as an animated GIF (even n) or lossy WebP (odd n), each frame shown
    for its own delay."""
    fps = rng.choice([8, 10, 15])
    size = rng.choice([(1280, 720), (1440, 900), (1024, 640)])
    parts = recording_frames(shot, rng, size, fps)
    first, *rest = (picture for picture, _ in parts)
    delays = [round(1000 * count / fps) for _, count in parts]
    fmt, options = ("GIF", {}) if n % 2 == 0 else ("WEBP", {"quality": 75})
    path = path.with_suffix(f".{fmt.lower()}")
    first.save(path, fmt, save_all=True, append_images=rest, duration=delays, loop=0, **options)
    return path


# --- log snippets ---------------------------------------------------------------------------------


def snippet(lines: list[str], rng: random.Random) -> str:
    """The failure's lines inside a long log of unrelated ones, some with timestamps."""
    return "\n".join(snippet_lines(lines, rng)[0]) + "\n"


def snippet_lines(lines: list[str], rng: random.Random) -> tuple[list[str], int]:
    """The lines of `snippet`'s log, and where the failure's start."""

    def noise() -> str:
        day, hour, minute = rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59)
        stamp = f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:{rng.randint(0, 59):02d}Z "
        return stamp + rng.choice(NOISE_LOG).format(n=rng.randint(2, 9000))

    before, after = rng.randint(100, 450), rng.randint(20, 150)
    return [noise() for _ in range(before)] + lines + [noise() for _ in range(after)], before


STRUCTURED_SHAPES = ("docker", "pino", "structlog", "python-json-logger", "zap", "cloud")
PINO_LEVELS = {"DEBUG": 20, "INFO": 30, "WARN": 40, "ERROR": 50}


def structured(lines: list[str], rng: random.Random) -> str:
    """The failure's lines inside a log of JSON records, in one of `STRUCTURED_SHAPES`: Docker writes each line of
    output as a record of its own; the loggers write the failure as one error record whose exception (or stack)
    field holds its lines, newlines escaped, beside a message of their own."""
    shape = rng.choice(STRUCTURED_SHAPES)
    clock = iter(range(1_764_000_000 + rng.randint(0, 2_000_000), 1_800_000_000, 3))

    def record(level: str, message: str, failure: str = "") -> str:
        t = next(clock) + rng.random()
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"
        row: dict[str, Any]
        if shape == "docker":  # the app's own line, written by the app with its time and level
            text = f"{failure}\n" if failure else f"{iso} {level:<5} {message}\n"
            return json.dumps({"log": text, "stream": "stderr" if failure else "stdout", "time": iso})
        if shape == "pino":
            row = {"level": PINO_LEVELS[level], "time": int(t * 1000), "pid": 41, "hostname": "api-7"}
            if failure:
                said = [line for line in failure.splitlines() if ERROR_LINE.search(line)] or failure.splitlines()
                row["err"] = {"type": "Error", "message": said[-1], "stack": failure}
            return json.dumps({**row, "msg": message})
        if shape == "structlog":
            row = {"event": message, "level": level.lower(), "timestamp": iso, "logger": "app.worker"}
            return json.dumps({**row, "exception": failure} if failure else row)
        if shape == "python-json-logger":
            row = {"asctime": iso, "levelname": level, "name": "app", "message": message}
            return json.dumps({**row, "exc_info": failure} if failure else row)
        if shape == "zap":
            row = {"level": level.lower(), "ts": round(t, 3), "caller": "server/handler.go:88", "msg": message}
            return json.dumps({**row, "error": failure} if failure else row)
        return json.dumps({"severity": level, "timestamp": iso, "message": f"{message}\n{failure}".strip()})

    def noise() -> str:
        level, message = rng.choice(NOISE_LOG).format(n=rng.randint(2, 9000)).split(maxsplit=1)
        return record(level, message)

    said = rng.choice(["unhandled exception", "request failed", "job failed"])
    failure = (
        [record("ERROR", said, line) for line in lines]
        if shape == "docker"
        else [record("ERROR", said, "\n".join(lines))]
    )
    before, after = rng.randint(40, 150), rng.randint(10, 40)  # records are longer: a log that still fits a message
    return "\n".join([noise() for _ in range(before)] + failure + [noise() for _ in range(after)]) + "\n"


LEVEL_COLOURS = {"DEBUG": "2", "INFO": "32", "WARN": "33", "ERROR": "31"}
PROMPT = re.compile(r"^(\S*@[\w.-]+)(:\s?)([^$#]*)([$#])(.*)")


def coloured(lines: list[str], rng: random.Random) -> str:
    """The snippet's log saved with its terminal's colours: levels and timestamps coloured (a logger writing to a
    terminal, `--color=always`), prompts coloured as bash colours them, error lines red with the exception's name
    bold; half of them a `script` recording (a header, CRLF line ends, each prompt setting the window title, bracketed
    paste switched on and off)."""
    script = rng.random() < 0.5

    def noise() -> str:
        day, hour, minute = rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59)
        level, message = rng.choice(NOISE_LOG).format(n=rng.randint(2, 9000)).split(maxsplit=1)
        stamp = f"\x1b[2m2026-11-{day:02d}T{hour:02d}:{minute:02d}:{rng.randint(0, 59):02d}Z\x1b[0m"
        return f"{stamp} \x1b[{LEVEL_COLOURS[level]}m{level:<5}\x1b[0m {message}"

    def terminal(line: str) -> str:
        prompt = PROMPT.match(line)
        if prompt:
            user, colon, where, sign, command = prompt.groups()
            title = f"\x1b]0;{user}: {where.strip()}\x07\x1b[?2004h" if script else ""
            end = "\x1b[?2004l" if script else ""
            return f"{title}\x1b[01;32m{user}\x1b[00m{colon}\x1b[01;34m{where}\x1b[00m{sign}{command}{end}"
        if ERROR_LINE.search(line):
            return "\x1b[31m" + re.sub(r"\b(\w+(?:Error|Exception))\b", "\x1b[1m\\1\x1b[22m", line) + "\x1b[0m"
        return line

    before, after = rng.randint(100, 450), rng.randint(20, 150)
    body = [noise() for _ in range(before)] + [terminal(line) for line in lines] + [noise() for _ in range(after)]
    if not script:
        return "\n".join(body) + "\n"
    head = 'Script started on 2026-11-30 10:02:11+00:00 [TERM="xterm-256color" TTY="/dev/pts/3" COLUMNS="120"]'
    return "\r\n".join([head, *body, 'Script done on 2026-11-30 10:09:45+00:00 [COMMAND_EXIT_CODE="1"]']) + "\r\n"


COLLECTORS = ("compose", "journald", "kubectl", "heroku", "buildkit", "monorepo")


def collected(lines: list[str], rng: random.Random) -> str:
    """The snippet's log as a tool that runs programs shows it, every line behind that tool's own prefix, in one of
    `COLLECTORS`: `docker compose up` (each service's name, padded, and a bar), `journalctl` (its time, the host,
    the unit and its pid), `kubectl logs --prefix` over a deployment's pods, `heroku logs` (with the router's
    lines), `docker build --progress=plain` (the step and its seconds; the build stops at the failed step), or a
    monorepo's task runner (turbo's `api:dev:`, concurrently's `[api]`); after the failure, what the tool says when a
    program fails (`api-1 exited with code 1`, systemd's `status=1/FAILURE`, BuildKit's `exit code: 1`)."""
    shape = rng.choice(COLLECTORS)
    start = 36_000 + rng.randint(0, 3600)
    clock = iter(range(start, 90_000))
    services = rng.sample(["api", "web", "worker", "db", "redis", "nginx"], 4)
    pods = [f"{services[0]}-7d9f8c6b5-{''.join(rng.choices('bcdfghjklmnpqrstvwxz2456789', k=5))}" for _ in range(3)]
    bar = "_" if rng.random() < 0.3 else "-"  # Compose v1 named containers `api_1`, v2 `api-1`
    width = max(len(f"{name}{bar}1") for name in services)
    turbo = rng.random() < 0.5
    failed_step = rng.randint(5, 14)

    def prefix(service: str, step: int, source: str = "") -> str:
        t = next(clock)
        hms = f"{t // 3600 % 24:02d}:{t // 60 % 60:02d}:{t % 60:02d}"
        if shape == "compose":
            return f"{service}{bar}1".ljust(width) + " | "
        if shape == "journald":
            return f"Nov 30 {hms} web-3 {source or f'{service}[{1200 + services.index(service)}]'}: "
        if shape == "kubectl":
            return f"[pod/{rng.choice(pods)}/{services[0]}] "
        if shape == "heroku":
            dyno = source or ("heroku[router]" if service != services[0] else f"app[web.{rng.randint(1, 2)}]")
            return f"2026-11-30T{hms}.{rng.randint(0, 999_999):06d}+00:00 {dyno}: "
        if shape == "buildkit":
            return f"#{step} {(t - start) / 9:.3f} "  # seconds into the build
        return f"{service}:dev: " if turbo else f"[{service}] "

    def exited(name: str) -> list[str]:
        """What the tool says when the program it ran fails, which says nothing of how."""
        if shape == "compose":
            return [f"{name}{bar}1 exited with code 1"]
        if shape == "journald":
            unit = prefix(name, 0, "systemd[1]")
            return [f"{unit}{name}.service: Main process exited, code=exited, status=1/FAILURE"]
        if shape == "heroku":
            return [prefix(name, 0, "heroku[web.1]") + "Process exited with status 1"]
        if shape == "buildkit":
            command = '"/bin/sh -c ./scripts/check.sh"'
            return [f"#{failed_step} ERROR: process {command} did not complete successfully: exit code: 1"]
        if shape == "monorepo" and turbo:
            return [
                f"{name}:dev: ERROR: command finished with error: command (/repo/apps/{name}) npm run dev exited (1)"
            ]
        return [f"[{name}] npm run dev exited with code 1"] if shape == "monorepo" else []

    def noise() -> str:
        service = services[0] if shape in ("kubectl", "buildkit") else rng.choice(services)
        head = prefix(service, rng.randint(2, failed_step - 1))
        if shape == "heroku" and service != services[0]:
            path = rng.choice(["/", "/api/orders", "/health"])
            return (
                head
                + f'at=info method=GET path="{path}" host=acme.herokuapp.com status=200 service={rng.randint(2, 90)}ms'
            )
        return head + rng.choice(NOISE_LOG).format(n=rng.randint(2, 9000))

    before, after = rng.randint(60, 250), rng.randint(10, 60)
    failure = [prefix(services[0], failed_step) + line for line in lines]
    if shape == "buildkit":  # the build stops at the failed step
        after = 0
    body = [noise() for _ in range(before)] + failure + exited(services[0]) + [noise() for _ in range(after)]
    return "\n".join(body) + "\n"


STAMPERS = ("actions", "kubectl", "compose", "docker")


def stamped(lines: list[str], rng: random.Random) -> str:
    """The snippet's log with a time the tool that collected it wrote before every line, the failure's too, in one of
    `STAMPERS`: a GitHub Actions job's raw log (its steps' `##[group]` lines, `##[error]Process completed with exit
    code 1.` at the end), `kubectl logs --timestamps`, `docker compose logs -t` (after the service's bar) or
    `docker logs -t`; nanoseconds, or Actions' seven digits."""
    shape = rng.choice(STAMPERS)
    start = 1_764_000_000 + rng.randint(0, 2_000_000)
    clock = iter(range(start, start + 100_000))
    name = rng.choice(["api", "web", "worker"])

    def at(line: str) -> str:
        t = next(clock)
        digits = 7 if shape == "actions" else 9
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{rng.randrange(10**digits):0{digits}d}Z "
        return (f"{name}-1  | " if shape == "compose" else "") + stamp + line

    def noise() -> str:
        return at(rng.choice(NOISE_LOG).format(n=rng.randint(2, 9000)))

    before, after = rng.randint(60, 250), rng.randint(10, 60)
    head = (
        [at("##[group]Run docker compose up -d && ./scripts/smoke.sh"), at("##[endgroup]")]
        if shape == "actions"
        else []
    )
    body = head + [noise() for _ in range(before)] + [at(line) for line in lines]
    if shape == "actions":  # the job stops at the failed step
        return "\n".join([*body, at("##[error]Process completed with exit code 1.")]) + "\n"
    return "\n".join(body + [noise() for _ in range(after)]) + "\n"


NUMBERERS = ("cat", "less", "grep", "grep-files")
GREPPED = re.compile(r"error|exception|fail|fatal", re.IGNORECASE)  # what people grep a log for


def numbered(lines: list[str], rng: random.Random) -> str:
    """The snippet's log as a tool that numbers its lines shows it, in one of `NUMBERERS`: `cat -n` (the whole file, a
    tab after each number), `less -N` (a stretch around the failure, numbered from where it starts in the file) or
    `grep -n` with context around the lines that name a failure (half the time warnings too) and the failure's first
    line: a matched line's number followed by `:`, a context line's by `-`, `--` between groups; over a folder
    (`grep -rn`), each line after its file's name, another log's matches first or last."""
    shape = rng.choice(NUMBERERS)
    log, before = snippet_lines(lines, rng)
    if shape == "cat":
        return "".join(f"{i:6d}\t{line}\n" for i, line in enumerate(log, start=1))
    if shape == "less":
        start = rng.randint(max(before - 60, 0), max(before - 5, 0))
        end = min(before + len(lines) + rng.randint(5, 40), len(log))
        return "".join(f"{i + 1:7d} {log[i]}\n" for i in range(start, end))
    words = re.compile(GREPPED.pattern + ("|warn" if rng.random() < 0.5 else ""), re.IGNORECASE)
    matched = {i for i, line in enumerate(log) if words.search(line)} | {before}
    ahead, behind = rng.randint(2, 5), len(lines) + rng.randint(0, 20)  # -A long enough for the failure
    shown = sorted({j for i in matched for j in range(max(i - ahead, 0), min(i + behind + 1, len(log)))})
    name = rng.choice(["logs/app.log", "logs/api.log", "var/log/app/server.log"]) if shape == "grep-files" else ""
    out = []
    for k, j in enumerate(shown):
        if k and j != shown[k - 1] + 1:
            out.append("--")
        mark = ":" if j in matched else "-"
        out.append(f"{name}{mark if name else ''}{j + 1}{mark}{log[j]}")
    if name:  # another log's own failures, found by the same grep
        failures = rng.sample(OTHER_FAILURES, 2)
        numbers = sorted(rng.randint(2, 900) for _ in failures)
        other = [f"logs/worker.log:{n}:{line}" for n, line in zip(numbers, failures, strict=True)]
        out = [*other, "--", *out] if rng.random() < 0.5 else [*out, "--", *other]
    return "\n".join(out) + "\n"


EXPORTERS = ("cloudwatch", "datadog", "kibana", "splunk")
EXPORT_HEADERS = {
    "cloudwatch": ["@timestamp", "@message", "@logStream", "@log"],
    "datadog": ["Date", "Host", "Service", "Status", "Content"],
    "kibana": ["@timestamp", "log.level", "message", "host.name"],
    "splunk": ["_time", "host", "source", "sourcetype", "_raw"],
}


def exported(lines: list[str], rng: random.Random, shapes: tuple[str, ...] = EXPORTERS) -> str:
    """The snippet's log as a log platform exports a search's results to CSV, in one of `shapes`, newest first as
    their searches sort (a fifth re-sorted oldest first): CloudWatch Logs Insights (its `@timestamp` and the line as
    the program printed it in `@message`, each line of the failure an event of its own, as container output is
    shipped; or, `cloudwatch-json`, each record of a JSON logger, the failure one record whose exception or stack field
    holds its lines), Datadog's log explorer (date, host, service, status, content), Kibana's Discover (`Dec 6, 2026
    @ 02:30:01.123`, `log.level`, `message`) or Splunk (`_time`, `_raw`); the last three hold the failure in one event
    of several lines, as their shippers join a multi-line record."""
    shape = rng.choice(shapes)
    pino = shape == "cloudwatch-json" and rng.random() < 0.5
    start = 1_764_000_000 + rng.randint(0, 2_000_000)
    clock = iter(range(start * 1000, (start + 100_000) * 1000, 1237))
    host, service = rng.choice(["web-3", "ip-10-0-3-17", "api-7d9f8c6b5-x2k9p"]), rng.choice(["api", "web", "worker"])

    def row(level: str, message: str, failure: str = "") -> list[str]:
        t = next(clock) / 1000
        ms = f"{int(t * 1000) % 1000:03d}"
        iso = millis(t, "T") + "Z"
        if shape.startswith("cloudwatch"):
            stamp = millis(t)
            said = f"{level:<5} {message}" if level else message
            if shape == "cloudwatch-json":
                said = json.dumps(json_record(level, message, failure, pino, t))
            return [stamp, said, f"ecs/{service}/3f2a9c0d81e54b6f", f"123456789012:/ecs/{service}"]
        if shape == "datadog":
            return [iso, host, service, (level or "error").lower(), message]
        if shape == "kibana":
            day = time.gmtime(t)
            shown = time.strftime(f"%b {day.tm_mday}, %Y @ %H:%M:%S", day)
            return [f"{shown}.{ms}", (level or "ERROR").lower(), message, host]
        return [iso.replace("Z", "+0000"), host, f"/var/log/{service}/app.log", service, f"{iso} {level:<5} {message}"]

    def noise() -> list[str]:
        level, message = rng.choice(NOISE_LOG).format(n=rng.randint(2, 9000)).split(maxsplit=1)
        return row(level, message)

    before, after = rng.randint(60, 250), rng.randint(10, 60)
    rows = [noise() for _ in range(before)]
    if shape == "cloudwatch-json":
        rows += [row("ERROR", rng.choice(["unhandled exception", "request failed", "job failed"]), "\n".join(lines))]
    else:
        rows += [row("", line) for line in lines] if shape == "cloudwatch" else [row("ERROR", "\n".join(lines))]
    rows += [noise() for _ in range(after)]
    if rng.random() < 0.8:
        rows.reverse()
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL if shape == "datadog" else csv.QUOTE_ALL)
    writer.writerows([EXPORT_HEADERS[shape.removesuffix("-json")], *rows])
    return out.getvalue()


def millis(t: float, sep: str = " ") -> str:
    """`t` as log platforms write a time: the date, `sep`, the time of day to the millisecond (UTC)."""
    return time.strftime(f"%Y-%m-%d{sep}%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}"


def json_record(level: str, message: str, failure: str, pino: bool, t: float) -> dict[str, Any]:
    """A JSON logger's record: pino's (numeric level, the failure in `err.stack`) or structlog's (`event`, the
    failure in `exception`)."""
    if pino:
        record: dict[str, Any] = {"level": PINO_LEVELS[level], "time": int(t * 1000), "msg": message}
        return {**record, "err": {"type": "Error", "stack": failure}} if failure else record
    record = {"event": message, "level": level.lower(), "timestamp": f"{t:.3f}"}
    return {**record, "exception": failure} if failure else record


NEWEST_FIRST_VIEWERS = ("grafana", "journalctl", "copied")


def newest_first(lines: list[str], rng: random.Random, shapes: tuple[str, ...] = NEWEST_FIRST_VIEWERS) -> str:
    """The snippet's log as a viewer that lists the newest line first gives it, each line an entry with its own time,
    in one of `shapes`: Grafana Explore's download of Loki's lines as text (its meta lines, then the time, a tab and
    the line) or, `grafana-json`, as JSON (each entry's `line`, `timestamp` in nanoseconds, `date` and the stream's
    labels in `fields`), `journalctl -r` (its time, the host, the unit and its pid), or lines copied from a log
    viewer's list (the time, two spaces, the line)."""
    shape = rng.choice(shapes)
    start = 1_764_000_000 + rng.randint(0, 2_000_000)
    clock = iter(range(start * 1000, (start + 100_000) * 1000, 913))
    unit = f"{rng.choice(['api', 'web', 'worker'])}[{rng.randint(300, 9000)}]"

    def noise() -> str:
        return rng.choice(NOISE_LOG).format(n=rng.randint(2, 9000))

    before, after = rng.randint(60, 250), rng.randint(10, 60)
    log = [noise() for _ in range(before)] + lines + [noise() for _ in range(after)]
    entries = [(next(clock) / 1000, line) for line in log][::-1]

    if shape == "grafana-json":
        labels = {"app": unit.split("[")[0], "namespace": "prod", "job": "prod/api"}
        entry = [
            {"line": line, "timestamp": str(int(t * 1000) * 10**6), "date": millis(t, "T") + "Z"} for t, line in entries
        ]
        return json.dumps([{**item, "fields": labels} for item in entry], indent=2) + "\n"
    if shape == "grafana":
        meta = f'Common labels: {{"app":"api","namespace":"prod"}}\nLine limit: "1000 ({len(entries)} displayed)"\n\n\n'
        return meta + "".join(f"{millis(t)}\t{line}\n" for t, line in entries)
    if shape == "journalctl":
        return "".join(
            f"{time.strftime('%b %d %H:%M:%S', time.gmtime(t))} web-3 {unit}: {line}\n" for t, line in entries
        )
    return "".join(f"{millis(t)}  {line}\n" for t, line in entries)


LOG_WRITERS = {"plain": snippet, "json": structured, "colour": coloured, "collected": collected}  # (`--logs`)
LOG_WRITERS["stamped"] = stamped
LOG_WRITERS["numbered"] = numbered
LOG_WRITERS["exported"] = exported
LOG_WRITERS["exported-json"] = functools.partial(exported, shapes=("cloudwatch-json",))
LOG_WRITERS["newest-first"] = newest_first
LOG_WRITERS["grafana-json"] = functools.partial(newest_first, shapes=("grafana-json",))
LOG_SUFFIXES = {"plain": [".log", ".txt"], "json": [".jsonl", ".json", ".log"], "colour": [".log", ".txt", ""]}
LOG_SUFFIXES["collected"] = LOG_SUFFIXES["stamped"] = LOG_SUFFIXES["numbered"] = [".log", ".txt"]
LOG_SUFFIXES["exported"] = LOG_SUFFIXES["exported-json"] = [".csv"]
LOG_SUFFIXES["newest-first"] = [".log", ".txt"]
LOG_SUFFIXES["grafana-json"] = [".json"]


OTHER_SERVICES = {
    "nginx/access.log": ['10.0.3.{n} - - [30/Nov/2026:10:02:11 +0000] "GET /static/app.js HTTP/1.1" 200 {n}'],
    "worker/worker.log": ["INFO  job nightly-report done in {n} ms", "DEBUG queue depth {n}"],
    "scheduler.log": ["INFO  tick ({n} jobs due)", "INFO  lease renewed for {n} s"],
}
OTHER_FAILURES = [  # another service's own failures, not the one asked about
    "ERROR worker-3: job nightly-report failed: timeout after 30s",
    "ERROR smtp: 421 4.7.0 Try again later, closing connection",
    "WARN  disk usage 91% on /var",
]
SETTINGS_FILES = {
    "config/settings.json": '{\n  "timeout": 30,\n  "max_retries": 3,\n  "error_log": "/var/log/app/error.log",\n'
    '  "fail_fast": false\n}\n',
    "config/app.yaml": "server:\n  port: 8080\n  timeout: 30s\nretries: 3\non_error: retry\n"
    "error_log: logs/error.log\n",
    "config/app.ini": "[server]\nport = 8080\ntimeout = 30\n[logging]\nerror_log = logs/error.log\nlevel = info\n",
}
SYSTEM_INFO = (
    "support bundle written by support-dump 2.3.1\nhost: web-3\nos: Ubuntu 24.04.1 LTS (x86_64)\n"
    "kernel: 6.8.0-49-generic\nuptime: 12 days\nmemory: 7.6 GiB, 2.1 GiB free\n"
)
BINARIES = {
    "charts/cpu.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
    "state.db": b"SQLite format 3\x00" + bytes(4096),
}
WINDOWS_LINES = [
    "INFO  loaded profile from C:\\Users\\José\\AppData\\Roaming\\Acme\\profile.json",
    "INFO  sync finished in {n} µs",
    "INFO  GPU temperature {n} °C",
    "INFO  user’s session restored ({n} tabs)",
    "DEBUG cache size {n} KB – within budget",
]


def routine_log(lines: list[str], rng: random.Random, n: int) -> str:
    """`n` records of another service, timestamped in order."""
    seconds = sorted(rng.randint(0, 86_399) for _ in range(n))
    return "".join(
        f"2026-11-30T{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}Z "
        + rng.choice(lines).format(n=rng.randint(2, 9000))
        + "\n"
        for t in seconds
    )


def compressed_log(log: str, rng: random.Random) -> tuple[bytes, str]:
    """The log compressed as rotated and shipped logs are: gzip (the current or a rotated one), bzip2 or xz."""
    how = rng.choice(["gz", "1.gz", "bz2", "xz"])
    data = log.encode()
    packed = bz2.compress(data) if how == "bz2" else lzma.compress(data) if how == "xz" else gzip.compress(data)
    return packed, f".log.{how}"


def bundle(log: str, rng: random.Random) -> tuple[bytes, str]:
    """The log inside a support bundle of other services' logs, a settings file, a system-information text, an older
    rotated log and sometimes a binary file; a zip (half with `__MACOSX/` entries) or a tar.gz."""
    files: dict[str, bytes] = {"system-info.txt": SYSTEM_INFO.encode()}
    settings = rng.choice(sorted(SETTINGS_FILES))
    files[settings] = SETTINGS_FILES[settings].encode()
    for name in rng.sample(sorted(OTHER_SERVICES), rng.randint(1, 3)):
        other = routine_log(OTHER_SERVICES[name], rng, rng.randint(30, 200))
        if rng.random() < 0.5:
            other += routine_log(OTHER_FAILURES, rng, rng.randint(1, 3))
        files[f"logs/{name}"] = other.encode()
    files[rng.choice(["logs/api.log", "logs/app.log", "app/server.log"])] = log.encode()
    files["logs/app.log.1.gz"] = gzip.compress(routine_log(NOISE_LOG, rng, 300).encode())
    if rng.random() < 0.3:
        binary = rng.choice(sorted(BINARIES))
        files[binary] = BINARIES[binary]
    order = list(files)
    rng.shuffle(order)
    out = io.BytesIO()
    if rng.random() < 0.5:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in order:
                archive.writestr(f"support-bundle/{name}", files[name])
                if rng.random() < 0.5:  # macOS's Finder adds an AppleDouble file per file
                    archive.writestr(
                        f"__MACOSX/support-bundle/._{name.rsplit('/', 1)[-1]}", b"\x00\x05\x16\x07" + bytes(80)
                    )
        return out.getvalue(), ".zip"
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name in order:
            info = tarfile.TarInfo(f"support-bundle/{name}")
            info.size, info.mtime = len(files[name]), 1_764_500_000
            archive.addfile(info, io.BytesIO(files[name]))
    return out.getvalue(), ".tar.gz"


def windows_log(log: str, rng: random.Random) -> tuple[bytes, str]:
    """The log as a Windows program writes it: Windows-1252 (a character it lacks written as `?`), CRLF, a header naming
    the user's folder, and some routine lines with characters outside ASCII."""
    lines = log.splitlines()
    for i in rng.sample(range(len(lines)), min(len(lines) // 8, 40)):
        if lines[i].startswith("2026-") and not ERROR_LINE.search(lines[i]):
            stamp = lines[i].split(" ", 1)[0]
            lines[i] = f"{stamp} " + rng.choice(WINDOWS_LINES).format(n=rng.randint(2, 900))
    head = "Acme Sync 4.2 – log started 30.11.2026 10:02 – C:\\Users\\José\\AppData\\Local\\Acme\\logs"
    return "\r\n".join([head, *lines]).encode("cp1252", errors="replace") + b"\r\n", rng.choice([".log", ".txt"])


SAVERS: dict[str, Callable[[str, random.Random], tuple[bytes, str]]] = {
    "compressed": compressed_log,
    "bundle": bundle,
    "windows": windows_log,
}


QUOTE_FORMS = ("typed-line", "inline-line", "fenced-line")
QUOTE_INTROS = ("getting this", "seeing this", "fails with", "this again, any idea?", "")


def quoted_lines(lines: list[str], rng: random.Random) -> list[str]:
    """One to three lines of a screen as people copy them into a message: from one that says what failed (drawn
    among them; the last line when none does)."""
    failing = [i for i, line in enumerate(lines) if ERROR_LINE.search(line)] or [len(lines) - 1]
    start = rng.choice(failing)
    return lines[start : start + rng.choice((1, 1, 2, 3))]


def quoted(quote: list[str], form: str, rng: random.Random) -> str:
    """A message quoting the lines: typed as plain text, in `inline code` (one line; more go in a fence) or in a
    ``` fence, after a few words (or alone)."""
    intro = rng.choice(QUOTE_INTROS)
    if form == "typed-line":
        return f"{intro}: {quote[0]}" if len(quote) == 1 and intro else "\n".join(filter(None, [intro, *quote]))
    if form == "inline-line" and len(quote) == 1:
        return f"{intro} `{quote[0]}`".strip()
    return "\n".join(filter(None, [intro, "```", *quote, "```"]))


def pasted(log: str, rng: random.Random) -> str:
    """A message as people write it around a log pasted without a code fence (Slack keeps 40,000 characters)."""
    intro = rng.choice(["getting this in prod, any idea?", "deploy failed, log below", "can someone look at this", ""])
    return ((intro + "\n") if intro else "") + log[:39_000]


@functools.cache
def terminal_reader() -> Any:
    """The accurate OCR engine, to take a screenshot's text as the terminal printed it."""
    from bot.extract import load_reader

    return load_reader("rapidocr", 2)


def terminal_lines(shot: Image.Image) -> list[str]:
    """The screenshot's text line by line, as the terminal printed it."""
    return [line.text for line in reading_order(terminal_reader().read(shot.convert("RGB")))]


@functools.cache
def printed_lines(path: Path) -> list[str]:
    """`terminal_lines` of the screenshot at `path`, read once however many kinds are made from it."""
    return terminal_lines(Image.open(path))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--set", type=Path, default=SET)
    parser.add_argument(
        "--kinds",
        default=",".join([*IMAGE_KINDS, "recording", "filmed", "snippet", "animation", "streamed", "pasted", "paired"]),
    )
    parser.add_argument("--every", type=int, default=1, help="use every n-th screenshot query")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--logs",
        choices=sorted(LOG_WRITERS),
        default="plain",
        help="snippets and pasted logs as JSON, in colour, behind a runner's prefixes or times, numbered, exported, "
        "newest first",
    )
    parser.add_argument(
        "--saved", choices=["as-is", *SAVERS], default="as-is", help="snippet files compressed, bundled or Windows-1252"
    )
    parser.add_argument(
        "--editor", choices=sorted(EDITOR_CODE), default="plain", help="code that handles errors names them too"
    )
    parser.add_argument(
        "--tail", choices=sorted(LOG_TAILS), default="routine", help="the desktops' log tail shows other failures"
    )
    args = parser.parse_args()
    CODE[:] = EDITOR_CODE[args.editor]
    LOG_TAIL[:] = LOG_TAILS[args.tail]
    (args.out / "media").mkdir(parents=True, exist_ok=True)
    queries = screenshot_queries(args.set)[:: args.every]
    all_rows = [json.loads(line) for line in (args.set / "queries.jsonl").read_text().splitlines() if line.strip()]
    voices = {r["expected"]: r["files"][0] for r in all_rows if r["kind"] == "voice" and r["expected"]}
    rows = []
    listing = (args.out / "queries.jsonl").open("a")
    for kind in args.kinds.split(","):
        rng = random.Random(f"{args.seed}-{kind}")
        for n, q in enumerate(queries):
            shot = Image.open(args.set / q["files"][0])
            stem = args.out / "media" / f"{q['id']}-{kind}"
            label = kind if q["expected"] else "out-of-kb"
            text, path, others = "", None, []
            if kind in IMAGE_KINDS:
                image, how = IMAGE_KINDS[kind](shot, rng)
                path = save(image, how, stem)
            elif kind == "recording":
                narrated = bool(q["expected"]) and n % 2 == 0 and q["expected"] in voices
                path = write_recording(stem, shot, args.set / voices[q["expected"]] if narrated else None, rng, n)
                label = ("recording+voice" if narrated else "recording") if q["expected"] else "out-of-kb"
            elif kind == "filmed":
                narrated = bool(q["expected"]) and n % 2 == 0 and q["expected"] in voices
                path = write_filmed(stem, shot, args.set / voices[q["expected"]] if narrated else None, rng, n)
                label = ("filmed+voice" if narrated else "filmed") if q["expected"] else "out-of-kb"
            elif kind == "animation":
                path = write_animation(stem, shot, rng, n)
            elif kind == "streamed":
                path = write_streamed(stem, printed_lines(args.set / q["files"][0]), rng, n)
            elif kind in QUOTE_FORMS:
                lines = printed_lines(args.set / q["files"][0])
                text = quoted(quoted_lines(lines, random.Random(f"{args.seed}-{q['id']}")), kind, rng)
            elif kind == "paired":
                path = save(shot.convert("RGB"), "png", stem)
                others = [save(unrelated(rng), "png", stem.with_name(stem.name + "-other"))]
                if rng.random() < 0.5:
                    path, others = others[0], [path]
            else:
                lines = printed_lines(args.set / q["files"][0])
                log = LOG_WRITERS[args.logs](lines, rng)
                if kind == "pasted":
                    text = pasted(log, rng)
                elif args.saved == "as-is":
                    path = stem.with_suffix(rng.choice(LOG_SUFFIXES[args.logs]))
                    path.write_text(log, encoding="utf-8")
                else:
                    data, suffix = SAVERS[args.saved](log, rng)
                    path = stem.with_name(stem.name + suffix)
                    path.write_bytes(data)
            rows.append(
                {
                    "id": f"{q['id']}-{kind}",
                    "text": text,
                    "files": [str(p.relative_to(args.out)) for p in ([path] if path else []) + others],
                    "expected": q["expected"],
                    "kind": label,
                }
            )
            listing.write(json.dumps(rows[-1]) + "\n")
            listing.flush()
    listing.close()
    print(len(rows), "queries")


if __name__ == "__main__":
    main()
