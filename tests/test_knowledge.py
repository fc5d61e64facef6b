import os
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeLimits, KnowledgeScan, read_entry, read_regular, scan_knowledge
from tests.support import write_bug, write_sample_knowledge


def test_scan_reads_every_valid_entry(tmp_path: Path) -> None:
    scan = scan_knowledge(write_sample_knowledge(tmp_path))
    assert not scan.errors
    bug = scan.by_id()["nginx-502-upstream-down"]
    assert bug.title == "nginx 502 Bad Gateway after deploy"
    assert bug.tags == ("nginx", "502")
    assert bug.status == "workaround"
    assert "502 Bad Gateway" in bug.symptoms
    assert bug.resolution.startswith("The upstream app server is down")
    assert bug.media == ("screenshot.png",)
    assert len(bug.content_hash) == 64


def test_content_hash_follows_text_and_media(tmp_path: Path) -> None:
    folder = write_bug(tmp_path, "a-bug", "A bug", ["x"], "It breaks.", "Fix it.")
    first = read_entry(folder).content_hash
    (folder / "screenshot.png").write_bytes(b"new image bytes")
    second = read_entry(folder).content_hash
    (folder / "bug.md").write_text((folder / "bug.md").read_text().replace("Fix it.", "Fix it now."))
    assert len({first, second, read_entry(folder).content_hash}) == 3


def broken(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "bug.md").write_text(text)
    return folder


def test_malformed_entries_are_reported_with_path_and_reason(tmp_path: Path) -> None:
    write_sample_knowledge(tmp_path)
    broken(tmp_path, "bad-yaml", "---\nid: bad-yaml\ntitle: [unclosed\n---\n## Symptoms\nx\n")
    broken(tmp_path, "no-id", "---\ntitle: t\nproduct: p\ntags: []\nstatus: open\nlinks: []\n---\nbody\n")
    broken(tmp_path, "wrong-folder", "---\nid: other\ntitle: t\nproduct: p\ntags: [a]\nstatus: open\nlinks: [u]\n---\n")
    broken(
        tmp_path, "bad-status", "---\nid: bad-status\ntitle: t\nproduct: p\ntags: [a]\nstatus: done\nlinks: [u]\n---\n"
    )
    broken(tmp_path, "no-front-matter", "# Just markdown\n")
    (tmp_path / "empty-folder").mkdir()
    scan = scan_knowledge(tmp_path)
    assert len(scan.bugs) == 5
    assert_reasons(
        scan,
        {
            "bad-yaml": "not valid YAML",
            "no-id": "missing id",
            "wrong-folder": "must equal the folder name",
            "bad-status": "status 'done'",
            "no-front-matter": "no YAML front matter",
            "empty-folder": "bug.md is missing",
        },
    )


def assert_reasons(scan: KnowledgeScan, expected: dict[str, str]) -> None:
    """Each entry folder named in `expected` was refused with a reason containing its text, and no other."""
    reasons = {Path(e.path).parent.name: e.reason for e in scan.errors}
    assert set(reasons) == set(expected)
    for folder, reason in expected.items():
        assert reason in reasons[folder], (folder, reasons[folder])


def test_missing_knowledge_folder_is_an_error_not_a_crash(tmp_path: Path) -> None:
    scan = scan_knowledge(tmp_path / "nowhere")
    assert scan.bugs == [] and "not found" in scan.errors[0].reason


def test_dev_set_knowledge_parses(dev_set: Path) -> None:
    scan = scan_knowledge(dev_set / "knowledge")
    assert not scan.errors and len(scan.bugs) >= 40


def entry(tmp_path: Path, name: str, front: str, body: str = "## Symptoms\nx\n") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "bug.md").write_text(f"---\nid: {name}\n{front}\n---\n{body}")
    return folder


VALID = 'title: "T"\nproduct: P\ntags: [nginx, 502]\nstatus: open\nlinks: ["https://x.test"]'


def test_front_matter_shapes_and_sizes_are_checked(tmp_path: Path) -> None:
    entry(tmp_path, "numbers-ok", VALID)
    entry(tmp_path, "big-front", VALID + "\nnotes: " + "x" * 20_000)
    entry(tmp_path, "tag-map", VALID.replace("[nginx, 502]", "[{a: b}]"))
    entry(tmp_path, "many-tags", VALID.replace("[nginx, 502]", str([f"t{n}" for n in range(60)])))
    entry(tmp_path, "list-title", VALID.replace('"T"', "[a, b]"))
    entry(tmp_path, "list-status", VALID.replace("status: open", "status: [open]"))
    entry(tmp_path, "bool-link", VALID.replace('["https://x.test"]', "[true]"))
    entry(tmp_path, "anchor", VALID.replace("product: P", "product: &p P\nalso: *p"))
    scan = scan_knowledge(tmp_path)
    assert [b.id for b in scan.bugs] == ["numbers-ok"] and scan.bugs[0].tags == ("nginx", "502")
    assert_reasons(
        scan,
        {
            "big-front": "front matter is over 16 kB",
            "tag-map": "each of tags must be text",
            "many-tags": "tags must be a list of at most 50 items",
            "list-title": "title must be text",
            "list-status": "status ['open'] must be one of",
            "bool-link": "each of links must be text",
            "anchor": "anchors or aliases",
        },
    )


def test_size_limits_apply_before_reading(tmp_path: Path) -> None:
    big = entry(tmp_path, "big-bug", VALID, body="x" * 5000)
    media = entry(tmp_path, "big-media", VALID)
    (media / "screen.png").write_bytes(b"\0" * 3000)
    scan = scan_knowledge(tmp_path, KnowledgeLimits(bug_bytes=4000, media_bytes=2000))
    assert scan.bugs == []
    reasons = {e.path: e.reason for e in scan.errors}
    assert "over the 4,000-byte limit (SUPPORTBOT_KNOWLEDGE_MAX_BUG_BYTES)" in reasons[str(big / "bug.md")]
    assert "is 3,000 bytes, over the 2,000-byte limit" in reasons[str(media / "screen.png")]


def test_links_inside_the_knowledge_folder_are_followed(tmp_path: Path) -> None:
    source = write_bug(tmp_path, "a-bug", "A bug", ["x"], "It breaks.", "Fix it.", screen=["Error 42"])
    other = write_bug(tmp_path, "b-bug", "B bug", ["x"], "It breaks too.", "Fix it.")
    (other / "same.png").symlink_to(source / "screenshot.png")
    scan = scan_knowledge(tmp_path)
    assert not scan.errors and scan.by_id()["b-bug"].media == ("same.png",)


def test_a_file_swapped_for_a_fifo_is_never_opened_for_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "shot.png"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        read_regular(fifo, 1000)
