"""The knowledge table in LanceDB: atomic writes, pinned read snapshots, dense and full-text search."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from bot.errors import IndexNotReady
from bot.records import KnownBug
from bot.settings import Settings

log = logging.getLogger(__name__)

GRAMS = "grams"  # each row's letter trigrams, space-separated, searched by their own full-text index
TEXT_COLUMNS = ("id", "bug_id", "kind", "source", "text", GRAMS, "entry_hash", "media_hash", "meta")
HASH_COLUMNS = ("id", "bug_id", "kind", "entry_hash", "media_hash")


@dataclass(frozen=True)
class Hit:
    """One row found by a search: `score` is a cosine similarity (dense) or a BM25 score (full text)."""

    bug_id: str
    kind: str
    source: str
    text: str
    score: float


def table_name(settings: Settings, fingerprint: str) -> str:
    """One table per knowledge base and embedding model, so two never mix."""
    base = settings.index_name or default_index_name(settings.knowledge_dir)
    return f"{base}__{fingerprint}"


def default_index_name(knowledge_dir: Path) -> str:
    """A stable name derived from the knowledge folder's absolute path."""
    resolved = str(knowledge_dir.expanduser().resolve())
    slug = re.sub(r"[^a-z0-9]+", "-", knowledge_dir.resolve().name.lower()).strip("-") or "kb"
    return f"{slug}-{hashlib.sha1(resolved.encode()).hexdigest()[:8]}"


def row_schema(dim: int, image_dim: int | None, model: str, backend: str = "torch") -> pa.Schema:
    """The table's schema; its metadata records the model (and backend) that made the vectors."""
    fields = [pa.field(name, pa.string()) for name in TEXT_COLUMNS]
    fields.append(pa.field("vector", pa.list_(pa.float32(), dim)))
    if image_dim:
        fields.append(pa.field("image_vector", pa.list_(pa.float32(), image_dim)))
    meta = {"model": model, "backend": backend, "dim": str(dim), "image_dim": str(image_dim or 0)}
    return pa.schema(fields, metadata={k.encode(): v.encode() for k, v in meta.items()})


def trigram_index() -> Any:
    """The full-text index of the `grams` column: its tokens are the trigrams as written, split at spaces only."""
    from lancedb.index import FTS

    return FTS(
        with_position=False,
        base_tokenizer="whitespace",
        lower_case=False,
        stem=False,
        remove_stop_words=False,
        ascii_folding=False,
    )


def bug_meta(bug: KnownBug) -> str:
    """A bug's display fields as JSON, stored on its `doc` row so readers need no knowledge files."""
    fields = ("id", "title", "product", "tags", "status", "links", "symptoms", "resolution", "path")
    return json.dumps({f: getattr(bug, f) for f in fields})


def bug_from_meta(meta: str, content_hash: str) -> KnownBug:
    data = json.loads(meta)
    data["tags"], data["links"] = tuple(data["tags"]), tuple(data["links"])
    return KnownBug(body="", content_hash=content_hash, **data)


def quote_all(values: Sequence[str]) -> str:
    """SQL string literals for an IN (...) list."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def ann_config(table: Any) -> Any:
    """The ANN index configuration that pays for this table's size, or None."""
    from bot.ann import choose_ann_index

    dim = table.schema.field("vector").type.list_size
    return choose_ann_index(table.count_rows(), dim)


def sibling_tables(db: Any, base: str) -> list[str]:
    """The tables of one knowledge base (`<base>__<fingerprint>`), one per embedding model."""
    prefix = f"{base}__"
    return [n for n in db.table_names() if n.startswith(prefix) and "__" not in n[len(prefix) :]]


def stored_fingerprint(settings: Settings, db: Any, model: str, backend: str = "torch") -> str | None:
    """The fingerprint of this knowledge base's table whose vectors `model` made on `backend`, read without loading
    the model (`db`: a LanceDB connection, or a `LanceFolder` from `catalog`; tables without a backend are torch's)."""
    base = table_name(settings, "")[:-2]
    for name in sibling_tables(db, base):
        metadata = db.open_table(name).schema.metadata or {}
        if (metadata.get(b"model", b"").decode(), metadata.get(b"backend", b"torch").decode()) == (model, backend):
            return name[len(base) + 2 :]
    return None


def connect(settings: Settings) -> Any:
    """Open the LanceDB database named by the settings (a folder or an object-store URI)."""
    import lancedb

    from bot.storage import storage_options

    uri = settings.lancedb_uri
    if "://" not in uri:
        Path(uri).mkdir(parents=True, exist_ok=True)
    return lancedb.connect(uri, storage_options=storage_options(settings) or None)


class LanceFolder:
    """A local LanceDB folder opened read-only with `lance` itself (importing LanceDB alone takes ~2 s): it lists
    and opens the `<name>.lance` datasets LanceDB keeps there, as a LanceDB connection would."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def table_names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name[: -len(".lance")] for p in self.root.iterdir() if p.suffix == ".lance" and p.is_dir())

    def open_table(self, name: str) -> Any:
        """The table's newest version, as a `lance.LanceDataset`."""
        import lance

        return lance.dataset(str(self.root / f"{name}.lance"))


def lance_folder(settings: Settings) -> LanceFolder | None:
    """The settings' store as a `LanceFolder` when it is a local folder; None for an object store."""
    uri = settings.lancedb_uri
    return None if "://" in uri else LanceFolder(Path(uri))


def catalog(settings: Settings) -> Any:
    """Something to list tables and read their schemas with: a `LanceFolder` locally, else a LanceDB connection."""
    return lance_folder(settings) or connect(settings)


@dataclass(frozen=True)
class BugEntry:
    """One bug as a snapshot holds it: its display record and the (kind, text) of its knowledge rows."""

    bug: KnownBug
    rows: tuple[tuple[str, str], ...]


class Snapshot:
    """A read view pinned to one table version: every search of a query sees the same state. The bugs' records
    and knowledge texts are read once, when it opens, and so is whatever `derive` computes from them."""

    def __init__(self, table: Any, settings: Settings, derive: Callable[[Snapshot], Any] | None = None) -> None:
        self.table = table
        self.version: int = table.version
        self._ann = ann_config(table) if table.list_indices() else None
        self.examples: int = table.count_rows("kind = 'example'")
        self.keeps_grams = GRAMS in table.schema.names
        self.entries = read_entries(table)
        self.derived: Any = derive(self) if derive is not None else None

    def dense(self, vector: np.ndarray, limit: int, column: str = "vector", where: str | None = None) -> list[Hit]:
        """The `limit` nearest rows (optionally only those matching the SQL filter `where`), best first."""
        query = self.table.search(vector, vector_column_name=column).distance_type("cosine").limit(limit)
        if where:
            query = query.where(where, prefilter=True)
        if self._ann is not None and column == "vector":
            query = self._ann.apply(query)
        rows = query.select(["bug_id", "kind", "source", "text", "_distance"]).to_list()
        return [Hit(r["bug_id"], r["kind"], r["source"], r["text"], 1.0 - float(r["_distance"])) for r in rows]

    def full_text(self, text: str, limit: int, where: str | None = None) -> list[Hit]:
        """BM25 over the rows' words."""
        return self._bm25("text", text, limit, where)

    def trigrams(self, grams: str, limit: int, where: str | None = None) -> list[Hit]:
        """BM25 over the rows' letter trigrams (`grams` as the refresher writes them); none from a table written
        before rows kept them, until the refresher adds them."""
        return self._bm25(GRAMS, grams, limit, where) if self.keeps_grams else []

    def _bm25(self, column: str, text: str, limit: int, where: str | None) -> list[Hit]:
        """BM25 over `column`'s words, `text` read as words whatever it holds (a string query would read a text in
        quotes as a phrase, which an index without positions refuses)."""
        from lancedb.query import MatchQuery

        if not text.strip():
            return []
        words = MatchQuery(text, column)  # type: ignore[call-arg]  # its other fields have defaults mypy cannot see
        query = self.table.search(words, query_type="fts").limit(limit)
        if where:
            query = query.where(where, prefilter=True)
        rows = query.select(["bug_id", "kind", "source", "text", "_score"]).to_list()
        return [Hit(r["bug_id"], r["kind"], r["source"], r["text"], float(r["_score"])) for r in rows]

    def texts(self, bug_ids: Sequence[str] | None = None) -> dict[str, list[tuple[str, str]]]:
        """The (kind, text) of every knowledge row (learned examples aside) of these bugs, or of all bugs."""
        chosen = self.entries if bug_ids is None else {b: self.entries[b] for b in bug_ids if b in self.entries}
        return {bug_id: list(entry.rows) for bug_id, entry in chosen.items()}

    def bugs(self, bug_ids: Sequence[str]) -> dict[str, KnownBug]:
        """The display records of these bugs (those in this version), in the order asked."""
        return {b: self.entries[b].bug for b in bug_ids if b in self.entries}

    def all_bugs(self) -> list[KnownBug]:
        """Every bug's display record, by id."""
        return sorted((entry.bug for entry in self.entries.values()), key=lambda bug: bug.id)


def read_entries(table: Any) -> dict[str, BugEntry]:
    """Every bug's record (from its `doc` row) and knowledge rows, in one read of the text columns."""
    query = table.search().where("kind != 'example'").select(["bug_id", "kind", "text", "meta", "entry_hash"])
    rows: dict[str, list[tuple[str, str]]] = {}
    records: dict[str, KnownBug] = {}
    for row in query.limit(None).to_list():
        rows.setdefault(row["bug_id"], []).append((row["kind"], row["text"]))
        if row["kind"] == "doc":
            records[row["bug_id"]] = bug_from_meta(row["meta"], row["entry_hash"])
    return {b: BugEntry(record, tuple(rows[b])) for b, record in records.items()}


class KnowledgeIndex:
    """Owns one knowledge table: pinned snapshots for readers, atomic whole-entry writes for the refresher."""

    def __init__(
        self, settings: Settings, fingerprint: str, db: Any = None, derive: Callable[[Snapshot], Any] | None = None
    ) -> None:
        self.settings = settings
        self.name = table_name(settings, fingerprint)
        self._db = db
        self._derive = derive
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked = 0.0

    @property
    def db(self) -> Any:
        """The LanceDB connection, opened on first use (so a refresh with nothing to do never imports LanceDB)."""
        if self._db is None:
            self._db = connect(self.settings)
        return self._db

    def exists(self) -> bool:
        return self.name in self.db.table_names()

    def open_table(self) -> Any:
        if not self.exists():
            raise IndexNotReady()
        return self.db.open_table(self.name)

    def snapshot(self) -> Snapshot:
        """The newest committed version, re-checked at most every `index_check_seconds`."""
        with self._lock:
            now = time.monotonic()
            if self._snapshot is None or now - self._checked >= self.settings.index_check_seconds:
                latest = self.open_table()
                if self._snapshot is None or latest.version != self._snapshot.version:
                    self._snapshot = Snapshot(latest, self.settings, self._derive)
                self._checked = now
            return self._snapshot

    def derive_with(self, derive: Callable[[Snapshot], Any]) -> None:
        """Compute `derive(snapshot)` when each snapshot opens (as `snapshot.derived`), starting with the next one."""
        with self._lock:
            self._derive = derive
            self._snapshot = None

    def check_model(self, model: str, dim: int) -> None:
        """Fail clearly when the stored vectors were made by another model."""
        meta = {k.decode(): v.decode() for k, v in (self.open_table().schema.metadata or {}).items()}
        if meta.get("model") != model or meta.get("dim") != str(dim):
            raise IndexNotReady(
                f"The index was built with {meta.get('model')!r} ({meta.get('dim')}-d) but {model!r} ({dim}-d) "
                "is configured; run `supportbot refresh` to rebuild it."
            )

    def stored_rows(self) -> list[dict[str, Any]]:
        """Every row's text columns (no vectors): what the refresher compares against."""
        if not self.exists():
            return []
        return self.open_table().search().select(list(TEXT_COLUMNS)).limit(None).to_list()

    def stored_hashes(self) -> tuple[list[dict[str, Any]], int] | None:
        """Every row's id, kind and hashes, with the table version they were read at (None when there is no table).

        A local store is read with `lance` directly, so a refresh that finds nothing changed never imports LanceDB.
        """
        folder = lance_folder(self.settings)
        if folder is None:
            if not self.exists():
                return None
            table = self.open_table()
            return table.search().select(list(HASH_COLUMNS)).limit(None).to_list(), int(table.version)
        if self.name not in folder.table_names():
            return None
        dataset = folder.open_table(self.name)
        return dataset.to_table(columns=list(HASH_COLUMNS)).to_pylist(), int(dataset.version)

    def lacks_grams(self) -> bool:
        """Whether the table was written before rows kept their letter trigrams (read without LanceDB when local)."""
        store = catalog(self.settings)
        return self.name in store.table_names() and GRAMS not in store.open_table(self.name).schema.names

    def add_grams(self, grams_of: Callable[[str], str]) -> int:
        """Give a table written before rows kept their letter trigrams its `grams` column, made from each row's
        text by `grams_of` (no media is read again), and index it. Two commits: a reader in between finds no
        trigrams, as before."""
        table = self.open_table()
        table.add_columns([pa.field(GRAMS, pa.string())])
        rows = table.search().select(["id", "text"]).limit(None).to_list()
        grams = pa.table({"id": [r["id"] for r in rows], GRAMS: [grams_of(r["text"] or "") for r in rows]})
        table.merge_insert("id").when_matched_update_all().execute(grams)
        self.maintain(table)
        log.info("%s: added the letter trigrams of %d rows", self.name, len(rows))
        return int(table.version)

    def stored_vectors(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Full rows (with vectors) by id, so unchanged media need not be embedded again."""
        if not ids or not self.exists():
            return {}
        rows = self.open_table().search().where(f"id IN ({quote_all(ids)})").limit(None).to_list()
        return {r["id"]: r for r in rows}

    def create(self, rows: list[dict[str, Any]], schema: pa.Schema) -> int:
        """Write a whole new table in one commit (first build, or a model change), then drop other models' tables."""
        table = self.db.create_table(self.name, data=pa.Table.from_pylist(rows, schema=schema), mode="overwrite")
        self.maintain(table)
        self.drop_other_models()
        return int(table.version)

    def drop_other_models(self) -> None:
        """Drop this knowledge base's tables made by other embedding models (only once this one exists)."""
        base, _, _ = self.name.rpartition("__")
        for name in sibling_tables(self.db, base):
            if name != self.name:
                log.info("dropping %s: the index was rebuilt as %s for another embedding model", name, self.name)
                self.db.drop_table(name)

    def replace_entries(
        self, rows: list[dict[str, Any]], bug_ids: Sequence[str], schema: pa.Schema, row_ids: Sequence[str] = ()
    ) -> int:
        """Replace all rows of `bug_ids` (and the rows `row_ids`) with `rows` in a single commit.

        Readers see old or new, never a mix; full-text search also covers rows the FTS index has not
        taken in yet, so the versions written before `maintain` finishes are consistent too.
        """
        table = self.open_table()
        source = pa.Table.from_pylist(rows, schema=schema)
        scope = [f"{col} IN ({quote_all(values)})" for col, values in (("bug_id", bug_ids), ("id", row_ids)) if values]
        merge = table.merge_insert("id").when_matched_update_all().when_not_matched_insert_all()
        if scope:
            merge = merge.when_not_matched_by_source_delete(" OR ".join(scope))
        merge.execute(source)
        self.maintain(table)
        return int(table.version)

    def maintain(self, table: Any) -> None:
        """Keep the full-text indexes (of words, of trigrams) in step, build an ANN index once it pays, drop old
        versions."""
        from datetime import timedelta

        from lancedb.index import FTS

        retention = timedelta(seconds=self.settings.version_retention_seconds)
        indexed = {index.columns[0] for index in table.list_indices()}
        if "text" not in indexed:
            table.create_index("text", config=FTS(with_position=False), replace=True)
        if GRAMS not in indexed and GRAMS in table.schema.names:
            table.create_index(GRAMS, config=trigram_index(), replace=True)
        config = ann_config(table)
        if config is not None and "vector" not in indexed:
            table.create_index("vector", **config.index_kwargs())
        table.optimize(cleanup_older_than=retention)
