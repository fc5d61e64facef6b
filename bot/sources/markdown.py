"""Read an issue's markdown: take out embedded media, strip issue-template boilerplate, find the resolution.

The rules (docs/SOURCES.md): HTML comments, unticked or ticked template checkboxes and `_No response_`
placeholders are dropped; headings that issue templates use ("Describe the bug", "Steps to reproduce", ...)
are dropped but their text is kept; sections a template only uses for acknowledgements ("Code of Conduct")
are dropped whole; a section headed Resolution, Workaround, Fix or Solution is the resolution, not a symptom.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
MD_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(\s*<?([^\s)>]+)>?(?:\s+[\"'][^\"'\n]*[\"'])?\s*\)")
HTML_MEDIA = re.compile(r"<(?:img|video|source)\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"'][^>]*>(?:\s*</video>)?", re.I)
HTML_ALT = re.compile(r"\balt\s*=\s*[\"']([^\"']*)[\"']", re.I)
BARE_ASSET = re.compile(r"^[ \t]*<?(https?://\S+/user-attachments/assets/[\w-]+)>?[ \t]*$", re.MULTILINE)
HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
TASK_LINE = re.compile(r"^[ \t]*[-*+][ \t]+\[[ xX]\][ \t].*(?:\n|\Z)", re.MULTILINE)
NO_RESPONSE = re.compile(r"^[ \t]*_?No response_?[ \t]*$", re.MULTILINE | re.IGNORECASE)
BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
WORD = r"(?:resolution|workaround|fix|solution)"
BOLD = r"(?:\*\*|__)?"
MARKER = re.compile(  # "## Workaround" alone on its line, or a label: "Workaround:", "**Fix:**", "**Fix**:"
    rf"\A\s*(?:#{{1,6}}[ \t]*{BOLD}{WORD}{BOLD}[ \t]*:?[ \t]*$|{BOLD}{WORD}[ \t]*{BOLD}[ \t]*:{BOLD})",
    re.IGNORECASE | re.MULTILINE,
)

RESOLUTION_HEADINGS = frozenset({"resolution", "workaround", "workarounds", "fix", "solution", "how to fix"})
TEMPLATE_HEADINGS = frozenset(
    {
        "describe the bug",
        "bug description",
        "description",
        "summary",
        "what happened",
        "to reproduce",
        "steps to reproduce",
        "reproduction steps",
        "expected behavior",
        "expected behaviour",
        "actual behavior",
        "actual behaviour",
        "current behavior",
        "screenshots",
        "screenshots or recordings",
        "additional context",
        "relevant log output",
        "logs",
        "environment",
        "version",
        "symptoms",
    }
)
DROPPED_SECTIONS = frozenset(
    {"code of conduct", "is there an existing issue for this", "checklist", "prerequisites", "before submitting"}
)


@dataclass(frozen=True)
class Body:
    """An issue body read: its symptoms, its resolution section(s) and the media it embeds (url, name)."""

    symptoms: str
    resolution: str
    media: tuple[tuple[str, str], ...]


def read_body(markdown: str) -> Body:
    """Split an issue body into symptoms and resolution and take its embedded screenshots and recordings out."""
    text, media = take_media(HTML_COMMENT.sub("", markdown.replace("\r\n", "\n")))
    symptoms: list[str] = []
    resolution: list[str] = []
    for heading, content in split_headings(text):
        name = heading_name(heading)
        content = tidy(content)
        if name in RESOLUTION_HEADINGS:
            resolution.append(content)
        elif content and name not in DROPPED_SECTIONS:
            keep_heading = heading and name not in TEMPLATE_HEADINGS
            symptoms.append(f"**{heading.strip()}**\n\n{content}" if keep_heading else content)
    return Body("\n\n".join(symptoms), "\n\n".join(r for r in resolution if r), media)


def marked_resolution(markdown: str) -> str | None:
    """The text of a comment marked as the answer: one that opens with "Resolution", "Workaround", "Fix" or
    "Solution" (as a heading or a `Label:`), or that has such a section; None for any other comment."""
    text = HTML_COMMENT.sub("", markdown.replace("\r\n", "\n"))
    found = MARKER.match(text)
    if found:
        return tidy(take_media(text[found.end() :])[0]) or None
    section = read_body(text).resolution
    return section or None


def plain_comment(markdown: str) -> str:
    """A comment's text without HTML comments and embedded media."""
    return tidy(take_media(HTML_COMMENT.sub("", markdown.replace("\r\n", "\n")))[0])


def take_media(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Remove embedded images, videos and bare GitHub asset links; return the text and (url, name) pairs."""
    found: dict[str, str] = {}

    def markdown_image(match: re.Match[str]) -> str:
        found.setdefault(match.group(2), match.group(1))
        return ""

    def html_media(match: re.Match[str]) -> str:
        alt = HTML_ALT.search(match.group(0))
        found.setdefault(match.group(1), alt.group(1) if alt else "")
        return ""

    def bare_asset(match: re.Match[str]) -> str:
        found.setdefault(match.group(1), "")
        return ""

    text = MD_IMAGE.sub(markdown_image, text)
    text = HTML_MEDIA.sub(html_media, text)
    text = BARE_ASSET.sub(bare_asset, text)
    return text, tuple((url, media_name(url, alt)) for url, alt in found.items())


def media_name(url: str, alt: str) -> str:
    """A file name for embedded media: the alt text when it looks like one, else the URL's last segment."""
    last = urlparse(url).path.rstrip("/").rsplit("/", 1)[-1] or "media"
    alt = alt.strip()
    return alt if alt and alt.lower() not in ("image", "screenshot", "video") else last


def split_headings(text: str) -> list[tuple[str, str]]:
    """(heading, content) pairs; text before the first heading comes with heading ""."""
    parts = HEADING.split(text)
    sections = [("", parts[0])]
    sections += [(parts[i + 1], parts[i + 2]) for i in range(1, len(parts) - 2, 3)]
    return sections


def heading_name(heading: str) -> str:
    """A heading compared by its words: lower case, without emoji, punctuation at the ends or extra spaces."""
    words = re.sub(r"[^\w\s()'-]+", " ", heading.lower())
    return " ".join(words.split()).strip("()'-")


def tidy(text: str) -> str:
    """Drop template checkboxes and placeholders; no runs of blank lines."""
    text = NO_RESPONSE.sub("", TASK_LINE.sub("", text))
    return BLANK_LINES.sub("\n\n", text).strip()
