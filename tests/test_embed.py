"""The embedder's backends: ONNX int8 agrees with torch and is exported once; image models and others stay on torch."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.embed import PACKAGED_MODELS, Embedder, resolve_model
from bot.refresh import build_refresher
from bot.settings import Settings
from tests.support import embed_in_a_daemon, write_text_only_knowledge

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = [
    "curl: (7) Failed to connect to 127.0.0.1 port 9000 after 2 ms: Connection refused",
    "the reports page waits a minute then says gateway time-out",
    "ModuleNotFoundError: No module named 'yaml' when the script starts",
    'psql: FATAL: role "deploy" does not exist',
    "how do I change my profile picture in the mobile app",
    "after we deployed every page says 502 bad gateway",
]
CHILD = """
import json, sys
from bot.embed import Embedder
from bot.settings import Settings
embedder = Embedder(Settings(data_dir=sys.argv[1]))
vector = embedder.encode_texts(["connection refused on port 8080"])
heavy = sorted({"torch", "transformers", "sentence_transformers"} & {m.split(".")[0] for m in sys.modules})
print(json.dumps({"backend": embedder.backend, "shape": list(vector.shape), "heavy": heavy}))
"""


@pytest.fixture(scope="session")
def onnx_embedder(shared_models: dict) -> Embedder:
    """The suite's shared embedder: the default backend, exported once into the session's tmp data dir."""
    embedder = shared_models["embedder"]
    assert embedder.backend == "onnx-int8"
    return embedder


@pytest.fixture(scope="session")
def torch_embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    return Embedder(Settings(data_dir=tmp_path_factory.mktemp("torch-data"), embed_backend="torch"))


def test_onnx_int8_vectors_agree_with_torch(onnx_embedder: Embedder, torch_embedder: Embedder) -> None:
    onnx, torch = onnx_embedder.encode_texts(SENTENCES), torch_embedder.encode_texts(SENTENCES)
    assert onnx.shape == torch.shape == (len(SENTENCES), 384) and onnx.dtype == np.float32
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-4)
    assert np.sum(onnx * torch, axis=1).min() > 0.98
    ranks = np.argsort(-(onnx @ onnx.T), axis=1)[:, 1], np.argsort(-(torch @ torch.T), axis=1)[:, 1]
    assert (ranks[0] == ranks[1]).all(), "each sentence's nearest neighbour is the same on both backends"


def test_a_second_process_reuses_the_export_without_loading_torch(onnx_embedder: Embedder, shared_models: dict) -> None:
    onnx_embedder.encode_texts(["make sure the export exists"])
    exported = list((shared_models["settings"].data_dir / "models").glob("*-onnx-int8.onnx"))
    assert len(exported) == 1
    mtime = exported[0].stat().st_mtime_ns
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    data_dir = str(shared_models["settings"].data_dir)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, data_dir], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    child = json.loads(done.stdout.strip().splitlines()[-1])
    assert child == {"backend": "onnx-int8", "shape": [1, 384], "heavy": []}
    assert exported[0].stat().st_mtime_ns == mtime, "the second process did not export again"
    assert [p.name for p in exported[0].parent.glob("*.onnx")] == [exported[0].name]


def test_the_export_runs_in_a_process_of_its_own_so_torch_never_loads_in_the_one_that_serves(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    child = json.loads(done.stdout.strip().splitlines()[-1])
    assert child == {"backend": "onnx-int8", "shape": [1, 384], "heavy": []}, "exported without torch loaded here"
    assert len(list((tmp_path / "models").glob("*-onnx-int8.onnx"))) == 1
    assert not list((tmp_path / "models").glob(".export-*")), "the temporary export folder is gone"


def test_a_daemonic_process_exports_in_place(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    process = context.Process(target=embed_in_a_daemon, args=(str(tmp_path), answers), daemon=True)
    process.start()
    process.join(timeout=300)
    assert process.exitcode == 0, "the daemonic process exported and embedded without starting a child"
    assert answers.get(timeout=10) == ("onnx-int8", (1, 384))
    assert len(list((tmp_path / "models").glob("*-onnx-int8.onnx"))) == 1


def test_a_text_naming_an_existing_image_is_embedded_as_text(
    onnx_embedder: Embedder, torch_embedder: Embedder, sample_knowledge: Path
) -> None:
    path = str(sample_knowledge / "python-no-module-yaml" / "screenshot.png")
    assert Path(path).is_file()
    onnx, torch = onnx_embedder.encode_texts([path]), torch_embedder.encode_texts([path])
    assert onnx.shape == (1, 384) and float(onnx[0] @ torch[0]) > 0.98


def test_the_fingerprint_differs_between_backends(onnx_embedder: Embedder, torch_embedder: Embedder) -> None:
    assert torch_embedder.backend == "torch" and torch_embedder.dimension == onnx_embedder.dimension == 384
    assert onnx_embedder.fingerprint != torch_embedder.fingerprint
    # torch's fingerprint is unchanged from before backends existed, so tables built with torch stay valid
    import hashlib

    legacy = hashlib.sha1(f"{torch_embedder.name}|384|False".encode()).hexdigest()[:10]
    assert torch_embedder.fingerprint == legacy


def test_switching_backend_rebuilds_into_a_new_table(
    tmp_path: Path, shared_models: dict, torch_embedder: Embedder
) -> None:
    kb = write_text_only_knowledge(tmp_path / "knowledge")
    settings = Settings(knowledge_dir=kb, data_dir=tmp_path / "data", embed_backend="torch")
    first = build_refresher(settings, torch_embedder, shared_models["extractor"])
    assert first.refresh().added == 5
    switched = settings.model_copy(update={"embed_backend": "onnx-int8"})
    refresher = build_refresher(switched, shared_models["embedder"], shared_models["extractor"])
    assert refresher.index.name != first.index.name
    assert refresher.refresh().added == 5, "the ONNX vectors go into a new table, not beside torch's"
    assert not first.index.exists() and refresher.index.exists()
    again = build_refresher(switched, shared_models["embedder"], shared_models["extractor"]).refresh()
    assert (again.unchanged, again.embedded) == (5, [])


def test_an_image_model_stays_on_torch(tmp_path: Path, tiny_clip: Path, sample_knowledge: Path) -> None:
    embedder = Embedder(Settings(embed_model=str(tiny_clip), data_dir=tmp_path))
    assert embedder.backend == "torch" and embedder.supports("image")
    shot = sample_knowledge / "python-no-module-yaml" / "screenshot.png"
    as_text = embedder.encode_texts([str(shot)])
    as_image = embedder.encode_images([Image.open(shot).convert("RGB")])
    assert as_text.shape == as_image.shape and not np.allclose(as_text, as_image, atol=1e-3)
    assert not (tmp_path / "models").exists(), "nothing was exported"


def test_other_pooling_or_a_gpu_falls_back_to_torch_with_one_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = Path(resolve_model("all-MiniLM-L6-v2", PACKAGED_MODELS))
    folder = tmp_path / "cls-model"
    folder.mkdir()
    for item in source.iterdir():
        if item.name != "1_Pooling":
            (folder / item.name).symlink_to(item)
    (folder / "1_Pooling").mkdir()
    pooling = json.loads((source / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    with caplog.at_level(logging.INFO, logger="bot.embed"):
        cls = Embedder(Settings(embed_model=str(folder), data_dir=tmp_path))
        gpu = Embedder(Settings(data_dir=tmp_path, device="cuda"))
    assert cls.backend == gpu.backend == "torch"
    lines = [r.getMessage() for r in caplog.records if "runs on torch" in r.getMessage()]
    assert len(lines) == 2 and "pooling" in lines[0] and "device" in lines[1]
