"""Frozen records passed between modules. Imports nothing from `bot`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

InputKind = Literal["text", "image", "audio", "recording", "snippet"]
TextOrigin = Literal["screen", "speech", "log"]
Decision = Literal["match", "uncertain", "no_match"]


@dataclass(frozen=True)
class Attachment:
    """A file as the user sent it: its name, raw bytes and the MIME type the sender claimed."""

    name: str
    data: bytes
    mime: str | None = None


@dataclass(frozen=True)
class Query:
    """What a user asked: free text plus any attachments; `context` holds inputs read earlier in the same
    conversation (a follow-up in a thread), searched together with the new ones."""

    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    context: tuple[QueryInput, ...] = ()


@dataclass(frozen=True)
class Media:
    """A decoded attachment: `payload` is a PIL image (kind image), 16 kHz mono float32 samples (audio), a
    `bot.intake.Recording` (recording), or text or an archive's text files as a tuple of `TextFile`s (snippet)."""

    name: str
    kind: Literal["image", "audio", "recording", "snippet"]
    payload: Any
    sha256: str
    seconds: float = 0.0


@dataclass(frozen=True)
class TextFile:
    """One text file unpacked from an archive: its path in the archive and its text."""

    name: str
    text: str


@dataclass(frozen=True)
class TextLine:
    """One OCR line, transcript segment or log line with the recogniser's confidence in [0, 1]: `origin` says
    where it was read (on a screen, in speech, in a pasted log), `at` when (seconds into a recording), `window` in
    which window of a screen that shows failures in more than one (numbered from 1 left to right), or in which file of
    an archive whose files do (numbered in its order); 0 otherwise."""

    text: str
    confidence: float
    origin: TextOrigin = "screen"
    at: float | None = None
    window: int = 0


@dataclass(frozen=True)
class QueryInput:
    """One input of a query after extraction; `error` is a user-safe sentence when it could not be used, `note` one
    when part of it could not be (and the rest was)."""

    name: str
    kind: InputKind
    text: str = ""
    lines: tuple[TextLine, ...] = ()
    image: Any = None
    error: str | None = None
    note: str | None = None

    @property
    def screen_text(self) -> str:
        """The text read on screens (screenshots, a recording's frames)."""
        return "\n".join(line.text for line in self.lines if line.origin == "screen")

    @property
    def speech_text(self) -> str:
        """The text heard in speech (voice notes, a recording's sound track)."""
        return " ".join(line.text for line in self.lines if line.origin == "speech")

    @property
    def screen_legibility(self) -> float:
        """How surely its screens were read (`legibility` of their lines; 1 when it showed none)."""
        return legibility([line for line in self.lines if line.origin == "screen"])


def legibility(lines: Sequence[TextLine]) -> float:
    """How surely the recognisers read `lines`: their confidence, weighed by length (1 for none)."""
    length = sum(len(line.text) for line in lines)
    return sum(line.confidence * len(line.text) for line in lines) / length if length else 1.0


@dataclass(frozen=True)
class KnownBug:
    """A parsed knowledge-base entry."""

    id: str
    title: str
    product: str
    tags: tuple[str, ...]
    status: str
    links: tuple[str, ...]
    symptoms: str
    resolution: str
    body: str
    path: str
    media: tuple[str, ...] = ()
    content_hash: str = ""

    @property
    def doc_text(self) -> str:
        """The text that describes the bug for retrieval: what users see (title, tags, symptoms).

        The resolution is left out: it speaks of causes and fixes, which users do not describe.
        """
        tags = ", ".join(self.tags)
        return f"{self.title}. {self.product}. {tags}.\n{self.symptoms}".strip()


@dataclass(frozen=True)
class Evidence:
    """Why a bug matched: which query input met which knowledge text, and how strongly."""

    query_input: str
    query_text: str
    source: str
    text: str
    score: float
    line: str = ""  # the query line that shows the match best (`ranking.text.matching_line`)


@dataclass(frozen=True)
class Candidate:
    """A bug found by search, before the decision, with its retrieval features."""

    bug_id: str
    score: float
    features: dict[str, float] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Match:
    """A ranked known bug in an answer."""

    bug: KnownBug
    score: float
    evidence: tuple[Evidence, ...] = ()
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """The engine's answer to a query: a decision, the confidence that the first match is the bug, the ranked
    matches (best first) and `known`, how likely the question is a known bug at all."""

    decision: Decision
    confidence: float
    matches: tuple[Match, ...]
    inputs: tuple[QueryInput, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)
    known: float = 0.0

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    def moment(self, evidence: Evidence) -> str:
        """When the evidence's line showed in a recording, as "0:04"; "" when it did not come from one."""
        for item in self.inputs:
            if evidence.query_input.startswith(item.name):
                at = next((line.at for line in item.lines if line.text == evidence.line and line.at is not None), None)
                if at is not None and item.kind == "recording":
                    return f"{int(at // 60)}:{int(at % 60):02d}"
        return ""
