"""Map a tracker issue to a knowledge entry: which issues become entries, their status and their resolution.

The rules (docs/SOURCES.md):
- skipped: pull requests; issues closed as duplicates (the original is the entry); issues closed as not planned
  that carry no workaround.
- status: closed as completed -> fixed; closed as not planned with a workaround -> workaround; open with a
  resolution -> workaround; open without -> open.
- resolution, first found: a Resolution/Workaround/Fix/Solution section of the body; the tracker field named as
  the resolution field (Jira); the latest maintainer comment marked as the answer (it opens with one of those
  words); for an issue closed as completed, the latest maintainer comment (the closing comment).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.entry_writer import EntryDraft
from bot.records import Attachment
from bot.sources.issue import TrackerIssue
from bot.sources.markdown import marked_resolution, plain_comment, read_body

MAPPING_VERSION = "1"  # bump when a rule below changes, so every imported entry is written again


def early_skip(issue: TrackerIssue) -> str | None:
    """Why an issue is not a known bug, when that shows without reading its comments."""
    if issue.pull_request:
        return "pull request"
    if issue.close_reason == "duplicate":
        return "duplicate"
    return None


def needs_comments(issue: TrackerIssue) -> bool:
    """Whether the resolution may be in a comment (the body and the field hold none)."""
    return issue.comment_count > 0 and not read_body(issue.body).resolution and not issue.resolution_field.strip()


def map_issue(
    issue: TrackerIssue, media: tuple[Attachment, ...], drop_labels: frozenset[str], source: Mapping[str, Any]
) -> EntryDraft | str:
    """The entry for an issue, or the reason it is skipped."""
    skipped = early_skip(issue)
    if skipped:
        return skipped
    body = read_body(issue.body)
    resolution = find_resolution(issue, body.resolution)
    if issue.close_reason == "not_planned" and not resolution:
        return "not planned, no workaround"
    status = "fixed" if issue.closed and issue.close_reason == "completed" else "workaround" if resolution else "open"
    tags = tuple(dict.fromkeys(label for label in issue.labels if label.lower() not in drop_labels))
    return EntryDraft(
        id=issue.bug_id,
        title=issue.title,
        product=issue.product,
        tags=tags,
        status=status,
        links=(issue.url,),
        symptoms=body.symptoms or issue.title,
        resolution=resolution or default_resolution(status, issue.url),
        media=media,
        source=dict(source),
    )


def find_resolution(issue: TrackerIssue, from_body: str) -> str:
    """The resolution by the rule in the module docstring ("" when there is none)."""
    if from_body:
        return from_body
    if issue.resolution_field.strip():
        return issue.resolution_field.strip()
    comments = [c for c in issue.comments or () if c.maintainer]
    for comment in reversed(comments):
        marked = marked_resolution(comment.body)
        if marked:
            return marked
    if issue.closed and issue.close_reason == "completed" and comments:
        return plain_comment(comments[-1].body)
    return ""


def default_resolution(status: str, url: str) -> str:
    """What the bot can say when the tracker holds no resolution text."""
    if status == "fixed":
        return f"Fixed: the issue was closed as completed. The fix and the release it shipped in: {url}"
    return f"No fix or workaround is known yet; follow the issue for updates: {url}"
