"""Parse and validate the knowledge base: `knowledge/<bug-id>/bug.md` plus screenshots and recordings.

Only regular files inside the knowledge folder, within their size limits, are read: links that lead
outside it, devices, FIFOs and folders named like media refuse their entry with the path and the reason,
and so does front matter that is too large, uses YAML anchors or aliases, or has fields of the wrong shape.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import KnowledgeError
from bot.records import KnownBug
from bot.settings import Settings

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".avif"}
)
AUDIO_SUFFIXES = frozenset({".wav", ".ogg", ".opus", ".oga", ".mp3", ".m4a", ".aac", ".amr", ".flac", ".mp4", ".webm"})
# (.mp4/.webm: a recording or a voice clip)
VIDEO_SUFFIXES = frozenset({".mov", ".m4v", ".mkv"})
MEDIA_SUFFIXES = IMAGE_SUFFIXES | AUDIO_SUFFIXES | VIDEO_SUFFIXES
STATUSES = frozenset({"open", "workaround", "fixed"})
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
REQUIRED_KEYS = ("id", "title", "product", "tags", "status", "links")
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)(.*)\Z", re.DOTALL)
SECTION = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml (several times faster) when PyYAML has it
MAX_FRONT_MATTER_BYTES = 16 * 1024
TEXT_LIMITS = {"title": 300, "product": 120}  # characters
LIST_LIMITS = {"tags": (50, 80), "links": (50, 2000)}  # (items, characters per item)
BLOCK_BYTES = 1 << 20


@dataclass(frozen=True)
class KnowledgeLimits:
    """The largest bug.md and media file read, in bytes (from the settings)."""

    bug_bytes: int = Settings.model_fields["knowledge_max_bug_bytes"].default
    media_bytes: int = Settings.model_fields["knowledge_max_media_bytes"].default

    @classmethod
    def from_settings(cls, settings: Settings) -> KnowledgeLimits:
        return cls(settings.knowledge_max_bug_bytes, settings.knowledge_max_media_bytes)


@dataclass
class KnowledgeScan:
    """The result of reading a knowledge folder: the valid bugs and one error per malformed entry."""

    bugs: list[KnownBug] = field(default_factory=list)
    errors: list[KnowledgeError] = field(default_factory=list)

    def by_id(self) -> dict[str, KnownBug]:
        return {bug.id: bug for bug in self.bugs}


def scan_knowledge(root: Path, limits: KnowledgeLimits | None = None) -> KnowledgeScan:
    """Read every entry under `root`; a malformed or refused entry is reported, the others are still returned."""
    scan = KnowledgeScan()
    if not root.is_dir():
        scan.errors.append(KnowledgeError(str(root), "knowledge folder not found"))
        return scan
    for folder in entry_folders(root):
        try:
            scan.bugs.append(read_entry(folder, root, limits))
        except (KnowledgeError, OSError) as failure:
            err = failure if isinstance(failure, KnowledgeError) else unreadable(folder, failure)
            log.warning("skipping knowledge entry %s: %s", err.path, err.reason)
            scan.errors.append(err)
    return scan


def entry_folders(root: Path) -> list[Path]:
    """The entries: folders (or links to folders, checked per entry) directly under `root`, not hidden; one that
    cannot even be looked at is kept, for `read_entry` to report."""
    return sorted(p for p in root.iterdir() if not p.name.startswith(".") and is_folder_or_unknown(p))


def is_folder_or_unknown(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return True


def read_entry(folder: Path, root: Path | None = None, limits: KnowledgeLimits | None = None) -> KnownBug:
    """Parse one `<bug-id>/bug.md` with its media; raises `KnowledgeError` naming the path and reason."""
    limits = limits or KnowledgeLimits()
    path, media = entry_files(folder, root or folder.parent, limits)
    try:
        raw = read_regular(path, limits.bug_bytes).decode("utf-8")
        content_hash = hash_files([path, *media])
    except UnicodeDecodeError as err:
        raise KnowledgeError(str(path), "cannot be read as UTF-8 text") from err
    except OSError as err:
        raise unreadable(path, err) from err
    meta, body = parse_front_matter(raw, str(path))
    validate_meta(meta, folder.name, str(path))
    sections = split_sections(body)
    return KnownBug(
        id=meta["id"],
        title=str(meta["title"]).strip(),
        product=str(meta["product"]).strip(),
        tags=tuple(str(t) for t in meta["tags"]),
        status=meta["status"],
        links=tuple(str(u) for u in meta["links"]),
        symptoms=sections.get("symptoms", ""),
        resolution=sections.get("resolution", ""),
        body=body.strip(),
        path=str(folder),
        media=tuple(p.name for p in media),
        content_hash=content_hash,
    )


def entry_files(folder: Path, root: Path, limits: KnowledgeLimits) -> tuple[Path, list[Path]]:
    """An entry's bug.md and media files, each checked to be a regular file inside `root` within its limit."""
    inside = root.resolve()
    check_inside(folder, inside)
    path = folder / "bug.md"
    if not path.exists() and not path.is_symlink():
        raise KnowledgeError(str(path), "bug.md is missing")
    check_file(path, inside, limits.bug_bytes, "SUPPORTBOT_KNOWLEDGE_MAX_BUG_BYTES")
    try:
        media = sorted(p for p in folder.iterdir() if p.suffix.lower() in MEDIA_SUFFIXES)
    except OSError as err:
        raise unreadable(folder, err) from err
    for item in media:
        check_file(item, inside, limits.media_bytes, "SUPPORTBOT_KNOWLEDGE_MAX_MEDIA_BYTES")
    return path, media


def check_inside(path: Path, root: Path) -> Path:
    """`path` with its links followed, which must exist and stay inside `root` (already resolved)."""
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError as err:
        raise KnowledgeError(str(path), "is a link to nothing (its target does not exist)") from err
    except (OSError, RuntimeError) as err:  # RuntimeError: a link loop
        raise KnowledgeError(str(path), "cannot be followed (a link loop or an unreadable folder)") from err
    if not target.is_relative_to(root):
        raise KnowledgeError(str(path), "links outside the knowledge folder, so it is not read")
    return target


def check_file(path: Path, root: Path, limit: int, setting: str) -> None:
    """Refuse anything but a regular file inside `root` of at most `limit` bytes (the `setting` says so)."""
    target = check_inside(path, root)
    try:
        info = target.stat()
    except OSError as err:
        raise unreadable(path, err) from err
    if stat.S_ISDIR(info.st_mode):
        raise KnowledgeError(str(path), "is a folder, not a file; rename it or move it out of the entry")
    if not stat.S_ISREG(info.st_mode):
        raise KnowledgeError(str(path), "is not a regular file (a device, FIFO or socket), so it is not read")
    if info.st_size > limit:
        raise KnowledgeError(str(path), f"is {info.st_size:,} bytes, over the {limit:,}-byte limit ({setting})")


def unreadable(path: Path, err: OSError) -> KnowledgeError:
    return KnowledgeError(str(path), f"cannot be read ({err.strerror or type(err).__name__})")


def parse_front_matter(raw: str, path: str) -> tuple[dict[str, Any], str]:
    """Split YAML front matter (small, without anchors or aliases) from the markdown body."""
    found = FRONT_MATTER.match(raw.lstrip("\ufeff"))
    if not found:
        raise KnowledgeError(path, "no YAML front matter (the file must start with a '---' block)")
    text = found.group(1)
    if len(text.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        raise KnowledgeError(path, f"front matter is over {MAX_FRONT_MATTER_BYTES // 1024} kB; keep it to the keys")
    try:
        if any(isinstance(t, yaml.AnchorToken | yaml.AliasToken) for t in yaml.scan(text, Loader=SAFE_LOADER)):
            raise KnowledgeError(path, "front matter uses YAML anchors or aliases (& or *); write the values out")
        meta = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise KnowledgeError(path, f"front matter is not valid YAML{where}") from err
    if not isinstance(meta, dict):
        raise KnowledgeError(path, "front matter must be a YAML mapping of keys to values")
    return meta, found.group(2)


def validate_meta(meta: dict[str, Any], folder_name: str, path: str) -> None:
    """Check the front matter keys and their types."""
    missing = [key for key in REQUIRED_KEYS if meta.get(key) in (None, "")]
    if missing:
        raise KnowledgeError(path, f"front matter is missing {', '.join(missing)}")
    bug_id = meta["id"]
    if not isinstance(bug_id, str) or not ID_PATTERN.fullmatch(bug_id):
        raise KnowledgeError(path, f"id {bug_id!r} must match [a-z0-9][a-z0-9-]*")
    if bug_id != folder_name:
        raise KnowledgeError(path, f"id {bug_id!r} must equal the folder name {folder_name!r}")
    if not isinstance(meta["status"], str) or meta["status"] not in STATUSES:
        raise KnowledgeError(path, f"status {meta['status']!r} must be one of {', '.join(sorted(STATUSES))}")
    for key, most in TEXT_LIMITS.items():
        if not plain(meta[key]) or len(str(meta[key])) > most:
            raise KnowledgeError(path, f"{key} must be text of at most {most} characters")
    for key, (items, most) in LIST_LIMITS.items():
        value = meta[key]
        if not isinstance(value, list) or len(value) > items:
            raise KnowledgeError(path, f"{key} must be a list of at most {items} items")
        if not all(plain(v) and len(str(v)) <= most for v in value):
            raise KnowledgeError(path, f"each of {key} must be text of at most {most} characters")
    if "source" in meta and not isinstance(meta["source"], dict):
        raise KnowledgeError(path, "source must be a mapping (tracker, key, url, updated)")


def plain(value: Any) -> bool:
    """Whether a YAML value is plain text (numbers count: `tags: [nginx, 502]`)."""
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def split_sections(body: str) -> dict[str, str]:
    """Map each `## Heading` (lower-cased) to its text."""
    parts = SECTION.split(body)
    return {parts[i].strip().lower(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def hash_files(paths: Iterable[Path]) -> str:
    """A content hash over files' names and bytes."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(hash_file(path).encode())
    return digest.hexdigest()


def hash_file(path: Path) -> str:
    """The sha256 of one regular file's bytes."""
    digest = hashlib.sha256()
    for block in regular_blocks(path):
        digest.update(block)
    return digest.hexdigest()


def read_regular(path: Path, limit: int) -> bytes:
    """A regular file's bytes, at most `limit` of them (raises `OSError` for anything else or anything more)."""
    data = bytearray()
    for block in regular_blocks(path):
        data += block
        if len(data) > limit:
            raise OSError(0, f"grew past the {limit}-byte limit while being read")
    return bytes(data)


def regular_blocks(path: Path) -> Iterator[bytes]:
    """The blocks of a regular file; opened without blocking and checked on the open file, so a file swapped
    for a FIFO or a device after it was checked is never read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
        while block := handle.read(BLOCK_BYTES):
            yield block
