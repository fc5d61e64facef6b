"""Decode images (PNG, JPEG, WebP, GIF, BMP, TIFF, HEIC/HEIF, AVIF) to RGB under the pixel limits."""

from __future__ import annotations

import functools
import io
import math
import warnings

from PIL import Image, ImageOps

from bot.errors import CorruptMedia, MediaTooLarge


@functools.cache
def register_heif() -> None:
    """Let Pillow open HEIC/HEIF (iPhone photos) through pillow-heif; AVIF is native in Pillow >= 11.3."""
    from pillow_heif import register_heif_opener

    register_heif_opener()


def decode_image(data: bytes, max_pixels: int, working_pixels: int) -> Image.Image:
    """Decode an image to RGB with its EXIF orientation applied: the size is checked from the header before
    any pixel is decoded, and an image over `working_pixels` comes out scaled down to that many."""
    register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as err:
        raise too_many_pixels(max_pixels) from err
    width, height = image.size
    if width * height > max_pixels:
        raise too_many_pixels(max_pixels)
    if width < 1 or height < 1:
        raise CorruptMedia()
    if width * height > working_pixels:
        image.draft("RGB", fitted(image.size, working_pixels))  # JPEG decodes straight at 1/2, 1/4 or 1/8 size
    image.load()  # first frame only for animations; raises on truncated data
    image = ImageOps.exif_transpose(image) or image
    return shrink(to_rgb(image), working_pixels)


def fitted(size: tuple[int, int], pixels: int) -> tuple[int, int]:
    """`size` scaled down (aspect kept) to at most `pixels` pixels; unchanged when already within."""
    width, height = size
    scale = min(1.0, math.sqrt(pixels / max(1, width * height)))
    return max(1, int(width * scale)), max(1, int(height * scale))


def shrink(image: Image.Image, pixels: int) -> Image.Image:
    """`image` scaled down to at most `pixels` pixels (the working size); the original is released."""
    size = fitted(image.size, pixels)
    return image if size == image.size else image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def too_many_pixels(max_pixels: int) -> MediaTooLarge:
    return MediaTooLarge(
        f"That image is over the {max_pixels / 1_000_000:g}-megapixel limit; please send a smaller screenshot."
    )


def to_rgb(image: Image.Image) -> Image.Image:
    """Flatten transparency onto white (screenshots with alpha would otherwise turn black)."""
    if image.mode == "RGB":
        return image
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")
