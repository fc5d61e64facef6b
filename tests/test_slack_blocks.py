"""Block Kit rendering: content, honesty about confidence, and Slack's limits."""

from __future__ import annotations

from dataclasses import replace
from time import monotonic
from typing import Any

from bot.records import Answer, Evidence, KnownBug, Match, QueryInput, TextLine
from bot.slack.blocks import (
    ESCALATE,
    FIXED,
    NOT_IT,
    RESOLUTION_CHARS,
    TRIAGE_NEW,
    TRIAGE_PICK,
    TRIAGE_SEARCH,
    acknowledged,
    answer_message,
    error_message,
    escalation_message,
    linked_message,
    shown_mrkdwn,
    to_mrkdwn,
    truncate,
)
from bot.store import AnswerRecord, CandidateRecord, InputRecord, ReportCount


def bug(bug_id: str, resolution: str = "Restart the upstream service.", links: int = 2, title: str = "") -> KnownBug:
    return KnownBug(
        bug_id,
        title or f"nginx 502 <{bug_id}> & co",
        "nginx",
        ("nginx",),
        "workaround",
        tuple(f"https://docs.test/{bug_id}/{n}" for n in range(links)),
        "symptoms",
        resolution,
        "",
        "",
    )


def answer(
    decision: str = "match",
    n: int = 4,
    resolution: str = "Restart the upstream service.",
    errors: int = 0,
    title: str = "",
) -> Answer:
    evidence = (Evidence("shot.png", "502   Bad\nGateway", "screenshot.png", "502 Bad Gateway", 0.9),)
    matches = tuple(Match(bug(f"bug-{i}", resolution, title=title), 0.9 - i / 10, evidence) for i in range(n))
    inputs = tuple(QueryInput(f"f{i}.png", "image", error="That file could not be read.") for i in range(errors))
    return Answer(decision, 0.87, matches, (QueryInput("shot.png", "image", "502 Bad Gateway"), *inputs))  # type: ignore[arg-type]


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    found = []
    for block in blocks:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return found


def actions(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def within_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= 50
    assert all(len(t) <= 3000 for t in texts(blocks))
    buttons = [e for e in actions(blocks) if e["type"] == "button"]
    assert all(len(e["value"]) <= 2000 and len(e["text"]["text"]) <= 75 for e in buttons)
    options = [o for e in actions(blocks) for o in e.get("options", [])]
    assert all(len(o["value"]) <= 150 and len(o["text"]["text"]) <= 75 for o in options)


def test_match_reply_has_title_links_resolution_confidence_evidence_alternatives_and_buttons() -> None:
    message = answer_message(answer(), "ans123", escalate=True)
    body = "\n".join(texts(message.blocks))
    assert "This looks like a known bug" in body
    assert "*<https://docs.test/bug-0/0|nginx 502 &lt;bug-0&gt; &amp; co>*" in body
    assert "<https://docs.test/bug-0/1|docs.test/bug-0/1>" in body
    assert "Restart the upstream service." in body
    assert "Confidence: high (87%)" in body
    assert "Matched “502 Bad Gateway” (shot.png) with screenshot.png" in body
    assert "bug-1" in body and "bug-2" in body and "bug-3" not in body  # two alternatives at most
    assert [(e["action_id"], e["value"]) for e in actions(message.blocks)] == [
        (FIXED, "ans123"),
        (NOT_IT, "ans123"),
        (ESCALATE, "ans123"),
    ]
    assert message.text.startswith("Known bug: nginx 502")
    within_limits(message.blocks)


def test_evidence_from_a_recording_names_the_moment() -> None:
    seen = TextLine("HTTP ERROR 502", 0.9, "screen", at=64.2)
    evidence = (Evidence("screen.mp4", "HTTP ERROR 502", "screenshot.png", "502 Bad Gateway", 0.9, line=seen.text),)
    recording = QueryInput("screen.mp4", "recording", seen.text, (seen,))
    reply = Answer("match", 0.9, (Match(bug("b"), 0.9, evidence),), (recording,))
    assert "Matched “HTTP ERROR 502” (screen.mp4 at 1:04) with screenshot.png" in "\n".join(
        texts(answer_message(reply, "a").blocks)
    )
    assert reply.moment(Evidence("shot.png", "x", "s", "t", 0.5, line="HTTP ERROR 502")) == ""


def test_uncertain_says_so_plainly_and_shows_the_top_three() -> None:
    message = answer_message(answer("uncertain"), "a", escalate=False)
    body = "\n".join(texts(message.blocks))
    assert "I'm not sure" in body and "Confidence: low" in body
    assert "bug-0" in body and "bug-1" in body and "bug-2" in body
    assert "not sure" in message.text
    assert ESCALATE not in [e["action_id"] for e in actions(message.blocks)]


def test_no_match_still_names_the_closest_known_bug_with_its_link_and_the_buttons() -> None:
    message = answer_message(answer("no_match"), "a9", escalate=True)
    body = "\n".join(texts(message.blocks))
    assert "Not sure — closest known bug:" in body and "*<https://docs.test/bug-0/0|nginx 502" in body
    assert "Confidence: very low (87%)" in body and "Restart the upstream service." in body
    assert "bug-1" in body and "bug-2" in body  # and the next two
    assert [e["action_id"] for e in actions(message.blocks)] == [FIXED, NOT_IT, ESCALATE]
    assert message.text.startswith("Not sure — closest: nginx 502")


def test_nothing_found_offers_escalation_only() -> None:
    message = answer_message(answer("no_match", n=0), "a9", escalate=True)
    assert "doesn't look like a known bug" in message.text
    assert [e["action_id"] for e in actions(message.blocks)] == [ESCALATE]
    quiet = answer_message(answer("no_match", n=0), "a9", escalate=False)
    assert actions(quiet.blocks) == [] and "ask the support team" in quiet.text


def test_unusable_inputs_are_noted() -> None:
    message = answer_message(answer(errors=1), "a", notes=[("doc.pdf", "That file type is not supported.")])
    body = "\n".join(texts(message.blocks))
    assert "Could not use *doc.pdf*: That file type is not supported." in body
    assert "Could not use *f0.png*: That file could not be read." in body


def test_an_input_read_only_in_part_is_noted_as_such() -> None:
    partly = QueryInput("clip.mp4", "recording", "502 Bad Gateway", note="Its sound track could not be decoded.")
    for decision, n in (("match", 4), ("no_match", 0)):
        base = answer(decision, n=n)
        message = answer_message(replace(base, inputs=(*base.inputs, partly)), "a")
        body = "\n".join(texts(message.blocks))
        assert "⚠️ *clip.mp4*: Its sound track could not be decoded." in body and "Could not use *clip" not in body


def test_huge_answers_stay_within_slack_limits_and_truncate_cleanly() -> None:
    resolution = ("Run `systemctl restart app` and see [the runbook](https://runbook.test/x). " * 200).strip()
    message = answer_message(answer(resolution=resolution, errors=200, title="T" * 5000), "a" * 40)
    within_limits(message.blocks)
    section = next(t for t in texts(message.blocks) if t.startswith("*Resolution*"))
    assert section.endswith(" …") and len(section) < 1600
    assert section.count("`") % 2 == 0 and section.count("<") == section.count(">")
    assert len(message.text) < 1000


def test_truncate_prefers_sentence_ends_and_never_splits_markup() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("First sentence here. Second sentence is long.", 30) == "First sentence here. …"
    cut = truncate("word " * 10 + "`some code span here`", 60)
    assert cut.count("`") % 2 == 0 and len(cut) <= 60
    cut = truncate("see " + "<https://a.test/very/long/path|the label>" * 2, 50)
    assert cut.count("<") == cut.count(">")
    assert to_mrkdwn("**bold** [docs](https://d.test) a<b") == "*bold* <https://d.test|docs> a&lt;b"


def test_a_huge_resolution_is_converted_only_as_far_as_it_is_shown() -> None:
    """A resolution of a megabyte (a tracker's comment can be one) of `[` or of links without an end was converted
    whole, each `[` read to the end of the line: hours for one reply. Now a link's text stops at the next `[` and only
    what the reply can show is converted; a short resolution reads as before."""
    started = monotonic()
    for hostile in ("[" * 1_000_000, "[a](http://a" * 100_000):
        assert len(shown_mrkdwn(hostile, RESOLUTION_CHARS)) <= RESOLUTION_CHARS
    assert monotonic() - started < 15
    markdown = "Restart it. **Then** see [the docs](https://d.test/x). " * 60
    assert shown_mrkdwn(markdown, RESOLUTION_CHARS) == truncate(to_mrkdwn(markdown), RESOLUTION_CHARS)
    assert to_mrkdwn("see [a [docs](https://d.test)") == "see [a <https://d.test|docs>", "a link's text has no ["


def test_error_message_is_one_plain_sentence() -> None:
    message = error_message(["That file is too large; please send a smaller screenshot."])
    assert message.text == "That file is too large; please send a smaller screenshot."
    assert texts(message.blocks) == ["⚠️ That file is too large; please send a smaller screenshot."]


def test_acknowledged_removes_or_trims_buttons_and_adds_a_note() -> None:
    blocks = answer_message(answer(), "a1").blocks
    done = acknowledged(blocks, "✅ fixed")
    assert actions(done) == [] and texts(done)[-1] == "✅ fixed"
    trimmed = acknowledged(blocks, "👎 not it", keep=(ESCALATE,))
    assert [e["action_id"] for e in actions(trimmed)] == [ESCALATE]
    assert len(trimmed) == len(blocks) + 1


def test_escalation_message_has_permalink_extracted_text_and_candidates() -> None:
    record = AnswerRecord(
        "a1",
        "message",
        "C1",
        "UASK",
        "uncertain",
        0.5,
        inputs=(InputRecord("shot.png", "image", "502 Bad Gateway"), InputRecord("x.m4a", "audio", error="Too long.")),
        candidates=(CandidateRecord("bug-0", "nginx 502", 0.5), CandidateRecord("bug-1", "nginx 504", 0.3)),
    )
    message = escalation_message(record, "UHELP", "https://fake.test/archives/C1/p1", private=False)
    body = "\n".join(texts(message.blocks))
    assert "<https://fake.test/archives/C1/p1|original message>" in body
    assert "<@UHELP>" in body and "<@UASK>" in body and "<#C1>" in body
    assert "```502 Bad Gateway```" in body and "_Too long._" in body
    assert "1. `bug-0` nginx 502 — 0.50" in body and "2. `bug-1`" in body
    assert "asked via command" in "\n".join(texts(escalation_message(replace_source(record), "U", None, False).blocks))
    within_limits(message.blocks)
    private = "\n".join(texts(escalation_message(record, "UHELP", "https://fake.test/archives/D1/p1", True).blocks))
    assert "502 Bad Gateway" not in private and "shot.png" not in private and "private conversation" in private
    assert "original message" in private and "1. `bug-0` nginx 502" in private


def replace_source(record: AnswerRecord) -> AnswerRecord:
    from dataclasses import replace

    return replace(record, source="command", message_ts=None)


def test_escalation_offers_the_triage_actions_and_counts_until_resolved() -> None:
    long = CandidateRecord("bug-" + "x" * 90, "t" * 200, 0.4)
    record = AnswerRecord(
        "a1", "message", "C1", "UASK", "uncertain", 0.5, candidates=(CandidateRecord("bug-0", "nginx 502", 0.5), long)
    )
    counts = {"bug-0": ReportCount("bug-0", 3, 2, 30)}
    message = escalation_message(record, "UHELP", None, False, counts)
    body = "\n".join(texts(message.blocks))
    assert "1. `bug-0` nginx 502 — 0.50 · _reported 3 times by 2 people in the last 30 days_" in body
    [triage] = [b for b in message.blocks if b["type"] == "actions"]
    assert triage["block_id"] == "triage:a1"
    assert [e["action_id"] for e in triage["elements"]] == [TRIAGE_PICK, TRIAGE_SEARCH, TRIAGE_NEW]
    assert [o["value"] for o in triage["elements"][0]["options"]] == ["bug-0", long.bug_id]
    within_limits(message.blocks)
    resolved = escalation_message(record, "UHELP", None, False, counts, resolved="🔗 linked to `bug-0`")
    assert actions(resolved.blocks) == [] and texts(resolved.blocks)[-1] == "🔗 linked to `bug-0`"
    bare = escalation_message(replace_source(record), "UHELP", None, False)
    assert "reported" not in "\n".join(texts(bare.blocks))


def test_counts_line_in_a_reply_and_the_linked_answer() -> None:
    counted = "\n".join(
        texts(answer_message(answer(), "a1", reported="Reported once by 1 person in the last 30 days").blocks)
    )
    assert "Reported once by 1 person in the last 30 days" in counted
    linked = linked_message(bug("bug-7"), "a2", "UTRIAGE", "Reported 2 times by 2 people in the last 30 days")
    body = "\n".join(texts(linked.blocks))
    assert "linked this to a known bug" in body and "Restart the upstream service." in body
    assert "Linked by <@UTRIAGE> · Reported 2 times" in body
    assert [e["value"] for e in actions(linked.blocks)] == ["a2", "a2", "a2"]
    assert ReportCount("b", 0, 0, 30).sentence == "" and ReportCount("b", 1, 1, 7).sentence == (
        "reported once by 1 person in the last 7 days"
    )
