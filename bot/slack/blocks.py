"""Pure functions that turn answers, failures, escalations and triage links into Block Kit within Slack's limits."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from bot.records import Answer, KnownBug, Match
from bot.store import AnswerRecord, ReportCount

SECTION_CHARS = 3000
MAX_BLOCKS = 50
BUTTON_VALUE_CHARS = 2000
RESOLUTION_CHARS = 1500
SHOWN_MARKDOWN = 4  # Markdown converted per character shown: converting shortens it by 40 % at most (`**b**`)
EVIDENCE_CHARS = 160
EXTRACT_CHARS = 1200
OPTION_CHARS = 75
OPTION_VALUE_CHARS = 150
FIXED, NOT_IT, ESCALATE = "bug_fixed", "bug_not_it", "bug_escalate"
TRIAGE_PICK, TRIAGE_SEARCH, TRIAGE_NEW = "triage_pick", "triage_search", "triage_new_bug"
TRIAGE_BLOCK = "triage:"  # + the escalated answer's id
HEADLINES = {
    "match": "*This looks like a known bug:*",
    "uncertain": "*I'm not sure, but this might be a known bug:*",
    "no_match": "*Not sure — closest known bug:*",
}
LABELS = {
    "match": "Confidence: high ({:.0%})",
    "uncertain": "Confidence: low ({:.0%}), check that it fits",
    "no_match": "Confidence: very low ({:.0%}), probably not this one",
}
PREFIXES = {"match": "Known bug", "uncertain": "Possibly a known bug (not sure)", "no_match": "Not sure — closest"}
PRIVATE_NOTE = (
    "Asked in a private conversation, so what was sent stays there: open the original message if you can see it, "
    "or ask <@{user}>."
)
Block = dict[str, Any]


@dataclass(frozen=True)
class Message:
    """A Slack message: the plain `text` fallback (notifications, screen readers) and its blocks."""

    text: str
    blocks: list[Block]


def escape(text: str) -> str:
    """Escape the three characters Slack treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str) -> str:
    """Escape Markdown text and convert its bold and links to Slack's mrkdwn."""
    text = escape(markdown)
    text = re.sub(r"\*\*(.+?)\*\*", r"*\1*", text)
    return re.sub(r"\[([^\[\]\n]+)\]\((https?://[^)\s]+)\)", r"<\2|\1>", text)


def shown_mrkdwn(markdown: str, limit: int) -> str:
    """`markdown` as mrkdwn, cut as `truncate` cuts to `limit` characters. Only its first `SHOWN_MARKDOWN` × `limit`
    characters are converted (the cut is long before them), so a resolution of a megabyte costs what a short one
    does."""
    return truncate(to_mrkdwn(markdown[: SHOWN_MARKDOWN * limit]), limit)


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters at a sentence or word end, never inside a link or code span."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 2, 1)]
    ends = [cut.rfind(mark) + len(mark) - 1 for mark in ("\n", ". ", "! ", "? ")]
    end = max(ends)
    if end < limit * 0.6:
        end = cut.rfind(" ")
    cut = cut[: end + 1] if end > 0 else cut
    if cut.count("`") % 2:
        cut = cut[: cut.rfind("`")]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    return cut.rstrip() + " …"


def one_line(text: str, limit: int) -> str:
    """Whitespace collapsed, escaped and truncated to one line."""
    return truncate(escape(" ".join(text.split())), limit)


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_CHARS)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, SECTION_CHARS)}]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    element = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value[:BUTTON_VALUE_CHARS],
    }
    return {**element, "style": style} if style else element


def buttons(answer_id: str, offered: bool, escalate: bool) -> list[Block]:
    """The actions block: feedback on an offered bug, and escalation when a triage channel is set."""
    elements = []
    if offered:
        elements += [button("This fixed it", FIXED, answer_id, "primary"), button("Not it", NOT_IT, answer_id)]
    if escalate:
        elements.append(button("Escalate to support", ESCALATE, answer_id))
    return [{"type": "actions", "block_id": "feedback", "elements": elements}] if elements else []


def link_label(url: str) -> str:
    parsed = urlparse(url)
    return (parsed.netloc + parsed.path).rstrip("/") or url


def title_line(bug: KnownBug) -> str:
    """The bug's title (linked to its first link), its id and status, then its other links."""
    title = escape(bug.title)
    line = f"*<{escape(bug.links[0])}|{title}>*" if bug.links else f"*{title}*"
    line += f"  `{bug.id}` · {escape(bug.status)}"
    if len(bug.links) > 1:
        line += "\nLinks: " + ", ".join(f"<{escape(u)}|{escape(link_label(u))}>" for u in bug.links[1:])
    return line


def evidence_text(match: Match, moment: str = "") -> str:
    """The evidence in one line: which part of the query met which part of the knowledge base (and, in a
    recording, at what moment)."""
    if not match.evidence:
        return ""
    best = match.evidence[0]
    quoted = one_line(best.line or best.query_text, EVIDENCE_CHARS)
    where = f"{escape(best.query_input)} at {moment}" if moment else escape(best.query_input)
    return f"Matched “{quoted}” ({where}) with {escape(best.source)}" if quoted else ""


def alternatives(matches: Sequence[Match]) -> str:
    """Up to two other candidates, linked."""
    items = []
    for match in matches[:2]:
        title = escape(match.bug.title)
        items.append(f"<{escape(match.bug.links[0])}|{title}>" if match.bug.links else title)
    return "Other possibilities: " + " · ".join(items) if items else ""


def notes_text(notes: Iterable[tuple[str, str]], partly: Iterable[tuple[str, str]] = ()) -> str:
    """One line per input that could not be used, then one per input of which a part could not be."""
    lines = [f"⚠️ Could not use *{escape(name)}*: {escape(why)}" for name, why in notes]
    return "\n".join(lines + [f"⚠️ *{escape(name)}*: {escape(why)}" for name, why in partly])


def answer_message(
    answer: Answer, answer_id: str, notes: Sequence[tuple[str, str]] = (), escalate: bool = True, reported: str = ""
) -> Message:
    """The threaded reply to a query: the best bug with its resolution, said as sure as the decision is (a
    no_match still names the closest known bug, so a right but unsure answer is never hidden), and up to two
    others; an honest "not a known bug" only when nothing at all was found."""
    best = answer.best
    notes = [*notes, *((i.name, i.error) for i in answer.inputs if i.error)]
    partly = [(i.name, i.note) for i in answer.inputs if i.note]
    if best is None:
        return no_match_message(answer_id, notes, escalate, partly)
    resolution = shown_mrkdwn(best.bug.resolution, RESOLUTION_CHARS) or "_No resolution recorded yet._"
    line = LABELS[answer.decision].format(answer.confidence)
    if evidence := evidence_text(best, answer.moment(best.evidence[0]) if best.evidence else ""):
        line += f" · {evidence}"
    blocks = [
        section(f"{HEADLINES[answer.decision]}\n{title_line(best.bug)}"),
        section(f"*Resolution*\n{resolution}"),
        context(line),
    ]
    told = (alternatives(answer.matches[1:]), notes_text(notes, partly), reported)
    blocks += [context(text) for text in told if text]
    blocks += buttons(answer_id, offered=True, escalate=escalate)
    text = f"{PREFIXES[answer.decision]}: {one_line(best.bug.title, 150)} — {one_line(best.bug.resolution, 300)}"
    return Message(text, blocks[:MAX_BLOCKS])


def no_match_message(
    answer_id: str, notes: Sequence[tuple[str, str]], escalate: bool, partly: Sequence[tuple[str, str]] = ()
) -> Message:
    """The reply when no known bug came up at all (`notes`: inputs that could not be used; `partly`: inputs of which
    a part could not be)."""
    ask = "Press *Escalate to support* to have a person look at it." if escalate else "Please ask the support team."
    text = f"This doesn't look like a known bug. {ask}"
    blocks = [section(text)]
    if notes or partly:
        blocks.append(context(notes_text(notes, partly)))
    return Message(text.replace("*", ""), blocks + buttons(answer_id, offered=False, escalate=escalate))


def error_message(sentences: Sequence[str]) -> Message:
    """A reply saying plainly what went wrong (each sentence already user-safe)."""
    text = " ".join(sentences)
    return Message(text, [section(f"⚠️ {escape(text)}")])


def notes_message(notes: Sequence[tuple[str, str]]) -> Message:
    """The reply when no input could be used: one line per file and why."""
    text = " ".join(f"Could not use {name}: {why}" for name, why in notes)
    return Message(text, [section(notes_text(notes))])


def escalation_message(
    record: AnswerRecord,
    escalated_by: str,
    permalink: str | None,
    private: bool,
    counts: dict[str, ReportCount] | None = None,
    resolved: str | None = None,
) -> Message:
    """The triage-channel post: where it came from, what was extracted (only a link when it was asked in a DM
    or a private channel), the top candidates with how often each was reported, and the triage actions — or,
    once `resolved`, that note instead."""
    where = f"<{escape(permalink)}|original message>" if permalink else f"asked via {escape(record.source)}"
    head = f"*Escalated by <@{escalated_by}>* — asked by <@{record.user}> in <#{record.channel}> · {where}"
    blocks = [section(head)]
    if private:
        blocks.append(context(PRIVATE_NOTE.format(user=record.user)))
    for item in () if private else record.inputs[:10]:
        body = f"```{truncate(escape(item.text), EXTRACT_CHARS)}```" if item.text else f"_{escape(item.error or '')}_"
        blocks.append(section(f"*{escape(item.name)}* ({item.kind})\n{body}"))
    ranked = [
        f"{n}. `{c.bug_id}` {escape(c.title)} — {c.score:.2f}" + reported_suffix((counts or {}).get(c.bug_id))
        for n, c in enumerate(record.candidates[:3], 1)
    ]
    blocks.append(section("*Top candidates*\n" + ("\n".join(ranked) or "none")))
    blocks.append(context(f"Bot said: {record.decision} ({record.confidence:.0%}) · answer `{record.id}`"))
    blocks.append(context(resolved) if resolved else triage_actions(record))
    text = f"Escalated by <@{escalated_by}>: a question from <@{record.user}> in <#{record.channel}>"
    return Message(text, blocks[:MAX_BLOCKS])


def reported_suffix(count: ReportCount | None) -> str:
    return f" · _{count.sentence}_" if count and count.sentence else ""


def option(text: str, value: str) -> Block:
    return {"text": {"type": "plain_text", "text": one_line_plain(text, OPTION_CHARS)}, "value": value}


def one_line_plain(text: str, limit: int) -> str:
    """Whitespace collapsed and cut to `limit` characters (plain text: nothing escaped)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bug_option(bug_id: str, title: str) -> Block:
    """A select option naming a bug by its title and id."""
    return option(f"{title} ({bug_id})" if len(title) + len(bug_id) + 3 <= OPTION_CHARS else title, bug_id)


def triage_actions(record: AnswerRecord) -> Block:
    """Link to one of the candidates, link to any known bug (searched as you type), or file a new known bug."""
    elements: list[Block] = []
    linkable = [c for c in record.candidates[:10] if len(c.bug_id) <= OPTION_VALUE_CHARS]
    if linkable:
        elements.append(
            {
                "type": "static_select",
                "action_id": TRIAGE_PICK,
                "placeholder": {"type": "plain_text", "text": "Link to a candidate"},
                "options": [bug_option(c.bug_id, c.title) for c in linkable],
            }
        )
    elements.append(
        {
            "type": "external_select",
            "action_id": TRIAGE_SEARCH,
            "placeholder": {"type": "plain_text", "text": "Link to any known bug…"},
            "min_query_length": 0,
        }
    )
    elements.append(button("New known bug", TRIAGE_NEW, record.id, "primary"))
    return {"type": "actions", "block_id": TRIAGE_BLOCK + record.id, "elements": elements}


def linked_message(bug: KnownBug, answer_id: str, linked_by: str, reported: str = "", escalate: bool = True) -> Message:
    """The reply in the asker's thread when the support team linked their question to a known bug."""
    resolution = shown_mrkdwn(bug.resolution, RESOLUTION_CHARS) or "_No resolution recorded yet._"
    blocks = [
        section(f"*The support team linked this to a known bug:*\n{title_line(bug)}"),
        section(f"*Resolution*\n{resolution}"),
        context(f"Linked by <@{linked_by}>" + (f" · {reported}" if reported else "")),
        *buttons(answer_id, offered=True, escalate=escalate),
    ]
    text = f"Known bug (linked by the support team): {one_line(bug.title, 150)} — {one_line(bug.resolution, 300)}"
    return Message(text, blocks)


def filed_message(bug: KnownBug) -> Message:
    """The note in the asker's thread when the support team filed their question as a new known bug."""
    head = (
        f"📝 The support team filed this as a new known bug: *{escape(bug.title)}*  `{bug.id}` · {escape(bug.status)}"
    )
    later = "I'll recognise it from now on, and post here when its status changes."
    return Message(
        f"The support team filed this as a new known bug: {one_line(bug.title, 150)}. {later}",
        [
            section(head),
            context(later),
        ],
    )


def acknowledged(blocks: Sequence[Block], note: str, keep: Sequence[str] = ()) -> list[Block]:
    """The reply's blocks after a button press: only the `keep` buttons remain, and `note` is added."""
    kept: list[Block] = []
    for block in blocks:
        if block.get("type") == "actions":
            elements = [e for e in block.get("elements", []) if e.get("action_id") in keep]
            if not elements:
                continue
            block = {**block, "elements": elements}
        kept.append(block)
    return [*kept[: MAX_BLOCKS - 1], context(note)]
