"""Read the text lines of a screenshot with PP-OCRv6: the tiny models through faster-paddle (the default, about
4x less CPU) or the small models through rapidocr. Both wheels carry their models, so nothing downloads;
each library is imported only when its engine is chosen."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.errors import ModelError
from bot.records import TextLine
from bot.settings import OcrEngine

OCR_PIXELS = 500_000  # rapidocr's detector input area: screenshots are scaled to about this many pixels...
OCR_SCALE = (0.4, 3.0)  # ...but never shrunk or enlarged beyond these factors
# faster-paddle's detector sees screenshots at their own size (its default enlarges the short side to 736 px)
DETECT_MIN_SIDE = 0


class TextReader(Protocol):
    """An OCR engine: the text lines of an RGB PIL image, in reading order."""

    def read(self, image: Any) -> tuple[TextLine, ...]: ...


def reader_id(engine: OcrEngine) -> str:
    """Names the engine and the settings that shape its text: stored with what it read, so a change re-reads."""
    if engine == "faster-paddle":
        return f"faster-paddle/tiny/min-side-{DETECT_MIN_SIDE}"
    return f"rapidocr/small/{OCR_PIXELS}px"


def load_reader(engine: OcrEngine, threads: int) -> TextReader:
    """The OCR engine the settings name, with its bundled models."""
    return FasterPaddleReader(threads) if engine == "faster-paddle" else RapidOcrReader(threads)


class FasterPaddleReader:
    """PP-OCRv6 tiny (detector and recogniser) in faster-paddle's native ONNX Runtime pipeline."""

    def __init__(self, threads: int) -> None:
        try:
            import faster_paddle
        except ImportError as err:
            raise ModelError("OCR needs faster-paddle; run `pip install faster-paddle`.") from err
        self._engine = faster_paddle.OcrEngine(model_size="tiny", threads=threads, det_min_side=DETECT_MIN_SIDE)

    def read(self, image: Any) -> tuple[TextLine, ...]:
        encoded = io.BytesIO()
        image.convert("RGB").save(encoded, format="BMP")  # uncompressed: the cheapest way across
        found = [line for _, line in sorted(self._engine.ocr(encoded.getvalue())["bounds"].items())]
        if not found:
            return ()
        boxes = np.array([(*line["topLeftCoord"], *line["bottomRightCoord"]) for line in found], dtype=np.float32)
        return reading_order(boxes, [line["text"] for line in found], [line["confidence"] for line in found])


class RapidOcrReader:
    """PP-OCRv6 small through rapidocr, on a copy scaled to about `OCR_PIXELS`."""

    def __init__(self, threads: int) -> None:
        try:
            import rapidocr
            from rapidocr import RapidOCR
        except ImportError as err:
            raise ModelError("OCR needs rapidocr; run `pip install rapidocr onnxruntime`.") from err
        models = Path(rapidocr.__file__).parent / "models"
        det, rec = sorted(models.glob("*det*.onnx")), sorted(models.glob("*rec*.onnx"))
        if not det or not rec:
            raise ModelError(f"rapidocr's bundled models are missing from {models}; reinstall rapidocr.")
        params = {
            "Global.log_level": "error",
            "Global.use_cls": False,  # screenshots are upright; the angle classifier only costs time
            "Global.max_side_len": 100_000,  # `rapidocr_input` already chose the scale
            "Global.min_side_len": 1,
            "Global.use_vertical_padding": False,  # padding a wide strip to 1:8 quadruples the detector's work
            "Det.limit_type": "max",
            "Det.limit_side_len": 100_000,
            "Rec.rec_batch_num": 1,  # a batch pads every line to its widest: one line at a time is ~35% less work
            "Det.model_path": str(det[-1]),
            "Rec.model_path": str(rec[-1]),
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        self._engine: Any = RapidOCR(params=params)

    def read(self, image: Any) -> tuple[TextLine, ...]:
        result = self._engine(rapidocr_input(image))
        if getattr(result, "txts", None) is None or result.boxes is None:
            return ()
        corners = np.asarray(result.boxes, dtype=np.float32)
        boxes = np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1)
        return reading_order(boxes, result.txts, result.scores)


def rapidocr_input(image: Any) -> np.ndarray:
    """Scale an RGB image so its area is near `OCR_PIXELS` (tiny text grows, huge pages shrink); BGR."""
    from PIL import Image

    width, height = image.size
    low, high = OCR_SCALE
    scale = min(max(math.sqrt(OCR_PIXELS / max(1, width * height)), low), high)
    if abs(scale - 1.0) > 0.05:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


def reading_order(boxes: np.ndarray, texts: Sequence[str], scores: Sequence[float]) -> tuple[TextLine, ...]:
    """Join boxes (left, top, right, bottom) that sit on one visual row, left to right; rows top to bottom."""
    lefts, tops, bottoms = boxes[:, 0], boxes[:, 1], boxes[:, 3]
    rows: list[list[int]] = []
    for i in sorted(range(len(texts)), key=lambda k: (tops[k] + bottoms[k]) / 2):
        middle = (tops[i] + bottoms[i]) / 2
        row = rows[-1] if rows else None
        if row is not None and tops[row[0]] < middle < bottoms[row[0]]:
            row.append(i)
        else:
            rows.append([i])
    lines = []
    for row in rows:
        row.sort(key=lambda k: lefts[k])
        text = " ".join(texts[k].strip() for k in row if texts[k].strip())
        weights = [max(1, len(texts[k])) for k in row]
        confidence = sum(float(scores[k]) * w for k, w in zip(row, weights, strict=True)) / sum(weights)
        if text:
            lines.append(TextLine(text, confidence))
    return tuple(lines)
