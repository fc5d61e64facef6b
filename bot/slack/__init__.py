"""The Slack layer: bolt listeners that answer screenshots, voice notes and messages in the thread."""

from bot.slack.app import SlackApp, create_app

__all__ = ["SlackApp", "create_app"]
