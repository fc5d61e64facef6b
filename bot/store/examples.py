"""What the bot learns from feedback: confirmed examples of known bugs and "Not it" negatives.

They live in the store (never in the knowledge files), so every replica adds to one set and the leader's
refresh indexes all of them. The refresher embeds each example as rows of kind `example` for its bug; the
matcher demotes a bug for queries nearly identical to one a user said it was not (`bot.negatives`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select

from bot.errors import BotError
from bot.redact import Redactor
from bot.store import schema
from bot.store.database import Database
from bot.store.records import AnswerRecord, Example, ExampleInput, Negative


class ExampleNotFound(BotError):
    """`examples remove` was given an id that is not stored."""

    message = "No learned example has that id; run `supportbot examples list` to see them."


class LearnedExamples:
    """The store's learned examples and negatives (a part of `bot.store.Store`)."""

    db: Database
    redactor: Redactor

    def add_example(
        self, bug_id: str, inputs: Sequence[ExampleInput | tuple[Any, ...]], provenance: dict[str, Any]
    ) -> int | None:
        """Store a confirmed example (secrets redacted); its id (the existing id for a repeat), None if empty."""
        usable = tuple(self._redacted(i) for i in map(as_input, inputs) if i.text.strip() or i.image is not None)
        if not usable:
            return None
        content = example_hash(bug_id, usable)
        values = {"bug_id": bug_id, "created": time.time(), "content_hash": content, **who(provenance)}
        e = schema.examples
        with self.db.begin() as conn:
            found = conn.execute(
                self.db.insert_ignore(e).values({**values, "provenance": jsonable(provenance)}).returning(e.c.id)
            ).scalar()
            if found is None:
                return int(
                    conn.execute(select(e.c.id).where(e.c.bug_id == bug_id, e.c.content_hash == content)).one()[0]
                )
            rows = [
                {"example_id": found, "position": n, "kind": i.kind, "name": i.name, "text": i.text, "image": i.image}
                for n, i in enumerate(usable)
            ]
            conn.execute(schema.example_inputs.insert(), rows)
        return int(found)

    def _redacted(self, item: ExampleInput) -> ExampleInput:
        return ExampleInput(item.kind, item.name, self.redactor.redact(item.text), item.image)

    def examples(self) -> list[Example]:
        """Every stored example, oldest first."""
        e, i = schema.examples, schema.example_inputs
        with self.db.begin() as conn:
            heads = conn.execute(select(e).order_by(e.c.id)).all()
            parts = conn.execute(select(i).order_by(i.c.example_id, i.c.position)).all()
        inputs: dict[int, list[ExampleInput]] = {}
        for p in parts:
            inputs.setdefault(p.example_id, []).append(ExampleInput(p.kind, p.name, p.text, p.image))
        return [
            Example(h.id, h.bug_id, tuple(inputs.get(h.id, ())), dict(h.provenance), h.created, h.content_hash)
            for h in heads
        ]

    def remove_example(self, example_id: int) -> None:
        """Delete one example (the next refresh removes its rows from the index)."""
        with self.db.begin() as conn:
            if conn.execute(delete(schema.examples).where(schema.examples.c.id == example_id)).rowcount == 0:
                raise ExampleNotFound()

    def add_negative(self, bug_id: str, text: str, provenance: dict[str, Any]) -> int | None:
        """Remember that `bug_id` was "Not it" for this query text (secrets redacted); the negative's id."""
        text = self.redactor.redact(text)
        if not text.strip():
            return None
        n = schema.negatives
        digest = hashlib.sha256(text.encode()).hexdigest()
        values = {"bug_id": bug_id, "query_text": text, "text_hash": digest, "created": time.time(), **who(provenance)}
        with self.db.begin() as conn:
            conn.execute(self.db.insert_ignore(n).values({**values, "provenance": jsonable(provenance)}))
            return int(conn.execute(select(n.c.id).where(n.c.bug_id == bug_id, n.c.text_hash == digest)).one()[0])

    def negatives(self) -> list[Negative]:
        """Every stored negative, oldest first."""
        n = schema.negatives
        with self.db.begin() as conn:
            rows = conn.execute(select(n).order_by(n.c.id)).all()
        return [Negative(r.id, r.bug_id, r.query_text, dict(r.provenance), r.created) for r in rows]

    def remove_negative(self, negative_id: int) -> None:
        with self.db.begin() as conn:
            if conn.execute(delete(schema.negatives).where(schema.negatives.c.id == negative_id)).rowcount == 0:
                raise ExampleNotFound("No negative has that id; run `supportbot examples list` to see them.")


def example_hash(bug_id: str, inputs: Sequence[ExampleInput]) -> str:
    """A content hash over the bug and every input's kind, name, text and image bytes."""
    digest = hashlib.sha256(bug_id.encode())
    for item in inputs:
        image = hashlib.sha256(item.image).hexdigest() if item.image is not None else ""
        digest.update(json.dumps([item.kind, item.name, item.text, image]).encode())
    return digest.hexdigest()


def query_text(texts: Sequence[str]) -> str:
    """The text the matcher searches as a whole: every non-empty input text, one per line."""
    return "\n".join(t for t in texts if t.strip())


def as_input(item: ExampleInput | tuple[Any, ...]) -> ExampleInput:
    """Accept `ExampleInput`s or plain (kind, name, text[, image bytes]) tuples."""
    return item if isinstance(item, ExampleInput) else ExampleInput(*item)


def who(provenance: dict[str, Any]) -> dict[str, Any]:
    """The people a learned item came from, as columns (so `forget --user` finds them)."""
    return {"asked_by": provenance.get("asked_by"), "confirmed_by": provenance.get("confirmed_by")}


def jsonable(provenance: dict[str, Any]) -> dict[str, Any]:
    """Provenance as JSON can store it (anything unusual becomes its string)."""
    return dict(json.loads(json.dumps(provenance, default=str)))


def learn_from_feedback(
    store: LearnedExamples, record: AnswerRecord, kind: str, user: str, bug_id: str | None = None
) -> int | None:
    """Turn a "This fixed it" / "Not it" press on an answer into an example or a negative of the bug it named, or a
    triage link (`kind` "linked") into an example of the linked `bug_id`."""
    bug_id = bug_id or record.offered_bug
    if bug_id is None or kind not in ("fixed", "not_it", "linked"):
        return None
    provenance = {
        "answer_id": record.id,
        "source": record.source,
        "channel": record.channel,
        "asked_by": record.user,
        "message_ts": record.message_ts,
        "confirmed_by": user,
        "confirmed_at": time.time(),
        "feedback": kind,
    }
    if kind == "not_it":
        return store.add_negative(bug_id, query_text([i.text for i in record.inputs]), provenance)
    inputs = [ExampleInput(i.kind, i.name, i.text) for i in record.inputs if i.text.strip()]
    return store.add_example(bug_id, inputs, provenance)
