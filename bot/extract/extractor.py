"""Read text out of decoded media: screens by OCR (`screen`), speech by faster-whisper biased toward the
knowledge base's own vocabulary (`speech`), recordings as their key screens plus their sound track, and logs as
their salient lines (`logs`). Models load lazily, once."""

from __future__ import annotations

import contextvars
import functools
import logging
import math
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.deadline import check
from bot.errors import BotError, ExtractionError
from bot.extract.frames import key_screens
from bot.extract.logs import archive_lines, log_lines
from bot.extract.ocr import TextReader, load_reader
from bot.extract.screen import ScreenReader
from bot.extract.speech import PROMPT_TOKENS, fit_prompt, load_asr
from bot.ranking.text import shows_failure
from bot.records import Media, QueryInput, TextLine
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.intake import Recording

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
UNREADABLE_RECORDING = (
    "I could not read any text or speech in that recording; please hold the error on screen for a second, "
    "or add a few words about it."
)
SOUND_LOST = (
    "Its sound track could not be decoded, so only its screens were read; if you spoke over it, please send that as "
    "a voice clip."
)
STAGES = {"image": "OCR", "audio": "ASR", "recording": "recording", "snippet": "log"}


class Extractor:
    """Owns the OCR engines and the speech model; each loads once, on first use or in `warm()`."""

    def __init__(
        self,
        settings: Settings,
        reader: TextReader | None = None,
        asr_model: Any = None,
        fine_reader: TextReader | None = None,
    ) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._reader = reader
        self._fine_reader = fine_reader
        self._asr_model = asr_model
        self._hotwords: dict[tuple[str, ...], str] = {}

    def text_reader(self) -> TextReader:
        """The configured OCR engine (its fast models), loaded on first use."""
        with self._lock:
            if self._reader is None:
                self._reader = load_reader(self.settings.ocr_engine, self.settings.threads)
            return self._reader

    def screen_reader(self) -> ScreenReader:
        """The fast engine with the accurate one that reads small or unsure text again, loaded on first use."""
        fast = self.text_reader()
        with self._lock:
            if self._fine_reader is None:
                self._fine_reader = load_reader(self.settings.ocr_engine, self.settings.threads, fine=True)
            return ScreenReader(fast, self._fine_reader)

    def asr_model(self) -> Any:
        """The faster-whisper model, loaded on first use."""
        with self._lock:
            if self._asr_model is None:
                self._asr_model = load_asr(self.settings.asr_model, self.settings.threads)
            return self._asr_model

    def warm(self) -> None:
        """Load the enabled models and run each once on a small input (their first calls are slow)."""
        from PIL import Image, ImageDraw

        if self.settings.ocr:
            image = Image.new("RGB", (320, 60), "white")
            ImageDraw.Draw(image).text((8, 12), "warm up 123: connection failed", fill="black")
            self.ocr(image)
        if self.settings.asr:
            self.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32), ("warm",))

    def extract(self, media: Media, vocabulary: Sequence[str] = ()) -> QueryInput:
        """The text in `media`; a switched-off recogniser gives empty text, a failing one `ExtractionError`."""
        try:
            if media.kind == "image":
                lines = self.ocr(media.payload) if self.settings.ocr else ()
                return QueryInput(media.name, "image", joined(lines), lines, image=media.payload)
            if media.kind == "recording":
                return self.watch(media.name, media.payload, vocabulary)
            if media.kind == "snippet":
                limit = self.settings.max_snippet_lines
                is_log = isinstance(media.payload, str)
                lines = log_lines(media.payload, limit) if is_log else archive_lines(media.payload, limit)
                return QueryInput(media.name, "snippet", joined(lines), lines)
            lines = self.transcribe(media.payload, vocabulary) if self.settings.asr else ()
            return QueryInput(media.name, "audio", " ".join(line.text for line in lines), lines)
        except BotError:
            raise
        except Exception as err:  # a library failure on one input must not take the bot down
            log.exception("%s failed on %r (sha256 %s)", STAGES[media.kind], media.name, media.sha256[:12])
            raise ExtractionError() from err

    # --- OCR ---------------------------------------------------------------------------------

    def ocr(self, image: Any, at: float | None = None) -> tuple[TextLine, ...]:
        """The text lines of an RGB PIL image that show the failure, in reading order."""
        return self.screen_reader().read(image, at)

    def watch(self, name: str, recording: Recording, vocabulary: Sequence[str]) -> QueryInput:
        """A recording as one input: the text of its distinct screens (each line stamped with the moment its
        screen appeared) and what is said on its sound track. The sound track is transcribed while the frames
        are decoded and read (both leave cores idle on their own)."""
        seen: list[TextLine] = []
        image = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="listen") as listener:
            hear = functools.partial(self.transcribe, recording.samples, vocabulary)
            # heard in the context of this work, so that it keeps to the work's deadline
            hearing = listener.submit(contextvars.copy_context().run, hear) if self.settings.asr else None
            if self.settings.ocr:
                screens = key_screens(recording.frames(), self.settings.recording_screens, 1.0 / recording.fps)
                read = [(screen, self.ocr(screen.image, round(screen.start, 1))) for screen in screens]
                failing = [(s, lines) for s, lines in read if any(shows_failure(line.text) for line in lines)]
                for _, lines in failing or read:  # screens that show an error, when any does
                    seen.extend(lines)
                if read:
                    image = max(failing or read, key=lambda item: item[0].seconds)[0].image
            heard = hearing.result() if hearing else ()
        text = "\n".join(part for part in (joined(seen), " ".join(line.text for line in heard)) if part)
        tried = self.settings.ocr or (self.settings.asr and recording.samples.size)
        error = None if text or not tried else UNREADABLE_RECORDING
        note = SOUND_LOST if recording.sound_lost and error is None else None
        return QueryInput(name, "recording", text, (*seen, *heard), image=image, error=error, note=note)

    # --- speech ------------------------------------------------------------------------------

    def transcribe(self, samples: np.ndarray, vocabulary: Sequence[str] = ()) -> tuple[TextLine, ...]:
        """Transcribe 16 kHz mono samples, biased toward `vocabulary` when `asr_vocabulary` is on; past the work's
        deadline, it stops before hearing the next 30 s window."""
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
            temperature=0.0,  # no sampled retries: the same clip always gives the same words, in bounded time
            hotwords=self._hotwords_for(model, words),
        )
        lines = []
        for segment in segments:  # each 30 s window is heard as the one before is taken
            text = segment.text.strip()
            if text:
                confidence = min(1.0, math.exp(segment.avg_logprob))
                lines.append(TextLine(text, confidence, origin="speech", at=round(float(segment.start), 1)))
            check()
        return tuple(lines)

    def _hotwords_for(self, model: Any, vocabulary: tuple[str, ...]) -> str | None:
        """The vocabulary as a hotword string that fits the prompt budget (cached per vocabulary)."""
        if not vocabulary:
            return None
        if vocabulary not in self._hotwords:
            self._hotwords = {vocabulary: fit_prompt(vocabulary, model.hf_tokenizer, PROMPT_TOKENS)}
        return self._hotwords[vocabulary] or None


def joined(lines: Sequence[TextLine]) -> str:
    return "\n".join(line.text for line in lines)
