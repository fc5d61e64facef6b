from pathlib import Path

import numpy as np
import pytest

from bot.errors import IndexNotReady
from bot.index import GRAMS, KnowledgeIndex, bug_meta, row_schema
from bot.knowledge import scan_knowledge
from bot.ranking import gram_text
from bot.settings import Settings

DIM = 8


def vector(seed: int) -> list[float]:
    v = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return (v / np.linalg.norm(v)).tolist()


def rows_for(sample_knowledge: Path, tag: str = "") -> list[dict]:
    rows = []
    for n, bug in enumerate(scan_knowledge(sample_knowledge).bugs):
        rows.append(
            {
                "id": f"{bug.id}/doc",
                "bug_id": bug.id,
                "kind": "doc",
                "source": "bug.md",
                "text": bug.doc_text + tag,
                "entry_hash": bug.content_hash + tag,
                "media_hash": "",
                "meta": bug_meta(bug),
                "vector": vector(n),
                GRAMS: gram_text(bug.doc_text + tag),
            }
        )
    return rows


@pytest.fixture
def index(tmp_path: Path, sample_knowledge: Path) -> KnowledgeIndex:
    settings = Settings(knowledge_dir=sample_knowledge, data_dir=tmp_path, index_check_seconds=0)
    return KnowledgeIndex(settings, "testmodel")


def test_missing_table_is_a_clear_error(index: KnowledgeIndex) -> None:
    assert not index.exists()
    with pytest.raises(IndexNotReady, match="supportbot index"):
        index.snapshot()


def test_a_text_in_quotes_is_searched_as_words_not_refused_as_a_phrase(
    index: KnowledgeIndex, sample_knowledge: Path
) -> None:
    """A log line in double quotes (a CSV export's cells, a quoted message) is no phrase query: the index keeps no
    word positions and LanceDB refuses phrases without them, which failed the whole question."""
    index.create(rows_for(sample_knowledge), row_schema(DIM, None, "m"))
    snap = index.snapshot()
    assert snap.full_text('"role does not exist psql"', limit=3)[0].bug_id == "psql-role-missing"
    assert (
        snap.full_text('"2026-11-02T10:00:00Z","web-3","role does not exist"', limit=3)[0].bug_id == "psql-role-missing"
    )


def test_dense_full_text_and_bug_records(index: KnowledgeIndex, sample_knowledge: Path) -> None:
    index.create(rows_for(sample_knowledge), row_schema(DIM, None, "m"))
    snap = index.snapshot()
    dense = snap.dense(np.asarray(vector(2), dtype=np.float32), limit=3)
    assert dense[0].bug_id == rows_for(sample_knowledge)[2]["bug_id"] and dense[0].score == pytest.approx(1.0, abs=1e-4)
    fts = snap.full_text("role does not exist psql", limit=3)
    assert fts[0].bug_id == "psql-role-missing"
    assert snap.full_text("   ", limit=3) == []
    bugs = snap.bugs(["curl-7-connection-refused", "no-such-bug"])
    assert list(bugs) == ["curl-7-connection-refused"]
    assert bugs["curl-7-connection-refused"].resolution.startswith("Nothing listens")


def test_snapshot_is_pinned_until_a_new_version(index: KnowledgeIndex, sample_knowledge: Path) -> None:
    schema = row_schema(DIM, None, "m")
    index.create(rows_for(sample_knowledge), schema)
    old = index.snapshot()
    changed = [r for r in rows_for(sample_knowledge, " v2") if r["bug_id"] == "nginx-502-upstream-down"]
    index.replace_entries(changed, ["nginx-502-upstream-down"], schema)
    assert old.full_text("v2", limit=5) == []
    new = index.snapshot()
    assert new.version > old.version
    assert [h.bug_id for h in new.full_text("v2", limit=5)] == ["nginx-502-upstream-down"]


def test_replace_entries_deletes_rows_of_removed_bugs(index: KnowledgeIndex, sample_knowledge: Path) -> None:
    schema = row_schema(DIM, None, "m")
    index.create(rows_for(sample_knowledge), schema)
    index.replace_entries([], ["python-no-module-yaml"], schema)
    ids = {r["bug_id"] for r in index.stored_rows()}
    assert "python-no-module-yaml" not in ids and len(ids) == 4


def test_model_mismatch_is_reported(index: KnowledgeIndex, sample_knowledge: Path) -> None:
    index.create(rows_for(sample_knowledge), row_schema(DIM, None, "model-a"))
    index.check_model("model-a", DIM)
    with pytest.raises(IndexNotReady, match="model-a"):
        index.check_model("model-b", DIM)


MISREAD = 'psql: FATAI: rloe "dep1oy" dces nat exisst'  # no word of it is spelled as the bug spells it


def test_words_misread_by_several_letters_are_found_by_their_trigrams(
    index: KnowledgeIndex, sample_knowledge: Path
) -> None:
    index.create(rows_for(sample_knowledge), row_schema(DIM, None, "m"))
    snap = index.snapshot()
    assert snap.full_text("FATAI rloe dces exisst", limit=3) == []
    found = snap.trigrams(gram_text(MISREAD), limit=3)
    assert found[0].bug_id == "psql-role-missing"
    assert found[0].score > 2 * found[1].score


def test_a_table_written_before_trigrams_is_searched_without_them_until_they_are_added(
    index: KnowledgeIndex, sample_knowledge: Path
) -> None:
    schema = row_schema(DIM, None, "m")
    before = schema.remove(schema.get_field_index(GRAMS))
    index.create([{k: v for k, v in r.items() if k != GRAMS} for r in rows_for(sample_knowledge)], before)
    assert index.lacks_grams()
    old = index.snapshot()
    assert old.trigrams(gram_text(MISREAD), limit=3) == []
    index.add_grams(gram_text)
    assert not index.lacks_grams()
    assert old.trigrams(gram_text(MISREAD), limit=3) == [], "a pinned snapshot keeps its version"
    assert index.snapshot().trigrams(gram_text(MISREAD), limit=3)[0].bug_id == "psql-role-missing"
    assert {r[GRAMS] for r in index.stored_rows()} == {r[GRAMS] for r in rows_for(sample_knowledge)}
