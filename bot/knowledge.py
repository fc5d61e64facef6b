"""Parse and validate the knowledge base: `knowledge/<bug-id>/bug.md` plus screenshots and recordings."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import KnowledgeError
from bot.records import KnownBug

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".heic", ".heif", ".avif"})
AUDIO_SUFFIXES = frozenset({".wav", ".ogg", ".mp3", ".m4a", ".mp4", ".webm"})  # .mp4/.webm: a recording or a voice clip
VIDEO_SUFFIXES = frozenset({".mov", ".m4v", ".mkv"})
MEDIA_SUFFIXES = IMAGE_SUFFIXES | AUDIO_SUFFIXES | VIDEO_SUFFIXES
STATUSES = frozenset({"open", "workaround", "fixed"})
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
REQUIRED_KEYS = ("id", "title", "product", "tags", "status", "links")
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)(.*)\Z", re.DOTALL)
SECTION = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml (several times faster) when PyYAML has it


@dataclass
class KnowledgeScan:
    """The result of reading a knowledge folder: the valid bugs and one error per malformed entry."""

    bugs: list[KnownBug] = field(default_factory=list)
    errors: list[KnowledgeError] = field(default_factory=list)

    def by_id(self) -> dict[str, KnownBug]:
        return {bug.id: bug for bug in self.bugs}


def scan_knowledge(root: Path) -> KnowledgeScan:
    """Read every entry under `root`; a malformed entry is reported, the others are still returned."""
    scan = KnowledgeScan()
    if not root.is_dir():
        scan.errors.append(KnowledgeError(str(root), "knowledge folder not found"))
        return scan
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            scan.bugs.append(read_entry(folder))
        except KnowledgeError as err:
            log.warning("skipping knowledge entry %s: %s", err.path, err.reason)
            scan.errors.append(err)
    return scan


def read_entry(folder: Path) -> KnownBug:
    """Parse one `<bug-id>/bug.md` with its media; raises `KnowledgeError` naming the path and reason."""
    path = folder / "bug.md"
    if not path.is_file():
        raise KnowledgeError(str(path), "bug.md is missing")
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise KnowledgeError(str(path), f"cannot be read as UTF-8 text ({err.__class__.__name__})") from err
    meta, body = parse_front_matter(raw, str(path))
    validate_meta(meta, folder.name, str(path))
    sections = split_sections(body)
    media = tuple(sorted(p.name for p in folder.iterdir() if p.suffix.lower() in MEDIA_SUFFIXES))
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
        media=media,
        content_hash=hash_files([path, *(folder / name for name in media)]),
    )


def parse_front_matter(raw: str, path: str) -> tuple[dict[str, Any], str]:
    """Split YAML front matter from the markdown body."""
    found = FRONT_MATTER.match(raw.lstrip("\ufeff"))
    if not found:
        raise KnowledgeError(path, "no YAML front matter (the file must start with a '---' block)")
    try:
        meta = yaml.load(found.group(1), Loader=SAFE_LOADER)
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
    if meta["status"] not in STATUSES:
        raise KnowledgeError(path, f"status {meta['status']!r} must be one of {', '.join(sorted(STATUSES))}")
    for key in ("tags", "links"):
        if not isinstance(meta[key], list):
            raise KnowledgeError(path, f"{key} must be a list")


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
    """The sha256 of one file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
