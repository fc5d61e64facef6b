"""Helpers of the tracker-sync tests and bench: file snapshots, a small PNG, exporting a knowledge folder.

`export_knowledge` writes each entry to the fake GitHub as an issue: title, labels = tags, body = symptoms + its
screenshots (uploaded as user attachments). The resolution is a maintainer's comment: a fixed bug's closing
comment (the issue is then closed as completed), any other bug's comment marked "Workaround:" (it stays open).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from bot.knowledge import scan_knowledge
from tests.fake_github import FakeGitHub


def export_knowledge(github: FakeGitHub, repo: str, root: Path) -> dict[str, str]:
    """Hand-written id -> the id its issue imports as."""
    ids = {}
    owner, name = repo.split("/")
    for bug in scan_knowledge(root).bugs:
        shots = [f"![{media}]({github.upload((Path(bug.path) / media).read_bytes())})" for media in bug.media]
        number = github.add_issue(repo, bug.title, "\n\n".join([bug.symptoms, *shots]), labels=bug.tags)
        if bug.status == "fixed":
            github.add_comment(repo, number, bug.resolution)
            github.close_issue(repo, number)
        else:
            github.add_comment(repo, number, f"Workaround:\n\n{bug.resolution}")
        ids[bug.id] = f"github-{owner}-{name}-{number}"
    return ids


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `root` with its bytes and mtime (to show a sync wrote nothing, or only one entry)."""
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def png(color: str = "red") -> bytes:
    """A small PNG screenshot."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "PNG")
    return out.getvalue()
