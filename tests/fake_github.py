"""A fake GitHub REST API on 127.0.0.1 speaking the real shapes (tests/fixtures/github/): issue listings paged
with `Link` headers, comments, `X-RateLimit-*` headers, private repositories behind a token, and user
attachments that redirect to a signed storage URL on another host (a second server, which must never see the
token).
"""

from __future__ import annotations

import copy
import itertools
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from tests.fake_api import FakeApi, Reply, Request, fixture

TOKEN = "ghp_fakeTokenForTests0000000000000000000"
EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


@dataclass
class Repo:
    id: int
    full_name: str
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))


class FakeGitHub(FakeApi):
    """GitHub's REST API for a few private repositories; `storage` is the signed-URL host of attachments."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.assets: dict[str, bytes] = {}
        self.ticks = itertools.count(1)
        self.remaining = 5000
        self.storage = FakeApi()
        self.storage.route(r"/github-production-user-asset-6210df/(?P<asset>[\w-]+)", self.signed_asset)
        self.route(r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues", self.list_issues)
        self.route(r"/repositories/(?P<id>\d+)/issues", self.list_issues)
        self.route(r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/(?P<number>\d+)/comments", self.list_comments)
        self.route(r"/repositories/(?P<id>\d+)/issues/(?P<number>\d+)/comments", self.list_comments)
        self.route(r"/user-attachments/assets/(?P<asset>[\w-]+)", self.asset)

    def close(self) -> None:
        self.storage.close()
        super().close()

    # --- the data -------------------------------------------------------------------------------
    def now(self) -> str:
        return (EPOCH + timedelta(seconds=next(self.ticks))).strftime("%Y-%m-%dT%H:%M:%SZ")

    def repo(self, full_name: str) -> Repo:
        return self.repos.setdefault(full_name, Repo(1000 + len(self.repos), full_name))

    def add_issue(
        self,
        full_name: str,
        title: str,
        body: str = "",
        labels: tuple[str, ...] = (),
        state: str = "open",
        state_reason: str | None = None,
        pull_request: bool = False,
    ) -> int:
        repo = self.repo(full_name)
        number = next(repo.numbers)
        issue = copy.deepcopy(fixture("github/issue.json"))
        api, web = f"{self.url}/repos/{full_name}/issues/{number}", f"{self.url}/{full_name}/issues/{number}"
        stamp = self.now()
        issue.update(
            url=api,
            repository_url=f"{self.url}/repos/{full_name}",
            comments_url=f"{api}/comments",
            events_url=f"{api}/events",
            labels_url=f"{api}/labels{{/name}}",
            timeline_url=f"{api}/timeline",
            html_url=web,
            id=repo.id * 100_000 + number,
            number=number,
            title=title,
            body=body,
            created_at=stamp,
            updated_at=stamp,
        )
        issue["labels"] = [self.label(full_name, name) for name in labels]
        if pull_request:
            issue["pull_request"] = {**fixture("github/pull_request_key.json"), "html_url": web}
        repo.issues[number] = issue
        repo.comments[number] = []
        if state == "closed":
            self.close_issue(full_name, number, state_reason or "completed")
        return number

    def label(self, full_name: str, name: str) -> dict[str, Any]:
        label = copy.deepcopy(fixture("github/issue.json")["labels"][0])
        label.update(name=name, url=f"{self.url}/repos/{full_name}/labels/{name}", default=False)
        return label

    def edit_issue(self, full_name: str, number: int, **changes: Any) -> None:
        issue = self.repo(full_name).issues[number]
        if "labels" in changes:
            changes["labels"] = [self.label(full_name, name) for name in changes["labels"]]
        issue.update(changes, updated_at=self.now())

    def close_issue(self, full_name: str, number: int, reason: str = "completed") -> None:
        stamp = self.now()
        self.repo(full_name).issues[number].update(
            state="closed", state_reason=reason, closed_at=stamp, updated_at=stamp
        )

    def delete_issue(self, full_name: str, number: int) -> None:
        del self.repo(full_name).issues[number]

    def add_comment(self, full_name: str, number: int, body: str, association: str = "OWNER") -> None:
        repo = self.repo(full_name)
        comment = copy.deepcopy(fixture("github/comment.json"))
        stamp = self.now()
        comment.update(id=next(self.ticks), body=body, author_association=association, created_at=stamp)
        comment.update(updated_at=stamp, issue_url=f"{self.url}/repos/{full_name}/issues/{number}")
        repo.comments[number].append(comment)
        repo.issues[number].update(comments=len(repo.comments[number]), updated_at=stamp)

    def upload(self, data: bytes) -> str:
        """Store a file the way GitHub's editor does; returns its user-attachments URL."""
        asset = str(uuid.uuid4())
        self.assets[asset] = data
        return f"{self.url}/user-attachments/assets/{asset}"

    # --- the routes -----------------------------------------------------------------------------
    def authorised(self, request: Request) -> bool:
        return request.headers.get("Authorization") in (f"token {self.token}", f"Bearer {self.token}")

    def headers(self) -> dict[str, str]:
        self.remaining = max(self.remaining - 1, 0)
        reset = int(time.time()) + 3600
        return {
            **fixture("github/headers.json"),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Used": str(5000 - self.remaining),
            "X-RateLimit-Reset": str(reset),
        }

    def find_repo(self, found: re.Match[str]) -> Repo | None:
        if "id" in found.groupdict():
            return next((r for r in self.repos.values() if r.id == int(found["id"])), None)
        return self.repos.get(f"{found['owner']}/{found['repo']}")

    def guard(self, request: Request, found: re.Match[str]) -> Reply | Repo:
        if request.headers.get("Authorization") and not self.authorised(request):
            return Reply(401, fixture("github/bad_credentials.json"), self.headers())
        repo = self.find_repo(found)
        if repo is None or not self.authorised(request):  # private: unknown without the token
            return Reply(404, {"message": "Not Found", "status": "404"}, self.headers())
        return repo

    def list_issues(self, request: Request, found: re.Match[str]) -> Reply:
        repo = self.guard(request, found)
        if isinstance(repo, Reply):
            return repo
        state = request.arg("state", "open")
        wanted = {label for label in request.arg("labels").split(",") if label}
        since = datetime.fromisoformat(request.arg("since")) if request.arg("since") else None  # ISO 8601
        issues = [
            i
            for i in repo.issues.values()
            if (state == "all" or i["state"] == state)
            and wanted <= {label["name"] for label in i["labels"]}
            and (since is None or datetime.fromisoformat(i["updated_at"]) >= since)
        ]
        key = request.arg("sort", "created")
        field_name = {"created": "created_at", "updated": "updated_at", "comments": "comments"}[key]
        issues.sort(key=lambda i: (i[field_name], i["number"]), reverse=request.arg("direction", "desc") == "desc")
        return self.page(request, issues, f"/repositories/{repo.id}/issues")

    def list_comments(self, request: Request, found: re.Match[str]) -> Reply:
        repo = self.guard(request, found)
        if isinstance(repo, Reply):
            return repo
        number = int(found["number"])
        if number not in repo.issues:
            return Reply(404, {"message": "Not Found", "status": "404"}, self.headers())
        return self.page(request, repo.comments[number], f"/repositories/{repo.id}/issues/{number}/comments")

    def page(self, request: Request, items: list[dict[str, Any]], path: str) -> Reply:
        """One page of a listing with GitHub's `Link` header (next, last, first, prev)."""
        per_page = min(int(request.arg("per_page", "30")), 100)
        page = max(int(request.arg("page", "1")), 1)
        last = max((len(items) + per_page - 1) // per_page, 1)
        headers = self.headers()
        query = {k: v[0] for k, v in request.query.items() if k != "page"}

        def link(n: int) -> str:
            return f"{self.url}{path}?{urlencode({**query, 'page': n})}"

        rels = {"prev": page - 1, "next": page + 1, "last": last, "first": 1}
        links = [f'<{link(n)}>; rel="{rel}"' for rel, n in rels.items() if 1 <= n <= last and n != page]
        if links:
            headers["Link"] = ", ".join(links)
        return Reply(200, items[(page - 1) * per_page : page * per_page], headers)

    def asset(self, request: Request, found: re.Match[str]) -> Reply:
        if not self.authorised(request) or found["asset"] not in self.assets:
            return Reply(404, raw=b"Not Found", headers={"Content-Type": "text/plain"})
        signed = f"{self.storage.url}/github-production-user-asset-6210df/{found['asset']}?X-Amz-Signature=abc123"
        return Reply(302, raw=b"", headers={"Location": signed, "Content-Type": "text/html"})

    def signed_asset(self, request: Request, found: re.Match[str]) -> Reply:
        if request.arg("X-Amz-Signature") != "abc123" or found["asset"] not in self.assets:
            return Reply(403, raw=b"<Error><Code>AccessDenied</Code></Error>", headers={"Content-Type": "text/xml"})
        return Reply(200, raw=self.assets[found["asset"]], headers={"Content-Type": "image/png"})


def secondary_limit(seconds: int = 1) -> Reply:
    """GitHub's answer when a secondary rate limit is hit."""
    return Reply(403, fixture("github/secondary_rate_limit.json"), {"Retry-After": str(seconds)})


def primary_limit(seconds: int = 1) -> Reply:
    """GitHub's answer when the hourly (primary) rate limit is used up."""
    headers = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0", "X-RateLimit-Used": "5000"}
    headers["X-RateLimit-Reset"] = str(int(time.time()) + seconds)
    headers["X-RateLimit-Resource"] = "core"
    return Reply(403, fixture("github/primary_rate_limit.json"), headers)
