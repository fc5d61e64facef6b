"""Closing the support loop in Slack (issue 14): triage links and new known bugs, follow-ups, report counts and
fix notices — the real bolt app over signed HTTP against the fake Slack, a real LanceDB index, real OCR, and the
state on SQLite and on a real PostgreSQL server (`state_url`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from bot.matcher import Matcher
from bot.settings import SlackChannelPolicy
from bot.slack.blocks import ESCALATE, FIXED, NOT_IT, TRIAGE_PICK, TRIAGE_SEARCH
from bot.slack.claims import SlackStore
from bot.slack.notices import Notices
from bot.slack.triage import RESOLVED
from tests.fake_slack import BOT_USER, FakeSlack, action_payload, message_event, options_payload, server_error
from tests.loop_support import TRIAGER, choose, escalate, link, open_new_bug, press_fixed, start_loop_bot, submit
from tests.support import render_screenshot, write_bug, write_text_only_knowledge
from tests.test_slack_app import CURL_BUG, WAIT, blocks_text, buttons, start_bot

PSQL = "psql-role-missing"
OOM_LINES = [
    "deploy@billing-2:~$ java -jar billing-import.jar",
    'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
    "    at com.acme.billing.Import.load(Import.java:42)",
]


def updates_of(fake: FakeSlack, channel: str) -> list[dict]:
    return fake.updates(channel=channel)


def test_a_triage_link_answers_the_asker_at_once_counts_the_thread_and_learns(
    fake: FakeSlack, engine: Matcher, tmp_path: Path, state_url: str, screenshot: bytes
) -> None:
    bot = start_bot(fake, engine, tmp_path / "data", state_url=state_url)
    try:
        shot = fake.add_file("F200", "checkout.png", screenshot, "image/png")
        bot.sender.event(message_event("C20", "200.1", "checkout broken", files=[shot], user="UASK"))
        case = escalate(bot, "C20", "200.1")
        triage = blocks_text(case.triage)
        assert TRIAGE_PICK in triage and TRIAGE_SEARCH in triage and "New known bug" in triage

        searched = json.loads(bot.sender.interaction(options_payload(TRIAGE_SEARCH, case.block_id, "psql")).body)
        assert [o["value"] for o in searched["options"]] == [PSQL]
        first = json.loads(bot.sender.interaction(options_payload(TRIAGE_SEARCH, case.block_id, "")).body)
        assert first["options"][0]["value"] == CURL_BUG and len(first["options"]) == 5, "candidates lead, then all"

        seconds = link(bot, case, CURL_BUG, TRIAGE_PICK)
        assert seconds < 3.0, f"the asker's thread was answered {seconds:.2f} s after the click"
        linked = [p for p in fake.posts(channel="C20", thread_ts="200.1") if "linked this" in str(p.get("blocks"))]
        assert len(linked) == 1 and f"`{CURL_BUG}`" in blocks_text(linked[0]) and "Nothing listens" in blocks_text(linked[0])
        assert set(buttons(linked[0])) == {FIXED, NOT_IT, ESCALATE}
        [update] = fake.wait_for(lambda: updates_of(fake, "CTRIAGE"), WAIT, "the triage post resolved")
        assert f"<@{TRIAGER}> linked this to `{CURL_BUG}`" in blocks_text(update) and "triage_pick" not in blocks_text(update)
        store = bot.slack.store
        [example] = store.examples()
        assert example.bug_id == CURL_BUG and example.provenance["feedback"] == "linked"
        assert example.provenance["confirmed_by"] == TRIAGER and "Connection refused" in example.inputs[-1].text
        assert store.report_counts([CURL_BUG], 30)[CURL_BUG].reports == 1

        choose(bot, case, PSQL, TRIAGE_SEARCH, key="again")
        [again] = fake.wait_for(lambda: fake.responded("again"), WAIT, "the second link refused")
        assert again["text"] == RESOLVED and len(fake.posts(channel="C20", thread_ts="200.1")) == 3

        answer_id = buttons(linked[0])[FIXED]
        message = {"type": "message", "ts": "1.5", "thread_ts": "200.1", "text": "", "blocks": linked[0]["blocks"]}
        bot.sender.interaction(action_payload(FIXED, answer_id, message, "C20", fake.response_url("ok"), "UASK"))
        [ok] = fake.wait_for(lambda: fake.responded("ok"), WAIT, "This fixed it on the linked answer")
        assert "says this fixed it" in blocks_text(ok)
        assert store.report_counts([CURL_BUG], 30)[CURL_BUG].reports == 1, "one thread counts once"
        stats = store.stats(1)
        assert stats["asked"] == 1, "a link is not a question"
        assert stats["reports"] == [{"bug_id": CURL_BUG, "reports": 1, "people": 1}]

        shot2 = fake.add_file("F201", "again.png", screenshot, "image/png")
        bot.sender.event(message_event("C21", "201.1", "", files=[shot2], user="USOMEONE"))
        assert "Reported once by 1 person in the last 30 days" in blocks_text(bot.reply("C21", "201.1"))
    finally:
        bot.close()
