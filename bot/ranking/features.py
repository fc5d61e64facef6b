"""The feature registry: every number the ranking model reads about one candidate bug, computed here and only
here, from the query's text by origin, the fused search results and the knowledge statistics.

Features are independent of the model (margins are to the best *other* candidate, `first` is fusion's order),
so `supportbot calibrate` can fit any model on the features the engine computed. The word features read a word
OCR, speech recognition or the user's fingers got wrong by one letter as the candidate word it must be
(`Scoring.spelling`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from bot.ranking.english import spelled_as_meant
from bot.ranking.stats import BugText, KnowledgeStats
from bot.ranking.text import (
    codes,
    error_words,
    failure_kinds,
    grams,
    line_keys,
    pieces_alike,
    read_as,
    respelled,
    told_names,
    words,
)
from bot.records import Candidate, QueryInput, legibility

RECALL_FLOOR = 0.05  # keeps the log finite when the user's screen shares no word with the bug's screens
KIND_ORIGIN = {"text": "typed", "image": "screen", "recording": "screen", "audio": "speech", "snippet": "log"}


@dataclass(frozen=True)
class QueryText:
    """The query's text by where it came from: typed in the message, read on a screen, heard, pasted as a log; and
    how surely the recognisers read it (`legibility`: their confidence, weighed by length; 1 for typed text)."""

    typed: str = ""
    screen: str = ""
    speech: str = ""
    log: str = ""
    legibility: float = 1.0

    @classmethod
    def of(cls, inputs: Sequence[QueryInput]) -> QueryText:
        """From a query's inputs: each line by its origin; an input without lines (a message) by its kind."""
        parts: dict[str, list[str]] = {"typed": [], "screen": [], "speech": [], "log": []}
        read = [line for item in inputs for line in item.lines]
        for item in inputs:
            if item.lines:
                for line in item.lines:
                    parts[line.origin].append(line.text)
            elif item.text.strip():
                parts[KIND_ORIGIN[item.kind]].append(item.text)
        return cls(**{k: "\n".join(v) for k, v in parts.items()}, legibility=legibility(read))

    @property
    def all(self) -> str:
        return "\n".join(t for t in (self.typed, self.screen, self.speech, self.log) if t)

    @property
    def shown(self) -> str:
        """What the user showed rather than said: the text on their screens and in their logs."""
        return "\n".join(t for t in (self.screen, self.log) if t)

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(words(self.all))

    @cached_property
    def shown_words(self) -> frozenset[str]:
        return frozenset(words(self.shown))

    @cached_property
    def error_words(self) -> frozenset[str]:
        """The words of the error shown on screens and in logs, as a template (names and addresses masked); all
        their words when no line looks like an error."""
        return frozenset(error_words(self.shown))

    @cached_property
    def printed(self) -> tuple[str, ...]:
        """The pieces the user's screens and logs print (`line_keys`)."""
        return line_keys(self.shown)

    @cached_property
    def slipped_words(self) -> frozenset[str]:
        """The words that can hold a wrong letter: those OCR and speech recognition read (on screens, in speech) and
        those the user typed as no English word is spelled (a slip of the fingers: "endppoint"); not those typed as
        English spells them, nor those of a log, which a program wrote."""
        read = words("\n".join(t for t in (self.typed, self.screen, self.speech) if t))
        return frozenset(read - spelled_as_meant(self.typed) - words(self.log))

    @property
    def said(self) -> str:
        """What the user typed and said (not what their screens and logs show)."""
        return "\n".join(t for t in (self.typed, self.speech) if t)

    @cached_property
    def told_words(self) -> frozenset[str]:
        """What the user told of the failure: the words typed and said, and those of the error they showed."""
        return frozenset(words(self.said)) | (self.error_words if self.shown else frozenset())

    @cached_property
    def codes(self) -> frozenset[str]:
        return frozenset(codes(self.all))

    @cached_property
    def heard_codes(self) -> frozenset[str]:
        """The codes only speech recognition wrote (none typed, shown or logged): a misheard word can look like one."""
        return frozenset(codes(self.speech)) - codes("\n".join((self.typed, self.shown)))

    @cached_property
    def told_failures(self) -> frozenset[str]:
        """The kinds of failure the user named in words, typed or said (`failure_kinds`)."""
        return failure_kinds(self.said)


class Scoring:
    """One query's candidates (fused order, best first) and what their features read, each computed once."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        query: QueryText,
        stats: KnowledgeStats,
        rejected: Mapping[str, float] | None = None,
    ) -> None:
        self.candidates = candidates
        self.query = query
        self.stats = stats
        self.rejected = rejected or {}
        self.bugs: list[BugText] = [stats.bug(c.bug_id) for c in candidates]
        self._columns: dict[str, list[float]] = {}

    def column(self, name: str) -> list[float]:
        """The feature `name` of every candidate."""
        if name not in self._columns:
            self._columns[name] = [FEATURES[name].compute(self, i) for i in range(len(self.candidates))]
        return self._columns[name]

    def weighted(
        self, asked: frozenset[str], within: frozenset[str], weight: Callable[[str], float] | None = None
    ) -> float:
        """The IDF-weighted share of the `asked` words (or trigrams, with `weight` their IDF) that are `within` a
        bug's."""
        weigh = weight or self.stats.weight
        total = math.fsum(weigh(w) for w in asked)
        return math.fsum(weigh(w) for w in asked if w in within) / total if total else 0.0

    @cached_property
    def spelling(self) -> dict[str, str]:
        """The query's words that no candidate uses but that are one misread letter from exactly one word the
        candidates do, mapped to it (`ecist` → `exist`): OCR, speech recognition and typing slip a letter at a time."""
        return respelled(self.query.slipped_words, frozenset().union(*(bug.words for bug in self.bugs)))

    def spelled(self, asked: frozenset[str]) -> frozenset[str]:
        """`asked` with its misread words as the candidates spell them."""
        return frozenset(self.spelling.get(w, w) for w in asked) if self.spelling else asked

    @cached_property
    def words(self) -> frozenset[str]:
        return self.spelled(self.query.words)

    @cached_property
    def shown_words(self) -> frozenset[str]:
        return self.spelled(self.query.shown_words)

    @cached_property
    def error_words(self) -> frozenset[str]:
        return self.spelled(self.query.error_words)

    @cached_property
    def told_rarity(self) -> dict[str, float]:
        """Each word the user told with its rarity (computed once per query, read for every candidate)."""
        return {w: self.stats.rarity(w) for w in self.spelled(self.query.told_words)}

    @cached_property
    def told_total(self) -> float:
        return math.fsum(self.told_rarity.values())

    @cached_property
    def told_mass(self) -> float:
        return math.log1p(self.told_total)

    @cached_property
    def shown_match(self) -> list[tuple[float, float]]:
        """Per candidate: (recall, F1) of the user's shown words against the bug's closest knowledge screen."""
        return [screen_match(self.shown_words, bug.screens, self.stats) for bug in self.bugs]

    @cached_property
    def shown_error_match(self) -> list[tuple[float, float]]:
        """Per candidate: (recall, F1) of the user's shown words against the error lines of the bug's knowledge
        screen whose error lines they show most of."""
        return [screen_match(self.shown_words, bug.screen_errors, self.stats) for bug in self.bugs]

    @cached_property
    def printed_alike(self) -> list[float]:
        """Per candidate: how much of what the user's screens and logs print the bug's closest knowledge screen
        prints (`pieces_alike`)."""
        asked = self.query.printed
        return [max((pieces_alike(asked, screen) for screen in bug.printed), default=0.0) for bug in self.bugs]

    @cached_property
    def told_grams(self) -> frozenset[str]:
        return grams(self.spelled(self.query.told_words))

    @cached_property
    def shown_grams(self) -> frozenset[str]:
        return grams(self.shown_words)

    @cached_property
    def codes_read(self) -> frozenset[str]:
        """The knowledge base's codes that the query's codes name (`read_as`), and those it names in words
        (`told_names`: "ssl protocol error"). A name told in words is taken where a bug has it, never held against
        one that has not: people also say such words of other failures."""
        read = frozenset().union(*(read_as(code, self.stats.codes) for code in self.query.codes))
        return read | told_names(self.query.said, self.stats.codes)

    @cached_property
    def codes_clashing(self) -> bool:
        """Whether the query names codes a bug without them clashes with: those typed, shown or logged, and those
        heard that the knowledge base has (a heard "404" or "IndentationError" counts; "EncentationError", a phrase
        misheard as a name, does not)."""
        heard = self.query.heard_codes
        return bool(self.query.codes - heard) or any(read_as(code, self.stats.codes) for code in heard)

    @cached_property
    def codes_met(self) -> list[bool]:
        """Per candidate: whether one of the query's error codes is one of the bug's."""
        return [bool(bug.codes & self.codes_read) for bug in self.bugs]


def screen_match(seen: frozenset[str], screens: Sequence[frozenset[str]], stats: KnowledgeStats) -> tuple[float, float]:
    """How alike the user's screen words are to the closest of a bug's screens, IDF-weighted: (recall, the share
    of that screen's words the user's shows; F1, recall balanced with the share of the user's words it has)."""
    mine = math.fsum(stats.weight(w) for w in seen)
    recall = f1 = 0.0
    for wanted in screens:
        total = math.fsum(stats.weight(w) for w in wanted)
        shared = math.fsum(stats.weight(w) for w in wanted if w in seen)
        if shared:
            r, p = shared / total, shared / mine
            recall, f1 = max(recall, r), max(f1, 2 * p * r / (p + r))
    return recall, f1


@dataclass(frozen=True)
class Feature:
    """One named number about a candidate."""

    name: str
    description: str
    compute: Callable[[Scoring, int], float]


FEATURES: dict[str, Feature] = {}


def feature(description: str) -> Callable[[Callable[[Scoring, int], float]], Callable[[Scoring, int], float]]:
    """Register a feature under its function's name."""

    def register(compute: Callable[[Scoring, int], float]) -> Callable[[Scoring, int], float]:
        FEATURES[compute.__name__] = Feature(compute.__name__, description, compute)
        return compute

    return register


@feature("Best cosine similarity of a query view to one of the bug's rows.")
def dense(s: Scoring, i: int) -> float:
    return s.candidates[i].features.get("dense", 0.0)


@feature("How far `dense` is above the best other candidate's (negative when below).")
def dense_margin(s: Scoring, i: int) -> float:
    values = s.column("dense")
    return values[i] - max((v for j, v in enumerate(values) if j != i), default=0.0)


@feature("Best BM25 score of a query view on the bug's rows, relative to that view's best hit.")
def fts(s: Scoring, i: int) -> float:
    return s.candidates[i].features.get("fts", 0.0)


@feature("The cross-encoder's probability for (query, bug), when one is configured.")
def rerank(s: Scoring, i: int) -> float:
    return s.candidates[i].features.get("rerank", 0.0)


@feature("1 for the candidate fusion put first.")
def first(s: Scoring, i: int) -> float:
    return float(i == 0)


@feature("IDF-weighted share of the query's knowledge-base words (words some bug uses) that the bug's text has.")
def coverage(s: Scoring, i: int) -> float:
    return s.weighted(frozenset(w for w in s.words if w in s.stats.idf), s.bugs[i].words)


@feature(
    "Share of what the user told (words typed and said, the error shown) that the bug's text has, each word weighed "
    "by how rare it is: its IDF across bugs, or for a word no bug uses, how rare it is in English."
)
def explained(s: Scoring, i: int) -> float:
    total = s.told_total
    return math.fsum(r for w, r in s.told_rarity.items() if w in s.bugs[i].words) / total if total else 0.0


@feature(
    "ln(1 + the rarity-weighed mass of what the user told): how much there is to go on (a query whose text could "
    "barely be read tells little, whether or not it is a known bug)."
)
def told(s: Scoring, i: int) -> float:
    return s.told_mass


@feature("How surely OCR and speech recognition read the query (their confidence, weighed by length; 1 for typing).")
def legible(s: Scoring, i: int) -> float:
    return s.query.legibility


@feature("F1 of the words on the user's screens and logs against the bug's closest knowledge screen.")
def shown_f1(s: Scoring, i: int) -> float:
    return s.shown_match[i][1]


@feature(
    "ln(recall + 0.05) of the error lines of the bug's knowledge screen in what the user showed (the screen whose "
    "error lines are shown most; 0 when nothing was shown): the lines around an error (commands, prompts, other "
    "output) vary from one capture to the next, its own words do not."
)
def shown_error_recall_log(s: Scoring, i: int) -> float:
    return math.log(s.shown_error_match[i][0] + RECALL_FLOOR) if s.query.shown else 0.0


@feature(
    "IDF-weighted share of the words of the error the user showed (its lines' template) that the bug's closest "
    "screen has (its text when it has none); 0 when nothing was shown."
)
def shown_error(s: Scoring, i: int) -> float:
    bug = s.bugs[i]
    return max((s.weighted(s.error_words, screen) for screen in bug.screens or (bug.words,)), default=0.0)


@feature(
    "How much of what the user's screens and logs print (each line or sentence, names, addresses, hashes and numbers "
    "masked) the bug's closest knowledge screen prints too (its text when it has none): each piece's likeness to the "
    "nearest, weighed by its length. One failure prints the same lines wherever it happens; a near relative or a new "
    "failure of the same program differs in one or more."
)
def shown_lines(s: Scoring, i: int) -> float:
    return s.printed_alike[i]


@feature(
    "IDF-weighted share of the letter trigrams of what the user told (as `explained` reads it) that the bug's words "
    "have: a word misread by more than one letter still counts for most of its trigrams."
)
def told_grams(s: Scoring, i: int) -> float:
    return s.weighted(s.told_grams, grams(s.bugs[i].words), s.stats.gram_weight)


@feature(
    "IDF-weighted share of the letter trigrams of the error lines of the bug's knowledge screen that the user's "
    "screens and logs show (the screen whose trigrams are shown most; 0 when nothing was shown)."
)
def shown_error_grams(s: Scoring, i: int) -> float:
    if not s.query.shown:
        return 0.0
    shown = (s.weighted(grams(errors), s.shown_grams, s.stats.gram_weight) for errors in s.bugs[i].screen_errors)
    return max(shown, default=0.0)


@feature("1 when one of the query's error codes is one of the bug's (matched tolerantly, or told in words).")
def codes_shared(s: Scoring, i: int) -> float:
    return float(s.codes_met[i])


@feature(
    "1 when the query names error codes as programs print them and the bug has none of them (a code only heard counts "
    "when the knowledge base has it)."
)
def codes_clash(s: Scoring, i: int) -> float:
    return float(s.codes_clashing and not s.codes_met[i])


@feature(
    "1 when the user named in words, typed or said, a kind of failure (timed out, not found, unavailable…) that the "
    "bug's text never names: a question about a near relative of a known bug tells what differs."
)
def failure_clash(s: Scoring, i: int) -> float:
    return float(bool(s.query.told_failures - s.bugs[i].failures))


@feature("1 when the user showed text on a screen or in a log.")
def has_shown(s: Scoring, i: int) -> float:
    return float(bool(s.query.shown))


@feature("1 when the query has speech (transcripts are noisier than typed or shown text).")
def has_speech(s: Scoring, i: int) -> float:
    return float(bool(s.query.speech))


@feature(
    "Similarity of this query to one a user confirmed for this bug, a learned example it repeats (0 when none is "
    "near enough to count as a repeat)."
)
def confirmed(s: Scoring, i: int) -> float:
    return s.candidates[i].features.get("confirmed", 0.0)


@feature('Similarity of this query to one for which a user said this bug was "Not it" (0 when none is near).')
def rejected(s: Scoring, i: int) -> float:
    return s.rejected.get(s.candidates[i].bug_id, 0.0)


def feature_vectors(scoring: Scoring, names: Sequence[str]) -> list[dict[str, float]]:
    """The named features of every candidate, in candidate order."""
    columns = {name: scoring.column(name) for name in names}
    return [{name: columns[name][i] for name in names} for i in range(len(scoring.candidates))]
