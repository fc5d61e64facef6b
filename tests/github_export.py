"""Export a knowledge folder to the fake GitHub as issues (for the round-trip test and bench).

Each entry becomes an issue: title, labels = tags, body = symptoms + its screenshots (uploaded as user
attachments). The resolution is a maintainer's comment: a fixed bug's closing comment (the issue is then
closed as completed), any other bug's comment marked "Workaround:" (the issue stays open).
"""

from __future__ import annotations

from pathlib import Path

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
