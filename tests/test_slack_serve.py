"""`supportbot serve`, `stats` and `forget`: settings checks, the HTTP server, and the whole serve loop."""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.settings import Settings
from bot.slack.app import SlackNotConfigured, check_settings, create_app
from bot.slack.serve import serve
from bot.store import AnswerRecord, CandidateRecord, Store
from tests.fake_slack import APP_TOKEN, BOT_TOKEN, BOT_USER, SIGNING_SECRET, FakeSlack, SlackSender, message_event


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("SUPPORTBOT_", "SLACK_")):
            monkeypatch.delenv(name)


def test_missing_settings_are_named_in_one_sentence(clean_env: None) -> None:
    with pytest.raises(SlackNotConfigured) as socket:
        check_settings(Settings())
    assert socket.value.message == (
        "supportbot serve (Socket Mode) needs SUPPORTBOT_SLACK_BOT_TOKEN and SUPPORTBOT_SLACK_APP_TOKEN; "
        "set them in the environment or .env."
    )
    with pytest.raises(SlackNotConfigured, match=r"\(HTTP mode\) needs SUPPORTBOT_SLACK_SIGNING_SECRET; set it"):
        check_settings(Settings(slack_mode="http", slack_bot_token="xoxb-1"))
    check_settings(Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1"))


def test_cli_serve_without_tokens_exits_with_the_sentence(clean_env: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve"], env={"SUPPORTBOT_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: supportbot serve (Socket Mode) needs SUPPORTBOT_SLACK_BOT_TOKEN and SUPPORTBOT_SLACK_APP_TOKEN; "
        "set them in the environment or .env."
    )


def test_http_mode_refuses_to_run_without_a_signing_secret(clean_env: None, tmp_path: Path) -> None:
    settings = Settings(slack_mode="http", data_dir=tmp_path)
    with pytest.raises(SlackNotConfigured, match="SIGNING_SECRET"):
        create_app(settings, object(), client=object())  # type: ignore[arg-type]


def test_cli_stats(clean_env: None, tmp_path: Path) -> None:
    store = Store.open(Settings(data_dir=tmp_path))
    store.record_answer(
        AnswerRecord(
            "a1", "message", "C1", "U1", "match", 0.9, candidates=(CandidateRecord("nginx-502", "nginx 502", 0.9),)
        )
    )
    store.record_feedback("a1", "U1", "fixed", "nginx-502")
    store.close()
    env = {"SUPPORTBOT_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["stats", "--days", "2"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 asked, 1 answered (100%), 1 matched (100%)" in result.output and "nginx-502" in result.output
    as_json = CliRunner().invoke(main, ["stats", "--json"], env=env)
    assert '"fixed": 1' in as_json.output


def test_cli_reports_and_stats_per_bug(clean_env: None, tmp_path: Path) -> None:
    store = Store.open(Settings(data_dir=tmp_path))
    candidates = (CandidateRecord("nginx-502", "nginx 502", 0.9),)
    for answer_id, user, thread in (("a1", "U1", "1.1"), ("a2", "U2", "2.1"), ("a3", "U1", "3.1")):
        record = AnswerRecord(answer_id, "message", "C1", user, "match", 0.9, candidates=candidates, thread_ts=thread)
        store.record_answer(record)
        store.add_report(record, "nginx-502", "confirmed" if user == "U1" else "linked", user if user == "U1" else "UT")
    store.add_report(record, "nginx-502", "confirmed", "U1")  # the same thread again: counted once
    store.close()
    env = {"SUPPORTBOT_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["reports", "nginx-502"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "nginx-502: 3 threads, 2 people, last 30 days" and len(lines) == 4
    assert "linked     C1 2.1  U2, linked by UT" in result.output
    as_json = json.loads(CliRunner().invoke(main, ["reports", "nginx-502", "--json", "--days", "1"], env=env).output)
    assert [(r["thread_ts"], r["how"]) for r in as_json["reports"]] == [
        ("3.1", "confirmed"),
        ("2.1", "linked"),
        ("1.1", "confirmed"),
    ]
    stats = CliRunner().invoke(main, ["stats"], env=env).output
    assert "     3  nginx-502  by 2" in stats
    assert "nothing-here: 0 threads" in CliRunner().invoke(main, ["reports", "nothing-here"], env=env).output


def test_cli_forget(clean_env: None, tmp_path: Path) -> None:
    store = Store.open(Settings(data_dir=tmp_path))
    candidates = (CandidateRecord("nginx-502", "nginx 502", 0.9),)
    for answer_id, user in (("a1", "UGONE"), ("a2", "UKEEP")):
        store.record_answer(AnswerRecord(answer_id, "message", "C1", user, "match", 0.9, candidates=candidates))
    store.add_example("nginx-502", [("text", "message", "502 again")], {"asked_by": "UGONE", "confirmed_by": "UGONE"})
    env = {"SUPPORTBOT_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["forget", "--user", "UGONE"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "Deleted 1 answers, 0 button presses, 0 reports, 1 learned examples and 0 negatives of UGONE. "
        "Run `supportbot refresh` to drop the examples from the index."
    )
    assert store.answer("a1") is None and store.answer("a2") is not None and store.examples() == []
    again = CliRunner().invoke(main, ["forget", "--user", "UGONE", "--json"], env=env)
    assert '"answers": 0' in again.output
    assert "--user" in CliRunner().invoke(main, ["forget"], env=env).output
    store.close()


@pytest.mark.slow
def test_serve_runs_the_whole_loop_over_http(clean_env: None, sample_knowledge: Path, tmp_path: Path) -> None:
    fake = FakeSlack()
    port = free_port()
    settings = Settings(
        knowledge_dir=sample_knowledge,
        data_dir=tmp_path,
        slack_mode="http",
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.api_url,
        slack_file_hosts=fake.base,
        slack_host="127.0.0.1",
        slack_port=port,
        asr=False,
    )
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(settings, stop), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{port}/slack/events"
        fake.wait_for(lambda: reachable(url), 300, "the server to listen")
        sender = SlackSender(url)
        event = message_event("C1", "1.1", f"<@{BOT_USER}> ModuleNotFoundError: No module named 'yaml'")
        assert sender.event(event).status == 200
        reply = fake.wait_for(lambda: fake.posts(channel="C1", thread_ts="1.1"), 120, "the reply")[0]
        assert "python-no-module-yaml" in str(reply["blocks"])
        assert urllib_status(f"http://127.0.0.1:{port}/elsewhere") == 404
    finally:
        stop.set()
        thread.join(60)
        fake.close()
    assert not thread.is_alive()
    assert (tmp_path / "state.sqlite3").exists()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def urllib_status(url: str, data: bytes | None = b"") -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


def reachable(url: str) -> bool:
    try:
        return urllib_status(url) == 401
    except OSError:
        return False
