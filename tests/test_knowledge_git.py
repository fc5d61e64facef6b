"""Committing a filed entry with real `git` in a temporary repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.knowledge import read_entry
from bot.knowledge_git import CommitFailed, commit_entry
from tests.support import write_bug


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def test_only_the_new_entry_is_committed_with_the_triager_as_author(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    write_bug(kb, "old-bug", "Old", ["t"], "s", "r")
    git(kb, "init", "-q")
    git(kb, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "start")
    (kb / "unrelated.txt").write_text("someone's work in progress")
    git(kb, "add", "unrelated.txt")
    bug = read_entry(write_bug(kb, "new-bug", "Checkout hangs", ["t"], "s", "r"))
    commit = commit_entry(kb, bug, "Tess Triager", "UTRIAGE1")
    assert commit == git(kb, "rev-parse", "HEAD").strip()
    assert git(kb, "log", "-1", "--format=%an <%ae>|%s|%b").strip() == (
        "Tess Triager <UTRIAGE1@slack.invalid>|Add known bug new-bug: Checkout hangs|"
        "Filed from Slack by Tess Triager (UTRIAGE1)."
    )
    assert git(kb, "show", "--name-only", "--format=", "HEAD").split() == ["new-bug/bug.md"]
    assert "A  unrelated.txt" in git(kb, "status", "--porcelain"), "what else was staged stays staged"


def test_a_folder_outside_git_is_left_alone_and_a_failed_commit_is_one_sentence(tmp_path: Path) -> None:
    bug = read_entry(write_bug(tmp_path / "plain", "new-bug", "T", ["t"], "s", "r"))
    assert commit_entry(tmp_path / "plain", bug, "Tess", "U1") is None
    kb = tmp_path / "kb"
    git(tmp_path, "init", "-q", str(kb))
    with pytest.raises(CommitFailed) as failed:
        commit_entry(kb, bug, "Tess", "U1")  # the entry is not in this work tree: nothing to add
    assert "commit it by hand" in failed.value.message
