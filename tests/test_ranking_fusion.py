"""bot.ranking.fusion: which texts a query searches, and how per-view rankings become candidates with evidence."""

from bot.index import Hit
from bot.ranking.fusion import Ranking, View, fuse, query_views, readings, shortlist, the_failure
from bot.records import QueryInput, TextLine

SCREEN = (
    "deploy@prod-app-2:~/reports$ psql -h db.internal -U grafana shop\n"
    'psql: error: connection to server at "db.internal" (10.20.0.15), port 5432 failed:\n'
    'FATAL: password authentication failed for user "grafana"\n'
    "deploy@prod-app-2:~/reports$"
)


def test_a_screenshot_is_searched_whole_and_as_its_error_template() -> None:
    views = query_views([QueryInput("shot.png", "image", SCREEN), QueryInput("message", "text", "db is down")])
    assert [v.input_name for v in views] == ["shot.png", "shot.png (error lines)", "all inputs"]
    template = views[1]
    assert "password authentication failed" in template.text
    assert "db.internal" not in template.text and "10.20.0.15" not in template.text
    assert template.shown == SCREEN


def test_a_message_alone_is_searched_as_it_is() -> None:
    assert [(v.input_name, v.text) for v in query_views([QueryInput("message", "text", "502 on checkout")])] == [
        ("message", "502 on checkout")
    ]


def test_evidence_quotes_the_user_s_line_even_when_the_template_matched() -> None:
    template = query_views([QueryInput("shot.png", "image", SCREEN)])[1]
    known = 'FATAL: password authentication failed for user "alice"'
    hits = [Hit("pg-password", "ocr", "screenshot.png", known, 0.9), Hit("pg-role", "ocr", "s.png", "role", 0.5)]
    candidates = fuse([Ranking(template, "dense", hits)], rrf_k=60)
    assert [c.bug_id for c in candidates] == ["pg-password", "pg-role"]
    evidence = candidates[0].evidence[0]
    assert evidence.line == 'FATAL: password authentication failed for user "grafana"'
    assert evidence.query_text == SCREEN


def test_a_learned_example_the_query_repeats_is_read_as_confirmed() -> None:
    view = query_views([QueryInput("message", "text", "the cloud icon turns red")])[0]
    hits = [
        Hit("sync-down", "example", "example-1", "the cloud icon turns red", 0.99),
        Hit("sync-down", "doc", "bug.md", "Sync stops", 0.5),
        Hit("disk-full", "doc", "bug.md", "Disk full", 0.4),
    ]
    candidates = fuse([Ranking(view, "dense", hits)], rrf_k=60)
    assert [(c.bug_id, c.features["confirmed"]) for c in candidates] == [("sync-down", 0.99), ("disk-full", 0.0)]


def screen_input(name: str, text: str) -> QueryInput:
    return QueryInput(name, "image", text, tuple(TextLine(line, 0.95) for line in text.splitlines()))


def test_screens_that_show_no_error_are_left_out_only_beside_one_that_does() -> None:
    failing, code = screen_input("error.png", SCREEN), screen_input("editor.png", "import yaml\ndef load(path):")
    chat = screen_input("chat.png", "# team-web\nPriya: deploy went fine")
    message, log = QueryInput("message", "text", "prod is down"), QueryInput("pasted log", "snippet", "INFO ok")
    assert the_failure([message, code, failing, chat, log]) == [message, failing, log]
    assert the_failure([code, chat]) == [code, chat]  # no screen shows an error: every one is searched
    other = screen_input("second.png", "curl: (7) Failed to connect to db port 5432")
    assert the_failure([failing, other]) == [failing, other]


def test_a_screen_with_failures_in_windows_side_by_side_is_also_read_one_window_at_a_time() -> None:
    lines = (
        TextLine("10:41:07 ERROR smtp: 421 try again later", 0.9, window=1),
        TextLine('FATAL: role "deploy" does not exist', 0.9, window=2),
        TextLine("HINT: create the role first", 0.9, window=2),
    )
    desktop = QueryInput("desktop.png", "image", "\n".join(line.text for line in lines), lines)
    message = QueryInput("message", "text", "db is down")
    whole, log, terminal = readings([message, desktop])
    assert whole == [message, desktop]
    assert log[0] is message and log[1].text == "10:41:07 ERROR smtp: 421 try again later"
    assert terminal[1].text == 'FATAL: role "deploy" does not exist\nHINT: create the role first'
    assert terminal[1].lines == lines[1:]
    one_window = screen_input("shot.png", SCREEN)
    assert readings([message, one_window]) == [[message, one_window]]


def test_a_bug_only_the_trigram_search_puts_first_is_shortlisted_beyond_the_fused_few() -> None:
    screen = View("thumb.jpg", "Your fe coutdt't be sccessed", kind="image")
    hit = lambda bug, score: Hit(bug, "ocr", "s.png", bug, score)  # noqa: E731
    others = [hit(f"bug-{n}", 1.0 - n / 10) for n in range(6)]
    rankings = [
        Ranking(screen, "dense", others),
        Ranking(screen, "fts", others),
        Ranking(screen, "grams", [hit("file-not-found", 9.0), *others[:3]]),
    ]
    candidates = fuse(rankings, rrf_k=60)
    assert [c.bug_id for c in candidates[:5]] == ["bug-0", "bug-1", "bug-2", "bug-3", "bug-4"]
    assert [c.bug_id for c in shortlist(candidates, rankings, 5)] == [
        "bug-0",
        "bug-1",
        "bug-2",
        "bug-3",
        "bug-4",
        "file-not-found",
    ]
    other_view = View("thumb.jpg (error lines)", "coutdt't be sccessed", kind="image")
    words_only = [*rankings[:2], Ranking(other_view, "dense", [hit("dense-only", 0.9)])]
    fused = fuse(words_only, rrf_k=60)
    assert "dense-only" in [c.bug_id for c in fused[5:]]
    assert [c.bug_id for c in shortlist(fused, words_only, 5)] == [c.bug_id for c in fused[:5]], (
        "only a trigram search's first widens the shortlist"
    )
