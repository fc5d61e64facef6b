"""What the bot learns from feedback: confirmed examples of known bugs and "Not it" negatives.

Both live in one SQLite file in the data dir (never in the knowledge files). The refresher embeds each
example as rows of kind `example` for its bug; the matcher demotes a bug for queries nearly identical to
one a user said it was not.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.errors import BotError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.embed import Embedder
    from bot.feedback import AnswerRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS examples (
    id INTEGER PRIMARY KEY AUTOINCREMENT, bug_id TEXT NOT NULL, created REAL NOT NULL,
    content_hash TEXT NOT NULL, provenance TEXT NOT NULL, UNIQUE (bug_id, content_hash)
);
CREATE TABLE IF NOT EXISTS example_inputs (
    example_id INTEGER NOT NULL REFERENCES examples (id) ON DELETE CASCADE, position INTEGER NOT NULL,
    kind TEXT NOT NULL, name TEXT NOT NULL, text TEXT NOT NULL, image BLOB, PRIMARY KEY (example_id, position)
);
CREATE TABLE IF NOT EXISTS negatives (
    id INTEGER PRIMARY KEY AUTOINCREMENT, bug_id TEXT NOT NULL, query_text TEXT NOT NULL, created REAL NOT NULL,
    provenance TEXT NOT NULL, UNIQUE (bug_id, query_text)
);
"""


class ExampleNotFound(BotError):
    """`examples remove` was given an id that is not stored."""

    message = "No learned example has that id; run `supportbot examples list` to see them."


@dataclass(frozen=True)
class ExampleInput:
    """One input of a confirmed query: its kind ("text", "image", "audio"), file name, text and optional image."""

    kind: str
    name: str
    text: str
    image: bytes | None = None


@dataclass(frozen=True)
class Example:
    """A query a user confirmed was fixed by `bug_id`, with where it came from."""

    id: int
    bug_id: str
    inputs: tuple[ExampleInput, ...]
    provenance: dict[str, Any]
    created: float
    content_hash: str

    def as_dict(self) -> dict[str, Any]:
        inputs = [{"kind": i.kind, "name": i.name, "text": i.text, "image": i.image is not None} for i in self.inputs]
        return {
            "id": self.id,
            "bug_id": self.bug_id,
            "inputs": inputs,
            "provenance": self.provenance,
            "created": self.created,
        }


@dataclass(frozen=True)
class Negative:
    """A query for which a user said `bug_id` was "Not it"."""

    id: int
    bug_id: str
    query_text: str
    provenance: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "bug_id": self.bug_id,
            "query_text": self.query_text,
            "provenance": self.provenance,
            "created": self.created,
        }


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


class ExampleStore:
    """Learned examples and negatives in `data_dir/examples.sqlite3`; safe across threads and processes."""

    def __init__(self, settings: Settings) -> None:
        self.path = Path(settings.data_dir) / "examples.sqlite3"
        self._ready = False
        self._lock = threading.Lock()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A short-lived connection (one transaction), creating the file and tables on first use."""
        with self._lock:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(str(self.path), timeout=10.0)) as db:
                db.execute("PRAGMA foreign_keys = ON")
                if not self._ready:
                    db.executescript(SCHEMA)
                    self._ready = True
                with db:
                    yield db

    def add(
        self, bug_id: str, inputs: Sequence[ExampleInput | tuple[Any, ...]], provenance: dict[str, Any]
    ) -> int | None:
        """Store a confirmed example; returns its id (the existing id for a repeat), or None if it has no content."""
        usable = tuple(i for i in map(as_input, inputs) if i.text.strip() or i.image is not None)
        if not usable:
            return None
        content = example_hash(bug_id, usable)
        with self._db() as db:
            found = db.execute("SELECT id FROM examples WHERE bug_id = ? AND content_hash = ?", (bug_id, content))
            row = found.fetchone()
            if row is not None:
                return int(row[0])
            cursor = db.execute(
                "INSERT INTO examples (bug_id, created, content_hash, provenance) VALUES (?, ?, ?, ?)",
                (bug_id, time.time(), content, json.dumps(provenance, default=str)),
            )
            example_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT INTO example_inputs VALUES (?, ?, ?, ?, ?, ?)",
                [(example_id, n, i.kind, i.name, i.text, i.image) for n, i in enumerate(usable)],
            )
        return example_id

    def list(self) -> builtins.list[Example]:
        """Every stored example, oldest first."""
        with self._db() as db:
            heads = db.execute("SELECT id, bug_id, created, content_hash, provenance FROM examples ORDER BY id")
            examples = heads.fetchall()
            parts = db.execute("SELECT example_id, kind, name, text, image FROM example_inputs ORDER BY 1, position")
            inputs: dict[int, list[ExampleInput]] = {}
            for example_id, kind, name, text, image in parts.fetchall():
                inputs.setdefault(example_id, []).append(ExampleInput(kind, name, text, image))
        return [
            Example(eid, bug, tuple(inputs.get(eid, ())), json.loads(prov), created, content)
            for eid, bug, created, content, prov in examples
        ]

    def remove(self, example_id: int) -> None:
        """Delete one example (the next refresh removes its rows from the index)."""
        with self._db() as db:
            if db.execute("DELETE FROM examples WHERE id = ?", (example_id,)).rowcount == 0:
                raise ExampleNotFound()

    def add_negative(self, bug_id: str, text: str, provenance: dict[str, Any]) -> int | None:
        """Remember that `bug_id` was "Not it" for this query text; returns the negative's id."""
        if not text.strip():
            return None
        with self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO negatives (bug_id, query_text, created, provenance) VALUES (?, ?, ?, ?)",
                (bug_id, text, time.time(), json.dumps(provenance, default=str)),
            )
            row = db.execute("SELECT id FROM negatives WHERE bug_id = ? AND query_text = ?", (bug_id, text)).fetchone()
        return int(row[0])

    def negatives(self) -> builtins.list[Negative]:
        """Every stored negative, oldest first."""
        with self._db() as db:
            rows = db.execute("SELECT id, bug_id, query_text, provenance, created FROM negatives ORDER BY id")
            found = rows.fetchall()
        return [Negative(nid, bug, text, json.loads(prov), created) for nid, bug, text, prov, created in found]

    def remove_negative(self, negative_id: int) -> None:
        with self._db() as db:
            if db.execute("DELETE FROM negatives WHERE id = ?", (negative_id,)).rowcount == 0:
                raise ExampleNotFound("No negative has that id; run `supportbot examples list` to see them.")


def as_input(item: ExampleInput | tuple[Any, ...]) -> ExampleInput:
    """Accept `ExampleInput`s or plain (kind, name, text[, image bytes]) tuples."""
    return item if isinstance(item, ExampleInput) else ExampleInput(*item)


def learn_from_feedback(store: ExampleStore, record: AnswerRecord, kind: str, user: str) -> int | None:
    """Turn a "This fixed it" / "Not it" press on an answer into an example or a negative of the bug it named."""
    bug_id = record.offered_bug
    if bug_id is None or kind not in ("fixed", "not_it"):
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
    return store.add(bug_id, inputs, provenance)


class Negatives:
    """Finds the bugs users rejected for a query nearly identical to this one (cosine ≥ the threshold)."""

    def __init__(self, store: ExampleStore, embedder: Embedder, threshold: float) -> None:
        self.store = store
        self.embedder = embedder
        self.threshold = threshold
        self._vectors: dict[int, np.ndarray] = {}

    def rejected(self, vector: np.ndarray) -> dict[str, float]:
        """Each rejected bug with the highest similarity of this query (the vector of its whole text) to a query
        it was rejected for."""
        negatives = self.store.negatives() if self.store.path.exists() else []
        if not negatives:
            return {}
        todo = [n for n in negatives if n.id not in self._vectors]
        for negative, vector in zip(todo, self.embedder.encode_texts([n.query_text for n in todo]), strict=True):
            self._vectors[negative.id] = vector
        similarity = np.stack([self._vectors[n.id] for n in negatives]) @ vector
        found: dict[str, float] = {}
        for negative, value in zip(negatives, similarity.tolist(), strict=True):
            if value >= self.threshold:
                found[negative.bug_id] = max(value, found.get(negative.bug_id, 0.0))
        return found
