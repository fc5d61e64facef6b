"""Keep the knowledge table in step with the knowledge files: incremental, atomic, one writer at a time."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from bot.embed import Embedder
from bot.errors import BotError, KnowledgeError
from bot.extract import Extractor, reader_id, vocabulary_from_texts
from bot.index import GRAMS, KnowledgeIndex, bug_meta, catalog, row_schema, stored_fingerprint, table_name
from bot.knowledge import (
    AUDIO_SUFFIXES,
    KnowledgeLimits,
    KnowledgeScan,
    entry_files,
    entry_folders,
    hash_file,
    hash_files,
    read_regular,
    scan_knowledge,
    unreadable,
)
from bot.leader import Leader, open_leader
from bot.memory import release_freed
from bot.ranking.text import gram_text
from bot.records import Attachment, KnownBug
from bot.settings import Settings
from bot.storage import is_object_store
from bot.store import BugChange, Example, Store, change_key

log = logging.getLogger(__name__)
Progress = Callable[[Iterable[Any], int], Iterable[Any]]


class RefreshBusy(BotError):
    """Another process is refreshing the same index."""

    message = "Another refresh is running; try again when it has finished."


class RefreshTimedOut(BotError):
    """A refresh ran past `refresh_timeout_seconds`; it stopped before writing anything."""

    message = (
        "The refresh ran past SUPPORTBOT_REFRESH_TIMEOUT_SECONDS and stopped before writing; the index is unchanged. "
        "Check the knowledge folder for unusually large files, or raise the limit."
    )


@dataclass
class RefreshReport:
    """What a refresh did; `version` is the table version now served."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    version: int | None = None
    embedded: list[str] = field(default_factory=list)
    examples_added: int = 0
    examples_removed: int = 0
    screenshots: int = 0
    screenshots_per_second: float | None = None
    changes: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        keys = (
            "added",
            "updated",
            "deleted",
            "unchanged",
            "failed",
            "seconds",
            "version",
            "embedded",
            "examples_added",
            "examples_removed",
            "screenshots",
            "screenshots_per_second",
            "changes",
        )
        return {k: getattr(self, k) for k in keys}


@dataclass
class Plan:
    """What one refresh must write: changed and deleted bugs, learned examples to embed or drop; and the changed
    bugs whose status or resolution changed (for fix notices)."""

    changed: list[KnownBug]
    deleted: list[str]
    new_bugs: int
    examples: list[Example]
    new_examples: int
    dropped_rows: list[str]
    exists: bool
    changes: list[BugChange] = field(default_factory=list)

    @property
    def work(self) -> bool:
        return bool(self.changed or self.deleted or self.examples or self.dropped_rows or not self.exists)


class Refresher:
    """Builds knowledge rows (OCR, transcripts, embeddings) and writes only what changed."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        extractor: Extractor,
        index: KnowledgeIndex,
        store: Store | None = None,
        leader: Leader | None = None,
    ) -> None:
        self.settings = settings
        self.leader = leader
        self.embedder = embedder
        self.extractor = extractor
        self.index = index
        self.store = store
        self.limits = KnowledgeLimits.from_settings(settings)
        self._started: float | None = None

    def refresh(self, progress: Progress | None = None) -> RefreshReport:
        """Bring the table in line with the knowledge folder, under a cross-process lock and a time limit."""
        if is_object_store(self.settings.lancedb_uri):
            return self._refresh_as_leader(progress)
        lock_path = Path(self.settings.data_dir) / f"{self.index.name}.refresh.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with FileLock(str(lock_path), timeout=self.settings.refresh_lock_seconds):
                return self._timed(progress)
        except Timeout as err:
            raise RefreshBusy() from err

    def _refresh_as_leader(self, progress: Progress | None) -> RefreshReport:
        """On an object store a data-dir lock excludes no other machine: hold the store's leader lease (given up
        when the time limit passes, even if the refresh is stuck)."""
        self.leader = self.leader or open_leader(self.settings)
        with self.leader.hold(self.settings.refresh_timeout_seconds) as held:
            if not held:
                raise RefreshBusy()
            return self._timed(progress)

    def _timed(self, progress: Progress | None) -> RefreshReport:
        self._started = time.monotonic()
        try:
            return self._refresh(progress)
        finally:
            self._started = None
            release_freed()  # the knowledge screenshots it read

    def overdue(self) -> bool:
        """Whether a refresh is running past `refresh_timeout_seconds` (the scheduler then gives up the lease)."""
        started = self._started
        return started is not None and time.monotonic() - started > self.settings.refresh_timeout_seconds

    def _check_time(self) -> None:
        """Stop a refresh that ran out of time (checked between entries and before writing)."""
        if self.overdue():
            raise RefreshTimedOut()

    def _refresh(self, progress: Progress | None) -> RefreshReport:
        started = time.monotonic()
        report = RefreshReport()
        root = Path(self.settings.knowledge_dir)
        if not root.is_dir():
            raise BotError(
                f"The knowledge folder {root} does not exist; pass --knowledge or set SUPPORTBOT_KNOWLEDGE_DIR."
            )
        if self.index.lacks_grams():  # written before rows kept their trigrams: added from the stored text
            self.index.add_grams(gram_text)
        unchanged = self._unchanged(root)
        if unchanged is not None:
            report.unchanged, report.version = unchanged
        else:
            self._update(scan_knowledge(root, self.limits), report, progress)
        report.seconds = round(time.monotonic() - started, 3)
        log.debug("refresh %s: %s", self.index.name, {k: v for k, v in report.as_dict().items() if k != "embedded"})
        return report

    def _unchanged(self, root: Path) -> tuple[int, int] | None:
        """The number of entries and the table version when every entry and learned example is as stored (found
        by hashing files, without parsing them, loading a model or importing LanceDB); None when anything may
        have changed."""
        found = self.index.stored_hashes()
        if found is None:
            return None
        rows, version = found
        stored = stored_hashes(rows)
        folders = entry_folders(root)
        if {f.name for f in folders} != set(stored):
            return None
        for folder in folders:
            self._check_time()
            if entry_hash(folder, root, self.limits) != stored[folder.name]:
                return None
        if read_by_other_models(rows, self.settings):
            return None
        held = {r["id"]: r["entry_hash"] for r in rows if r["kind"] == "example"}
        examples = self.store.examples() if self.store else []
        wanted = {i: e.content_hash for e in examples if e.bug_id in stored for i in example_row_ids(e)}
        return (len(folders), version) if wanted == held else None

    def _update(self, scan: KnowledgeScan, report: RefreshReport, progress: Progress | None) -> None:
        """Parse, embed and write what changed (the model loads here, only when there is work)."""
        report.failed = [{"path": e.path, "reason": e.reason} for e in scan.errors]
        plan = self._plan(scan)
        if plan.work and self._use_model_table():
            plan = self._plan(scan)
        report.unchanged = len(scan.bugs) - len(plan.changed)
        if plan.work:
            self._load_models(plan)
            started = time.perf_counter()
            rows = self._build_rows(plan, scan, report, progress)
            if report.screenshots:  # OCR and embedding, warm: what indexing throughput means
                report.screenshots_per_second = round(report.screenshots / (time.perf_counter() - started), 2)
            self._check_time()
            if plan.changes and self.store is not None:  # before the write: a crash in between loses no change
                self.store.record_changes(plan.changes)
            report.version = self._write(rows, plan)
            report.changes = [c.as_dict() for c in plan.changes]
            report.added, report.updated = plan.new_bugs, len(plan.changed) - plan.new_bugs
            report.deleted = len(plan.deleted)
            report.examples_added = plan.new_examples
            report.examples_removed = len({row_id.split("/")[2] for row_id in plan.dropped_rows})
        else:
            report.version = int(self.index.open_table().version)

    def _load_models(self, plan: Plan) -> None:
        """Load the models the plan needs before the clock starts, so the reported rate is a warm one."""
        self.embedder.model  # noqa: B018 - loads (or exports) it
        screens = any(Path(m).suffix.lower() not in AUDIO_SUFFIXES for b in plan.changed for m in b.media)
        if self.settings.ocr and screens:
            self.extractor.text_reader()

    def _plan(self, scan: KnowledgeScan) -> Plan:
        """Compare the scan and the learned examples with the stored rows (no model is needed for this)."""
        stored_rows = self.index.stored_rows()
        stored = stored_hashes(stored_rows)
        current = {bug.id: bug for bug in scan.bugs}
        reread = read_by_other_models(stored_rows, self.settings)
        changed = [b for b in scan.bugs if stored.get(b.id) != b.content_hash or b.id in reread]
        deleted = [bug_id for bug_id in stored if bug_id not in current and not missing_but_broken(bug_id, scan)]
        live = (set(current) | set(stored)) - set(deleted)
        rewritten = {b.id for b in changed}
        wanted = [e for e in (self.store.examples() if self.store else []) if e.bug_id in live]
        held = {r["id"]: r["entry_hash"] for r in stored_rows if r["kind"] == "example"}
        fresh = {e.id for e in wanted if any(held.get(i) != e.content_hash for i in example_row_ids(e))}
        keep = {i for e in wanted for i in example_row_ids(e)}
        return Plan(
            changed=changed,
            deleted=deleted,
            new_bugs=sum(1 for b in changed if b.id not in stored),
            examples=[e for e in wanted if e.bug_id in rewritten or e.id in fresh],
            new_examples=len(fresh),
            dropped_rows=sorted(i for i in held if i not in keep),
            exists=self.index.exists(),
            changes=status_changes(stored_rows, changed),
        )

    def _use_model_table(self) -> bool:
        """Load the model; if the table found by its name belongs to another version of it, switch tables."""
        fingerprint = self.embedder.fingerprint
        if self.index.name == table_name(self.settings, fingerprint):
            return False
        self.index = KnowledgeIndex(self.settings, fingerprint, self.index.db)
        return True

    def _write(self, rows: list[dict[str, Any]], plan: Plan) -> int:
        for row in rows:
            row[GRAMS] = gram_text(row["text"] or "")
        schema = self.schema()
        if not self.index.exists():
            return self.index.create(rows, schema)
        bug_ids = [b.id for b in plan.changed] + plan.deleted
        return self.index.replace_entries(rows, bug_ids, schema, plan.dropped_rows)

    def schema(self) -> Any:
        image_dim = self.embedder.dimension if self.embedder.supports("image") else None
        return row_schema(self.embedder.dimension, image_dim, self.embedder.name, self.embedder.backend)

    def _build_rows(
        self, plan: Plan, scan: KnowledgeScan, report: RefreshReport, progress: Progress | None
    ) -> list[dict[str, Any]]:
        bugs = plan.changed
        vocabulary = vocabulary_from_texts([b.doc_text for b in scan.bugs], limit=self.settings.asr_vocabulary_size)
        media_ids = [media_row_id(b.id, m) for b in bugs for m in b.media]
        reuse = self.index.stored_vectors(media_ids + [i for e in plan.examples for i in example_row_ids(e)])
        rows: list[dict[str, Any]] = []
        items: Iterable[KnownBug] = progress(bugs, len(bugs)) if progress else bugs
        for bug in items:
            self._check_time()
            rows.append(doc_row(bug))
            for name in bug.media:
                row = self._media_row(bug, name, vocabulary, reuse, report)
                if row is not None:
                    rows.append(row)
        for example in plan.examples:
            rows += self._example_rows(example, reuse)
        self._embed(rows)
        report.embedded = sorted({b.id for b in bugs})
        return rows

    def _media_row(
        self, bug: KnownBug, name: str, vocabulary: list[str], reuse: dict[str, dict[str, Any]], report: RefreshReport
    ) -> dict[str, Any] | None:
        path = Path(bug.path) / name
        try:
            digest = hash_file(path)
            old = reuse.get(media_row_id(bug.id, name))
            if old is not None and old["media_hash"] == f"{digest}@{reader_of(old['kind'], self.settings)}":
                return {**old, "entry_hash": bug.content_hash}
            from bot.intake import decode_attachment  # PIL: only when a media file must be read again

            media = decode_attachment(Attachment(name, read_regular(path, self.limits.media_bytes)), self.settings)
            extracted = self.extractor.extract(media, vocabulary)
        except OSError as err:
            report.failed.append({"path": str(path), "reason": unreadable(path, err).reason})
            return None
        except BotError as err:
            report.failed.append({"path": str(path), "reason": err.message})
            return None
        kind = "transcript" if media.kind == "audio" else "ocr"  # a recording's row is read on screen (and heard)
        media_hash = f"{digest}@{reader_of(kind, self.settings)}"
        report.screenshots += kind == "ocr"
        return {
            "id": media_row_id(bug.id, name),
            "bug_id": bug.id,
            "kind": kind,
            "source": name,
            "text": extracted.text,
            "entry_hash": bug.content_hash,
            "media_hash": media_hash,
            "meta": "",
            "_image": extracted.image if self.embedder.supports("image") else None,  # else released now
        }

    def _example_rows(self, example: Example, reuse: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        """One row of kind `example` per input of a learned example (stored vectors reused when unchanged)."""
        rows = []
        for row_id, item in zip(example_row_ids(example), example.inputs, strict=True):
            old = reuse.get(row_id)
            if old is not None and old["entry_hash"] == example.content_hash:
                rows.append(old)
                continue
            rows.append(
                {
                    "id": row_id,
                    "bug_id": example.bug_id,
                    "kind": "example",
                    "text": item.text,
                    "source": f"example-{example.id}/{item.name}",
                    "entry_hash": example.content_hash,
                    "media_hash": "",
                    "meta": "",
                    "_image": self._example_image(item.name, item.image),
                }
            )
        return rows

    def _example_image(self, name: str, data: bytes | None) -> Any:
        """The decoded image of an example input, when the model embeds images natively."""
        if data is None or not self.embedder.supports("image"):
            return None
        from bot.intake import decode_attachment

        try:
            return decode_attachment(Attachment(name=name, data=data), self.settings).payload
        except BotError as err:
            log.warning("learned example image %s cannot be used: %s", name, err.message)
            return None

    def _embed(self, rows: list[dict[str, Any]]) -> None:
        """Fill `vector` (and `image_vector`) of rows that do not carry them yet."""
        todo = [r for r in rows if "vector" not in r]
        vectors = self.embedder.encode_texts([r["text"] or r["bug_id"] for r in todo])
        for row, vector in zip(todo, vectors, strict=True):
            row["vector"] = vector.tolist()
        if self.embedder.supports("image"):
            self._embed_images(todo)
        for row in rows:
            row.pop("_image", None)

    def _embed_images(self, rows: list[dict[str, Any]]) -> None:
        with_image = [r for r in rows if r.get("_image") is not None]
        images = self.embedder.encode_images([r["_image"] for r in with_image])
        for row, vector in zip(with_image, images, strict=True):
            row["image_vector"] = vector.tolist()
        for row in rows:
            row.setdefault("image_vector", row["vector"])


def doc_row(bug: KnownBug) -> dict[str, Any]:
    """The row that describes a bug in words; it also carries the bug's display fields."""
    return {
        "id": f"{bug.id}/doc",
        "bug_id": bug.id,
        "kind": "doc",
        "source": "bug.md",
        "text": bug.doc_text,
        "entry_hash": bug.content_hash,
        "media_hash": "",
        "meta": bug_meta(bug),
    }


def media_row_id(bug_id: str, name: str) -> str:
    return f"{bug_id}/media/{name}"


def example_row_ids(example: Example) -> list[str]:
    """The row ids of a learned example's inputs: `<bug>/example/<example id>/<n>`."""
    return [f"{example.bug_id}/example/{example.id}/{n}" for n in range(len(example.inputs))]


def entry_hash(folder: Path, root: Path, limits: KnowledgeLimits) -> str | None:
    """The content hash `read_entry` gives a folder (bug.md plus its media), computed without parsing it; None
    when the entry would be refused."""
    try:
        bug, media = entry_files(folder, root, limits)
        return hash_files([bug, *media])
    except (KnowledgeError, OSError):
        return None


def reader_of(kind: str, settings: Settings) -> str:
    """What reads a media row's text: switching the OCR engine (or how it reads) or the speech model means reading
    again."""
    return f"ocr={reader_id(settings.ocr_engine)}" if kind == "ocr" else f"asr={settings.asr_model}"


def read_by_other_models(rows: list[dict[str, Any]], settings: Settings) -> set[str]:
    """The bugs with a screenshot or recording whose stored text another OCR engine or speech model read."""
    media = [r for r in rows if r["kind"] in ("ocr", "transcript")]
    return {r["bug_id"] for r in media if not (r["media_hash"] or "").endswith("@" + reader_of(r["kind"], settings))}


def stored_hashes(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Each stored bug's entry hash, from its doc row."""
    return {r["bug_id"]: r["entry_hash"] for r in rows if r["kind"] == "doc"}


def status_changes(rows: list[dict[str, Any]], changed: list[KnownBug]) -> list[BugChange]:
    """The changed bugs whose status or resolution differs from what their stored doc row shows."""
    before = {r["bug_id"]: r for r in rows if r["kind"] == "doc" and r["meta"]}
    found = []
    for bug in changed:
        row = before.get(bug.id)
        if row is None:
            continue
        old = json.loads(row["meta"])
        status, resolution = str(old.get("status", "")), str(old.get("resolution", ""))
        if status != bug.status or " ".join(resolution.split()) != " ".join(bug.resolution.split()):
            key = change_key(bug.id, row["entry_hash"], bug.content_hash)
            found.append(BugChange(bug.id, bug.title, status, bug.status, resolution, bug.resolution, key=key))
    return found


def missing_but_broken(bug_id: str, scan: KnowledgeScan) -> bool:
    """A stored bug whose folder still exists but no longer parses keeps its last good rows."""
    return any(Path(err.path).parent.name == bug_id or Path(err.path).name == bug_id for err in scan.errors)


def build_refresher(
    settings: Settings, embedder: Embedder | None = None, extractor: Extractor | None = None, store: Store | None = None
) -> Refresher:
    """A refresher over the settings' knowledge folder (learned examples from `store`, else the settings' store);
    models load only once something must be embedded."""
    embedder = embedder or Embedder(settings)
    stored = stored_fingerprint(settings, catalog(settings), embedder.name, embedder.backend)
    fingerprint = stored or embedder.fingerprint
    index = KnowledgeIndex(settings, fingerprint)
    leader = open_leader(settings)
    return Refresher(settings, embedder, extractor or Extractor(settings), index, store or Store.open(settings), leader)
