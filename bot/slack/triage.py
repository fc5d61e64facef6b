"""Resolving an escalation from the triage channel: link it to a known bug, or file it as a new one.

*Link* (a candidate, or any bug found by the search select) answers the asker in their thread with the bug, as a
reply with the usual buttons, learns the case as a confirmed example and counts it for the bug. *New known bug*
opens a modal prefilled from the case (`bot.slack.new_bug`); its submission writes the entry with the case's files
(`bot.slack.filing`), asks for a refresh (`on_filed`: `serve` runs the scheduled refresh at once, which only the
refresher leader carries out), counts the case for the new bug and tells the asker. Either way the escalation is
resolved once (a `triage:<answer id>` claim) and the triage post shows who resolved it and how.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.errors import BotError
from bot.knowledge import entry_folders
from bot.records import KnownBug
from bot.settings import Settings
from bot.slack.blocks import (
    OPTION_VALUE_CHARS,
    TRIAGE_BLOCK,
    Block,
    bug_option,
    escalation_message,
    filed_message,
    linked_message,
)
from bot.slack.claims import SlackStore
from bot.slack.delivery import Delivery, DeliveryFailed, slack_problem
from bot.slack.download import FileFetcher
from bot.slack.filing import Filing
from bot.slack.intake import Ask
from bot.slack.new_bug import field_errors, new_bug_view, prefill, read_submission
from bot.slack.teachers import Teachers
from bot.store import TRIAGE_SOURCE, AnswerRecord, CandidateRecord, learn_from_feedback, notice_place

log = logging.getLogger(__name__)

OPTIONS = 100  # Slack shows at most 100 options
ANSWER_GONE = "I can't find that escalation any more (it may be past retention)."
NOT_TRIAGER = "Only members of the triage group can resolve escalations."
RESOLVED = "This escalation was already resolved."
BUG_GONE = "That bug is no longer in the knowledge base; pick another."
NO_CATALOG = "The knowledge base cannot be searched right now; try again in a minute."
UNDELIVERED = "I couldn't post in the asker's thread, so nothing was linked; try again in a minute."
NO_FORM = "Slack did not open the form in time; press New known bug again."


class Catalog(Protocol):
    """The known bugs the triage actions offer: the served index's."""

    def bugs(self, bug_ids: Sequence[str]) -> dict[str, KnownBug]: ...

    def all_bugs(self) -> list[KnownBug]: ...


class IndexCatalog:
    """The bugs of the served index (`KnowledgeIndex`), listed once per index version."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self._listed: tuple[int, list[KnownBug]] | None = None

    def bugs(self, bug_ids: Sequence[str]) -> dict[str, KnownBug]:
        return dict(self.index.snapshot().bugs(list(bug_ids)))

    def all_bugs(self) -> list[KnownBug]:
        snapshot = self.index.snapshot()
        if self._listed is None or self._listed[0] != snapshot.version:
            self._listed = (snapshot.version, snapshot.all_bugs())
        return self._listed[1]


def search_bugs(bugs: Sequence[KnownBug], query: str, first: Sequence[str] = ()) -> list[KnownBug]:
    """The bugs whose id, title, product or tags contain every word typed; the `first` ids (the candidates) lead,
    then ids starting with what was typed, then by title."""
    words = query.lower().split()

    def text(bug: KnownBug) -> str:
        return " ".join((bug.id, bug.title, bug.product, *bug.tags)).lower()

    found = [b for b in bugs if all(w in text(b) for w in words)]
    lead = {bug_id: n for n, bug_id in enumerate(first)}
    typed = query.strip().lower()
    return sorted(found, key=lambda b: (lead.get(b.id, len(lead)), not b.id.startswith(typed), b.title.lower()))


def asker_ask(record: AnswerRecord) -> Ask:
    """Where to tell the asker of an answer something: their thread (or DM), as an ask the delivery understands."""
    channel, thread_ts = notice_place(record)
    return Ask(
        source="message" if thread_ts else "dm",
        channel=channel,
        user=record.user,
        ts=record.message_ts if channel == record.channel else None,
        thread_ts=thread_ts,
        reply_in="thread" if thread_ts else "channel",
    )


def ephemeral(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


class Triage:
    """Handles the triage actions on escalation posts (after bolt acked them) and the new-bug modal."""

    def __init__(self, settings: Settings, client: WebClient, store: SlackStore, catalog: Catalog | None) -> None:
        self.settings = settings
        self.client = client
        self.store = store
        self.catalog = catalog
        self.delivery = Delivery(settings, client)
        self.teachers = Teachers(settings, client)
        self.filing = Filing(settings, FileFetcher(settings, client))
        self.escalate = bool(settings.slack_triage_channel)
        self.on_filed: Callable[[], object] = lambda: None  # `serve` makes this run the refresh now

    # --- linking --------------------------------------------------------------------------------
    def link(self, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        """Answer the asker with the chosen bug, count and learn the case, mark the escalation resolved."""
        triager = (body.get("user") or {}).get("id", "")
        record, refusal = self.case(str(action.get("block_id", ""))[len(TRIAGE_BLOCK) :], triager)
        bug_id = str((action.get("selected_option") or {}).get("value", ""))
        bug = self.catalog.bugs([bug_id]).get(bug_id) if self.catalog and record else None
        if record is None or bug is None:
            ephemeral(respond, refusal or (BUG_GONE if self.catalog else NO_CATALOG))
            return
        key = f"triage:{record.id}"
        if not self.store.claim(key, self.settings.slack_claim_stale_seconds):
            ephemeral(respond, RESOLVED)
            return
        try:
            self.answer_with(record, bug, triager)
        except Exception as err:
            self.store.release(key)
            log.warning("linking %s to %s failed: %s", record.id, bug.id, err)
            ephemeral(respond, UNDELIVERED if isinstance(err, DeliveryFailed) else BotError.message)
            return
        log.info("escalation %s linked to %s by %s", record.id, bug.id, triager)
        note = f"🔗 <@{triager}> linked this to `{bug.id}` and answered the asker."
        self.settle(key, record, bug, triager, body.get("container") or {}, note)
        self.steps(f"linked {record.id}", {"learn the case": lambda: self.learn(record, bug, triager)})

    def answer_with(self, record: AnswerRecord, bug: KnownBug, triager: str) -> None:
        """Post the bug in the asker's thread as an answer of its own (so its buttons work as on any answer)."""
        candidate = CandidateRecord(bug.id, bug.title, 1.0, f"linked by {triager}")
        linked = AnswerRecord(
            uuid.uuid4().hex,
            TRIAGE_SOURCE,
            record.channel,
            record.user,
            "match",
            1.0,
            inputs=record.inputs,
            candidates=(candidate,),
            team=record.team,
            message_ts=record.message_ts,
            thread_ts=record.thread_ts,
            file_ids=record.file_ids,
        )
        self.store.record_answer(linked)
        message = linked_message(bug, linked.id, triager, self.reported(bug.id), escalate=self.escalate)
        sent = self.delivery.reply(asker_ask(record), message)
        self.store.set_reply_ts(linked.id, sent.ts)

    # --- searching ------------------------------------------------------------------------------
    def options(self, body: dict[str, Any]) -> list[Block]:
        """The options of the search select for what was typed: the case's candidates first."""
        if self.catalog is None:
            return []
        record = self.store.answer(str(body.get("block_id", ""))[len(TRIAGE_BLOCK) :])
        first = [c.bug_id for c in record.candidates] if record else []
        found = search_bugs(self.catalog.all_bugs(), str(body.get("value") or ""), first)
        return [bug_option(b.id, b.title) for b in found if len(b.id) <= OPTION_VALUE_CHARS][:OPTIONS]

    # --- filing ---------------------------------------------------------------------------------
    def open_new_bug(self, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        """Open the new-bug modal prefilled from the case (within Slack's 3 s for the trigger)."""
        triager = (body.get("user") or {}).get("id", "")
        record, refusal = self.case(str(action.get("value", "")), triager)
        if record is None or self.store.claimed(f"triage:{record.id}"):
            ephemeral(respond, refusal or RESOLVED)
            return
        escalation = self.escalation(record)
        bugs = self.catalog.all_bugs() if self.catalog else []
        taken = {b.id for b in bugs} | {f.name for f in self.knowledge_folders()}
        draft = prefill(record, bugs, bool(escalation.get("private", True)), escalation.get("permalink"), taken)
        container = body.get("container") or {}
        where = {"answer": record.id, "channel": container.get("channel_id", ""), "ts": container.get("message_ts", "")}
        try:
            self.client.views_open(trigger_id=body["trigger_id"], view=new_bug_view(draft, where))
        except Exception as err:  # noqa: BLE001 - the trigger expired (3 s) or Slack refused the view
            log.warning("could not open the new-bug form for %s: %s", record.id, slack_problem(err))
            ephemeral(respond, NO_FORM)

    def submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Check the form (errors shown under their fields), close it, then file the entry and resolve the case."""
        user = body.get("user") or {}
        triager = str(user.get("id", ""))
        where = json.loads(view.get("private_metadata") or "{}")
        draft, attach = read_submission(view)
        record, refusal = self.case(str(where.get("answer", "")), triager)
        files = record.file_ids if record and attach else ()
        errors = {"id": refusal} if refusal else field_errors(draft, Path(self.settings.knowledge_dir), bool(files))
        key = f"triage:{where.get('answer')}"
        if not errors and not self.store.claim(key, self.settings.slack_claim_stale_seconds):
            errors = {"id": RESOLVED}
        if errors or record is None:
            ack(response_action="errors", errors=errors)
            return
        ack()
        try:
            bug, notes = self.filing.file(
                draft, files, str(user.get("name") or user.get("username") or triager), triager
            )
        except BotError as err:
            self.store.release(key)
            self.tell_triager(where, triager, f"Nothing was filed: {err.message}")
            return
        note = f"📝 <@{triager}> filed this as the new known bug `{bug.id}` and told the asker."
        post = {"channel_id": where.get("channel"), "message_ts": where.get("ts")}
        self.settle(key, record, bug, triager, post, note)
        self.steps(
            f"filed {bug.id}",
            {
                "refresh now": self.on_filed,
                "tell the asker": lambda: self.delivery.reply(asker_ask(record), filed_message(bug)),
            },
        )
        if notes:
            self.tell_triager(where, triager, f"`{bug.id}` was filed. " + " ".join(notes))

    # --- shared ---------------------------------------------------------------------------------
    def case(self, answer_id: str, triager: str) -> tuple[AnswerRecord | None, str | None]:
        """The escalated answer, or None with the sentence saying why the triager cannot act on it."""
        if not self.teachers.may_triage(triager):
            return None, NOT_TRIAGER
        record = self.store.answer(answer_id) if answer_id else None
        return (record, None) if record else (None, ANSWER_GONE)

    def escalation(self, record: AnswerRecord) -> dict[str, Any]:
        """Who escalated the case and what its triage post was built from (permalink, private)."""
        press = next((p for p in self.store.feedback_of(record.id) if p["kind"] == "escalated"), None)
        return {"by": press["user"], **press["detail"]} if press else {}

    def settle(
        self, key: str, record: AnswerRecord, bug: KnownBug, triager: str, post: dict[str, Any], note: str
    ) -> None:
        """The escalation is resolved: its claim finished, the case counted for the bug, the triage post saying so
        (each step on its own: a failing one is logged and the others still run)."""
        self.steps(
            f"resolved {record.id}",
            {
                "finish the claim": lambda: self.store.finish(key),
                "count the case": lambda: self.count(record, bug, triager),
                "update the triage post": lambda: self.mark_post(record, triager, post, note),
            },
        )

    def count(self, record: AnswerRecord, bug: KnownBug, triager: str) -> None:
        self.store.add_report(record, bug.id, "linked", triager, self.escalation(record).get("permalink"))

    def learn(self, record: AnswerRecord, bug: KnownBug, triager: str) -> None:
        learned = learn_from_feedback(self.store, record, "linked", triager, bug.id)
        log.info("learned example %s of %s from the link of %s", learned, bug.id, record.id)

    def mark_post(self, record: AnswerRecord, triager: str, post: dict[str, Any], note: str) -> None:
        """Rebuild the triage post with `note` in place of its actions (and the counts as they are now)."""
        channel, ts = post.get("channel_id"), post.get("message_ts")
        if not (channel and ts):
            return
        escalation = self.escalation(record)
        counts = self.store.report_counts([c.bug_id for c in record.candidates], self.settings.report_days)
        private = bool(escalation.get("private", True))
        by = escalation.get("by") or triager
        message = escalation_message(record, by, escalation.get("permalink"), private, counts, resolved=note)
        self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)

    @staticmethod
    def steps(what: str, steps: dict[str, Callable[[], object]]) -> None:
        """Run each step on its own: one that fails is logged, and the others still run."""
        for step, run in steps.items():
            try:
                run()
            except Exception:
                log.exception("%s, but could not %s", what, step)

    def reported(self, bug_id: str) -> str:
        count = self.store.report_counts([bug_id], self.settings.report_days).get(bug_id)
        return count.line if count else ""

    def knowledge_folders(self) -> list[Path]:
        root = Path(self.settings.knowledge_dir)
        return entry_folders(root) if root.is_dir() else []

    def tell_triager(self, where: dict[str, str], triager: str, text: str) -> None:
        try:
            self.client.chat_postEphemeral(channel=where.get("channel") or triager, user=triager, text=text)
        except Exception:
            log.exception("could not tell %s: %s", triager, text)
