"""The engine: `Matcher.match(Query)` runs read inputs → views (built once) → embed once → search → rank → decide."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from bot.deadline import PastDeadline
from bot.embed import Embedder
from bot.errors import BotError
from bot.extract import UNREADABLE_RECORDING, Extractor, pasted_log, vocabulary_from_texts
from bot.index import Hit, KnowledgeIndex, Snapshot
from bot.intake import clean_text, decode_attachment
from bot.memory import release_freed
from bot.negatives import Negatives
from bot.ranking import (
    KnowledgeStats,
    QueryText,
    Ranked,
    Ranking,
    RankingModel,
    Reranker,
    View,
    decide,
    fuse,
    gram_text,
    heard_numbers,
    load_model,
    query_views,
    rank,
    readings,
    shortlist,
    spoken_numbers,
    the_failure,
    whole_view,
    words,
)
from bot.records import Answer, Attachment, Candidate, Match, Media, Query, QueryInput
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger(__name__)
KNOWLEDGE_ROWS = "kind != 'example'"
STAGES = {"image": "ocr", "audio": "asr", "recording": "recording", "snippet": "log"}
IMAGE_SEARCH_SIDE = 1024  # images kept for native image search are this small (the models see 224-448 px)
NOTHING_READ = {
    "image": "No words could be read in it; please send a sharper, full-size screenshot, or paste the error's text.",
    "audio": "No words could be heard in it; please record it again nearer the microphone, or type what fails.",
    "recording": UNREADABLE_RECORDING,
}
HARD_TO_READ = "Its text was hard to read; a sharper, full-size capture or the error's text would make this surer."
CODE_FENCE = re.compile(r"```[^\n`]*\n?(.*?)```", re.S)
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


@dataclass(frozen=True)
class Derived:
    """What the matcher derives from one index version, when its snapshot opens."""

    vocabulary: list[str]
    stats: KnowledgeStats


@dataclass(frozen=True)
class Searched:
    """A query's views with each one's vector and search results; `whole` is the vector of the whole query."""

    views: list[View]
    vectors: dict[str, Any]
    rankings: dict[str, list[Ranking]]

    @property
    def whole(self) -> Any:
        """The vector of every input's text together."""
        return self.vectors[whole_view(self.views).text]

    def all_rankings(self) -> list[Ranking]:
        """Every search's results."""
        return [r for found in self.rankings.values() for r in found]

    def candidates(self, rrf_k: int) -> list[Candidate]:
        """Every search's results fused into candidate bugs, best first."""
        return fuse(self.all_rankings(), rrf_k)


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
        model: RankingModel | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.extractor = extractor
        self.index = index
        self.reranker = reranker
        self.negatives = negatives
        self.model = model or load_model(settings)
        index.derive_with(self.derive)

    @classmethod
    def from_settings(
        cls, settings: Settings, model: RankingModel | None = None, store: Store | None = None
    ) -> Matcher:
        """Build the engine the settings describe (the ranking model in force, unless `model`, is checked now;
        other models load once, lazily); "Not it" negatives come from `store`, else the settings' store."""
        model = model or load_model(settings)
        embedder = Embedder(settings)
        reranker = Reranker(settings) if settings.rerank_model and settings.rerank else None
        negatives = Negatives(store or Store.open(settings), embedder, settings.negative_similarity)
        index = KnowledgeIndex(settings, embedder.fingerprint)
        return cls(settings, embedder, Extractor(settings), index, reranker, negatives, model)

    def warm(self) -> None:
        """Load every model, run it once and open the index, so the first user does not wait."""
        self.embedder.encode_texts(["warm up"])
        self.extractor.warm()
        if self.reranker is not None:
            self.reranker.warm()
        self.index.check_model(self.embedder.name, self.embedder.dimension)
        self.index.snapshot()

    @property
    def reads_rerank(self) -> bool:
        """Whether the ranking model reads the cross-encoder's score as a feature (then it orders the fused
        candidates itself); otherwise a configured cross-encoder orders them."""
        return "rerank" in self.model.features

    def derive(self, snapshot: Snapshot) -> Derived:
        """The knowledge base's vocabulary (to bias speech recognition) and its statistics (for the features)."""
        texts = snapshot.texts()
        docs = [text for rows in texts.values() for kind, text in rows if kind == "doc"]
        return Derived(vocabulary_from_texts(docs, self.settings.asr_vocabulary_size), KnowledgeStats(texts))

    def match(self, query: Query) -> Answer:
        """Find the known bugs that match what the user sent, best first, with a decision."""
        timer = Timer()
        with timer.stage("total"):
            answer = self._match(query, timer)
            release_freed()  # what reading its attachments took (about 6 ms, counted in the total)
        return replace(answer, timings_ms={k: round(v, 1) for k, v in timer.ms.items()})

    def _match(self, query: Query, timer: Timer) -> Answer:
        snapshot = self.index.snapshot()
        inputs, clips = self.read_inputs(query, snapshot, timer)
        whole, searched = self.answer(snapshot, inputs, clips, timer)
        answers = [whole]
        for reading in readings(whole.inputs)[1:]:  # voice notes as heard the second time: listened to once
            answer, searched = self.answer(snapshot, reading, {}, timer, searched)
            answers.append(answer)
        surest = max(answers, key=lambda a: a.confidence)  # the query as it is, unless a window alone is surer
        listed = whole.inputs if surest.decision == "match" else tuple(map(self.advised, whole.inputs))
        return replace(surest, inputs=listed)  # a screenshot is listed whole, whichever window answered

    def answer(
        self,
        snapshot: Snapshot,
        inputs: list[QueryInput],
        clips: dict[int, Media],
        timer: Timer,
        before: Searched | None = None,
    ) -> tuple[Answer, Searched | None]:
        """Search, rank and decide on one reading of a query (`readings`); what another reading searched `before`
        (the same texts, the pictures) is not searched again."""
        failure = the_failure(inputs)
        images = [i for i in failure if i.image is not None and self.embedder.supports("image")]
        views = query_views(failure)
        if not views and not images:
            return Answer("no_match", 0.0, (), tuple(inputs), timer.ms), before
        searched = self.search(snapshot, views, images, timer, before)
        candidates = searched.candidates(self.settings.rrf_k)
        if clips and candidates and self.settings.asr_focus:
            inputs = self.listen_again(snapshot, inputs, clips, candidates, timer)
            failure = the_failure(inputs)
            searched = self.search(snapshot, query_views(failure), images, timer, searched)
            candidates = searched.candidates(self.settings.rrf_k)
        if self.reranker is not None and candidates:
            with timer.stage("rerank"):
                text = " \n".join(v.text for v in searched.views)
                candidates = self.reranker.rerank(text, candidates, snapshot, reorder=not self.reads_rerank)
        rejected = self.negatives.rejected(searched.whole) if self.negatives and searched.views else {}
        shortlisted = shortlist(candidates, searched.all_rankings(), self.settings.top_k)
        return self.decide(snapshot, shortlisted, inputs, failure, rejected, timer), searched

    def read_inputs(self, query: Query, snapshot: Snapshot, timer: Timer) -> tuple[list[QueryInput], dict[int, Media]]:
        """Clean the text (its fenced code blocks and a log pasted without a fence read as logs) and decode +
        extract every attachment, within the per-ask caps on files and pixels; a bad or skipped file becomes an input
        with an error; then the query's context (inputs read before). Also returns the sound of voice notes and
        recordings by input position, for a second listen."""
        prose, blocks = split_code_blocks(query.text)
        inputs = [self.extractor.extract(Media(name, "snippet", block, "")) for name, block in blocks]
        text = clean_text(prose, self.settings)
        if text:
            inputs.insert(0, QueryInput(name="message", kind="text", text=text))
        clips = {}
        pixels = self.settings.max_ask_pixels
        for number, attachment in enumerate(query.attachments):
            if number >= self.settings.max_files_per_ask:
                inputs.append(skipped(attachment, f"only the first {self.settings.max_files_per_ask} files are read"))
                continue
            try:
                with timer.stage("decode"):
                    media = decode_attachment(attachment, self.settings)
                if media.kind == "image" and media.payload.width * media.payload.height > pixels:
                    inputs.append(skipped(attachment, "the images before it used this message's pixel budget"))
                    continue
                with timer.stage(STAGES[media.kind]):
                    extracted = self.said_unread(self.extractor.extract(media, self.vocabulary(snapshot)))
                if media.kind == "image":
                    pixels -= media.payload.width * media.payload.height
                sound = media.payload.samples if media.kind == "recording" else media.payload
                if media.kind in ("audio", "recording") and any(line.origin == "speech" for line in extracted.lines):
                    clips[len(inputs)] = Media(media.name, "audio", sound, media.sha256, media.seconds)
                inputs.append(self.keep_image(extracted))
                del media  # the decoded picture and frames go now, not when the answer does
            except PastDeadline:
                raise
            except BotError as err:
                log.info("input %s not usable: %s", attachment.name, err.message)
                inputs.append(QueryInput(name=attachment.name, kind=guess_kind(attachment.mime), error=err.message))
        return [self.spoken(i) for i in inputs] + list(query.context), clips

    def said_unread(self, item: QueryInput) -> QueryInput:
        """The input, or, when its recognisers read no word in it (nothing, or a stray letter) and nothing else can
        search it (a picture or a recording's screens, unless the embedder searches images natively; a voice note),
        the input without what was read and with the sentence that asks for a better copy: the reply then says so,
        not "not a known bug" or a bug found by chance."""
        native = self.embedder.supports("image")
        ocr, asr = self.settings.ocr, self.settings.asr
        read = {"image": ocr and not native, "audio": asr, "recording": (ocr or asr) and not native}
        if item.error or not read.get(item.kind) or words(item.text):
            return item
        return replace(item, text="", lines=(), error=NOTHING_READ[item.kind])

    def advised(self, item: QueryInput) -> QueryInput:
        """The input of an answer that is not a match, with a note of what would make it surer when its screen was
        read unsurely (under `unclear_reading`)."""
        if item.note or item.error or item.screen_legibility >= self.settings.unclear_reading:
            return item
        return replace(item, note=HARD_TO_READ)

    def keep_image(self, item: QueryInput) -> QueryInput:
        """The input with its image only when the embedder searches images natively, and then a small copy."""
        if item.image is None:
            return item
        if not self.embedder.supports("image"):
            return replace(item, image=None)
        image = item.image.copy()
        image.thumbnail((IMAGE_SEARCH_SIDE, IMAGE_SEARCH_SIDE))
        return replace(item, image=image)

    def spoken(self, item: QueryInput) -> QueryInput:
        """Numbers said in words become digits in messages and in what was heard, and a status heard as "for 29"
        becomes 429 (when `spoken_numbers` is on); text read on screens and in logs stays as it was."""
        if not self.settings.spoken_numbers or item.kind in ("image", "snippet"):
            return item
        lines = tuple(
            replace(line, text=heard_numbers(line.text)) if line.origin == "speech" else line for line in item.lines
        )
        if item.kind == "recording":  # only what was said; the screens' text stays as read
            said = " ".join(line.text for line in lines if line.origin == "speech")
            return replace(item, text="\n".join(part for part in (item.screen_text, said) if part), lines=lines)
        meant = heard_numbers if item.kind == "audio" else spoken_numbers  # typed "for 15" is as typed
        return replace(item, text=meant(item.text), lines=lines)

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
        hints = [bug.title for bug in snapshot.bugs(ranked).values()]
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

    def search(
        self,
        snapshot: Snapshot,
        views: list[View],
        images: list[QueryInput],
        timer: Timer,
        before: Searched | None = None,
    ) -> Searched:
        """Dense and full-text search for every view (plus native image search); a view or picture searched
        `before` (same text, same name) keeps its vector and results, so a second listen or another reading of the
        query searches only what it changed."""
        vectors = dict(before.vectors) if before else {}
        rankings = dict(before.rankings) if before else {}
        todo = [v for v in dict.fromkeys(v.text for v in views) if v not in vectors]
        pictures = [i for i in images if f"image:{i.name}" not in rankings]
        with timer.stage("embed"):
            vectors.update(zip(todo, self.embedder.encode_texts(todo), strict=True))
            image_vectors = list(self.embedder.encode_images([i.image for i in pictures])) if pictures else []
        limit = self.settings.search_limit
        with timer.stage("search"):
            for view in views:
                if view.text in todo:
                    rankings[view.text] = self.view_rankings(snapshot, view, vectors[view.text])
            for item, vector in zip(pictures, image_vectors, strict=True):
                hits = self.dense_hits(snapshot, vector, limit, "image_vector")
                rankings[f"image:{item.name}"] = [Ranking(View(item.name, "(image)"), "dense", hits)]
        kept = {v.text for v in views} | {f"image:{i.name}" for i in images}
        return Searched(views, vectors, {k: r for k, r in rankings.items() if k in kept})

    def view_rankings(self, snapshot: Snapshot, view: View, vector: Any) -> list[Ranking]:
        """The dense and full-text results of one view, and for text read off a screen its trigram results (OCR
        misreads letters; what people type or say is spelled as words are)."""
        limit = self.settings.search_limit
        found = []
        if self.settings.dense:
            found.append(Ranking(view, "dense", self.dense_hits(snapshot, vector, limit)))
        if self.settings.fts:
            found.append(Ranking(view, "fts", snapshot.full_text(view.text, limit, KNOWLEDGE_ROWS)))
        if self.settings.fts and self.settings.gram_search and view.kind == "image":
            found.append(Ranking(view, "grams", snapshot.trigrams(gram_text(view.text), limit, KNOWLEDGE_ROWS)))
        return found

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
        self,
        snapshot: Snapshot,
        candidates: list[Candidate],
        inputs: list[QueryInput],
        failure: list[QueryInput],
        rejected: dict[str, float],
        timer: Timer,
    ) -> Answer:
        """Rank the shortlisted candidates with the model on the text of `failure` (the inputs searched), attach the
        bugs' records and decide; the answer lists the best `top_k` and every input."""
        with timer.stage("decide"):
            bugs = snapshot.bugs([c.bug_id for c in candidates])
            top = [c for c in candidates if c.bug_id in bugs]
            derived: Derived = snapshot.derived
            query = QueryText.of(failure)
            ordered = self.reranker is not None and not self.reads_rerank
            ranked = rank(top, query, derived.stats, self.model, rejected, keep_order=ordered)
            decision, confidence, known = decide(ranked, self.model)
            matches = tuple(as_match(r, bugs) for r in ranked[: self.settings.top_k])
        return Answer(decision, round(confidence, 4), matches, tuple(inputs), timer.ms, known=round(known, 4))

    def vocabulary(self, snapshot: Snapshot) -> list[str]:
        """The knowledge base's distinctive terms, to bias speech recognition."""
        derived: Derived = snapshot.derived
        return derived.vocabulary if self.settings.asr_vocabulary else []


def as_match(ranked: Ranked, bugs: dict[str, Any]) -> Match:
    candidate = ranked.candidate
    return Match(bugs[candidate.bug_id], round(ranked.confidence, 4), candidate.evidence, ranked.features)


def guess_kind(mime: str | None) -> Any:
    """The input kind a MIME type suggests, for reporting an input that could not be decoded."""
    if mime and mime.startswith("video/"):
        return "recording"
    if mime and mime.startswith("audio/"):
        return "audio"
    if mime and (mime.startswith("text/") or mime.endswith(("json", "zip", "zip-compressed", "tar", "bzip2", "xz"))):
        return "snippet"
    return "image"


def skipped(attachment: Attachment, why: str) -> QueryInput:
    """An attachment left unread by a per-ask cap, with the sentence that says so."""
    return QueryInput(
        attachment.name, guess_kind(attachment.mime), error=f"Not read: {why}; please send it in a message of its own."
    )


def split_code_blocks(text: str) -> tuple[str, list[tuple[str, str]]]:
    """A message's text without its fenced (```) code blocks and without a log pasted unfenced, and those, named
    ("code block 1", …, "pasted log")."""
    found = [m.group(1) for m in CODE_FENCE.finditer(text) if m.group(1).strip()]
    blocks = [(f"code block {n}", block) for n, block in enumerate(found, start=1)]
    prose, pasted = pasted_log(CODE_FENCE.sub("\n", text) if blocks else text)
    return prose, blocks + ([("pasted log", pasted)] if pasted else [])
