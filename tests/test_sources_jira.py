"""Jira sync against a fake Jira Cloud on 127.0.0.1: /search/jql with nextPageToken, ADF, attachments behind
auth, comments, the resolution field, rate limits, edits, deletions, moves and failures half-way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge import scan_knowledge
from bot.settings import JiraSource, Settings
from bot.sources import SourceRefused, SourceUnreachable, sync_source
from bot.sources.jira import JiraTracker
from bot.sources.sync import sync_tracker
from tests.fake_api import Reply
from tests.fake_jira import DONE, EMAIL, TOKEN, FakeJira, adf, rate_limited
from tests.sources_support import png, snapshot

JQL = "project = SUP AND type = Bug"


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    fake = FakeJira()
    yield fake
    fake.close()


def settings(tmp_path: Path, jira: FakeJira, **changes: Any) -> Settings:
    values: dict[str, Any] = {"jira_url": jira.url, "jira_email": EMAIL, "jira_token": TOKEN, **changes}
    return Settings(knowledge_dir=tmp_path / "knowledge", **values)


def test_jira_issues_become_entries(tmp_path: Path, jira: FakeJira) -> None:
    checkout = jira.add_issue(
        "SUP",
        "Checkout shows 502",
        "Every checkout page shows 502 Bad Gateway.\n\n## Workaround\n\nRestart lumen-api.",
        labels=("checkout",),
        components=("API",),
        project_name="Lumen Orders",
    )
    jira.attach(checkout, "checkout.png", png())
    jira.attach(checkout, "notes.txt", b"not media", mime="text/plain")
    login = jira.add_issue("SUP", "Login loops", "Too many redirects after login.")
    for n in range(6):
        jira.add_comment(login, f"Seen again ({n})")
    jira.add_comment(login, "The cookie domain was wrong; fixed in 2.4.")  # the 7th: past the search's 5
    jira.resolve(login)
    field = jira.add_issue("SUP", "CSV import fails", "UnicodeDecodeError", customfield_10050=adf("Save as UTF-8."))
    jira.resolve(jira.add_issue("SUP", "Checkout 502 again", "dup"), "Duplicate")
    jira.resolve(jira.add_issue("SUP", "IE11", "old browser"), "Won't Do")
    jira.add_issue("OPS", "Not selected", "other project")

    report = sync_source(JiraSource(jql=JQL, resolution_field="customfield_10050"), settings(tmp_path, jira))

    assert report.added == 3 and report.skipped == {"duplicate": 1, "not planned, no workaround": 1}
    bugs = scan_knowledge(tmp_path / "knowledge").by_id()
    entry = bugs["jira-sup-1"]
    assert entry.title == "Checkout shows 502" and entry.product == "Lumen Orders"
    assert entry.tags == ("checkout", "API") and entry.status == "workaround"
    assert entry.symptoms == "Every checkout page shows 502 Bad Gateway." and entry.resolution == "Restart lumen-api."
    assert entry.links == (f"{jira.url}/browse/SUP-1",) and entry.media == ("checkout.png",)
    assert (Path(entry.path) / "checkout.png").read_bytes() == png()
    assert bugs["jira-sup-2"].status == "fixed"
    assert bugs["jira-sup-2"].resolution == "The cookie domain was wrong; fixed in 2.4."
    assert bugs[f"jira-{field.lower()}"].resolution == "Save as UTF-8."
    # the credentials went to the Jira site only; the signed media URL got the file without them
    assert jira.media.requests and all("Authorization" not in r.headers for r in jira.media.requests)
    assert jira.count(r"^/rest/api/3/search$") == 0 and jira.count(r"/search/jql$") == 2


def test_unchanged_sync_pages_by_token_and_writes_nothing(tmp_path: Path, jira: FakeJira) -> None:
    for n in range(250):
        jira.add_issue("SUP", f"Error E{n:03d}", f"The page shows E{n:03d}.")
    config = settings(tmp_path, jira)
    assert sync_source(JiraSource(jql=JQL), config).added == 250
    before = snapshot(tmp_path / "knowledge")
    jira.requests.clear()
    report = sync_source(JiraSource(jql=JQL), config)
    assert report.unchanged == 250 and not report.changed and report.listing == "changes"
    searches = [r for r in jira.requests if r.path.endswith("/search/jql")]
    assert all(f"({JQL}) AND updated >= " in r.arg("jql") for r in searches)  # all updated within the last day
    assert [r.arg("nextPageToken") for r in searches] == ["", "MTAw", "MjAw"]  # tokens from the previous page
    assert len(jira.requests) == 5  # server info, the field list, three pages
    assert snapshot(tmp_path / "knowledge") == before

    jira.edit_issue("SUP-7", description=adf("The page shows E006 and a blank screen."))
    jira.delete_issue("SUP-8")
    jira.delete_issue("SUP-9")  # moved to another project: its key changes
    jira.add_issue("OPS", "Error E008", "moved")
    assert sync_source(JiraSource(jql=JQL), config).removed == 0, "only a full listing sees what left the search"
    report = sync_source(JiraSource(jql=JQL), settings(tmp_path, jira, sources_full_sync_hours=0.0))
    assert (report.listing, report.updated, report.removed, report.unchanged) == ("full", 0, 2, 248)
    after = snapshot(tmp_path / "knowledge")
    assert {n for n in after if after[n] != before.get(n)} == {"jira-sup-7/bug.md", ".sources/jira-127-0-0-1.json"}
    assert not (tmp_path / "knowledge" / "jira-sup-8").exists()


def test_rate_limit_is_waited_out(tmp_path: Path, jira: FakeJira) -> None:
    jira.add_issue("SUP", "Bug", "Symptom")
    jira.fail("/rest/api/3/search/jql", rate_limited(1))
    assert sync_source(JiraSource(jql=JQL), settings(tmp_path, jira)).added == 1
    assert jira.count("/search/jql") == 3  # the listing twice (429, then 200), then the details


def test_a_failure_half_way_keeps_the_last_good_files(tmp_path: Path, jira: FakeJira) -> None:
    for n in range(150):
        jira.add_issue("SUP", f"Bug {n}", f"Symptom {n}")
    config = settings(tmp_path, jira, sources_full_sync_hours=0.0)
    sync_source(JiraSource(jql=JQL), config)
    before = snapshot(tmp_path / "knowledge")
    jira.edit_issue("SUP-3", summary="Bug 3, edited")
    jira.attach("SUP-4", "shot.png", png())
    tracker = JiraTracker(JiraSource(jql=JQL), jira.url, EMAIL, TOKEN, max_retries=0)
    jira.fail("/rest/api/3/search/jql", Reply(200, {"issues": [], "nextPageToken": "MTAw"}))  # page 1 ...
    jira.fail("/rest/api/3/search/jql", Reply(drop=True))  # ... then the network fails on page 2
    with pytest.raises(SourceUnreachable, match="could not be reached"):
        sync_tracker(tracker, tmp_path / "knowledge", tracker.media_fetcher(config))
    jira.media.fail("/", Reply(drop=True))  # the attachment's media host fails
    with pytest.raises(SourceUnreachable, match="could not be downloaded"):
        sync_tracker(tracker, tmp_path / "knowledge", tracker.media_fetcher(config))
    assert snapshot(tmp_path / "knowledge") == before
    assert sync_source(JiraSource(jql=JQL), config).updated == 2


def test_wrong_credentials_and_a_bad_query(tmp_path: Path, jira: FakeJira) -> None:
    jira.add_issue("SUP", "Bug", "Symptom")
    with pytest.raises(SourceRefused, match="refused the credentials") as refused:
        sync_source(JiraSource(jql=JQL), settings(tmp_path, jira, jira_token="wrong-token"))
    assert "wrong-token" not in refused.value.message
    with pytest.raises(SourceRefused, match="SUPPORTBOT_JIRA_URL"):
        sync_source(JiraSource(jql=JQL), settings(tmp_path, jira, jira_url=None))
    jira.fail("/rest/api/3/search/jql", Reply(400, {"errorMessages": ["Field 'tpye' does not exist."], "errors": {}}))
    with pytest.raises(SourceRefused, match="Field 'tpye' does not exist"):
        sync_source(JiraSource(jql="tpye = Bug"), settings(tmp_path, jira))


def test_done_without_resolution_name_is_fixed(tmp_path: Path, jira: FakeJira) -> None:
    key = jira.add_issue("SUP", "Bug", "Symptom")
    jira.edit_issue(key, status=DONE)
    sync_source(JiraSource(jql=JQL), settings(tmp_path, jira))
    assert scan_knowledge(tmp_path / "knowledge").by_id()["jira-sup-1"].status == "fixed"
