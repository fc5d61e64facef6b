"""Refresh safety: every version readers can see is whole, kill -9 mid-refresh, concurrent readers, the lock,
model changes and the cost of an unchanged refresh (the model is not even loaded)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from bot.embed import Embedder
from bot.errors import IndexNotReady
from bot.extract import Extractor
from bot.index import KnowledgeIndex, Snapshot, connect, stored_fingerprint
from bot.matcher import Matcher
from bot.records import Query
from bot.refresh import RefreshBusy, RefreshReport, build_refresher
from bot.settings import Settings
from tests.support import copy_index, refresh, write_bug, write_text_only_knowledge

ROOT = Path(__file__).resolve().parent.parent
OLD, NEW = "zzoldmarker", "zznewmarker"
EDITED = [f"gen-{n:03d}" for n in range(0, 120, 3)]
ADDED = "gen-added"
GENERATED = 120
STABLE_QUERY, STABLE_BUG = "psql says role deploy does not exist", "psql-role-missing"


def write_generated(kb: Path, marker: str) -> None:
    """Text-only entries; the EDITED ones carry `marker`, and ADDED exists only in the new state."""
    for n in range(GENERATED):
        bug_id = f"gen-{n:03d}"
        note = f" {marker}" if bug_id in EDITED else ""
        write_bug(
            kb,
            bug_id,
            f"Generated failure {n}",
            ["generated"],
            f"Service {n} stops with code E{n:04d}.{note}",
            f"Restart service {n}.",
        )
    if marker == NEW:
        write_bug(kb, ADDED, "Added failure", ["generated"], f"Brand new symptom. {NEW}", "Do the new thing.")
    else:
        shutil.rmtree(kb / ADDED, ignore_errors=True)


def state_of(snapshot: Snapshot) -> str:
    """ "old" or "new" for a snapshot that is wholly one or the other; fails on any mix."""
    texts = snapshot.texts(EDITED)
    joined = ["\n".join(text for _, text in rows) for rows in texts.values()]
    markers = {OLD if OLD in t else NEW if NEW in t else "none" for t in joined}
    assert len(markers) == 1 and "none" not in markers, f"mixed texts at version {snapshot.version}: {markers}"
    state = "old" if markers == {OLD} else "new"
    fts = {h.bug_id for h in snapshot.full_text(NEW, limit=500)}
    assert fts == (set(EDITED) | {ADDED} if state == "new" else set()), f"full-text mismatch at {snapshot.version}"
    assert (ADDED in snapshot.bugs([ADDED])) == (state == "new")
    return state


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, shared_models: dict) -> Settings:
    """The sample bugs (text only: no OCR) plus generated ones, indexed in the old state (copied by each test)."""
    root = tmp_path_factory.mktemp("safety")
    kb = root / "knowledge"
    write_text_only_knowledge(kb)
    write_generated(kb, OLD)
    settings = Settings(knowledge_dir=kb, data_dir=root / "data", index_name="safety", index_check_seconds=0)
    refresh(settings, shared_models)
    return settings


@pytest.fixture
def settings(built: Settings, tmp_path: Path) -> Settings:
    return copy_index(built, tmp_path)


def fresh_index(settings: Settings, shared_models: dict) -> KnowledgeIndex:
    return KnowledgeIndex(settings, shared_models["embedder"].fingerprint)


def test_every_version_a_refresh_writes_is_whole(settings: Settings, shared_models: dict) -> None:
    """Including those between the data commit and the full-text index update (FTS searches unindexed rows)."""
    index = fresh_index(settings, shared_models)
    first = index.open_table().version
    write_generated(Path(settings.knowledge_dir), NEW)
    report = refresh(settings, shared_models)
    assert (report["added"], report["updated"]) == (1, len(EDITED))
    table = index.open_table()
    versions = [v["version"] for v in table.list_versions() if v["version"] > first]
    assert len(versions) >= 2, "the data commit and the index upkeep are separate versions"
    states = []
    for version in versions:
        table.checkout(version)
        states.append(state_of(Snapshot(table, settings)))
    assert states == ["new"] * len(versions)
    table.checkout(first)
    assert state_of(Snapshot(table, settings)) == "old", "readers pinned to the old version still see it whole"


def test_concurrent_queries_never_error_or_mix(settings: Settings, shared_models: dict) -> None:
    models = shared_models["embedder"], shared_models["extractor"]
    matcher = Matcher(settings, *models, fresh_index(settings, shared_models))
    reader = fresh_index(settings, shared_models)
    seen: list[str] = []
    errors: list[BaseException] = []
    stop, started = threading.Event(), threading.Semaphore(0)

    def read() -> None:
        while not stop.is_set():
            try:
                seen.append(state_of(reader.snapshot()))
                answer = matcher.match(Query(text=STABLE_QUERY))
                assert answer.best is not None and answer.best.bug.id == STABLE_BUG
            except BaseException as err:  # noqa: BLE001 - collected and re-raised below
                errors.append(err)
                return
            started.release()

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert started.acquire(timeout=120)
    for marker in (NEW, OLD, NEW):
        write_generated(Path(settings.knowledge_dir), marker)
        refresh(settings, shared_models)
    count = len(seen)
    while len(seen) < count + 3 and not errors:
        started.acquire(timeout=120)
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    assert seen[0] == "old" and seen[-1] == "new"


CHILD = """
import sys
from pathlib import Path
from bot.index import KnowledgeIndex
from bot.refresh import build_refresher
from bot.settings import Settings

kb, data, point = sys.argv[1:4]
settings = Settings(knowledge_dir=Path(kb), data_dir=Path(data), index_name="safety")
refresher = build_refresher(settings)

def say(word):
    print(word, flush=True)

class Signalling(KnowledgeIndex):
    def replace_entries(self, *args, **kwargs):
        if point == "merge":
            say("now")
        return super().replace_entries(*args, **kwargs)

    def maintain(self, table):
        if point == "maintain":
            say("now")
        return super().maintain(table)

def progress(items, total):
    if point == "embed":
        say("now")
    return items

refresher.index = Signalling(settings, refresher.embedder.fingerprint, refresher.index.db)
refresher.refresh(progress)
say("finished")
"""


@pytest.mark.slow
@pytest.mark.parametrize("point", ["embed", "merge", "maintain"])
def test_kill_9_mid_refresh_then_query_then_refresh(settings: Settings, shared_models: dict, point: str) -> None:
    write_generated(Path(settings.knowledge_dir), NEW)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(settings.knowledge_dir), str(settings.data_dir), point],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "now", "the child refresh reached the kill point"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    index = fresh_index(settings, shared_models)
    survived = state_of(index.snapshot())
    if point == "embed":
        assert survived == "old", "nothing is written before the rows are built"
    matcher = Matcher(settings, shared_models["embedder"], shared_models["extractor"], index)
    answer = matcher.match(Query(text=STABLE_QUERY))
    assert answer.best is not None and answer.best.bug.id == STABLE_BUG
    report = refresh(settings, shared_models)
    assert state_of(fresh_index(settings, shared_models).snapshot()) == "new"
    assert report["updated"] + report["unchanged"] + report["added"] == GENERATED + 6
    rows = fresh_index(settings, shared_models).stored_rows()
    assert len({r["id"] for r in rows}) == len(rows) == GENERATED + 6, "one row per bug"


LOCK_HOLDER = """
import sys
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_a_second_refresher_in_another_process_is_refused_or_waits(settings: Settings, shared_models: dict) -> None:
    refresher = build_refresher(settings, shared_models["embedder"], shared_models["extractor"])
    lock = Path(settings.data_dir) / f"{refresher.index.name}.refresh.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RefreshBusy, match="try again"):
            refresher.refresh()
        patient = build_refresher(
            settings.model_copy(update={"refresh_lock_seconds": 120.0}),
            shared_models["embedder"],
            shared_models["extractor"],
        )
        outcome: list[RefreshReport] = []
        waiter = threading.Thread(target=lambda: outcome.append(patient.refresh()))
        waiter.start()
        waiter.join(timeout=1.0)
        assert waiter.is_alive(), "it waits while the other process holds the lock"
        holder.stdin.write("release\n")
        holder.stdin.flush()
        waiter.join(timeout=120)
        assert outcome and outcome[0].unchanged == GENERATED + 5
    finally:
        holder.kill()
        holder.wait()


def test_a_model_change_builds_a_new_table_before_dropping_the_old(
    settings: Settings, shared_models: dict, tiny_clip: Path
) -> None:
    old = fresh_index(settings, shared_models)
    assert old.exists()
    changed = settings.model_copy(update={"embed_model": str(tiny_clip), "ocr": False})
    embedder = Embedder(changed)
    refresher = build_refresher(changed, embedder, Extractor(changed))
    assert refresher.index.name != old.name

    def progress(items: Iterable[Any], total: int) -> Iterable[Any]:
        assert old.exists(), "the old table serves until the new one is complete"
        return items

    report = refresher.refresh(progress).as_dict()
    assert report["added"] == GENERATED + 5
    assert refresher.index.exists() and not old.exists()
    assert stored_fingerprint(changed, connect(changed), str(tiny_clip)) == embedder.fingerprint
    with pytest.raises(IndexNotReady):
        old.snapshot()
    refresher.index.check_model(embedder.name, embedder.dimension)


def test_an_unchanged_refresh_does_not_load_the_model(settings: Settings, shared_models: dict) -> None:
    embedder = Embedder(settings)
    report = build_refresher(settings, embedder, shared_models["extractor"]).refresh().as_dict()
    assert (report["unchanged"], report["embedded"]) == (GENERATED + 5, [])
    assert embedder._model is None, "nothing to embed, so the embedding model was never loaded"
    bug = Path(settings.knowledge_dir) / "gen-007" / "bug.md"
    bug.write_text(bug.read_text().replace("Restart", "Reboot"))
    report = build_refresher(settings, embedder, shared_models["extractor"]).refresh().as_dict()
    assert (report["updated"], report["embedded"]) == (1, ["gen-007"])
