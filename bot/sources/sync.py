"""One sync of one tracker into a knowledge folder: list, read what changed, stage, then swap.

A full listing (the first sync, then one every `full_every` seconds) lists the whole selection, one request per
page; the syncs in between list only the issues updated since the newest stamp seen (GitHub's `since`, Jira's
`updated >=`), usually one request. An issue whose update stamp moved since the last sync is read in full and its
entry written again. An issue a full listing no longer holds (deleted, moved to another repository or project,
or out of the selection) has its entry removed: those only a full listing can see. Entries are built in a hidden
staging folder first; only when every changed issue has been read does the sync swap them in, one rename per
entry, and save its state. A sync that fails on the way (network, rate limit, credentials) changes nothing.
Entries the sync did not write (no `source` naming this sync in their front matter) are never touched.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from filelock import FileLock, Timeout

from bot.entry_writer import EntryDraft, install_entry, remove_entry, stage_entry
from bot.errors import KnowledgeError
from bot.knowledge import parse_front_matter
from bot.settings import Settings
from bot.sources.download import MediaFetcher
from bot.sources.errors import SourceBusy
from bot.sources.issue import Comment, TrackerIssue
from bot.sources.mapping import early_skip, map_issue, needs_comments
from bot.sources.state import Held, SyncState, file_stat, load_state, save_state, state_path

log = logging.getLogger(__name__)


class Tracker(Protocol):
    """What a sync needs of a tracker (`GitHubTracker`, `JiraTracker`)."""

    kind: str  # "github" | "jira"
    name: str  # the sync's name: its state file, and `source.sync` in the entries it writes
    label: str  # for people: "GitHub acme/shop"
    mapping: str  # the options that shape entries; when it changes every entry is written again
    drop_labels: frozenset[str]  # labels that select issues (lower case), not tags

    def list_issues(self, since: str = "") -> dict[str, str]: ...

    def read_issues(self, keys: list[str]) -> Iterator[TrackerIssue]: ...

    def read_comments(self, issue: TrackerIssue) -> tuple[Comment, ...]: ...

    def media_fetcher(self, settings: Settings) -> MediaFetcher: ...


@dataclass
class SyncReport:
    """What one sync did."""

    source: str
    listing: str = "full"  # "full", or "changes" (only the issues updated since the last sync)
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    media: int = 0
    media_left_out: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class Outcome:
    """A changed issue after reading: the id of its staged entry, or why it was skipped."""

    updated: str
    bug_id: str | None = None
    skipped: str | None = None


def sync_tracker(tracker: Tracker, root: Path, fetcher: MediaFetcher, full_every: float = 0.0) -> SyncReport:
    """Bring the entries `tracker` owns in `root` in line with the tracker, listing everything when the last full
    listing is `full_every` seconds old or more; see the module docstring."""
    started = time.monotonic()
    path = state_path(root, tracker.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(path.with_suffix(".lock")), timeout=0):
            report = _sync(tracker, root, fetcher, path, full_every)
    except Timeout as err:
        raise SourceBusy() from err
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _sync(tracker: Tracker, root: Path, fetcher: MediaFetcher, path: Path, full_every: float) -> SyncReport:
    state = load_state(path)
    started = time.time()
    if state.mapping != tracker.mapping:
        state.issues = {k: replace(h, updated="") for k, h in state.issues.items()}  # read everything again
    full = not state.since or state.mapping != tracker.mapping or started - state.full_at >= full_every
    report = SyncReport(source=tracker.label, listing="full" if full else "changes")
    listed = tracker.list_issues("" if full else state.since)
    changed = [key for key, updated in listed.items() if not state.current(key, updated, root)]
    gone = [key for key in state.issues if key not in listed] if full else []
    report.unchanged = len(listed.keys() | (set() if full else state.issues.keys())) - len(changed)
    newest = max([state.since, *listed.values()])
    if not changed and not gone and not full and newest == state.since:
        return report
    staging = Path(tempfile.mkdtemp(prefix=f".sync-{tracker.name}-", dir=root))
    try:
        outcomes = _stage(tracker, changed, staging, fetcher, report)
        _apply(tracker, root, staging, state, outcomes, gone, report)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    state.mapping, state.since = tracker.mapping, newest
    if full:
        state.full_at = started
    save_state(path, state)
    return report


def _stage(
    tracker: Tracker, keys: list[str], staging: Path, fetcher: MediaFetcher, report: SyncReport
) -> dict[str, Outcome]:
    """Read every changed issue (comments and media too) and write its entry under `staging`."""
    outcomes: dict[str, Outcome] = {}
    skipped: Counter[str] = Counter()
    for issue in tracker.read_issues(keys):
        draft = _draft(tracker, issue, fetcher)
        if isinstance(draft, str):
            outcomes[issue.key] = Outcome(issue.updated, skipped=draft)
            skipped[draft] += 1
            continue
        try:
            bug = stage_entry(staging / draft.id, draft)
        except KnowledgeError as err:  # keeps its last good entry; read again next time
            report.failed.append(f"{issue.key}: {err.reason}")
            continue
        report.media += len(bug.media)
        outcomes[issue.key] = Outcome(issue.updated, bug_id=draft.id)
    report.skipped = dict(skipped)
    report.media_left_out = list(fetcher.left_out)
    return outcomes


def _draft(tracker: Tracker, issue: TrackerIssue, fetcher: MediaFetcher) -> EntryDraft | str:
    skipped = early_skip(issue)
    if skipped:
        return skipped
    if issue.comments is None and needs_comments(issue):
        issue = replace(issue, comments=tracker.read_comments(issue))
    source = {"tracker": tracker.kind, "sync": tracker.name, "key": issue.key, "url": issue.url}
    source["updated"] = issue.updated
    return map_issue(issue, fetcher.fetch_all(issue.media), tracker.drop_labels, source)


def _apply(
    tracker: Tracker,
    root: Path,
    staging: Path,
    state: SyncState,
    outcomes: dict[str, Outcome],
    gone: list[str],
    report: SyncReport,
) -> None:
    """Swap the staged entries in and remove the entries of skipped and vanished issues."""
    for key, outcome in outcomes.items():
        old = state.issues.get(key)
        if old is not None and old.id and old.id != outcome.bug_id:
            report.removed += _remove(root / old.id, tracker.name)
        if outcome.bug_id is None:
            state.issues[key] = Held(outcome.updated, skipped=outcome.skipped)
            continue
        target = root / outcome.bug_id
        if target.exists() and not owned(target, tracker.name):
            log.warning("sync %s: %s is an entry it did not write; left as it is", tracker.name, target.name)
            report.conflicts.append(outcome.bug_id)
            continue
        existed = target.exists()
        install_entry(staging / outcome.bug_id, target)
        report.updated += existed
        report.added += not existed
        state.issues[key] = Held(outcome.updated, outcome.bug_id, file_stat(target / "bug.md"))
    for key in gone:
        held = state.issues.pop(key)
        if held.id:
            report.removed += _remove(root / held.id, tracker.name)


def _remove(target: Path, name: str) -> int:
    """Remove an entry this sync wrote; 0 when it is gone already or someone else's now."""
    if not target.exists() or not owned(target, name):
        return 0
    remove_entry(target)
    return 1


def owned(folder: Path, name: str) -> bool:
    """Whether the entry in `folder` was written by the sync called `name` (its front matter says so)."""
    path = folder / "bug.md"
    try:
        meta, _ = parse_front_matter(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, KnowledgeError):
        return False
    source = meta.get("source")
    return isinstance(source, dict) and source.get("sync") == name
