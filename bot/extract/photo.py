"""Photos of a monitor taken with a phone: find the screen's edges and straighten it.

A screenshot is left alone: only a four-sided outline that covers much of the picture and is visibly not a
rectangle (seen at an angle) counts as a photographed screen.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

WORK_SIDE = 800  # the outline is searched on a copy this wide
MIN_AREA = 0.25  # the screen covers at least this share of the photo...
MIN_SLANT = 0.012  # ...and its corners are off a rectangle by at least this share of its size
MAX_SIDE = 1800  # the straightened screen is at most this wide
MARGIN = 0.02  # the outline is widened by this share of its size, so text at its edge is not cut


def straighten(image: Any) -> Any:
    """The screen in a phone photo, straightened; any other image unchanged."""
    import cv2

    rgb = np.asarray(image)
    scale = WORK_SIDE / max(rgb.shape[:2])
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    quad = screen_outline(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
    if quad is None:
        return image
    quad = widen(quad / min(scale, 1.0), rgb.shape[1], rgb.shape[0])
    across = float(max(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])))
    down = float(max(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])))
    width = int(min(MAX_SIDE, across))
    height = int(width * down / max(across, 1.0))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    warp = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    flat = cv2.warpPerspective(rgb, warp, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
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
            return quad if slant(quad) >= MIN_SLANT else None
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


def widen(quad: np.ndarray, width: int, height: int) -> np.ndarray:
    """The outline pushed out from its centre by `MARGIN` of its size, kept within the photo."""
    centre = quad.mean(axis=0)
    wider = centre + (quad - centre) * (1 + 2 * MARGIN)
    return np.clip(wider, 0, [width - 1, height - 1])
