"""Faults, load and hostile input (issue 13), one test per row of the table in docs/SECURITY.md.

Each test runs the real bolt app over signed HTTP against the fake Slack (which injects the faults) or the real
refresh over a real knowledge folder, and asserts what the user and the store end up with: a reply or one
sentence, exactly once, nothing lost.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from click.testing import CliRunner

from bot.cli import main
from bot.leader import FileLease, Leader
from bot.matcher import Matcher
from bot.records import Answer, Query
from bot.refresh import RefreshTimedOut, build_refresher
from bot.schedule import schedule_campaign
from bot.settings import Settings
from bot.slack.admission import BUSY
from bot.slack.blocks import ESCALATE
from bot.slack.budget import TooSlow
from bot.slack.buttons import ALREADY_ESCALATED, TRIAGE_UNREACHABLE
from bot.slack.claims import SlackStore
from bot.slack.responder import RESTARTING
from bot.slack.serve import make_http_server
from bot.store import AnswerRecord, schema
from tests.fake_slack import (
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    FakeSlack,
    RecordingHost,
    SlackSender,
    action_payload,
    command_form,
    connection_reset,
    message_event,
    rate_limited,
    server_error,
    shortcut_payload,
)
from tests.support import SAMPLE_BUGS, copy_index, stored_answers, write_bug, write_text_only_knowledge
from tests.test_slack_app import WAIT, Bot, blocks_text, buttons, posted_message, start_bot

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "psql says role deploy does not exist"
ROLE_BUG = "psql-role-missing"
ASKER = "UASKER01"
GOOD = {*SAMPLE_BUGS, "new-good"}


@pytest.fixture
def bot(fake: FakeSlack, engine: Matcher, tmp_path: Path) -> Iterator[Bot]:
    running = start_bot(fake, engine, tmp_path / "data")
    yield running
    running.close()


def ask_in(bot: Bot, channel: str, ts: str, user: str = ASKER, text: str = QUESTION, retry: int | None = None) -> None:
    event = message_event(channel, ts, f"<@{BOT_USER}> {text}", user=user)
    assert bot.sender.event(event, retry=retry).status == 200


def claim_state(store: SlackStore, key: str) -> str | None:
    """The claim's state as the store holds it: "claimed", "answered" or None (no claim)."""
    c = schema.claims
    with store.db.begin() as conn:
        return conn.execute(c.select().with_only_columns(c.c.state).where(c.c.key == key)).scalar()


def records_for(store: SlackStore, channel: str, ts: str) -> list[AnswerRecord]:
    return stored_answers(store, channel, ts)


def press_kinds(store: SlackStore, answer_id: str) -> list[str]:
    f = schema.feedback
    with store.db.begin() as conn:
        query = f.select().with_only_columns(f.c.kind).where(f.c.answer_id == answer_id).order_by(f.c.id)
        return list(conn.execute(query).scalars())


def reactions_on(fake: FakeSlack, ts: str) -> list[tuple[str, str]]:
    return [
        (c.method, c.args["name"])
        for c in fake.calls
        if c.method.startswith("reactions.") and c.args["timestamp"] == ts
    ]


def assert_answered_once(bot: Bot, channel: str, ts: str) -> dict[str, Any]:
    """One reply in the thread, one record pointing at it, the claim finished, 👀 swapped for the result."""
    bot.settle()
    [reply] = bot.fake.posts(channel=channel, thread_ts=ts)
    [record] = records_for(bot.slack.store, channel, ts)
    assert record.reply_ts and record.error is None
    assert claim_state(bot.slack.store, f"msg:{channel}:{ts}") == "answered"
    seen = reactions_on(bot.fake, ts)
    assert seen[0] == ("reactions.add", "eyes") and ("reactions.remove", "eyes") in seen
    assert seen[-1][0] == "reactions.add" and seen[-1][1] != "eyes"
    return reply


# --- chat.postMessage answers 429 twice; 5xx and connection resets ------------------------------------------
def test_rate_limited_twice_the_reply_waits_it_out_and_comes_once(bot: Bot) -> None:
    bot.fake.inject("chat.postMessage", rate_limited(1), rate_limited(1), channel="CR1")
    ask_in(bot, "CR1", "201.1")
    reply = assert_answered_once(bot, "CR1", "201.1")
    assert f"`{ROLE_BUG}`" in blocks_text(reply)
    attempts = bot.fake.calls_to("chat.postMessage", channel="CR1")
    assert [c.ok for c in attempts] == [False, False, True]
    assert attempts[-1].at - attempts[0].at >= 2.0, "each Retry-After: 1 was waited out"


def test_server_errors_and_a_dropped_connection_are_retried_into_one_reply(bot: Bot) -> None:
    bot.fake.inject("chat.postMessage", server_error(500), server_error(503), connection_reset(), channel="CR2")
    ask_in(bot, "CR2", "202.1")
    assert f"`{ROLE_BUG}`" in blocks_text(assert_answered_once(bot, "CR2", "202.1"))
    assert [c.ok for c in bot.fake.calls_to("chat.postMessage", channel="CR2")] == [False, False, False, True]


# --- not_in_channel, channel_not_found, archived channel ------------------------------------------------------
@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "is_archived"])
def test_a_final_channel_error_sends_the_answer_by_dm_and_updates_the_one_record(bot: Bot, error: str) -> None:
    for method in ("chat.postMessage", "reactions.add", "reactions.remove"):
        bot.fake.fail(method, error, channel="CF1")
    ask_in(bot, "CF1", "203.1")
    [dm] = bot.fake.wait_for(lambda: bot.fake.posts(channel=ASKER), WAIT, "the answer by DM")
    bot.settle()
    assert f"<#CF1> ({error})" in dm["text"] and f"`{ROLE_BUG}`" in blocks_text(dm)
    assert len(bot.fake.calls_to("chat.postMessage", channel="CF1")) == 1, "a final error is not retried"
    [record] = records_for(bot.slack.store, "CF1", "203.1")
    assert record.error == f"could not reply in the channel ({error}); replied by DM" and record.reply_ts
    assert claim_state(bot.slack.store, "msg:CF1:203.1") == "answered"
    assert ("reactions.remove", "eyes") in reactions_on(bot.fake, "203.1"), "👀 removal is always tried"


def test_a_shortcut_in_a_channel_the_bot_left_is_answered_privately(bot: Bot) -> None:
    bot.fake.fail("chat.postMessage", "not_in_channel", channel="CF2")
    message = {**message_event("CF2", "204.1", QUESTION, user="UASK"), "type": "message"}
    bot.sender.interaction(shortcut_payload(message, "CF2", bot.fake.response_url("sc"), user="UHELP"))
    [private] = bot.fake.wait_for(lambda: bot.fake.responded("sc"), WAIT, "the private answer")
    assert private["response_type"] == "ephemeral" and f"`{ROLE_BUG}`" in blocks_text(private)
    bot.settle()
    [record] = stored_answers(bot.slack.store, channel="CF2")
    assert record.error == "could not reply in the channel (not_in_channel); replied privately"


def test_a_reply_that_cannot_go_anywhere_is_released_and_answered_on_redelivery(bot: Bot) -> None:
    bot.fake.fail("chat.postMessage", "not_in_channel", channel="CF3")
    bot.fake.fail("chat.postMessage", "channel_not_found", channel=ASKER)
    ask_in(bot, "CF3", "205.1")
    bot.settle(1)
    [record] = records_for(bot.slack.store, "CF3", "205.1")
    assert record.error == "reply not delivered: not_in_channel; DM: channel_not_found"
    assert claim_state(bot.slack.store, "msg:CF3:205.1") is None, "released: the next delivery answers it"
    assert ("reactions.remove", "eyes") in reactions_on(bot.fake, "205.1")
    bot.fake.heal()
    ask_in(bot, "CF3", "205.1", retry=1)
    bot.settle(2)
    assert len(bot.fake.posts(channel="CF3", thread_ts="205.1")) == 1
    assert claim_state(bot.slack.store, "msg:CF3:205.1") == "answered"


# --- the process dies after claiming; Slack redelivers ---------------------------------------------------------
CHILD = """
import sys, threading
from pathlib import Path
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.serve import make_http_server

api, data, token, secret = sys.argv[1:5]


class Hangs:
    def match(self, query):
        print("matching", flush=True)
        threading.Event().wait()


settings = Settings(
    slack_mode="http", slack_bot_token=token, slack_signing_secret=secret, slack_api_url=api, data_dir=Path(data)
)
slack = create_app(settings, Hangs())
server = make_http_server(slack.bolt, "127.0.0.1", 0)
print(server.server_port, flush=True)
server.serve_forever()
"""


def test_kill_9_between_claim_and_reply_then_the_redelivery_is_answered_once(
    fake: FakeSlack, engine: Matcher, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, fake.api_url, str(data), BOT_TOKEN, SIGNING_SECRET],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        port = int(child.stdout.readline())
        event = message_event("CK1", "206.1", f"<@{BOT_USER}> {QUESTION}")
        assert SlackSender(f"http://127.0.0.1:{port}/slack/events").event(event).status == 200
        assert child.stdout.readline().strip() == "matching"
    finally:
        child.kill()
        child.wait(30)
    store = SlackStore.open(Settings(data_dir=data))
    assert claim_state(store, "msg:CK1:206.1") == "claimed" and fake.posts(channel="CK1") == []
    store.close()
    time.sleep(1.1)
    bot = start_bot(fake, engine, data, slack_claim_stale_seconds=1.0)
    try:
        assert bot.sender.event(event, retry=1).status == 200
        assert f"`{ROLE_BUG}`" in blocks_text(assert_answered_once(bot, "CK1", "206.1"))
        assert bot.sender.event(event, retry=2).status == 200
        bot.settle(2)
        assert len(fake.posts(channel="CK1")) == 1 and bot.slack.responder.counts["duplicates"] == 1
    finally:
        bot.close()


# --- a network error while escalating --------------------------------------------------------------------------
def test_a_failed_escalation_can_be_retried_and_a_successful_one_stands(
    fake: FakeSlack, engine: Matcher, tmp_path: Path
) -> None:
    bot = start_bot(fake, engine, tmp_path / "data", slack_api_retries=1)
    try:
        ask_in(bot, "CE1", "207.1")
        reply = bot.reply("CE1", "207.1")
        message, answer_id = posted_message(bot, reply), buttons(reply)[ESCALATE]
        key = f"escalate:{answer_id}"

        def press(response: str) -> dict[str, Any]:
            bot.sender.interaction(action_payload(ESCALATE, answer_id, message, "CE1", fake.response_url(response)))
            return fake.wait_for(lambda: fake.responded(response), WAIT, f"the answer to press {response}")[0]

        fake.inject("chat.postMessage", connection_reset(), connection_reset(), channel="CTRIAGE")
        assert press("first")["text"] == TRIAGE_UNREACHABLE
        assert claim_state(bot.slack.store, key) is None and press_kinds(bot.slack.store, answer_id) == []

        fake.fail("chat.postMessage", "is_archived", channel="CE1")  # telling the asker fails this time
        assert "escalated this" in blocks_text(press("second"))
        assert len(fake.posts(channel="CTRIAGE")) == 1
        assert claim_state(bot.slack.store, key) == "answered"
        assert press_kinds(bot.slack.store, answer_id) == ["escalated"]
        assert press("third")["text"] == ALREADY_ESCALATED
    finally:
        bot.close()


# --- a 300 MB unsigned POST; bounded server threads -------------------------------------------------------------
def raw_post(port: int, headers: dict[str, str]) -> int:
    """Send only the headers of a POST to /slack/events and read the status: a server that tried to read the
    (never sent) body would time out instead."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        lines = ["POST /slack/events HTTP/1.1", "Host: bot", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
        sock.sendall("\r\n".join(lines).encode())
        return int(sock.makefile("rb").readline().split()[1])


def test_an_oversized_or_unsigned_post_is_refused_before_its_body_is_read(bot: Bot) -> None:
    port = bot.server.server_port
    signed = {"X-Slack-Signature": "v0=" + "0" * 64, "X-Slack-Request-Timestamp": str(int(time.time()))}
    huge = {"Content-Type": "application/json", "Content-Length": str(300 * 1024 * 1024)}
    assert raw_post(port, huge) == 401
    assert raw_post(port, {**huge, **signed}) == 413
    assert raw_post(port, {"Content-Type": "application/json", **signed}) == 411
    assert bot.fake.calls_to("chat.postMessage") == [] and not bot.slack.responder.counts


def test_server_threads_are_bounded_and_the_overflow_gets_503(bot: Bot) -> None:
    server = make_http_server(bot.slack.bolt, "127.0.0.1", 0, threads=2)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    port = server.server_port
    stalled = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
    try:
        for sock in stalled:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\n")  # and then nothing: each holds a thread
        time.sleep(0.5)
        assert raw_post(port, {"Content-Length": "2"}) == 503
    finally:
        for sock in stalled:
            sock.close()
    assert bot.fake.wait_for(lambda: _status_or_none(port) == 401, 30, "threads to come back")
    server.shutdown()
    server.server_close()


def _status_or_none(port: int) -> int | None:
    try:
        return raw_post(port, {"Content-Length": "2"})
    except OSError:
        return None


# --- a burst from one user; a full queue; the time budget; shutdown ---------------------------------------------
def test_a_burst_from_one_user_is_capped_with_one_notice_and_others_are_answered(
    fake: FakeSlack, engine: Matcher, tmp_path: Path
) -> None:
    bot = start_bot(fake, engine, tmp_path / "data", slack_user_asks_per_minute=3)
    try:
        started, first_minute = time.monotonic(), int(time.time() // 60)
        for n in range(30):
            ask_in(bot, "CB1", f"208.{n:03d}", user="UFLOOD")
        ask_in(bot, "CB1", "208.999", user="UCALM", text="every page says 502 bad gateway after the deploy")
        elapsed = time.monotonic() - started
        bot.settle(31)
        minutes = int(time.time() // 60) - first_minute + 1  # one notice per clock minute: a burst may span two
        flood = [p for p in fake.posts(channel="CB1") if p["thread_ts"] != "208.999"]
        assert 3 <= len(flood) <= 3 + int(elapsed * 3 / 60), "the bucket holds 3 and refills 3 a minute"
        assert "nginx-502" in blocks_text(fake.posts(channel="CB1", thread_ts="208.999")[0])
        notices = fake.ephemerals(channel="CB1", user="UFLOOD")
        assert 1 <= len(notices) <= minutes
        assert all("more than 3 questions in a minute" in notice["text"] for notice in notices)
        assert bot.slack.responder.counts["refused_user"] == 30 - len(flood)
        keys = [f"msg:CB1:208.{n:03d}" for n in (*range(30), 999)]
        assert {claim_state(bot.slack.store, k) for k in keys} == {"answered"}, "refused asks are not answered later"
        assert len(stored_answers(bot.slack.store, channel="CB1")) == len(flood) + 1
    finally:
        bot.close()


def test_a_busy_channel_is_capped_too(fake: FakeSlack, engine: Matcher, tmp_path: Path) -> None:
    bot = start_bot(fake, engine, tmp_path / "data", slack_channel_asks_per_minute=2)
    try:
        for n, user in enumerate(("UA", "UB", "UC")):
            ask_in(bot, "CB2", f"209.{n}", user=user)
            bot.settle(n + 1)
        assert len(fake.posts(channel="CB2")) == 2
        [notice] = fake.ephemerals(channel="CB2", user="UC")
        assert "This channel asked me more than 2 questions" in notice["text"]
    finally:
        bot.close()


class Gated:
    """The real engine behind a gate the test opens, to keep workers busy on demand."""

    def __init__(self, inner: Matcher) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)

    def match(self, query: Query) -> Answer:
        self.entered.release()
        self.gate.wait()
        return self.inner.match(query)


def test_a_full_queue_tells_the_overflow_it_is_busy(fake: FakeSlack, engine: Matcher, tmp_path: Path) -> None:
    gated = Gated(engine)
    bot = start_bot(fake, gated, tmp_path / "data", slack_workers=1, slack_queue_size=2)
    try:
        ask_in(bot, "CQ1", "210.0", user="U0")
        assert gated.entered.acquire(timeout=WAIT)
        for n in range(1, 5):
            ask_in(bot, "CQ1", f"210.{n}", user=f"U{n}")
        fake.wait_for(lambda: len(fake.ephemerals(channel="CQ1")) == 2, WAIT, "two busy notices")
        gated.gate.set()
        bot.settle(5)
        told = {e["user"] for e in fake.ephemerals(channel="CQ1")}
        answered = {p["thread_ts"] for p in fake.posts(channel="CQ1")}
        assert all(e["text"] == BUSY for e in fake.ephemerals(channel="CQ1"))
        assert len(answered) == 3 and not {f"210.{u[1:]}" for u in told} & answered
        keys = [f"msg:CQ1:210.{n}" for n in range(5)]
        assert {claim_state(bot.slack.store, k) for k in keys} == {"answered"}
    finally:
        gated.gate.set()
        bot.close()


def test_an_ask_past_its_time_budget_gets_one_sentence(fake: FakeSlack, engine: Matcher, tmp_path: Path) -> None:
    gated = Gated(engine)
    bot = start_bot(fake, gated, tmp_path / "data", slack_ask_seconds=1.0)
    try:
        ask_in(bot, "CT1", "211.1")
        reply = bot.reply("CT1", "211.1")
        assert reply["text"] == TooSlow.message
        bot.settle(1)
        [record] = records_for(bot.slack.store, "CT1", "211.1")
        assert record.decision == "error" and record.error == TooSlow.message
        assert claim_state(bot.slack.store, "msg:CT1:211.1") == "answered"
        assert reactions_on(fake, "211.1")[-2:] == [("reactions.remove", "eyes"), ("reactions.add", "warning")]
    finally:
        gated.gate.set()
        bot.close()


def test_shutdown_drains_with_a_deadline_and_releases_what_never_started(
    fake: FakeSlack, engine: Matcher, tmp_path: Path
) -> None:
    gated = Gated(engine)
    data = tmp_path / "data"
    bot = start_bot(fake, gated, data, slack_workers=1, slack_drain_seconds=0.5)
    try:
        ask_in(bot, "CS1", "212.0", user="U0")
        assert gated.entered.acquire(timeout=WAIT)
        ask_in(bot, "CS1", "212.1", user="U1")
        ask_in(bot, "CS1", "212.2", user="U2")
        bot.fake.wait_for(lambda: bot.slack.responder.counts["offered"] == 3, WAIT, "three offers")
        bot.server.shutdown()
        started = time.monotonic()
        bot.slack.close()
        assert time.monotonic() - started < 10, "the drain waited 0.5 s, not for the stuck ask"
        store = bot.slack.store
        assert claim_state(store, "msg:CS1:212.0") == "claimed", "still running: a redelivery answers it once stale"
        assert claim_state(store, "msg:CS1:212.1") is None and claim_state(store, "msg:CS1:212.2") is None
        assert {e["user"] for e in fake.ephemerals(channel="CS1") if e["text"] == RESTARTING} == {"U1", "U2"}
        assert ("reactions.remove", "eyes") in reactions_on(fake, "212.1")
    finally:
        gated.gate.set()
        bot.server.server_close()
    again = start_bot(fake, engine, data)
    try:
        ask_in(again, "CS1", "212.1", user="U1", retry=1)
        assert f"`{ROLE_BUG}`" in blocks_text(again.reply("CS1", "212.1"))
    finally:
        again.close()


# --- downloads: a redirect to another host, an HTML page without a sign-in form ----------------------------------
def test_a_redirect_away_and_a_web_page_each_get_their_own_sentence(bot: Bot, screenshot: bytes) -> None:
    elsewhere = RecordingHost()
    try:
        redirect = bot.fake.host_file("/files-pri/away.png", b"", "text/plain", status=302, Location=elsewhere.base)
        away = {**bot.fake.add_file("F300", "away.png", screenshot, "image/png"), "url_private_download": redirect}
        html = b"<html><body>Shared link</body></html>"
        page = bot.fake.add_file("F301", "page.png", html, "image/png", served_as="text/html")
        assert bot.sender.event(message_event("CD1", "213.1", "", files=[away, page])).status == 200
        reply = bot.reply("CD1", "213.1")
        assert "another website" in reply["text"] and "a web page, not the file" in reply["text"]
        assert "files:read" not in reply["text"] and elsewhere.requests == []
    finally:
        elsewhere.close()


# --- a response_url that is not Slack's ------------------------------------------------------------------------
def test_a_command_with_a_foreign_response_url_is_dropped_unanswered(bot: Bot) -> None:
    elsewhere = RecordingHost()
    try:
        sent = bot.sender.form(command_form(QUESTION, f"{elsewhere.base}/steal"))
        assert sent.status == 200 and sent.body == ""
        message = {**message_event("CU1", "214.1", QUESTION), "type": "message"}
        bot.sender.interaction(shortcut_payload(message, "CU1", f"{elsewhere.base}/steal"))
        time.sleep(0.5)  # the shortcut is acked before its listener looks at the URL: give it time to (not) act
        bot.settle()
        assert elsewhere.requests == [] and stored_answers(bot.slack.store) == []
    finally:
        elsewhere.close()


# --- hostile knowledge entries -----------------------------------------------------------------------------------
def hostile_knowledge(kb: Path, outside: Path) -> dict[str, str]:
    """Entries that once hung, crashed or leaked the refresh; returns entry -> the reason expected for it."""
    write_bug(kb, "zero-link", "Zero", ["x"], "Symptom.", "Fix.")
    (kb / "zero-link" / "x.png").symlink_to("/dev/zero")
    write_bug(kb, "dangling", "Dangling", ["x"], "Symptom.", "Fix.")
    (kb / "dangling" / "shot.png").symlink_to(kb / "nowhere.png")
    write_bug(kb, "folder-media", "Folder", ["x"], "Symptom.", "Fix.")
    (kb / "folder-media" / "shots.png").mkdir()
    write_bug(kb, "fifo", "Fifo", ["x"], "Symptom.", "Fix.")
    os.mkfifo(kb / "fifo" / "clip.wav")
    (outside / "secret.png").write_bytes(b"AWS_SECRET_ACCESS_KEY=hunter2")
    write_bug(kb, "outside-file", "Outside", ["x"], "Symptom.", "Fix.")
    (kb / "outside-file" / "evidence.png").symlink_to(outside / "secret.png")
    write_bug(outside, "outside-folder", "Outside folder", ["x"], "hunter2 lives here.", "Fix.")
    (kb / "outside-folder").symlink_to(outside / "outside-folder")
    bomb = "---\nid: alias-bomb\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    bomb += (
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\ntitle: *c\nproduct: p\ntags: []\nstatus: open\nlinks: []\n---\n"
    )
    (kb / "alias-bomb").mkdir()
    (kb / "alias-bomb" / "bug.md").write_text(bomb)
    write_bug(kb, "long-title", "T" * 1000, ["x"], "Symptom.", "Fix.")
    expected = {}
    write_bug(kb, "device", "Device", ["x"], "Symptom.", "Fix.")
    try:
        os.mknod(kb / "device" / "zero.png", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero's own numbers
        expected["device/zero.png"] = "not a regular file"
    except PermissionError:  # only root may make device files; the link to /dev/zero below still covers it
        shutil.rmtree(kb / "device")
    return expected | {
        "zero-link/x.png": "links outside the knowledge folder",
        "dangling/shot.png": "a link to nothing",
        "folder-media/shots.png": "is a folder, not a file",
        "fifo/clip.wav": "not a regular file",
        "outside-file/evidence.png": "links outside the knowledge folder",
        "outside-folder": "links outside the knowledge folder",
        "alias-bomb/bug.md": "anchors or aliases",
        "long-title/bug.md": "title must be text of at most 300 characters",
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, shared_models: dict) -> Any:
    from bot.settings import Settings
    from tests.support import refresh

    root = tmp_path_factory.mktemp("hostile")
    kb = write_text_only_knowledge(root / "knowledge")
    settings = Settings(knowledge_dir=kb, data_dir=root / "data", index_name="hostile", index_check_seconds=0)
    refresh(settings, shared_models)
    return settings


def test_hostile_knowledge_entries_are_refused_one_by_one_and_the_rest_indexed(
    built: Any, shared_models: dict, tmp_path: Path
) -> None:
    settings = copy_index(built, tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    kb = Path(settings.knowledge_dir)
    expected = hostile_knowledge(kb, outside)
    write_bug(kb, "new-good", "Printer on fire", ["printer"], "The printer prints flames.", "Unplug it.")
    refresher = build_refresher(settings, shared_models["embedder"], shared_models["extractor"])
    reports: list[Any] = []
    runner = threading.Thread(target=lambda: reports.append(refresher.refresh()), daemon=True)
    runner.start()
    runner.join(300)
    assert reports, "the refresh finished (a /dev/zero link once hung it forever)"
    [report] = reports
    failed = {str(Path(f["path"]).relative_to(kb)): f["reason"] for f in report.failed}
    assert set(failed) == set(expected)
    for entry, reason in expected.items():
        assert reason in failed[entry], (entry, failed[entry])
    assert report.added == 1 and report.unchanged == 5
    assert {r["bug_id"] for r in refresher.index.stored_rows()} == GOOD
    assert "hunter2" not in repr(refresher.index.snapshot().texts(sorted(GOOD)))
    again = build_refresher(settings, shared_models["embedder"], shared_models["extractor"]).refresh()
    assert again.added == again.updated == 0 and len(again.failed) == len(expected)


def test_a_refresh_past_its_time_limit_stops_unwritten_and_gives_up_the_lease(
    built: Any, shared_models: dict, tmp_path: Path
) -> None:
    settings = copy_index(built, tmp_path).model_copy(update={"refresh_timeout_seconds": 1e-6})
    write_bug(Path(settings.knowledge_dir), "late", "Late", ["x"], "Symptom.", "Fix.")
    refresher = build_refresher(settings, shared_models["embedder"], shared_models["extractor"])
    version = refresher.index.open_table().version
    with pytest.raises(RefreshTimedOut, match="index is unchanged"):
        refresher.refresh()
    assert refresher.index.open_table().version == version

    class Stuck:
        def refresh(self, progress: Any = None) -> Any:
            raise AssertionError("not run here")

        def overdue(self) -> bool:
            return True

    mine = Leader(FileLease(tmp_path / "lease.lock"), 30.0)
    theirs = Leader(FileLease(tmp_path / "lease.lock"), 30.0)
    assert mine.campaign() and not theirs.campaign()
    job = schedule_campaign(BackgroundScheduler(), mine, Stuck())
    job.func()
    assert not mine.is_leader and theirs.campaign(), "a stuck refresh no longer keeps the lease"


def test_a_one_off_hold_gives_up_the_lease_at_its_time_limit(tmp_path: Path) -> None:
    mine = Leader(FileLease(tmp_path / "lease.lock"), 0.3)
    theirs = Leader(FileLease(tmp_path / "lease.lock"), 0.3)
    with mine.hold(limit=0.2) as held:
        assert held and not theirs.campaign()
        time.sleep(0.6)  # a refresh stuck inside the block
        assert theirs.campaign()
    theirs.resign()


# --- supportbot ask missing.png / ask /dev/zero -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "sentence"),
    [
        ("missing.png", "missing.png does not exist; check the path and try again."),
        ("/dev/zero", "/dev/zero is a device or a pipe, not a file;"),
        (".", ". is a folder; pass the screenshot, recording or text file inside it."),
    ],
)
def test_ask_says_what_is_wrong_with_a_path_in_one_sentence(path: str, sentence: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["ask", path], env={"SUPPORTBOT_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1 and result.output.startswith(f"Error: {sentence}")
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
