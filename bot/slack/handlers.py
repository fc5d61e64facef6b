"""Thin bolt listeners: ack at once, turn the payload into an `Ask`, hand it to the workers; button presses,
triage actions and the new-bug modal go to their handlers."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.settings import Settings
from bot.slack.blocks import ESCALATE, FIXED, NOT_IT, TRIAGE_NEW, TRIAGE_PICK, TRIAGE_SEARCH
from bot.slack.buttons import Buttons
from bot.slack.download import FileHosts
from bot.slack.follow_ups import follow_up
from bot.slack.intake import from_command, from_mention, from_message, from_shortcut
from bot.slack.new_bug import NEW_BUG_VIEW
from bot.slack.responder import Responder
from bot.slack.triage import Triage

log = logging.getLogger(__name__)

COMMAND = "/findbug"
SHORTCUT = "find_matching_bug"
USAGE = (
    "Tell me what you see: `/findbug <error message or description>`. For a screenshot or voice note, "
    "use the *Find matching bug* shortcut on the message (⋯ menu) or mention me in its thread."
)


def guarded(listener: Callable[..., None]) -> Callable[..., None]:
    """Log any exception a listener raises instead of letting it escape into bolt."""

    @functools.wraps(listener)
    def run(**kwargs: Any) -> None:
        try:
            listener(**kwargs)
        except Exception:
            ack = kwargs.get("ack")
            if ack is not None and ack.response is None:
                ack()
            body = kwargs.get("body") or {}
            log.exception(
                "listener %s failed (type %s, team %s)",
                listener.__name__,
                body.get("type"),
                body.get("team_id") or (body.get("team") or {}).get("id"),
            )

    return run


def foreign_response_url(body: dict[str, Any], hosts: FileHosts) -> bool:
    """Whether a request's response_url points outside Slack's hooks host (answering it would send the reply,
    and what the bot read, to someone else's server)."""
    url = body.get("response_url")
    if url and not hosts.allows(str(url)):
        log.warning("dropping a %s whose response_url is not on an allowed host", body.get("type") or "command")
        return True
    return False


def register(app: App, settings: Settings, responder: Responder, buttons: Buttons, triage: Triage) -> None:
    """Attach every listener to `app`."""
    hosts = FileHosts.parse(settings.slack_response_hosts)

    @app.event("message")
    @guarded
    def on_message(event: dict[str, Any], context: dict[str, Any]) -> None:
        ask = from_message(event, context, settings) or follow_up(event, context, settings, responder.store)
        if ask is not None:
            responder.submit_once(ask)

    @app.event("app_mention")
    @guarded
    def on_mention(event: dict[str, Any], context: dict[str, Any]) -> None:
        ask = from_mention(event, context, settings)
        if ask is not None:
            responder.submit_once(ask, delay=settings.slack_mention_grace_seconds)

    @app.command(COMMAND)
    @guarded
    def on_command(ack: Ack, body: dict[str, Any]) -> None:
        if foreign_response_url(body, hosts):
            ack()
            return
        ask = from_command(body)
        if not ask.text:
            ack(text=USAGE, response_type="ephemeral")
            return
        ack(text="🔎 Looking for a known bug that matches…", response_type="ephemeral")
        responder.submit_once(ask)

    @app.shortcut(SHORTCUT)
    @guarded
    def on_shortcut(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if not foreign_response_url(body, hosts):
            responder.submit_once(from_shortcut(body))

    @app.action(FIXED)
    @app.action(NOT_IT)
    @app.action(ESCALATE)
    @guarded
    def on_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if not foreign_response_url(body, hosts):
            buttons.press(body, action, respond)

    @app.action(TRIAGE_PICK)
    @app.action(TRIAGE_SEARCH)
    @guarded
    def on_link(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if not foreign_response_url(body, hosts):
            triage.link(body, action, respond)

    @app.options(TRIAGE_SEARCH)
    @guarded
    def on_search(ack: Ack, body: dict[str, Any]) -> None:
        ack(options=triage.options(body))

    @app.action(TRIAGE_NEW)
    @guarded
    def on_new_bug(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if not foreign_response_url(body, hosts):
            triage.open_new_bug(body, action, respond)

    @app.view(NEW_BUG_VIEW)
    @guarded
    def on_new_bug_filed(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        triage.submit(ack, body, view)
