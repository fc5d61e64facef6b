"""An unchanged refresh reads the table with `lance` alone: a new `supportbot refresh` process imports no LanceDB
and no model library, and writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.index import HASH_COLUMNS, LanceFolder, connect, lance_folder, stored_fingerprint
from bot.refresh import build_refresher
from bot.settings import Settings
from tests.support import refresh, write_text_only_knowledge

ROOT = Path(__file__).resolve().parent.parent
HEAVY = {
    "lancedb",
    "torch",
    "transformers",
    "sentence_transformers",
    "rapidocr",
    "rapidocr_onnxruntime",
    "onnxruntime",
    "faster_whisper",
    "ctranslate2",
    "av",
    "PIL",
    "slack_bolt",
    "slack_sdk",
    "boto3",
}
CHILD = """
import json, sys
from bot.cli import main
main(["refresh", "--json"], standalone_mode=False)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})), file=sys.stderr)
"""


@pytest.fixture
def settings(tmp_path: Path, shared_models: dict) -> Settings:
    kb = write_text_only_knowledge(tmp_path / "knowledge")
    settings = Settings(knowledge_dir=kb, data_dir=tmp_path / "data", index_name="imports")
    refresh(settings, shared_models)
    return settings


def tree(folder: Path) -> dict[str, int]:
    """Every file under `folder` with its modification time."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_an_unchanged_refresh_process_imports_no_lancedb_and_writes_nothing(settings: Settings) -> None:
    version = build_refresher(settings).index.open_table().version
    before = tree(Path(settings.lancedb_uri))
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "SUPPORTBOT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
        "SUPPORTBOT_DATA_DIR": str(settings.data_dir),
        "SUPPORTBOT_INDEX_NAME": "imports",
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=300
    )
    report = json.loads(done.stdout)
    assert (report["unchanged"], report["updated"], report["version"]) == (5, 0, version)
    imported = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert "lance" in imported and not imported & HEAVY, sorted(imported & HEAVY)
    assert tree(Path(settings.lancedb_uri)) == before, "an unchanged refresh writes nothing"


def test_the_lance_folder_reads_what_lancedb_reads(settings: Settings, shared_models: dict) -> None:
    folder = lance_folder(settings)
    assert isinstance(folder, LanceFolder)
    db = connect(settings)
    assert folder.table_names() == sorted(db.table_names())
    model, backend = shared_models["embedder"].name, shared_models["embedder"].backend
    found = stored_fingerprint(settings, folder, model, backend)
    assert found == stored_fingerprint(settings, db, model, backend) is not None
    index = build_refresher(settings).index
    hashes = index.stored_hashes()
    assert hashes is not None
    rows, version = hashes
    assert version == index.open_table().version
    expected = [{k: r[k] for k in HASH_COLUMNS} for r in index.stored_rows()]
    assert sorted(rows, key=lambda r: r["id"]) == sorted(expected, key=lambda r: r["id"])
    assert lance_folder(settings.model_copy(update={"db_uri": "s3://bucket/prefix"})) is None
