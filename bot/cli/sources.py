"""Commands that import known bugs from issue trackers: import github, import jira, import configured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bot.cli.common import JSON, KNOWLEDGE, emit, main
from bot.settings import GitHubSource, JiraSource, load_settings


@main.group("import")
def import_group() -> None:
    """Sync known bugs from GitHub Issues or Jira into the knowledge folder (see docs/SOURCES.md)."""


@import_group.command("github")
@click.argument("repo", metavar="OWNER/REPO")
@click.option("--label", "labels", multiple=True, help="Only issues with this label (repeat: all of them).")
@click.option("--state", type=click.Choice(["open", "closed", "all"]), default="all", show_default=True)
@click.option("--product", help="The entries' product (default: the repository's name).")
@KNOWLEDGE
@JSON
def import_github_cmd(
    repo: str, labels: tuple[str, ...], state: str, product: str | None, knowledge_dir: Path | None, as_json: bool
) -> None:
    """Import the issues of a GitHub repository (token: SUPPORTBOT_GITHUB_TOKEN)."""
    try:
        spec = GitHubSource.model_validate({"repo": repo, "labels": list(labels), "state": state, "product": product})
    except ValueError as err:
        raise click.BadParameter("use the form OWNER/REPO, e.g. acme/shop", param_hint="OWNER/REPO") from err
    run_import(spec, knowledge_dir, as_json)


@import_group.command("jira")
@click.option("--jql", required=True, help='The issues to import, e.g. "project = SUP AND type = Bug".')
@click.option("--product", help="The entries' product (default: each issue's project name).")
@click.option("--resolution-field", help="Id of a field that holds the workaround, e.g. customfield_10050.")
@KNOWLEDGE
@JSON
def import_jira_cmd(
    jql: str, product: str | None, resolution_field: str | None, knowledge_dir: Path | None, as_json: bool
) -> None:
    """Import the issues a JQL search selects (SUPPORTBOT_JIRA_URL, _EMAIL, _TOKEN)."""
    spec = JiraSource.model_validate({"jql": jql, "product": product, "resolution_field": resolution_field})
    run_import(spec, knowledge_dir, as_json)


@import_group.command("configured")
@KNOWLEDGE
@JSON
def import_configured_cmd(knowledge_dir: Path | None, as_json: bool) -> None:
    """Sync every source in SUPPORTBOT_SOURCES, as `serve` does before each refresh."""
    from bot.sources import sync_source

    settings = load_settings(knowledge_dir=knowledge_dir)
    if not settings.sources:
        raise click.ClickException("No sources are configured; set SUPPORTBOT_SOURCES (see docs/SOURCES.md).")
    reports = [sync_source(spec, settings) for spec in settings.sources]
    emit([r.as_dict() for r in reports], as_json, "\n".join(report_text(r.as_dict()) for r in reports))


def run_import(spec: GitHubSource | JiraSource, knowledge_dir: Path | None, as_json: bool) -> None:
    from bot.sources import sync_source

    settings = load_settings(knowledge_dir=knowledge_dir)
    report = sync_source(spec, settings).as_dict()
    emit(report, as_json, f"{settings.knowledge_dir}: {report_text(report)}")


def report_text(report: dict[str, Any]) -> str:
    """One line per sync, then its conflicts, failures and left-out files; a hint when entries changed."""
    skipped = ", ".join(f"{n} {why}" for why, n in report["skipped"].items())
    text = (
        f"{report['source']}: {report['added']} added, {report['updated']} updated, {report['removed']} removed, "
        f"{report['unchanged']} unchanged"
        + (f", skipped {skipped}" if skipped else "")
        + f" in {report['seconds']:.1f}s"
        + (" (listed the changes since the last sync)" if report["listing"] == "changes" else "")
    )
    text += "".join(f"\n  not touched (an entry it did not write): {bug_id}" for bug_id in report["conflicts"])
    text += "".join(f"\n  failed: {line}" for line in report["failed"])
    text += "".join(f"\n  file left out: {line}" for line in report["media_left_out"])
    if report["added"] or report["updated"] or report["removed"]:
        text += "\n  run `supportbot refresh` to index the changes"
    return text
