"""Text embedding with ONNX Runtime: export a sentence-transformers text model once, then encode without torch.

sentence-transformers' own `backend="onnx"` needs `optimum-onnx`, which pins transformers<4.58 and so cannot be
installed beside sentence-transformers 6. This does the same job with onnxruntime, onnx and tokenizers: the
transformer is exported with mean pooling and L2 normalisation in the graph, optionally int8-quantized (dynamic,
per-channel weights), and texts are tokenized with the model's own `tokenizer.json`. Only a folder holding
Transformer + Pooling(mean) (+ Normalize) qualifies; `read_text_model` says why any other does not.
"""

from __future__ import annotations

import inspect
import json
import logging
import multiprocessing
import os
import tempfile
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ONNX_BACKENDS = ("onnx", "onnx-int8")
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
EXPORT_VERSION = "1"  # bump when the exported graph changes, so old files are not reused
POOLING_MODES = ("mean_tokens", "cls_token", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens", "lasttoken")


class UnsupportedModel(ValueError):
    """The model folder is not a plain text Transformer + mean Pooling model; the message says why."""


@dataclass(frozen=True)
class TextModel:
    """What the ONNX path needs from a sentence-transformers text model folder."""

    folder: Path
    max_length: int
    lower_case: bool
    dimension: int
    padding_side: str
    truncation_side: str

    @property
    def weights_key(self) -> str:
        """Path, size and mtime of the weights, config and tokenizer, so a changed model is exported again."""
        parts = [str(self.folder.resolve()), EXPORT_VERSION]
        files = [*self.folder.glob("*.safetensors"), *self.folder.glob("*.bin"), self.folder / "config.json"]
        for path in sorted(p for p in [*files, self.folder / "tokenizer.json"] if p.is_file()):
            stat = path.stat()
            parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
        return "|".join(parts)


def read_json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text())) if path.is_file() else {}


def read_text_model(folder: Path) -> TextModel:
    """The model's tokenizer and pooling settings, or `UnsupportedModel` when ONNX cannot reproduce its output."""
    modules = json.loads((folder / "modules.json").read_text()) if (folder / "modules.json").is_file() else []
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise UnsupportedModel(f"modules {kinds or 'unknown (no modules.json)'} are not Transformer+Pooling")
    root = folder / modules[0].get("path", "")
    sbert, config = read_json(root / "sentence_bert_config.json"), read_json(root / "config.json")
    check_transformer(root, sbert, config, read_json(folder / "config_sentence_transformers.json"))
    pooling = read_json(folder / modules[1].get("path", "") / "config.json")
    if (mode := pooling_mode(pooling)) != "mean":
        raise UnsupportedModel(f"pooling is {mode!r}, not mean")
    tokenizer = read_json(root / "tokenizer_config.json")
    limit = int(config.get("max_position_embeddings") or 512)
    max_length = sbert.get("max_seq_length") or min(int(tokenizer.get("model_max_length") or limit), limit)
    dimension = pooling.get("embedding_dimension") or pooling.get("word_embedding_dimension") or config["hidden_size"]
    return TextModel(
        folder=root,
        max_length=int(max_length),
        lower_case=bool(sbert.get("do_lower_case", False)),
        dimension=int(dimension),
        padding_side=str(tokenizer.get("padding_side", "right")),
        truncation_side=str(tokenizer.get("truncation_side", "right")),
    )


def check_transformer(root: Path, sbert: dict[str, Any], config: dict[str, Any], st_config: dict[str, Any]) -> None:
    """Refuse what the exported graph does not reproduce: images or other modalities, tasks, default prompts."""
    if not (root / "tokenizer.json").is_file():
        raise UnsupportedModel("there is no tokenizer.json")
    if "vision_config" in config or "audio_config" in config:
        raise UnsupportedModel("the transformer is multimodal")
    if sbert.get("transformer_task", "feature-extraction") != "feature-extraction":
        raise UnsupportedModel(f"the transformer task is {sbert['transformer_task']!r}")
    modalities = sbert.get("modality_config", {"text": {}})
    output = modalities.get("text", {}).get("method_output_name", "last_hidden_state")
    if set(modalities) != {"text"} or output != "last_hidden_state":
        raise UnsupportedModel(f"the transformer's modalities are {sorted(modalities)}")
    if st_config.get("default_prompt_name"):
        raise UnsupportedModel("the model adds a default prompt")


def pooling_mode(pooling: dict[str, Any]) -> str:
    """The pooling mode a Pooling config asks for ("mean", "cls_token", ...), in either config format."""
    if "pooling_mode" in pooling:
        return str(pooling["pooling_mode"])
    modes = [m for m in POOLING_MODES if pooling.get(f"pooling_mode_{m}")]
    return "mean" if modes == ["mean_tokens"] else "+".join(modes) or "none"


def export_text_model(model: TextModel, out: Path, int8: bool) -> Path:
    """Write `out` (token ids -> normalised sentence embedding) once, atomically; another process waits and reuses it.

    Torch and the weights load in a spawned process of their own, so what the export allocates (about 0.5 GB) is
    given back when it ends instead of staying in the process that serves; a daemonic process, which may not start
    children, exports in place. int8 quantizes the weights per channel
    (per-tensor int8 gave cosine 0.955 to torch on the dev set, per-channel 0.993) and the activations dynamically
    at run time.
    """
    from filelock import FileLock

    out.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out) + ".lock"):
        if out.exists():
            return out
        if multiprocessing.current_process().daemon:
            write_export(model.folder, out, int8)
            return out
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as child:
            child.submit(write_export, model.folder, out, int8).result()
    return out


def write_export(folder: Path, out: Path, int8: bool) -> None:
    """Export (and quantize) into a temporary file beside `out`, then move it into place."""
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".export-") as tmp:
        graph = export_fp32(folder, Path(tmp) / "fp32.onnx")
        if int8:
            graph = quantize_int8(graph, Path(tmp) / "int8.onnx")
        os.replace(graph, out)


def export_fp32(folder: Path, out: Path) -> Path:
    """`torch.onnx.export` of the transformer with mean pooling and L2 normalisation folded into the graph."""
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
            extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    encoder = AutoModel.from_pretrained(str(folder)).eval()
    names = INPUTS if "token_type_ids" in inspect.signature(encoder.forward).parameters else INPUTS[:2]
    ids = torch.ones((2, 16), dtype=torch.long)
    axes = {name: {0: "batch", 1: "seq"} for name in names}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python branches
        torch.onnx.export(
            Pooled(encoder),
            (ids, ids, torch.zeros_like(ids))[: len(names)],
            str(out),
            dynamo=False,
            opset_version=17,
            input_names=list(names),
            output_names=["sentence_embedding"],
            dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
        )
    return out


def quantize_int8(fp32: Path, out: Path) -> Path:
    """A dynamically int8-quantized copy of `fp32`: weights int8 per channel, activations quantized at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    root.addFilter(drop_record)  # the quantizer logs hundreds of lines straight to the root logger
    try:
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.removeFilter(drop_record)
    return out


def drop_record(record: logging.LogRecord) -> bool:
    """A logger filter that drops everything (records of child loggers reach the root's handlers unfiltered)."""
    return False


class OnnxTextEncoder:
    """Encodes texts with an exported graph: SentenceTransformer.encode(normalize_embeddings=True)'s vectors (int8:
    cosine ~0.99 to them)."""

    def __init__(self, path: Path, model: TextModel, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.model = model
        self.tokenizer = Tokenizer.from_file(str(model.folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(model.max_length, direction=model.truncation_side)
        # padded positions are masked out of attention and pooling, so the pad id does not change the vectors
        pad = self.tokenizer.padding or {"pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}
        self.tokenizer.enable_padding(
            direction=model.padding_side,
            pad_id=pad["pad_id"],
            pad_type_id=pad["pad_type_id"],
            pad_token=pad["pad_token"],
        )

    def encode(self, texts: list[str], batch_size: int = 1) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text.

        One text per run is the default: on the int8 graph it was as fast per CPU-second as batches of 4-32, peaks
        at a quarter of the memory of batches of 32 (attention grows with batch x length^2 and ONNX Runtime's arena
        keeps the peak), and makes a text's vector independent of its batch (activation scales are per run).
        Larger batches are grouped by length, as sentence-transformers does.
        """
        if self.model.lower_case:
            texts = [t.lower() for t in texts]
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.model.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._run([texts[i] for i in rows])
        return out

    def _run(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        arrays = {
            "input_ids": [e.ids for e in encodings],
            "attention_mask": [e.attention_mask for e in encodings],
            "token_type_ids": [e.type_ids for e in encodings],
        }
        feed = {name: np.asarray(rows, dtype=np.int64) for name, rows in arrays.items() if name in self.inputs}
        return np.asarray(self.session.run(None, feed)[0], dtype=np.float32)
