"""Answer asks off the ack path: 👀, download, the engine, the threaded reply, the record, the result reaction."""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.errors import BotError, EmptyQuery
from bot.records import Answer, Attachment, Query
from bot.settings import Settings
from bot.slack.blocks import Message, answer_message, error_message, notes_message
from bot.slack.claims import SlackStore
from bot.slack.download import FileFetcher, transcript_preview
from bot.slack.intake import Ask
from bot.store import AnswerRecord, InputRecord, answer_record

log = logging.getLogger(__name__)

WORKING = "eyes"
RESULT_REACTIONS = {
    "match": "white_check_mark",
    "uncertain": "thinking_face",
    "no_match": "grey_question",
    "error": "warning",
}


class Engine(Protocol):
    """Anything that answers queries: `bot.matcher.Matcher` in production."""

    def match(self, query: Query) -> Answer: ...


class Responder:
    """Runs asks in a bounded worker pool and replies where each ask says; never lets an error go silent."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        client: WebClient,
        store: SlackStore,
        fetcher: FileFetcher | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.client = client
        self.store = store
        self.fetcher = fetcher or FileFetcher(settings, client)
        self.pool = ThreadPoolExecutor(max_workers=settings.slack_workers, thread_name_prefix="supportbot-answer")
        self.escalate = bool(settings.slack_triage_channel)
        self.counts: Counter[str] = Counter()
        self._busy = 0
        self._idle = threading.Condition()

    def submit(self, ask: Ask) -> Future[None]:
        """Queue one ask for the workers."""
        self._enter()
        future = self.pool.submit(self.run, ask)
        future.add_done_callback(lambda _: self._leave())
        return future

    def submit_once(self, ask: Ask, delay: float = 0.0) -> None:
        """Queue an ask unless its message was already claimed (retries, re-deliveries, message + mention).

        With a `delay`, the claim waits so that the same message's `message` event, which carries the files,
        can claim it first.
        """
        self._enter("offered")
        if delay > 0:
            timer = threading.Timer(delay, self._claim, args=(ask,))
            timer.daemon = True
            timer.start()
        else:
            self._claim(ask)

    def _claim(self, ask: Ask) -> None:
        try:
            if ask.key is None or self.store.claim(ask.key):
                self.react(ask, WORKING)
                self.submit(ask)
            else:
                log.info("skipping %s: already handled", ask.key)
                self._count("duplicates")
        finally:
            self._leave()

    def _enter(self, counter: str | None = None) -> None:
        with self._idle:
            self._busy += 1
            if counter:
                self.counts[counter] += 1

    def _leave(self) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def _count(self, counter: str) -> None:
        with self._idle:
            self.counts[counter] += 1

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no ask is queued, waiting for its claim or being answered; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self) -> None:
        """Finish queued asks, then stop the workers."""
        self.wait_idle()
        self.pool.shutdown(wait=True)

    def run(self, ask: Ask) -> None:
        """Answer one ask; any unexpected error becomes a generic sentence in the thread."""
        try:
            self.answer(ask)
        except Exception:
            log.exception("answering a %s from %s in %s failed", ask.source, ask.user, ask.channel)
            record = ask_record(ask, uuid.uuid4().hex, "error", error="internal error")
            try:
                self.finish(ask, record, error_message([BotError.message]))
            except Exception:
                log.exception("could not report the failure to %s in %s", ask.user, ask.channel)

    def answer(self, ask: Ask) -> None:
        answer_id = uuid.uuid4().hex
        attachments, notes, heard = self.gather(ask)
        failed = tuple(InputRecord(name, "file", error=why) for name, why in notes)
        text = "\n".join(t for t in (ask.text, *heard) if t)
        if not text and not attachments:
            message = notes_message(notes) if notes else error_message([EmptyQuery.message])
            self.finish(ask, ask_record(ask, answer_id, "error", error=message.text, inputs=failed), message)
            return
        try:
            answer = self.engine.match(Query(text=text, attachments=tuple(attachments)))
        except BotError as err:
            log.info("engine refused a %s in %s: %s", ask.source, ask.channel, err.message)
            record = ask_record(ask, answer_id, "error", error=err.message, inputs=failed)
            self.finish(ask, record, error_message([err.message]))
            return
        record = answer_record(
            answer, answer_id, source=ask.source, channel=ask.channel, user=ask.user, team=ask.team, message_ts=ask.ts
        )
        record = replace(record, inputs=record.inputs + failed)
        self.finish(ask, record, self.reply_for(ask, answer, answer_id, notes))

    def reply_for(self, ask: Ask, answer: Answer, answer_id: str, notes: list[tuple[str, str]]) -> Message | None:
        """The reply to post, or None to stay silent (an overheard message in a quiet channel)."""
        unusable = [(i.name, i.error) for i in answer.inputs if i.error]
        if answer.decision == "no_match" and unusable and not any(i.text.strip() for i in answer.inputs):
            return notes_message([*notes, *unusable])
        if answer.decision == "no_match" and ask.quiet_if_unknown:
            return None
        return answer_message(answer, answer_id, notes, escalate=self.escalate)

    def gather(self, ask: Ask) -> tuple[list[Attachment], list[tuple[str, str]], list[str]]:
        """Download the ask's files: attachments, (name, reason) for each refused file, Slack's transcripts."""
        attachments, notes, heard = [], [], []
        for file in ask.files:
            name = str(file.get("name") or file.get("title") or file.get("id") or "file")
            try:
                attachments.append(self.fetcher.fetch(file))
            except BotError as err:
                notes.append((name, err.message))
            if preview := transcript_preview(file):
                heard.append(preview)
        return attachments, notes, heard

    def finish(self, ask: Ask, record: AnswerRecord, message: Message | None) -> None:
        """Store the answer, post the reply and swap 👀 for the result reaction; a silent no-match leaves no record."""
        if message is not None:
            self.store.record_answer(record)
        self._count("answered" if record.decision != "error" else "failed")
        if message is not None:
            reply_ts = self.post(ask, message)
            if reply_ts:
                self.store.set_reply_ts(record.id, reply_ts)
        self.unreact(ask, WORKING)
        if message is not None:
            self.react(ask, RESULT_REACTIONS.get(record.decision, "warning"))

    def post(self, ask: Ask, message: Message) -> str | None:
        """Reply in the ask's thread (or DM, or privately); falls back to a private reply when not in the channel."""
        if ask.reply_in == "ephemeral":
            self.respond(ask, message)
            return None
        thread_ts = ask.thread_ts if ask.reply_in == "thread" else None
        try:
            response = self.client.chat_postMessage(
                channel=ask.channel,
                thread_ts=thread_ts,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
            return str(response["ts"])
        except SlackApiError as err:
            if not ask.response_url:
                raise
            log.warning("could not post in %s (%s); replying privately", ask.channel, err.response.get("error"))
            self.respond(ask, message)
            return None

    def respond(self, ask: Ask, message: Message) -> None:
        if not ask.response_url:
            raise ValueError(f"a {ask.source} ask has no response_url")
        WebhookClient(ask.response_url).send(
            text=message.text, blocks=message.blocks, response_type="ephemeral", replace_original=False
        )

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
        except SlackApiError as err:
            log.info("%s %s on %s failed: %s", method, name, ask.ts, err.response.get("error"))
        except Exception:
            log.warning("%s %s on %s failed", method, name, ask.ts, exc_info=True)


def ask_record(ask: Ask, answer_id: str, decision: str, **fields: Any) -> AnswerRecord:
    """A stored record of an ask that the engine did not answer."""
    return AnswerRecord(
        answer_id, ask.source, ask.channel, ask.user, decision, team=ask.team, message_ts=ask.ts, **fields
    )
