import io
import json
import tarfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.embed import Embedder
from bot.errors import ExtractionError
from bot.extract import Extractor
from bot.index import Hit, KnowledgeIndex, Snapshot
from bot.matcher import HARD_TO_READ, NOTHING_READ, Matcher
from bot.ranking import RankingModel, Reranker, load_model
from bot.records import Attachment, Query
from bot.refresh import build_refresher
from bot.settings import Settings
from tests.support import (
    SAMPLE_BUGS,
    encode_video,
    espeak,
    png_bytes,
    render_screenshot,
    terminal_screen,
    textless_picture,
    wav_bytes,
)


def build_matcher(
    settings: Settings,
    embedder: Embedder,
    extractor: Extractor,
    reranker: Reranker | None = None,
    model: RankingModel | None = None,
) -> Matcher:
    build_refresher(settings, embedder, extractor).refresh()
    index = KnowledgeIndex(settings, embedder.fingerprint)
    return Matcher(settings, embedder, extractor, index, reranker, model=model)


@pytest.fixture(scope="module")
def matcher(tmp_path_factory: pytest.TempPathFactory, sample_knowledge: Path, shared_models: dict) -> Matcher:
    settings = Settings(knowledge_dir=sample_knowledge, data_dir=tmp_path_factory.mktemp("data"))
    return build_matcher(settings, shared_models["embedder"], shared_models["extractor"])


def screenshot(tmp_path: Path, lines: list[str], name: str = "shot.png") -> Attachment:
    path = render_screenshot(lines, tmp_path / name, size=(1000, 420), dark=False)
    return Attachment(name, path.read_bytes(), "image/png")


def test_screenshot_finds_its_bug_with_evidence(matcher: Matcher, tmp_path: Path) -> None:
    shot = screenshot(
        tmp_path,
        [
            "ops@web-3:~$ curl -sS http://127.0.0.1:9000/api",
            "curl: (7) Failed to connect to 127.0.0.1 port 9000 after 2 ms: Connection refused",
        ],
    )
    answer = matcher.match(Query(attachments=(shot,)))
    assert answer.best is not None and answer.best.bug.id == "curl-7-connection-refused"
    assert answer.decision in ("match", "uncertain")
    assert "Connection refused" in answer.inputs[0].text
    assert answer.best.evidence and answer.best.evidence[0].query_input.startswith("shot.png")
    assert "Failed to connect" in answer.best.evidence[0].line  # the error line, not the prompt
    assert {"decode", "ocr", "embed", "search", "total"} <= set(answer.timings_ms)


def test_work_past_its_deadline_stops_before_reading_a_screen_and_is_not_taken_for_an_unreadable_file(
    matcher: Matcher, tmp_path: Path
) -> None:
    import time

    from bot.deadline import PastDeadline, until

    shot = screenshot(tmp_path, ["curl: (7) Failed to connect to 127.0.0.1 port 9000: Connection refused"])
    with until(time.monotonic() - 1), pytest.raises(PastDeadline):
        matcher.match(Query(attachments=(shot, shot)))
    with until(time.monotonic() + 600):
        assert matcher.match(Query(attachments=(shot,))).best is not None


def test_text_query_and_near_duplicates(matcher: Matcher) -> None:
    slow = matcher.match(Query(text="the reports page waits a minute then says gateway time-out"))
    assert slow.best is not None and slow.best.bug.id == "nginx-504-upstream-slow"
    down = matcher.match(Query(text="after we deployed every page says 502 bad gateway"))
    assert down.best is not None and down.best.bug.id == "nginx-502-upstream-down"


class NotingExtractor(Extractor):
    """The real extractor, noting the vocabulary each voice note is transcribed with."""

    def __init__(self, inner: Extractor) -> None:
        super().__init__(inner.settings, inner.text_reader(), inner.asr_model())
        self.vocabularies: list[tuple[str, ...]] = []

    def extract(self, media, vocabulary=()):  # noqa: ANN001, ANN201 - as in Extractor
        if media.kind == "audio":
            self.vocabularies.append(tuple(vocabulary))
        return super().extract(media, vocabulary)


def test_voice_note_is_heard_again_with_the_shortlisted_bugs_words(matcher: Matcher, tmp_path: Path) -> None:
    note = Attachment("note.wav", espeak("psql says the role deploy does not exist", tmp_path, "-s", "140"))
    heard = []
    for focus in (3, 0):
        extractor = NotingExtractor(matcher.extractor)
        settings = matcher.settings.model_copy(update={"asr_focus": focus})
        answer = Matcher(settings, matcher.embedder, extractor, matcher.index).match(Query(attachments=(note,)))
        assert answer.best is not None and answer.best.bug.id == "psql-role-missing"
        heard.append((extractor.vocabularies, answer.inputs[0].text))
    (focused, both), (once, first) = heard
    assert len(once) == 1 and len(focused) == 2 and focused[0] == once[0]  # the knowledge base's terms first
    titles = {bug.title for bug in matcher.index.snapshot().bugs(list(SAMPLE_BUGS)).values()}
    assert len(focused[1]) == 3 and set(focused[1]) <= titles  # then the three best candidates' titles
    assert "psql: FATAL role does not exist" in focused[1]
    assert both.startswith(first)  # the second transcript is added, never replaces the first


def test_a_failing_second_listen_keeps_the_first_transcript(matcher: Matcher, tmp_path: Path) -> None:
    class FailsOnSecondListen(NotingExtractor):
        def extract(self, media, vocabulary=()):  # noqa: ANN001, ANN201 - as in Extractor
            if media.kind == "audio" and self.vocabularies:
                raise ExtractionError()
            return super().extract(media, vocabulary)

    note = Attachment("note.wav", espeak("psql says the role deploy does not exist", tmp_path, "-s", "140"))
    extractor = FailsOnSecondListen(matcher.extractor)
    answer = Matcher(matcher.settings, matcher.embedder, extractor, matcher.index).match(Query(attachments=(note,)))
    assert len(extractor.vocabularies) == 1 and answer.inputs[0].error is None
    assert answer.best is not None and answer.best.bug.id == "psql-role-missing"


def test_unreadable_file_is_reported_and_the_rest_answered(matcher: Matcher) -> None:
    answer = matcher.match(
        Query(
            text="psql says role deploy does not exist",
            attachments=(Attachment("broken.png", b"\x89PNG\r\n\x1a\n\x00\x00garbage"),),
        )
    )
    assert answer.best is not None and answer.best.bug.id == "psql-role-missing"
    broken = [i for i in answer.inputs if i.name == "broken.png"][0]
    assert broken.error and "could not be read" in broken.error


def test_nothing_usable_gives_no_match_with_the_reason(matcher: Matcher) -> None:
    answer = matcher.match(Query(text="\x00\x07  ", attachments=(Attachment("empty.png", b""),)))
    assert answer.decision == "no_match" and answer.matches == ()
    assert answer.inputs[0].error


def test_a_picture_a_recording_or_a_note_in_which_no_word_is_read_asks_for_a_better_copy(matcher: Matcher) -> None:
    plant = Attachment("plant.png", png_bytes(textless_picture()), "image/png")
    filmed = Attachment("plant.mp4", encode_video([(textless_picture(), 2.0)]), "video/mp4")
    silence = Attachment("note.wav", wav_bytes(np.zeros(32_000, dtype=np.float32)), "audio/wav")
    answer = matcher.match(Query(attachments=(plant, filmed, silence)))
    assert answer.decision == "no_match" and answer.matches == ()
    assert [i.error for i in answer.inputs] == [NOTHING_READ["image"], NOTHING_READ["recording"], NOTHING_READ["audio"]]
    assert [i.text for i in answer.inputs] == ["", "", ""]  # a stray letter read in the plant is not searched
    beside = matcher.match(Query(text="psql says role deploy does not exist", attachments=(plant,)))
    assert beside.best is not None and beside.best.bug.id == "psql-role-missing"
    assert beside.inputs[-1].error == NOTHING_READ["image"]


def test_a_screen_read_unsurely_is_named_with_what_would_help_when_the_answer_is_not_a_match(
    matcher: Matcher, tmp_path: Path
) -> None:
    lines = ["ops@web-3:~$ curl -sS http://127.0.0.1:9000/api", "curl: (7) Failed to connect to 127.0.0.1 port 9000"]
    clean = screenshot(tmp_path, lines)
    page = Image.open(io.BytesIO(clean.data)).convert("RGB")
    forwarded = io.BytesIO()  # shrunk to a quarter and compressed hard, as a chat app's copy of a copy
    page.resize((page.width // 4, page.height // 4), Image.Resampling.BILINEAR).save(forwarded, "JPEG", quality=20)
    unsure = matcher.match(Query(attachments=(Attachment("forwarded.jpg", forwarded.getvalue(), "image/jpeg"),)))
    assert unsure.decision != "match" and unsure.inputs[0].screen_legibility < matcher.settings.unclear_reading
    assert unsure.inputs[0].note == HARD_TO_READ
    assert matcher.match(Query(attachments=(clean,))).inputs[0].note is None
    quiet = matcher.settings.model_copy(update={"unclear_reading": 0.0})
    never = Matcher(quiet, matcher.embedder, matcher.extractor, matcher.index)
    assert never.match(Query(attachments=(Attachment("forwarded.jpg", forwarded.getvalue()),))).inputs[0].note is None


def test_unrelated_query_is_not_a_confident_match(matcher: Matcher) -> None:
    answer = matcher.match(Query(text="how do I change my profile picture in the mobile app"))
    assert answer.decision != "match"


def test_native_image_search_with_a_multimodal_model(
    tmp_path: Path, sample_knowledge: Path, tiny_clip: Path, shared_models: dict
) -> None:
    settings = Settings(knowledge_dir=sample_knowledge, data_dir=tmp_path, embed_model=str(tiny_clip), ocr=False)
    embedder = Embedder(settings)
    assert embedder.supports("image")
    shipped = load_model(Settings())
    model = replace(shipped, fit=replace(shipped.fit, embedder=str(tiny_clip)))  # as if calibrated with this model
    matcher = build_matcher(settings, embedder, Extractor(settings), model=model)
    table = matcher.index.open_table()
    assert "image_vector" in table.schema.names
    kb_image = sample_knowledge / "python-no-module-yaml" / "screenshot.png"
    answer = matcher.match(Query(attachments=(Attachment("same.png", kb_image.read_bytes()),)))
    assert answer.best is not None and answer.best.bug.id == "python-no-module-yaml"
    assert answer.best.evidence[0].source == "screenshot.png"


def test_reranker_decides_the_final_order(
    tmp_path: Path, sample_knowledge: Path, tiny_cross_encoder: Path, shared_models: dict
) -> None:
    settings = Settings(knowledge_dir=sample_knowledge, data_dir=tmp_path, rerank_model=str(tiny_cross_encoder))
    reranker = Reranker(settings)
    matcher = build_matcher(settings, shared_models["embedder"], shared_models["extractor"], reranker)
    query = "nginx bad gateway 502 on the server"
    answer = matcher.match(Query(text=query))
    ids = [m.bug.id for m in answer.matches]
    bugs = matcher.index.snapshot().bugs(ids)
    scores = reranker.model.predict([(query, bugs[i].doc_text) for i in ids])
    assert ids == [i for _, i in sorted(zip(scores, ids, strict=True), key=lambda p: -p[0])]


class CountingEmbedder:
    """The real embedder, noting every text it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def encode_texts(self, texts: list[str]) -> object:
        self.texts += texts
        return self.inner.encode_texts(texts)


def test_each_view_is_embedded_once_even_after_a_second_listen(matcher: Matcher, tmp_path: Path) -> None:
    note = Attachment("note.wav", espeak("psql says the role deploy does not exist", tmp_path, "-s", "140"))
    shot = screenshot(tmp_path, ["$ psql -d orders", 'FATAL:  role "deploy" does not exist'])
    counting = CountingEmbedder(matcher.embedder)
    again = Matcher(matcher.settings, counting, matcher.extractor, matcher.index)  # type: ignore[arg-type]
    answer = again.match(Query(attachments=(shot, note)))
    assert answer.best is not None and answer.best.bug.id == "psql-role-missing"
    heard = answer.inputs[1].text
    assert "\n" in heard, "the voice note was heard twice"
    assert len(counting.texts) == len(set(counting.texts)), "no view is embedded twice"
    assert sum(answer.inputs[0].text == t for t in counting.texts) == 1, "the screenshot's view is searched once"


def test_screen_text_is_also_searched_by_its_letter_trigrams_and_typed_text_is_not(
    matcher: Matcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searched: list[list[str]] = []
    trigrams = Snapshot.trigrams

    def watched(self: Snapshot, grams: str, limit: int, where: str | None = None) -> list[Hit]:
        hits = trigrams(self, grams, limit, where)
        searched.append([h.bug_id for h in hits])
        return hits

    monkeypatch.setattr(Snapshot, "trigrams", watched)
    misread = ["$ python tool.py", "ModuieNotFcundErrr: Nc modle narned yamI"]
    answer = matcher.match(Query(attachments=(screenshot(tmp_path, misread),)))
    assert answer.best is not None and answer.best.bug.id == "python-no-module-yaml"
    assert searched and all(found[0] == "python-no-module-yaml" for found in searched)
    searched.clear()
    matcher.match(Query(text=" ".join(misread)))
    assert searched == [], "typed words are spelled as meant: no trigram search"
    off = Matcher(
        matcher.settings.model_copy(update={"gram_search": False}), matcher.embedder, matcher.extractor, matcher.index
    )
    off.match(Query(attachments=(screenshot(tmp_path, misread),)))
    assert searched == []


def test_knowledge_statistics_are_derived_when_a_snapshot_opens(matcher: Matcher) -> None:
    snapshot = matcher.index.snapshot()
    assert snapshot.derived is not None and set(snapshot.derived.stats.bugs) == set(SAMPLE_BUGS)
    assert snapshot.derived.vocabulary and set(snapshot.bugs(list(SAMPLE_BUGS))) == set(SAMPLE_BUGS)


def test_a_model_that_reads_the_cross_encoder_score_orders_the_fused_candidates_itself(
    tmp_path: Path, sample_knowledge: Path, tiny_cross_encoder: Path, shared_models: dict
) -> None:
    settings = Settings(knowledge_dir=sample_knowledge, data_dir=tmp_path, rerank_model=str(tiny_cross_encoder))
    shipped = load_model(Settings())
    reads = replace(shipped, features=(*shipped.features, "rerank"), ranking={**shipped.ranking, "rerank": 0.0})
    plain = build_matcher(settings, shared_models["embedder"], shared_models["extractor"], model=shipped)
    query = Query(text="nginx bad gateway 502 on the server")
    fused = [m.bug.id for m in plain.match(query).matches]
    matcher = Matcher(settings, plain.embedder, plain.extractor, plain.index, Reranker(settings), model=reads)
    answer = matcher.match(query)
    assert [m.bug.id for m in answer.matches] == fused, "the same candidates in the same order: the score weighs 0 here"
    assert all(0.0 < m.features["rerank"] < 1.0 for m in answer.matches)


@pytest.mark.parametrize("fmt", ["mp4", "gif"])
def test_a_screen_recording_is_read_as_one_input_with_its_moment(matcher: Matcher, fmt: str) -> None:
    error = terminal_screen(["ops@web-3:~$ psql -d orders", 'psql: FATAL: role "deploy" does not exist'])
    screens = [(terminal_screen(["ops@web-3:~$ ls"]), 1.5), (error, 2.5)]
    if fmt == "gif":  # an animated capture (Kap, Peek, ScreenToGif), each frame with its own delay
        out = io.BytesIO()
        screens[0][0].save(out, "GIF", save_all=True, append_images=[error], duration=[1500, 2500], loop=0)
        data = out.getvalue()
    else:
        data = encode_video(screens)
    mime = "image/gif" if fmt == "gif" else "video/mp4"
    answer = matcher.match(Query(attachments=(Attachment(f"screen.{fmt}", data, mime),)))
    assert answer.best is not None and answer.best.bug.id == "psql-role-missing"
    (item,) = answer.inputs
    assert item.kind == "recording" and "does not exist" in item.screen_text and item.image is None
    assert any(line.at == pytest.approx(1.5, abs=0.3) for line in item.lines if "FATAL" in line.text)
    assert "recording" in answer.timings_ms


def test_a_log_file_a_fenced_code_block_and_a_log_pasted_unfenced_are_read_as_snippets(matcher: Matcher) -> None:
    noise = "\n".join(f"2026-11-02T10:00:{i % 60:02d}Z INFO tick {i}" for i in range(300))
    log = f'{noise}\n$ python tool.py\nTraceback (most recent call last):\n  File "tool.py", line 1\n    import yaml\n'
    log += "ModuleNotFoundError: No module named 'yaml'\n" + noise
    answer = matcher.match(Query(attachments=(Attachment("run.log", log.encode(), "text/plain"),)))
    assert answer.best is not None and answer.best.bug.id == "python-no-module-yaml"
    assert answer.inputs[0].kind == "snippet" and "tick" not in answer.inputs[0].text
    pasted = matcher.match(Query(text=f"tool broke, log:\n```\n{log}```"))
    assert pasted.best is not None and pasted.best.bug.id == "python-no-module-yaml"
    assert [(i.name, i.kind) for i in pasted.inputs] == [("message", "text"), ("code block 1", "snippet")]
    unfenced = matcher.match(Query(text=f"tool broke, log:\n{log}"))  # longer than `max_text_chars`, error inside
    assert len(unfenced.inputs) == 2 and unfenced.inputs[1].name == "pasted log"
    assert unfenced.inputs[0].text == "tool broke, log:" and "No module named 'yaml'" in unfenced.inputs[1].text
    assert unfenced.best is not None and unfenced.best.bug.id == "python-no-module-yaml"


def test_docker_compose_output_pasted_unfenced_is_read_as_the_service_printed_it(matcher: Matcher) -> None:
    services = ["db-1      | ", "worker-1  | ", "api-1     | "]
    noise = [f"{services[i % 3]}2026-11-02T10:00:{i % 60:02d}Z INFO tick {i}" for i in range(200)]
    failure = ["Traceback (most recent call last):", '  File "tool.py", line 1', "    import yaml"]
    failure.append("ModuleNotFoundError: No module named 'yaml'")
    log = "\n".join([*noise, *(services[2] + line for line in failure), "api-1 exited with code 1", *noise[:40]])
    answer = matcher.match(Query(text=f"after docker compose up:\n{log}"))
    assert [(i.name, i.kind) for i in answer.inputs] == [("message", "text"), ("pasted log", "snippet")]
    assert answer.inputs[1].text == "\n".join(line.strip() for line in failure)
    assert answer.best is not None and answer.best.bug.id == "python-no-module-yaml"


def test_a_log_of_json_records_is_read_as_its_logger_prints_it(matcher: Matcher) -> None:
    ticks = [json.dumps({"level": "info", "ts": 1764669600 + i, "msg": f"tick {i}"}) for i in range(300)]
    failure = 'Traceback (most recent call last):\n  File "tool.py", line 1\n    import yaml\n'
    failure += "ModuleNotFoundError: No module named 'yaml'"
    record = json.dumps({"level": "error", "ts": 1764669900, "msg": "job failed", "error": failure})
    log = "\n".join([*ticks, record, *ticks[:50]])
    answer = matcher.match(Query(attachments=(Attachment("worker.jsonl", log.encode(), "application/x-ndjson"),)))
    assert answer.best is not None and answer.best.bug.id == "python-no-module-yaml"
    assert answer.inputs[0].kind == "snippet" and "No module named 'yaml'" in answer.inputs[0].text
    assert "tick" not in answer.inputs[0].text and "\\n" not in answer.inputs[0].text


def test_a_support_bundle_is_answered_by_the_log_that_shows_the_failure(matcher: Matcher) -> None:
    ticks = "".join(f"2026-11-30T10:{i // 60:02d}:{i % 60:02d}Z INFO tick {i}\n" for i in range(300))
    failure = 'Traceback (most recent call last):\n  File "tool.py", line 1\n    import yaml\n'
    failure += "ModuleNotFoundError: No module named 'yaml'\n"
    files = {
        "bundle/config/app.yaml": "server:\n  timeout: 30s\nretries: 3\nerror_log: logs/error.log\n",
        "bundle/logs/mail.log": ticks + "2026-11-30T10:05:00Z ERROR smtp: 421 4.7.0 Try again later\n",
        "bundle/logs/app.log": ticks + failure + ticks[:600],
    }
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, text in files.items():
            entry = tarfile.TarInfo(name)
            entry.size = len(text.encode())
            archive.addfile(entry, io.BytesIO(text.encode()))
    answer = matcher.match(Query(attachments=(Attachment("bundle.tar.gz", out.getvalue(), "application/gzip"),)))
    assert answer.best is not None and answer.best.bug.id == "python-no-module-yaml"
    assert answer.inputs[0].kind == "snippet" and "No module named 'yaml'" in answer.inputs[0].text
    assert "tick" not in answer.inputs[0].text


def test_files_past_the_per_ask_cap_are_named_as_skipped(matcher: Matcher, tmp_path: Path) -> None:
    shots = [screenshot(tmp_path, ["curl: (7) Failed to connect: Connection refused"], f"s{n}.png") for n in range(6)]
    answer = matcher.match(Query(attachments=tuple(shots)))
    assert [i.error is None for i in answer.inputs] == [True] * 4 + [False] * 2
    assert all("only the first 4 files" in (i.error or "") for i in answer.inputs[4:])
    assert all(i.image is None for i in answer.inputs)  # decoded images are not kept once read


def test_a_status_heard_as_for_and_two_digits_is_read_as_the_status_in_speech_only(matcher: Matcher) -> None:
    """tiny.en writes "five oh two" as 502 but "four twenty-nine" as "for 29"; what someone typed is left as typed."""
    from bot.records import QueryInput, TextLine

    said = "since the newsletter the shop shows for 29 too many requests"
    heard = matcher.spoken(QueryInput("note.m4a", "audio", said, (TextLine(said, 0.6, "speech"),)))
    assert heard.text == heard.lines[0].text == "since the newsletter the shop shows 429 too many requests"
    assert matcher.spoken(QueryInput("message", "text", said)).text == said


def test_context_inputs_are_searched_with_the_new_ones(matcher: Matcher) -> None:
    from bot.records import QueryInput, TextLine

    vague = matcher.match(Query(text="it happens again since this morning"))
    shown = 'psql: error: FATAL: role "deploy" does not exist'
    earlier = QueryInput("shot.png", "image", shown, (TextLine(shown, 0.95, "screen"),))
    followed = matcher.match(Query(text="it happens again since this morning", context=(earlier,)))
    assert followed.best is not None and followed.best.bug.id == "psql-role-missing"
    assert followed.decision != "no_match" and vague.confidence < followed.confidence
    assert [i.name for i in followed.inputs] == ["message", "shot.png"], "context comes after the new inputs"


def test_a_screenshot_that_shows_no_error_beside_one_that_does_is_not_searched(
    matcher: Matcher, tmp_path: Path
) -> None:
    """People post the failing screen with the code they were editing; the code's words pulled the answer to
    whatever bug they named."""
    failing = screenshot(
        tmp_path, ["$ psql -d orders", 'psql: error: FATAL:  role "deploy" does not exist'], "error.png"
    )
    editor = screenshot(
        tmp_path,
        [
            "import yaml",
            "def load_config(path):",
            "    with open(path) as handle:",
            "        return yaml.safe_load(handle)",
            "config = load_config('tool.yaml')  # python tool.py",
            "import yaml  # PyYAML module for the tool",
        ],
        "editor.png",
    )
    for attachments in ((editor, failing), (failing, editor)):
        answer = matcher.match(Query(attachments=attachments))
        assert answer.best is not None and answer.best.bug.id == "psql-role-missing"
        assert {i.name for i in answer.inputs} == {"error.png", "editor.png"}  # the reply still lists both
        assert all(e.query_input.startswith("error.png") for m in answer.matches for e in m.evidence)


def test_a_desktop_whose_log_tail_shows_other_errors_is_answered_by_the_failing_window(matcher: Matcher) -> None:
    """The log's errors (a timed-out job, a mail server's refusal) read together with the terminal's drowned it:
    each window is also searched alone, and the one the knowledge base knows answers."""
    from PIL import Image

    desk = Image.new("RGB", (2560, 1440), (40, 70, 110))
    log = ["10:41:03 ERROR job nightly-report failed: timeout after 30s", "10:41:07 ERROR smtp: 421 try again later"]
    desk.paste(terminal_screen(log * 3, (1000, 400), 18), (40, 80))
    desk.paste(terminal_screen(["$ psql -d orders", 'psql: error: FATAL:  role "deploy" does not exist']), (1300, 700))
    out = io.BytesIO()
    desk.save(out, "PNG")
    message = "db is down, getting this"
    counting = CountingEmbedder(matcher.embedder)
    again = Matcher(matcher.settings, counting, matcher.extractor, matcher.index)  # type: ignore[arg-type]
    answer = again.match(Query(message, (Attachment("desktop.png", out.getvalue(), "image/png"),)))
    assert answer.best is not None and answer.best.bug.id == "psql-role-missing"
    assert answer.decision == "match"
    assert "nightly-report" in answer.inputs[1].text and "does not exist" in answer.inputs[1].text  # listed whole
    assert len(counting.texts) == len(set(counting.texts)), "no view is embedded twice over the readings"
    assert sum(message in t for t in counting.texts) == 3  # the message with the desktop, then with each window


def test_a_file_that_could_not_be_read_is_named_by_the_kind_its_type_suggests() -> None:
    from bot.matcher import guess_kind

    archives = ["application/zip", "application/x-zip-compressed", "application/gzip", "application/x-tar"]
    assert [guess_kind(mime) for mime in archives] == ["snippet"] * 4
    assert [guess_kind(m) for m in ("video/mp4", "audio/ogg", "text/plain", None)] == [
        "recording",
        "audio",
        "snippet",
        "image",
    ]
