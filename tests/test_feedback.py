"""The feedback store: answers, button presses, dedupe claims and stats, in SQLite."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path

from bot.feedback import (
    AnswerRecord,
    CandidateRecord,
    FeedbackStore,
    InputRecord,
    answer_record,
    format_stats,
    stats,
)
from bot.records import Answer, Evidence, KnownBug, Match, QueryInput
from bot.settings import Settings


def bug(bug_id: str) -> KnownBug:
    return KnownBug(
        bug_id,
        f"Title of {bug_id}",
        "Prod",
        ("t",),
        "open",
        (f"https://x.test/{bug_id}",),
        "symptoms",
        "resolution",
        "body",
        f"/kb/{bug_id}",
    )


def make_answer(decision: str = "match", bug_ids: tuple[str, ...] = ("b1", "b2")) -> Answer:
    evidence = (Evidence("shot.png", "502 Bad Gateway", "screenshot.png", "502 Bad Gateway nginx", 0.9),)
    matches = tuple(Match(bug(b), 0.9 - n / 10, evidence if n == 0 else ()) for n, b in enumerate(bug_ids))
    inputs = (
        QueryInput("message", "text", "prod is down"),
        QueryInput("shot.png", "image", "502 Bad Gateway"),
        QueryInput("clip.m4a", "audio", error="That file is too large."),
    )
    return Answer(decision, 0.81, matches, inputs, {"ocr": 120.0})  # type: ignore[arg-type]


def store_in(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "data" / "feedback.sqlite3")


def test_answer_round_trips_with_inputs_candidates_and_who(tmp_path: Path) -> None:
    store = store_in(tmp_path)
    record = answer_record(make_answer(), "a1", source="message", channel="C1", user="U1", team="T1", message_ts="1.2")
    store.record_answer(record)
    store.set_reply_ts("a1", "3.4")
    back = store.answer("a1")
    assert back is not None
    assert back == replace(record, reply_ts="3.4")
    assert back.best_bug == "b1"
    assert back.inputs[1] == InputRecord("shot.png", "image", "502 Bad Gateway", None)
    assert back.inputs[2].error == "That file is too large."
    assert back.candidates[0] == CandidateRecord("b1", "Title of b1", 0.9, "502 Bad Gateway <- screenshot.png")
    assert store.answer("missing") is None


def test_no_match_has_no_best_bug(tmp_path: Path) -> None:
    record = answer_record(make_answer("no_match"), "a1", source="dm", channel="D1", user="U1")
    assert record.best_bug is None
    assert record.candidates  # weak candidates are still kept for triage


def test_claim_is_once_ever_even_after_a_restart(tmp_path: Path) -> None:
    store = store_in(tmp_path)
    assert store.claim("msg:C1:1.0", 60) is True
    assert store.claim("msg:C1:1.0", 60) is False
    store.finish("msg:C1:1.0")
    store.close()
    reopened = store_in(tmp_path)
    assert reopened.claim("msg:C1:1.0", 0) is False, "an answered key is never taken again, however old"
    assert reopened.claim("msg:C1:2.0", 60) is True
    reopened.release("msg:C1:2.0")
    assert reopened.claim("msg:C1:2.0", 60) is True


def test_a_stale_unfinished_claim_is_taken_over_once(tmp_path: Path) -> None:
    store = store_in(tmp_path)
    assert store.claim("msg:C1:3.0", 60) is True
    assert store.claim("msg:C1:3.0", 60) is False, "fresh: its holder may still be answering"
    time.sleep(0.05)
    assert store.claim("msg:C1:3.0", 0.01) is True, "stale: its holder died before finishing"
    assert store.claim("msg:C1:3.0", 0.01) is False, "the take-over renewed the claim"
    store.finish("msg:C1:3.0")
    time.sleep(0.05)
    assert store.claim("msg:C1:3.0", 0.01) is False


def test_claims_made_before_states_existed_count_as_answered(tmp_path: Path) -> None:
    path = tmp_path / "data" / "feedback.sqlite3"
    path.parent.mkdir(parents=True)
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE handled (key TEXT PRIMARY KEY, created REAL NOT NULL)")
    old.execute("INSERT INTO handled VALUES ('msg:C1:4.0', ?)", (time.time() - 3600,))
    old.commit()
    old.close()
    store = store_in(tmp_path)
    assert store.claim("msg:C1:4.0", 1) is False
    assert store.claim("msg:C1:5.0", 1) is True


def test_concurrent_claims_have_one_winner(tmp_path: Path) -> None:
    store = store_in(tmp_path)
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        wins.append(store.claim("msg:C1:9.9", 60))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]


def test_store_uses_wal_and_full_sync(tmp_path: Path) -> None:
    store = store_in(tmp_path)
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2, "FULL: a stored claim survives a power cut"
    store.close()
    db = sqlite3.connect(tmp_path / "data" / "feedback.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_fixed_feedback_keeps_what_is_needed_to_learn(tmp_path: Path) -> None:
    store = store_in(tmp_path)
    store.record_answer(
        answer_record(make_answer(), "a1", source="message", channel="C1", user="UASK", message_ts="1.2")
    )
    store.record_feedback("a1", "UHELP", "fixed", "b1")
    store.record_feedback("a1", "UHELP", "fixed", "b1")  # a double click counts once
    store.record_feedback("a1", "UOTHER", "not_it", "b1")
    [example] = store.confirmed_examples()
    assert example.bug_id == "b1"
    assert example.texts == ("prod is down", "502 Bad Gateway")
    assert (example.answer_id, example.channel, example.asked_by, example.message_ts) == ("a1", "C1", "UASK", "1.2")
    assert example.confirmed_by == "UHELP"
    assert [f["kind"] for f in store.feedback("a1")] == ["fixed", "fixed", "not_it"]


def test_stats_over_a_period(tmp_path: Path) -> None:
    store = store_in(tmp_path)
    where = {"source": "message", "channel": "C1", "user": "U1"}
    store.record_answer(answer_record(make_answer("match", ("b1",)), "a1", **where))
    store.record_answer(answer_record(make_answer("match", ("b1",)), "a2", **where))
    store.record_answer(answer_record(make_answer("uncertain", ("b2",)), "a3", **where))
    store.record_answer(answer_record(make_answer("no_match"), "a4", **where))
    store.record_answer(AnswerRecord("a5", "command", "C1", "U1", "error", error="boom"))
    old = answer_record(make_answer("match", ("b9",)), "old", **where)
    store.record_answer(replace(old, created=time.time() - 40 * 86400))
    store.record_feedback("a1", "U1", "fixed", "b1")
    store.record_feedback("a3", "U1", "not_it", "b2")
    store.record_feedback("a4", "U1", "escalated", None)

    result = store.stats(days=7)
    assert (result["asked"], result["answered"], result["matched"], result["errors"]) == (5, 3, 2, 1)
    assert result["answer_rate"] == 0.6 and result["match_rate"] == 0.4
    assert result["feedback"] == {"fixed": 1, "not_it": 1, "escalated": 1}
    assert result["top_bugs"] == [
        {"bug_id": "b1", "answers": 2, "fixed": 1},
        {"bug_id": "b2", "answers": 1, "fixed": 0},
    ]
    assert store.stats(days=60)["asked"] == 6
    assert [r.id for r in store.answers(since=time.time() - 86400)] == ["a1", "a2", "a3", "a4", "a5"]
    assert [r.id for r in store.answers(channel="C1")] == ["old", "a1", "a2", "a3", "a4", "a5"]
    text = format_stats(result)
    assert "5 asked, 3 answered (60%), 2 matched (40%)" in text
    assert "1 fixed it, 1 not it, 1 escalated" in text and "b1" in text


def test_stats_from_settings_on_an_empty_store(tmp_path: Path) -> None:
    result = stats(Settings(data_dir=tmp_path), days=1)
    assert result["asked"] == 0 and result["answer_rate"] == 0.0 and result["top_bugs"] == []
    assert "0 asked" in format_stats(result)
