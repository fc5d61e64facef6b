"""The "New known bug" modal: prefilled from an escalated case, read back, and checked with the parser's rules.

Pure functions: `prefill` drafts the entry from what the bot read (the error line gives the title and the id, the
extracted texts the symptoms), `new_bug_view` is the modal, `read_submission` turns its state into an
`EntryDraft`, and `field_errors` checks each field the way `bot.knowledge` would, so each error shows under its
own field (`response_action: errors`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.entry_writer import EntryDraft, check_draft
from bot.errors import KnowledgeError
from bot.extract.logs import states_error
from bot.ranking.text import NAMED_CODE
from bot.records import Attachment, KnownBug
from bot.slack.blocks import Block, one_line_plain, option
from bot.store import AnswerRecord

NEW_BUG_VIEW = "triage_new_bug_view"
STATUSES = ("open", "workaround", "fixed")
FIELDS = ("id", "title", "product", "tags", "status", "symptoms", "resolution", "links", "files")
OPTIONAL = ("tags", "resolution", "links", "files")
LIMITS = {"id": 80, "title": 300, "product": 120, "tags": 600, "symptoms": 3000, "resolution": 3000, "links": 3000}
ID_CHARS = 60
TITLE_CHARS = 120
TAGS = 5
ATTACH = "attach"
PROMPT = re.compile(r"^\S*[$#>]\s+")  # a shell prompt before the error line
FILE_ORIGINS = {"image": "On screen", "recording": "In the recording", "audio": "Said in a voice note"}


@dataclass(frozen=True)
class Prefill:
    """The modal's starting values."""

    id: str
    title: str
    product: str
    tags: tuple[str, ...]
    symptoms: str
    links: tuple[str, ...]
    files: int
    attach: bool


def error_line(record: AnswerRecord) -> str:
    """The line that states the error: the first error-looking line read from a file, else from the message, else
    the first line of anything read; with the error's code (`ERR_…`, `…Error`) when another line names it."""
    texts = [i for i in record.inputs if i.text.strip()]
    ordered = [i for i in texts if i.kind != "text"] + [i for i in texts if i.kind == "text"]
    lines = [PROMPT.sub("", line).strip() for i in ordered for line in i.text.splitlines() if line.strip()]
    first = next((line for line in lines if states_error(line)), lines[0] if lines else "")
    code = next((found.group(0) for line in lines if (found := NAMED_CODE.search(line))), "")
    return f"{first}: {code}" if code and code.lower() not in first.lower() else first


def slug(text: str, taken: Iterable[str] = ()) -> str:
    """A knowledge-base id from a title: lower-case words joined by dashes, unique among `taken`."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    base, used = "", set(taken)
    for word in words:
        if len(base) + len(word) + 1 > ID_CHARS:
            break
        base = f"{base}-{word}" if base else word
    base = base or "new-bug"
    found, n = base, 2
    while found in used:
        found, n = f"{base}-{n}", n + 1
    return found


def symptoms_text(record: AnswerRecord) -> str:
    """What the asker sent, as the entry's symptoms: the message, then what was read from each file."""
    parts = []
    for item in record.inputs:
        text = item.text.strip()
        if not text or item.error:
            continue
        if item.kind == "text":
            parts.append(text)
        elif item.kind == "audio":
            parts.append(f"{FILE_ORIGINS['audio']}: “{' '.join(text.split())}”")
        else:
            parts.append(f"{FILE_ORIGINS.get(item.kind, 'In the file')} ({item.name}):\n\n```\n{text}\n```")
    return "\n\n".join(parts)[: LIMITS["symptoms"]]


def prefill(
    record: AnswerRecord, bugs: Sequence[KnownBug], private: bool, permalink: str | None, taken: Iterable[str]
) -> Prefill:
    """The draft of a new entry for an escalated case. A case asked in private keeps its words and files out of
    the draft (the triager may still attach the files)."""
    title = "" if private else one_line_plain(error_line(record), TITLE_CHARS)
    best = next((b for b in bugs if record.candidates and b.id == record.candidates[0].bug_id), None)
    words = set(re.findall(r"[a-z0-9][a-z0-9.+#-]*", " ".join(i.text for i in record.inputs).lower()))
    known = sorted({t for b in bugs for t in b.tags if t.lower() in words})
    return Prefill(
        id=slug(title, taken) if title else "",
        title=title,
        product=best.product if best else "",
        tags=() if private else tuple(known[:TAGS]),
        symptoms="" if private else symptoms_text(record),
        links=() if private or not permalink else (permalink,),
        files=len(record.file_ids),
        attach=bool(record.file_ids) and not private,
    )


def text_input(block_id: str, label: str, initial: str = "", multiline: bool = False, hint: str = "") -> Block:
    element: Block = {"type": "plain_text_input", "action_id": "value", "multiline": multiline}
    element["max_length"] = LIMITS[block_id]
    if initial:
        element["initial_value"] = initial[: LIMITS[block_id]]
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": element,
        "optional": block_id in OPTIONAL,
    }
    return {**block, "hint": {"type": "plain_text", "text": hint}} if hint else block


def new_bug_view(draft: Prefill, metadata: dict[str, str]) -> Block:
    """The modal, with `metadata` (which escalation, which triage post) carried through to the submission."""
    statuses = [option(s, s) for s in STATUSES]
    blocks = [
        text_input("id", "Id", draft.id, hint="Lower-case letters, digits and dashes; the entry's folder name."),
        text_input("title", "Title", draft.title),
        text_input("product", "Product", draft.product),
        text_input("tags", "Tags", ", ".join(draft.tags), hint="Comma-separated."),
        {
            "type": "input",
            "block_id": "status",
            "label": {"type": "plain_text", "text": "Status"},
            "element": {
                "type": "static_select",
                "action_id": "value",
                "options": statuses,
                "initial_option": statuses[0],
            },
        },
        text_input("symptoms", "Symptoms", draft.symptoms, multiline=True, hint="What users see; it is matched on."),
        text_input("resolution", "Resolution", multiline=True, hint="Leave empty while it is under investigation."),
        text_input("links", "Links", "\n".join(draft.links), multiline=True, hint="One URL per line."),
    ]
    if draft.files:
        files = option(f"Attach the asker's {draft.files} file(s) (screenshots and recordings)", ATTACH)
        element: Block = {"type": "checkboxes", "action_id": "value", "options": [files]}
        if draft.attach:
            element["initial_options"] = [files]
        label = {"type": "plain_text", "text": "Files"}
        blocks.append({"type": "input", "block_id": "files", "label": label, "element": element, "optional": True})
    return {
        "type": "modal",
        "callback_id": NEW_BUG_VIEW,
        "title": {"type": "plain_text", "text": "New known bug"},
        "submit": {"type": "plain_text", "text": "File it"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps(metadata),
        "blocks": blocks,
    }


def read_submission(view: dict[str, Any]) -> tuple[EntryDraft, bool]:
    """The submitted entry (without media) and whether the asker's files are to be attached."""
    values = view.get("state", {}).get("values", {})

    def field(name: str) -> Any:
        return (values.get(name) or {}).get("value") or {}

    def text(name: str) -> str:
        return str(field(name).get("value") or "").strip()

    status = str((field("status").get("selected_option") or {}).get("value") or "")
    attach = any(o.get("value") == ATTACH for o in field("files").get("selected_options") or ())
    draft = EntryDraft(
        id=text("id"),
        title=text("title"),
        product=text("product"),
        tags=tuple(t.strip() for t in text("tags").split(",") if t.strip()),
        status=status,
        links=tuple(line.strip() for line in text("links").splitlines() if line.strip()),
        symptoms=text("symptoms"),
        resolution=text("resolution"),
    )
    return draft, attach


PROBE = EntryDraft(id="probe", title="probe", product="probe", tags=(), status="open", links=(), symptoms="probe")
PROBED = {"id": "id", "title": "title", "product": "product", "tags": "tags", "status": "status", "links": "links"}


def field_errors(draft: EntryDraft, root: Path, files: bool) -> dict[str, str]:
    """Each field checked with the parser's rules (the others set to valid values), plus the id being free."""
    errors = {}
    for name, attribute in PROBED.items():
        try:
            probe = replace(PROBE, **{attribute: getattr(draft, attribute)})
            check_draft(probe, root / probe.id)
        except KnowledgeError as err:
            errors[name] = sentence(err.reason)
    media = (Attachment("file", b""),) if files else ()
    try:
        check_draft(replace(PROBE, symptoms=draft.symptoms, media=media), root / PROBE.id)
    except KnowledgeError as err:
        errors["symptoms"] = sentence(err.reason)
    if "id" not in errors and (root / draft.id).exists():
        errors["id"] = f"The knowledge base already has an entry {draft.id}; choose another id."
    return errors


def sentence(reason: str) -> str:
    """A parser reason as a sentence for the modal."""
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")
