import gc
import shutil
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.errors import IndexNotReady
from bot.extract import reader_id
from bot.index import GRAMS, KnowledgeIndex
from bot.ranking import gram_text
from bot.records import QueryInput
from bot.refresh import RefreshBusy, build_refresher
from bot.settings import Settings
from tests.support import refresh, render_screenshot, write_bug


@pytest.fixture
def kb(tmp_path: Path, sample_knowledge: Path) -> Path:
    return Path(shutil.copytree(sample_knowledge, tmp_path / "knowledge"))


@pytest.fixture
def settings(tmp_path: Path, kb: Path) -> Settings:
    return Settings(knowledge_dir=kb, data_dir=tmp_path / "data", index_check_seconds=0)


def test_first_refresh_indexes_everything_then_nothing_changes(settings: Settings, shared_models: dict) -> None:
    first = refresh(settings, shared_models)
    assert (first["added"], first["updated"], first["deleted"], first["failed"]) == (5, 0, 0, [])
    index = KnowledgeIndex(settings, shared_models["embedder"].fingerprint)
    rows = index.stored_rows()
    ocr = {r["bug_id"]: r["text"] for r in rows if r["kind"] == "ocr"}
    assert "Connection refused" in ocr["curl-7-connection-refused"]
    again = refresh(settings, shared_models)
    assert (again["added"], again["updated"], again["unchanged"], again["embedded"]) == (0, 0, 5, [])
    assert again["version"] == first["version"], "an unchanged knowledge base makes no write"


class Watched:
    """A real model with every call passed through, and a hook on one method."""

    def __init__(self, inner: Any, name: str, hook: Callable[..., Any]) -> None:
        self.inner, self.name, self.hook = inner, name, hook

    def __getattr__(self, attr: str) -> Any:
        found = getattr(self.inner, attr)
        return (lambda *a, **k: self.hook(found, *a, **k)) if attr == self.name else found


def test_a_text_only_model_keeps_no_screenshot_in_memory_once_its_text_is_read(
    settings: Settings, shared_models: dict
) -> None:
    decoded: list[weakref.ref] = []
    alive: list[int] = []

    def extract(inner: Callable[..., QueryInput], *args: Any) -> QueryInput:
        found = inner(*args)
        decoded.append(weakref.ref(found.image))
        return found

    def encode_texts(inner: Callable[..., Any], *args: Any) -> Any:
        gc.collect()
        alive.append(sum(ref() is not None for ref in decoded))
        return inner(*args)

    embedder = Watched(shared_models["embedder"], "encode_texts", encode_texts)
    extractor = Watched(shared_models["extractor"], "extract", extract)
    refresher = build_refresher(settings, embedder, extractor)  # type: ignore[arg-type]
    assert refresher.refresh().added == 5
    assert refresher.store is not None
    refresher.store.close()
    assert len(decoded) == 5 and alive == [0], "every screenshot was released before the texts were embedded"


def test_another_ocr_engine_reads_every_screenshot_again(settings: Settings, shared_models: dict) -> None:
    refresh(settings, shared_models)
    other = settings.model_copy(update={"ocr_engine": "rapidocr"})
    from bot.extract import Extractor

    switched = build_refresher(other, shared_models["embedder"], Extractor(other)).refresh().as_dict()
    assert (switched["updated"], switched["screenshots"]) == (5, 5)  # every sample bug has one screenshot
    rows = KnowledgeIndex(other, shared_models["embedder"].fingerprint).stored_rows()
    assert {r["media_hash"].split("@")[1] for r in rows if r["kind"] == "ocr"} == {f"ocr={reader_id('rapidocr')}"}
    again = build_refresher(other, shared_models["embedder"], Extractor(other)).refresh().as_dict()
    assert (again["updated"], again["unchanged"], again["embedded"]) == (0, 5, [])


def test_a_table_written_before_trigrams_gets_them_from_its_stored_text_without_reading_screenshots(
    settings: Settings, shared_models: dict
) -> None:
    first = refresh(settings, shared_models)
    index = KnowledgeIndex(settings, shared_models["embedder"].fingerprint)
    written = {r["id"]: r[GRAMS] for r in index.stored_rows()}
    index.open_table().drop_columns([GRAMS])  # as tables were written before rows kept their trigrams
    assert index.lacks_grams()
    upgraded = refresh(settings, shared_models)
    assert (upgraded["updated"], upgraded["unchanged"], upgraded["screenshots"]) == (0, 5, 0)
    assert upgraded["version"] > first["version"]
    assert {r["id"]: r[GRAMS] for r in index.stored_rows()} == written
    found = index.snapshot().trigrams(gram_text("Connectlon refuesd Faild to connnect"), limit=3)
    assert found[0].bug_id == "curl-7-connection-refused"
    assert refresh(settings, shared_models)["version"] == upgraded["version"], "then nothing is written"


def test_reading_screenshots_differently_reads_them_again(
    settings: Settings, shared_models: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same engine, other detector settings: the stored text may differ, so it is read again."""
    refresh(settings, shared_models)
    monkeypatch.setattr("bot.extract.ocr.DETECT_MIN_SIDE", 736)
    assert refresh(settings, shared_models)["updated"] == 5
    assert refresh(settings, shared_models)["unchanged"] == 5


def test_changed_added_and_deleted_entries(settings: Settings, kb: Path, shared_models: dict) -> None:
    refresh(settings, shared_models)
    bug = kb / "nginx-504-upstream-slow" / "bug.md"
    bug.write_text(bug.read_text().replace("about a minute", "about sixty seconds"))
    write_bug(
        kb,
        "git-detached-head",
        "git: You are in 'detached HEAD' state",
        ["git"],
        "git checkout of a tag says 'You are in detached HEAD state'.",
        "Create a branch: git switch -c fix.",
    )
    shutil.rmtree(kb / "psql-role-missing")
    report = refresh(settings, shared_models)
    assert (report["added"], report["updated"], report["deleted"]) == (1, 1, 1)
    assert report["embedded"] == ["git-detached-head", "nginx-504-upstream-slow"]
    assert report["changes"] == [], "symptoms changed, not the status or the resolution: nothing to announce"
    ids = {r["bug_id"] for r in KnowledgeIndex(settings, shared_models["embedder"].fingerprint).stored_rows()}
    assert "psql-role-missing" not in ids and "git-detached-head" in ids


def test_removed_screenshot_disappears(settings: Settings, kb: Path, shared_models: dict) -> None:
    render_screenshot(["502 Bad Gateway", "nginx/1.18.0 (Ubuntu)"], kb / "nginx-502-upstream-down" / "screenshot-2.png")
    refresh(settings, shared_models)
    (kb / "nginx-502-upstream-down" / "screenshot-2.png").unlink()
    refresh(settings, shared_models)
    sources = {
        r["source"]
        for r in KnowledgeIndex(settings, shared_models["embedder"].fingerprint).stored_rows()
        if r["bug_id"] == "nginx-502-upstream-down"
    }
    assert sources == {"bug.md", "screenshot.png"}


def test_broken_entry_is_reported_and_keeps_its_last_good_rows(
    settings: Settings, kb: Path, shared_models: dict
) -> None:
    refresh(settings, shared_models)
    (kb / "curl-7-connection-refused" / "bug.md").write_text("---\nid: [broken\n---\n")
    (kb / "python-no-module-yaml" / "screenshot.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    report = refresh(settings, shared_models)
    paths = {Path(f["path"]).parent.name: f["reason"] for f in report["failed"]}
    assert "not valid YAML" in paths["curl-7-connection-refused"]
    assert "python-no-module-yaml" in paths
    ids = {r["bug_id"] for r in KnowledgeIndex(settings, shared_models["embedder"].fingerprint).stored_rows()}
    assert {"curl-7-connection-refused", "python-no-module-yaml"} <= ids


def test_a_second_refresher_is_refused_while_one_runs(settings: Settings, shared_models: dict) -> None:
    from filelock import FileLock

    refresher = build_refresher(settings, shared_models["embedder"], shared_models["extractor"])
    lock = Path(settings.data_dir) / f"{refresher.index.name}.refresh.lock"
    with FileLock(str(lock)), pytest.raises(RefreshBusy):
        refresher.refresh()


def test_index_of_another_model_is_a_clear_error(settings: Settings, shared_models: dict) -> None:
    refresh(settings, shared_models)
    index = KnowledgeIndex(settings, shared_models["embedder"].fingerprint)
    with pytest.raises(IndexNotReady, match="supportbot refresh"):
        index.check_model("another/model", 384)


@pytest.mark.parametrize("name", ["note.amr", "call.flac"])
def test_a_voice_note_an_entry_holds_in_any_format_the_bot_hears_is_indexed_by_what_it_says(
    settings: Settings, kb: Path, shared_models: dict, tmp_path: Path, name: str
) -> None:
    import io

    import av

    from tests.support import AMR_CLIPS, espeak, mux_sound

    words = "python says no module named yaml when the worker starts"
    if name.endswith(".amr"):  # these words, spoken and encoded once
        clip = (AMR_CLIPS / "no-module-named-yaml.amr").read_bytes()
    else:
        said, out = espeak(words, tmp_path, "-s", "140"), io.BytesIO()
        with av.open(io.BytesIO(said), mode="r") as source, av.open(out, mode="w", format="flac") as muxer:
            mux_sound(muxer, muxer.add_stream("flac", rate=16_000, layout="mono"), source.decode(audio=0), 16_000)
        clip = out.getvalue()
    (kb / "python-no-module-yaml" / name).write_bytes(clip)
    assert refresh(settings, shared_models)["failed"] == []
    rows = KnowledgeIndex(settings, shared_models["embedder"].fingerprint).stored_rows()
    (row,) = [r for r in rows if r["source"] == name]
    assert row["kind"] == "transcript" and "module" in row["text"].lower()


@pytest.mark.parametrize("name", ["replay.webm", "replay.gif"])
def test_a_screen_recording_in_an_entry_is_indexed_by_what_its_screens_show(
    settings: Settings, kb: Path, shared_models: dict, name: str
) -> None:
    from tests.support import encode_video, terminal_screen

    error = terminal_screen(["$ npm install", "npm ERR! code ENOENT", "npm ERR! enoent Could not read package.json"])
    typing = terminal_screen(["$ ls"])
    if name.endswith(".gif"):  # an animated capture: its last frame shows the error, its first does not
        typing.save(kb / "python-no-module-yaml" / name, "GIF", save_all=True, append_images=[error], duration=1000)
    else:
        (kb / "python-no-module-yaml" / name).write_bytes(
            encode_video([(typing, 1.0), (error, 2.0)], container="webm", codec="libvpx-vp9")
        )
    first = refresh(settings, shared_models)
    assert first["failed"] == [] and first["screenshots"] == 6
    rows = KnowledgeIndex(settings, shared_models["embedder"].fingerprint).stored_rows()
    (row,) = [r for r in rows if r["source"] == name]
    assert row["kind"] == "ocr" and "ENOENT" in row["text"]
    assert refresh(settings, shared_models)["unchanged"] == 5  # read once, kept while unchanged


def test_a_new_status_or_resolution_is_reported_and_recorded_once(
    settings: Settings, kb: Path, shared_models: dict
) -> None:
    from bot.store import Store

    refresh(settings, shared_models)
    bug = kb / "psql-role-missing" / "bug.md"
    text = bug.read_text()
    bug.write_text(
        text.replace("status: workaround", "status: fixed").replace(
            "Create the role", "Upgrade to 2.4, or create the role"
        )
    )
    (kb / "nginx-502-upstream-down" / "bug.md").write_text(
        (kb / "nginx-502-upstream-down" / "bug.md")
        .read_text()
        .replace("Restart the app service", "Restart  the app\nservice")
    )
    report = refresh(settings, shared_models)
    assert report["updated"] == 2 and report["changes"] == [
        {
            "bug_id": "psql-role-missing",
            "title": "psql: FATAL role does not exist",
            "old_status": "workaround",
            "new_status": "fixed",
            "old_resolution": "Create the role with createuser, or connect as an existing user with -U.",
            "new_resolution": "Upgrade to 2.4, or create the role with createuser, or connect as an existing user "
            "with -U.",
        }
    ], "a resolution reflowed (same words) is no change"
    store = Store.open(settings)
    [recorded] = store.pending_changes(0)
    assert (recorded.bug_id, recorded.new_status) == ("psql-role-missing", "fixed")
    assert refresh(settings, shared_models)["changes"] == [] and len(store.pending_changes(0)) == 1
    assert store.record_changes([recorded]) == [recorded], "recording the same change again is a no-op"
    store.close()
