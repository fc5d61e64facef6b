"""Deliver what the bot says: the reply in the thread, else privately (response_url or DM); notices; reactions.

Rate limits, 5xx answers and dropped connections are retried by the Slack SDK's retry handlers (see
`bot.slack.app.retry_handlers`); what still fails here is final for that place, so the reply goes to the asker
privately instead, and only when that fails too is the delivery given up (`DeliveryFailed`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.webhook import WebhookClient

from bot.settings import Settings
from bot.slack.blocks import Message, escape, section
from bot.slack.download import FileHosts
from bot.slack.intake import Ask

log = logging.getLogger(__name__)

Where = Literal["thread", "channel", "ephemeral", "dm"]
PLACES: dict[Where, str] = {
    "thread": "in the thread",
    "channel": "in the conversation",
    "ephemeral": "privately",
    "dm": "by DM",
}


class DeliveryFailed(Exception):
    """Neither the intended place nor the private fallback took the message; `problem` says why."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


@dataclass(frozen=True)
class Delivered:
    """Where a reply went, its timestamp when it is a real message, and why it is not where it was meant to be."""

    where: Where
    ts: str | None = None
    problem: str | None = None

    @property
    def note(self) -> str | None:
        """One line for the answer record when the reply had to go elsewhere."""
        if not self.problem:
            return None
        return f"could not reply in the channel ({self.problem}); replied {PLACES[self.where]}"


def slack_problem(err: BaseException) -> str:
    """A short name for a failed call: Slack's error code, the HTTP status, or the exception's type."""
    if isinstance(err, SlackApiError):
        return str(err.response.get("error") or f"HTTP {err.response.status_code}")
    return type(err).__name__


class Delivery:
    """Posts replies and notices with the bot's client; response URLs only to the allowed hosts."""

    def __init__(self, settings: Settings, client: WebClient, retries: list[RetryHandler] | None = None) -> None:
        self.client = client
        self.response_hosts = FileHosts.parse(settings.slack_response_hosts)
        self.retries = retries or []

    def reply(self, ask: Ask, message: Message) -> Delivered:
        """Post `message` where the ask says; on a final error, to the asker privately."""
        try:
            if ask.reply_in == "ephemeral":
                self.respond(ask, message)
                return Delivered("ephemeral")
            thread_ts = ask.thread_ts if ask.reply_in == "thread" else None
            return Delivered(ask.reply_in, self.post(ask.channel, message, thread_ts))
        except Exception as err:  # noqa: BLE001 - any failure here means "try privately"
            problem = slack_problem(err)
            log.warning("reply to %s in %s failed (%s); replying privately", ask.user, ask.channel, problem)
        return self.reply_privately(ask, message, problem)

    def update(self, ask: Ask, message: Message, ts: str) -> Delivered:
        """Replace the bot's earlier reply `ts` with `message` (a follow-up's answer); when that message cannot be
        updated any more (deleted, too old), reply anew."""
        try:
            self.client.chat_update(channel=ask.channel, ts=ts, text=message.text, blocks=message.blocks)
            return Delivered(ask.reply_in, ts)
        except Exception as err:  # noqa: BLE001 - the answer still goes out, as a new reply
            log.warning("could not update reply %s in %s (%s); replying anew", ts, ask.channel, slack_problem(err))
        return self.reply(ask, message)

    def reply_privately(self, ask: Ask, message: Message, problem: str) -> Delivered:
        """The fallback: the ask's response_url (when it has one and did not just fail), else a DM."""
        if ask.response_url and ask.reply_in != "ephemeral":
            try:
                self.respond(ask, message)
                return Delivered("ephemeral", problem=problem)
            except Exception as err:  # noqa: BLE001 - fall through to the DM
                log.warning("private reply via response_url failed: %s", slack_problem(err))
        if ask.source == "dm" or not ask.user:
            raise DeliveryFailed(problem)
        intro = f"I couldn't reply in <#{ask.channel}> ({problem}), so here is my answer to your message there."
        try:
            ts = self.post(ask.user, Message(f"{intro} {message.text}", [section(intro), *message.blocks]))
        except Exception as err:  # noqa: BLE001 - nowhere left to try
            raise DeliveryFailed(f"{problem}; DM: {slack_problem(err)}") from err
        return Delivered("dm", ts, problem)

    def tell(self, ask: Ask, text: str) -> None:
        """One sentence only the asker sees (busy, over the limit, restarting); a failure is logged, never raised."""
        try:
            if ask.response_url:
                self.respond(ask, Message(text, [section(escape(text))]))
            elif ask.source == "dm":
                self.post(ask.channel, Message(text, [section(escape(text))]), ask.thread_ts)
            else:
                self.client.chat_postEphemeral(
                    channel=ask.channel, user=ask.user, text=text, thread_ts=ask.thread_ts if ask.ts else None
                )
        except Exception as err:  # noqa: BLE001 - a notice that cannot be shown is logged
            log.warning("could not tell %s in %s: %s", ask.user, ask.channel, slack_problem(err))

    def post(self, channel: str, message: Message, thread_ts: str | None = None) -> str:
        response = self.client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=message.text,
            blocks=message.blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    def respond(self, ask: Ask, message: Message) -> None:
        """Reply through the ask's response_url, which must point at one of Slack's hook hosts."""
        url = ask.response_url or ""
        if not self.response_hosts.allows(url):
            log.warning("refusing a response_url outside the allowed hosts (%s ask in %s)", ask.source, ask.channel)
            raise DeliveryFailed("response_url_refused")
        sent = WebhookClient(url, retry_handlers=self.retries).send(
            text=message.text, blocks=message.blocks, response_type="ephemeral", replace_original=False
        )
        if sent.status_code != 200:
            raise DeliveryFailed(f"response_url HTTP {sent.status_code}")

    def react(self, ask: Ask, name: str) -> None:
        self.reaction("reactions_add", ask, name)

    def unreact(self, ask: Ask, name: str) -> None:
        self.reaction("reactions_remove", ask, name)

    def reaction(self, method: str, ask: Ask, name: str) -> None:
        """Add or remove a reaction on the asked-about message; a failure here is logged, never fatal."""
        if not ask.ts or ask.source == "command":
            return
        try:
            call: Any = getattr(self.client, method)
            call(channel=ask.channel, timestamp=ask.ts, name=name)
        except Exception as err:  # noqa: BLE001 - reactions are decoration
            log.info("%s %s on %s failed: %s", method, name, ask.ts, slack_problem(err))
