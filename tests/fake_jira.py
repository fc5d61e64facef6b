"""A fake Jira Cloud REST API v3 on 127.0.0.1 speaking the real shapes (tests/fixtures/jira/): server info, the
field list, `/search/jql` paged by `nextPageToken` (the old `/search` answers 410), comments, and attachment
content behind basic auth that redirects to a signed media URL on another host.
"""

from __future__ import annotations

import base64
import copy
import itertools
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fake_api import FakeApi, Reply, Request, fixture

EMAIL = "support-bot@example.com"
TOKEN = "ATATTfakeJiraToken0000"
EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
DONE = {"name": "Done", "id": "10002", "statusCategory": {"id": 3, "key": "done", "colorName": "green", "name": "Done"}}


def adf(markdown: str) -> dict[str, Any]:
    """A small ADF document: `## ` lines become headings, other paragraphs stay paragraphs."""
    content: list[dict[str, Any]] = []
    for block in (b.strip() for b in markdown.split("\n\n") if b.strip()):
        heading = re.match(r"(#{1,6}) (.+)", block)
        if heading:
            text = [{"type": "text", "text": heading[2]}]
            content.append({"type": "heading", "attrs": {"level": len(heading[1])}, "content": text})
        else:
            lines = block.split("\n")
            inline: list[dict[str, Any]] = []
            for n, line in enumerate(lines):
                inline += [{"type": "hardBreak"}] if n else []
                inline.append({"type": "text", "text": line})
            content.append({"type": "paragraph", "content": inline})
    return {"type": "doc", "version": 1, "content": content}


class FakeJira(FakeApi):
    """Jira Cloud for one site; `media` is the signed-URL host attachments redirect to."""

    def __init__(self) -> None:
        super().__init__()
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[str, bytes] = {}
        self.ticks = itertools.count(1)
        self.ids = itertools.count(10001)
        self.media = FakeApi()
        self.media.route(r"/file/(?P<file>[\w-]+)/binary", self.signed_file)
        base = "/rest/api/3"
        self.route(f"{base}/serverInfo", lambda r, m: self.json(r, fixture("jira/serverInfo.json")))
        self.route(f"{base}/field", lambda r, m: self.json(r, fixture("jira/field.json")))
        self.route(f"{base}/search/jql", self.search)
        self.route(f"{base}/search", lambda r, m: Reply(410, fixture("jira/search_removed.json")))
        self.route(f"{base}/issue/(?P<key>[A-Z]+-\\d+)/comment", self.list_comments)
        self.route(f"{base}/attachment/content/(?P<id>\\d+)", self.attachment)

    def close(self) -> None:
        self.media.close()
        super().close()

    # --- the data -------------------------------------------------------------------------------
    def now(self) -> str:
        stamp = EPOCH + timedelta(seconds=next(self.ticks))
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.000+0000")

    def add_issue(
        self,
        project: str,
        summary: str,
        description: str = "",
        labels: tuple[str, ...] = (),
        components: tuple[str, ...] = (),
        project_name: str = "Support",
        **fields: Any,
    ) -> str:
        key = f"{project}-{sum(1 for k in self.issues if k.startswith(project + '-')) + 1}"
        issue = copy.deepcopy(fixture("jira/issue.json"))
        issue_id = str(next(self.ids))
        issue.update(id=issue_id, key=key, self=f"{self.url}/rest/api/3/issue/{issue_id}")
        issue["fields"].update(
            summary=summary,
            description=adf(description) if description else None,
            labels=list(labels),
            components=[{"self": f"{self.url}/rest/api/3/component/1", "id": "1", "name": c} for c in components],
            updated=self.now(),
        )
        issue["fields"]["project"].update(key=project, name=project_name)
        issue["fields"].update(fields)
        self.issues[key] = issue
        self.comments[key] = []
        return key

    def edit_issue(self, key: str, **fields: Any) -> None:
        self.issues[key]["fields"].update(fields, updated=self.now())

    def resolve(self, key: str, resolution: str = "Done") -> None:
        self.edit_issue(key, status=DONE, resolution={"id": "10000", "name": resolution})

    def delete_issue(self, key: str) -> None:
        del self.issues[key]

    def add_comment(self, key: str, text: str) -> None:
        comment = copy.deepcopy(fixture("jira/comment.json"))
        stamp = self.now()
        comment.update(id=str(next(self.ids)), body=adf(text), created=stamp, updated=stamp)
        self.comments[key].append(comment)
        self.issues[key]["fields"]["updated"] = stamp

    def attach(self, key: str, filename: str, data: bytes, mime: str = "image/png") -> None:
        attachment = copy.deepcopy(fixture("jira/attachment.json"))
        file_id = str(next(self.ids))
        self.files[file_id] = data
        attachment.update(
            id=file_id,
            filename=filename,
            size=len(data),
            mimeType=mime,
            self=f"{self.url}/rest/api/3/attachment/{file_id}",
            content=f"{self.url}/rest/api/3/attachment/content/{file_id}",
            thumbnail=f"{self.url}/rest/api/3/attachment/thumbnail/{file_id}",
        )
        self.issues[key]["fields"]["attachment"].append(attachment)
        self.issues[key]["fields"]["updated"] = self.now()

    # --- the routes -----------------------------------------------------------------------------
    def authorised(self, request: Request) -> bool:
        expected = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    def json(self, request: Request, body: Any, status: int = 200) -> Reply:
        if not self.authorised(request):
            return Reply(401, fixture("jira/unauthorized.json"), {"WWW-Authenticate": 'Basic realm="protected-area"'})
        return Reply(status, body, {"X-AREQUESTID": str(uuid.uuid4())})

    def selected(self, jql: str) -> list[str]:
        keys = re.fullmatch(r"\s*key\s+in\s*\(([^)]*)\)\s*", jql, re.IGNORECASE)
        if keys:
            wanted = {k.strip() for k in keys[1].split(",")}
            return [k for k in self.issues if k in wanted]
        project = re.search(r"project\s*=\s*\"?(\w+)\"?", jql, re.IGNORECASE)
        since = re.search(r'updated\s*>=\s*"([^"]+)"', jql, re.IGNORECASE)  # JQL's "yyyy/MM/dd HH:mm", here UTC
        cutoff = datetime.strptime(since[1], "%Y/%m/%d %H:%M").replace(tzinfo=UTC) if since else None
        return [
            k
            for k, issue in self.issues.items()
            if (project is None or k.startswith(project[1] + "-"))
            and (cutoff is None or datetime.strptime(issue["fields"]["updated"], "%Y-%m-%dT%H:%M:%S.%f%z") >= cutoff)
        ]

    def search(self, request: Request, found: re.Match[str]) -> Reply:
        if not request.arg("jql"):
            return self.json(request, {"errorMessages": ["The JQL query is unbounded."], "errors": {}}, 400)
        keys = self.selected(request.arg("jql"))
        start = int(base64.b64decode(request.arg("nextPageToken") or "MA==").decode())
        size = min(int(request.arg("maxResults", "50")), 100)
        wanted = {f for value in request.query.get("fields", ["*navigable"]) for f in value.split(",")}
        page = [self.shaped(self.issues[k], wanted) for k in keys[start : start + size]]
        body: dict[str, Any] = {"issues": page, "isLast": start + size >= len(keys)}
        if not body["isLast"]:  # the last page carries no nextPageToken at all
            body["nextPageToken"] = base64.b64encode(str(start + size).encode()).decode()
        return self.json(request, body)

    def shaped(self, issue: dict[str, Any], wanted: set[str]) -> dict[str, Any]:
        shaped = {k: v for k, v in issue.items() if k != "fields"}
        fields = issue["fields"] if "*all" in wanted else {k: v for k, v in issue["fields"].items() if k in wanted}
        if "comment" in fields:
            comments = self.comments[issue["key"]]
            fields = {**fields, "comment": {**fields["comment"], "comments": comments[:5], "total": len(comments)}}
        shaped["fields"] = fields
        return shaped

    def list_comments(self, request: Request, found: re.Match[str]) -> Reply:
        comments = self.comments.get(found["key"])
        if comments is None:
            return self.json(request, {"errorMessages": ["Issue does not exist"], "errors": {}}, 404)
        page = {"startAt": 0, "maxResults": 5000, "total": len(comments), "comments": comments}
        return self.json(request, page)

    def attachment(self, request: Request, found: re.Match[str]) -> Reply:
        if not self.authorised(request):
            return Reply(401, fixture("jira/unauthorized.json"))
        if found["id"] not in self.files:
            return Reply(404, {"errorMessages": ["The attachment does not exist."], "errors": {}})
        signed = f"{self.media.url}/file/{found['id']}/binary?token=signed-jwt&client=jira"
        return Reply(303, raw=b"", headers={"Location": signed})

    def signed_file(self, request: Request, found: re.Match[str]) -> Reply:
        if request.arg("token") != "signed-jwt" or found["file"] not in self.files:
            return Reply(403, {"error": "forbidden"})
        return Reply(200, raw=self.files[found["file"]], headers={"Content-Type": "application/octet-stream"})


def rate_limited(seconds: int = 1) -> Reply:
    """Jira Cloud's answer when its rate limit is hit."""
    return Reply(429, fixture("jira/rate_limited.json"), {"Retry-After": str(seconds), "X-RateLimit-Limit": "100"})
