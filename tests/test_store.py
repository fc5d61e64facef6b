"""The store, on SQLite and on a real PostgreSQL server: answers, feedback, learned examples and negatives, stats,
retention, migrations, and importing a data dir from before the store."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.records import Answer, Evidence, KnownBug, Match, QueryInput
from bot.settings import Settings
from bot.store import (
    AnswerRecord,
    BugChange,
    CandidateRecord,
    ExampleInput,
    ExampleNotFound,
    InputRecord,
    Store,
    StoreNotConfigured,
    StoreUnavailable,
    answer_record,
    learn_from_feedback,
    schema,
)
from bot.store.database import MIGRATIONS, state_url
from tests.support import at_once

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
WHERE = {"source": "message", "channel": "C1", "user": "UASK"}


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


@pytest.fixture
def store(state_url: str, tmp_path: Path) -> Any:
    opened = Store.open(Settings(data_dir=tmp_path / "data", state_url=state_url))
    yield opened
    opened.close()


def rows(store: Store, table: Any) -> list[dict[str, Any]]:
    """Every row of a table, as dicts, in insertion order."""
    with store.db.begin() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]


def test_answer_round_trips_with_inputs_candidates_and_who(store: Store) -> None:
    record = answer_record(make_answer(), "a1", team="T1", message_ts="1.2", **WHERE)
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


def test_no_match_has_no_best_bug() -> None:
    record = answer_record(make_answer("no_match"), "a1", source="dm", channel="D1", user="U1")
    assert record.best_bug is None
    assert record.candidates  # weak candidates are still kept for triage


def test_secrets_are_redacted_before_they_are_written(store: Store) -> None:
    said = f"deploy fails, my key is {AWS_KEY} and password=hunter2trombone"
    record = AnswerRecord(
        "a1",
        "message",
        "C1",
        "U1",
        "match",
        0.9,
        (InputRecord("message", "text", said), InputRecord("shot.png", "image", "Authorization: Bearer Zx81kq0PL2mv")),
        (CandidateRecord("b1", "t", 0.9, f"{said} <- bug.md"),),
    )
    store.record_answer(record)
    stored = json.dumps(rows(store, schema.answers), default=str)
    assert AWS_KEY not in stored and "hunter2trombone" not in stored and "Zx81kq0PL2mv" not in stored
    back = store.answer("a1")
    assert back is not None
    assert back.inputs[0].text == (
        "deploy fails, my key is [redacted: aws access key] and password=[redacted: secret keyword]"
    )
    assert back.inputs[1].text == "Authorization: Bearer [redacted: authorization header]"
    assert back.candidates[0].evidence.startswith("deploy fails, my key is [redacted: aws access key]")


def test_replacing_an_answer_keeps_its_feedback(store: Store) -> None:
    record = answer_record(make_answer(), "a1", **WHERE)
    store.record_answer(record)
    store.record_feedback("a1", "UASK", "fixed", "b1")
    store.record_answer(replace(record, error="reply failed"))
    back = store.answer("a1")
    assert back is not None and back.error == "reply failed"
    assert [f["kind"] for f in rows(store, schema.feedback)] == ["fixed"]


def test_a_press_is_kept_once_per_answer_user_and_kind(store: Store) -> None:
    store.record_answer(answer_record(make_answer(), "a1", **WHERE))
    assert [store.record_feedback("a1", "UASK", "fixed", "b1") for _ in range(3)] == [True, False, False]
    assert store.record_feedback("a1", "UASK", "not_it", "b1") is True
    assert store.record_feedback("a1", "UOTHER", "fixed", "b1") is True
    presses = [(f["user_id"], f["kind"], f["bug_id"]) for f in rows(store, schema.feedback)]
    assert presses == [("UASK", "fixed", "b1"), ("UASK", "not_it", "b1"), ("UOTHER", "fixed", "b1")]


def test_concurrent_identical_presses_leave_one_row(store: Store) -> None:
    store.record_answer(answer_record(make_answer(), "a1", **WHERE))
    results = at_once(6, lambda: store.record_feedback("a1", "UASK", "fixed", "b1"))
    assert sorted(results) == [False] * 5 + [True]
    assert len(rows(store, schema.feedback)) == 1


def test_stats_over_a_period(store: Store) -> None:
    store.record_answer(answer_record(make_answer("match", ("b1",)), "a1", **WHERE))
    store.record_answer(answer_record(make_answer("match", ("b1",)), "a2", **WHERE))
    store.record_answer(answer_record(make_answer("uncertain", ("b2",)), "a3", **WHERE))
    store.record_answer(answer_record(make_answer("no_match"), "a4", **WHERE))
    store.record_answer(AnswerRecord("a5", "command", "C1", "U1", "error", error="boom"))
    old = answer_record(make_answer("match", ("b9",)), "old", **WHERE)
    store.record_answer(replace(old, created=time.time() - 40 * 86400))
    store.record_feedback("a1", "U1", "fixed", "b1")
    store.record_feedback("a1", "U2", "fixed", "b1")
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


def test_stats_of_an_empty_store(store: Store) -> None:
    result = store.stats(days=1)
    assert result["asked"] == 0 and result["answer_rate"] == 0.0 and result["top_bugs"] == []


def test_examples_are_added_listed_deduplicated_and_removed(store: Store) -> None:
    shot = ("image", "shot.png", "curl: (7) refused", b"\x89PNG")
    first = store.add_example("curl-7", [shot], {"asked_by": "U1"})
    again = store.add_example("curl-7", [ExampleInput(*shot)], {"asked_by": "U2"})
    other = store.add_example("psql-role", [("text", "message", "role deploy missing")], {})
    assert first is not None and again == first and other not in (None, first)
    assert store.add_example("psql-role", [("text", "message", "  ")], {}) is None
    listed = store.examples()
    assert [e.id for e in listed] == [first, other]
    assert listed[0].inputs[0].image == b"\x89PNG" and listed[0].provenance == {"asked_by": "U1"}
    store.remove_example(first)
    assert [e.bug_id for e in store.examples()] == ["psql-role"]
    assert rows(store, schema.example_inputs) == [
        {
            "example_id": other,
            "position": 0,
            "kind": "text",
            "name": "message",
            "text": "role deploy missing",
            "image": None,
        }
    ], "inputs go with their example"
    with pytest.raises(ExampleNotFound):
        store.remove_example(first)


def test_negatives_of_any_length_are_kept_once(store: Store) -> None:
    long_text = "Traceback (most recent call last):\n" + "\n".join(
        f'  File "app/mod{n}.py", line {n}' for n in range(300)
    )
    first = store.add_negative("b1", long_text, {"confirmed_by": "U1"})
    assert first is not None and store.add_negative("b1", long_text, {}) == first
    assert store.add_negative("b2", long_text, {}) != first
    assert store.add_negative("b1", "   ", {}) is None
    assert [(n.bug_id, n.query_text == long_text) for n in store.negatives()] == [("b1", True), ("b2", True)]
    store.remove_negative(first)
    with pytest.raises(ExampleNotFound, match="No negative"):
        store.remove_negative(first)


def test_feedback_becomes_an_example_or_a_negative(store: Store) -> None:
    inputs = (InputRecord("a.png", "image", "502 Bad Gateway"), InputRecord("b.png", "image", ""))
    record = AnswerRecord("a1", "message", "C1", "UASK", "uncertain", 0.6, inputs, (CandidateRecord("b1", "t", 0.6),))
    assert learn_from_feedback(store, record, "fixed", "UASK") is not None
    [example] = store.examples()
    assert [i.text for i in example.inputs] == ["502 Bad Gateway"]
    assert (example.provenance["answer_id"], example.provenance["confirmed_by"]) == ("a1", "UASK")
    assert learn_from_feedback(store, record, "not_it", "UASK") is not None
    assert store.negatives()[0].query_text == "502 Bad Gateway"
    nothing_named = replace(record, decision="no_match", candidates=())
    assert learn_from_feedback(store, nothing_named, "fixed", "UASK") is None
    closest = replace(record, id="a2", decision="no_match")
    assert learn_from_feedback(store, closest, "fixed", "UASK") is not None, "a no_match reply names the closest bug"
    assert learn_from_feedback(store, record, "escalated", "UASK") is None


def test_purge_deletes_what_is_past_retention_and_keeps_the_rest(store: Store) -> None:
    now = time.time()
    old = replace(answer_record(make_answer(), "old", **WHERE), created=now - 100 * 86400)
    store.record_answer(old)
    store.record_answer(answer_record(make_answer(), "new", **WHERE))
    store.record_feedback("old", "UASK", "fixed", "b1")
    store.record_feedback("new", "UASK", "fixed", "b1")
    store.add_example("b1", [("text", "message", "prod is down")], {"asked_by": "UASK"})
    with store.db.begin() as conn:
        conn.execute(schema.claims.insert(), [{"key": "k-old", "state": "answered", "claimed_at": now - 100 * 86400}])
        conn.execute(schema.claims.insert(), [{"key": "k-new", "state": "answered", "claimed_at": now}])
    store.add_report(old, "b1", "confirmed", "UASK")
    store.add_report(store.answer("new"), "b1", "confirmed", "UASK")  # type: ignore[arg-type]
    store.record_changes([BugChange("b1", "t", "open", "fixed", "", "Upgrade.", key="k1")])
    with store.db.begin() as conn:
        conn.execute(schema.bug_changes.update().values(created=now - 100 * 86400))
    counts = store.purge(now - 90 * 86400)
    assert counts == {"answers": 1, "feedback": 1, "reports": 1, "changes": 1, "claims": 1}
    assert [a["id"] for a in rows(store, schema.answers)] == ["new"]
    assert [f["answer_id"] for f in rows(store, schema.feedback)] == ["new"]
    assert [c["key"] for c in rows(store, schema.claims)] == ["k-new"]
    assert len(store.examples()) == 1, "learned examples stay until removed"
    assert [r["answer_id"] for r in rows(store, schema.reports)] == ["new"]
    assert store.purge(now - 90 * 86400) == {"answers": 0, "feedback": 0, "reports": 0, "changes": 0, "claims": 0}


def test_forget_user_deletes_what_they_asked_pressed_and_taught(store: Store) -> None:
    store.record_answer(answer_record(make_answer(), "mine", source="message", channel="C1", user="UGONE"))
    store.record_answer(answer_record(make_answer(), "theirs", source="message", channel="C1", user="UKEEP"))
    store.record_feedback("mine", "UKEEP", "fixed", "b1")
    store.record_feedback("theirs", "UGONE", "not_it", "b1")
    store.record_feedback("theirs", "UKEEP", "fixed", "b1")
    store.add_example("b1", [("text", "message", "asked by the user")], {"asked_by": "UGONE", "confirmed_by": "UGONE"})
    store.add_example(
        "b1", [("text", "message", "confirmed by the user")], {"asked_by": "UKEEP", "confirmed_by": "UGONE"}
    )
    store.add_example("b1", [("text", "message", "someone else's")], {"asked_by": "UKEEP", "confirmed_by": "UKEEP"})
    store.add_negative("b2", "rejected by the user", {"asked_by": "UKEEP", "confirmed_by": "UGONE"})
    theirs = store.answer("theirs")
    assert theirs is not None
    store.add_report(theirs, "b1", "linked", "UGONE")
    store.add_report(replace(theirs, id="theirs", thread_ts="9.9"), "b1", "confirmed", "UKEEP")
    counts = store.forget_user("UGONE")
    assert counts == {"answers": 1, "feedback": 2, "reports": 1, "examples": 2, "negatives": 1}
    assert [a["id"] for a in rows(store, schema.answers)] == ["theirs"]
    assert [(f["answer_id"], f["user_id"]) for f in rows(store, schema.feedback)] == [("theirs", "UKEEP")]
    assert [e.inputs[0].text for e in store.examples()] == ["someone else's"] and store.negatives() == []
    assert rows(store, schema.example_inputs)[0]["text"] == "someone else's"
    dump = json.dumps([rows(store, t) for t in schema.metadata.sorted_tables], default=str)
    assert "UGONE" not in dump


def test_the_migrations_build_exactly_the_schema_and_run_once(store: Store, state_url: str, tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with store.db.begin() as conn:
        assert compare_metadata(MigrationContext.configure(conn), schema.metadata) == []
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == ScriptDirectory(str(MIGRATIONS)).get_current_head()
    store.record_answer(answer_record(make_answer(), "a1", **WHERE))
    again = Store.open(Settings(data_dir=tmp_path / "data", state_url=state_url))
    assert again.answer("a1") is not None, "opening a migrated store changes nothing"
    again.close()


def test_replicas_opening_a_new_database_at_once_migrate_it_once(state_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", state_url=state_url)
    opened = at_once(4, lambda: Store.open(settings))
    opened[0].record_answer(answer_record(make_answer(), "a1", **WHERE))
    assert all(s.answer("a1") is not None for s in opened)
    for s in opened:
        s.close()


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    store = Store.open(Settings(data_dir=tmp_path))
    with store.db.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.close()
    assert (tmp_path / "state.sqlite3").is_file()


def test_state_urls() -> None:
    assert str(state_url(Settings(data_dir=Path("d")))) == "sqlite:///d/state.sqlite3"
    for given in ("postgresql://u:pw@db/x", "postgres://u:pw@db/x", "postgresql+psycopg://u:pw@db/x"):
        url = state_url(Settings(state_url=given))
        assert (url.drivername, url.host, url.database) == ("postgresql+psycopg", "db", "x")
    for bad in ("mysql://u@db/x", "not a url", "sqlite://"):
        with pytest.raises(StoreNotConfigured):
            state_url(Settings(state_url=bad))


def test_an_unreachable_database_is_one_sentence_without_the_password(tmp_path: Path) -> None:
    from tests.postgres_server import free_port

    settings = Settings(data_dir=tmp_path, state_url=f"postgresql://bot:s3cretpw@127.0.0.1:{free_port()}/state")
    with pytest.raises(StoreUnavailable) as raised:
        Store.open(settings)
    assert "SUPPORTBOT_STATE_URL" in raised.value.message and "s3cretpw" not in raised.value.message


OLD_FEEDBACK = """
CREATE TABLE answers (
    id TEXT PRIMARY KEY, created REAL NOT NULL, source TEXT NOT NULL, team TEXT, channel TEXT,
    user TEXT, message_ts TEXT, reply_ts TEXT, decision TEXT NOT NULL, confidence REAL NOT NULL,
    best_bug TEXT, inputs TEXT NOT NULL, candidates TEXT NOT NULL, error TEXT, timings TEXT
);
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, answer_id TEXT NOT NULL, created REAL NOT NULL,
    user TEXT, kind TEXT NOT NULL, bug_id TEXT, detail TEXT
);
CREATE TABLE handled (key TEXT PRIMARY KEY, created REAL NOT NULL);
"""
OLD_EXAMPLES = """
CREATE TABLE examples (
    id INTEGER PRIMARY KEY AUTOINCREMENT, bug_id TEXT NOT NULL, created REAL NOT NULL,
    content_hash TEXT NOT NULL, provenance TEXT NOT NULL, UNIQUE (bug_id, content_hash)
);
CREATE TABLE example_inputs (
    example_id INTEGER NOT NULL, position INTEGER NOT NULL,
    kind TEXT NOT NULL, name TEXT NOT NULL, text TEXT NOT NULL, image BLOB, PRIMARY KEY (example_id, position)
);
CREATE TABLE negatives (
    id INTEGER PRIMARY KEY AUTOINCREMENT, bug_id TEXT NOT NULL, query_text TEXT NOT NULL, created REAL NOT NULL,
    provenance TEXT NOT NULL, UNIQUE (bug_id, query_text)
);
"""


def write_old_data_dir(data: Path) -> None:
    """feedback.sqlite3 and examples.sqlite3 as the bot wrote them before the store."""
    data.mkdir(parents=True, exist_ok=True)
    inputs = json.dumps([{"name": "m", "kind": "text", "text": f"key {AWS_KEY} fails", "error": None}])
    candidates = json.dumps([{"bug_id": "b1", "title": "t", "score": 0.9, "evidence": ""}])
    with sqlite3.connect(data / "feedback.sqlite3") as db:
        db.executescript(OLD_FEEDBACK)
        db.execute(
            "INSERT INTO answers VALUES ('a1', ?, 'message', 'T1', 'C1', 'UASK', '1.2', '3.4', 'match', 0.9, 'b1', "
            "?, ?, NULL, '{}')",
            (time.time(), inputs, candidates),
        )
        for user in ("UASK", "UASK", "UHELP"):  # the old store kept double clicks
            db.execute("INSERT INTO feedback VALUES (NULL, 'a1', ?, ?, 'fixed', 'b1', '{}')", (time.time(), user))
        db.execute("INSERT INTO handled VALUES ('msg:C1:1.2', ?)", (time.time(),))
    with sqlite3.connect(data / "examples.sqlite3") as db:
        db.executescript(OLD_EXAMPLES)
        db.execute("INSERT INTO examples VALUES (7, 'b1', 1.0, 'h', ?)", (json.dumps({"asked_by": "UASK"}),))
        db.execute("INSERT INTO example_inputs VALUES (7, 0, 'image', 'shot.png', 'nginx 502', X'89504E47')")
        db.execute("INSERT INTO negatives VALUES (3, 'b2', 'not this one', 2.0, '{}')")


def test_an_old_data_dir_is_imported_once(state_url: str, tmp_path: Path) -> None:
    from bot.slack.claims import SlackStore

    data = tmp_path / "data"
    write_old_data_dir(data)
    settings = Settings(data_dir=data, state_url=state_url)
    store = SlackStore.open(settings)
    record = store.answer("a1")
    assert record is not None and (record.user, record.reply_ts, record.best_bug) == ("UASK", "3.4", "b1")
    assert record.inputs[0].text == "key [redacted: aws access key] fails"
    assert [(f["user_id"], f["kind"]) for f in rows(store, schema.feedback)] == [("UASK", "fixed"), ("UHELP", "fixed")]
    assert store.claim("msg:C1:1.2", stale_seconds=0) is False, "a message answered before is not answered again"
    [example] = store.examples()
    assert (example.bug_id, example.inputs[0].image, example.provenance) == ("b1", b"\x89PNG", {"asked_by": "UASK"})
    assert [n.query_text for n in store.negatives()] == ["not this one"]
    assert sorted(p.name for p in data.iterdir() if "sqlite3." in p.name) == [
        "examples.sqlite3.imported",
        "feedback.sqlite3.imported",
    ]
    store.close()
    again = Store.open(settings)
    assert len(again.examples()) == 1 and len(rows(again, schema.feedback)) == 2, "imported once"
    again.close()
