import json
from pathlib import Path
from typing import Any

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
    assert set(answer) == {"decision", "confidence", "known", "matches", "inputs", "timings_ms"}
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


def write_queries(tmp_path: Path) -> Path:
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
    return queries


def test_eval_json_report(env: dict[str, str], tmp_path: Path) -> None:
    queries = write_queries(tmp_path)
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
        "confusions",
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
    assert "ranking model: the shipped ranking model:" in out and "fit on dev-set/queries.jsonl" in out


def test_missing_knowledge_folder_is_one_sentence(env: dict[str, str], tmp_path: Path) -> None:
    env = {**env, "SUPPORTBOT_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["index", "--knowledge", str(tmp_path / "nope")], env=env)
    assert result.exit_code == 1 and "does not exist; pass --knowledge" in result.stderr


def test_eval_details_writes_one_line_per_query_and_prints_the_confusions(env: dict[str, str], tmp_path: Path) -> None:
    queries = write_queries(tmp_path)
    details = tmp_path / "details.jsonl"
    code, out = run(env, "eval", "--queries", str(queries), "--details", str(details))
    assert code == 0 and "recall@1" in out
    lines = [json.loads(line) for line in details.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["1", "2", "3"]
    first = lines[0]
    assert {"id", "kind", "expected", "decision", "confidence", "matches", "inputs", "timings_ms"} <= set(first)
    assert first["inputs"][0]["text"].startswith("504") and "ocr" in first["timings_ms"]
    assert {"name", "kind", "text", "error", "note"} == set(first["inputs"][0])
    assert 1 <= len(first["matches"]) <= 5 and {"bug_id", "score", "features"} <= set(first["matches"][0])
    assert "shown_error" in first["matches"][0]["features"]
    if any(line["decision"] != "no_match" for line in lines if line["expected"] is None):
        assert "confused (not in the KB) ->" in out


def test_ask_json_lists_the_candidates_even_when_unsure(env: dict[str, str]) -> None:
    code, out = run(env, "ask", "--json", "--text", "how do I export my invoices to excel")
    answer = json.loads(out)
    assert code == 0 and answer["matches"], "candidates are listed whatever the decision"
    code, out = run(env, "ask", "--text", "how do I export my invoices to excel")
    assert out.startswith(("Not sure — closest known bug", "Possibly a known bug", "Known bug"))


def test_calibrate_writes_a_model_the_setting_loads(env: dict[str, str], tmp_path: Path) -> None:
    queries = tmp_path / "labelled.jsonl"
    said = {
        "nginx-502-upstream-down": ["every page says 502 bad gateway", "bad gateway from nginx after deploy"],
        "nginx-504-upstream-slow": ["reports time out with 504", "gateway time-out on the report page"],
        "curl-7-connection-refused": ["curl says connection refused", "curl 7 failed to connect to port 8080"],
        "psql-role-missing": ["psql says role deploy does not exist", "database role is missing"],
        "python-no-module-yaml": ["no module named yaml", "python cannot import yaml"],
    }
    rows: list[dict[str, Any]] = [
        {"id": f"{b}-{n}", "text": t, "expected": b, "kind": "text"} for b, ts in said.items() for n, t in enumerate(ts)
    ]
    rows += [
        {"id": f"out-{n}", "text": t, "expected": None, "kind": "out-of-kb"}
        for n, t in enumerate(
            ["how do I export invoices", "the printer is out of paper", "my mouse is broken", "change my password"]
        )
    ]
    queries.write_text("\n".join(json.dumps(r) for r in rows))
    messy = tmp_path / "messy" / "labelled.jsonl"  # the same questions, typed in a hurry
    messy.parent.mkdir()
    messy.write_text("\n".join(json.dumps({**r, "id": f"{r['id']}-hurried", "text": r["text"][:-3]}) for r in rows))
    model = tmp_path / "model.json"
    code, out = run(
        env,
        "calibrate",
        "--queries",
        str(queries),
        "--messy",
        str(messy),
        "--out",
        str(model),
        "--test",
        env["SUPPORTBOT_KNOWLEDGE_DIR"],
        str(queries),
    )
    assert code == 0, out
    assert "grouped by bug family (CV)" in out and f"test {queries.parent.name}/labelled.jsonl" in out
    assert "CV messy/labelled.jsonl" in out and "known bug" in out
    assert "one bug per family" in out and "CV thinned" in out  # also fit on answers as a sparser KB gives them
    assert f"SUPPORTBOT_RANKING_MODEL={model}" in out
    written = json.loads(model.read_text())
    assert (
        written["fit"]["fit_on"] == f"{tmp_path.name}/labelled.jsonl, messy/labelled.jsonl"
        and "/" + tmp_path.name not in written["fit"]["fit_on"]
    )
    using = {**env, "SUPPORTBOT_RANKING_MODEL": str(model)}
    code, out = run(using, "doctor")
    assert f"ranking model: {model}:" in out
    code, out = run(using, "ask", "--json", "--text", "every page says 502 bad gateway")
    assert code == 0 and json.loads(out)["matches"][0]["bug_id"] == "nginx-502-upstream-down"


def test_a_broken_model_file_is_one_sentence(env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    result = CliRunner().invoke(main, ["ask", "--text", "502"], env={**env, "SUPPORTBOT_RANKING_MODEL": str(broken)})
    assert result.exit_code == 1
    assert f"The ranking model {broken} cannot be read" in result.stderr and "Traceback" not in result.stderr
