"""A data dir from before the store: `feedback.sqlite3` and `examples.sqlite3` are imported once, then set aside.

Each file is read, its rows are written to the store (secrets redacted, repeats ignored, so two processes
importing at once do no harm), and it is renamed `<name>.imported`. Learned examples get new ids, so the next
refresh embeds them again under those ids.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from contextlib import closing, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.store import schema
from bot.store.answers import answer_row
from bot.store.records import AnswerRecord, CandidateRecord, ExampleInput, InputRecord

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)
FEEDBACK_FILE, EXAMPLES_FILE = "feedback.sqlite3", "examples.sqlite3"


def import_legacy(store: Store, data_dir: Path) -> None:
    """Import and set aside each old store file found in `data_dir`."""
    steps: dict[str, Callable[[Store, sqlite3.Connection], dict[str, int]]] = {
        FEEDBACK_FILE: import_feedback,
        EXAMPLES_FILE: import_examples,
    }
    for name, step in steps.items():
        path = data_dir / name
        if not path.is_file():
            continue
        with closing(sqlite3.connect(str(path), timeout=30.0)) as old:
            old.row_factory = sqlite3.Row
            counts = step(store, old)
        with suppress(FileNotFoundError):  # another process imported it at the same moment
            path.rename(path.with_name(name + ".imported"))
        log.info("imported %s from %s into the store: %s", ", ".join(counts), path, counts)


def import_feedback(store: Store, old: sqlite3.Connection) -> dict[str, int]:
    """Answers, button presses and handled delivery keys of the old feedback store."""
    answers = [store.redact_record(old_answer(r)) for r in rows(old, "answers")]
    known = {a.id for a in answers}
    presses = [
        {
            "answer_id": r["answer_id"],
            "created": r["created"],
            "user_id": r["user"] or "",
            "kind": r["kind"],
            "bug_id": r["bug_id"],
            "detail": json.loads(r["detail"] or "{}"),
        }
        for r in rows(old, "feedback")
        if r["answer_id"] in known
    ]
    claims = [
        {"key": r["key"], "state": "answered", "claimed_at": r["created"], "finished_at": r["created"]}
        for r in rows(old, "handled")
    ]
    with store.db.begin() as conn:
        for table, values in ((schema.answers, [answer_row(a) for a in answers]), (schema.feedback, presses)):
            if values:
                conn.execute(store.db.insert_ignore(table), values)
        if claims:
            conn.execute(store.db.insert_ignore(schema.claims), claims)
    return {"answers": len(answers), "feedback": len(presses), "claims": len(claims)}


def import_examples(store: Store, old: sqlite3.Connection) -> dict[str, int]:
    """Learned examples (with their inputs) and negatives of the old example store."""
    inputs: dict[int, list[ExampleInput]] = {}
    for r in rows(old, "example_inputs", "example_id, position"):
        inputs.setdefault(r["example_id"], []).append(ExampleInput(r["kind"], r["name"], r["text"], r["image"]))
    examples = [
        store.add_example(r["bug_id"], inputs.get(r["id"], []), json.loads(r["provenance"]))
        for r in rows(old, "examples", "id")
    ]
    negatives = [
        store.add_negative(r["bug_id"], r["query_text"], json.loads(r["provenance"]))
        for r in rows(old, "negatives", "id")
    ]
    return {"examples": sum(e is not None for e in examples), "negatives": sum(n is not None for n in negatives)}


def rows(old: sqlite3.Connection, table: str, order: str = "rowid") -> list[Any]:
    """Every row of an old table (none when the old file never had it)."""
    try:
        return old.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    except sqlite3.OperationalError:
        return []


def old_answer(row: sqlite3.Row) -> AnswerRecord:
    return AnswerRecord(
        id=row["id"],
        source=row["source"],
        channel=row["channel"] or "",
        user=row["user"] or "",
        decision=row["decision"],
        confidence=row["confidence"],
        inputs=tuple(InputRecord(**i) for i in json.loads(row["inputs"])),
        candidates=tuple(CandidateRecord(**c) for c in json.loads(row["candidates"])),
        team=row["team"],
        message_ts=row["message_ts"],
        reply_ts=row["reply_ts"],
        error=row["error"],
        timings=json.loads(row["timings"] or "{}"),
        created=row["created"],
    )
