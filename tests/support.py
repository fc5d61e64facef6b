"""Builders for test data: rendered screenshots, small knowledge bases, tiny random models."""

from __future__ import annotations

import io
import shutil
import subprocess
import textwrap
import threading
from collections.abc import Callable, Iterable
from multiprocessing import Queue
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import pytest
import soundfile
from PIL import Image, ImageDraw, ImageFont

if TYPE_CHECKING:
    from bot.store import AnswerRecord, Store

# AMR-NB clips as PyAV 18.1.0 encoded them: its wheels from 18.1.1 on decode AMR but cannot encode it
AMR_CLIPS = Path(__file__).parent / "fixtures" / "audio"

T = TypeVar("T")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"

SAMPLE_BUGS = {
    "nginx-502-upstream-down": (
        "nginx 502 Bad Gateway after deploy",
        ["nginx", "502"],
        "Every page shows '502 Bad Gateway' with 'nginx' underneath after the app restarts.",
        "The upstream app server is down. Restart the app service and check its port in proxy_pass.",
        ["502 Bad Gateway", "nginx/1.22.1"],
    ),
    "nginx-504-upstream-slow": (
        "nginx 504 Gateway Time-out on reports",
        ["nginx", "504", "timeout"],
        "The report page shows '504 Gateway Time-out' with 'nginx' underneath after about a minute.",
        "The upstream is too slow. Raise proxy_read_timeout or make the report asynchronous.",
        ["504 Gateway Time-out", "nginx/1.22.1"],
    ),
    "curl-7-connection-refused": (
        "curl (7) Failed to connect: connection refused",
        ["curl", "network"],
        "curl prints 'curl: (7) Failed to connect to localhost port 8080: Connection refused'.",
        "Nothing listens on that port. Start the service or fix the port number.",
        [
            "$ curl http://localhost:8080/health",
            "curl: (7) Failed to connect to localhost port 8080 after 0 ms:",
            "Connection refused",
        ],
    ),
    "psql-role-missing": (
        "psql: FATAL role does not exist",
        ["postgres", "psql"],
        "psql fails with 'FATAL: role \"deploy\" does not exist'.",
        "Create the role with createuser, or connect as an existing user with -U.",
        [
            "$ psql -d orders",
            "psql: error: connection to server on socket failed:",
            'FATAL:  role "deploy" does not exist',
        ],
    ),
    "python-no-module-yaml": (
        "ModuleNotFoundError: No module named 'yaml'",
        ["python", "import"],
        "Running the tool prints 'ModuleNotFoundError: No module named yaml'.",
        "Install PyYAML in the same environment: pip install pyyaml.",
        [
            "$ python tool.py",
            "Traceback (most recent call last):",
            '  File "tool.py", line 1, in <module>',
            "    import yaml",
            "ModuleNotFoundError: No module named 'yaml'",
        ],
    ),
}


def render_screenshot(lines: list[str], path: Path, size: tuple[int, int] = (900, 500), dark: bool = True) -> Path:
    """Draw text lines like a terminal window (or a light page) and save the image."""
    background, ink = ((30, 30, 30), (230, 230, 230)) if dark else ((255, 255, 255), (20, 20, 20))
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 22)
    y = 30
    for line in lines:
        for part in textwrap.wrap(line, 70) or [""]:
            draw.text((30, y), part, font=font, fill=ink)
            y += 34
    image.save(path)
    return path


def textless_picture() -> Image.Image:
    """A photo-like picture with no text in it (a plant on a desk): nothing for OCR to read."""
    image = Image.new("RGB", (640, 480), (196, 170, 130))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, 640, 480), fill=(120, 84, 50))
    draw.ellipse((250, 60, 390, 250), fill=(40, 120, 50))
    draw.rectangle((285, 240, 355, 330), fill=(170, 80, 40))
    return image


def png_bytes(image: Image.Image) -> bytes:
    """`image` as a PNG file."""
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def wav_bytes(samples: np.ndarray, rate: int = 16_000) -> bytes:
    """`samples` as a WAV file."""
    out = io.BytesIO()
    soundfile.write(out, samples, rate, format="WAV")
    return out.getvalue()


def write_bug(
    root: Path,
    bug_id: str,
    title: str,
    tags: list[str],
    symptoms: str,
    resolution: str,
    screen: list[str] | None = None,
    status: str = "workaround",
) -> Path:
    """Write one knowledge entry (bug.md plus an optional rendered screenshot)."""
    folder = root / bug_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bug.md").write_text(
        f'---\nid: {bug_id}\ntitle: "{title}"\nproduct: "Lumen Orders"\ntags: {tags}\nstatus: {status}\n'
        f'links: ["https://example.com/{bug_id}"]\n---\n\n# {title}\n\n## Symptoms\n\n{symptoms}\n\n'
        f"## Resolution\n\n{resolution}\n",
        encoding="utf-8",
    )
    if screen:
        render_screenshot(screen, folder / "screenshot.png")
    return folder


def write_sample_knowledge(root: Path) -> Path:
    """The five-bug knowledge base the tests share."""
    for bug_id, (title, tags, symptoms, resolution, screen) in SAMPLE_BUGS.items():
        write_bug(root, bug_id, title, tags, symptoms, resolution, screen)
    return root


TINY_WORDS = [
    "the",
    "a",
    "is",
    "on",
    "to",
    "of",
    "and",
    "error",
    "page",
    "nginx",
    "bad",
    "gateway",
    "time",
    "out",
    "502",
    "504",
    "curl",
    "failed",
    "connect",
    "connection",
    "refused",
    "port",
    "server",
    "psql",
    "role",
    "does",
    "not",
    "exist",
    "python",
    "module",
    "named",
    "yaml",
    "no",
    "fatal",
    "deploy",
    "report",
]


def word_tokenizer(max_length: int = 64):  # noqa: ANN201 - transformers type
    """A tiny word-level tokenizer over TINY_WORDS (no download needed)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "<|startoftext|>": 4, "<|endoftext|>": 5}
    for word in TINY_WORDS:
        vocab.setdefault(word, len(vocab))
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        bos_token="<|startoftext|>",
        eos_token="<|endoftext|>",
        model_max_length=max_length,
    ), len(vocab)


def build_tiny_clip(path: Path) -> Path:
    """A randomly initialised CLIP (text + image) that SentenceTransformer(path) loads."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    torch.manual_seed(0)
    tokenizer, size = word_tokenizer()
    text = {
        "vocab_size": size,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "max_position_embeddings": 64,
        "bos_token_id": 4,
        "eos_token_id": 5,
        "pad_token_id": 0,
    }
    vision = {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "image_size": 32,
        "patch_size": 8,
    }
    CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)).save_pretrained(path)
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(path)
    return path


def build_tiny_cross_encoder(path: Path) -> Path:
    """A randomly initialised one-label BERT classifier that CrossEncoder(path) loads."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tokenizer, size = word_tokenizer(128)
    # num_labels is a documented PreTrainedConfig argument (taken from **kwargs by __post_init__), but transformers'
    # dataclass-style signature leaves it out
    config = BertConfig(  # type: ignore[call-arg]
        vocab_size=size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        num_labels=1,
    )
    BertForSequenceClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def write_text_only_knowledge(root: Path) -> Path:
    """The sample bugs without screenshots (no OCR needed), for tests about indexing itself."""
    for bug_id, (title, tags, symptoms, resolution, _) in SAMPLE_BUGS.items():
        write_bug(root, bug_id, title, tags, symptoms, resolution)
    return root


def refresh(settings, shared_models: dict) -> dict:  # noqa: ANN001 - Settings, imported lazily
    """Refresh the settings' index with the session's shared models; the report as a dict."""
    from bot.refresh import build_refresher

    refresher = build_refresher(settings, shared_models["embedder"], shared_models["extractor"])
    try:
        return refresher.refresh().as_dict()
    finally:
        if refresher.store is not None:
            refresher.store.close()  # checkpoints SQLite's WAL now, not whenever the collector runs


def copy_index(built, tmp_path: Path):  # noqa: ANN001, ANN201 - Settings in and out
    """Settings pointing at a private copy of an already-built knowledge folder and data dir."""
    import shutil

    kb = Path(shutil.copytree(built.knowledge_dir, tmp_path / "knowledge"))
    shutil.copytree(built.data_dir, tmp_path / "data")
    return built.model_copy(update={"knowledge_dir": kb, "data_dir": tmp_path / "data"})


def espeak(text: str, tmp_path: Path, *options: str) -> bytes:
    """WAV speech of `text` by espeak-ng (the test is skipped where it is not installed)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    path = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", *options, "-w", str(path), text], check=True)
    return path.read_bytes()


def at_once(count: int, call: Callable[[], T]) -> list[T]:
    """Run `call` on `count` threads released together; the results (raising the first error)."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(call())
        except BaseException as err:  # noqa: BLE001 - re-raised below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def encode_video(
    screens: list[tuple[Image.Image, float]],
    fps: int = 10,
    container: str = "mp4",
    codec: str = "libx264",
    sound: bytes | None = None,
    sound_codec: str = "aac",
    crf: int | None = None,
    rotation: int = 0,
) -> bytes:
    """A real screen recording: each (picture, seconds) shown in turn, encoded with PyAV; `sound` (a WAV) becomes
    its sound track; `crf` sets the H.264/HEVC quality (the encoder's default, 23/28, when None). A `rotation`
    (degrees counterclockwise, a multiple of 90) stores the pictures as a phone's camera does: turned the other way,
    with a display matrix that turns them back for viewing."""
    import io

    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as muxer:
        stream = cast(av.VideoStream, muxer.add_stream(codec, rate=fps))
        screens = [(picture.rotate(-rotation, expand=True), seconds) for picture, seconds in screens]
        stream.width, stream.height, stream.pix_fmt = *screens[0][0].size, "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        if codec in ("libx264", "hevc"):
            stream.options = {"preset": "ultrafast", **({"crf": str(crf)} if crf is not None else {})}
        elif codec.startswith("libvpx"):
            stream.options = {"deadline": "realtime", "cpu-used": "8"}
        track = muxer.add_stream(sound_codec, rate=48_000, layout="mono") if sound is not None else None
        for picture, seconds in screens:
            frame = av.VideoFrame.from_image(picture.convert("RGB"))
            for _ in range(max(1, round(seconds * fps))):
                for packet in stream.encode(frame):
                    muxer.mux(packet)
        for packet in stream.encode():
            muxer.mux(packet)
        if track is not None and sound is not None:
            with av.open(io.BytesIO(sound), mode="r") as source:
                mux_sound(muxer, track, source.decode(audio=0), 48_000)
    return out.getvalue()


def damaged(data: bytes, every: int = 1, noise_tracks: int = 0) -> bytes:
    """An MP4 remuxed with every `every`-th sound packet's bytes replaced by noise (1: the whole track), as a damaged
    download leaves it, or a sound codec FFmpeg cannot decode; with `noise_tracks`, so many tracks of such noise are put
    before the sound track, which stays as it was."""
    import io

    import av

    rng = np.random.default_rng(0)
    out = io.BytesIO()
    with av.open(io.BytesIO(data), mode="r") as source, av.open(out, mode="w", format="mp4") as muxer:
        noisy: list[av.stream.Stream] = [
            muxer.add_stream_from_template(source.streams.audio[0]) for _ in range(noise_tracks)
        ]
        streams = {s.index: muxer.add_stream_from_template(s) for s in source.streams}
        sound = 0
        for packet in (p for p in source.demux() if p.dts is not None):
            if packet.stream.type == "audio":
                sound += 1
                for track in noisy or ([streams[packet.stream.index]] if sound % every == 0 else []):
                    noise = av.Packet(rng.integers(0, 256, packet.size, dtype=np.uint8).tobytes())
                    noise.pts, noise.dts, noise.time_base = packet.pts, packet.dts, packet.time_base
                    noise.stream = track
                    muxer.mux(noise)
                if not noisy and sound % every == 0:
                    continue
            packet.stream = streams[packet.stream.index]
            muxer.mux(packet)
    return out.getvalue()


def mux_sound(muxer: Any, track: Any, frames: Iterable[Any], rate: int) -> None:
    """Encode decoded audio `frames` into the `track` of `muxer` (PyAV), resampled to its format and channels at
    `rate`."""
    from fractions import Fraction

    import av

    size = track.codec_context.frame_size or None  # a codec with a fixed frame size (AAC, Opus) gets it exactly
    layout, name = track.codec_context.layout.name, track.codec_context.format.name
    resampler = av.AudioResampler(format=name, layout=layout, rate=rate, frame_size=size)
    pts = 0
    for frame in [*frames, None]:
        for chunk in resampler.resample(frame):
            chunk.pts, chunk.time_base = pts, Fraction(1, rate)
            pts += chunk.samples
            for packet in track.encode(chunk):
                muxer.mux(packet)
    for packet in track.encode():
        muxer.mux(packet)


def terminal_screen(lines: list[str], size: tuple[int, int] = (1100, 600), font_size: int = 22) -> Image.Image:
    """A dark terminal window with `lines` (light text), the way a screen recorder sees it."""
    image = Image.new("RGB", size, (28, 30, 38))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, font_size)
    for i, line in enumerate(lines):
        draw.text((24, 24 + int(font_size * 1.5) * i), line, font=font, fill=(235, 235, 235))
    return image


def stored_answers(store: Store, channel: str | None = None, ts: str | None = None) -> list[AnswerRecord]:
    """The stored answers (in one channel, to one message), oldest first."""
    from bot.store import schema

    a = schema.answers
    query = a.select().with_only_columns(a.c.id).order_by(a.c.created)
    if channel is not None:
        query = query.where(a.c.channel == channel)
    if ts is not None:
        query = query.where(a.c.message_ts == ts)
    with store.db.begin() as conn:
        ids = list(conn.execute(query).scalars())
    found = [store.answer(answer_id) for answer_id in ids]
    return [r for r in found if r is not None]


def plane(corners: list[tuple[float, float]], size: tuple[int, int]) -> list[float]:
    """Pillow's perspective coefficients that put a picture of `size` onto `corners` (clockwise from top left)."""
    w, h = size
    rows = []
    for (x, y), (u, v) in zip(corners, [(0, 0), (w, 0), (w, h), (0, h)], strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    return np.linalg.solve(np.array(rows, float), np.array([0, 0, w, 0, w, h, 0, h], float)).tolist()


def embed_in_a_daemon(data_dir: str, answers: Queue) -> None:
    """Body of a daemonic process (which may not start children): embed one text with the default backend."""
    from bot.embed import Embedder
    from bot.settings import Settings

    embedder = Embedder(Settings(data_dir=data_dir))
    answers.put((embedder.backend, embedder.encode_texts(["connection refused on port 8080"]).shape))


def decode_mangled(samples: Iterable[bytes], settings: Any, tries: int, seed: int) -> None:
    """Decode `tries` copies of each sample, each cut short at random and with up to 8 bytes overwritten: anything but
    one of the bot's own errors escaping fails the calling test."""
    import contextlib

    from bot.errors import BotError
    from bot.intake import decode_attachment
    from bot.records import Attachment

    rng = np.random.default_rng(seed)
    for data in samples:
        for _ in range(tries):
            mangled = bytearray(data[: int(rng.integers(1, len(data) + 1))])
            for i in rng.integers(0, len(mangled), size=min(len(mangled), 8)):
                mangled[i] = int(rng.integers(0, 256))
            with contextlib.suppress(BotError):
                decode_attachment(Attachment("f", bytes(mangled)), settings)
