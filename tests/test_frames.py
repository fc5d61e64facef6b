"""A recording's distinct screens (bot.extract.frames) and a recording read whole (screens + sound track), on
real encodes."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
from PIL import Image

from bot.deadline import PastDeadline, until
from bot.extract import Extractor
from bot.extract.extractor import SOUND_LOST
from bot.extract.frames import KEEP, key_screens
from bot.intake import decode_attachment
from bot.records import Attachment, TextLine
from tests.support import damaged, encode_video, espeak, terminal_screen

ERROR = ["$ npm install", "npm ERR! code ENOENT", "npm ERR! enoent Could not read package.json"]
CODE = ["def reconcile(orders):", "    return sum(o.total for o in orders)"]


def typing() -> list[tuple[Image.Image, float]]:
    command = "$ npm install --save left-pad"
    return [(terminal_screen([command[:n]]), 0.2) for n in range(2, len(command), 3)]


def screen_recording(**kwargs: Any) -> bytes:
    """Typing a command (the screen changes all the time), an editor held 1 s, then the error held 3 s."""
    return encode_video([*typing(), (terminal_screen(CODE), 1.0), (terminal_screen(ERROR), 3.0)], **kwargs)


@pytest.fixture(scope="module")
def extractor(shared_models: dict) -> Extractor:
    return shared_models["extractor"]


def test_the_screens_that_stay_still_are_chosen_in_order(extractor: Extractor) -> None:
    recording = decode_attachment(Attachment("r.mp4", screen_recording()), extractor.settings).payload
    screens = key_screens(recording.frames(), 3, 1 / recording.fps)
    assert len(screens) == 3  # the longest-held stretch of typing, the editor, the error
    *_, editor, error = screens
    assert editor.start == pytest.approx(2.0, abs=0.3) and editor.seconds == pytest.approx(1.0, abs=0.3)
    assert error.start == pytest.approx(3.0, abs=0.3) and error.seconds == pytest.approx(3.0, abs=0.3)
    assert error.image.size == (1100, 600)


@pytest.mark.parametrize(("container", "codec"), [("mp4", "libx264"), ("webm", "libvpx-vp9"), ("mov", "hevc")])
def test_a_silent_recording_is_read_from_its_error_screen_with_the_moment(
    extractor: Extractor, container: str, codec: str
) -> None:
    data = screen_recording(container=container, codec=codec)
    found = extractor.extract(decode_attachment(Attachment(f"r.{container}", data), extractor.settings))
    assert found.kind == "recording" and found.error is None
    assert "ENOENT" in found.text and "package.json" in found.text
    assert "reconcile" not in found.text  # a screen without an error goes when another shows one
    assert {line.origin for line in found.lines} == {"screen"}
    assert all(line.at == pytest.approx(3.0, abs=0.3) for line in found.lines)


@pytest.mark.parametrize("rotation", [-90, 180])
def test_a_phone_video_stored_turned_is_read_upright(extractor: Extractor, rotation: int) -> None:
    """A phone's camera stores a portrait video on its side, and a landscape one upside down when the phone was held
    the other way round; only the container's display matrix turns it upright for viewing."""
    data = screen_recording(container="mov", rotation=rotation)
    recording = decode_attachment(Attachment("IMG_0042.MOV", data), extractor.settings).payload
    *_, error = key_screens(recording.frames(), 3, 1 / recording.fps)
    assert error.image.size == (1100, 600)  # as the phone shows it
    found = extractor.extract(decode_attachment(Attachment("IMG_0042.MOV", data), extractor.settings))
    assert "ENOENT" in found.text and "package.json" in found.text


def test_a_recording_whose_sound_is_lost_is_read_from_its_screens_and_says_so(extractor: Extractor) -> None:
    room = io.BytesIO()
    soundfile.write(room, np.random.default_rng(0).normal(0, 0.01, 64_000).astype(np.float32), 16_000, format="WAV")
    data = damaged(screen_recording(sound=room.getvalue()))
    found = extractor.extract(decode_attachment(Attachment("r.mp4", data), extractor.settings))
    assert "ENOENT" in found.text and found.error is None and found.note == SOUND_LOST
    clean = extractor.extract(decode_attachment(Attachment("r.mp4", screen_recording()), extractor.settings))
    assert clean.note is None  # a recording made without sound has nothing to lose


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_an_animated_capture_is_read_like_a_silent_recording(extractor: Extractor, fmt: str) -> None:
    """Kap, Peek or ScreenToGif save the same screens as an animated GIF or WebP, each frame with its own delay."""
    screens = [*typing(), (terminal_screen(CODE), 1.0), (terminal_screen(ERROR), 3.0)]
    out = io.BytesIO()
    first, *rest = (screen for screen, _ in screens)
    first.save(out, fmt, save_all=True, append_images=rest, duration=[round(s * 1000) for _, s in screens], loop=0)
    media = decode_attachment(Attachment(f"capture.{fmt.lower()}", out.getvalue()), extractor.settings)
    found = extractor.extract(media)
    assert found.kind == "recording" and found.error is None
    assert "ENOENT" in found.text and "package.json" in found.text and "reconcile" not in found.text
    assert all(line.at == pytest.approx(3.0, abs=0.3) for line in found.lines)
    assert found.image is not None and found.image.size == (1100, 600)


@pytest.mark.slow
def test_a_narrated_recording_gives_screen_and_speech_lines(extractor: Extractor, tmp_path: Path) -> None:
    speech = espeak("npm cannot find the package file when I install", tmp_path)
    data = encode_video([(terminal_screen(ERROR), 3.0)], sound=speech)
    heard_on = []

    class Listening(Extractor):
        def transcribe(self, samples: np.ndarray, vocabulary: Sequence[str] = ()) -> tuple[TextLine, ...]:
            heard_on.append(threading.current_thread().name)
            return super().transcribe(samples, vocabulary)

    listening = Listening(
        extractor.settings, extractor.text_reader(), extractor.asr_model(), extractor.screen_reader().fine
    )
    found = listening.extract(decode_attachment(Attachment("r.mp4", data), extractor.settings))
    assert "ENOENT" in found.screen_text and "package" in found.speech_text.lower()
    assert found.text.startswith(found.screen_text) and found.speech_text in found.text
    assert heard_on and heard_on[0] != threading.current_thread().name  # heard while the screens were read


def test_a_recording_s_sound_is_heard_within_the_deadline_of_the_work_that_reads_it(
    extractor: Extractor, tmp_path: Path
) -> None:
    """Its sound track is heard on a thread of its own, which must keep to the deadline all the same."""
    speech = espeak("npm cannot find the package file when I install", tmp_path)
    data = encode_video([(terminal_screen(ERROR), 3.0)], sound=speech)
    media = decode_attachment(Attachment("r.mp4", data), extractor.settings)
    only_hearing = Extractor(extractor.settings.model_copy(update={"ocr": False}), asr_model=extractor.asr_model())
    with until(time.monotonic() - 1), pytest.raises(PastDeadline):
        only_hearing.extract(media)
    assert "package" in only_hearing.extract(media).speech_text.lower()


def counted(image: Callable[[], Any], calls: list[int]) -> Callable[[], Any]:
    """`image`, adding a 1 to `calls` each time it is called."""

    def call() -> Any:
        calls.append(1)
        return image()

    return call


def test_thousands_of_scene_cuts_cost_bounded_work_and_one_sentence(extractor: Extractor) -> None:
    rng = np.random.default_rng(0)
    noise = [(Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)), 0.01) for _ in range(2000)]
    data = encode_video(noise, fps=100)
    recording = decode_attachment(Attachment("cuts.mp4", data), extractor.settings).payload
    converted: list[int] = []
    frames = list(recording.frames())
    for frame in frames:
        original = frame.image
        object.__setattr__(frame, "image", counted(original, converted))
    screens = key_screens(frames, 3, 1 / recording.fps)
    assert len(frames) == 80 and len(screens) == 3 and len(converted) <= KEEP + 3
    found = extractor.extract(decode_attachment(Attachment("cuts.mp4", data), extractor.settings))
    assert found.text == "" and found.error is not None and found.error.endswith(".")
