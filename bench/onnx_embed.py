"""Export the packaged MiniLM to ONNX (fp32 and dynamic int8) and encode with ONNX Runtime directly.

sentence-transformers' `backend="onnx"` needs `optimum-onnx`, whose only release pins
transformers<4.58 while sentence-transformers 6 needs transformers>=5, so it cannot be installed here.
This module does the same job with what is installed: `torch.onnx.export` of the transformer with mean
pooling and L2 normalisation folded into the graph, `onnxruntime.quantization.quantize_dynamic` for
int8, and the model's own `tokenizer.json` via `tokenizers`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_onnx(model_dir: str, out: Path) -> Path:
    """Write `out` (fp32 ONNX graph: token ids -> normalised sentence embedding) unless it exists."""
    if out.exists():
        return out
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(model_dir).eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    ids = torch.ones((2, 16), dtype=torch.long)
    out.parent.mkdir(parents=True, exist_ok=True)
    axes = {name: {0: "batch", 1: "seq"} for name in INPUTS}
    torch.onnx.export(
        Pooled(),
        (ids, ids, torch.zeros_like(ids)),
        str(out),
        dynamo=False,
        opset_version=17,
        input_names=list(INPUTS),
        output_names=["sentence_embedding"],
        dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
    )
    return out


def quantize_int8(fp32: Path, out: Path) -> Path:
    """Write a dynamically int8-quantized copy of `fp32` (weights int8 per channel, activations at run time).

    Per-channel weight scales matter: per-tensor int8 gave cosine 0.966 to fp32, per-channel 0.994.
    """
    if not out.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True)
    return out


class OnnxEncoder:
    """Encode texts with an exported graph; same output as SentenceTransformer.encode(normalize=True)."""

    def __init__(self, onnx_path: Path, model_dir: str, threads: int, max_length: int = 256) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length embeddings, one row per text."""
        out = []
        for start in range(0, len(texts), batch_size):
            enc = self.tokenizer.encode_batch(texts[start : start + batch_size])
            feed = {
                "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
            }
            out.append(self.session.run(None, feed)[0])
        return np.concatenate(out)
