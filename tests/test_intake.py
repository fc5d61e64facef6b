"""bot.intake on real files made here: every image and audio format, broken and hostile input, clean_text."""

from __future__ import annotations

import contextlib
import hashlib
import io
import struct
import zipfile
import zlib
from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image

from bot.errors import BotError, CorruptMedia, MediaTooLarge, UnsupportedMedia
from bot.intake import SAMPLE_RATE, clean_text, decode_attachment, sniff
from bot.records import Attachment
from bot.settings import Settings

IMAGE_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF", "bmp": "BMP"}
# name -> (container format, codec, sample rate); what Slack clients and phones send
AUDIO_FORMATS = {
    "wav": ("wav", "pcm_s16le", 44_100),
    "m4a": ("ipod", "aac", 44_100),
    "ogg": ("ogg", "libopus", 48_000),
    "webm": ("webm", "libopus", 48_000),
    "mp3": ("mp3", "libmp3lame", 44_100),
    "flac": ("flac", "flac", 22_050),
}


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


def image_bytes(fmt: str, size: tuple[int, int] = (64, 40), color: str = "red", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, IMAGE_FORMATS[fmt], **save)
    return out.getvalue()


def encode_audio(fmt: str, seconds: float, tone_hz: float = 440.0, channels: int = 2) -> bytes:
    """Encode a sine tone (or silence when tone_hz is 0) with PyAV into `fmt`."""
    container_format, codec, rate = AUDIO_FORMATS[fmt]
    out = io.BytesIO()
    with av.open(out, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate, layout="stereo" if channels == 2 else "mono")
        frame_size = stream.codec_context.frame_size or 1024
        t = np.arange(int(seconds * rate)) / rate
        wave = (0.3 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)
        for start in range(0, wave.size, frame_size):
            chunk = np.tile(wave[start : start + frame_size], (channels, 1))
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=stream.layout.name)
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.argmax(spectrum) * SAMPLE_RATE / samples.size)


# --- images --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(IMAGE_FORMATS))
def test_every_image_format_decodes_to_rgb_whatever_the_name_and_mime_claim(fmt: str, settings: Settings) -> None:
    data = image_bytes(fmt)
    media = decode_attachment(Attachment("voice.m4a", data, "video/mp4"), settings)
    assert media.kind == "image"
    assert media.payload.mode == "RGB" and media.payload.size == (64, 40)
    red, green, blue = media.payload.getpixel((10, 10))
    assert red > 200 and green < 60 and blue < 60
    assert media.sha256 == hashlib.sha256(data).hexdigest()
    assert media.name == "voice.m4a"


def test_animated_gif_gives_its_first_frame(settings: Settings) -> None:
    frames = [Image.new("RGB", (32, 32), color) for color in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    media = decode_attachment(Attachment("anim.gif", out.getvalue()), settings)
    assert media.payload.getpixel((5, 5))[0] > 200


def test_exif_orientation_is_applied(settings: Settings) -> None:
    image = Image.new("RGB", (80, 40), "white")
    image.paste((0, 0, 0), (0, 0, 20, 40))  # black band on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    decoded = decode_attachment(Attachment("phone.jpg", out.getvalue()), settings).payload
    assert decoded.size == (40, 80)
    assert decoded.getpixel((20, 5))[0] < 60  # the band is now along the top
    assert decoded.getpixel((20, 75))[0] > 200


def test_transparent_screenshot_is_flattened_onto_white(settings: Settings) -> None:
    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (0, 0, 10, 20))
    out = io.BytesIO()
    image.save(out, "PNG")
    decoded = decode_attachment(Attachment("shot.png", out.getvalue()), settings).payload
    assert decoded.getpixel((30, 10)) == (255, 255, 255)
    assert decoded.getpixel((5, 10)) == (0, 0, 0)


def png_declaring(width: int, height: int) -> bytes:
    """A real 1x1 PNG whose header is rewritten to claim `width` x `height` (a decompression bomb)."""
    data = bytearray(image_bytes("png", (1, 1)))
    ihdr = bytes(data[12:16]) + struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(ihdr))
    return bytes(data)


@pytest.mark.parametrize("side", [8_000, 100_000])  # over our limit; over Pillow's own bomb limit too
def test_decompression_bomb_is_refused_from_the_header(side: int, settings: Settings) -> None:
    data = png_declaring(side, side)
    assert len(data) < 200
    with pytest.raises(MediaTooLarge, match="megapixel"):
        decode_attachment(Attachment("bomb.png", data), settings)


def test_corrupt_and_truncated_images_are_corrupt_media(settings: Settings) -> None:
    photo = image_bytes("jpeg", (400, 300), "green", quality=95)
    noisy = np.random.default_rng(0).integers(0, 255, (300, 400, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noisy).save(out, "PNG")
    for data in (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, photo[:200], out.getvalue()[: len(out.getvalue()) // 2]):
        with pytest.raises(CorruptMedia):
            decode_attachment(Attachment("broken.png", data), settings)


# --- audio ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(AUDIO_FORMATS))
def test_every_audio_format_decodes_to_16k_mono_float32(fmt: str, settings: Settings) -> None:
    data = encode_audio(fmt, 2.0)
    assert sniff(data) is not None
    media = decode_attachment(Attachment("upload.bin", data, "application/octet-stream"), settings)
    assert media.kind == "audio"
    samples = media.payload
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert media.seconds == pytest.approx(2.0, abs=0.15)
    assert dominant_hz(samples) == pytest.approx(440.0, abs=5.0)
    assert media.sha256 == hashlib.sha256(data).hexdigest()


def test_slack_m4a_labelled_video_mp4_is_audio(settings: Settings) -> None:
    media = decode_attachment(Attachment("audio_message.mp4", encode_audio("m4a", 1.0), "video/mp4"), settings)
    assert media.kind == "audio" and media.seconds == pytest.approx(1.0, abs=0.15)


def encode_silence(seconds: int, rate: int = 8_000) -> bytes:
    """A real FLAC recording of `seconds` of silence: FLAC stores it in a few bytes per frame."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="flac") as container:
        stream = container.add_stream("flac", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 4096), dtype=np.int16), format="s16", layout="mono")
        frame.sample_rate, frame.time_base = rate, Fraction(1, rate)
        for pts in range(0, seconds * rate, 4096):
            frame.pts = pts
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def test_two_hour_recording_is_refused_by_its_declared_duration(settings: Settings) -> None:
    data = encode_silence(2 * 3600)
    with av.open(io.BytesIO(data)) as container:
        assert container.duration / 1e6 == pytest.approx(7200, abs=1)
    assert len(data) < settings.max_file_bytes
    with pytest.raises(MediaTooLarge, match="300 seconds"):
        decode_attachment(Attachment("meeting.flac", data), settings)


def test_clip_over_the_limit_is_refused(settings: Settings) -> None:
    short = settings.model_copy(update={"max_audio_seconds": 1.0})
    with pytest.raises(MediaTooLarge, match="1 seconds"):
        decode_attachment(Attachment("long.ogg", encode_audio("ogg", 3.0)), short)


def test_truncated_and_corrupt_audio_never_escape_as_library_errors(settings: Settings) -> None:
    clip = encode_audio("m4a", 1.0)
    for data in (clip[:64], clip[: len(clip) // 2], b"OggS" + bytes(300), b"fLaC" + bytes(50)):
        with pytest.raises(BotError):
            decode_attachment(Attachment("clip.m4a", data), settings)


# --- what is not a screenshot or a voice clip ------------------------------------------------------


def test_empty_file(settings: Settings) -> None:
    with pytest.raises(CorruptMedia, match="empty"):
        decode_attachment(Attachment("x.png", b""), settings)


def test_file_over_the_byte_limit(settings: Settings) -> None:
    small = settings.model_copy(update={"max_file_bytes": 1_000})
    with pytest.raises(MediaTooLarge):
        decode_attachment(Attachment("big.png", image_bytes("png", (400, 400), quality=100) + bytes(1_000)), small)


def test_login_page_instead_of_the_file_names_the_missing_scope(settings: Settings) -> None:
    page = b'\n<!DOCTYPE html>\n<html lang="en"><head><title>Slack</title></head><body>Sign in</body></html>'
    with pytest.raises(UnsupportedMedia) as raised:
        decode_attachment(Attachment("screenshot.png", page, "image/png"), settings)
    assert "web page" in raised.value.message and "files:read" in raised.value.message


@pytest.mark.parametrize("what", ["pdf", "zip", "text", "binary"])
def test_unsupported_types_say_what_is_supported(what: str, settings: Settings) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.txt", "hello")
    data = {
        "pdf": b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
        "zip": archive.getvalue(),
        "text": b'Traceback (most recent call last):\n  File "app.py", line 1\n',
        "binary": bytes(range(256)) * 4,
    }[what]
    with pytest.raises(UnsupportedMedia) as raised:
        decode_attachment(Attachment("file", data), settings)
    assert not isinstance(raised.value, CorruptMedia)
    assert "PNG" in raised.value.message and "Ogg" in raised.value.message


def test_mangled_files_only_ever_raise_bot_errors(settings: Settings) -> None:
    rng = np.random.default_rng(7)
    samples = [image_bytes(fmt, (48, 32)) for fmt in IMAGE_FORMATS] + [
        encode_audio(fmt, 0.5) for fmt in ("wav", "ogg", "mp3", "webm")
    ]
    for data in samples:
        for _ in range(6):
            mangled = bytearray(data[: int(rng.integers(1, len(data) + 1))])
            for i in rng.integers(0, len(mangled), size=min(len(mangled), 8)):
                mangled[i] = int(rng.integers(0, 256))
            with contextlib.suppress(BotError):  # anything else fails the test
                decode_attachment(Attachment("f", bytes(mangled)), settings)


# --- clean_text ----------------------------------------------------------------------------------


def test_clean_text_strips_control_characters_and_normalises_whitespace(settings: Settings) -> None:
    raw = "  nginx\x00 502\x1b[0m  Bad\u200b Gateway\r\n\r\n\r\n\ttab\u00a0here  \x7f\n"
    assert clean_text(raw, settings) == "nginx 502[0m Bad Gateway\n\ntab here"


def test_clean_text_caps_a_huge_message(settings: Settings) -> None:
    huge = ("error \x01 line\n" * 800_000)[:10_000_000]
    cleaned = clean_text(huge, settings)
    assert len(cleaned) <= settings.max_text_chars
    assert cleaned.startswith("error line\nerror line")
    assert "\x01" not in cleaned
