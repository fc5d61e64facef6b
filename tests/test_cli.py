import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.support import render_screenshot


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, sample_knowledge: Path) -> dict[str, str]:
    data = tmp_path_factory.mktemp("cli-data")
    return {"SUPPORTBOT_DATA_DIR": str(data), "SUPPORTBOT_KNOWLEDGE_DIR": str(sample_knowledge)}


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout


def test_index_then_ask_json(env: dict[str, str], tmp_path: Path) -> None:
    code, out = run(env, "index", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["added"] + report["unchanged"] == 5 and report["failed"] == []
    shot = render_screenshot(["$ python tool.py", "ModuleNotFoundError: No module named 'yaml'"], tmp_path / "s.png")
    code, out = run(env, "ask", "--json", "--text", "my script crashes on start", str(shot))
    assert code == 0
    answer = json.loads(out)
    assert set(answer) == {"decision", "confidence", "matches", "inputs", "timings_ms"}
    assert answer["matches"][0]["bug_id"] == "python-no-module-yaml"
    assert set(answer["matches"][0]) == {"bug_id", "title", "score", "resolution", "links", "evidence"}
    assert [i["kind"] for i in answer["inputs"]] == ["text", "image"]


def test_ask_with_only_unusable_input_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"%PDF-1.4 not an image")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n\0\0truncated")
    code, out = run(env, "ask", "--json", str(bad), str(broken))
    assert code == 2
    inputs = json.loads(out)["inputs"]
    assert all(i["error"] for i in inputs) and len(inputs) == 2


def test_ask_with_a_bad_file_still_answers_the_text(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")
    code, out = run(env, "ask", "--text", "curl says connection refused on port 8080", str(bad))
    assert code == 0
    assert "curl (7)" in out and "broken.jpg" in out


def test_eval_json_report(env: dict[str, str], tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    render_screenshot(["504 Gateway Time-out", "nginx/1.22.1"], tmp_path / "a.png", dark=False)
    lines = [
        {"id": "1", "text": "", "files": ["a.png"], "expected": "nginx-504-upstream-slow", "kind": "screenshot"},
        {
            "id": "2",
            "text": "psql complains the role deploy is missing",
            "files": [],
            "expected": "psql-role-missing",
            "kind": "text",
        },
        {"id": "3", "text": "how do I export my invoices to excel", "files": [], "expected": None, "kind": "out-of-kb"},
    ]
    queries.write_text("\n".join(json.dumps(line) for line in lines))
    code, out = run(env, "eval", "--queries", str(queries), "--json", "--no-fts")
    assert code == 0
    report = json.loads(out)
    for key in (
        "queries",
        "recall_at_1",
        "recall_at_5",
        "mrr",
        "match_precision",
        "no_match_rate_in_kb",
        "no_match_rate_out_of_kb",
        "by_kind",
        "latency_ms",
        "config",
    ):
        assert key in report
    assert report["queries"] == 3 and report["recall_at_1"] == 1.0
    assert report["by_kind"]["screenshot"]["n"] == 1
    assert report["config"]["fts"] is False
    assert {"p50", "p95", "by_stage"} <= set(report["latency_ms"])


def test_doctor_reports_models_and_index(env: dict[str, str]) -> None:
    run(env, "index")
    code, out = run(env, "doctor")
    assert code == 0
    assert "modalities text" in out and "reranker: none configured" in out and "rows" in out
    assert "ordered by the learned ranking model" in out


def test_missing_knowledge_folder_is_one_sentence(env: dict[str, str], tmp_path: Path) -> None:
    env = {**env, "SUPPORTBOT_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["index", "--knowledge", str(tmp_path / "nope")], env=env)
    assert result.exit_code == 1 and "does not exist; pass --knowledge" in result.stderr
