"""Jira through the `jira` client: Cloud's `/rest/api/3/search/jql` paged by `nextPageToken` (Data Center's
`/rest/api/2/search` by `startAt`), comments, attachments, and its `Retry-After` handling on 429 and 503.

A sync costs one request for the server's info, one for the field list (the client maps JQL field names), one
per page of the listing (keys and `updated` only), and one per 50 changed issues for their fields, comments
and attachments.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import requests
from jira import JIRA, JIRAError

from bot.settings import JiraSource, Settings
from bot.sources.adf import adf_to_markdown
from bot.sources.download import MediaFetcher, origin
from bot.sources.errors import SourceRefused, SourceUnreachable
from bot.sources.issue import CloseReason, Comment, MediaRef, TrackerIssue, entry_id
from bot.sources.mapping import MAPPING_VERSION

log = logging.getLogger(__name__)

PAGE = 100
CHUNK = 50
ORDER_BY = re.compile(r"\s+(order\s+by\s.*)$", re.IGNORECASE | re.DOTALL)  # kept last when a JQL is narrowed
DETAIL_FIELDS = [
    "summary",
    "description",
    "labels",
    "components",
    "status",
    "resolution",
    "attachment",
    "comment",
    "updated",
    "project",
]
NOT_PLANNED = frozenset(
    {
        "won't fix",
        "won't do",
        "cannot reproduce",
        "can't reproduce",
        "not a bug",
        "declined",
        "incomplete",
        "obsolete",
        "invalid",
        "works as designed",
    }
)
MEDIA_TYPES = ("image/", "video/", "audio/")


class JiraTracker:
    """The issues a JQL query selects on one Jira site."""

    kind = "jira"

    def __init__(self, spec: JiraSource, url: str, email: str | None, token: str | None, max_retries: int = 3) -> None:
        self.spec = spec
        self.url = url.rstrip("/")
        self.email, self.token = email, token
        host = urlparse(self.url).hostname or "jira"
        self.name = spec.name or entry_id("jira", host)
        self.label = f"Jira {host} ({spec.jql})"
        self.drop_labels: frozenset[str] = frozenset()
        options = f"{MAPPING_VERSION}|{spec.product}|{spec.resolution_field}"
        self.mapping = hashlib.sha256(options.encode()).hexdigest()[:16]
        auth: dict[str, Any] = {}
        if email and token:
            auth["basic_auth"] = (email, token)
        elif token:
            auth["token_auth"] = token
        with translated(self.label):
            self.client = self.connect(auth, max_retries)
        self.cloud = self.client.deploymentType == "Cloud"

    def connect(self, auth: dict[str, Any], max_retries: int) -> JIRA:
        """A client on REST API v3 (Cloud); Data Center, which has no v3, gets v2."""
        try:
            return JIRA(self.url, options={"rest_api_version": "3"}, max_retries=max_retries, timeout=30, **auth)
        except JIRAError as err:
            if err.status_code != 404:
                raise
        return JIRA(self.url, options={"rest_api_version": "2"}, max_retries=max_retries, timeout=30, **auth)

    def list_issues(self, since: str = "") -> dict[str, str]:
        """Issue key -> `updated` of every issue the JQL selects (only those two fields are fetched); with `since`
        (an `updated` stamp), of those updated since a day before it (JQL reads dates in the user's time zone,
        which the stamp does not say; the day covers any zone, and unchanged stamps are skipped)."""
        jql = updated_since(self.spec.jql, since) if since else self.spec.jql
        with translated(self.label):
            return {raw["key"]: str(raw["fields"]["updated"]) for raw in self.search(jql, ["updated"])}

    def read_issues(self, keys: list[str]) -> Iterator[TrackerIssue]:
        """The changed issues with every field the mapping reads, 50 keys a query."""
        fields = DETAIL_FIELDS + ([self.spec.resolution_field] if self.spec.resolution_field else [])
        for start in range(0, len(keys), CHUNK):
            jql = f"key in ({', '.join(keys[start : start + CHUNK])})"
            with translated(self.label):
                found = list(self.search(jql, fields))
            yield from (self.to_issue(raw) for raw in found)

    def read_comments(self, issue: TrackerIssue) -> tuple[Comment, ...]:
        """All comments of an issue whose search result held only the first ones."""
        with translated(self.label):
            found = self.client.comments(issue.key)
        return tuple(Comment(adf_to_markdown(c.raw.get("body")), True) for c in found)

    def search(self, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Every issue of a JQL search, page after page."""
        if not self.cloud:
            yield from self.search_by_offset(jql, fields)
            return
        token: str | None = None
        while True:
            page: Any = self.client.enhanced_search_issues(
                jql, nextPageToken=token, maxResults=PAGE, fields=list(fields), json_result=True
            )
            yield from page.get("issues") or []
            token = page.get("nextPageToken")
            if not token or page.get("isLast"):
                return

    def search_by_offset(self, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        start = 0
        while True:
            page: Any = self.client.search_issues(
                jql, startAt=start, maxResults=PAGE, fields=list(fields), json_result=True
            )
            issues = page.get("issues") or []
            yield from issues
            start += len(issues)
            if not issues or start >= int(page.get("total") or 0):
                return

    def to_issue(self, raw: dict[str, Any]) -> TrackerIssue:
        fields = raw["fields"]
        comments = fields.get("comment") or {}
        listed = [Comment(adf_to_markdown(c.get("body")), True) for c in comments.get("comments") or []]
        complete = len(listed) >= int(comments.get("total") or 0)
        labels = [str(label) for label in fields.get("labels") or []]
        labels += [str(c["name"]) for c in fields.get("components") or [] if c.get("name")]
        closed, reason = close_reason(fields)
        return TrackerIssue(
            key=str(raw["key"]),
            bug_id=entry_id("jira", str(raw["key"])),
            title=str(fields.get("summary") or raw["key"]),
            body=adf_to_markdown(fields.get("description")),
            url=f"{self.url}/browse/{raw['key']}",
            updated=str(fields.get("updated") or ""),
            product=self.spec.product or str((fields.get("project") or {}).get("name") or raw["key"].split("-")[0]),
            labels=tuple(labels),
            closed=closed,
            close_reason=reason,
            comment_count=int(comments.get("total") or len(listed)),
            comments=tuple(listed) if complete else None,
            media=tuple(
                MediaRef(str(a["content"]), str(a.get("filename") or a["id"]), a.get("size"))
                for a in fields.get("attachment") or []
                if str(a.get("mimeType") or "").startswith(MEDIA_TYPES) and a.get("content")
            ),
            resolution_field=field_text(fields.get(self.spec.resolution_field or "")),
        )

    def media_fetcher(self, settings: Settings) -> MediaFetcher:
        """Downloads attachments with the credentials from the Jira site only."""
        headers = {}
        if self.email and self.token:
            pair = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        elif self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return MediaFetcher(headers, {origin(self.url)}, limit=settings.max_file_bytes)


def close_reason(fields: dict[str, Any]) -> tuple[bool, CloseReason | None]:
    """Whether the issue is done, and how: its resolution's name decides duplicate / not planned / completed."""
    resolution = str((fields.get("resolution") or {}).get("name") or "").lower().replace("\u2019", "'")
    category = (((fields.get("status") or {}).get("statusCategory")) or {}).get("key")
    if category != "done" and not resolution:
        return False, None
    if "duplicate" in resolution:
        return True, "duplicate"
    return True, "not_planned" if resolution in NOT_PLANNED else "completed"


def field_text(value: Any) -> str:
    """The text of a custom field: rich text, plain text, or a select option's value."""
    if isinstance(value, dict) and "value" in value:
        return str(value["value"])
    return adf_to_markdown(value) if isinstance(value, dict | str) else ""


@contextmanager
def translated(label: str) -> Iterator[None]:
    """Turns the client's errors into `SourceError`s whose message says what to do."""
    try:
        yield
    except JIRAError as err:
        status = err.status_code or 0
        if status in (401, 403):
            raise SourceRefused(
                f"Jira refused the credentials ({status}); set SUPPORTBOT_JIRA_EMAIL and SUPPORTBOT_JIRA_TOKEN "
                "to an account that can browse the project."
            ) from err
        if status == 400:
            raise SourceRefused(f"Jira rejected the query of {label}: {(err.text or '').strip()[:200]}") from err
        raise SourceUnreachable(
            f"Jira answered {status or 'an error'} for {label}; the knowledge files were left as they were."
        ) from err
    except requests.RequestException as err:
        raise SourceUnreachable(
            f"Jira could not be reached for {label} ({type(err).__name__}); the knowledge files were left as they were."
        ) from err


def updated_since(jql: str, since: str) -> str:
    """The JQL narrowed to issues updated since a day before the `updated` stamp `since` (its ORDER BY kept); the
    JQL as it is when the stamp cannot be read."""
    try:
        day_before = datetime.strptime(since, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC) - timedelta(days=1)
    except ValueError:
        return jql
    found = ORDER_BY.search(jql)
    query, order = (jql[: found.start()], f" {found[1]}") if found else (jql, "")
    return f'({query}) AND updated >= "{day_before:%Y/%m/%d %H:%M}"{order}'
