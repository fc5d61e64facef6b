"""Turn Slack payloads into `Ask`s, deciding which messages to answer (channel policy, bots, threads)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, Literal

from bot.settings import Settings
from bot.slack.download import is_media

Source = Literal["message", "mention", "dm", "command", "shortcut"]
ReplyIn = Literal["thread", "channel", "ephemeral"]
ANSWERED_SUBTYPES = (None, "file_share", "thread_broadcast")
SLACK_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


@dataclass(frozen=True)
class Ask:
    """One question to answer, wherever it came from, and where the answer goes."""

    source: Source
    channel: str
    user: str
    text: str = ""
    files: tuple[dict[str, Any], ...] = ()
    team: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    reply_in: ReplyIn = "thread"
    response_url: str | None = None
    quiet_if_unknown: bool = False
    key: str | None = None  # the same for every delivery of one ask (retries, message + app_mention, reconnects)
    previous: str | None = None  # a follow-up (bot.slack.follow_ups): the answer whose reply it updates


def message_key(channel: str, ts: str | None) -> str | None:
    return f"msg:{channel}:{ts}" if ts else None


def plain_text(text: str, bot_user_id: str | None = None) -> str:
    """Message text without the bot's mention and with Slack's link/mention markup made plain."""

    def plain(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if bot_user_id and target == f"@{bot_user_id}":
            return ""
        if target.startswith("!"):
            return label or ""
        if target.startswith(("#", "@")):
            return f"{target[0]}{label}" if label else target
        return label or target

    return html.unescape(SLACK_MARKUP.sub(plain, text or "")).strip()


def mentions(text: str | None, bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and f"<@{bot_user_id}>" in (text or "")


def channel_policy(settings: Settings, channel: str) -> tuple[str, str]:
    """(listen, no_match) in force for one channel."""
    override = settings.slack_channels.get(channel)
    listen = override.listen if override and override.listen else settings.slack_listen
    no_match = override.no_match if override and override.no_match else settings.slack_no_match
    return listen, no_match


def from_bot(event: dict[str, Any], own_bot_id: str | None, settings: Settings) -> bool:
    """Whether a message comes from this app (always ignored) or another bot (ignored by default)."""
    bot_id = event.get("bot_id") or (event.get("bot_profile") or {}).get("id")
    if own_bot_id and bot_id == own_bot_id:
        return True
    return settings.slack_ignore_bots and (bool(bot_id) or event.get("subtype") == "bot_message")


def overheard(event: dict[str, Any], listen: str) -> bool:
    """Whether an unmentioned channel message should be answered under the channel's policy."""
    if listen == "all":
        return bool(event.get("files") or plain_text(event.get("text", "")))
    if listen == "files":
        return any(is_media(f) or f.get("file_access") == "check_file_info" for f in event.get("files") or ())
    return False


def from_message(event: dict[str, Any], context: dict[str, Any], settings: Settings) -> Ask | None:
    """The ask in a `message` event, or None when policy says to stay out of it."""
    if event.get("subtype") not in ANSWERED_SUBTYPES or not event.get("user"):
        return None
    if from_bot(event, context.get("bot_id"), settings) or event.get("user") == context.get("bot_user_id"):
        return None
    bot_user = context.get("bot_user_id")
    ts, thread_ts = event.get("ts"), event.get("thread_ts")
    mentioned = mentions(event.get("text"), bot_user)
    base = {
        "channel": event["channel"],
        "user": event["user"],
        "text": plain_text(event.get("text", ""), bot_user),
        "files": tuple(event.get("files") or ()),
        "team": event.get("team") or context.get("team_id"),
        "ts": ts,
        "key": message_key(event["channel"], ts),
    }
    if event.get("channel_type") == "im":
        return Ask(source="dm", thread_ts=thread_ts, reply_in="thread" if thread_ts else "channel", **base)
    if thread_ts and thread_ts != ts and not mentioned:
        return None
    listen, no_match = channel_policy(settings, event["channel"])
    if not mentioned and not overheard(event, listen):
        return None
    quiet = not mentioned and no_match == "silent"
    return Ask(source="message", thread_ts=thread_ts or ts, quiet_if_unknown=quiet, **base)


def from_mention(event: dict[str, Any], context: dict[str, Any], settings: Settings) -> Ask | None:
    """The ask in an `app_mention` event (a fallback for when the `message` event does not come)."""
    if not event.get("user") or from_bot(event, context.get("bot_id"), settings):
        return None
    bot_user = context.get("bot_user_id")
    return Ask(
        source="mention",
        channel=event["channel"],
        user=event["user"],
        text=plain_text(event.get("text", ""), bot_user),
        files=tuple(event.get("files") or ()),
        team=event.get("team") or context.get("team_id"),
        ts=event.get("ts"),
        thread_ts=event.get("thread_ts") or event.get("ts"),
        key=message_key(event["channel"], event.get("ts")),
    )


def from_command(body: dict[str, Any]) -> Ask:
    """The ask in a `/findbug [text]` slash command; the answer is shown only to the asker."""
    return Ask(
        source="command",
        channel=body.get("channel_id", ""),
        user=body.get("user_id", ""),
        text=plain_text(body.get("text", "")),
        team=body.get("team_id"),
        reply_in="ephemeral",
        response_url=body.get("response_url"),
        key=trigger_key("command", body),
    )


def from_shortcut(body: dict[str, Any]) -> Ask:
    """The ask in a "Find matching bug" message shortcut: that message's text and files, answered in its thread."""
    message = body.get("message") or {}
    channel, user = (body.get("channel") or {}).get("id", ""), (body.get("user") or {}).get("id", "")
    return Ask(
        source="shortcut",
        channel=channel,
        user=user,
        text=plain_text(message.get("text", "")),
        files=tuple(message.get("files") or ()),
        team=(body.get("team") or {}).get("id"),
        ts=message.get("ts"),
        thread_ts=message.get("thread_ts") or message.get("ts"),
        response_url=body.get("response_url"),
        key=trigger_key("shortcut", body),
    )


def trigger_key(kind: str, body: dict[str, Any]) -> str | None:
    """Commands and shortcuts are told apart by their trigger id (a re-delivery repeats it)."""
    return f"{kind}:{body['trigger_id']}" if body.get("trigger_id") else None
