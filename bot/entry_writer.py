"""Write knowledge entries: an `EntryDraft` becomes `<root>/<id>/bug.md` plus its media, validated and atomic.

Used by the tracker sync (`bot.sources`) and by anything else that files a new known bug. A draft is checked
with the parser's own rules before anything is written; the folder is built under a hidden temporary name
(which `scan_knowledge` skips), parsed back with `read_entry`, and only then renamed into place.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import KnowledgeError
from bot.knowledge import read_entry, validate_meta
from bot.records import Attachment, KnownBug

log = logging.getLogger(__name__)

SUFFIX_OF_FORMAT = {  # the formats the knowledge base holds (knowledge.MEDIA_SUFFIXES)
    "png": ".png",
    "jpeg": ".jpg",
    "gif": ".gif",
    "webp": ".webp",
    "bmp": ".bmp",
    "tiff": ".tiff",
    "heif": ".heic",
    "avif": ".avif",
    "wav": ".wav",
    "ogg": ".ogg",
    "mp3": ".mp3",
    "aac": ".aac",
    "amr": ".amr",
    "flac": ".flac",
    "mp4": ".mp4",
    "webm": ".webm",
}
# suffixes kept although another is the format's usual one
SAME_FORMAT = {
    ".jpeg": "jpeg",
    ".tif": "tiff",
    ".heif": "heif",
    ".opus": "ogg",
    ".oga": "ogg",
    ".m4a": "mp4",
    ".mov": "mp4",
    ".m4v": "mp4",
    ".mkv": "webm",
}
TOP_HEADING = re.compile(r"^#{1,2}(?=\s)", re.MULTILINE)
UNSAFE_NAME = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class EntryDraft:
    """A known bug to write: the front matter fields, the two sections and the media files."""

    id: str
    title: str
    product: str
    tags: tuple[str, ...]
    status: str
    links: tuple[str, ...]
    symptoms: str
    resolution: str = ""
    media: tuple[Attachment, ...] = ()
    source: Mapping[str, Any] | None = field(default=None)

    def meta(self) -> dict[str, Any]:
        """The front matter, in the order the README lists it."""
        meta: dict[str, Any] = {
            "id": self.id,
            "title": self.title.strip(),
            "product": self.product.strip(),
            "tags": list(self.tags),
            "status": self.status,
            "links": list(self.links),
        }
        if self.source is not None:
            meta["source"] = dict(self.source)
        return meta


def write_entry(root: Path, draft: EntryDraft) -> KnownBug:
    """Write a new entry `<root>/<draft.id>`; refuses an id that exists (hand-written or not)."""
    target = root / draft.id
    check_draft(draft, target)
    if target.exists():
        raise KnowledgeError(str(target), f"an entry with id {draft.id!r} exists already; choose another id")
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".new-{draft.id}-", dir=root))
    try:
        stage_entry(staging / draft.id, draft)
        try:
            (staging / draft.id).rename(target)
        except OSError as err:  # another writer took the id between the check and the rename
            raise KnowledgeError(str(target), f"an entry with id {draft.id!r} exists already") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return read_entry(target)


def stage_entry(folder: Path, draft: EntryDraft) -> KnownBug:
    """Write the entry into `folder` (which must not exist) and parse it back; raises `KnowledgeError`."""
    check_draft(draft, folder)
    if folder.name != draft.id:
        raise KnowledgeError(str(folder), f"the folder must be named after the id {draft.id!r}")
    folder.mkdir(parents=True)
    for name, data in media_files(draft.media):
        (folder / name).write_bytes(data)
    (folder / "bug.md").write_text(render_entry(draft), encoding="utf-8")
    return read_entry(folder)


def install_entry(staged: Path, target: Path) -> None:
    """Move a staged entry folder to `target`, replacing what is there: each step is one rename."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".old-{target.name}-", dir=target.parent))
        os.rename(target, old / target.name)
        os.rename(staged, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(staged, target)


def remove_entry(target: Path) -> None:
    """Take an entry folder out of the knowledge base at once (renamed hidden first, then deleted)."""
    old = Path(tempfile.mkdtemp(prefix=f".old-{target.name}-", dir=target.parent))
    os.rename(target, old / target.name)
    shutil.rmtree(old, ignore_errors=True)


def check_draft(draft: EntryDraft, folder: Path) -> None:
    """The parser's own front-matter rules, plus a title and some text to match on."""
    validate_meta(draft.meta(), draft.id, str(folder / "bug.md"))
    if not draft.title.strip() or not draft.product.strip():
        raise KnowledgeError(str(folder / "bug.md"), "title and product must not be blank")
    if not draft.symptoms.strip() and not draft.media:
        raise KnowledgeError(str(folder / "bug.md"), "an entry needs symptoms or a screenshot to be matched on")


def render_entry(draft: EntryDraft) -> str:
    """The `bug.md` text: YAML front matter, the title, `## Symptoms` and (when known) `## Resolution`."""
    front = yaml.safe_dump(draft.meta(), sort_keys=False, allow_unicode=True, width=10_000)
    parts = [f"---\n{front}---\n", f"# {one_line(draft.title)}\n", f"## Symptoms\n\n{section_text(draft.symptoms)}\n"]
    if draft.resolution.strip():
        parts.append(f"## Resolution\n\n{section_text(draft.resolution)}\n")
    return "\n".join(parts)


def section_text(text: str) -> str:
    """Text safe inside a section: its own `#`/`##` headings become `###`, so the sections parse as written."""
    return TOP_HEADING.sub("###", text.strip())


def one_line(text: str) -> str:
    return " ".join(text.split())


def media_files(media: tuple[Attachment, ...]) -> list[tuple[str, bytes]]:
    """Safe, unique file names with the suffix of what the bytes really are; other files are left out."""
    from bot.intake.sniff import sniff  # the intake package loads PIL and numpy: only when there are files to name

    named: list[tuple[str, bytes]] = []
    taken: set[str] = set()
    for item in media:
        suffix = media_suffix(item.name, sniff(item.data))
        if suffix is None:
            log.warning("left out %s: not a screenshot or recording the knowledge base can hold", item.name)
            continue
        stem = UNSAFE_NAME.sub("-", Path(item.name.lower()).stem).strip("-.") or "media"
        name, n = f"{stem}{suffix}", 2
        while name in taken:
            name, n = f"{stem}-{n}{suffix}", n + 1
        taken.add(name)
        named.append((name, item.data))
    return named


def media_suffix(name: str, found: str | None) -> str | None:
    """The suffix to store a file under: its own when it names the format found, else the format's usual one."""
    if found not in SUFFIX_OF_FORMAT:
        return None
    own = Path(name.lower()).suffix
    return own if own == SUFFIX_OF_FORMAT[found] or SAME_FORMAT.get(own) == found else SUFFIX_OF_FORMAT[found]
