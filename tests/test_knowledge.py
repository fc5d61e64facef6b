from pathlib import Path

from bot.knowledge import read_entry, scan_knowledge
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
    reasons = {Path(e.path).parent.name: e.reason for e in scan.errors}
    assert "not valid YAML" in reasons["bad-yaml"]
    assert "missing id" in reasons["no-id"]
    assert "must equal the folder name" in reasons["wrong-folder"]
    assert "status 'done'" in reasons["bad-status"]
    assert "no YAML front matter" in reasons["no-front-matter"]
    assert "bug.md is missing" in reasons["empty-folder"]


def test_missing_knowledge_folder_is_an_error_not_a_crash(tmp_path: Path) -> None:
    scan = scan_knowledge(tmp_path / "nowhere")
    assert scan.bugs == [] and "not found" in scan.errors[0].reason


def test_dev_set_knowledge_parses(dev_set: Path) -> None:
    scan = scan_knowledge(dev_set / "knowledge")
    assert not scan.errors and len(scan.bugs) >= 40
