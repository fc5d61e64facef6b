"""What preparing a voice note for speech recognition costs (`bot.intake.audio.for_listening`: steady noise turned
down, a quiet voice raised) on long noisy notes, up to the longest a user may send (`max_audio_seconds`, 5 min):
seconds (the median of three) and the peak memory it allocates (tracemalloc: numpy's arrays), beside the size of the
samples themselves.

The notes are made here, not read: a voice-like sound (a 300 Hz tone with two overtones, a second on and a second
off) over hiss 17 dB under it, so that the noise is turned down (a clip with a quiet floor is left as recorded and
costs nothing).

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.listening --minutes 1,5
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

from bot.intake.audio import SAMPLE_RATE, for_listening, is_noisy


def noisy_note(seconds: float, seed: int = 0) -> np.ndarray:
    """`seconds` of a voice-like sound, said every other second, over steady hiss 17 dB under it."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    voice = sum(0.3 / k * np.sin(2 * np.pi * 300 * k * t) for k in (1, 2, 3)) * ((t % 2) < 1)
    hiss = 0.03 * np.random.default_rng(seed).normal(0, 1, t.size)
    return (voice + hiss).astype(np.float32)


def measure(samples: np.ndarray) -> tuple[float, float]:
    """(median seconds of three preparations, peak MB allocated by one)."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        for_listening(samples)
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    for_listening(samples)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", default="1,5", help="comma-separated lengths of the notes")
    args = parser.parse_args()
    print("| note | samples | noisy | prepared in | peak allocated |")
    print("|---|---|---|---|---|")
    for minutes in (float(m) for m in args.minutes.split(",")):
        samples = noisy_note(minutes * 60)
        seconds, peak = measure(samples)
        print(
            f"| {minutes:g} min | {samples.nbytes / 2**20:.0f} MB | {is_noisy(samples)} | {seconds:.2f} s "
            f"| {peak:.0f} MB |"
        )


if __name__ == "__main__":
    main()
