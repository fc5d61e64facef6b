"""Plain-text and JSON renderings of an answer, for the CLI (the Slack layer renders Block Kit)."""

from __future__ import annotations

from typing import Any

from bot.records import Answer

LABELS = {"match": "Known bug", "uncertain": "Possibly a known bug", "no_match": "Not sure — closest known bug"}


def answer_json(answer: Answer) -> dict[str, Any]:
    """The `ask --json` shape: the decision, the first candidate's confidence, how likely the question is a known bug
    at all, and every candidate, best first, whatever the decision."""
    return {
        "decision": answer.decision,
        "confidence": answer.confidence,
        "known": answer.known,
        "matches": [
            {
                "bug_id": m.bug.id,
                "title": m.bug.title,
                "score": round(m.score, 4),
                "resolution": m.bug.resolution,
                "links": list(m.bug.links),
                "evidence": [
                    {
                        "input": e.query_input,
                        "query_text": e.query_text[:300],
                        "source": e.source,
                        "text": e.text[:300],
                        "score": round(e.score, 4),
                    }
                    for e in m.evidence
                ],
            }
            for m in answer.matches
        ],
        "inputs": [
            {"file": i.name, "kind": i.kind, "text": i.text, "error": i.error, "note": i.note} for i in answer.inputs
        ],
        "timings_ms": answer.timings_ms,
    }


def answer_text(answer: Answer) -> str:
    """What the bot would post in the thread, as plain text: the best bug said as sure as the decision is (a
    no_match names the closest one), then up to two others."""
    lines = [f"{LABELS[answer.decision]} (confidence {answer.confidence:.2f})"]
    lines += [f"  ! {i.name}: {i.error or i.note}" for i in answer.inputs if i.error or i.note]
    best = answer.best
    if best is None:
        lines[0] = f"Not a known bug (confidence {answer.confidence:.2f})"
        lines.append("  Nothing in the knowledge base came close; ask the support team to take a look.")
        return "\n".join(lines)
    lines.append(f"  {best.bug.title}  [{best.bug.id}, {best.bug.status}]")
    lines += [f"  {link}" for link in best.bug.links]
    lines.append("  Resolution: " + best.bug.resolution.replace("\n", " ")[:600])
    if best.evidence:
        ev = best.evidence[0]
        quoted = next(iter((ev.line or ev.query_text).strip().splitlines()), "")[:120]
        moment = answer.moment(ev)
        lines.append(f'  Evidence: {ev.query_input}{f" at {moment}" if moment else ""}: "{quoted}" ~ {ev.source}')
    others = [f"{m.bug.title} ({m.score:.2f})" for m in answer.matches[1:3]]
    if others:
        lines.append("  Also possible: " + "; ".join(others))
    return "\n".join(lines)
