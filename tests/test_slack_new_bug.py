"""The new-bug modal's pure parts: the prefill from a case, the id slug, reading a submission back, and per-field
checks with the parser's rules; and the search behind the "Link to any known bug" select."""

from __future__ import annotations

from pathlib import Path

from bot.records import KnownBug
from bot.slack.new_bug import error_line, field_errors, new_bug_view, prefill, read_submission, slug
from bot.slack.triage import search_bugs
from bot.store import AnswerRecord, CandidateRecord, InputRecord
from tests.fake_slack import submitted_values
from tests.support import write_bug


def known(bug_id: str, title: str, tags: tuple[str, ...] = (), product: str = "Shop") -> KnownBug:
    return KnownBug(bug_id, title, product, tags, "open", (), "s", "r", "", "")


BUGS = [
    known("nginx-502", "nginx 502 Bad Gateway", ("nginx", "502")),
    known("psql-role", "psql: FATAL role does not exist", ("postgres", "psql"), "Orders"),
    known("yaml-missing", "ModuleNotFoundError: yaml", ("python",)),
]


def case(*inputs: InputRecord, files: tuple[str, ...] = ("F1",)) -> AnswerRecord:
    return AnswerRecord(
        "a1", "message", "C1", "UASK", "no_match", 0.2, inputs=inputs,
        candidates=(CandidateRecord("psql-role", "psql", 0.3),), file_ids=files,
    )  # fmt: skip


SHOT = InputRecord("shot.png", "image", 'ops@db-1:~$ psql -d orders\npsql: FATAL: database "orders" is locked\nretry')


def test_the_prefill_takes_the_error_line_the_words_and_the_files() -> None:
    record = case(
        InputRecord("message", "text", "orders db down since 9"), SHOT, InputRecord("v.m4a", "audio", "it says locked")
    )
    draft = prefill(
        record, BUGS, private=False, permalink="https://x.slack.com/p1", taken=["psql-fatal-database-orders-is-locked"]
    )
    assert draft.title == 'psql: FATAL: database "orders" is locked'
    assert draft.id == "psql-fatal-database-orders-is-locked-2", "an id in use gets a suffix"
    assert draft.product == "Orders" and draft.tags == ("psql",)
    assert "orders db down since 9" in draft.symptoms and "```\nops@db-1" in draft.symptoms
    assert "Said in a voice note: “it says locked”" in draft.symptoms
    assert draft.links == ("https://x.slack.com/p1",) and (draft.files, draft.attach) == (1, True)
    hidden = prefill(record, BUGS, private=True, permalink="https://x.slack.com/p1", taken=[])
    assert (hidden.title, hidden.symptoms, hidden.links, hidden.attach) == ("", "", (), False), (
        "a private case stays out"
    )


def test_error_line_and_slug() -> None:
    assert error_line(case(InputRecord("message", "text", "hello\nit fails: timeout"))) == "it fails: timeout"
    assert error_line(case(InputRecord("message", "text", "just words"))) == "just words"
    assert error_line(case()) == ""
    page = InputRecord(
        "shot.png",
        "image",
        "This page isn't working\nexample.test sent an invalid response.\nERR_INVALID_HTTP_RESPONSE",
    )
    assert error_line(case(page)) == "This page isn't working: ERR_INVALID_HTTP_RESPONSE", "the code names it"
    named = InputRecord(
        "shot.png", "image", "Traceback (most recent call last):\nModuleNotFoundError: No module named 'x'"
    )
    assert error_line(case(named)) == "ModuleNotFoundError: No module named 'x'"
    assert slug('Exception in thread "main" java.lang.OutOfMemoryError: Java heap space').startswith(
        "exception-in-thread-main-java-lang-outofmemoryerror"
    )
    assert len(slug("word " * 40)) <= 60 and slug("!!!") == "new-bug" and slug("x", ["x", "x-2"]) == "x-3"


def test_a_submission_is_read_back_and_checked_field_by_field(tmp_path: Path) -> None:
    write_bug(tmp_path, "taken", "T", ["t"], "s", "r")
    draft = prefill(case(SHOT), BUGS, private=False, permalink=None, taken=[])
    view = new_bug_view(draft, {"answer": "a1"})
    entry, attach = read_submission({"state": {"values": submitted_values(view, tags="psql, locks ,", resolution="")}})
    assert (entry.id, entry.status, entry.tags, entry.resolution, attach) == (
        draft.id,
        "open",
        ("psql", "locks"),
        "",
        True,
    )
    assert field_errors(entry, tmp_path, files=True) == {}
    bad, _ = read_submission(
        {"state": {"values": submitted_values(view, id="Bad_ID", product=" ", symptoms="", files=[])}}
    )
    errors = field_errors(bad, tmp_path, files=False)
    assert set(errors) == {"id", "product", "symptoms"}
    assert "must match" in errors["id"] and "symptoms or a screenshot" in errors["symptoms"]
    assert set(field_errors(bad.__class__(**{**bad.__dict__, "symptoms": ""}), tmp_path, files=True)) == {
        "id",
        "product",
    }
    taken, _ = read_submission({"state": {"values": submitted_values(view, id="taken")}})
    assert "already has an entry taken" in field_errors(taken, tmp_path, files=True)["id"]


def test_search_matches_every_word_and_puts_the_candidates_first() -> None:
    assert [b.id for b in search_bugs(BUGS, "")] == ["yaml-missing", "nginx-502", "psql-role"]
    assert [b.id for b in search_bugs(BUGS, "", first=["psql-role"])][0] == "psql-role"
    assert [b.id for b in search_bugs(BUGS, "FATAL role")] == ["psql-role"]
    assert [b.id for b in search_bugs(BUGS, "postgres")] == ["psql-role"], "tags are searched"
    assert search_bugs(BUGS, "nothing like it") == []
