"""Answer asks off the ack path: claim, admit, 👀, download and match within a budget, reply, record, react.

A follow-up (`bot.slack.follow_ups`) is matched with what its thread already said and updates the bot's reply in
place instead of adding one.

Every ask ends in a reply or one sentence, once: a message is claimed in the store before it is worked on and
finished when the reply is out (a claim left by a process that died is taken over by a redelivery once stale);
asks over a user's or channel's rate, or beyond the queue, are told so; shutdown drains with a deadline and
releases what never started.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections import Counter
from dataclasses import replace
from typing import Any, Protocol

from slack_sdk import WebClient

from bot.errors import BotError, EmptyQuery
from bot.records import Answer, Attachment, Query
from bot.settings import Settings
from bot.slack.admission import RateLimiter, Refusal
from bot.slack.blocks import Message, answer_message, error_message, notes_message
from bot.slack.budget import Budget
from bot.slack.claims import SlackStore
from bot.slack.delivery import Delivery, DeliveryFailed
from bot.slack.download import FileFetcher, transcript_preview
from bot.slack.follow_ups import context_inputs
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
RESTARTING = "I'm restarting and didn't get to this one; please ask again in a minute."


class Engine(Protocol):
    """Anything that answers queries: `bot.matcher.Matcher` in production."""

    def match(self, query: Query) -> Answer: ...


class Responder:
    """Runs admitted asks on `slack_workers` threads and replies where each ask says; never lets one go silent."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        client: WebClient,
        store: SlackStore,
        fetcher: FileFetcher | None = None,
        delivery: Delivery | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.store = store
        self.fetcher = fetcher or FileFetcher(settings, client)
        self.delivery = delivery or Delivery(settings, client)
        self.limiter = RateLimiter(store, settings.slack_user_asks_per_minute, settings.slack_channel_asks_per_minute)
        self.budget = Budget(settings.slack_workers, settings.slack_ask_seconds)
        self.escalate = bool(settings.slack_triage_channel)
        self.counts: Counter[str] = Counter()
        self._queue: queue.Queue[Ask | None] = queue.Queue()
        self._state = threading.Condition()
        self._busy = 0  # asks offered or admitted and not yet done
        self._waiting = 0  # admitted asks no worker has started
        self._held: set[str] = set()  # keys this process claimed and has not settled
        self._closing = False  # no new asks are taken
        self._stopped = False  # the drain deadline passed: queued asks are released, not started
        self._workers = [
            threading.Thread(target=self._work, name=f"supportbot-answer-{n}", daemon=True)
            for n in range(settings.slack_workers)
        ]
        for worker in self._workers:
            worker.start()

    # --- taking asks ------------------------------------------------------------------------------
    def submit_once(self, ask: Ask, delay: float = 0.0) -> None:
        """Take an ask unless its message was already claimed (retries, re-deliveries, message + mention).

        With a `delay`, the claim waits so that the same message's `message` event, which carries the files,
        can claim it first.
        """
        self._enter("offered")
        if delay > 0:
            timer = threading.Timer(delay, self._offer, args=(ask,))
            timer.daemon = True
            timer.start()
        else:
            self._offer(ask)

    def _offer(self, ask: Ask) -> None:
        try:
            if not self._claim(ask):
                log.info("skipping %s: already handled", ask.key)
                self._count("duplicates")
            elif self._closing:
                self._abandon(ask, reacted=False)
            else:
                self._admit(ask)
        except Exception:
            log.exception("taking a %s from %s in %s failed", ask.source, ask.user, ask.channel)
            self._settle(ask, answered=False)
        finally:
            self._leave()

    def _claim(self, ask: Ask) -> bool:
        """Claim the ask's message for this process (always True for asks without a key)."""
        if ask.key is None:
            return True
        with self._state:
            if ask.key in self._held or not self.store.claim(ask.key, self.settings.slack_claim_stale_seconds):
                return False
            self._held.add(ask.key)
            return True

    def _admit(self, ask: Ask) -> None:
        """Queue the ask, or tell the asker why not (over a rate limit, or the queue is full)."""
        refusal: Refusal | None = self.limiter.admit(ask.user, ask.channel)
        if refusal is None:
            with self._state:
                if self._waiting >= self.settings.slack_queue_size:
                    refusal = "busy"
                else:
                    self._waiting += 1
                    self._busy += 1
        if refusal is not None:
            self._shed(ask, refusal)
            return
        self.delivery.react(ask, WORKING)
        self._queue.put(ask)

    def _shed(self, ask: Ask, refusal: Refusal) -> None:
        """An ask not taken: its claim is finished (it was answered, with a sentence) and the asker told once."""
        log.info("not taking a %s from %s in %s: %s", ask.source, ask.user, ask.channel, refusal)
        self._count(f"refused_{refusal}")
        self._settle(ask, answered=True)
        if refusal == "busy" or self.limiter.first_refusal(ask.user):
            self.delivery.tell(ask, self.limiter.sentence(refusal))

    def _abandon(self, ask: Ask, reacted: bool) -> None:
        """An ask that never started before shutdown: release its claim (a redelivery is answered) and say so."""
        self._count("released")
        self._settle(ask, answered=False)
        if reacted:
            self.delivery.unreact(ask, WORKING)
        self.delivery.tell(ask, RESTARTING)

    def _settle(self, ask: Ask, answered: bool) -> None:
        """Finish the ask's claim (answered) or release it (to be tried again); either way this process lets go.
        A key this process does not hold (its claim failed) is left alone."""
        with self._state:
            if ask.key not in self._held:
                return
        try:
            if answered:
                self.store.finish(ask.key)
            else:
                self.store.release(ask.key)
        except Exception:
            log.exception("could not %s the claim on %s", "finish" if answered else "release", ask.key)
        with self._state:
            self._held.discard(ask.key)

    # --- bookkeeping ------------------------------------------------------------------------------
    def _enter(self, counter: str) -> None:
        with self._state:
            self._busy += 1
            self.counts[counter] += 1

    def _leave(self) -> None:
        with self._state:
            self._busy -= 1
            self._state.notify_all()

    def _count(self, counter: str) -> None:
        with self._state:
            self.counts[counter] += 1

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no ask is offered, queued or being answered; False on timeout."""
        with self._state:
            return self._state.wait_for(lambda: self._busy == 0, timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Stop taking asks, let those in progress finish for up to `timeout` (default `slack_drain_seconds`),
        then release and tell the asks no worker started; True when nothing was left running."""
        self._closing = True
        drained = self.wait_idle(self.settings.slack_drain_seconds if timeout is None else timeout)
        self._stopped = True
        while True:
            try:
                ask = self._queue.get_nowait()
            except queue.Empty:
                break
            if ask is not None:
                self._started()
                self._abandon(ask, reacted=True)
                self._leave()
        for _ in self._workers:
            self._queue.put(None)
        if not drained:
            log.warning("shut down with %d asks still being answered; a redelivery will answer them", self._busy)
        return drained

    # --- answering --------------------------------------------------------------------------------
    def _work(self) -> None:
        while (ask := self._queue.get()) is not None:
            self._started()
            try:
                if self._stopped:
                    self._abandon(ask, reacted=True)
                else:
                    self.run(ask)
            finally:
                self._leave()

    def _started(self) -> None:
        with self._state:
            self._waiting -= 1

    def run(self, ask: Ask) -> None:
        """Answer one ask: work out the reply within the budget, deliver it, settle the claim, swap 👀."""
        reaction: str | None = None
        try:
            record, message = self.prepare(ask)
            reaction = self.deliver(ask, record, message)
        except Exception:
            log.exception("answering a %s from %s in %s failed", ask.source, ask.user, ask.channel)
        finally:
            self._settle(ask, answered=reaction is not None)
            self.delivery.unreact(ask, WORKING)
            if reaction:
                self.delivery.react(ask, reaction)

    def prepare(self, ask: Ask) -> tuple[AnswerRecord, Message | None]:
        """The record and the reply (None: stay silent); any failure becomes one sentence."""
        try:
            return self.budget.run(lambda: self.compose(ask))
        except BotError as err:
            log.info("a %s in %s got no answer: %s", ask.source, ask.channel, err.message)
            return ask_record(ask, uuid.uuid4().hex, "error", error=err.message), error_message([err.message])
        except Exception:
            log.exception("answering a %s from %s in %s failed", ask.source, ask.user, ask.channel)
            return ask_record(ask, uuid.uuid4().hex, "error", error="internal error"), error_message([BotError.message])

    def compose(self, ask: Ask) -> tuple[AnswerRecord, Message | None]:
        """Download the ask's files and match (no Slack side effects: this may run past its budget)."""
        answer_id = uuid.uuid4().hex
        previous = self.store.answer(ask.previous) if ask.previous else None
        attachments, notes, heard = self.gather(ask)
        failed = tuple(InputRecord(name, "file", error=why) for name, why in notes)
        text = "\n".join(t for t in (ask.text, *heard) if t)
        if not text and not attachments:
            message = notes_message(notes) if notes else error_message([EmptyQuery.message])
            return ask_record(ask, answer_id, "error", error=message.text, inputs=failed), message
        try:
            earlier = context_inputs(previous, self.settings.slack_follow_up_inputs) if previous else ()
            answer = self.engine.match(Query(text=text, attachments=tuple(attachments), context=earlier))
        except BotError as err:
            log.info("engine refused a %s in %s: %s", ask.source, ask.channel, err.message)
            return ask_record(ask, answer_id, "error", error=err.message, inputs=failed), error_message([err.message])
        record = answer_record(answer, answer_id, **where(ask))
        record = replace(record, inputs=record.inputs + failed)
        if previous is not None:  # the follow-up's answer takes over the earlier reply, and its files
            record = replace(record, reply_ts=previous.reply_ts, file_ids=previous.file_ids + record.file_ids)
        return record, self.reply_for(ask, answer, answer_id, notes)

    def reply_for(self, ask: Ask, answer: Answer, answer_id: str, notes: list[tuple[str, str]]) -> Message | None:
        """The reply to post, or None to stay silent (an overheard message in a quiet channel)."""
        if answer.decision == "no_match" and ask.quiet_if_unknown:  # overheard: a picture of the office plant
            return None
        unusable = [(i.name, i.error) for i in answer.inputs if i.error]
        if answer.decision == "no_match" and unusable and not any(i.text.strip() for i in answer.inputs):
            return notes_message([*notes, *unusable])
        offered = answer.best.bug.id if answer.best and answer.decision != "no_match" else None
        reported = self.reported(offered) if offered else ""
        return answer_message(answer, answer_id, notes, escalate=self.escalate, reported=reported)

    def reported(self, bug_id: str) -> str:
        """ "Reported 3 times by 2 people in the last 30 days" ("" when never, or when the store cannot say)."""
        try:
            count = self.store.report_counts([bug_id], self.settings.report_days).get(bug_id)
        except Exception:
            log.exception("could not count the reports of %s", bug_id)
            return ""
        return count.line if count else ""

    def gather(self, ask: Ask) -> tuple[list[Attachment], list[tuple[str, str]], list[str]]:
        """Download the ask's files (no more than the engine reads, `max_files_per_ask`): attachments, (name,
        reason) for each refused or skipped file, Slack's transcripts."""
        attachments, notes, heard = [], [], []
        most = self.settings.max_files_per_ask
        for number, file in enumerate(ask.files):
            name = str(file.get("name") or file.get("title") or file.get("id") or "file")
            if number >= most:
                notes.append(
                    (name, f"Not read: only the first {most} files are read; please send it in a message of its own.")
                )
                continue
            try:
                attachments.append(self.fetcher.fetch(file))
            except BotError as err:
                notes.append((name, err.message))
            if preview := transcript_preview(file):
                heard.append(preview)
        return attachments, notes, heard

    def deliver(self, ask: Ask, record: AnswerRecord, message: Message | None) -> str | None:
        """Store the one record (none for a silent no-match), post the reply (privately when the channel refuses
        it) and note where it went.

        Returns the result reaction ("" for a silent no-match), or None when the reply could not be delivered.
        """
        self._count("answered" if record.decision != "error" else "failed")
        if message is None:
            return ""
        self._store(record)
        try:
            if ask.previous and record.reply_ts and record.decision != "error":
                sent = self.delivery.update(ask, message, record.reply_ts)
            else:
                sent = self.delivery.reply(ask, message)
        except DeliveryFailed as failed:
            log.warning("reply to %s in %s was not delivered: %s", ask.user, ask.channel, failed.problem)
            self._store(replace(record, error=joined(record.error, f"reply not delivered: {failed.problem}")))
            return None
        if sent.ts or sent.note:
            self._store(replace(record, reply_ts=sent.ts, error=joined(record.error, sent.note) or None))
        return RESULT_REACTIONS.get(record.decision, "warning")

    def _store(self, record: AnswerRecord) -> None:
        """Store (or update) the answer record; a store failure is logged and the reply still goes out."""
        try:
            self.store.record_answer(record)
        except Exception:
            log.exception("could not store answer %s", record.id)


def joined(*notes: str | None) -> str:
    return "; ".join(n for n in notes if n)


def where(ask: Ask) -> dict[str, Any]:
    """Who asked, where, in which thread the reply goes, and the Slack files it came with: an answer record's
    fields that come from the ask."""
    return {
        "source": ask.source,
        "channel": ask.channel,
        "user": ask.user,
        "team": ask.team,
        "message_ts": ask.ts,
        "thread_ts": ask.thread_ts if ask.reply_in == "thread" else None,
        "file_ids": tuple(str(f["id"]) for f in ask.files if f.get("id")),
    }


def ask_record(ask: Ask, answer_id: str, decision: str, **fields: Any) -> AnswerRecord:
    """A stored record of an ask that the engine did not answer."""
    return AnswerRecord(answer_id, decision=decision, **where(ask), **fields)
