"""Photos of a monitor taken with a phone: find the screen's edges and straighten it; brighten one taken in a dim room.

A screenshot is left alone: only a four-sided outline that covers much of the picture and is visibly not a
rectangle (seen at an angle) counts as a photographed screen.
"""

from __future__ import annotations

from typing import Any

import numpy as np

WORK_SIDE = 800  # the outline is searched on a copy this wide
MIN_AREA = 0.25  # the screen covers at least this share of the photo...
MIN_SLANT = 0.012  # ...and its corners are off a rectangle by at least this share of its size
SCREEN_MARGIN = 0.08  # the straightened photo keeps this share of the screen's size around its outline...
MAX_SIDE = 2400  # ...at the screen's own resolution, up to this many pixels across
MAX_BEND = 3600  # a plane that maps the whole photo wider than this is not a screen seen at an angle
MIN_TILT, MAX_TILT = 1.0, 12.0  # text lines tilted by less than this (degrees) are left; beyond it is no tilt
DIM = 140  # a picture whose brightest thousandth is darker than this grey (of 255) is dim: a screen photographed in a
# dim room, whose text spans a few dozen grey levels that the detectors and the screen's outline (edges found by
# fixed thresholds) barely see
DIM_SHARE = 0.001  # the share of pixels at either end of the grey levels left out as noise and glints
FLAT = 8  # a dim picture spanning fewer grey levels than this shows nothing to stretch


def brightened(image: Any) -> Any | None:
    """A dim `image` with its grey levels stretched to the full range, and inverted when most of it is dark (a dark
    terminal: dark text on light is what the detectors find best in a blurred photo); None for any other image."""
    counts = np.cumsum(image.convert("L").histogram())
    low, high, middle = (int(np.searchsorted(counts, share * counts[-1])) for share in (DIM_SHARE, 1 - DIM_SHARE, 0.5))
    if high >= DIM or high - low < FLAT:
        return None
    table = [min(255, max(0, round((level - low) * 255 / (high - low)))) for level in range(256)]
    if middle < (low + high) / 2:
        table = [255 - level for level in table]
    return image.convert("RGB").point(table * 3)


def straighten(image: Any) -> Any:
    """A phone photo of a screen with the screen's plane straightened (the outline found and a margin around
    it, at the resolution the photo has it) and its text lines levelled; any other image unchanged."""
    from PIL import Image

    if min(image.size) * WORK_SIDE < max(image.size):  # a strip (a banner, a rule) is no photo of a screen...
        return image  # ...and its working copy would be empty
    flat = rectify(image)
    angle = text_angle(np.asarray(flat)) if flat is not image else 0.0  # screenshots are never levelled
    if abs(angle) < MIN_TILT:
        return flat
    return flat.rotate(
        -angle,
        Image.Resampling.BICUBIC,
        expand=True,
        fillcolor=tuple(np.median(np.asarray(flat)[:4], axis=(0, 1)).astype(int)),
    )


def text_angle(rgb: np.ndarray) -> float:
    """The tilt of the text lines in degrees (counter-clockwise positive), from the long straight edges that
    lie near horizontal; 0 when there are too few."""
    import cv2

    scale = WORK_SIDE / max(rgb.shape[:2])
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    edges = cv2.Canny(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), 50, 150)
    found = cv2.HoughLinesP(edges, 1, np.pi / 720, 60, minLineLength=small.shape[1] // 10, maxLineGap=8)
    if found is None:
        return 0.0
    x1, y1, x2, y2 = found.reshape(-1, 4).T.astype(np.float64)
    angles = np.degrees(np.arctan2(y1 - y2, x2 - x1))
    flat = angles[np.abs(angles) < MAX_TILT]
    return float(np.median(flat)) if flat.size >= 3 else 0.0


def rectify(image: Any) -> Any:
    """The screen outline found in the photo mapped to an upright rectangle at the resolution the photo has it,
    with a margin around it (a title bar or a bezel's edge that the outline left out)."""
    import cv2
    from PIL import Image

    rgb = np.asarray(image)
    scale = WORK_SIDE / max(rgb.shape[:2])
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    quad = screen_outline(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
    if quad is None:
        return image
    quad = quad / min(scale, 1.0)
    across = float(max(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])))
    down = float(max(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])))
    target = np.array([[0, 0], [across, 0], [across, down], [0, down]], dtype=np.float32)
    warp = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    height, width = rgb.shape[:2]
    corners = np.array([[[0, 0], [width, 0], [width, height], [0, height]]], dtype=np.float32)
    mapped = cv2.perspectiveTransform(corners, warp)[0]
    if not np.all(np.isfinite(mapped)) or np.ptp(mapped, axis=0).max() > MAX_BEND:
        return image  # the plane found bends the photo too far to be a screen seen at an angle
    margin = SCREEN_MARGIN * np.array([across, down])
    low = np.maximum(mapped.min(axis=0), -margin)
    high = np.minimum(mapped.max(axis=0), np.array([across, down]) + margin)
    size = high - low
    fit = min(1.0, MAX_SIDE / float(size.max()))
    move = np.array([[fit, 0, -low[0] * fit], [0, fit, -low[1] * fit], [0, 0, 1]])
    out = (int(size[0] * fit), int(size[1] * fit))
    flat = cv2.warpPerspective(rgb, move @ warp, out, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return Image.fromarray(flat)


def screen_outline(gray: np.ndarray) -> np.ndarray | None:
    """The corners (top-left, top-right, bottom-right, bottom-left) of a slanted screen in `gray`, if one shows."""
    import cv2

    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    edges = cv2.dilate(cv2.Canny(blurred, 30, 90), np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    area = gray.shape[0] * gray.shape[1]
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:8]:
        hull = cv2.convexHull(contour)
        if cv2.contourArea(hull) < MIN_AREA * area:
            break
        corners = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True).reshape(-1, 2)
        if len(corners) == 4:
            quad = order_corners(corners.astype(np.float32))
            upright = len({tuple(p) for p in quad.tolist()}) == 4 and cv2.isContourConvex(quad.reshape(-1, 1, 2))
            return quad if upright and slant(quad) >= MIN_SLANT else None
    return None


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left."""
    sums, diffs = points.sum(axis=1), np.diff(points, axis=1).ravel()
    return np.array([points[sums.argmin()], points[diffs.argmin()], points[sums.argmax()], points[diffs.argmax()]])


def slant(quad: np.ndarray) -> float:
    """How far the corners are from an upright rectangle, as a share of the outline's size."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad
    size = max(np.ptp(quad[:, 0]), np.ptp(quad[:, 1]), 1.0)
    return float(max(abs(y0 - y1), abs(y3 - y2), abs(x0 - x3), abs(x1 - x2)) / size)
