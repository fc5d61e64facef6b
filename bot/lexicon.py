"""Word statistics of the knowledge base: which query words a bug explains, and which error codes clash."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

WORD = re.compile(r"[a-z0-9]+(?:[_.][a-z0-9]+)*")
CODE = re.compile(
    r"\b(?:[45]\d\d|ERR_[A-Z_]+|E[A-Z]{3,}|[A-Z][A-Za-z]+(?:Error|Exception)|curl: \(\d+\))(?![\w])"
)
STOPWORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from", "get", "gets", "got", "has", "have", "i", "if", "in", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our", "says", "say", "so", "that", "the", "then", "there", "this", "to", "up", "was", "we", "when", "which", "while", "with", "you", "your", "just", "all", "any", "shows", "showing", "page", "error"]
)


def words(text: str) -> set[str]:
    """Content words of a text, lower-cased, without stopwords or single characters."""
    return {w for w in WORD.findall(text.lower()) if len(w) > 1 and w not in STOPWORDS}


def codes(text: str) -> set[str]:
    """Error codes and names: HTTP statuses, ERR_* names, npm E-codes, *Error classes, curl exit codes."""
    return {c.upper() for c in CODE.findall(text)}


class Lexicon:
    """Inverse document frequencies over the bugs' descriptions."""

    def __init__(self, documents: Iterable[str]) -> None:
        frequency: Counter[str] = Counter()
        count = 0
        for document in documents:
            frequency.update(words(document))
            count += 1
        self.size = count
        self.idf = {w: math.log((count + 1) / (n + 0.5)) for w, n in frequency.items()}
        self.codes: set[str] = set()

    def coverage(self, query: str, bug_text: str) -> float:
        """The IDF-weighted share of the query's knowledge-base words that the bug's text contains."""
        known = [w for w in words(query) if w in self.idf]
        total = sum(self.idf[w] for w in known)
        if not total:
            return 0.0
        present = words(bug_text)
        return sum(self.idf[w] for w in known if w in present) / total

    @staticmethod
    def code_agreement(query: str, bug_text: str) -> tuple[float, float]:
        """(shared, clashing): whether the query's error codes appear in the bug's text, or none of them do."""
        asked = codes(query)
        if not asked:
            return 0.0, 0.0
        shared = asked & codes(bug_text)
        return float(bool(shared)), float(not shared)
