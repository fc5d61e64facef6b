"""GitHub Issues through githubkit: the listing (`Link` pages of 100), comments, and rate-limit waits.

A sync costs one request per 100 issues of the selection (`state`, `labels`), plus one request for the comments
of each changed issue whose resolution may be in a comment. Rate limits: a secondary limit (`Retry-After`) or a
used-up primary limit (`X-RateLimit-Remaining: 0` until `X-RateLimit-Reset`) is waited out when the wait is at
most `max_wait` seconds, else the sync fails and the next one starts again; server errors and network failures
are retried twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlparse

from githubkit import GitHub, Response
from githubkit.exception import GitHubException, RateLimitExceeded, RequestError, RequestFailed
from githubkit.typing import RetryOption
from githubkit.utils import UNSET

from bot.settings import GitHubSource, Settings
from bot.sources.download import MediaFetcher, origin
from bot.sources.errors import SourceError, SourceRefused, SourceUnreachable
from bot.sources.issue import CloseReason, Comment, MediaRef, TrackerIssue, entry_id
from bot.sources.mapping import MAPPING_VERSION
from bot.sources.markdown import read_body

log = logging.getLogger(__name__)

MAX_WAIT_SECONDS = 900.0
PER_PAGE = 100
MAINTAINERS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
STORAGE_HOSTS = ("*.githubusercontent.com",)  # where github.com's images and signed attachment URLs live


class GitHubTracker:
    """The issues of one repository, selected by state and labels."""

    kind = "github"

    def __init__(self, spec: GitHubSource, api_url: str, token: str | None, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.spec = spec
        self.owner, self.repo = spec.repo.split("/", 1)
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.name = spec.name or entry_id("github", self.owner, self.repo)
        self.label = f"GitHub {spec.repo}"
        self.product = spec.product or self.repo
        self.drop_labels = frozenset(label.lower() for label in spec.labels)
        options = f"{MAPPING_VERSION}|{self.product}|{sorted(self.drop_labels)}"
        self.mapping = hashlib.sha256(options.encode()).hexdigest()[:16]
        self.client = GitHub(
            token,
            base_url=self.api_url,
            http_cache=False,
            auto_retry=RetryDecision(max_wait),
            user_agent="supportbot",
            timeout=30.0,
        )
        self.listed: dict[str, dict[str, Any]] = {}

    def list_issues(self, since: str = "") -> dict[str, str]:
        """Issue key -> `updated_at` of every issue (and pull request) in the selection; with `since` (an
        `updated_at` stamp), only of those updated at or after it."""
        rest = self.client.rest
        pages = rest.paginate(
            rest.issues.list_for_repo,
            map_func=json_items,
            owner=self.owner,
            repo=self.repo,
            state=self.spec.state,
            labels=",".join(self.spec.labels) if self.spec.labels else UNSET,
            sort="updated",
            direction="desc",
            since=datetime.fromisoformat(since) if since else UNSET,
            per_page=PER_PAGE,
        )
        with translated(self.spec.repo):
            self.listed = {f"{self.spec.repo}#{raw['number']}": raw for raw in pages}
        return {key: str(raw["updated_at"]) for key, raw in self.listed.items()}

    def read_issues(self, keys: list[str]) -> Iterator[TrackerIssue]:
        """The changed issues, from the listing itself (no request)."""
        for key in keys:
            yield self.to_issue(self.listed[key])

    def read_comments(self, issue: TrackerIssue) -> tuple[Comment, ...]:
        rest = self.client.rest
        number = int(issue.key.rsplit("#", 1)[1])
        pages = rest.paginate(
            rest.issues.list_comments,
            map_func=json_items,
            owner=self.owner,
            repo=self.repo,
            issue_number=number,
            per_page=PER_PAGE,
        )
        with translated(self.spec.repo):
            raw = list(pages)
        return tuple(Comment(str(c.get("body") or ""), c.get("author_association") in MAINTAINERS) for c in raw)

    def to_issue(self, raw: dict[str, Any]) -> TrackerIssue:
        body = str(raw.get("body") or "")
        labels = tuple(str(label["name"]) for label in raw.get("labels") or [])
        return TrackerIssue(
            key=f"{self.spec.repo}#{raw['number']}",
            bug_id=entry_id("github", self.owner, self.repo, str(raw["number"])),
            title=str(raw["title"]),
            body=body,
            url=str(raw["html_url"]),
            updated=str(raw["updated_at"]),
            product=self.product,
            labels=labels,
            closed=raw.get("state") == "closed",
            close_reason=close_reason(raw, labels),
            pull_request="pull_request" in raw,
            comment_count=int(raw.get("comments") or 0),
            media=tuple(MediaRef(url, name) for url, name in read_body(body).media),
        )

    def media_fetcher(self, settings: Settings) -> MediaFetcher:
        """Downloads with the token from the API host and the web host only (github.com for api.github.com)."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        api = urlparse(self.api_url)
        web = "https://github.com" if api.hostname == "api.github.com" else origin(self.api_url)
        storage = STORAGE_HOSTS if api.hostname == "api.github.com" else ()
        return MediaFetcher(headers, {origin(self.api_url), web}, storage, limit=settings.max_file_bytes)


def json_items(response: Response[Any]) -> list[dict[str, Any]]:
    """A listing page as plain JSON (the sync reads a few keys; no need to validate whole models)."""
    return cast(list[dict[str, Any]], response.json())


def close_reason(raw: dict[str, Any], labels: tuple[str, ...]) -> CloseReason | None:
    """GitHub's `state_reason` of a closed issue; a `duplicate` label counts as closed as duplicate."""
    if raw.get("state") != "closed":
        return None
    reason = raw.get("state_reason")
    if reason == "duplicate" or any(label.lower() == "duplicate" for label in labels):
        return "duplicate"
    return "not_planned" if reason == "not_planned" else "completed"


class RetryDecision:
    """githubkit's retry hook: wait out rate limits up to `max_wait`, retry server and network errors twice."""

    def __init__(self, max_wait: float) -> None:
        self.max_wait = max_wait

    def __call__(self, exc: GitHubException, count: int) -> RetryOption:
        if isinstance(exc, RateLimitExceeded):
            wait = exc.retry_after.total_seconds()
            if count < 3 and wait <= self.max_wait:
                log.warning("GitHub rate limit (%s): waiting %.0f s", type(exc).__name__, wait)
                return RetryOption(True, exc.retry_after)
            return RetryOption(False)
        # an answer is worth asking again only when it is a server error; no answer (network, timeout) always is
        retry = exc.response.status_code >= 500 if isinstance(exc, RequestFailed) else isinstance(exc, RequestError)
        return RetryOption(True, timedelta(seconds=count + 1)) if retry and count < 2 else RetryOption(False)


@contextmanager
def translated(label: str) -> Iterator[None]:
    """Turns githubkit's errors into `SourceError`s whose message says what to do."""
    try:
        yield
    except RateLimitExceeded as exc:
        until = datetime.now(UTC) + exc.retry_after
        raise SourceUnreachable(
            f"GitHub's rate limit is used up until {until:%H:%M} UTC; {label} will sync after that "
            "(the knowledge files were left as they were)."
        ) from exc
    except RequestFailed as exc:
        raise refused(label, exc.response.status_code) from exc
    except RequestError as exc:
        raise SourceUnreachable(
            f"GitHub could not be reached for {label} ({type(exc.__cause__ or exc).__name__}); "
            "the knowledge files were left as they were."
        ) from exc


def refused(label: str, status: int) -> SourceError:
    if status == 401:
        return SourceRefused("GitHub refused the token (401); set SUPPORTBOT_GITHUB_TOKEN to a valid token.")
    if status in (403, 404):
        return SourceRefused(
            f"GitHub does not show the repository {label} to this token ({status}); check the OWNER/REPO name "
            "and that the token can read its issues."
        )
    return SourceUnreachable(f"GitHub answered {status} for {label}; the knowledge files were left as they were.")
