"""Intake: sniff what a user sent from its bytes and decode it under the limits in settings — images (HEIC and
AVIF included), voice clips, screen recordings (frames on demand plus the sound track) and text files, also compressed
or in an archive."""

from bot.intake.audio import SAMPLE_RATE
from bot.intake.decode import SUPPORTED, decode_attachment
from bot.intake.image import decode_image
from bot.intake.sniff import sniff
from bot.intake.text import clean_text
from bot.intake.video import Frame, Recording

__all__ = [
    "SAMPLE_RATE",
    "SUPPORTED",
    "Frame",
    "Recording",
    "clean_text",
    "decode_attachment",
    "decode_image",
    "sniff",
]
