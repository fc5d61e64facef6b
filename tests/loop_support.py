"""The support loop as Slack drives it, for the tests and `bench/bench_loop.py`: escalate an answer, link it from
the triage channel, file a new known bug through the modal; and a bot with its own knowledge folder, index,
refresher and scheduler (so filing and fix notices run as in `serve`)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from bot.index import KnowledgeIndex
from bot.matcher import Matcher
from bot.refresh import Refresher, build_refresher
from bot.schedule import refresh_soon, start_refresh_scheduler
from bot.settings import Settings
from bot.slack.blocks import ESCALATE, FIXED, TRIAGE_BLOCK, TRIAGE_NEW
from bot.slack.notices import Notices
from tests.fake_slack import FakeSlack, action_payload, select_payload, submitted_values, view_submission
from tests.test_slack_app import WAIT, Bot, blocks_text, buttons, start_bot

TRIAGER = "UTRIAGE1"


@dataclass
class Case:
    """An escalated answer: its id and the triage post as block actions carry it."""

    answer_id: str
    triage: dict[str, Any]

    @property
    def block_id(self) -> str:
        return TRIAGE_BLOCK + self.answer_id


def escalate(bot: Bot, channel: str, thread_ts: str, user: str = "UASK") -> Case:
    """Press "Escalate to support" on the bot's reply in a thread; the case as posted to the triage channel."""
    fake = bot.fake
    reply = bot.reply(channel, thread_ts)
    answer_id = buttons(reply)[ESCALATE]
    press = action_payload(ESCALATE, answer_id, posted(bot, reply, answer_id), channel, fake.response_url("e"), user)
    bot.sender.interaction(press)

    def escalated() -> dict[str, Any] | None:
        found = [p for p in bot.slack.store.feedback_of(answer_id) if p["kind"] == "escalated"]
        return found[0] if found else None

    detail = fake.wait_for(escalated, WAIT, "the escalation")["detail"]
    fake.wait_for(
        lambda: [p for p in fake.posts(channel=channel) if "support team" in p["text"]], WAIT, "the asker told"
    )
    post = next(p for p in fake.posts(channel="CTRIAGE") if answer_id in blocks_text(p))
    blocks = post["blocks"] if isinstance(post["blocks"], list) else json.loads(post["blocks"])
    return Case(answer_id, {"type": "message", "ts": detail["triage_ts"], "text": post["text"], "blocks": blocks})


def posted(bot: Bot, reply: dict[str, Any], answer_id: str) -> dict[str, Any]:
    """The bot's reply as a block action carries it (its ts is the one the store noted)."""
    record = bot.slack.store.answer(answer_id)
    assert record is not None
    blocks = reply["blocks"] if isinstance(reply["blocks"], list) else json.loads(reply["blocks"])
    return {
        "type": "message",
        "ts": record.reply_ts,
        "thread_ts": reply.get("thread_ts"),
        "text": reply["text"],
        "blocks": blocks,
    }


def link(bot: Bot, case: Case, bug_id: str, action_id: str, key: str = "link") -> float:
    """Choose `bug_id` in one of the case's link selects; seconds from the click to the answer in the asker's
    thread (as the fake Slack received it). Returns once the triage post is marked resolved (the case counted)."""
    fake = bot.fake
    record = bot.slack.store.answer(case.answer_id)
    assert record is not None
    clicked = time.monotonic()
    choose(bot, case, bug_id, action_id, key)

    def answered() -> list[Any]:
        calls = fake.calls_to("chat.postMessage", channel=record.channel, thread_ts=record.thread_ts)
        return [c for c in calls if c.ok and c.at >= clicked and "linked this" in str(c.args.get("blocks"))]

    seconds = float(fake.wait_for(answered, WAIT, "the linked answer")[0].at - clicked)
    fake.wait_for(lambda: fake.updates(channel="CTRIAGE", ts=case.triage["ts"]), WAIT, "the case marked resolved")
    return seconds


def choose(bot: Bot, case: Case, bug_id: str, action_id: str, key: str) -> None:
    """Send the block action of choosing `bug_id` in a link select of the triage post."""
    url = bot.fake.response_url(key)
    payload = select_payload(action_id, case.block_id, bug_id, case.triage, "CTRIAGE", url, TRIAGER)
    assert bot.sender.interaction(payload).status == 200


def open_new_bug(bot: Bot, case: Case) -> dict[str, Any]:
    """Press "New known bug"; the modal Slack was asked to open."""
    fake = bot.fake
    opened = len(fake.views_opened())
    press = action_payload(TRIAGE_NEW, case.answer_id, case.triage, "CTRIAGE", fake.response_url("new"), TRIAGER)
    assert bot.sender.interaction(press).status == 200
    return fake.wait_for(lambda: fake.views_opened()[opened:], WAIT, "the new-bug modal")[0]


def submit(bot: Bot, view: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Submit the modal (fields at their prefilled values, but for `changes`); Slack's answer to the submission."""
    state = {"values": submitted_values(view, **changes)}
    sent = bot.sender.interaction(view_submission({**view, "state": state}, TRIAGER))
    assert sent.status == 200, sent.body
    return json.loads(sent.body) if sent.body else {}


def press_fixed(bot: Bot, channel: str, thread_ts: str, user: str, reply: dict[str, Any] | None = None) -> str:
    """The asker presses "This fixed it" on the bot's reply in a thread (or on `reply`, as updated); the answer's
    id."""
    reply = reply or bot.reply(channel, thread_ts)
    answer_id = buttons(reply)[FIXED]
    key = f"fixed-{channel}-{thread_ts}"
    press = action_payload(FIXED, answer_id, posted(bot, reply, answer_id), channel, bot.fake.response_url(key), user)
    bot.sender.interaction(press)
    bot.fake.wait_for(lambda: bot.fake.responded(key), WAIT, "the press acknowledged")
    return answer_id


@dataclass
class LoopBot:
    """A bot over its own knowledge folder, with the refresher and the scheduler `serve` would run."""

    bot: Bot
    settings: Settings
    refresher: Refresher
    notices: Notices
    scheduler: BackgroundScheduler | None

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
        self.bot.close()


def start_loop_bot(
    fake: FakeSlack, knowledge: Path, data_dir: Path, shared_models: dict, scheduled: bool, **overrides: Any
) -> LoopBot:
    """Index `knowledge`, then run the bot on it; with `scheduled`, the refresh job (then the fix notices) runs as
    in `serve` and a filed bug asks for it at once."""
    settings = Settings(knowledge_dir=knowledge, data_dir=data_dir, **overrides)
    embedder, extractor = shared_models["embedder"], shared_models["extractor"]
    refresher = build_refresher(settings, embedder, extractor)
    refresher.refresh()
    matcher = Matcher(settings, embedder, extractor, KnowledgeIndex(settings, embedder.fingerprint))
    bot = start_bot(fake, matcher, data_dir, knowledge_dir=knowledge, **overrides)
    notices = Notices(bot.slack.responder.settings, bot.slack.bolt.client, bot.slack.store)
    scheduler = None
    if scheduled:
        scheduler = start_refresh_scheduler(settings, refresher, after=lambda _report: notices.send())
        bot.slack.triage.on_filed = lambda: refresh_soon(scheduler)
    return LoopBot(bot, settings, refresher, notices, scheduler)
