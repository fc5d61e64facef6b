"""bot.extract with the real models: OCR on rendered screenshots, ASR on espeak-ng speech, vocabulary bias."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
from PIL import Image, ImageDraw, ImageFont

from bot.deadline import PastDeadline, until
from bot.errors import ExtractionError
from bot.extract import (
    Extractor,
    TextBox,
    TextReader,
    load_reader,
    reading_order,
    resolve_asr_model,
    vocabulary_from_texts,
)
from bot.intake import SAMPLE_RATE, decode_attachment
from bot.records import Attachment, Media, QueryInput
from bot.settings import Settings
from tests.support import espeak

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
TERMINAL = [
    "kim@dev-box:~/etl-jobs$ psql -h localhost -U app -d crm_test",
    'psql: error: connection to server at "localhost" (::1), port 5432 failed:',
    'FATAL:  database "crm_test" does not exist',
]
KB_TEXTS = [
    "nginx 502 Bad Gateway: upstream refused. nginx. nginx, 502, proxy.\nEvery page shows '502 Bad Gateway'.",
    'psql: FATAL database does not exist. PostgreSQL. postgres, psql.\npsql: database "shop" does not exist.',
    "Flask KeyError in the cart. Flask. flask, werkzeug, KeyError.\nThe Werkzeug debugger shows KeyError: 'price'.",
    "Python can't import yaml. Python. python, yaml, ModuleNotFoundError.\nNo module named 'yaml' at start-up.",
    "Chrome ERR_SSL_PROTOCOL_ERROR. Chromium. chrome, ssl.\nERR_SSL_PROTOCOL_ERROR: nginx serves plain HTTP.",
]


@pytest.fixture(scope="session")
def extractor(shared_models: dict) -> Extractor:
    return shared_models["extractor"]


def render_terminal(lines: list[str], scale: float = 1.0) -> Image.Image:
    """A light terminal window with `lines`, rendered with DejaVu Sans Mono (like a real screenshot)."""
    font = ImageFont.truetype(str(FONT), 15)
    image = Image.new("RGB", (1100, 720), (247, 247, 247))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1100, 34), fill=(222, 222, 222))
    draw.text((470, 9), "kim@dev-box: ~/etl-jobs", font=font, fill=(60, 60, 60))
    for i, line in enumerate(lines):
        draw.text((12, 50 + 22 * i), line, font=font, fill=(180, 30, 30) if i else (20, 20, 20))
    if scale != 1.0:
        image = image.resize((round(1100 * scale), round(720 * scale)), Image.Resampling.LANCZOS)
    return image


# --- OCR -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def screenshot(extractor: Extractor) -> tuple[Image.Image, QueryInput]:
    """A rendered terminal screenshot and what `extract` read from it (OCR once for several tests)."""
    image = render_terminal(TERMINAL)
    return image, extractor.extract(media_of(image))


def test_ocr_reads_the_error_in_a_screenshot_in_reading_order(screenshot: tuple[Image.Image, QueryInput]) -> None:
    lines = screenshot[1].lines
    text = screenshot[1].text
    for words in ("crm_test", "5432", "FATAL", "does not exist", "connection to server"):
        assert words in text
    order = [next(i for i, line in enumerate(lines) if key in line.text) for key in ("psql -h", "5432", "FATAL")]
    assert order == sorted(order)
    assert all(0.5 <= line.confidence <= 1.0 for line in lines)


@pytest.fixture(scope="module", params=["faster-paddle", "rapidocr"])
def reader(request: pytest.FixtureRequest) -> TextReader:
    return load_reader(request.param, threads=2)


def test_each_ocr_engine_reads_the_screenshot_in_reading_order(reader: TextReader) -> None:
    lines = reading_order(reader.read(render_terminal(TERMINAL)))
    text = "\n".join(line.text for line in lines)
    for words in ("crm_test", "5432", "FATAL", "does not exist", "connection to server"):
        assert words in text
    assert [i for key in ("psql -h", "5432", "FATAL") for i, line in enumerate(lines) if key in line.text] == [1, 2, 3]


def test_each_ocr_engine_reads_a_downscaled_screenshot(reader: TextReader) -> None:
    text = " ".join(line.text for line in reader.read(render_terminal(TERMINAL, scale=0.6)))
    assert "FATAL" in text and "does not exist" in text


def test_each_ocr_engine_reads_a_blank_image_as_empty(reader: TextReader) -> None:
    assert reader.read(Image.new("RGB", (300, 200), "white")) == []


def test_rapidocr_reads_a_wide_strip_without_padding_it() -> None:
    strip = Image.new("RGB", (2100, 120), "white")
    ImageDraw.Draw(strip).text(
        (10, 40),
        "curl: (22) The requested URL returned error: 404",
        font=ImageFont.truetype(str(FONT), 22),
        fill="black",
    )
    assert "returned error: 404" in " ".join(line.text for line in load_reader("rapidocr", 2).read(strip))


def test_reading_order_joins_boxes_on_one_row_left_to_right() -> None:
    boxes = [
        TextBox("world", 0.9, 300, 52, 500, 70),
        TextBox("title", 0.8, 10, 10, 200, 30),
        TextBox("hello", 0.7, 10, 50, 280, 72),
    ]
    lines = reading_order(boxes)
    assert [line.text for line in lines] == ["title", "hello world"]
    assert lines[1].confidence == pytest.approx((0.7 * 5 + 0.9 * 5) / 10)


def test_ocr_never_downloads_models(monkeypatch: pytest.MonkeyPatch) -> None:
    from rapidocr.utils.download_file import DownloadFile

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("rapidocr tried to download a model")

    monkeypatch.setattr(DownloadFile, "run", refuse)
    fresh = Extractor(Settings(asr=False, ocr_engine="rapidocr"))
    assert "FATAL" in fresh.extract(media_of(render_terminal(TERMINAL))).text


def media_of(image: Image.Image) -> Media:
    return Media("shot.png", "image", image, "0" * 64)


# --- speech --------------------------------------------------------------------------------------


def test_packaged_tiny_en_resolves_offline_and_other_names_pass_through() -> None:
    assert (Path(resolve_asr_model("tiny.en")) / "model.bin").is_file()
    assert resolve_asr_model("Systran/faster-whisper-base.en") == "Systran/faster-whisper-base.en"


@pytest.mark.slow
def test_voice_note_is_transcribed(extractor: Extractor, tmp_path: Path) -> None:
    data = espeak("The server returned an internal error when I opened the checkout page.", tmp_path, "-s", "150")
    media = decode_attachment(Attachment("note.wav", data), extractor.settings)
    found = extractor.extract(media)
    assert found.kind == "audio"
    words = found.text.lower()
    assert "server" in words and "error" in words and "checkout" in words


@pytest.mark.slow
def test_vocabulary_turns_a_mishearing_into_the_term(extractor: Extractor, tmp_path: Path) -> None:
    media = decode_attachment(Attachment("n.wav", espeak("the yaml module is missing", tmp_path)), extractor.settings)
    plain = " ".join(line.text for line in extractor.transcribe(media.payload)).lower()
    biased = " ".join(line.text for line in extractor.transcribe(media.payload, vocabulary_from_texts(KB_TEXTS, 50)))
    assert "yaml" not in plain  # tiny.en hears "animal"
    assert "yaml" in biased.lower()


def counting(encode: Callable[[np.ndarray], Any], calls: list[tuple[int, ...]]) -> Callable[[np.ndarray], Any]:
    """`encode`, noting in `calls` the shape of the features of each call."""

    def call(features: np.ndarray) -> Any:
        calls.append(features.shape)
        return encode(features)

    return call


def test_hearing_a_clip_again_reuses_its_encoding(extractor: Extractor, tmp_path: Path) -> None:
    clip = espeak("the checkout page answers with a gateway timeout", tmp_path)
    samples = decode_attachment(Attachment("n.wav", clip), extractor.settings).payload
    memo = extractor.asr_model().encode
    encode = memo._encode
    calls: list[tuple[int, ...]] = []
    memo._encode = counting(encode, calls)
    try:
        first = extractor.transcribe(samples, ("checkout", "gateway"))
        again = extractor.transcribe(samples, ("nginx", "timeout"))
        other = extractor.transcribe(samples[: len(samples) // 2], ("nginx", "timeout"))
    finally:
        memo._encode = encode
    assert len(calls) == 2  # the second listen only decoded; a different clip is encoded
    assert "gateway" in first[0].text.lower() and "gateway" in again[0].text.lower() and other


def test_a_voice_note_past_its_work_s_deadline_stops_before_its_next_30_s_window(
    extractor: Extractor, tmp_path: Path
) -> None:
    said = decode_attachment(Attachment("n.wav", espeak("the checkout page times out", tmp_path)), extractor.settings)
    once = np.concatenate([said.payload, np.zeros(SAMPLE_RATE, dtype=np.float32)])
    note = np.resize(once, 70 * SAMPLE_RATE)  # three windows
    memo = extractor.asr_model().encode
    encode = memo._encode
    calls: list[tuple[int, ...]] = []
    memo._encode = counting(encode, calls)
    try:
        with until(time.monotonic() - 1), pytest.raises(PastDeadline):
            extractor.transcribe(note)
    finally:
        memo._encode = encode
    assert len(calls) == 1  # the first window was heard, the other two not


def test_vocabulary_bias_can_be_switched_off(extractor: Extractor, tmp_path: Path) -> None:
    off = Extractor(extractor.settings.model_copy(update={"asr_vocabulary": False}), asr_model=extractor.asr_model())
    media = decode_attachment(Attachment("n.wav", espeak("the yaml module is missing", tmp_path)), off.settings)
    assert "yaml" not in " ".join(line.text for line in off.transcribe(media.payload, ["yaml"])).lower()


def test_a_soft_voice_note_is_heard_as_at_a_normal_level(extractor: Extractor, tmp_path: Path) -> None:
    clip, rate = soundfile.read(io.BytesIO(espeak("the database says the role does not exist", tmp_path)))
    soft = io.BytesIO()
    soundfile.write(soft, clip * 10 ** (-30 / 20), rate, format="WAV")  # the phone held at arm's length
    media = decode_attachment(Attachment("n.wav", soft.getvalue()), extractor.settings)
    heard = " ".join(line.text for line in extractor.transcribe(media.payload)).lower()
    assert "role does not exist" in heard  # at its own level tiny.en hears "the road does not exist"


def test_silence_gives_no_confident_words(extractor: Extractor) -> None:
    lines = extractor.transcribe(np.zeros(16_000 * 2, dtype=np.float32))
    assert all(len(line.text.split()) <= 3 for line in lines)


# --- vocabulary ----------------------------------------------------------------------------------


def test_vocabulary_keeps_distinctive_terms_rare_words_first() -> None:
    vocabulary = vocabulary_from_texts(KB_TEXTS, 100)
    for term in ("nginx", "psql", "Werkzeug", "yaml", "KeyError", "502", "ERR_SSL_PROTOCOL_ERROR"):
        assert term in vocabulary
    for word in ("the", "page", "shows", "database", "error", "Python"):
        assert word not in vocabulary
    assert vocabulary.index("nginx") < vocabulary.index("KeyError") < vocabulary.index("502")
    assert vocabulary.index("502") < vocabulary.index("ERR_SSL_PROTOCOL_ERROR")
    assert vocabulary_from_texts(KB_TEXTS, 3) == vocabulary[:3]
    assert vocabulary_from_texts([], 10) == []


def test_vocabulary_prefers_terms_shared_by_more_texts() -> None:
    vocabulary = vocabulary_from_texts(KB_TEXTS, 100)
    assert vocabulary[0] == "nginx"  # in two texts; every other rare word is in one


# --- extract -------------------------------------------------------------------------------------


def test_switched_off_recognisers_give_empty_inputs(extractor: Extractor) -> None:
    off = Extractor(extractor.settings.model_copy(update={"ocr": False, "asr": False}))
    image = render_terminal(TERMINAL)
    seen = off.extract(media_of(image))
    assert (seen.kind, seen.text, seen.error) == ("image", "", None) and seen.image is image
    heard = off.extract(Media("a.ogg", "audio", np.zeros(16_000, dtype=np.float32), "0" * 64, 1.0))
    assert (heard.kind, heard.text) == ("audio", "")


def test_image_input_keeps_the_image_and_joins_lines(screenshot: tuple[Image.Image, QueryInput]) -> None:
    image, found = screenshot
    assert found.image is image and found.kind == "image"
    assert found.text == "\n".join(line.text for line in found.lines)


def test_library_failures_become_extraction_errors(extractor: Extractor) -> None:
    with pytest.raises(ExtractionError):
        extractor.extract(Media("weird.png", "image", np.zeros((2, 2, 2, 2)), "0" * 64))
    with pytest.raises(ExtractionError):
        extractor.extract(Media("weird.ogg", "audio", np.zeros((3, 3, 3), dtype=np.float32), "0" * 64, 1.0))
