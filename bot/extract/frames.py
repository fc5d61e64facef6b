"""The distinct screens of a recording: frames are compared small and grey; a large change starts a new screen
(a scene change), and the screens that stay still longest are the ones worth reading."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from bot.intake import Frame


CHANGED_LEVEL = 24.0  # a thumbnail pixel counts as changed (or as ink) when it differs by more than this (0-255)...
SCENE_CHANGE = 0.2  # ...and a new screen starts when the changed pixels are more than this share of the ink
KEEP = 12  # screens held in memory while decoding; the shortest-held is dropped past this


@dataclass
class Screen:
    """One distinct screen: when it first showed, how long it stayed, its latest frame while it lasts, then its
    image."""

    start: float
    seconds: float
    thumb: np.ndarray
    latest: Frame | None
    image: Any = None


def changed(a: np.ndarray, b: np.ndarray) -> float:
    """How much two thumbnails differ: the changed pixels as a share of the ink (pixels off the background) of
    the busier one, so new lines in a sparse terminal count as much as a new page does, a moving pointer little."""
    if a.shape != b.shape:
        return 1.0
    ink = max(
        int(np.sum(np.abs(a - np.median(a)) > CHANGED_LEVEL)), int(np.sum(np.abs(b - np.median(b)) > CHANGED_LEVEL))
    )
    return float(np.sum(np.abs(a - b) > CHANGED_LEVEL)) / max(ink, 0.002 * a.size, 1)


def key_screens(frames: Iterable[Frame], limit: int, step: float) -> list[Screen]:
    """The `limit` screens that stayed longest (each seen at least twice when any is), in order of appearance,
    with their images; `step` is the time between sampled frames."""
    screens: list[Screen] = []
    current: Screen | None = None
    for frame in frames:
        if current is not None and changed(frame.thumb, current.thumb) <= SCENE_CHANGE:
            current.seconds = frame.at - current.start + step
            current.latest = frame  # the latest state: text that appeared meanwhile is on it
            continue
        if current is not None:
            keep(screens, current)
        current = Screen(frame.at, step, frame.thumb, frame)
    if current is not None:
        keep(screens, current)
    still = [s for s in screens if s.seconds > step * 1.5] or screens
    chosen = sorted(still, key=lambda s: -s.seconds)[:limit]
    return sorted(chosen, key=lambda s: s.start)


def keep(screens: list[Screen], screen: Screen) -> None:
    """Add a finished screen, or add its time to an earlier one it repeats; past `KEEP` screens the one held
    shortest goes (unconverted when it is the new one), so a recording of many cuts costs bounded work."""
    for earlier in screens:
        if changed(earlier.thumb, screen.thumb) <= SCENE_CHANGE:
            earlier.seconds += screen.seconds
            earlier.latest = screen.latest
            screen = earlier
            break
    else:
        if len(screens) >= KEEP and screen.seconds <= min(s.seconds for s in screens):
            return
        screens.append(screen)
    if screen.latest is not None:
        screen.image = screen.latest.image()
        screen.latest = None  # release the decoded picture
    if len(screens) > KEEP:
        screens.remove(min(screens, key=lambda s: s.seconds))
