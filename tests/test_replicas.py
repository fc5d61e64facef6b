"""Three `supportbot serve` replicas (real processes, HTTP mode) sharing one PostgreSQL and one index in a bucket.

Slack's side is the fake on 127.0.0.1, the bucket is moto, PostgreSQL is the real server the fixture starts.
Each of 100 messages is delivered twice, at the same moment, to two different replicas (the second time as a
Slack retry): exactly 100 replies. `supportbot stats --json` prints the same on every replica. A "This fixed it"
pressed through one replica is in the index after the leader's next refresh, and another replica answers the
same question from it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.index import KnowledgeIndex
from bot.settings import Settings
from bot.slack.blocks import FIXED
from tests.fake_slack import (
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    FakeSlack,
    SlackSender,
    action_payload,
    event_body,
    message_event,
)
from tests.postgres_server import LocalPostgres, free_port
from tests.s3_server import local_s3, new_bucket
from tests.support import SAMPLE_BUGS, refresh, write_text_only_knowledge

ROOT = Path(__file__).resolve().parent.parent
REPLICAS = 3
MESSAGES = 100
WAIT = 300.0
SERVE = "import sys\nfrom bot.cli import main\nmain(sys.argv[1:])"
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    sender: SlackSender
    log: Path

    def started(self) -> bool:
        """True once it listens, or has exited (which the caller reports)."""
        return listening(self.sender.url) or self.process.poll() is not None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)


@dataclass
class Cluster:
    fake: FakeSlack
    replicas: list[Replica]
    settings: Settings
    index: KnowledgeIndex


def listening(url: str) -> bool:
    """True once the replica's HTTP server answers (an unsigned POST gets 401)."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=5)
    except urllib.error.HTTPError as err:
        return err.code == 401
    except OSError:
        return False
    return False


def replica_env(settings: Settings, state_url: str, data_dir: Path, port: int, fake: FakeSlack) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SUPPORTBOT_", "SLACK_"))}
    return {
        **base,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
        "SUPPORTBOT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
        "SUPPORTBOT_DATA_DIR": str(data_dir),
        "SUPPORTBOT_DB_URI": str(settings.db_uri),
        "SUPPORTBOT_INDEX_NAME": str(settings.index_name),
        "SUPPORTBOT_INDEX_CHECK_SECONDS": "1",
        "SUPPORTBOT_STATE_URL": state_url,
        "SUPPORTBOT_SLACK_MODE": "http",
        "SUPPORTBOT_SLACK_BOT_TOKEN": BOT_TOKEN,
        "SUPPORTBOT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SUPPORTBOT_SLACK_API_URL": fake.api_url,
        "SUPPORTBOT_SLACK_FILE_HOSTS": fake.base,
        "SUPPORTBOT_SLACK_RESPONSE_HOSTS": fake.base,
        "SUPPORTBOT_SLACK_HOST": "127.0.0.1",
        "SUPPORTBOT_SLACK_PORT": str(port),
        "SUPPORTBOT_REFRESH_INTERVAL_SECONDS": "3",
        "SUPPORTBOT_LEADER_LEASE_SECONDS": "6",
        "SUPPORTBOT_OCR": "false",
        "SUPPORTBOT_ASR": "false",
        "SUPPORTBOT_SLACK_USER_ASKS_PER_MINUTE": "1000",  # one user sends all 100: this test is about delivery,
        "SUPPORTBOT_SLACK_CHANNEL_ASKS_PER_MINUTE": "1000",  # not about load shedding (tests/test_faults.py)
        "SUPPORTBOT_SLACK_QUEUE_SIZE": "200",
    }


@pytest.fixture(scope="module")
def cluster(
    postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory, shared_models: dict
) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("replicas")
    fake = FakeSlack()
    with local_s3() as s3:
        settings = Settings(
            knowledge_dir=write_text_only_knowledge(root / "knowledge"),
            data_dir=root / "builder",
            db_uri=f"s3://{new_bucket(s3.endpoint)}/team/kb",
            index_name="replicas",
            index_check_seconds=0,
            ocr=False,
            asr=False,
        )
        refresh(settings, shared_models)  # the index exists before the replicas start (docs/SCALING.md §3)
        state_url = postgres.new_database()
        models = Path(shared_models["settings"].data_dir) / "models"
        replicas = []
        for n in range(REPLICAS):
            data_dir = root / f"replica-{n}"
            if models.is_dir():  # each replica keeps its own exported model; copy it rather than export it 3 times
                shutil.copytree(models, data_dir / "models")
            port = free_port()
            env = replica_env(settings, state_url, data_dir, port, fake)
            log = root / f"replica-{n}.log"
            process = subprocess.Popen(
                [sys.executable, "-c", SERVE, "-v", "serve"],
                cwd=ROOT,
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            url = f"http://127.0.0.1:{port}/slack/events"
            replicas.append(Replica(process, env, SlackSender(url), log))
        try:
            for replica in replicas:
                fake.wait_for(replica.started, WAIT, "a replica")
                assert replica.process.poll() is None, replica.log.read_text()[-3000:]
            index = KnowledgeIndex(settings, shared_models["embedder"].fingerprint)
            yield Cluster(fake, replicas, settings, index)
        finally:
            for replica in replicas:
                replica.stop()
            fake.close()


def question(n: int) -> str:
    """The n-th of 100 different questions about the five sample bugs."""
    title, _, symptoms, _, _ = list(SAMPLE_BUGS.values())[n % len(SAMPLE_BUGS)]
    return f"<@{BOT_USER}> report {n}: {symptoms}"


def deliver_twice(cluster: Cluster, n: int) -> list[int]:
    """Message n to replica n, and at the same moment its Slack retry to replica n+1."""
    body = json.dumps(event_body(message_event(f"C{n % 4}", f"{1000 + n}.000100", question(n))))
    first, second = cluster.replicas[n % REPLICAS], cluster.replicas[(n + 1) % REPLICAS]
    start = threading.Barrier(2)

    def send(replica: Replica, headers: dict[str, str]) -> int:
        start.wait()
        return replica.sender.send(body, "application/json", headers).status

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(send, (first, second), ({}, RETRY)))


def stats(cluster: Cluster) -> list[dict[str, Any]]:
    """`supportbot stats --json` run with each replica's settings."""
    outputs = []
    for replica in cluster.replicas:
        done = subprocess.run(
            [sys.executable, "-c", SERVE, "stats", "--json"], cwd=ROOT, env=replica.env, capture_output=True, check=True
        )
        outputs.append(json.loads(done.stdout))
    return outputs


def replies(fake: FakeSlack) -> Counter[tuple[str, str | None]]:
    return Counter((p["channel"], p.get("thread_ts")) for p in fake.posts())


@pytest.mark.slow
def test_three_replicas_behave_as_one_bot(cluster: Cluster) -> None:
    fake = cluster.fake
    with ThreadPoolExecutor(8) as pool:
        statuses = [s for pair in pool.map(lambda n: deliver_twice(cluster, n), range(MESSAGES)) for s in pair]
    assert statuses == [200] * (2 * MESSAGES)
    fake.wait_for(lambda: sum(replies(fake).values()) >= MESSAGES, WAIT, f"{MESSAGES} replies")
    time.sleep(5.0)  # any second reply to a retry would have come by now
    threads = replies(fake)
    assert len(threads) == MESSAGES and set(threads.values()) == {1}, [t for t, n in threads.items() if n != 1]

    outputs = stats(cluster)
    assert outputs[0]["asked"] == MESSAGES and outputs[0]["errors"] == 0
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]

    post = next(p for p in fake.posts() if FIXED in json.dumps(p["blocks"]))
    blocks = post["blocks"] if isinstance(post["blocks"], list) else json.loads(post["blocks"])
    answer_id = next(
        e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == FIXED
    )
    message = {"type": "message", "ts": "1.0", "thread_ts": post["thread_ts"], "text": post["text"], "blocks": blocks}
    press = action_payload(FIXED, answer_id, message, post["channel"], fake.response_url("fixed"), "UASKER01")
    assert cluster.replicas[1].sender.interaction(press).status == 200
    fake.wait_for(lambda: fake.responded("fixed"), WAIT, "the press acknowledged")
    counted = [s["reports"] for s in stats(cluster)]
    assert (
        counted[0] == [{"bug_id": counted[0][0]["bug_id"], "reports": 1, "people": 1}]
        and counted[1:] == [counted[0]] * 2
    )

    def learned() -> list[dict[str, Any]]:
        return [r for r in cluster.index.stored_rows() if r["kind"] == "example"]

    rows = fake.wait_for(learned, WAIT, "the confirmed example in the index")
    n = int(post["thread_ts"].split(".")[0]) - 1000
    assert rows[0]["text"] in question(n).replace(f"<@{BOT_USER}> ", "")

    again = message_event("C9", "2000.000100", question(n))
    assert cluster.replicas[2].sender.event(again).status == 200
    reply = fake.wait_for(lambda: fake.posts(channel="C9"), WAIT, "the repeat answered")[0]
    assert "example-" in json.dumps(reply["blocks"]), "the replica that never saw the press answers from the example"
