"""Which Slack messages become asks: channel policy, mentions, threads, bots, DMs, commands, shortcuts."""

from __future__ import annotations

from typing import Any

from bot.settings import Settings, SlackChannelPolicy
from bot.slack.intake import from_command, from_mention, from_message, from_shortcut, plain_text
from tests.fake_slack import BOT_ID, BOT_USER, message_event, shortcut_payload

CONTEXT = {"bot_user_id": BOT_USER, "bot_id": BOT_ID, "team_id": "T0001"}
SHOT = {"id": "F1", "name": "shot.png", "mimetype": "image/png", "url_private_download": "https://files.slack.com/x"}
PDF = {"id": "F2", "name": "a.pdf", "mimetype": "application/pdf", "url_private_download": "https://files.slack.com/y"}


def ask(event: dict[str, Any], **settings: Any) -> Any:
    return from_message(event, CONTEXT, Settings(**settings))


def test_default_policy_answers_files_and_mentions_only() -> None:
    with_file = ask(message_event("C1", "1.0", "prod is down", files=[SHOT]))
    assert with_file is not None
    assert (with_file.source, with_file.thread_ts, with_file.reply_in, with_file.key) == (
        "message",
        "1.0",
        "thread",
        "msg:C1:1.0",
    )
    assert with_file.text == "prod is down" and with_file.files == (SHOT,)
    assert ask(message_event("C1", "1.1", "anyone around?")) is None
    assert ask(message_event("C1", "1.2", "here's the spec", files=[PDF])) is None
    mentioned = ask(message_event("C1", "1.3", f"<@{BOT_USER}> curl says connection refused"))
    assert mentioned is not None and mentioned.text == "curl says connection refused"


def test_thread_replies_only_when_mentioned() -> None:
    assert ask(message_event("C1", "2.1", "same here", files=[SHOT], thread_ts="2.0")) is None
    reply = ask(message_event("C1", "2.2", f"<@{BOT_USER}> this one?", files=[SHOT], thread_ts="2.0"))
    assert reply is not None and reply.thread_ts == "2.0" and reply.ts == "2.2"


def test_bots_are_ignored_unless_configured() -> None:
    other_bot = message_event("C1", "3.0", "alert", files=[SHOT], bot_id="BOTHER")
    assert ask(other_bot) is None
    assert ask(other_bot, slack_ignore_bots=False) is not None
    assert ask(message_event("C1", "3.1", "x", files=[SHOT], bot_id=BOT_ID), slack_ignore_bots=False) is None
    assert ask(message_event("C1", "3.2", "x", files=[SHOT], user=BOT_USER)) is None
    assert ask({**message_event("C1", "3.3", "x"), "subtype": "bot_message", "bot_id": "B9"}) is None


def test_edits_joins_and_deletions_are_ignored() -> None:
    for subtype in ("message_changed", "message_deleted", "channel_join"):
        assert ask({**message_event("C1", "4.0", f"<@{BOT_USER}> hi"), "subtype": subtype}) is None


def edit(before: str, after: str) -> dict[str, Any]:
    """A `message_changed` event as Slack sends it: the edited message and the one before, under the event."""
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": "C1",
        "channel_type": "channel",
        "ts": "4.5",
        "message": {"type": "message", "user": "U1", "text": after, "ts": "4.0", "edited": {"user": "U1", "ts": "4.5"}},
        "previous_message": {"type": "message", "user": "U1", "text": before, "ts": "4.0"},
    }


def test_an_edit_that_newly_mentions_the_bot_is_answered_as_the_original_message() -> None:
    newly = ask(edit("psql says role missing", f"<@{BOT_USER}> psql says role missing"))
    assert newly is not None and (newly.ts, newly.key, newly.text) == ("4.0", "msg:C1:4.0", "psql says role missing")
    assert ask(edit(f"<@{BOT_USER}> psql", f"<@{BOT_USER}> psql says role missing")) is None  # already asked
    assert ask(edit("typo", "typo fixed")) is None


def test_snippets_and_videos_count_as_files_for_channel_listening() -> None:
    snippet = {"id": "F3", "name": "-.txt", "mimetype": "text/plain", "filetype": "text", "mode": "snippet"}
    clip = {"id": "F4", "name": "Recording.mp4", "mimetype": "video/mp4", "subtype": "slack_video"}
    for file in (snippet, clip):
        overheard = ask(message_event("C1", "9.0", "", files=[file]))
        assert overheard is not None and overheard.files == (file,)
    hidden = {"id": "F5", "mode": "hidden_by_limit"}
    assert ask(message_event("C1", "9.1", "", files=[hidden])) is None


def test_a_forwarded_message_is_read_with_its_text_and_files() -> None:
    shared = {
        "is_share": True,
        "is_msg_unfurl": True,
        "fallback": "[Dec 1] ana: old text",
        "files": [SHOT],
        "message_blocks": [
            {
                "message": {
                    "blocks": [
                        {
                            "type": "rich_text",
                            "elements": [
                                {"type": "rich_text_section", "elements": [{"type": "text", "text": "deploy broke: "}]},
                                {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "E404 x"}]},
                            ],
                        }
                    ]
                }
            }
        ],
    }
    forwarded = ask(message_event("C1", "10.0", f"<@{BOT_USER}> seen this?", attachments=[shared]))
    assert forwarded is not None and forwarded.files == (SHOT,)
    assert forwarded.text == "seen this?\ndeploy broke: \n```\nE404 x\n```"
    unfurl = {"from_url": "https://example.com", "title": "Example", "text": "a link preview"}
    assert ask(message_event("C1", "10.1", "look", attachments=[unfurl]), slack_listen="all").text == "look"


def test_direct_messages_are_always_answered_in_place() -> None:
    dm = ask(message_event("D1", "5.0", "git says detached head", channel_type="im"))
    assert dm is not None and (dm.source, dm.reply_in, dm.thread_ts) == ("dm", "channel", None)
    threaded = ask(message_event("D1", "5.2", "and this?", channel_type="im", thread_ts="5.0"))
    assert threaded is not None and (threaded.reply_in, threaded.thread_ts) == ("thread", "5.0")


def test_channel_overrides() -> None:
    channels = {
        "CALL": SlackChannelPolicy(listen="all", no_match="silent"),
        "CQUIET": SlackChannelPolicy(listen="mentions"),
    }
    text_only = ask(message_event("CALL", "6.0", "the export page is blank"), slack_channels=channels)
    assert text_only is not None and text_only.quiet_if_unknown
    assert ask(message_event("CALL", "6.1", "   "), slack_channels=channels) is None
    assert ask(message_event("CQUIET", "6.2", "", files=[SHOT]), slack_channels=channels) is None
    mentioned = ask(message_event("CALL", "6.3", f"<@{BOT_USER}> help"), slack_channels=channels)
    assert mentioned is not None and not mentioned.quiet_if_unknown  # asked directly: never silent
    assert ask(message_event("C9", "6.4", "hello"), slack_listen="all") is not None


def test_mentions_commands_and_shortcuts() -> None:
    mention = from_mention(
        {"type": "app_mention", "channel": "C1", "user": "U1", "ts": "7.0", "text": f"<@{BOT_USER}> psql role missing"},
        CONTEXT,
        Settings(),
    )
    assert mention is not None and (mention.source, mention.key, mention.text) == (
        "mention",
        "msg:C1:7.0",
        "psql role missing",
    )
    command = from_command(
        {"text": " nginx 502 ", "user_id": "U1", "channel_id": "C1", "response_url": "http://r", "trigger_id": "t1"}
    )
    assert (command.source, command.reply_in, command.text, command.key) == (
        "command",
        "ephemeral",
        "nginx 502",
        "command:t1",
    )
    message = message_event("C1", "8.0", "look", files=[SHOT], thread_ts="7.5", user="UASK")
    shortcut = from_shortcut(shortcut_payload(message, "C1", "http://r", user="UHELP"))
    assert (shortcut.source, shortcut.user, shortcut.ts, shortcut.thread_ts, shortcut.files) == (
        "shortcut",
        "UHELP",
        "8.0",
        "7.5",
        (SHOT,),
    )
    assert shortcut.key is not None and shortcut.key.startswith("shortcut:trig.")


def test_plain_text_makes_slack_markup_plain() -> None:
    raw = f"<@{BOT_USER}> see <https://x.test/a|the page> in <#C1|ops> for <@U2> &lt;500&gt; <!here>"
    assert plain_text(raw, BOT_USER) == "see the page in #ops for @U2 <500>"
