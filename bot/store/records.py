"""What the store keeps, as frozen records: answers with their inputs and candidates, learned examples, negatives,
reports per bug and the bug changes refreshes saw."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.records import Answer

FeedbackKind = Literal["fixed", "not_it", "escalated"]
FEEDBACK_KINDS: tuple[FeedbackKind, ...] = ("fixed", "not_it", "escalated")
ReportHow = Literal["confirmed", "linked"]


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
    """Who asked what, where, and what the bot answered (`decision` is "error" when it failed); `thread_ts` is the
    thread the reply went to, `file_ids` the Slack files the inputs were read from."""

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
    thread_ts: str | None = None
    file_ids: tuple[str, ...] = ()

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


@dataclass(frozen=True)
class Report:
    """One thread where a bug was confirmed ("This fixed it") or linked by the support team."""

    bug_id: str
    answer_id: str
    channel: str
    thread_ts: str | None
    asked_by: str
    reported_by: str
    how: ReportHow
    created: float
    link: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "bug_id": self.bug_id,
            "answer_id": self.answer_id,
            "channel": self.channel,
            "thread_ts": self.thread_ts,
            "link": self.link,
            "asked_by": self.asked_by,
            "reported_by": self.reported_by,
            "how": self.how,
            "created": self.created,
        }


@dataclass(frozen=True)
class ReportCount:
    """How often a bug was reported over a window: `reports` threads, asked by `people` different people."""

    bug_id: str
    reports: int
    people: int
    days: float

    @property
    def sentence(self) -> str:
        """ "reported 3 times by 2 people in the last 30 days" ("" when never)."""
        if not self.reports:
            return ""
        times = "once" if self.reports == 1 else f"{self.reports} times"
        people = "1 person" if self.people == 1 else f"{self.people} people"
        return f"reported {times} by {people} in the last {self.days:g} days"

    @property
    def line(self) -> str:
        """The sentence on a line of its own: "Reported 3 times by 2 people in the last 30 days"."""
        return self.sentence[:1].upper() + self.sentence[1:]


@dataclass(frozen=True)
class BugChange:
    """A change of a bug's status or resolution that a refresh saw (`id` is 0 until it is stored)."""

    bug_id: str
    title: str
    old_status: str
    new_status: str
    old_resolution: str
    new_resolution: str
    key: str = ""
    id: int = 0
    created: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "bug_id": self.bug_id,
            "title": self.title,
            "old_status": self.old_status,
            "new_status": self.new_status,
            "old_resolution": self.old_resolution,
            "new_resolution": self.new_resolution,
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
