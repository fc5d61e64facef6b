"""The engine: `Matcher.match(Query)` runs decode → extract → embed → search → fuse → rerank → decide."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from bot.decision import QueryText, confidence, decide, feature_vector, ranking_score
from bot.embed import Embedder
from bot.errors import BotError
from bot.extract import Extractor, vocabulary_from_texts
from bot.fusion import Ranking, View, fuse, query_views
from bot.index import Hit, KnowledgeIndex, Snapshot
from bot.lexicon import Lexicon
from bot.media import clean_text, decode_attachment
from bot.negatives import Negatives
from bot.records import Answer, Candidate, Match, Media, Query, QueryInput
from bot.rerank import Reranker
from bot.settings import Settings
from bot.spoken import spoken_numbers
from bot.store import Store

log = logging.getLogger(__name__)
KNOWLEDGE_ROWS = "kind != 'example'"
EXAMPLE_MIN_WORDS = 3  # a repeated "Pretty-print" or "Error" says nothing about which bug it is


class Timer:
    """Collects per-stage wall times in milliseconds."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.ms[name] = self.ms.get(name, 0.0) + (time.perf_counter() - started) * 1000.0


class Matcher:
    """Answers queries against one knowledge index; models are passed in and loaded once."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        extractor: Extractor,
        index: KnowledgeIndex,
        reranker: Reranker | None = None,
        negatives: Negatives | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.extractor = extractor
        self.index = index
        self.reranker = reranker
        self.negatives = negatives
        self._stats: KnowledgeStats | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Matcher:
        """Build the engine the settings describe (models load lazily, once)."""
        embedder = Embedder(settings)
        reranker = Reranker(settings) if settings.rerank_model and settings.rerank else None
        negatives = Negatives(Store.open(settings), embedder, settings.negative_similarity)
        index = KnowledgeIndex(settings, embedder.fingerprint)
        return cls(settings, embedder, Extractor(settings), index, reranker, negatives)

    def warm(self) -> None:
        """Load every model and run it once, so the first user does not wait."""
        self.embedder.encode_texts(["warm up"])
        self.extractor.warm()
        if self.reranker is not None:
            self.reranker.warm()
        self.index.check_model(self.embedder.name, self.embedder.dimension)

    def match(self, query: Query) -> Answer:
        """Find the known bugs that match what the user sent, best first, with a decision."""
        timer = Timer()
        with timer.stage("total"):
            answer = self._match(query, timer)
        return replace(answer, timings_ms={k: round(v, 1) for k, v in timer.ms.items()})

    def _match(self, query: Query, timer: Timer) -> Answer:
        snapshot = self.index.snapshot()
        inputs, clips = self.read_inputs(query, snapshot, timer)
        views = query_views(inputs)
        images = [i for i in inputs if i.image is not None and self.embedder.supports("image")]
        if not views and not images:
            return Answer("no_match", 0.0, (), tuple(inputs), timer.ms)
        candidates = self.search(snapshot, views, images, timer)
        if clips and candidates and self.settings.asr_focus:
            inputs = self.listen_again(snapshot, inputs, clips, candidates, timer)
            views = query_views(inputs)
            candidates = self.search(snapshot, views, images, timer)
        if self.reranker is not None and candidates:
            with timer.stage("rerank"):
                candidates = self.reranker.rerank(" \n".join(v.text for v in views), candidates, snapshot)
        if self.negatives is not None and views:
            rejected = self.negatives.rejected("\n".join(v.text for v in views))
            candidates = demote(candidates, rejected, self.settings.top_k)
        return self.decide(snapshot, candidates, views, inputs, timer)

    def read_inputs(self, query: Query, snapshot: Snapshot, timer: Timer) -> tuple[list[QueryInput], dict[int, Media]]:
        """Clean the text and decode + extract every attachment; a bad file becomes an input with an error; then
        the query's context (inputs read before). Also returns the decoded audio clips by input position, for a
        second listen."""
        inputs = []
        clips = {}
        text = clean_text(query.text, self.settings)
        if text:
            inputs.append(QueryInput(name="message", kind="text", text=text))
        for attachment in query.attachments:
            try:
                with timer.stage("decode"):
                    media = decode_attachment(attachment, self.settings)
                with timer.stage("ocr" if media.kind == "image" else "asr"):
                    extracted = self.extractor.extract(media, self.vocabulary(snapshot))
                if media.kind == "audio" and extracted.text:
                    clips[len(inputs)] = media
                inputs.append(extracted)
            except BotError as err:
                log.info("input %s not usable: %s", attachment.name, err.message)
                inputs.append(QueryInput(name=attachment.name, kind=guess_kind(attachment.mime), error=err.message))
        return [self.spoken(i) for i in inputs] + list(query.context), clips

    def spoken(self, item: QueryInput) -> QueryInput:
        """Numbers said in words become digits in messages and transcripts (when `spoken_numbers` is on)."""
        if self.settings.spoken_numbers and item.kind != "image":
            return replace(item, text=spoken_numbers(item.text))
        return item

    def listen_again(
        self,
        snapshot: Snapshot,
        inputs: list[QueryInput],
        clips: dict[int, Media],
        candidates: list[Candidate],
        timer: Timer,
    ) -> list[QueryInput]:
        """Transcribe each voice note again, biased toward the words of the best candidates only.

        A small speech model mishears the very words that tell bugs apart ("git says" → "get save");
        once search has narrowed the field, hinting with those few bugs' own wording lets it hear them.
        The second transcript is added to the first, so a wrong shortlist cannot erase what was said."""
        ranked = [c.bug_id for c in candidates[: self.settings.asr_focus]]
        shortlist = snapshot.bugs(ranked)
        hints = [shortlist[bug_id].title for bug_id in ranked if bug_id in shortlist]
        out = list(inputs)
        with timer.stage("asr"):
            for position, media in clips.items():
                try:
                    again = self.spoken(self.extractor.extract(media, hints))
                except BotError as err:  # the first transcript stands
                    log.warning("second listen to %s failed: %s", media.name, err.message)
                    continue
                if again.text and again.text != inputs[position].text:
                    first = inputs[position]
                    out[position] = replace(first, text=f"{first.text}\n{again.text}", lines=first.lines + again.lines)
        return out

    def search(self, snapshot: Snapshot, views: list[View], images: list[QueryInput], timer: Timer) -> list[Candidate]:
        """Dense and full-text search for every view (plus native image search), fused per bug."""
        limit = self.settings.search_limit
        with timer.stage("embed"):
            vectors = self.embedder.encode_texts([v.text for v in views])
            image_vectors = self.embedder.encode_images([i.image for i in images])
        rankings = []
        with timer.stage("search"):
            for view, vector in zip(views, vectors, strict=True):
                if self.settings.dense:
                    rankings.append(Ranking(view, "dense", self.dense_hits(snapshot, vector, limit)))
                if self.settings.fts:
                    rankings.append(Ranking(view, "fts", snapshot.full_text(view.text, limit, KNOWLEDGE_ROWS)))
            for item, vector in zip(images, image_vectors, strict=True):
                hits = self.dense_hits(snapshot, vector, limit, "image_vector")
                rankings.append(Ranking(View(item.name, "(image)"), "dense", hits))
        return fuse(rankings, self.settings.rrf_k)

    def dense_hits(self, snapshot: Snapshot, vector: Any, limit: int, column: str = "vector") -> list[Hit]:
        """Nearest knowledge rows, plus learned examples only where they repeat this input (cosine at or
        above `example_similarity`, and more than a word or two): an example must not pull in merely
        similar queries of other bugs."""
        hits = snapshot.dense(vector, limit, column, KNOWLEDGE_ROWS if snapshot.examples else None)
        if snapshot.examples:
            near = snapshot.dense(vector, self.settings.top_k, column, "kind = 'example'")
            floor = self.settings.example_similarity
            hits += [h for h in near if h.score >= floor and len(h.text.split()) >= EXAMPLE_MIN_WORDS]
        return sorted(hits, key=lambda h: h.score, reverse=True)

    def decide(
        self, snapshot: Snapshot, candidates: list[Candidate], views: list[View], inputs: list[QueryInput], timer: Timer
    ) -> Answer:
        """Attach the bugs' records, compute each candidate's confidence and the decision."""
        with timer.stage("decide"):
            top = candidates[: self.settings.top_k]
            bugs = snapshot.bugs([c.bug_id for c in top])
            top = [c for c in top if c.bug_id in bugs]
            if not top:
                return Answer("no_match", 0.0, (), tuple(inputs), timer.ms)
            screen = "\n".join(i.text for i in inputs if i.kind == "image" and i.text)
            voice = any(i.kind == "audio" and i.text for i in inputs)
            query = QueryText("\n".join(v.text for v in views), screen, voice)
            rows = snapshot.texts([c.bug_id for c in top], KNOWLEDGE_ROWS)  # examples act only as repeats
            lexicon = self.knowledge_stats(snapshot).lexicon
            matches, order = [], {}
            for position, candidate in enumerate(top):
                features = feature_vector(top, position, query, rows[candidate.bug_id], lexicon)
                value = confidence(features, self.settings)
                if "rejected" in candidate.features:
                    value *= self.settings.negative_penalty
                matches.append(Match(bugs[candidate.bug_id], round(value, 4), candidate.evidence, features))
                # rejected bugs stay below the others
                order[candidate.bug_id] = ("rejected" not in candidate.features, ranking_score(features, self.settings))
            if self.settings.learned_ranking and self.reranker is None:
                matches.sort(key=lambda m: order[m.bug.id], reverse=True)
            best = matches[0].score
        return Answer(decide(best, self.settings), best, tuple(matches), tuple(inputs), timer.ms)

    def knowledge_stats(self, snapshot: Snapshot) -> KnowledgeStats:
        """Vocabulary and word statistics of the served knowledge base (recomputed per index version)."""
        if self._stats is None or self._stats.version != snapshot.version:
            vocabulary = vocabulary_from_texts(snapshot.doc_texts(), self.settings.asr_vocabulary_size)
            bugs = snapshot.texts(where=KNOWLEDGE_ROWS)
            lexicon = Lexicon("\n".join(text for _, text in rows) for rows in bugs.values())
            self._stats = KnowledgeStats(snapshot.version, vocabulary, lexicon)
        return self._stats

    def vocabulary(self, snapshot: Snapshot) -> list[str]:
        """The knowledge base's distinctive terms, to bias speech recognition."""
        return self.knowledge_stats(snapshot).vocabulary if self.settings.asr_vocabulary else []


@dataclass(frozen=True)
class KnowledgeStats:
    """What the matcher derives from one index version."""

    version: int
    vocabulary: list[str]
    lexicon: Lexicon


def demote(candidates: list[Candidate], rejected: dict[str, float], top_k: int) -> list[Candidate]:
    """Mark bugs users said were "Not it" for a near-identical query and move them to the end of the top `top_k`."""
    if not rejected:
        return candidates
    down = [
        replace(c, features={**c.features, "rejected": rejected[c.bug_id]}) for c in candidates if c.bug_id in rejected
    ]
    kept = [c for c in candidates if c.bug_id not in rejected]
    cut = max(0, top_k - len(down))
    return kept[:cut] + down + kept[cut:]


def guess_kind(mime: str | None) -> Any:
    """The input kind a MIME type suggests, for reporting an input that could not be decoded."""
    if mime and mime.startswith(("audio/", "video/")):
        return "audio"
    return "image"
