"""What ranking knows of a knowledge base, derived once per index version: each bug's words, screens and error
codes, and how rare each word and each letter trigram is across bugs."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.ranking.english import dictionary, english_ranks, english_rarity
from bot.ranking.text import (
    CLASS_NAMES,
    ERR_NAMES,
    codes,
    error_words,
    failure_kinds,
    grams,
    line_keys,
    program_names,
    words,
)

SCREEN_KINDS = ("ocr",)  # rows holding the text read on a bug's own screenshots


@dataclass(frozen=True)
class BugText:
    """One bug's knowledge text as the features read it: every word, each screenshot's words, the words of each
    screenshot's error lines (as a template; all its words when none looks like an error), every code, every kind of
    failure its text names in words, and the pieces each screenshot prints (`line_keys`; those of its text when it
    has no screenshot)."""

    words: frozenset[str]
    screens: tuple[frozenset[str], ...]
    codes: frozenset[str]
    screen_errors: tuple[frozenset[str], ...]
    failures: frozenset[str]
    printed: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, rows: Iterable[tuple[str, str]]) -> BugText:
        """From the bug's indexed (kind, text) rows."""
        rows = list(rows)
        text = "\n".join(t for _, t in rows)
        shown = [t for k, t in rows if k in SCREEN_KINDS]
        screens = tuple(frozenset(words(t)) for t in shown)
        errors = tuple(frozenset(error_words(t)) for t in shown)
        printed = tuple(line_keys(t) for t in shown) or (line_keys(text),)
        return cls(frozenset(words(text)), screens, frozenset(codes(text)), errors, failure_kinds(text), printed)


class KnowledgeStats:
    """Per-bug texts and inverse document frequencies over bugs (one document per bug) of words and of their letter
    trigrams."""

    def __init__(self, bugs: Mapping[str, Sequence[tuple[str, str]]]) -> None:
        self.bugs = {bug_id: BugText.of(rows) for bug_id, rows in bugs.items()}
        # every code some bug names: a query's code that is one of them is read as that one only (`read_as`)
        self.codes: frozenset[str] = frozenset().union(*(bug.codes for bug in self.bugs.values()))
        frequency: Counter[str] = Counter()
        gram_frequency: Counter[str] = Counter()
        for bug in self.bugs.values():
            frequency.update(bug.words)
            gram_frequency.update(grams(bug.words))
        count = len(self.bugs)
        self.idf = inverse_frequencies(frequency, count)
        self.unseen_idf = math.log((count + 1) / 0.5)  # a word no bug uses is rarer than any that one does
        self.gram_idf = inverse_frequencies(gram_frequency, count)
        english_ranks()  # each read once per process, when the first snapshot opens, not on a user's question
        dictionary()
        program_names(ERR_NAMES)
        program_names(CLASS_NAMES)

    def weight(self, word: str) -> float:
        """The word's IDF; a word no bug uses weighs most."""
        return self.idf.get(word, self.unseen_idf)

    def gram_weight(self, gram: str) -> float:
        """The trigram's IDF; one no bug has weighs most."""
        return self.gram_idf.get(gram, self.unseen_idf)

    def rarity(self, word: str) -> float:
        """How much a word tells: its IDF when some bug uses it, else as much as an unseen word times how rare it
        is in general English (a common word the knowledge base happens not to use tells little)."""
        idf = self.idf.get(word)
        return idf if idf is not None else self.unseen_idf * english_rarity(word)

    def bug(self, bug_id: str) -> BugText:
        """The bug's text (empty for a bug the statistics do not know)."""
        return self.bugs.get(bug_id) or BugText(frozenset(), (), frozenset(), (), frozenset(), ())


def inverse_frequencies(frequency: Counter[str], count: int) -> dict[str, float]:
    """Each term's IDF over `count` bugs, from the number of bugs that have it (smoothed)."""
    return {term: math.log((count + 1) / (n + 0.5)) for term, n in frequency.items()}
