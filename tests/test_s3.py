"""The index on S3-compatible storage (moto on 127.0.0.1): a refresher writes to the bucket, two reader
processes answer from it and pick up new versions without restarting, and a refresher killed in the middle
of its commit leaves them on the old version until the next refresh (which takes the dead one's lease)."""

from __future__ import annotations

import json
import multiprocessing
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from bot.index import connect
from bot.refresh import RefreshBusy, Refresher, build_refresher
from bot.settings import Settings
from bot.storage import is_object_store, s3_location, storage_options
from tests.s3_server import LocalS3, answer_queries, local_s3, new_bucket
from tests.support import refresh, write_bug, write_text_only_knowledge

ROOT = Path(__file__).resolve().parent.parent
STABLE_QUERY, STABLE_BUG = "psql says FATAL role deploy does not exist", "psql-role-missing"
LEASE_SECONDS = 3.0
WAIT = 180.0


@pytest.fixture(scope="module")
def s3() -> Iterator[LocalS3]:
    with local_s3() as server:
        yield server


@pytest.fixture(scope="module")
def settings(s3: LocalS3, tmp_path_factory: pytest.TempPathFactory, shared_models: dict) -> Settings:
    """Text-only sample bugs (no OCR needed), indexed into a fresh bucket; endpoint and keys come from AWS_*."""
    root = tmp_path_factory.mktemp("s3")
    write_text_only_knowledge(root / "knowledge")
    settings = Settings(
        knowledge_dir=root / "knowledge",
        data_dir=root / "writer",
        db_uri=f"s3://{new_bucket(s3.endpoint)}/team/kb",
        index_name="s3kb",
        index_check_seconds=0,
        leader_lease_seconds=LEASE_SECONDS,
        asr=False,
        ocr=False,
    )
    refresh(settings, shared_models)
    return settings


@pytest.fixture(scope="module")
def readers(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Any]]:
    """Two reader processes (spawned, not forked), each with its own data dir and no local index."""
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    pool = []
    for n in range(2):
        own = settings.model_copy(update={"data_dir": tmp_path_factory.mktemp(f"reader{n}")})
        requests = context.Queue()
        process = context.Process(target=answer_queries, args=(own, requests, answers), daemon=True)
        process.start()
        pool.append((process, requests))
    ready = {answers.get(timeout=WAIT)[0] for _ in pool}
    assert ready == {p.pid for p, _ in pool}
    yield [(requests, answers) for _, requests in pool]
    for process, requests in pool:
        requests.put(None)
        process.join(timeout=30)
        process.kill()


def ask(readers: list[Any], text: str) -> list[tuple[int, str | None]]:
    """(version, best bug) from every reader for one text."""
    results = []
    for requests, answers in readers:
        requests.put(text)
        _, version, best = answers.get(timeout=WAIT)
        results.append((version, best))
    return results


def add_bug(settings: Settings, bug_id: str, words: str) -> str:
    write_bug(
        Path(settings.knowledge_dir),
        bug_id,
        f"{words} failure",
        ["new"],
        f"The service prints '{words}'.",
        f"Fix {words}.",
    )
    return f"the service prints {words}"


def test_settings_reach_lancedb_and_the_bucket_holds_the_table(s3: LocalS3, settings: Settings) -> None:
    assert is_object_store(settings.lancedb_uri) and settings.s3_endpoint_url == s3.endpoint
    assert storage_options(settings) == {"allow_http": "true", "aws_endpoint": s3.endpoint, "aws_region": "us-east-1"}
    place = s3_location(settings.lancedb_uri)
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=place.bucket)["Contents"]]
    assert any(k.startswith("team/kb/s3kb__") and "/_versions/" in k for k in keys)
    assert not (Path(settings.data_dir) / "lancedb").exists(), "nothing of the index is written locally"
    assert [n for n in connect(settings).table_names() if n.startswith("s3kb__")], "the lease object is not a table"


@pytest.mark.slow
def test_two_reader_processes_answer_and_pick_up_a_new_version(
    settings: Settings, shared_models: dict, readers: list[Any]
) -> None:
    before = ask(readers, STABLE_QUERY)
    assert [best for _, best in before] == [STABLE_BUG, STABLE_BUG]
    query = add_bug(settings, "zebra-quota-exhausted", "zebra quota exhausted on blueberry")
    assert all(best != "zebra-quota-exhausted" for _, best in ask(readers, query))
    version = refresh(settings, shared_models)["version"]
    after = ask(readers, query)
    assert [best for _, best in after] == ["zebra-quota-exhausted"] * 2, "both readers see it without a restart"
    assert all(v >= version > before[0][0] for v, _ in after)


CHILD = """
import json, sys
from bot.refresh import build_refresher
from bot.settings import Settings
print(json.dumps(build_refresher(Settings(**json.loads(sys.argv[1]))).refresh().as_dict()), flush=True)
"""


@pytest.mark.slow
def test_a_refresher_killed_mid_commit_leaves_readers_on_the_old_version(
    s3: LocalS3, settings: Settings, shared_models: dict, readers: list[Any]
) -> None:
    query = add_bug(settings, "walrus-ledger-drift", "walrus ledger drift in kiwi")
    before = ask(readers, STABLE_QUERY)
    config = json.dumps(settings.model_dump(mode="json", exclude={"threads"}))
    s3.gate.armed.set()
    child = subprocess.Popen([sys.executable, "-c", CHILD, config], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert s3.gate.held.wait(WAIT), "the child refresher uploaded its rows and reached its commit"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL
    finally:
        child.kill()
        s3.gate.armed.clear()
        s3.gate.opened.set()
    survived = ask(readers, query) + ask(readers, STABLE_QUERY)
    assert all(best != "walrus-ledger-drift" for _, best in survived[:2]), "the killed write is not visible"
    assert [best for _, best in survived[2:]] == [STABLE_BUG] * 2
    assert {v for v, _ in survived} == {before[0][0]}, "readers still serve the version before the kill"
    refresher = build_refresher(settings, shared_models["embedder"], shared_models["extractor"])
    with pytest.raises(RefreshBusy):
        refresher.refresh()  # the dead refresher's lease has not expired yet
    report = retry_until_leader(refresher)
    assert report["added"] == 1
    assert [best for _, best in ask(readers, query)] == ["walrus-ledger-drift"] * 2


def retry_until_leader(refresher: Refresher) -> dict[str, Any]:
    """Refresh once the dead holder's lease has expired (a lease period after this contender first saw it)."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            return refresher.refresh().as_dict()
        except RefreshBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(LEASE_SECONDS / 3)
