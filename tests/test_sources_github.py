"""GitHub sync against a fake GitHub on 127.0.0.1: mapping, attachments behind auth, pagination, rate limits,
edits, deletions, failures half-way, and entries it did not write."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.knowledge import scan_knowledge
from bot.settings import GitHubSource, Settings
from bot.sources import SourceRefused, SourceUnreachable, sync_source
from bot.sources.github import GitHubTracker
from bot.sources.sync import sync_tracker
from tests.fake_api import Reply
from tests.fake_github import TOKEN, FakeGitHub, primary_limit, secondary_limit
from tests.sources_support import png, snapshot
from tests.support import write_bug

REPO = "acme/shop"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    yield fake
    fake.close()


def settings(tmp_path: Path, github: FakeGitHub) -> Settings:
    return Settings(knowledge_dir=tmp_path / "knowledge", github_api_url=github.url, github_token=TOKEN)


def test_issues_become_entries(tmp_path: Path, github: FakeGitHub) -> None:
    shot = github.upload(png())
    body = (
        "<!-- template -->\n### Describe the bug\n\nCheckout shows **502 Bad Gateway**.\n\n"
        f"![checkout.png]({shot})\n\n### Code of Conduct\n\n- [X] I agree\n"
    )
    first = github.add_issue(REPO, "Checkout 502", body, labels=("bug", "checkout"))
    github.add_comment(REPO, first, "Workaround: restart the API", association="MEMBER")
    fixed = github.add_issue(REPO, "Login loops", "Too many redirects", labels=("bug",))
    github.add_comment(REPO, fixed, "Cookie domain was wrong; fixed in 2.4")
    github.close_issue(REPO, fixed)
    github.add_issue(REPO, "Fix the checkout", "Closes #1", pull_request=True)
    github.add_issue(REPO, "Same as #1", "502", state="closed", state_reason="duplicate")
    github.add_issue(REPO, "Wontfix", "Old browser", state="closed", state_reason="not_planned")
    github.add_issue(REPO, "No label", "not selected")

    report = sync_source(GitHubSource(repo=REPO, labels=["bug"]), settings(tmp_path, github))

    assert (report.added, report.skipped) == (2, {})
    bugs = scan_knowledge(tmp_path / "knowledge").by_id()
    assert set(bugs) == {"github-acme-shop-1", "github-acme-shop-2"}
    checkout = bugs["github-acme-shop-1"]
    assert checkout.title == "Checkout 502" and checkout.product == "shop" and checkout.tags == ("checkout",)
    assert checkout.status == "workaround" and checkout.resolution == "restart the API"
    assert checkout.symptoms == "Checkout shows **502 Bad Gateway**."
    assert checkout.links == (f"{github.url}/acme/shop/issues/1",) and checkout.media == ("checkout.png",)
    assert (Path(checkout.path) / "checkout.png").read_bytes() == png()
    login = bugs["github-acme-shop-2"]
    assert login.status == "fixed" and login.resolution == "Cookie domain was wrong; fixed in 2.4"
    # the token went to the tracker's host only: the signed storage URL got the file without it
    assert github.storage.requests and all("Authorization" not in r.headers for r in github.storage.requests)


def test_pull_requests_duplicates_and_not_planned(tmp_path: Path, github: FakeGitHub) -> None:
    github.add_issue(REPO, "Fix the checkout", "Closes #1", pull_request=True)
    github.add_issue(REPO, "Same as #9", "502", state="closed", state_reason="duplicate")
    plain = github.add_issue(REPO, "Old browser", "IE11 breaks", state="closed", state_reason="not_planned")
    kept = github.add_issue(REPO, "Safari 15 layout", "The cart overlaps", state="closed", state_reason="not_planned")
    github.add_comment(REPO, kept, "## Workaround\n\nZoom out to 90%.")
    report = sync_source(GitHubSource(repo=REPO), settings(tmp_path, github))
    assert report.skipped == {"pull request": 1, "duplicate": 1, "not planned, no workaround": 1}
    bugs = scan_knowledge(tmp_path / "knowledge").by_id()
    assert list(bugs) == [f"github-acme-shop-{kept}"] and bugs[f"github-acme-shop-{kept}"].status == "workaround"
    assert f"github-acme-shop-{plain}" not in bugs
    assert github.count(r"/issues/1/comments") == 0  # a pull request's comments are never read


def settings_listing_all(tmp_path: Path, github: FakeGitHub) -> Settings:
    """Settings whose every sync is a full listing."""
    return settings(tmp_path, github).model_copy(update={"sources_full_sync_hours": 0.0})


def test_syncs_of_1000_issues_list_only_changes_between_full_listings_and_write_only_what_changed(
    tmp_path: Path, github: FakeGitHub
) -> None:
    for n in range(1000):
        github.add_issue(REPO, f"Error E{n:04d} on the orders page", f"The page shows error E{n:04d}.")
    config = settings(tmp_path, github)
    assert sync_source(GitHubSource(repo=REPO), config).added == 1000
    before = snapshot(tmp_path / "knowledge")
    github.requests.clear()

    report = sync_source(GitHubSource(repo=REPO), config)  # within a day of the full listing: changes only

    assert (report.listing, report.unchanged, report.added, report.updated, report.removed) == (
        "changes",
        1000,
        0,
        0,
        0,
    )
    assert len(github.requests) == 1 and github.requests[0].query.get("since")
    assert snapshot(tmp_path / "knowledge") == before, "an unchanged sync writes nothing"

    github.edit_issue(REPO, 500, body="The page shows error E0499 and then a blank screen.")
    github.requests.clear()
    report = sync_source(GitHubSource(repo=REPO), config)
    assert (report.updated, report.unchanged, len(github.requests)) == (1, 999, 1)
    after = snapshot(tmp_path / "knowledge")
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"github-acme-shop-500/bug.md", ".sources/github-acme-shop.json"}
    assert "blank screen" in (tmp_path / "knowledge" / "github-acme-shop-500" / "bug.md").read_text()

    github.requests.clear()
    report = sync_source(GitHubSource(repo=REPO), settings_listing_all(tmp_path, github))
    assert (report.listing, report.unchanged, report.added, report.updated, report.removed) == ("full", 1000, 0, 0, 0)
    assert [r.path for r in github.requests].count(f"/repos/{REPO}/issues") == 1
    assert len(github.requests) == 10 and github.count(r"^/repositories/\d+/issues$") == 9  # Link pages
    again = snapshot(tmp_path / "knowledge")
    assert {name for name in again if again[name] != after.get(name)} == {".sources/github-acme-shop.json"}, (
        "a full listing that finds nothing new writes only when it ran"
    )


def test_deleted_moved_and_deselected_issues_lose_their_entries(tmp_path: Path, github: FakeGitHub) -> None:
    for n in range(4):
        github.add_issue(REPO, f"Bug {n}", f"Symptom {n}", labels=("bug",))
    config = settings(tmp_path, github)
    write_bug(tmp_path / "knowledge", "hand-written", "Hand-written", ["x"], "It breaks.", "Fix it.")
    assert sync_source(GitHubSource(repo=REPO, labels=["bug"]), config).added == 4
    github.delete_issue(REPO, 1)  # deleted (or transferred to another repository)
    github.edit_issue(REPO, 2, labels=["question"])  # no longer selected
    github.close_issue(REPO, 3, "duplicate")  # closed as a duplicate
    report = sync_source(GitHubSource(repo=REPO, labels=["bug"]), config)
    assert (report.listing, report.removed) == ("changes", 1), "changes only: the duplicate is seen, not the others"
    report = sync_source(GitHubSource(repo=REPO, labels=["bug"]), settings_listing_all(tmp_path, github))
    assert (report.listing, report.removed, report.unchanged) == ("full", 2, 2)  # the duplicate is held as skipped
    assert sorted(scan_knowledge(tmp_path / "knowledge").by_id()) == ["github-acme-shop-4", "hand-written"]


def test_entries_it_did_not_write_are_never_touched(tmp_path: Path, github: FakeGitHub) -> None:
    root = tmp_path / "knowledge"
    clash = write_bug(root, "github-acme-shop-1", "Written by hand", ["x"], "It breaks.", "Fix it.")
    before = snapshot(root)
    github.add_issue(REPO, "Bug one", "Symptom")
    github.add_issue(REPO, "Bug two", "Symptom")
    report = sync_source(GitHubSource(repo=REPO), settings(tmp_path, github))
    assert report.conflicts == ["github-acme-shop-1"] and report.added == 1
    assert snapshot(clash) == {k.split("/", 1)[1]: v for k, v in before.items()}
    # an imported entry adopted by hand (its `source` key removed) is left alone, even when the issue goes
    adopted = root / "github-acme-shop-2" / "bug.md"
    adopted.write_text(adopted.read_text().replace("source:", "origin:"))
    github.delete_issue(REPO, 2)
    assert sync_source(GitHubSource(repo=REPO), settings(tmp_path, github)).removed == 0
    assert adopted.is_file()


def test_rate_limits_are_waited_out(tmp_path: Path, github: FakeGitHub, caplog: pytest.LogCaptureFixture) -> None:
    for n in range(150):
        github.add_issue(REPO, f"Bug {n}", "Symptom")
    github.fail("/repositories/", secondary_limit(1))  # the second page hits a secondary limit
    github.fail(f"/repos/{REPO}/issues", primary_limit(1))  # and the first the primary one
    with caplog.at_level(logging.INFO):
        report = sync_source(GitHubSource(repo=REPO), settings(tmp_path, github))
    assert report.added == 150 and len(github.requests) == 4
    assert "rate limit" in caplog.text and TOKEN not in caplog.text


def test_a_failure_half_way_keeps_the_last_good_files(tmp_path: Path, github: FakeGitHub) -> None:
    for n in range(150):
        github.add_issue(REPO, f"Bug {n}", f"Symptom {n}", labels=("bug",))
    config = settings_listing_all(tmp_path, github)
    sync_source(GitHubSource(repo=REPO), config)
    before = snapshot(tmp_path / "knowledge")
    github.edit_issue(REPO, 3, title="Bug 3, edited")
    github.delete_issue(REPO, 4)
    tracker = GitHubTracker(GitHubSource(repo=REPO), github.url, TOKEN, max_wait=5)

    github.fail("/repositories/", Reply(drop=True), times=3)  # page 2: the network fails (and on retries)
    with pytest.raises(SourceUnreachable, match="could not be reached"):
        sync_tracker(tracker, tmp_path / "knowledge", tracker.media_fetcher(config))
    github.fail("/repositories/", primary_limit(3600))  # page 2: the rate limit is gone for an hour
    with pytest.raises(SourceUnreachable, match="rate limit is used up until"):
        sync_tracker(tracker, tmp_path / "knowledge", tracker.media_fetcher(config))
    shot = github.upload(png())
    github.edit_issue(REPO, 5, body=f"Now with a screenshot\n\n![s.png]({shot})")
    github.storage.fail("/", Reply(drop=True))  # the attachment's storage host fails
    with pytest.raises(SourceUnreachable, match="could not be downloaded"):
        sync_tracker(tracker, tmp_path / "knowledge", tracker.media_fetcher(config))

    assert snapshot(tmp_path / "knowledge") == before
    assert not [p for p in (tmp_path / "knowledge").iterdir() if p.name.startswith(".sync")]
    report = sync_source(GitHubSource(repo=REPO), config)  # the next sync catches up
    assert (report.updated, report.removed, report.media) == (2, 1, 1)


def test_bad_token_and_unknown_repository(tmp_path: Path, github: FakeGitHub) -> None:
    github.add_issue(REPO, "Bug", "Symptom")
    wrong = settings(tmp_path, github).model_copy(update={"github_token": SecretStr("ghp_wrong")})
    with pytest.raises(SourceRefused, match="refused the token") as refused:
        sync_source(GitHubSource(repo=REPO), wrong)
    assert "ghp_wrong" not in refused.value.message
    with pytest.raises(SourceRefused, match="does not show the repository acme/nope"):
        sync_source(GitHubSource(repo="acme/nope"), settings(tmp_path, github))
    assert not (tmp_path / "knowledge").exists() or not any(
        p for p in (tmp_path / "knowledge").iterdir() if not p.name.startswith(".")
    )


def test_media_from_other_hosts_is_not_downloaded(tmp_path: Path, github: FakeGitHub) -> None:
    elsewhere = "https://imgur.example/a.png"
    github.add_issue(REPO, "Bug", f"Symptom\n\n![a]({elsewhere})\n\n![gone]({github.url}/user-attachments/assets/0000)")
    report = sync_source(GitHubSource(repo=REPO), settings(tmp_path, github))
    assert report.added == 1 and report.media == 0
    assert report.media_left_out == ["a: not on the tracker's hosts (imgur.example)", "gone: HTTP 404"]


def test_a_full_listing_comes_back_once_the_last_is_older_than_the_setting(tmp_path: Path, github: FakeGitHub) -> None:
    github.add_issue(REPO, "Bug", "Symptom")
    config = settings(tmp_path, github)
    assert sync_source(GitHubSource(repo=REPO), config).listing == "full"
    assert sync_source(GitHubSource(repo=REPO), config).listing == "changes"
    state = tmp_path / "knowledge" / ".sources" / "github-acme-shop.json"
    saved = json.loads(state.read_text())
    state.write_text(json.dumps({**saved, "full_at": saved["full_at"] - 25 * 3600}))  # the last one, 25 h ago
    assert sync_source(GitHubSource(repo=REPO), config).listing == "full"
    assert sync_source(GitHubSource(repo=REPO), config).listing == "changes"
