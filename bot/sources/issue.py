"""What the sync reads from a tracker, in one shape for every tracker: issues, comments, media references."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

CloseReason = Literal["completed", "not_planned", "duplicate"]
UNSAFE_ID = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Comment:
    """One comment; `maintainer` says whether its author works on the project (owner, member, collaborator)."""

    body: str
    maintainer: bool


@dataclass(frozen=True)
class MediaRef:
    """A screenshot or recording the issue attaches or embeds: where to download it and its file name."""

    url: str
    name: str
    size: int | None = None


@dataclass(frozen=True)
class TrackerIssue:
    """A tracker issue as the mapping needs it (`body` is markdown; `closed` with the tracker's reason)."""

    key: str
    bug_id: str
    title: str
    body: str
    url: str
    updated: str
    product: str
    labels: tuple[str, ...] = ()
    closed: bool = False
    close_reason: CloseReason | None = None
    pull_request: bool = False
    comment_count: int = 0
    comments: tuple[Comment, ...] | None = None
    media: tuple[MediaRef, ...] = ()
    resolution_field: str = ""


def entry_id(*parts: str) -> str:
    """A knowledge id from the tracker and key: lower case, runs of other characters become one `-`."""
    return UNSAFE_ID.sub("-", "-".join(parts).lower()).strip("-")
