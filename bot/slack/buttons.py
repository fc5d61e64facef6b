"""The reply's buttons: "This fixed it", "Not it" and "Escalate to support" — stored, acknowledged, escalated;
"This fixed it" also counts the thread as a report of the bug."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.errors import BotError
from bot.settings import Settings
from bot.slack.blocks import ESCALATE, FIXED, NOT_IT, acknowledged, escalation_message
from bot.slack.claims import SlackStore
from bot.slack.delivery import slack_problem
from bot.slack.teachers import Teachers
from bot.store import AnswerRecord, FeedbackKind, learn_from_feedback

log = logging.getLogger(__name__)

KINDS: dict[str, FeedbackKind] = {FIXED: "fixed", NOT_IT: "not_it", ESCALATE: "escalated"}
ANSWER_GONE = "I can't find that answer any more; please ask again."
NO_TRIAGE = "Escalation is not set up in this workspace; please contact the support team directly."
TRIAGE_UNREACHABLE = "I couldn't post to the support channel; please contact the support team directly."
ALREADY_ESCALATED = "This was already escalated to the support team."


class Buttons:
    """Handles presses on an answer's buttons (after bolt has acked them)."""

    def __init__(self, settings: Settings, client: WebClient, store: SlackStore) -> None:
        self.triage = settings.slack_triage_channel
        self.report_days = settings.report_days
        self.stale_seconds = settings.slack_claim_stale_seconds
        self.client = client
        self.store = store
        self.teachers = Teachers(settings, client)

    def press(self, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        """Store the press and update the reply; any failure is one sentence to the presser."""
        user = (body.get("user") or {}).get("id", "")
        try:
            kind = KINDS[action["action_id"]]
            record = self.store.answer(str(action.get("value", "")))
            if record is None:
                respond(text=ANSWER_GONE, response_type="ephemeral", replace_original=False)
            elif kind == "escalated":
                self.escalate(record, user, body, respond)
            else:
                self.give_feedback(record, user, kind, body, respond)
        except Exception as err:
            log.exception("button %s by %s failed", action.get("action_id"), user)
            message = err.message if isinstance(err, BotError) else BotError.message
            try:
                respond(text=message, response_type="ephemeral", replace_original=False)
            except Exception:
                log.exception("could not tell %s that the button failed", user)

    def give_feedback(
        self, record: AnswerRecord, user: str, kind: FeedbackKind, body: dict[str, Any], respond: Respond
    ) -> None:
        """Record "fixed it" / "not it" (once per user) and acknowledge it; the asker's or a triager's press teaches."""
        new = self.store.record_feedback(record.id, user, kind, record.offered_bug, {"channel": record.channel})
        if new and self.teachers.may_teach(user, record):
            learn_from_feedback(self.store, record, kind, user)
        if kind == "fixed" and record.offered_bug:
            self.count(record, record.offered_bug, user)
        keep: tuple[str, ...] = ()
        if kind == "fixed":
            note = f"✅ <@{user}> says this fixed it. Thanks, noted!"
        else:
            note, keep = f"👎 <@{user}> says this isn't it.", (ESCALATE,)
            if self.triage:
                note += " Press *Escalate to support* to have a person look at it."
        acknowledge(body, respond, note, keep)

    def escalate(self, record: AnswerRecord, user: str, body: dict[str, Any], respond: Respond) -> None:
        """Post the case to the triage channel (once per answer) and tell the asker.

        Any failure before the triage post is out releases the claim (the next press tries again); once it is
        out, the escalation stands whatever happens to recording it or telling people.
        """
        if not self.triage:
            respond(text=NO_TRIAGE, response_type="ephemeral", replace_original=False)
            return
        key = f"escalate:{record.id}"
        if not self.store.claim(key, self.stale_seconds):
            respond(text=ALREADY_ESCALATED, response_type="ephemeral", replace_original=False)
            return
        try:
            permalink, private = self.permalink(record), self.is_private(record)
            counts = self.store.report_counts([c.bug_id for c in record.candidates[:3]], self.report_days)
            message = escalation_message(record, user, permalink, private, counts)
            posted = self.client.chat_postMessage(
                channel=self.triage, text=message.text, blocks=message.blocks, unfurl_links=False
            )
        except Exception as err:  # noqa: BLE001 - whatever it was, nothing reached triage: the next press retries
            self.store.release(key)
            log.warning("escalation of %s to %s failed: %s", record.id, self.triage, slack_problem(err))
            respond(text=TRIAGE_UNREACHABLE, response_type="ephemeral", replace_original=False)
            return
        detail = {
            "triage_channel": self.triage,
            "triage_ts": posted.get("ts"),
            "permalink": permalink,
            "private": private,
        }
        for step, done in (
            ("finish the claim", lambda: self.store.finish(key)),
            ("record it", lambda: self.store.record_feedback(record.id, user, "escalated", record.offered_bug, detail)),
            ("acknowledge it", lambda: acknowledge(body, respond, f"📨 <@{user}> escalated this to the support team.")),
            ("tell the asker", lambda: self.tell_asker(record, body, respond)),
        ):
            try:
                done()
            except Exception:
                log.exception("escalated %s, but could not %s", record.id, step)

    def count(self, record: AnswerRecord, bug_id: str, user: str) -> None:
        """Count the answer's thread as a confirmed report of the bug (once per thread, whoever presses)."""
        try:
            self.store.add_report(record, bug_id, "confirmed", user, self.permalink(record))
        except Exception:
            log.exception("could not count %s for %s", record.id, bug_id)

    def permalink(self, record: AnswerRecord) -> str | None:
        """A link to the asker's original message, when there is one."""
        if not record.message_ts:
            return None
        try:
            return str(self.client.chat_getPermalink(channel=record.channel, message_ts=record.message_ts)["permalink"])
        except Exception as err:  # noqa: BLE001 - the escalation goes out without the link
            log.info("no permalink for %s/%s: %s", record.channel, record.message_ts, slack_problem(err))
            return None

    def is_private(self, record: AnswerRecord) -> bool:
        """Whether it was asked where the triage channel may not read it (a DM, group DM or private channel);
        when Slack cannot say, it was."""
        if record.source == "dm" or record.channel.startswith(("D", "G")):
            return True
        try:
            info = self.client.conversations_info(channel=record.channel)["channel"]
        except Exception as err:  # noqa: BLE001 - when Slack cannot say, the text stays out of triage
            log.info("no channel info for %s: %s", record.channel, slack_problem(err))
            return True
        return bool(info.get("is_private") or info.get("is_im") or info.get("is_mpim"))

    def tell_asker(self, record: AnswerRecord, body: dict[str, Any], respond: Respond) -> None:
        """Tell the asker, where they asked, that a person will follow up."""
        text = f"<@{record.user}> I've passed this to the support team; someone will follow up here."
        message = body.get("message") or {}
        if (body.get("container") or {}).get("is_ephemeral") or not message:
            respond(
                text="I've passed this to the support team; someone will follow up.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        thread_ts = message.get("thread_ts")
        self.client.chat_postMessage(channel=record.channel, thread_ts=thread_ts, text=text)


def acknowledge(body: dict[str, Any], respond: Respond, note: str, keep: tuple[str, ...] = ()) -> None:
    """Update the reply in place (buttons removed or trimmed, note added); ephemeral replies get a new note."""
    message = body.get("message") or {}
    if message.get("blocks") and not (body.get("container") or {}).get("is_ephemeral"):
        respond(
            text=message.get("text") or note, blocks=acknowledged(message["blocks"], note, keep), replace_original=True
        )
    else:
        respond(text=note, response_type="ephemeral", replace_original=False)
