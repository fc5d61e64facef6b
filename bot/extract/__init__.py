"""Extract: text out of decoded media — OCR of screens (large desktops, small or compressed text, phone photos,
a recording's key screens), speech recognition biased toward the knowledge base, and the salient lines of logs."""

from bot.extract.extractor import UNREADABLE_RECORDING, Extractor
from bot.extract.layout import reading_order
from bot.extract.logs import pasted_log
from bot.extract.ocr import TextBox, TextReader, load_reader, reader_id
from bot.extract.speech import resolve_asr_model, vocabulary_from_texts

__all__ = [
    "UNREADABLE_RECORDING",
    "Extractor",
    "TextBox",
    "TextReader",
    "load_reader",
    "pasted_log",
    "reader_id",
    "reading_order",
    "resolve_asr_model",
    "vocabulary_from_texts",
]
