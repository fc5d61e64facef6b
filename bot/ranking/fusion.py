"""Fuse dense and full-text hits from every query view into one ranked list of candidate bugs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.index import Hit
from bot.ranking.text import error_lines, matching_line, message_template, shows_failure
from bot.records import Candidate, Evidence, QueryInput

ALL_INPUTS = "all inputs"


@dataclass(frozen=True)
class View:
    """One piece of query text searched on its own: the message, one screenshot's OCR, one transcript; `shown`
    is the user's own text it came from, quoted as evidence (`text` itself when empty); `kind` the kind of input
    it was read from (empty for all inputs together)."""

    input_name: str
    text: str
    shown: str = ""
    kind: str = ""


@dataclass(frozen=True)
class Ranking:
    """The hits one search returned for one view, best first."""

    view: View
    method: str
    hits: Sequence[Hit]


def the_failure(inputs: Sequence[QueryInput]) -> list[QueryInput]:
    """The inputs a query is searched and ranked by: all of them, except that when some screenshot shows an error,
    the screenshots that show none (the code being edited, the team's chat, the app's page beside it) are left out,
    as a recording's screens that show no error are; the answer still lists them."""
    screens = {id(i): i for i in inputs if i.kind == "image" and i.text.strip()}
    failing = {key for key, i in screens.items() if any(shows_failure(line.text) for line in i.lines)}
    if not failing or len(failing) == len(screens):
        return list(inputs)
    return [i for i in inputs if id(i) not in screens or id(i) in failing]


def readings(inputs: Sequence[QueryInput]) -> list[list[QueryInput]]:
    """The ways a query is read: as it is and, for each screenshot that shows failures in windows side by side (a
    failing terminal beside a log tail that shows other errors) and each archive whose logs show failures in more
    than one file, once with each of those windows or files alone. Which of the failures the user means is then the
    one the knowledge base knows best."""
    out = [list(inputs)]
    for position, item in enumerate(inputs):
        numbers = sorted({line.window for line in item.lines}) if item.kind in ("image", "snippet") else []
        for number in numbers if len(numbers) > 1 else ():
            lines = tuple(line for line in item.lines if line.window == number)
            alone = replace(item, text="\n".join(line.text for line in lines), lines=lines)
            out.append([*inputs[:position], alone, *inputs[position + 1 :]])
    return out


def query_views(inputs: Sequence[QueryInput]) -> list[View]:
    """The texts searched for a query: each input's text, a screenshot's error lines as a template (names and
    addresses masked, so a shared host name does not outweigh the error itself), and all inputs together.

    When files carry text, the message is searched only together with them: a short message beside a
    screenshot ("prod is down, getting this") says little on its own.
    """
    texts = [i for i in inputs if i.text.strip()]
    files = [i for i in texts if i.kind != "text"]
    views = [View(i.name, i.text, kind=i.kind) for i in (files or texts)]
    for item in files:
        lines = message_template(error_lines(item.text))
        if lines and lines != item.text.strip():
            views.append(View(f"{item.name} (error lines)", lines, shown=item.text, kind=item.kind))
    if len(texts) > 1:
        views.append(View(ALL_INPUTS, "\n".join(i.text for i in texts)))
    return views


def whole_view(views: Sequence[View]) -> View:
    """The view of every input's text together: the one of all inputs, or the only input's."""
    return next((v for v in views if v.input_name == ALL_INPUTS), views[0])


def fuse(rankings: Sequence[Ranking], rrf_k: int) -> list[Candidate]:
    """Reciprocal-rank fusion over per-bug rankings, with what the features read: each bug's best dense score, its
    best full-text (and trigram) score relative to the view's best, and its best dense score on a learned example
    (`confirmed`; search only returns examples the query repeats)."""
    rrf: dict[str, float] = defaultdict(float)
    best: dict[str, dict[str, float]] = defaultdict(lambda: {"dense": 0.0, "fts": 0.0, "grams": 0.0, "confirmed": 0.0})
    evidence: dict[str, Evidence] = {}
    for ranking in rankings:
        top_score = max((h.score for h in ranking.hits), default=0.0) or 1.0
        for rank, hit in enumerate(best_hit_per_bug(ranking.hits)):
            rrf[hit.bug_id] += 1.0 / (rrf_k + rank + 1)
            value = hit.score if ranking.method == "dense" else hit.score / top_score
            if value > best[hit.bug_id][ranking.method]:
                best[hit.bug_id][ranking.method] = value
            if ranking.method == "dense" and hit.kind == "example":
                best[hit.bug_id]["confirmed"] = max(hit.score, best[hit.bug_id]["confirmed"])
            if ranking.method == "dense" and (hit.bug_id not in evidence or hit.score > evidence[hit.bug_id].score):
                view = ranking.view
                evidence[hit.bug_id] = Evidence(
                    view.input_name, view.shown or view.text, hit.source, hit.text, hit.score
                )
    ordered = sorted(rrf, key=lambda b: rrf[b], reverse=True)
    return [
        Candidate(
            bug_id=b,
            score=rrf[b],
            features={**best[b], "rrf": rrf[b]},
            evidence=(with_line(evidence[b]),) if b in evidence else (),
        )
        for b in ordered
    ]


def shortlist(candidates: Sequence[Candidate], rankings: Sequence[Ranking], size: int) -> list[Candidate]:
    """The first `size` fused candidates, and after them any later one that a trigram search put first: a screen
    misread in most words shares no word with its bug, so only that search finds it, and fusion, which adds up
    every search's ranks, would leave it out."""
    firsts = {r.hits[0].bug_id for r in rankings if r.method == "grams" and r.hits}
    return [*candidates[:size], *(c for c in candidates[size:] if c.bug_id in firsts)]


def with_line(evidence: Evidence) -> Evidence:
    """The evidence with the query line that shows the match best (found once, for the winning hit)."""
    return replace(evidence, line=matching_line(evidence.query_text, evidence.text))


def best_hit_per_bug(hits: Sequence[Hit]) -> list[Hit]:
    """Keep each bug's best row, preserving order (hits arrive best first)."""
    seen: set[str] = set()
    kept = []
    for hit in sorted(hits, key=lambda h: h.score, reverse=True):
        if hit.bug_id not in seen:
            seen.add(hit.bug_id)
            kept.append(hit)
    return kept
