"""Known bugs from where teams keep them: sync GitHub Issues and Jira into the knowledge folder.

`sync_source` runs one sync (the CLI's `supportbot import`); `sync_sources` runs every source configured in
`SUPPORTBOT_SOURCES` and never raises (the scheduler calls it before each refresh). See docs/SOURCES.md.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.errors import BotError
from bot.settings import GitHubSource, JiraSource, Settings
from bot.sources.errors import SourceBusy, SourceError, SourceRefused, SourceUnreachable
from bot.sources.sync import SyncReport, Tracker, sync_tracker

__all__ = [
    "SourceBusy",
    "SourceError",
    "SourceRefused",
    "SourceUnreachable",
    "SyncReport",
    "open_tracker",
    "sync_source",
    "sync_sources",
]
log = logging.getLogger(__name__)


def open_tracker(spec: GitHubSource | JiraSource, settings: Settings) -> Tracker:
    """The tracker client a source names, with the credentials from the settings."""
    if isinstance(spec, GitHubSource):
        from bot.sources.github import GitHubTracker

        token = settings.github_token.get_secret_value() if settings.github_token else None
        return GitHubTracker(spec, settings.github_api_url, token)
    from bot.sources.jira import JiraTracker

    if not settings.jira_url:
        raise SourceRefused("Set SUPPORTBOT_JIRA_URL (e.g. https://acme.atlassian.net) to import from Jira.")
    token = settings.jira_token.get_secret_value() if settings.jira_token else None
    return JiraTracker(spec, settings.jira_url, settings.jira_email, token)


def sync_source(spec: GitHubSource | JiraSource, settings: Settings) -> SyncReport:
    """Sync one source into `settings.knowledge_dir`; raises a `SourceError` and changes nothing on failure."""
    tracker = open_tracker(spec, settings)
    fetcher = tracker.media_fetcher(settings)
    try:
        return sync_tracker(tracker, Path(settings.knowledge_dir), fetcher, settings.sources_full_sync_hours * 3600)
    finally:
        fetcher.close()


def sync_sources(settings: Settings) -> list[SyncReport]:
    """Sync every configured source, one log line each; a failed source keeps its last good entries."""
    reports = []
    for spec in settings.sources:
        where = spec.repo if isinstance(spec, GitHubSource) else spec.jql
        try:
            report = sync_source(spec, settings)
        except Exception as err:  # noqa: BLE001 - one failed source must not stop the others or the refresh
            reason = err.message if isinstance(err, BotError) else type(err).__name__
            log.warning("sync source=%s %s status=error reason=%r", spec.kind, where, reason)
            continue
        log.info(
            "sync source=%s %s status=ok added=%d updated=%d removed=%d unchanged=%d conflicts=%d seconds=%.1f",
            spec.kind, where, report.added, report.updated, report.removed, report.unchanged,
            len(report.conflicts), report.seconds,
        )  # fmt: skip
        reports.append(report)
    return reports
