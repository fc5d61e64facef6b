"""The CrossEncoder reranker: rescores the top candidate bugs against the query text."""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import replace
from typing import Any

from bot.errors import ModelError
from bot.records import Candidate
from bot.settings import Settings

log = logging.getLogger(__name__)


class Reranker:
    """Owns the CrossEncoder; `rerank` reorders candidates by its scores (best first)."""

    def __init__(self, settings: Settings, model: Any = None) -> None:
        self.name = settings.rerank_model or ""
        self._settings = settings
        self._model = model
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        from sentence_transformers import CrossEncoder

        try:
            return CrossEncoder(self.name, device=self._settings.device)
        except Exception as err:  # noqa: BLE001 - any loader failure becomes one clear error
            log.exception("cannot load reranker %s", self.name)
            raise ModelError(f"The reranker {self.name!r} could not be loaded; check the name or path.") from err

    def warm(self) -> None:
        self.model.predict([("warm up", "warm up")], show_progress_bar=False)

    def rerank(self, query: str, candidates: list[Candidate], snapshot: Any, reorder: bool = True) -> list[Candidate]:
        """Score (query, bug description) pairs for the first `count` candidates and give each the score as its
        `rerank` feature: reordered by it (the top `rerank_top_k`, the rest after them in their order), or, with
        `reorder` off, the top `top_k` in their order (the ranking model reads the score as a feature)."""
        count = self._settings.rerank_top_k if reorder else self._settings.top_k
        bugs = snapshot.bugs([c.bug_id for c in candidates[:count]])
        head = [c for c in candidates[:count] if c.bug_id in bugs]
        if not query.strip() or not head:
            return candidates
        documents = [bugs[c.bug_id].doc_text for c in head]
        ranked = self.model.rank(query, documents, return_documents=False, show_progress_bar=False)
        scores = {int(entry["corpus_id"]): probability(entry["score"]) for entry in ranked}
        order = [int(entry["corpus_id"]) for entry in ranked] if reorder else range(len(head))
        rescored = [replace(head[i], features={**head[i].features, "rerank": scores[i]}) for i in order]
        return rescored + candidates[count:]


def probability(score: Any) -> float:
    """A CrossEncoder score as a probability (sentence-transformers already applies a sigmoid to 1-label models)."""
    value = float(score)
    return value if 0.0 <= value <= 1.0 else 1.0 / (1.0 + math.exp(-value))
