"""The shipped manifest and install guide agree with the code."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.settings import Settings
from bot.slack.handlers import COMMAND, SHORTCUT

ROOT = Path(__file__).resolve().parent.parent


def test_manifest_declares_what_the_handlers_listen_to() -> None:
    manifest = yaml.safe_load((ROOT / "config" / "slack-manifest.yaml").read_text())
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    [shortcut] = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"], shortcut["name"]) == ("message", SHORTCUT, "Find matching bug")
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "app_mentions:read",
        "channels:history",
        "im:history",
        "chat:write",
        "commands",
        "files:read",
        "reactions:write",
    } <= scopes
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "message.channels", "message.groups", "message.im"} <= events
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert "# options_load_url: https://" in (ROOT / "config" / "slack-manifest.yaml").read_text(), "HTTP mode's search"
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_every_slack_setting_is_documented() -> None:
    guide = (ROOT / "docs" / "SLACK.md").read_text()
    names = [n for n in Settings.model_fields if n.startswith("slack_")]
    assert names and all(f"SUPPORTBOT_{n.upper()}" in guide for n in names), [
        n for n in names if f"SUPPORTBOT_{n.upper()}" not in guide
    ]
