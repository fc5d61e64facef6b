"""Turn Slack payloads into `Ask`s, deciding which messages to answer (channel policy, bots, threads).

Messages come in Slack's real shapes: files and snippets, forwarded or shared messages (their text and files
inside `attachments`), and edits (`message_changed`) that newly mention the bot.
"""

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
        return bool(files_of(event) or plain_text(message_text(event)))
    if listen == "files":
        return any(is_media(f) or f.get("file_access") == "check_file_info" for f in files_of(event))
    return False


def shared(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The forwarded or shared messages inside a message (Slack puts them in `attachments`)."""
    return [
        a
        for a in event.get("attachments") or ()
        if isinstance(a, dict) and (a.get("is_share") or a.get("is_msg_unfurl") or a.get("message_blocks"))
    ]


def files_of(event: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The message's own files and those of the messages it shares."""
    files = list(event.get("files") or ())
    for item in shared(event):
        files += item.get("files") or ()
        for block in item.get("message_blocks") or ():
            files += (block.get("message") or {}).get("files") or ()
    return tuple(f for f in files if isinstance(f, dict))


def message_text(event: dict[str, Any]) -> str:
    """The message's text followed by the text of the messages it shares."""
    parts = [event.get("text") or ""]
    for item in shared(event):
        blocks = [b for m in item.get("message_blocks") or () for b in (m.get("message") or {}).get("blocks") or ()]
        parts.append(item.get("text") or rich_text(blocks) or item.get("fallback") or "")
    return "\n".join(p for p in parts if p)


def rich_text(blocks: list[dict[str, Any]]) -> str:
    """The plain text of Block Kit `rich_text` blocks; preformatted parts come back fenced (```)."""
    out = []
    for block in blocks:
        for part in block.get("elements") or ():
            text = "".join(leaf_text(leaf) for leaf in walk(part))
            out.append(f"```\n{text}\n```" if part.get("type") == "rich_text_preformatted" else text)
    return "\n".join(out).strip()


def walk(element: dict[str, Any]) -> list[dict[str, Any]]:
    """The leaves (text, links, mentions) under one rich-text element, in order."""
    children = element.get("elements")
    if not isinstance(children, list):
        return [element]
    leaves = [leaf for child in children if isinstance(child, dict) for leaf in walk(child)]
    return leaves + ([{"type": "text", "text": "\n"}] if element.get("type") == "rich_text_list" else [])


def leaf_text(leaf: dict[str, Any]) -> str:
    kind = leaf.get("type")
    if kind == "text":
        return str(leaf.get("text") or "")
    if kind == "link":
        return str(leaf.get("text") or leaf.get("url") or "")
    if kind == "user":
        return f"@{leaf.get('user_id', '')}"
    return ""


def edited_mention(event: dict[str, Any], bot_user: str | None) -> dict[str, Any] | None:
    """For an edit (`message_changed`) that newly mentions the bot, the edited message as a message event."""
    message, before = event.get("message") or {}, event.get("previous_message") or {}
    if not mentions(message.get("text"), bot_user) or mentions(before.get("text"), bot_user):
        return None
    edited = {k: v for k, v in message.items() if k != "subtype"}
    return {**edited, "channel": event.get("channel"), "channel_type": event.get("channel_type")}


def from_message(event: dict[str, Any], context: dict[str, Any], settings: Settings) -> Ask | None:
    """The ask in a `message` event, or None when policy says to stay out of it."""
    if event.get("subtype") == "message_changed":
        event = edited_mention(event, context.get("bot_user_id")) or {}
        if not event.get("channel"):
            return None
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
        "text": plain_text(message_text(event), bot_user),
        "files": files_of(event),
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
        text=plain_text(message_text(event), bot_user),
        files=files_of(event),
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
        text=plain_text(message_text(message)),
        files=files_of(message),
        team=(body.get("team") or {}).get("id"),
        ts=message.get("ts"),
        thread_ts=message.get("thread_ts") or message.get("ts"),
        response_url=body.get("response_url"),
        key=trigger_key("shortcut", body),
    )


def trigger_key(kind: str, body: dict[str, Any]) -> str | None:
    """Commands and shortcuts are told apart by their trigger id (a re-delivery repeats it)."""
    return f"{kind}:{body['trigger_id']}" if body.get("trigger_id") else None
