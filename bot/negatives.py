"""At answer time: the bugs users said were "Not it" for a query nearly identical to this one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from bot.embed import Embedder
    from bot.store import Store


class Negatives:
    """Finds the bugs users rejected for a query nearly identical to this one (cosine ≥ the threshold)."""

    def __init__(self, store: Store, embedder: Embedder, threshold: float) -> None:
        self.store = store
        self.embedder = embedder
        self.threshold = threshold
        self._vectors: dict[int, np.ndarray] = {}

    def rejected(self, vector: np.ndarray) -> dict[str, float]:
        """Each rejected bug with the highest similarity of this query (the vector of its whole text) to a query
        it was rejected for."""
        negatives = self.store.negatives()
        if not negatives:
            return {}
        todo = [n for n in negatives if n.id not in self._vectors]
        for negative, seen in zip(todo, self.embedder.encode_texts([n.query_text for n in todo]), strict=True):
            self._vectors[negative.id] = seen
        similarity = np.stack([self._vectors[n.id] for n in negatives]) @ vector
        found: dict[str, float] = {}
        for negative, value in zip(negatives, similarity.tolist(), strict=True):
            if value >= self.threshold:
                found[negative.bug_id] = max(value, found.get(negative.bug_id, 0.0))
        return found
