"""What the store keeps, as frozen records: answers with their inputs and candidates, learned examples, negatives."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.records import Answer

FeedbackKind = Literal["fixed", "not_it", "escalated"]
FEEDBACK_KINDS: tuple[FeedbackKind, ...] = ("fixed", "not_it", "escalated")


@dataclass(frozen=True)
class InputRecord:
    """One query input as stored: what was extracted from it, or why it could not be used."""

    name: str
    kind: str
    text: str = ""
    error: str | None = None


@dataclass(frozen=True)
class CandidateRecord:
    """One bug offered in an answer, best first."""

    bug_id: str
    title: str
    score: float
    evidence: str = ""


@dataclass(frozen=True)
class AnswerRecord:
    """Who asked what, where, and what the bot answered (`decision` is "error" when it failed)."""

    id: str
    source: str
    channel: str
    user: str
    decision: str
    confidence: float = 0.0
    inputs: tuple[InputRecord, ...] = ()
    candidates: tuple[CandidateRecord, ...] = ()
    team: str | None = None
    message_ts: str | None = None
    reply_ts: str | None = None
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    created: float = field(default_factory=time.time)

    @property
    def best_bug(self) -> str | None:
        offered = self.decision in ("match", "uncertain") and self.candidates
        return self.candidates[0].bug_id if offered else None

    @property
    def offered_bug(self) -> str | None:
        """The bug the reply named, whatever the decision (a no_match reply names the closest one)."""
        return self.candidates[0].bug_id if self.candidates else None


@dataclass(frozen=True)
class ExampleInput:
    """One input of a confirmed query: its kind ("text", "image", "audio"), file name, text and optional image."""

    kind: str
    name: str
    text: str
    image: bytes | None = None


@dataclass(frozen=True)
class Example:
    """A query a user confirmed was fixed by `bug_id`, with where it came from."""

    id: int
    bug_id: str
    inputs: tuple[ExampleInput, ...]
    provenance: dict[str, Any]
    created: float
    content_hash: str

    def as_dict(self) -> dict[str, Any]:
        inputs = [{"kind": i.kind, "name": i.name, "text": i.text, "image": i.image is not None} for i in self.inputs]
        return {
            "id": self.id,
            "bug_id": self.bug_id,
            "inputs": inputs,
            "provenance": self.provenance,
            "created": self.created,
        }


@dataclass(frozen=True)
class Negative:
    """A query for which a user said `bug_id` was "Not it"."""

    id: int
    bug_id: str
    query_text: str
    provenance: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "bug_id": self.bug_id,
            "query_text": self.query_text,
            "provenance": self.provenance,
            "created": self.created,
        }


def evidence_line(answer: Answer, index: int) -> str:
    """The first evidence of the `index`-th match as "query text <- knowledge source"."""
    evidence = answer.matches[index].evidence
    return f"{evidence[0].query_text} <- {evidence[0].source}" if evidence else ""


def answer_record(answer: Answer, record_id: str, **where: Any) -> AnswerRecord:
    """Turn an engine answer into a stored record; `where` gives source, channel, user, team, message_ts."""
    inputs = tuple(InputRecord(i.name, i.kind, i.text, i.error) for i in answer.inputs)
    candidates = tuple(
        CandidateRecord(m.bug.id, m.bug.title, round(m.score, 4), evidence_line(answer, n))
        for n, m in enumerate(answer.matches)
    )
    return AnswerRecord(
        id=record_id,
        decision=answer.decision,
        confidence=answer.confidence,
        inputs=inputs,
        candidates=candidates,
        timings=dict(answer.timings_ms),
        **where,
    )
