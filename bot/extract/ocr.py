"""The OCR engines: PP-OCRv6 tiny models through faster-paddle (the default, about 4x less CPU) or the small
models through rapidocr. Each finds text boxes in an image and reads them; `bot.extract.layout` puts the boxes
in reading order. Both wheels carry their models, so nothing downloads; each library is imported only when
its engine is chosen."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.errors import ModelError
from bot.settings import OcrEngine

OCR_PIXELS = 500_000  # rapidocr's detector input area: screenshots are scaled to about this many pixels...
OCR_SCALE = (0.4, 3.0)  # ...but never shrunk or enlarged beyond these factors
# faster-paddle's detector sees screenshots at their own size: not enlarged (its default enlarges the short side to
# 736 px) and, up to 3328 px, not shrunk (its default shrinks the long side to 1600 px, losing a desktop's small
# text); a 4K screen is detected at 0.87, where its 100%-scale text is still found (measured on 54 4K desktops: at
# 2/3 the small window's text was lost, and reading it back in full-size tiles cost twice the CPU); recognition
# always reads the boxes from the full-size image
DETECT_MIN_SIDE = 0
DETECT_MAX_SIDE = 3328
# how `bot.extract.screen` reads (and an animation is read as a recording): a change reads again
SCREEN_READING = (
    "blocks-focus-any-second-look-16px-bands-2.2-0.8mp-kept-if-half-clear-once-photo-own-size-unsharp"
    "-animations-sure-12px-quarter-turns-routine-records-code-is-no-failure-dark-inverted-sure-amount"
    "-failing-windows-read-alone-large-second-look-150-nearest-failure-tiny-unsure-text-also-own-size"
    "-large-screens-detected-where-shown-misread-detail-key-curl-code-dim-also-brightened-prompt-windows-strips-framed"
    "-unread-text-enlarged-strokes"
)


@dataclass(frozen=True)
class TextBox:
    """One piece of text an engine found, with its box in the image's pixels and the engine's confidence."""

    text: str
    confidence: float
    left: float
    top: float
    right: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def width(self) -> float:
        return self.right - self.left


class TextReader(Protocol):
    """An OCR engine: the text boxes of an RGB PIL image, in no particular order."""

    def read(self, image: Any) -> list[TextBox]: ...


def reader_id(engine: OcrEngine) -> str:
    """Names the engine and the settings that shape its text: stored with what it read, so a change re-reads."""
    if engine == "faster-paddle":
        return f"faster-paddle/tiny+small/min-side-{DETECT_MIN_SIDE}/max-side-{DETECT_MAX_SIDE}/{SCREEN_READING}"
    return f"rapidocr/small/{OCR_PIXELS}px/{SCREEN_READING}"


def load_reader(engine: OcrEngine, threads: int, fine: bool = False) -> TextReader:
    """The OCR engine the settings name, with its bundled models; `fine` asks for its more accurate models
    (faster-paddle's small ones; rapidocr has only those)."""
    if engine == "faster-paddle":
        return FasterPaddleReader(threads, "small" if fine else "tiny")
    return RapidOcrReader(threads)


class FasterPaddleReader:
    """PP-OCRv6 tiny or small (detector and recogniser) in faster-paddle's native ONNX Runtime pipeline."""

    def __init__(self, threads: int, size: str = "tiny") -> None:
        try:
            import faster_paddle
        except ImportError as err:
            raise ModelError("OCR needs faster-paddle; run `pip install faster-paddle`.") from err
        self._engine = faster_paddle.OcrEngine(
            model_size=size, threads=threads, det_min_side=DETECT_MIN_SIDE, det_max_side=DETECT_MAX_SIDE
        )

    def read(self, image: Any) -> list[TextBox]:
        encoded = io.BytesIO()
        image.convert("RGB").save(encoded, format="BMP")  # uncompressed: the cheapest way across
        found = self._engine.ocr(encoded.getvalue())["bounds"].values()
        return [
            TextBox(b["text"], float(b["confidence"]), *map(float, (*b["topLeftCoord"], *b["bottomRightCoord"])))
            for b in found
            if b["text"].strip()
        ]


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

    def read(self, image: Any) -> list[TextBox]:
        scaled = rapidocr_input(image)
        result = self._engine(scaled)
        if getattr(result, "txts", None) is None or result.boxes is None:
            return []
        back = image.size[0] / scaled.shape[1]  # boxes come in the scaled copy's pixels
        corners = np.asarray(result.boxes, dtype=np.float32) * back
        lows, highs = corners.min(axis=1), corners.max(axis=1)
        return [
            TextBox(text, float(score), *map(float, (*low, *high)))
            for text, score, low, high in zip(result.txts, result.scores, lows, highs, strict=True)
            if text.strip()
        ]


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
