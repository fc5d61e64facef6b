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

from bot.matcher import Matcher
from bot.settings import Settings, SlackChannelPolicy
from bot.slack.blocks import ESCALATE, FIXED, NOT_IT, TRIAGE_PICK, TRIAGE_SEARCH
from bot.slack.claims import SlackStore
from bot.slack.notices import Notices
from bot.slack.triage import RESOLVED
from bot.store import schema
from tests.fake_slack import (
    BOT_TOKEN,
    BOT_USER,
    FakeSlack,
    action_payload,
    message_event,
    options_payload,
    server_error,
)
from tests.loop_support import TRIAGER, choose, escalate, link, open_new_bug, press_fixed, start_loop_bot, submit
from tests.support import SAMPLE_BUGS, render_screenshot, write_bug, write_text_only_knowledge
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
        assert (
            len(linked) == 1
            and f"`{CURL_BUG}`" in blocks_text(linked[0])
            and "Nothing listens" in blocks_text(linked[0])
        )
        assert set(buttons(linked[0])) == {FIXED, NOT_IT, ESCALATE}
        [update] = fake.wait_for(lambda: updates_of(fake, "CTRIAGE"), WAIT, "the triage post resolved")
        assert f"<@{TRIAGER}> linked this to `{CURL_BUG}`" in blocks_text(update) and "triage_pick" not in blocks_text(
            update
        )
        store = bot.slack.store
        [example] = fake.wait_for(store.examples, WAIT, "the case learned (after the triage post is updated)")
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


def git_repo(folder: Path) -> None:
    """Make `folder` a git work tree with everything in it committed."""
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "kb"]):
        subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True)


def test_a_new_known_bug_is_filed_from_the_modal_and_matched_after_one_refresh(
    fake: FakeSlack, sample_knowledge: Path, tmp_path: Path, state_url: str, shared_models: dict
) -> None:
    kb = Path(shutil.copytree(sample_knowledge, tmp_path / "knowledge"))
    git_repo(kb)
    loop = start_loop_bot(
        fake, kb, tmp_path / "data", shared_models, scheduled=True,
        state_url=state_url, refresh_interval_seconds=60, knowledge_git_commit=True,
    )  # fmt: skip
    bot = loop.bot
    try:
        shot = render_screenshot(OOM_LINES, tmp_path / "oom.png", size=(1000, 420), dark=False).read_bytes()
        oom = fake.add_file("F220", "oom.png", shot, "image/png")
        bot.sender.event(message_event("C22", "220.1", "billing import died", files=[oom], user="UASK"))
        assert bot.reply("C22", "220.1")["text"].startswith("Not sure — closest"), "not a known bug yet"
        case = escalate(bot, "C22", "220.1")
        view = open_new_bug(bot, case)
        fields = {b["block_id"]: b["element"] for b in view["blocks"]}
        new_id = fields["id"]["initial_value"]
        assert new_id.startswith("exception-in-thread-main-java-lang-outofmem"), "the error line read on screen"
        title = fields["title"]["initial_value"]
        assert title.lower().startswith('exception in thread "main" java.lang.outofmem') and "heap space" in title
        assert fields["status"]["initial_option"]["value"] == "open" and "initial_value" not in fields["resolution"]
        assert "billing import died" in fields["symptoms"]["initial_value"]
        assert "Java heap space" in fields["symptoms"]["initial_value"] and fields["product"]["initial_value"]
        assert fields["files"]["initial_options"], "the asker's screenshot is attached by default"

        refused = submit(bot, view, id="Not An Id", title=" ", links="https://ok.test/1\nnot a link" * 0 + "x" * 2001)
        assert refused["response_action"] == "errors"
        assert set(refused["errors"]) == {"id", "title", "links"}, refused["errors"]
        taken = submit(bot, view, id=CURL_BUG)
        assert "already has an entry" in taken["errors"]["id"]

        filed_at = time.monotonic()
        assert submit(bot, view) == {}, "a valid form closes"
        told = fake.wait_for(
            lambda: [p for p in fake.posts(channel="C22", thread_ts="220.1") if "new known bug" in p["text"]],
            WAIT,
            "the asker told",
        )
        assert new_id in str(told[0]["blocks"])
        assert sorted(p.name for p in (kb / new_id).iterdir()) == ["bug.md", "oom.png"]
        assert "status: open" in (kb / new_id / "bug.md").read_text()
        index = loop.bot.slack.triage.catalog
        assert index is not None
        fake.wait_for(lambda: index.bugs([new_id]), 60, "the new bug in the index after one refresh")
        indexed = time.monotonic() - filed_at
        assert indexed <= 60, f"indexed {indexed:.1f} s after filing"

        bot.sender.event(message_event("C23", "230.1", "", files=[fake.add_file("F230", "oom.png", shot, "image/png")]))
        again = bot.reply("C23", "230.1")
        assert "This looks like a known bug" in blocks_text(again) and f"`{new_id}`" in blocks_text(again)
        assert "Reported once by 1 person" in blocks_text(again), "the filed case counts for its bug"

        log = subprocess.run(
            ["git", "-C", str(kb), "log", "-1", "--format=%an|%s", "--name-only"], capture_output=True, text=True
        ).stdout
        assert log.startswith(f"Tess Triager|Add known bug {new_id}:") and f"{new_id}/oom.png" in log
        [update] = fake.wait_for(lambda: updates_of(fake, "CTRIAGE"), WAIT, "the triage post resolved")
        assert f"filed this as the new known bug `{new_id}`" in blocks_text(update)
        assert submit(bot, view, id=new_id + "-2")["errors"]["id"] == RESOLVED
    finally:
        loop.close()


def notices_in(fake: FakeSlack, channel: str) -> list[tuple[str | None, str]]:
    """(thread, text) of every fix notice posted in a channel."""
    return [(p.get("thread_ts"), p["text"]) for p in fake.posts(channel=channel) if p["text"].startswith("Update:")]


def test_fix_notices_go_once_to_each_thread_per_change_across_restarts(
    fake: FakeSlack, tmp_path: Path, state_url: str, shared_models: dict
) -> None:
    kb = write_text_only_knowledge(tmp_path / "knowledge")
    title, tags, symptoms, _, _ = SAMPLE_BUGS[PSQL]
    start = {"state_url": state_url}
    loop = start_loop_bot(fake, kb, tmp_path / "data", shared_models, scheduled=False, **start)
    bot, store = loop.bot, loop.bot.slack.store
    try:
        for channel, ts, user in (("C30", "300.1", "UASK1"), ("C31", "310.1", "UASK2"), ("C33", "330.1", "UASK4")):
            bot.sender.event(
                message_event(channel, ts, f"<@{BOT_USER}> psql says role deploy does not exist", user=user)
            )
            press_fixed(bot, channel, ts, user)
        bot.sender.event(message_event("C32", "320.1", f"<@{BOT_USER}> nightly export cannot log in", user="UASK3"))
        link(bot, escalate(bot, "C32", "320.1", "UASK3"), PSQL, TRIAGE_SEARCH)
        with store.db.begin() as conn:  # C33's report is older than the notice window
            conn.execute(
                schema.reports.update()
                .where(schema.reports.c.channel == "C33")
                .values(created=time.time() - 100 * 86400)
            )
        assert store.report_counts([PSQL], 30)[PSQL].reports == 3

        assert loop.refresher.refresh().changes == [] and loop.notices.send() == 0, "nothing changed, nothing said"
        write_bug(
            kb,
            PSQL,
            title,
            tags,
            symptoms,
            "Fixed in 2.4: upgrade the orders service.\n\nOlder: createuser.",
            status="fixed",
        )
        report = loop.refresher.refresh()
        [change] = report.changes
        assert (change["bug_id"], change["old_status"], change["new_status"]) == (PSQL, "workaround", "fixed")
        assert change["old_resolution"].startswith("Create the role") and change["new_resolution"].startswith(
            "Fixed in 2.4"
        )
        assert loop.notices.send() == 3
        expected = f"Update: {title} is now fixed — Fixed in 2.4: upgrade the orders service."
        for channel, ts in (("C30", "300.1"), ("C31", "310.1"), ("C32", "320.1")):
            assert notices_in(fake, channel) == [(ts, expected)]
        assert notices_in(fake, "C33") == [], "a report older than notice_days gets no notice"
        assert loop.notices.send() == 0 and loop.refresher.refresh().changes == [] and loop.notices.send() == 0

        write_bug(kb, PSQL, title, tags, symptoms, "Fixed in 2.4.1: upgrade again.", status="fixed")
        assert len(loop.refresher.refresh().changes) == 1  # recorded; the process stops before posting
    finally:
        loop.close()

    restarted = start_loop_bot(fake, kb, tmp_path / "data", shared_models, scheduled=False, **start)
    try:
        assert restarted.refresher.refresh().changes == []
        fake.fail("chat.postMessage", server_error(503), channel="C31")
        assert restarted.notices.send() == 2, "the change recorded before the restart is announced after it"
        fake.heal()
        assert restarted.notices.send() == 1, "the thread whose post failed gets it on the next run"
        assert restarted.notices.send() == 0
        again = f"Update: {title} has an updated resolution — Fixed in 2.4.1: upgrade again."
        for channel, ts in (("C30", "300.1"), ("C31", "310.1"), ("C32", "320.1")):
            assert notices_in(fake, channel) == [(ts, expected), (ts, again)]
    finally:
        restarted.close()
    store = SlackStore.open(restarted.settings)
    try:
        assert Notices(restarted.settings, restarted.bot.slack.bolt.client, store).send() == 0, "never twice"
    finally:
        store.close()


def test_the_askers_follow_up_is_read_with_the_thread_and_updates_the_one_answer(
    fake: FakeSlack, engine: Matcher, tmp_path: Path, screenshot: bytes
) -> None:
    quiet = {"CNOFU": SlackChannelPolicy(follow_ups=False)}
    bot = start_bot(fake, engine, tmp_path / "data", slack_channels=quiet)
    try:
        for channel in ("C40", "CNOFU"):
            bot.sender.event(message_event(channel, "400.1", f"<@{BOT_USER}> prod broke after the deploy", user="UASK"))
            bot.reply(channel, "400.1")
        first = bot.slack.store.latest_in_thread("C40", "400.1")
        assert first is not None and first.reply_ts

        shot = fake.add_file("F400", "shot.png", screenshot, "image/png")
        bot.sender.event(message_event("C40", "400.2", "here", files=[shot], user="UASK", thread_ts="400.1"))
        [update] = fake.wait_for(lambda: updates_of(fake, "C40"), WAIT, "the answer updated")
        assert update["ts"] == first.reply_ts and f"`{CURL_BUG}`" in blocks_text(update)
        assert len(fake.posts(channel="C40", thread_ts="400.1")) == 1, "updated, not added"
        latest = bot.slack.store.latest_in_thread("C40", "400.1")
        assert latest is not None and latest.id != first.id and latest.reply_ts == first.reply_ts
        read = [(i.name, i.kind) for i in latest.inputs]
        assert ("message", "text") in read and ("shot.png", "image") in read
        assert any("prod broke after the deploy" in i.text for i in latest.inputs), "the thread's earlier message"
        assert latest.file_ids == ("F400",) and buttons(update)[FIXED] == latest.id

        fake.fail("chat.update", "cant_update_message", channel="C40")
        bot.sender.event(
            message_event("C40", "400.25", "psql says role deploy does not exist", user="UASK", thread_ts="400.1")
        )
        anew = fake.wait_for(lambda: fake.posts(channel="C40", thread_ts="400.1")[1:], WAIT, "a reply anew")[0]
        newest = bot.slack.store.latest_in_thread("C40", "400.1")
        assert newest is not None and buttons(anew)[FIXED] == newest.id, (
            "an answer that cannot be updated is posted again"
        )
        assert len(newest.inputs) == len(latest.inputs) + 1, "the whole thread, once each"
        fake.heal()
        offered = bot.slack.responder.counts["offered"]
        bot.sender.event(message_event("C40", "400.3", "same here!", user="UOTHER", thread_ts="400.1"))
        said = "psql says role deploy does not exist"
        bot.sender.event(message_event("CNOFU", "400.3", said, user="UASK", thread_ts="400.1"))
        press_fixed(bot, "C40", "400.1", "UASK", anew)
        bot.sender.event(message_event("C40", "400.4", "thanks, that was it", user="UASK", thread_ts="400.1"))
        bot.settle(offered)
        time.sleep(1.0)
        assert bot.slack.responder.counts["offered"] == offered, "others, a closed answer and an off channel: no"
        assert len(updates_of(fake, "C40")) == 1 and updates_of(fake, "CNOFU") == []
        assert len(fake.posts(channel="C40", thread_ts="400.1")) == 2
    finally:
        bot.close()


def test_a_long_thread_s_follow_up_is_read_with_its_first_and_newest_inputs_only() -> None:
    from bot.slack.follow_ups import context_inputs
    from bot.store import AnswerRecord, InputRecord

    said = [InputRecord("message", "text", f"follow-up {n}") for n in reversed(range(1, 200))]  # newest first
    first = (InputRecord("shot.png", "image", "psql: FATAL: role deploy does not exist"), InputRecord("gone", "image"))
    record = AnswerRecord("a1", "message", "C40", "UASK", "match", 0.9, thread_ts="1.1", inputs=(*said, *first))
    kept = context_inputs(record, 4)
    assert [i.text for i in kept] == ["follow-up 199", "follow-up 198", "follow-up 197", first[0].text]
    assert kept[-1].kind == "image" and kept[-1].lines[0].origin == "screen"
    assert len(context_inputs(record, 500)) == 200, "a thread within the limit is read whole, unreadable inputs not"


def test_supportbot_refresh_lists_changes_and_posts_the_notices_when_it_has_a_token(
    fake: FakeSlack, tmp_path: Path, shared_models: dict
) -> None:
    from click.testing import CliRunner

    from bot.cli import main
    from bot.store import AnswerRecord, Store

    kb = write_text_only_knowledge(tmp_path / "knowledge")
    data = tmp_path / "data"
    models = Path(shared_models["settings"].data_dir) / "models"
    if models.is_dir():
        shutil.copytree(models, data / "models")
    env = {"SUPPORTBOT_DATA_DIR": str(data), "SUPPORTBOT_KNOWLEDGE_DIR": str(kb), "SUPPORTBOT_SLACK_BOT_TOKEN": ""}
    assert CliRunner().invoke(main, ["refresh"], env=env).exit_code == 0
    store = Store.open(Settings(data_dir=data))
    asked = AnswerRecord("a1", "message", "C50", "UASK", "match", 0.9, thread_ts="500.1", reply_ts="500.2")
    store.record_answer(asked)
    store.add_report(asked, PSQL, "confirmed", "UASK")
    store.close()
    title, tags, symptoms, _, _ = SAMPLE_BUGS[PSQL]
    write_bug(kb, PSQL, title, tags, symptoms, "Fixed in 2.4.", status="fixed")

    quiet = CliRunner().invoke(main, ["refresh"], env=env)
    assert f"changed: {PSQL}: workaround → fixed, resolution changed" in quiet.output
    assert "`serve` posts them after its next refresh" in quiet.output and fake.posts() == []
    slack = {**env, "SUPPORTBOT_SLACK_BOT_TOKEN": BOT_TOKEN, "SUPPORTBOT_SLACK_API_URL": fake.api_url}
    posted = CliRunner().invoke(main, ["refresh", "--json"], env=slack)
    assert json.loads(posted.output)["changes"] == [] and json.loads(posted.output)["notices_posted"] == 1
    assert [(p["channel"], p["thread_ts"], p["text"]) for p in fake.posts()] == [
        ("C50", "500.1", f"Update: {title} is now fixed — Fixed in 2.4.")
    ]
