"""Screenshot helpers: headless Chromium shots, terminal windows, size reduction.

Terminal screenshots are made from the real output of a real command: the text is
placed in an HTML "terminal window" (title bar, prompt line, monospace font) and that
page is screenshot by Chromium like any browser page.
"""

from __future__ import annotations

import base64
import fcntl
import html
import json
import os
import re
import select
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


class _Cdp:
    """Minimal Chrome DevTools Protocol client over --remote-debugging-pipe (fds 3/4)."""

    def __init__(self, writer: int, reader: int) -> None:
        self._w, self._r, self._buf, self._id = writer, reader, b"", 0
        self.session: str | None = None

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 60) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if self.session and not method.startswith(("Target.", "Browser.")):
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        reply = self.wait(lambda m: m.get("id") == self._id, timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait(self, pred: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                msg = json.loads(raw)
                if pred(msg):
                    return msg
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk


def chromium_shot(
    url: str,
    out: Path,
    size: tuple[int, int] = (1100, 720),
    extra: list[str] | None = None,
    dark: bool = False,
    scale: float = 1.0,
) -> Path:
    """Screenshot `url` with headless Chromium into `out` (PNG).

    Driven over the DevTools pipe rather than --screenshot, because --screenshot
    refuses to capture Chromium's own network error pages (ERR_CONNECTION_REFUSED...).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            "chromium",
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={size[0]},{size[1]}",
            "--remote-debugging-pipe",
            *(extra or []),
            "about:blank",
        ]
        proc = subprocess.Popen(
            cmd,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: _pipe_to_3_4(to_chrome_r, from_chrome_w),
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        try:
            cdp = _Cdp(to_chrome_w, from_chrome_r)
            out.write_bytes(_capture(cdp, url, size, dark, scale))
            cdp.send("Browser.close")
        finally:
            os.close(to_chrome_w)
            os.close(from_chrome_r)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return out


def _pipe_to_3_4(read_fd: int, write_fd: int) -> None:
    """In the child: put the DevTools pipe on fds 3 (commands) and 4 (replies)."""
    high_r = fcntl.fcntl(read_fd, fcntl.F_DUPFD, 10)
    high_w = fcntl.fcntl(write_fd, fcntl.F_DUPFD, 10)
    os.dup2(high_r, 3)
    os.dup2(high_w, 4)


def _capture(cdp: _Cdp, url: str, size: tuple[int, int], dark: bool, scale: float) -> bytes:
    page = next(t for t in cdp.send("Target.getTargets")["targetInfos"] if t["type"] == "page")
    cdp.session = cdp.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})["sessionId"]
    cdp.send("Page.enable")
    metrics = {"width": size[0], "height": size[1], "deviceScaleFactor": scale, "mobile": False}
    cdp.send("Emulation.setDeviceMetricsOverride", metrics)
    if dark:
        cdp.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    cdp.send("Page.navigate", {"url": url})
    cdp.wait(lambda m: m.get("method") == "Page.loadEventFired", timeout=90)
    time.sleep(1.0)  # let fonts and late layout settle
    return base64.b64decode(cdp.send("Page.captureScreenshot", {"format": "png"})["data"])


def shrink_png(path: Path, colors: int = 96) -> int:
    """Palette-reduce a PNG in place (pngquant-like); return the new size in bytes."""
    img = Image.open(path).convert("RGB")
    img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    return path.stat().st_size


def to_jpeg(png: Path, out: Path, quality: int = 72, crop: tuple[int, int, int, int] | None = None) -> Path:
    """Convert (and optionally crop) a PNG screenshot to JPEG."""
    img = Image.open(png).convert("RGB")
    if crop:
        img = img.crop(crop)
    img.save(out, "JPEG", quality=quality, optimize=True)
    return out


def crop_png(path: Path, box: tuple[int, int, int, int]) -> Path:
    """Crop a PNG in place to `box` (left, top, right, bottom)."""
    Image.open(path).crop(box).save(path, optimize=True)
    return path


@dataclass(frozen=True)
class Theme:
    """Colours and font of a rendered terminal window."""

    name: str
    bg: str
    fg: str
    bar: str
    bar_fg: str
    user: str
    path: str
    font: str
    size_px: int
    palette: tuple[str, ...]  # ANSI colours 30..37 (bright 90..97 reuse them, lighter)


DARK = Theme(
    "dark",
    "#1e1e1e",
    "#d4d4d4",
    "#2d2d2d",
    "#c8c8c8",
    "#23d18b",
    "#3b8eea",
    "DejaVu Sans Mono",
    14,
    ("#000000", "#f14c4c", "#23d18b", "#e5e510", "#3b8eea", "#d670d6", "#29b8db", "#e5e5e5"),
)
SOLARIZED_LIGHT = Theme(
    "solarized-light",
    "#fdf6e3",
    "#586e75",
    "#eee8d5",
    "#657b83",
    "#859900",
    "#268bd2",
    "Liberation Mono",
    15,
    ("#073642", "#dc322f", "#859900", "#b58900", "#268bd2", "#d33682", "#2aa198", "#93a1a1"),
)
DRACULA = Theme(
    "dracula",
    "#282a36",
    "#f8f8f2",
    "#191a21",
    "#bfbfbf",
    "#50fa7b",
    "#bd93f9",
    "Noto Sans Mono",
    13,
    ("#21222c", "#ff5555", "#50fa7b", "#f1fa8c", "#bd93f9", "#ff79c6", "#8be9fd", "#f8f8f2"),
)

_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_OTHER_ESC = re.compile(r"\x1b\[[0-9;?]*[A-Za-ln-z]|\x1b\][^\x07]*\x07")


def ansi_to_html(text: str, theme: Theme) -> str:
    """Turn text with ANSI SGR colour codes into escaped HTML spans."""
    text = _OTHER_ESC.sub("", text.replace("\r\n", "\n"))
    out: list[str] = []
    colour, bold, pos = None, False, 0
    for m in _SGR.finditer(text):
        out.append(_span(text[pos : m.start()], colour, bold))
        for code in [int(c) if c else 0 for c in m.group(1).split(";")]:
            if code == 0:
                colour, bold = None, False
            elif code == 1:
                bold = True
            elif code == 22:
                bold = False
            elif 30 <= code <= 37 or 90 <= code <= 97:
                colour = theme.palette[code % 10]
            elif code == 39:
                colour = None
        pos = m.end()
    out.append(_span(text[pos:], colour, bold))
    return "".join(out)


def _span(chunk: str, colour: str | None, bold: bool) -> str:
    if not chunk:
        return ""
    style = (f"color:{colour};" if colour else "") + ("font-weight:bold;" if bold else "")
    esc = html.escape(chunk)
    return f'<span style="{style}">{esc}</span>' if style else esc


def terminal_html(prompt: tuple[str, str, str], command: str, output: str, theme: Theme) -> str:
    """HTML page showing one terminal window: prompt + command, output, next prompt."""
    user, host, cwd = prompt
    ps1 = (
        f'<span style="color:{theme.user};font-weight:bold">{html.escape(user)}@{html.escape(host)}</span>:'
        f'<span style="color:{theme.path};font-weight:bold">{html.escape(cwd)}</span>$ '
    )
    body = ansi_to_html(output.rstrip("\n"), theme)
    cursor = f'<span style="background:{theme.fg}">&nbsp;</span>'
    dots = "".join(
        f'<span style="display:inline-block;width:12px;height:12px;border-radius:6px;'
        f'margin-right:8px;background:{c}"></span>'
        for c in ("#ff5f57", "#febc2e", "#28c840")
    )
    title = html.escape(f"{user}@{host}: {cwd}")
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
html,body{{margin:0;height:100%;background:{theme.bg};}}
.bar{{background:{theme.bar};color:{theme.bar_fg};font:13px 'DejaVu Sans',sans-serif;height:30px;
display:flex;align-items:center;padding:0 10px;position:relative}}
.title{{position:absolute;left:0;right:0;text-align:center;pointer-events:none}}
pre{{margin:0;padding:8px 10px;color:{theme.fg};font-family:'{theme.font}',monospace;
font-size:{theme.size_px}px;line-height:1.3;white-space:pre-wrap;word-break:break-all}}
</style></head><body><div class="bar">{dots}<div class="title">{title}</div></div>
<pre>{ps1}{html.escape(command)}
{body}
{ps1}{cursor}</pre></body></html>"""


def terminal_shot(
    out: Path,
    prompt: tuple[str, str, str],
    command: str,
    output: str,
    theme: Theme = DARK,
    size: tuple[int, int] = (1100, 720),
) -> Path:
    """Render a captured command + output as a terminal window and screenshot it."""
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "term.html"
        page.write_text(terminal_html(prompt, command, output, theme), encoding="utf-8")
        chromium_shot(page.as_uri(), out, size=size)
    return out
