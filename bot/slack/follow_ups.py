"""Follow-ups: in a thread the bot answered, the asker's next message is read with what the thread already said.

The asker adds a screenshot or a few words below the bot's reply, without mentioning it; the bot matches the new
message together with the inputs it read before (`Query.context`) and updates its one reply in place. It does so
only while that answer is open — nobody pressed "This fixed it" or escalated it, and the support team has not
answered in the thread — and only where `slack_follow_ups` (per channel in `slack_channels`) is on.
"""

from __future__ import annotations

from typing import Any, cast

from bot.records import InputKind, QueryInput, TextLine, TextOrigin
from bot.settings import Settings
from bot.slack.intake import ANSWERED_SUBTYPES, Ask, from_bot, message_key, plain_text
from bot.store import TRIAGE_SOURCE, AnswerRecord, Store

CLOSED_BY = ("fixed", "escalated")  # presses after which the thread belongs to people
ORIGINS: dict[str, TextOrigin] = {"image": "screen", "recording": "screen", "audio": "speech", "snippet": "log"}


def follow_ups_on(settings: Settings, channel: str) -> bool:
    """Whether follow-ups are read in this channel."""
    override = settings.slack_channels.get(channel)
    return override.follow_ups if override and override.follow_ups is not None else settings.slack_follow_ups


def follow_up(event: dict[str, Any], context: dict[str, Any], settings: Settings, store: Store) -> Ask | None:
    """The ask of an unmentioned thread reply by the asker of an open answer in that thread, or None."""
    ts, thread_ts, channel, user = event.get("ts"), event.get("thread_ts"), event.get("channel"), event.get("user")
    if not (ts and thread_ts and channel and user) or thread_ts == ts or event.get("channel_type") == "im":
        return None
    if event.get("subtype") not in ANSWERED_SUBTYPES or from_bot(event, context.get("bot_id"), settings):
        return None
    if not follow_ups_on(settings, channel):
        return None
    previous = open_answer(store, channel, thread_ts, user)
    if previous is None:
        return None
    return Ask(
        source="message",
        channel=channel,
        user=user,
        text=plain_text(event.get("text", ""), context.get("bot_user_id")),
        files=tuple(event.get("files") or ()),
        team=event.get("team") or context.get("team_id"),
        ts=ts,
        thread_ts=thread_ts,
        key=message_key(channel, ts),
        previous=previous.id,
    )


def open_answer(store: Store, channel: str, thread_ts: str, user: str) -> AnswerRecord | None:
    """The bot's latest answer in the thread, when `user` asked it and it is still open."""
    latest = store.latest_in_thread(channel, thread_ts)
    if latest is None or latest.source == TRIAGE_SOURCE or latest.user != user:
        return None
    if any(press["kind"] in CLOSED_BY for press in store.feedback_of(latest.id)):
        return None
    return latest


def context_inputs(record: AnswerRecord, limit: int) -> tuple[QueryInput, ...]:
    """What an earlier answer read, as inputs the matcher takes as they are: each keeps its kind, and its lines the
    origin that kind implies (screenshots and recordings on screen, voice notes speech, snippets logs; the stored
    text does not say which of a recording's lines were heard). At most `limit` of them, as an answer carries its
    thread's inputs on to the next: the oldest (of the question that started the thread) and the newest (an answer
    lists its own message's inputs before those it was read with)."""
    usable = [item for item in record.inputs if not item.error and item.text.strip()]
    if len(usable) > limit:
        usable = usable[: limit - 1] + usable[-1:]
    inputs = []
    for item in usable:
        origin = ORIGINS.get(item.kind)
        lines = tuple(TextLine(line, 1.0, origin) for line in item.text.splitlines() if line.strip()) if origin else ()
        inputs.append(QueryInput(item.name, cast(InputKind, item.kind), item.text, lines))
    return tuple(inputs)
