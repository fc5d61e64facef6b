"""Word statistics of the knowledge base: which query words a bug explains, and which error codes clash."""

from __future__ import annotations

import errno
import math
import re
from collections import Counter
from collections.abc import Iterable

WORD = re.compile(r"[a-z0-9]+(?:[_.][a-z0-9]+)*")
# HTTP statuses (not line numbers, ports, times or parts of addresses), ERR_* names, E-codes, *Error classes,
# curl exit codes.
CODE = re.compile(
    r"(?<![\w.:/#-])(?<![Ll]ine )(?<![Pp]ort )[45]\d\d(?![\w.:%])"
    r"|\bERR_[A-Z_]+|\bE[A-Z][A-Z_]{2,}\b|\b[A-Z][A-Za-z]+(?:Error|Exception)\b|curl: \(\d+\)"
)
# E-codes are errno names (ENOENT, ECONNREFUSED...) and Node/npm's own; other capitalised E-words are words.
E_CODES = frozenset(errno.errorcode.values()) | frozenset(
    "EJSONPARSE ERESOLVE ELIFECYCLE ETARGET EINTEGRITY EBADENGINE ENEEDAUTH ENOVERSIONS ENOTFOUND EAI_AGAIN "
    "EUSAGE EOVERRIDE ENOWORKSPACES ENOTCACHED ECONNABORTED".split()
)
E_WORD = re.compile(r"(?!ERR_)E[A-Z][A-Z_]{2,}")
STOPWORDS = frozenset(
    "a an and are as at be but by can do does for from get gets got has have i if in is it its me my no not of on "
    "or our says say so that the then there this to up was we when which while with you your just all any shows "
    "showing page error".split()
)


def words(text: str) -> set[str]:
    """Content words of a text, lower-cased, without stopwords or single characters."""
    return {w for w in WORD.findall(text.lower()) if len(w) > 1 and w not in STOPWORDS}


def codes(text: str) -> set[str]:
    """Error codes and names: HTTP statuses, ERR_* names, errno and npm E-codes, *Error classes, curl exit codes."""
    found = CODE.findall(text)
    return {c.upper() for c in found if not E_WORD.fullmatch(c) or c in E_CODES}


class Lexicon:
    """Inverse document frequencies over the bugs' knowledge texts (one document per bug)."""

    def __init__(self, documents: Iterable[str]) -> None:
        frequency: Counter[str] = Counter()
        count = 0
        for document in documents:
            frequency.update(words(document))
            count += 1
        self.size = count
        self.idf = {w: math.log((count + 1) / (n + 0.5)) for w, n in frequency.items()}
        self.unseen_idf = math.log((count + 1) / 0.5)  # a word no bug uses is rarer than any that one does

    def weight(self, word: str) -> float:
        """The word's IDF; a word no bug uses weighs most."""
        return self.idf.get(word, self.unseen_idf)

    def coverage(self, query: str, bug_text: str) -> float:
        """The IDF-weighted share of the query's knowledge-base words that the bug's text contains."""
        known = [w for w in words(query) if w in self.idf]
        total = sum(self.idf[w] for w in known)
        if not total:
            return 0.0
        present = words(bug_text)
        return sum(self.idf[w] for w in known if w in present) / total

    def screen_match(self, screen: str, bug_screens: Iterable[str]) -> tuple[float, float]:
        """How alike the query's screenshot text is to the bug's closest knowledge screenshot, IDF-weighted:
        (recall: the share of that screen's words the user's shows, F1: recall balanced with the share of
        the user's words that screen has). Near 1 for the same screen; low when only a generic word or code
        is shared, or when the user's screen says much that the bug's does not."""
        seen = words(screen)
        mine = sum(self.weight(w) for w in seen)
        recall = f1 = 0.0
        for text in bug_screens:
            wanted = words(text)
            total = sum(self.weight(w) for w in wanted)
            shared = sum(self.weight(w) for w in wanted if w in seen)
            if shared:
                r, p = shared / total, shared / mine
                recall, f1 = max(recall, r), max(f1, 2 * p * r / (p + r))
        return recall, f1

    @staticmethod
    def code_agreement(query: str, bug_text: str) -> tuple[float, float]:
        """(shared, clashing): whether the query's error codes appear in the bug's text, or none of them do."""
        asked = codes(query)
        if not asked:
            return 0.0, 0.0
        shared = asked & codes(bug_text)
        return float(bool(shared)), float(not shared)
