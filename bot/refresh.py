"""Keep the knowledge table in step with the knowledge files: incremental, atomic, one writer at a time."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from bot.embed import Embedder
from bot.errors import BotError
from bot.extract import Extractor, vocabulary_from_texts
from bot.index import KnowledgeIndex, bug_meta, row_schema
from bot.knowledge import AUDIO_SUFFIXES, KnowledgeScan, hash_file, scan_knowledge
from bot.media import decode_attachment
from bot.records import Attachment, KnownBug
from bot.settings import Settings

log = logging.getLogger(__name__)
Progress = Callable[[Iterable[Any], int], Iterable[Any]]


class RefreshBusy(BotError):
    """Another process is refreshing the same index."""

    message = "Another refresh is running; try again when it has finished."


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

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("added", "updated", "deleted", "unchanged", "failed", "seconds", "version", "embedded")}


class Refresher:
    """Builds knowledge rows (OCR, transcripts, embeddings) and writes only what changed."""

    def __init__(self, settings: Settings, embedder: Embedder, extractor: Extractor, index: KnowledgeIndex) -> None:
        self.settings = settings
        self.embedder = embedder
        self.extractor = extractor
        self.index = index

    def refresh(self, progress: Progress | None = None) -> RefreshReport:
        """Bring the table in line with the knowledge folder, under a cross-process lock."""
        lock_path = Path(self.settings.data_dir) / f"{self.index.name}.refresh.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with FileLock(str(lock_path), timeout=self.settings.refresh_lock_seconds):
                return self._refresh(progress)
        except Timeout as err:
            raise RefreshBusy() from err

    def _refresh(self, progress: Progress | None) -> RefreshReport:
        started = time.monotonic()
        report = RefreshReport()
        scan = scan_knowledge(Path(self.settings.knowledge_dir))
        report.failed = [{"path": e.path, "reason": e.reason} for e in scan.errors]
        stored = stored_hashes(self.index.stored_rows())
        current = {bug.id: bug for bug in scan.bugs}
        changed = [b for b in scan.bugs if stored.get(b.id) != b.content_hash]
        deleted = [bug_id for bug_id in stored if bug_id not in current and not missing_but_broken(bug_id, scan)]
        report.unchanged = len(scan.bugs) - len(changed)
        if changed or deleted or not self.index.exists():
            rows = self._build_rows(changed, scan, report, progress)
            report.version = self._write(rows, [b.id for b in changed] + deleted, scan)
            report.added = sum(1 for b in changed if b.id not in stored)
            report.updated = len(changed) - report.added
            report.deleted = len(deleted)
        else:
            report.version = int(self.index.open_table().version)
        report.seconds = round(time.monotonic() - started, 3)
        log.info("refresh %s: %s", self.index.name, {k: v for k, v in report.as_dict().items() if k != "embedded"})
        return report

    def _write(self, rows: list[dict[str, Any]], bug_ids: list[str], scan: KnowledgeScan) -> int:
        schema = self.schema()
        if not self.index.exists():
            return self.index.create(rows, schema)
        return self.index.replace_entries(rows, bug_ids, schema)

    def schema(self) -> Any:
        image_dim = self.embedder.dimension if self.embedder.supports("image") else None
        return row_schema(self.embedder.dimension, image_dim, self.embedder.name)

    def _build_rows(
        self, bugs: list[KnownBug], scan: KnowledgeScan, report: RefreshReport, progress: Progress | None
    ) -> list[dict[str, Any]]:
        vocabulary = vocabulary_from_texts([b.doc_text for b in scan.bugs], limit=self.settings.asr_vocabulary_size)
        reuse = self.index.stored_vectors([media_row_id(b.id, m) for b in bugs for m in b.media])
        rows: list[dict[str, Any]] = []
        items: Iterable[KnownBug] = progress(bugs, len(bugs)) if progress else bugs
        for bug in items:
            rows.append(doc_row(bug))
            for name in bug.media:
                row = self._media_row(bug, name, vocabulary, reuse, report)
                if row is not None:
                    rows.append(row)
        self._embed(rows)
        report.embedded = sorted({b.id for b in bugs})
        return rows

    def _media_row(
        self, bug: KnownBug, name: str, vocabulary: list[str], reuse: dict[str, dict[str, Any]], report: RefreshReport
    ) -> dict[str, Any] | None:
        path = Path(bug.path) / name
        media_hash = hash_file(path)
        old = reuse.get(media_row_id(bug.id, name))
        if old is not None and old["media_hash"] == media_hash:
            return {**old, "entry_hash": bug.content_hash}
        try:
            media = decode_attachment(Attachment(name=name, data=path.read_bytes()), self.settings)
            extracted = self.extractor.extract(media, vocabulary)
        except BotError as err:
            report.failed.append({"path": str(path), "reason": err.message})
            return None
        kind = "transcript" if path.suffix.lower() in AUDIO_SUFFIXES else "ocr"
        return {
            "id": media_row_id(bug.id, name), "bug_id": bug.id, "kind": kind, "source": name,
            "text": extracted.text, "entry_hash": bug.content_hash, "media_hash": media_hash, "meta": "",
            "_image": extracted.image,
        }

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
        "id": f"{bug.id}/doc", "bug_id": bug.id, "kind": "doc", "source": "bug.md", "text": bug.doc_text,
        "entry_hash": bug.content_hash, "media_hash": "", "meta": bug_meta(bug),
    }


def media_row_id(bug_id: str, name: str) -> str:
    return f"{bug_id}/media/{name}"


def stored_hashes(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Each stored bug's entry hash, from its doc row."""
    return {r["bug_id"]: r["entry_hash"] for r in rows if r["kind"] == "doc"}


def missing_but_broken(bug_id: str, scan: KnowledgeScan) -> bool:
    """A stored bug whose folder still exists but no longer parses keeps its last good rows."""
    return any(Path(err.path).parent.name == bug_id or Path(err.path).name == bug_id for err in scan.errors)


def build_refresher(settings: Settings, embedder: Embedder | None = None, extractor: Extractor | None = None) -> Refresher:
    """A refresher over the settings' knowledge folder, loading models as needed."""
    embedder = embedder or Embedder(settings)
    return Refresher(settings, embedder, extractor or Extractor(settings), KnowledgeIndex(settings, embedder.fingerprint))


def refresh_index(settings: Settings) -> RefreshReport:
    """Refresh the index for `settings.knowledge_dir` (used by the CLI, the scheduler and tests)."""
    return build_refresher(settings).refresh()


