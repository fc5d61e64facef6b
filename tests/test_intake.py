"""bot.intake on real files made here: every image and audio format, broken and hostile input, clean_text."""

from __future__ import annotations

import hashlib
import io
import struct
import time
import tracemalloc
import zlib
from fractions import Fraction
from typing import cast

import av
import numpy as np
import pytest
import soundfile
from PIL import Image

from bot.deadline import PastDeadline, until
from bot.errors import BotError, CorruptMedia, MediaTooLarge, UnsupportedMedia
from bot.intake import SAMPLE_RATE, audio, clean_text, decode_attachment, sniff
from bot.intake.audio import at_speaking_level, voice_level, with_less_noise
from bot.intake.container import MAX_TRACKS
from bot.records import Attachment
from bot.settings import Settings
from tests.support import AMR_CLIPS, damaged, decode_mangled, encode_video, mux_sound, terminal_screen

IMAGE_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF", "bmp": "BMP"}
# name -> (container format, codec, sample rate, channels); what Slack clients and phones send
AUDIO_FORMATS = {
    "wav": ("wav", "pcm_s16le", 44_100, 2),
    "m4a": ("ipod", "aac", 44_100, 2),
    "aac": ("adts", "aac", 44_100, 2),  # a raw AAC stream, as some recorders save it
    "amr": ("amr", "libopencore_amrnb", 8_000, 1),  # Android's voice recorders and call recordings
    "ogg": ("ogg", "libopus", 48_000, 2),
    "webm": ("webm", "libopus", 48_000, 2),
    "mp3": ("mp3", "libmp3lame", 44_100, 2),
    "flac": ("flac", "flac", 22_050, 2),
}


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


def image_bytes(fmt: str, size: tuple[int, int] = (64, 40), color: str = "red", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, IMAGE_FORMATS[fmt], **save)
    return out.getvalue()


def encode_audio(
    fmt: str, seconds: float, tone_hz: float = 440.0, rate: int | None = None, channels: int | None = None
) -> bytes:
    """Encode a sine tone (or silence when tone_hz is 0) with PyAV into `fmt`, at its usual rate and channels unless
    given."""
    container_format, codec, usual_rate, usual_channels = AUDIO_FORMATS[fmt]
    rate, channels = rate or usual_rate, channels or usual_channels
    out = io.BytesIO()
    with av.open(out, mode="w", format=container_format) as container:
        stream = cast(
            av.AudioStream, container.add_stream(codec, rate=rate, layout="stereo" if channels == 2 else "mono")
        )
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


def animation(fmt: str, frames: list[tuple[Image.Image, int]], **save: object) -> bytes:
    """A real animated GIF, WebP or PNG of (frame, milliseconds shown) pairs."""
    out = io.BytesIO()
    first, *rest = (frame for frame, _ in frames)
    durations = [ms for _, ms in frames]
    first.save(out, IMAGE_FORMATS[fmt], save_all=True, append_images=rest, duration=durations, loop=0, **save)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["gif", "webp", "png"])
def test_an_animation_is_a_silent_recording_sampled_by_each_frames_delay(fmt: str, settings: Settings) -> None:
    red, blue = Image.new("RGB", (320, 200), "red"), Image.new("RGB", (320, 200), "blue")
    data = animation(fmt, [(red, 500), (blue, 1500)], **({"lossless": True} if fmt == "webp" else {}))
    media = decode_attachment(Attachment("capture", data, "image/gif"), settings)
    assert media.kind == "recording" and media.seconds == pytest.approx(2.0)
    assert media.payload.samples.size == 0
    frames = list(media.payload.frames())
    assert [f.at for f in frames] == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75])
    assert [f.image().getpixel((5, 5))[0] > 200 for f in frames] == [True, True] + [False] * 6  # red, then blue
    assert frames[0].image().size == (320, 200) and frames[0].thumb.shape == (100, 160)


def test_a_one_frame_gif_and_an_apng_of_one_frame_are_images(settings: Settings) -> None:
    for fmt in ("gif", "png"):
        data = animation(fmt, [(Image.new("RGB", (32, 32), "red"), 100)])
        assert decode_attachment(Attachment("still", data), settings).kind == "image"


def test_animation_limits_each_give_one_sentence(settings: Settings) -> None:
    white = Image.new("RGB", (16, 16), "white")
    frames = [(white if n % 2 else Image.new("RGB", (16, 16), "black"), 60_000) for n in range(7)]
    with pytest.raises(MediaTooLarge, match="longer than 5 minutes"):
        decode_attachment(Attachment("long.gif", animation("gif", frames)), settings)
    flicker = [(white if n % 2 else Image.new("RGB", (16, 16), "black"), 20) for n in range(400)]
    few = settings.model_copy(update={"max_recording_decoded_pixels": 16 * 16 * 100})
    with pytest.raises(MediaTooLarge, match="a clip of at most"):
        decode_attachment(Attachment("cuts.gif", animation("gif", flicker)), few)
    big = [(Image.new("RGB", (5000, 1000), c), 100) for c in ("white", "black")]
    small = settings.model_copy(update={"max_video_pixels": 4_000_000})
    with pytest.raises(MediaTooLarge, match="frame limit"):
        decode_attachment(Attachment("wide.gif", animation("gif", big)), small)


def test_a_truncated_animation_is_read_up_to_the_cut_or_refused_when_nothing_is_left(settings: Settings) -> None:
    frames = [(terminal_screen([f"line {n}"], (320, 200)), 500) for n in range(6)]
    data = animation("gif", frames)
    media = decode_attachment(Attachment("cut.gif", data[: len(data) * 2 // 3]), settings)
    assert media.kind == "recording" and 0.5 <= media.seconds < 3.0
    assert list(media.payload.frames())
    with pytest.raises(CorruptMedia) as raised:
        media = decode_attachment(Attachment("cut.gif", data[:900]), settings)
        list(media.payload.frames())
    assert raised.value.message.endswith("please send it again.")


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
    data = (AMR_CLIPS / "tone-440hz-2s.amr").read_bytes() if fmt == "amr" else encode_audio(fmt, 2.0)
    assert sniff(data) == AUDIO_FORMATS[fmt][0].replace("ipod", "mp4").replace("adts", "aac")
    media = decode_attachment(Attachment("upload.bin", data, "application/octet-stream"), settings)
    assert media.kind == "audio"
    samples = media.payload
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert media.seconds == pytest.approx(2.0, abs=0.15)
    assert dominant_hz(samples) == pytest.approx(440.0, abs=5.0)
    assert media.sha256 == hashlib.sha256(data).hexdigest()


def test_only_a_quiet_voice_is_raised_and_never_past_full_scale() -> None:
    t = np.arange(16_000) / 16_000
    voice = (0.5 * np.sin(2 * np.pi * 220 * t) * (t < 0.6)).astype(np.float32)  # a tone, then a pause
    assert voice_level(voice) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)  # the pause does not count
    soft = voice * np.float32(0.01)
    assert voice_level(at_speaking_level(soft)) == pytest.approx(10 ** (-18 / 20), rel=0.01)
    assert at_speaking_level(voice) is voice  # loud enough: left as recorded
    nearly = voice * np.float32(10 ** (-22 / 20) / voice_level(voice))  # 4 dB under the speaking level: as well
    assert at_speaking_level(nearly) is nearly
    spiky = soft.copy()
    spiky[100] = 0.5  # a click 34 dB above the voice
    assert np.abs(at_speaking_level(spiky)).max() == pytest.approx(0.99, rel=1e-3)
    silence = np.zeros(16_000, dtype=np.float32)
    assert at_speaking_level(silence) is silence


def test_steady_noise_is_turned_down_only_when_the_voice_is_heard_through_it(settings: Settings) -> None:
    t = np.arange(16_000 * 6) / 16_000
    voice = (0.3 * np.sin(2 * np.pi * 300 * t) * ((t % 2) < 1)).astype(np.float32)  # a second said, a second not
    hiss = (0.03 * np.random.default_rng(0).normal(0, 1, t.size)).astype(np.float32)  # 17 dB under the voice
    clip = io.BytesIO()
    soundfile.write(clip, voice + hiss, 16_000, format="WAV", subtype="FLOAT")
    heard = decode_attachment(Attachment("note.wav", clip.getvalue()), settings).payload
    said, pause = (t % 2) < 1, (t % 2) >= 1
    assert rms(heard[pause]) < 0.6 * rms(hiss[pause])  # the floor 5 dB lower or more
    assert rms(heard[said]) == pytest.approx(rms(voice[said]), rel=0.05)
    assert np.corrcoef(heard[said], voice[said])[0, 1] > 0.99
    quiet_floor = voice + hiss * np.float32(0.05)  # 43 dB under: left as recorded
    assert with_less_noise(quiet_floor) is quiet_floor


def test_a_long_noisy_clip_is_turned_down_in_blocks_as_if_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    t = np.arange(16_000 * 120) / 16_000
    voice = (0.3 * np.sin(2 * np.pi * 300 * t) * ((t % 2) < 1)).astype(np.float32)
    clip = voice + (0.03 * np.random.default_rng(1).normal(0, 1, t.size)).astype(np.float32)
    tracemalloc.start()
    in_blocks = with_less_noise(clip)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5 * clip.nbytes  # the spectra of two minutes at once would take over 20 times the samples
    monkeypatch.setattr(audio, "BLOCK", clip.size)
    whole = with_less_noise(clip)
    assert np.array_equal(in_blocks, whole)  # to the last bit: tiny.en hears a noisy note differently for less


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


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
    with av.open(io.BytesIO(data), mode="r") as container:
        assert container.duration is not None
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


@pytest.mark.parametrize("what", ["pdf", "rar", "binary"])
def test_unsupported_types_say_what_is_supported(what: str, settings: Settings) -> None:
    data = {
        "pdf": b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
        "rar": b"Rar!\x1a\x07\x01\x00" + bytes(32),
        "binary": bytes(range(256)) * 4,
    }[what]
    with pytest.raises(UnsupportedMedia) as raised:
        decode_attachment(Attachment("file", data), settings)
    assert not isinstance(raised.value, CorruptMedia)
    assert "PNG" in raised.value.message and "Ogg" in raised.value.message


def test_mangled_files_only_ever_raise_bot_errors(settings: Settings) -> None:
    samples = [image_bytes(fmt, (48, 32)) for fmt in IMAGE_FORMATS] + [
        encode_audio(fmt, 0.5) for fmt in ("wav", "ogg", "mp3", "webm")
    ]
    decode_mangled(samples, settings, tries=6, seed=7)


# --- clean_text ----------------------------------------------------------------------------------


def test_clean_text_strips_control_characters_and_normalises_whitespace(settings: Settings) -> None:
    raw = "  nginx\x00 502\x1b[0m  Bad\u200b Gateway\r\n\r\n\r\n\ttab\u00a0here  \x7f\n"
    assert clean_text(raw, settings) == "nginx 502 Bad Gateway\n\ntab here"  # terminal colour codes go too


def test_clean_text_caps_a_huge_message(settings: Settings) -> None:
    huge = ("error \x01 line\n" * 800_000)[:10_000_000]
    cleaned = clean_text(huge, settings)
    assert len(cleaned) <= settings.max_text_chars
    assert cleaned.startswith("error line\nerror line")
    assert "\x01" not in cleaned


# --- HEIC, AVIF and large images -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_iphone_heic_and_avif_decode_to_rgb(fmt: str, settings: Settings) -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (250, 10, 10)).save(out, fmt, quality=90)
    assert sniff(out.getvalue()) == ("heif" if fmt == "HEIF" else "avif")
    media = decode_attachment(Attachment("IMG_0001.HEIC", out.getvalue(), "image/heic"), settings)
    assert media.kind == "image" and media.payload.size == (96, 64) and media.payload.mode == "RGB"
    assert media.payload.getpixel((40, 30))[0] > 200


def test_heic_declaring_30000_by_30000_is_refused_before_decoding(settings: Settings) -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(out, "HEIF")
    data = bytearray(out.getvalue())
    at = data.index(b"ispe") + 8  # the image spatial extents box: version/flags, then width and height
    data[at : at + 8] = struct.pack(">II", 30_000, 30_000)
    with pytest.raises(MediaTooLarge, match="megapixel"):
        decode_attachment(Attachment("bomb.heic", bytes(data)), settings)


def test_large_images_are_scaled_to_the_working_size_right_after_decoding(settings: Settings) -> None:
    small = settings.model_copy(update={"image_working_pixels": 1_000_000})
    for fmt in ("jpeg", "png"):
        media = decode_attachment(Attachment("big", image_bytes(fmt, (4000, 3000), "blue")), small)
        assert media.payload.width * media.payload.height <= 1_000_000
        assert media.payload.size[0] / media.payload.size[1] == pytest.approx(4 / 3, abs=0.01)


# --- screen recordings ------------------------------------------------------------------------------


def screens(n: int = 2) -> list[tuple[Image.Image, float]]:
    return [(terminal_screen([f"screen {i}", "error: something failed"], (320, 200)), 1.0) for i in range(n)]


@pytest.mark.parametrize(
    ("container", "codec", "sound_codec"), [("mp4", "libx264", "aac"), ("webm", "libvpx-vp9", "libopus")]
)
def test_recordings_decode_to_sampled_frames_and_their_sound_track(
    container: str, codec: str, sound_codec: str, settings: Settings
) -> None:
    sound = encode_audio("wav", 2.0)
    data = encode_video(screens(), container=container, codec=codec, sound=sound, sound_codec=sound_codec)
    media = decode_attachment(Attachment("clip", data, "video/mp4"), settings)
    assert media.kind == "recording" and media.seconds == pytest.approx(2.0, abs=0.3)
    recording = media.payload
    assert (recording.width, recording.height) == (320, 200)
    assert recording.samples.size / SAMPLE_RATE == pytest.approx(2.0, abs=0.2)
    assert dominant_hz(recording.samples) == pytest.approx(440.0, abs=5.0)
    frames = list(recording.frames())
    assert [round(f.at, 1) for f in frames] == pytest.approx([0.0, 0.3, 0.5, 0.8, 1.0, 1.3, 1.5, 1.8], abs=0.11)
    assert frames[0].image().size == (320, 200) and frames[0].thumb.shape == (100, 160)


def test_a_recording_past_its_work_s_deadline_stops_decoding_frames(settings: Settings) -> None:
    media = decode_attachment(Attachment("clip.mp4", encode_video(screens()), "video/mp4"), settings)
    frames = media.payload.frames()
    with until(time.monotonic() - 1), pytest.raises(PastDeadline):
        next(frames)
    assert len(list(media.payload.frames())) == 8, "no deadline: every sampled frame"


def test_a_video_only_webm_is_a_silent_recording_not_a_missing_sound_track(settings: Settings) -> None:
    data = encode_video(screens(1), container="webm", codec="libvpx-vp9")
    media = decode_attachment(Attachment("screen.webm", data, "video/webm"), settings)
    assert media.kind == "recording" and media.payload.samples.size == 0


def test_a_recording_whose_sound_cannot_be_decoded_is_read_as_silent(settings: Settings) -> None:
    """A sound track FFmpeg cannot decode must not cost the screens: the recording is read without it."""
    data = damaged(encode_video(screens(), sound=encode_audio("wav", 2.0)))
    media = decode_attachment(Attachment("clip.mp4", data), settings)
    assert media.kind == "recording" and media.payload.samples.size == 0 and media.payload.sound_lost
    assert len(list(media.payload.frames())) == 8


def test_a_recording_is_heard_from_its_first_sound_track_that_decodes(settings: Settings) -> None:
    """Tracks that cannot be decoded (a codec FFmpeg lacks, or damaged throughout) are passed over."""
    data = damaged(encode_video(screens(), sound=encode_audio("wav", 2.0)), noise_tracks=3)
    media = decode_attachment(Attachment("clip.mov", data), settings)
    assert media.payload.samples.size / SAMPLE_RATE == pytest.approx(2.0, abs=0.2) and not media.payload.sound_lost
    assert dominant_hz(media.payload.samples) == pytest.approx(440.0, abs=5.0)


def test_a_file_of_more_tracks_than_a_recorder_writes_is_refused_before_they_are_set_up(settings: Settings) -> None:
    """FFmpeg sets up a decoder for every track of a file it opens, and the sound was sought track by track: a 4 MB
    recording of 900 tracks took 133 s and 3.1 GB to answer, a 4 MB voice clip of 900 tracks 3.1 GB
    (`bench.hostile_sound`)."""
    sound = encode_audio("wav", 1.0)
    for data in (
        damaged(encode_video(screens(), sound=sound), noise_tracks=MAX_TRACKS),
        damaged(encode_audio("m4a", 1.0), noise_tracks=MAX_TRACKS),
    ):
        with pytest.raises(MediaTooLarge) as raised:
            decode_attachment(Attachment("clip.mp4", data), settings)
        assert raised.value.message == (
            f"That file holds more than {MAX_TRACKS} tracks; please send the recording or voice clip on its own."
        )
    fits = damaged(encode_video(screens(), sound=sound), noise_tracks=MAX_TRACKS - 2)  # and a picture, a sound
    media = decode_attachment(Attachment("clip.mp4", fits), settings)
    assert media.kind == "recording" and media.payload.samples.size and len(list(media.payload.frames())) == 8


@pytest.mark.parametrize("fmt", ["mp3", "aac"])
def test_sound_whose_rate_and_channels_change_midway_is_heard_throughout(fmt: str, settings: Settings) -> None:
    """Clips joined end to end (`cat a.mp3 b.mp3`, ADTS streams) change rate and channels where they meet; the
    resampler, set up for the first part, refused the second and the clip was taken for a corrupt file."""
    joined = encode_audio(fmt, 1.0, 440.0) + encode_audio(fmt, 1.0, 880.0, rate=22_050, channels=1)
    media = decode_attachment(Attachment(f"joined.{fmt}", joined), settings)
    assert media.seconds == pytest.approx(2.0, abs=0.15)
    part = int(0.8 * SAMPLE_RATE)
    assert dominant_hz(media.payload[:part]) == pytest.approx(440.0, abs=5.0)
    assert dominant_hz(media.payload[-part:]) == pytest.approx(880.0, abs=5.0)


def test_a_chained_ogg_is_heard_as_far_as_ffmpeg_follows_it(settings: Settings) -> None:
    """FFmpeg cannot follow an Ogg chain into Opus of other channels ("patches welcome"); the sound before is kept."""
    chained = encode_audio("ogg", 1.0, 440.0, channels=1) + encode_audio("ogg", 1.0, 880.0, channels=2)
    media = decode_attachment(Attachment("chained.ogg", chained), settings)
    assert media.seconds >= 0.95
    assert dominant_hz(media.payload[: int(0.8 * SAMPLE_RATE)]) == pytest.approx(440.0, abs=5.0)


def stereo(left: np.ndarray, right: np.ndarray, fmt: str, rate: int = 44_100) -> bytes:
    """Two channels encoded with PyAV as `fmt` (WAV's packed samples, or AAC's planar ones in M4A)."""
    container_format, codec, _, _ = AUDIO_FORMATS[fmt]
    out = io.BytesIO()
    with av.open(out, mode="w", format=container_format) as muxer:
        track = muxer.add_stream(codec, rate=rate, layout="stereo")
        both = np.stack([left, right]).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(both, format="fltp", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        mux_sound(muxer, track, [frame], rate)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["wav", "m4a"])
def test_a_clip_whose_channels_cancel_out_when_mixed_is_heard_from_its_first(fmt: str, settings: Settings) -> None:
    """Some laptops' microphone pairs record one channel inverted: mixed to mono, the voice was lost."""
    t = np.arange(44_100 * 2) / 44_100
    tone = 0.3 * np.sin(2 * np.pi * 440.0 * t)
    inverted = stereo(tone, -tone, fmt)
    heard = decode_attachment(Attachment(f"inverted.{fmt}", inverted), settings).payload
    assert rms(heard) > 0.05 and dominant_hz(heard) == pytest.approx(440.0, abs=5.0)
    with av.open(io.BytesIO(inverted)) as container:
        first = audio.resample(container, container.streams.audio[0], 10, MediaTooLarge())
    assert rms(first) == pytest.approx(0.3 / np.sqrt(2), rel=0.1)  # the first channel at its own level
    with av.open(io.BytesIO(stereo(tone, 0 * tone, fmt))) as container:
        _, kept = audio.decoded(container, container.streams.audio[0], 10, MediaTooLarge())
    assert kept == pytest.approx(0.5, abs=0.05)  # a silent channel (a mic on one input) is mixed in, as before


def test_a_voice_clip_past_its_work_s_deadline_stops_decoding(settings: Settings) -> None:
    with until(time.monotonic() - 1), pytest.raises(PastDeadline):
        decode_attachment(Attachment("clip.m4a", encode_audio("m4a", 1.0)), settings)


def test_a_voice_clip_with_damaged_packets_keeps_the_rest(settings: Settings) -> None:
    data = damaged(encode_audio("m4a", 2.0), every=5)
    media = decode_attachment(Attachment("clip.m4a", data), settings)
    assert media.kind == "audio" and media.seconds == pytest.approx(1.6, abs=0.2)  # a fifth of the packets lost
    assert dominant_hz(media.payload) == pytest.approx(440.0, abs=5.0)


def test_a_truncated_mp4_says_it_is_cut_off(settings: Settings) -> None:
    data = encode_video(screens())
    with pytest.raises(CorruptMedia) as raised:
        media = decode_attachment(Attachment("clip.mp4", data[: len(data) // 2]), settings)
        list(media.payload.frames())
    assert raised.value.message.endswith(".") and "send it again" in raised.value.message


def sparse_video(size: tuple[int, int], rate: int, seconds: int) -> bytes:
    """A real H.264 recording of `seconds` at `rate` fps that encodes only a frame per minute (cheap to make)."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as muxer:
        stream = muxer.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        frame = av.VideoFrame.from_image(Image.new("RGB", size, "white"))
        for pts in range(0, seconds * rate + 1, 60 * rate):
            frame.pts, frame.time_base = pts, Fraction(1, rate)
            for packet in stream.encode(frame):
                muxer.mux(packet)
        for packet in stream.encode():
            muxer.mux(packet)
    return out.getvalue()


def test_a_two_hour_recording_is_refused_by_its_declared_length(settings: Settings) -> None:
    with pytest.raises(MediaTooLarge, match="longer than 5 minutes"):
        decode_attachment(Attachment("meeting.mp4", sparse_video((64, 48), 30, 2 * 3600)), settings)


@pytest.mark.slow
def test_a_4k_60fps_recording_is_refused_with_the_length_that_would_fit(settings: Settings) -> None:
    data = encode_video([(Image.new("RGB", (3840, 2160), "white"), 0.5)], fps=60)
    budget = settings.model_copy(update={"max_recording_decoded_pixels": 200_000_000})  # 24 4K frames
    with pytest.raises(MediaTooLarge) as raised:
        decode_attachment(Attachment("4k.mp4", data), budget)
    assert "3840×2160 at 60 frames per second" in raised.value.message and "a clip of at most" in raised.value.message
    with pytest.raises(MediaTooLarge, match="frame limit"):
        decode_attachment(Attachment("8k.mp4", sparse_video((7680, 4320), 1, 60)), settings)


# --- text files and logs ----------------------------------------------------------------------------


def test_text_files_and_logs_are_snippets(settings: Settings) -> None:
    log = b"2026-11-02T10:00:00Z INFO start\n\x1b[31mERROR\x1b[0m connection refused\n"
    typescript = b"Script started on 2026-11-30\r\n\x1b]0;kim@box: ~\x07kim@box:~$ make\r\nworking |\x08/\x08done\r\n"
    for data in (log, typescript, "\ufeffcaf\u00e9 failed\n".encode(), "line one\nerror two\n".encode("utf-16")):
        media = decode_attachment(Attachment("app.log", data, "text/plain"), settings)
        assert media.kind == "snippet" and isinstance(media.payload, str) and "\n" in media.payload


def test_a_50_mb_log_and_a_binary_named_log_each_get_one_sentence(settings: Settings) -> None:
    big = b"INFO all good\n" * (50_000_000 // 14)
    with pytest.raises(MediaTooLarge) as raised:
        decode_attachment(Attachment("huge.log", big), settings)
    assert "50.0 MB" in raised.value.message and "part around the error" in raised.value.message
    with pytest.raises(UnsupportedMedia) as refused:
        decode_attachment(Attachment("core.log", bytes(range(256)) * 64), settings)
    assert refused.value.message.count(".") >= 1 and "text file or log" in refused.value.message
