"""Shared fixtures: offline model loading, a sample knowledge base, tiny random models."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from tests.support import (  # noqa: E402
    build_tiny_clip,
    build_tiny_cross_encoder,
    render_screenshot,
    write_sample_knowledge,
)

if TYPE_CHECKING:
    from bot.matcher import Matcher
    from tests.fake_slack import FakeSlack
    from tests.postgres_server import LocalPostgres

ROOT = Path(__file__).resolve().parent.parent
CURL_LINES = [
    "ops@web-3:~$ curl -sS http://127.0.0.1:9000/api",
    "curl: (7) Failed to connect to 127.0.0.1 port 9000 after 2 ms: Connection refused",
]


@pytest.fixture(scope="session")
def dev_set() -> Path:
    path = ROOT.parent / "shared" / "dev-set"
    if not path.is_dir():
        pytest.skip("../shared/dev-set is not beside this checkout")
    return path


@pytest.fixture(scope="session")
def sample_knowledge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_knowledge(tmp_path_factory.mktemp("knowledge"))


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_clip(tmp_path_factory.mktemp("models") / "tiny-clip")


@pytest.fixture(scope="session")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_cross_encoder(tmp_path_factory.mktemp("models") / "tiny-ce")


@pytest.fixture(scope="session")
def shared_models(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The offline default embedder and extractor, loaded once per test run (the ONNX export goes to a tmp dir)."""
    from bot.embed import Embedder
    from bot.extract import Extractor
    from bot.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("shared-data"))
    return {"embedder": Embedder(settings), "extractor": Extractor(settings), "settings": settings}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """A fake Slack Web API, file host and Socket Mode server on 127.0.0.1."""
    from tests.fake_slack import FakeSlack

    slack = FakeSlack()
    yield slack
    slack.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A real PostgreSQL server on 127.0.0.1 for the whole run (started on first use)."""
    from tests.postgres_server import local_postgres

    with local_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty state database: SQLite in a temp dir, then a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'state.sqlite3'}"
    server: LocalPostgres = request.getfixturevalue("postgres")
    return server.new_database()


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory, sample_knowledge: Path, shared_models: dict) -> Matcher:
    """The real matcher over the sample knowledge base, for the Slack tests."""
    from bot.index import KnowledgeIndex
    from bot.matcher import Matcher
    from bot.refresh import build_refresher
    from bot.settings import Settings

    settings = Settings(knowledge_dir=sample_knowledge, data_dir=tmp_path_factory.mktemp("slack-index"))
    embedder, extractor = shared_models["embedder"], shared_models["extractor"]
    build_refresher(settings, embedder, extractor).refresh()
    return Matcher(settings, embedder, extractor, KnowledgeIndex(settings, embedder.fingerprint))


@pytest.fixture(scope="session")
def screenshot(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A rendered curl "Connection refused" screenshot (the sample bug `curl-7-connection-refused`)."""
    path = tmp_path_factory.mktemp("shots") / "curl.png"
    return render_screenshot(CURL_LINES, path, size=(1000, 420), dark=False).read_bytes()
