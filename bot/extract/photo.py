"""Photos of a monitor taken with a phone: find the screen's edges and straighten it before OCR."""

from __future__ import annotations

from typing import Any


def straighten(image: Any) -> Any:
    """`image` unchanged (placeholder replaced below)."""
    return image
