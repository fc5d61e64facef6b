"""`supportbot import` and the scheduled sync before each refresh."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.refresh import RefreshReport
from bot.schedule import run_refresh
from bot.settings import GitHubSource, Settings
from tests.fake_github import TOKEN, FakeGitHub


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    fake.add_issue("acme/shop", "Checkout 502", "Checkout shows 502 Bad Gateway", labels=("bug",))
    fake.add_issue("acme/shop", "A question", "How do I export?", labels=("question",))
    yield fake
    fake.close()


def test_import_github_command(tmp_path: Path, github: FakeGitHub) -> None:
    env = {"SUPPORTBOT_GITHUB_API_URL": github.url, "SUPPORTBOT_GITHUB_TOKEN": TOKEN}
    args = ["import", "github", "acme/shop", "--label", "bug", "--knowledge", str(tmp_path), "--json"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 1 and (tmp_path / "github-acme-shop-1" / "bug.md").is_file()
    result = CliRunner().invoke(main, args[:-1], env=env)
    assert "0 added, 0 updated, 0 removed, 1 unchanged" in result.stdout
    result = CliRunner().invoke(main, ["import", "github", "shop", "--knowledge", str(tmp_path)], env=env)
    assert result.exit_code == 2 and "OWNER/REPO" in result.output
    bad = {**env, "SUPPORTBOT_GITHUB_TOKEN": "ghp_wrong"}
    result = CliRunner().invoke(main, ["import", "github", "acme/shop", "--knowledge", str(tmp_path)], env=bad)
    assert result.exit_code == 1 and "refused the token" in result.output and "ghp_wrong" not in result.output


def test_import_configured_needs_sources(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import", "configured", "--knowledge", str(tmp_path)], env={})
    assert result.exit_code == 1 and "SUPPORTBOT_SOURCES" in result.output


class Refresher:
    """A refresher stand-in that records what the knowledge folder held when it ran."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.seen: list[str] = []

    def refresh(self, progress: object = None) -> RefreshReport:
        self.seen = sorted(p.name for p in Path(self.settings.knowledge_dir).iterdir() if not p.name.startswith("."))
        return RefreshReport(version=1)


def test_scheduled_refresh_syncs_sources_first(
    tmp_path: Path, github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        knowledge_dir=tmp_path,
        github_api_url=github.url,
        github_token=TOKEN,
        sources=[GitHubSource(repo="acme/shop", labels=["bug"]), GitHubSource(repo="acme/gone")],
    )
    refresher = Refresher(settings)
    with caplog.at_level(logging.INFO):
        assert run_refresh(refresher) is not None
    assert refresher.seen == ["github-acme-shop-1"]  # synced before the refresh ran
    assert "sync source=github acme/gone status=error" in caplog.text  # a failed source does not stop the rest
    assert TOKEN not in caplog.text


def test_sources_setting_from_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTBOT_SOURCES", '[{"kind": "github", "repo": "acme/shop"}, {"kind": "jira", "jql": "x"}]')
    monkeypatch.setenv("SUPPORTBOT_JIRA_TOKEN", "secret-jira-token")
    settings = Settings()
    assert [s.kind for s in settings.sources] == ["github", "jira"]
    assert "secret-jira-token" not in repr(settings) and "secret-jira-token" not in str(settings.model_dump())
