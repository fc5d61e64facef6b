"""How long, and how much memory, does one question take when its voice clip or recording is built to be costly to
decode, or is an odd but real file? (issue 11: nothing a user sends may stall the bot; peak RSS within 2 GB)

    .venv/bin/python -m bench.hostile_sound [--tracks 900] [--stop-after 300]

Indexes the shipped `knowledge/` in a temporary folder and asks the engine, for each file below, one question with
that file attached: a spoken description of the shipped nginx 502 bug (espeak-ng) as two clips joined end to end
(`cat a.mp3 b.mp3`: the rate and channels change where they meet), as a chained Ogg (Opus in mono, then in stereo),
as a stereo voice note whose right channel is the left one inverted (mixed to mono, the voice cancels out), and
behind `--tracks` sound tracks of undecodable packets in a voice clip (M4A) and in a screen recording of the 502's
error log (MP4), each made beforehand in a process of its own. Prints the file's size, the seconds the question took,
the process's peak RSS meanwhile (sampled every 0.2 s), what the input came to (its kind, or the sentence the asker
gets), the decision and the bug first. A question still unanswered after `--stop-after` seconds is stopped.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction

import numpy as np
from PIL import Image

from bench.abandoned_work import spoken
from bench.burst import Sampler
from bench.hostile_screens import with_error
from bench.hostile_text import cells, table_engine, timed
from bench.voices import encode
from bot.intake import SAMPLE_RATE
from bot.records import Answer, Attachment, Query
from tests.support import mux_sound


def joined(said: np.ndarray) -> bytes:
    """The first half of `said` as a 44.1 kHz stereo MP3 followed by the second as a 22.05 kHz mono one."""
    half = said.size // 2
    return encode(said[:half], "mp3", "libmp3lame", 44_100, 96_000, "stereo") + encode(
        said[half:], "mp3", "libmp3lame", 22_050, 48_000
    )


def chained(said: np.ndarray) -> bytes:
    """The first half of `said` as Opus in mono and the second in stereo, in one chained Ogg."""
    half = said.size // 2
    return encode(said[:half], "ogg", "libopus", 48_000, 24_000) + encode(
        said[half:], "ogg", "libopus", 48_000, 32_000, "stereo"
    )


def inverted(said: np.ndarray) -> bytes:
    """`said` as a pair of microphones 1.5 cm apart records it with one channel inverted (as some laptops' do): the
    right channel the left's negative, 2 samples later at 44.1 kHz; AAC in M4A."""
    import av

    rate = 44_100
    left = np.interp(np.arange(0, said.size, SAMPLE_RATE / rate), np.arange(said.size), said).astype(np.float32)
    right = -np.concatenate([np.zeros(2, dtype=np.float32), left[:-2]])
    out = io.BytesIO()
    with av.open(out, mode="w", format="ipod") as muxer:
        track = muxer.add_stream("aac", rate=rate, layout="stereo")
        frame = av.AudioFrame.from_ndarray(np.stack([left, right]), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        mux_sound(muxer, track, [frame], rate)
    return out.getvalue()


def behind_tracks(said: np.ndarray, tracks: int, picture: bool) -> bytes:
    """`said` as the last of `tracks` AAC tracks, the others of random packets, in an M4A; with `picture`, in an MP4
    that also shows the 502's error log for 2 s."""
    import av

    rng = np.random.default_rng(0)
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as muxer:
        video = muxer.add_stream("libx264", rate=5) if picture else None
        if video is not None:
            video.width, video.height, video.pix_fmt = 1280, 720, "yuv420p"
        sound = [muxer.add_stream("aac", rate=SAMPLE_RATE, layout="mono") for _ in range(tracks)]
        frame = av.AudioFrame.from_ndarray(said[None, :], format="flt", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, 0, Fraction(1, SAMPLE_RATE)
        resampled = av.AudioResampler(format="fltp", layout="mono", rate=SAMPLE_RATE, frame_size=1024).resample(frame)
        for number, track in enumerate(sound):
            for part in resampled[:1] if number < tracks - 1 else [*resampled, None]:
                for packet in track.encode(part):
                    muxer.mux(packet)
            if number < tracks - 1:  # then random bytes where the rest of its sound would be
                for count in range(1, 20):
                    noise = av.Packet(rng.integers(0, 256, 200, dtype=np.uint8).tobytes())
                    noise.stream, noise.time_base = track, Fraction(1, SAMPLE_RATE)
                    noise.pts = noise.dts = 1024 * count
                    muxer.mux(noise)
        if video is not None:
            screen = av.VideoFrame.from_image(with_error(Image.new("RGB", (1280, 720), (40, 40, 40))))
            for _ in range(10):
                muxer.mux(video.encode(screen))
            muxer.mux(video.encode(None))
    return out.getvalue()


FILES = {
    "two clips joined end to end (MP3, 44.1 kHz stereo then 22.05 kHz mono)": "note.mp3",
    "a chained Ogg (Opus in mono, then in stereo)": "note.ogg",
    "a voice note from a microphone pair, one channel inverted (M4A, stereo)": "inverted.m4a",
    "a voice clip behind {} tracks of random packets (M4A)": "note.m4a",
    "a recording of the error log, its sound behind {} such tracks (MP4)": "clip.mp4",
}


def made(name: str, tracks: int) -> bytes:
    """The file `name` of `FILES`, with `tracks` tracks where it has many."""
    said = spoken()
    if name.endswith(".mp3"):
        return joined(said)
    if name.endswith(".ogg"):
        return chained(said)
    if name == "inverted.m4a":
        return inverted(said)
    return behind_tracks(said, tracks, picture=name.endswith(".mp4"))


def came_to(answer: Answer | None) -> str:
    if answer is None or not answer.inputs:
        return "-"
    first = answer.inputs[0]
    return f'"{first.error}"' if first.error else first.kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=900, help="Tracks of the many-track files (FFmpeg's most: 1000).")
    parser.add_argument("--stop-after", type=int, default=300, help="Seconds after which a question is stopped.")
    args = parser.parse_args()
    columns = ("file", "MB", "seconds", "peak RSS MB", "came to", "decision", "first bug")
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as maker:  # made apart, so that making them adds no memory here
        made_files = {
            label.format(args.tracks - 1): (name, maker.submit(made, name, args.tracks).result())
            for label, name in FILES.items()
        }
    with table_engine("bench-hostile-sound-", columns) as matcher:
        for label, (name, data) in made_files.items():
            query = Query(attachments=(Attachment(name, data),))
            with Sampler() as sampler:
                seconds, answer = timed(matcher, query, args.stop_after)
            took, decision, best = cells(seconds, answer)
            row = (label, f"{len(data) / 1e6:.2f}", took, f"{sampler.rss_mb:.0f}", came_to(answer), decision, best)
            print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
