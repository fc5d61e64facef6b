"""The entry writer: validated like the parser, media named by what the bytes are, atomic, never overwrites."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot.entry_writer import EntryDraft, install_entry, render_entry, stage_entry, write_entry
from bot.errors import KnowledgeError
from bot.knowledge import scan_knowledge
from bot.records import Attachment
from tests.support import write_bug


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "white").save(out, "PNG")
    return out.getvalue()


def draft(**changes: object) -> EntryDraft:
    base = EntryDraft(
        id="checkout-502",
        title="Checkout shows 502 Bad Gateway",
        product="Shop",
        tags=("nginx", "502"),
        status="workaround",
        links=("https://example.com/issues/1",),
        symptoms="The checkout page shows **502 Bad Gateway**.\n\n## Logs\n\nupstream refused",
        resolution="Restart the API.",
    )
    return EntryDraft(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_written_entry_parses_back_as_written(tmp_path: Path) -> None:
    media = (
        Attachment("Screen Shot 1.PNG", png()),
        Attachment("clip", b"OggS" + b"\0" * 60),
        Attachment("x.pdf", b"%PDF-1.4"),
    )
    bug = write_entry(tmp_path, draft(media=media, source={"tracker": "github", "key": "acme/shop#1"}))
    assert bug.id == "checkout-502" and bug.title == "Checkout shows 502 Bad Gateway"
    assert bug.tags == ("nginx", "502") and bug.status == "workaround"
    assert bug.resolution == "Restart the API."
    assert "### Logs" in bug.symptoms  # a `##` inside a section would have split it
    assert bug.media == ("clip.ogg", "screen-shot-1.png")  # the PDF is not a screenshot or recording
    assert scan_knowledge(tmp_path).errors == []
    assert [p.name for p in tmp_path.iterdir()] == ["checkout-502"]  # no temporary folder left behind
    assert "source:\n  tracker: github" in (tmp_path / "checkout-502" / "bug.md").read_text()


def test_every_format_the_bot_reads_is_kept_under_a_name_the_knowledge_base_reads(tmp_path: Path) -> None:
    media = (
        Attachment("scan.TIF", b"II*\x00" + bytes(60)),
        Attachment("paint", b"BM" + bytes(60)),
        Attachment("Voice 001.amr", b"#!AMR\n" + bytes(60)),
        Attachment("recording", b"fLaC" + bytes(60)),
        Attachment("memo.aac", b"\xff\xf1\x50\x80" + bytes(60)),
        Attachment("note.opus", b"OggS" + bytes(60)),
    )
    bug = write_entry(tmp_path, draft(media=media))
    assert bug.media == ("memo.aac", "note.opus", "paint.bmp", "recording.flac", "scan.tif", "voice-001.amr")
    assert scan_knowledge(tmp_path).errors == []


def test_refuses_an_existing_id_and_leaves_it_alone(tmp_path: Path) -> None:
    folder = write_bug(tmp_path, "checkout-502", "Hand-written", ["x"], "It breaks.", "Fix it.")
    before = (folder / "bug.md").read_bytes()
    with pytest.raises(KnowledgeError, match="exists already"):
        write_entry(tmp_path, draft())
    assert (folder / "bug.md").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkout-502"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"id": "Checkout 502"}, "must match"),
        ({"status": "done"}, "status 'done'"),
        ({"title": "  "}, "missing title"),
        ({"symptoms": ""}, "symptoms or a screenshot"),
    ],
)
def test_invalid_drafts_are_refused_before_anything_is_written(tmp_path: Path, changes: dict, reason: str) -> None:
    with pytest.raises(KnowledgeError, match=reason):
        write_entry(tmp_path, draft(**changes))
    assert not any(tmp_path.iterdir())


def test_install_swaps_a_staged_entry_in(tmp_path: Path) -> None:
    write_entry(tmp_path, draft())
    stage_entry(tmp_path / ".staging" / "checkout-502", draft(resolution="Roll back the deploy."))
    install_entry(tmp_path / ".staging" / "checkout-502", tmp_path / "checkout-502")
    assert scan_knowledge(tmp_path).by_id()["checkout-502"].resolution == "Roll back the deploy."
    assert "## Resolution" not in render_entry(draft(resolution=""))  # no empty section


def test_the_writer_and_the_parser_agree_on_every_format_the_bot_reads() -> None:
    from bot.entry_writer import SAME_FORMAT, SUFFIX_OF_FORMAT
    from bot.intake.sniff import AV_FORMATS, IMAGE_FORMATS
    from bot.knowledge import MEDIA_SUFFIXES

    assert set(SUFFIX_OF_FORMAT) == IMAGE_FORMATS | AV_FORMATS  # a format read in Slack is kept in an entry
    assert {*SUFFIX_OF_FORMAT.values(), *SAME_FORMAT} <= MEDIA_SUFFIXES  # and what it is written as is read back
