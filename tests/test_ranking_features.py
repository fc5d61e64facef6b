"""bot.ranking.features: the registry, and the features that tell a known bug's screen or words from a neighbour's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.ranking.features import FEATURES, QueryText, Scoring, feature_vectors
from bot.ranking.stats import KnowledgeStats
from bot.records import Candidate, QueryInput, TextLine

NGINX_503 = "503 Service Temporarily Unavailable\nnginx/1.22.1"
CHROME_503 = "This page isn't working\nlocalhost is currently unable to handle this request.\nHTTP ERROR 503\nReload"
CHROME_DNS = "This site can't be reached\nCheck if there is a typo in shop.test.\nERR_NAME_NOT_RESOLVED\nReload"
STATS = KnowledgeStats(
    {
        "chrome-503": [("doc", "Chrome HTTP ERROR 503 service unavailable"), ("ocr", CHROME_503)],
        "chrome-dns": [("doc", "Chrome cannot find the server address"), ("ocr", CHROME_DNS)],
        "nginx-404": [("doc", "nginx 404 Not Found"), ("ocr", "404 Not Found\nnginx/1.22.1")],
        "git-head": [("doc", "git detached HEAD"), ("ocr", "You are in 'detached HEAD' state.")],
    }
)
CANDIDATES = [Candidate("chrome-503", 0.03, {"dense": 0.6, "fts": 1.0}), Candidate("nginx-404", 0.02, {"dense": 0.5})]
READ_ALIKE = ("shown_error", "shown_error_recall_log", "shown_f1", "coverage", "explained")
ROOT = Path(__file__).resolve().parent.parent
SLIPPED_SCREEN = """
import json
from tests.test_ranking_features import CHROME_503, QueryText, features
slipped = CHROME_503.replace("working", "workng").replace("unable", "unahle").replace("request", "requast")
print(json.dumps([features(QueryText(screen=text))[0] for text in (CHROME_503, slipped)]))
"""


def features(query: QueryText, candidates: list[Candidate] = CANDIDATES, rejected: dict | None = None) -> list[dict]:
    return feature_vectors(Scoring(candidates, query, STATS, rejected), list(FEATURES))


def test_every_feature_is_registered_with_a_description() -> None:
    assert {"dense", "dense_margin", "coverage", "shown_error", "codes_clash", "rejected", "first"} <= set(FEATURES)
    assert all(f.description.strip() for f in FEATURES.values())


def test_query_text_is_read_by_origin_not_by_input_kind() -> None:
    recording = QueryInput(
        "rec.mp4",
        "recording",
        "…",
        (TextLine("HTTP ERROR 503", 0.9, "screen", 1.5), TextLine("the shop is down", 0.8, "speech", 2.0)),
    )
    pasted = QueryInput("log.txt", "snippet", "…", (TextLine("ERROR upstream timed out", 1.0, "log"),))
    query = QueryText.of([QueryInput("message", "text", "help"), recording, pasted])
    assert (query.typed, query.screen, query.speech, query.log) == (
        "help",
        "HTTP ERROR 503",
        "the shop is down",
        "ERROR upstream timed out",
    )
    assert query.shown == "HTTP ERROR 503\nERROR upstream timed out"


def test_a_screen_that_shows_little_of_the_bug_s_screens_scores_low() -> None:
    """nginx's own 503 page is not Chrome's HTTP ERROR 503 page, though both say 503."""
    same, other = features(QueryText(screen=CHROME_503))[0], features(QueryText(screen=NGINX_503))[0]
    assert same["shown_error_recall_log"] > -0.1 > -1.5 > other["shown_error_recall_log"]
    assert same["shown_error"] > 0.9 > 0.5 > other["shown_error"]
    assert same["shown_f1"] > other["shown_f1"]
    typed = features(QueryText(typed="503 on the shop"))[0]
    assert typed["shown_error_recall_log"] == typed["shown_error"] == typed["has_shown"] == 0.0


def test_an_ocr_slip_in_the_error_code_still_shares_it() -> None:
    candidates = [Candidate("chrome-dns", 0.03, {"dense": 0.7}), Candidate("chrome-503", 0.02, {"dense": 0.6})]
    slipped = CHROME_DNS.replace("ERR_NAME_NOT_RESOLVED", "ERR_NAME_NOT RESOLVED")
    dns, chrome_503 = features(QueryText(screen=slipped), candidates)
    assert (dns["codes_shared"], dns["codes_clash"]) == (1.0, 0.0)
    assert (chrome_503["codes_shared"], chrome_503["codes_clash"]) == (0.0, 1.0)
    assert dns["shown_error"] > 0.9


def test_a_code_shares_only_the_name_it_reads_as_among_look_alike_names() -> None:
    """Chrome's ERR_CONNECTION_RESET page is not the ERR_CONNECTION_REFUSED bug, though the names are 0.89 alike."""
    page = "This site can't be reached\nlocalhost refused to connect.\n{}\nReload"
    stats = KnowledgeStats(
        {
            "refused": [("doc", "Chrome connection refused"), ("ocr", page.format("ERR_CONNECTION_REFUSED"))],
            "reset": [("doc", "Chrome connection reset"), ("ocr", page.format("ERR_CONNECTION_RESET"))],
        }
    )
    candidates = [Candidate("refused", 0.03, {"dense": 0.7}), Candidate("reset", 0.02, {"dense": 0.6})]
    for shown, sharing in (("ERR_CONNECTION_RESET", "reset"), ("ERR_CONNECTI0N_REFUSFD", "refused")):
        scoring = Scoring(candidates, QueryText(screen=page.format(shown)), stats, None)
        found = feature_vectors(scoring, ["codes_shared", "codes_clash"])
        shared = {c.bug_id: f for c, f in zip(candidates, found, strict=True)}
        assert shared[sharing] == {"codes_shared": 1.0, "codes_clash": 0.0}
        assert [f["codes_shared"] for f in found].count(1.0) == 1


def test_a_code_the_knowledge_base_names_exactly_is_not_also_its_look_alike() -> None:
    """An app's own codes, on no list of names programs print: the one read exactly is not the one 0.95 alike."""
    stats = KnowledgeStats(
        {
            "declined": [("doc", "Checkout fails with ERR_PAYMENT_DECLINED")],
            "declined-3ds": [("doc", "Checkout fails with ERR_PAYMENT_DECLINED_3DS")],
        }
    )
    candidates = [Candidate("declined", 0.03, {"dense": 0.7}), Candidate("declined-3ds", 0.02, {"dense": 0.6})]
    for shown, sharing in (("ERR_PAYMENT_DECLINED", [1.0, 0.0]), ("ERR_PAYMENT_DECL1NED_3D5", [0.0, 1.0])):
        scoring = Scoring(candidates, QueryText(screen=f"Checkout failed\n{shown}"), stats, None)
        assert [f["codes_shared"] for f in feature_vectors(scoring, ["codes_shared"])] == sharing


def test_a_name_told_in_words_is_shared_with_the_bug_that_has_it_and_held_against_none() -> None:
    """ "ssl protocol error" names ERR_SSL_PROTOCOL_ERROR; a bug without it does not clash with words people also
    say of other failures."""
    stats = KnowledgeStats(
        {
            "ssl": [("doc", "Chrome ERR_SSL_PROTOCOL_ERROR: site can't provide a secure connection")],
            "dns": [("doc", "Chrome ERR_NAME_NOT_RESOLVED: server address not found")],
            "cert": [("doc", "curl: (60) SSL certificate problem")],
        }
    )
    candidates = [Candidate(bug, 0.03, {"dense": 0.6}) for bug in ("dns", "ssl", "cert")]
    typed, said = "dev server gives ssl protocol error in chrome", "an ssl protocol error"
    for told in (QueryText(typed=typed), QueryText(speech=said)):
        found = feature_vectors(Scoring(candidates, told, stats, None), ["codes_shared", "codes_clash"])
        assert [(f["codes_shared"], f["codes_clash"]) for f in found] == [(0.0, 0.0), (1.0, 0.0), (0.0, 0.0)]
    shown = feature_vectors(Scoring(candidates, QueryText(screen=said), stats, None), ["codes_shared"])
    assert [f["codes_shared"] for f in shown] == [0.0, 0.0, 0.0]  # a screen prints its names; words there are words


def test_a_code_only_heard_clashes_only_when_the_knowledge_base_has_it() -> None:
    """Speech recognition writes a misheard phrase as a name ("EncentationError"): typed or shown it is a code no
    candidate has, heard it is held against none; a heard status the knowledge base has still tells its bug apart."""
    misheard = "EncentationError is no manual call when it starts"
    for query, clashes in (
        (QueryText(speech=misheard), [0.0, 0.0]),
        (QueryText(typed=misheard), [1.0, 1.0]),
        (QueryText(speech=misheard, screen=CHROME_503), [0.0, 1.0]),
        (QueryText(speech="the shop just says 404 not found"), [1.0, 0.0]),
    ):
        assert [f["codes_clash"] for f in features(query)] == clashes


def test_a_kind_of_failure_told_that_the_bug_never_names_clashes() -> None:
    """ "curl times out" is not curl's refused connection; a kind the bug names, or none told, clashes with nothing,
    and a screen's words are shown, not told."""
    stats = KnowledgeStats(
        {
            "refused": [("doc", "curl: (7) Failed to connect to backend port 9091: Connection refused")],
            "timeout": [("doc", "curl: (28) Operation timed out after 2001 milliseconds with 0 bytes received")],
        }
    )
    candidates = [Candidate("refused", 0.03, {"dense": 0.7}), Candidate("timeout", 0.02, {"dense": 0.6})]

    def clash(query: QueryText) -> list[float]:
        return [f["failure_clash"] for f in feature_vectors(Scoring(candidates, query, stats), ["failure_clash"])]

    assert clash(QueryText(speech="curl gives up after two seconds, the operation times out")) == [1.0, 0.0]
    assert clash(QueryText(typed="curl says connection refused")) == [0.0, 1.0]
    assert clash(QueryText(typed="curl fails on the backup host")) == [0.0, 0.0]
    assert clash(QueryText(screen="curl: (28) Operation timed out")) == [0.0, 0.0]
    names = "curl --connect-timeout 2 https://api.test/timeout-check says connection refused, timeout=5 in timeout.env"
    assert clash(QueryText(typed=names)) == [0.0, 1.0], "a setting's, a file's or an address's name tells no failure"


GIT_MERGE = """dev@laptop:~/billing$ git pull origin main
error: Your local changes to the following files would be overwritten by merge:
        index.html
Please commit your changes or stash them before you merge.
Aborting
Updating 9a8b8f1..da63e9d"""
GIT_CHECKOUT = """dev@laptop:~/billing$ git checkout dev
error: Your local changes to the following files would be overwritten by checkout:
        docker-compose.yml
Please commit your changes or stash them before you switch branches.
Aborting"""


def test_a_screen_printing_the_bug_s_lines_with_other_names_and_hashes_shows_its_lines() -> None:
    """git's merge refusal, cropped, on another machine, naming the file the checkout bug's screenshot happens to
    show: the merge bug's screen prints every one of its lines (the names, hashes and prompt masked), the checkout
    one's not its last two; its text when a bug has no screenshot; nothing when nothing was shown."""
    stats = KnowledgeStats(
        {
            "merge": [("doc", "git pull: local changes would be overwritten by merge"), ("ocr", GIT_MERGE)],
            "checkout": [("doc", "git checkout: local changes would be overwritten"), ("ocr", GIT_CHECKOUT)],
            "described": [
                (
                    "doc",
                    "git pull fails with 'error: Your local changes to the following files would be overwritten "
                    "by merge: <file> Please commit your changes or stash them before you merge. Aborting'",
                )
            ],
        }
    )
    candidates = [Candidate(bug, 0.03, {"dense": 0.5}) for bug in ("checkout", "merge", "described")]
    cropped = """error: Your local changes to the following files would be overwri
        docker-compose.yml
Please commit your changes or stash them before you merge.
Aborting
Updating 53604f0..a52ebb6
ci@runner-7:~/site$"""

    def alike(query: QueryText) -> list[float]:
        return [f["shown_lines"] for f in feature_vectors(Scoring(candidates, query, stats), ["shown_lines"])]

    checkout, merge, described = alike(QueryText(screen=cropped))
    assert merge > 0.95 > 0.9 > checkout
    assert merge > described > checkout
    assert alike(QueryText(log=GIT_MERGE))[1] == 1.0
    assert alike(QueryText(typed="git pull says my local changes would be overwritten by merge")) == [0.0] * 3


def test_margins_are_to_the_best_other_candidate_and_first_is_fusion_s_order() -> None:
    top, second = features(QueryText(typed="chrome 503"))
    assert round(top["dense_margin"], 6) == 0.1 and round(second["dense_margin"], 6) == -0.1
    assert (top["first"], second["first"]) == (1.0, 0.0)


def test_coverage_weighs_rare_words_and_ignores_words_no_bug_uses() -> None:
    top, second = features(QueryText(typed="chrome service unavailable wibble"))
    assert top["coverage"] == 1.0 and second["coverage"] == 0.0


def test_rejected_reads_the_not_it_similarity() -> None:
    top, second = features(QueryText(typed="chrome 503"), rejected={"nginx-404": 0.97})
    assert (top["rejected"], second["rejected"]) == (0.0, 0.97)


def test_explained_weighs_words_no_bug_uses_by_how_rare_they_are_in_english() -> None:
    """A rare word no bug explains ("pg_hba") leaves much unexplained; a common one ("during") little."""
    rare, common = features(QueryText(typed="chrome 503 pg_hba")), features(QueryText(typed="chrome 503 during"))
    assert 0.3 < rare[0]["explained"] < 0.7 and common[0]["explained"] == 1.0
    assert rare[0]["told"] > common[0]["told"] > features(QueryText(typed="chrome"))[0]["told"] > 0.0
    shown = features(QueryText(screen=NGINX_503 + "\nsome-host.lan ~/reports"))[0]
    assert shown["explained"] == features(QueryText(screen=NGINX_503))[0]["explained"], "only the error lines count"


def test_legibility_is_the_recognisers_confidence_by_length_and_1_for_typing() -> None:
    screen = QueryInput("s.png", "image", "…", (TextLine("HTTP ERROR 503", 0.5), TextLine("ok", 1.0)))
    assert round(QueryText.of([screen]).legibility, 4) == round((0.5 * 14 + 2) / 16, 4)
    assert QueryText.of([QueryInput("message", "text", "help")]).legibility == 1.0
    assert features(QueryText(typed="chrome 503", legibility=0.4))[0]["legible"] == 0.4


def test_confirmed_reads_the_similarity_to_a_learned_example() -> None:
    repeated = [Candidate("chrome-503", 0.03, {"dense": 0.99, "confirmed": 0.99}), Candidate("nginx-404", 0.02, {})]
    top, second = features(QueryText(typed="chrome 503"), repeated)
    assert (top["confirmed"], second["confirmed"]) == (0.99, 0.0)


def test_a_screen_cropped_to_the_error_lines_still_shows_all_of_its_bug_s_error() -> None:
    """git's merge and checkout refusals differ in one word of their error line; a capture cropped to the error
    shows little of the merge screen's `git pull` output, yet all of its error line (the checkout screen, shorter
    and naming the same file, is the more alike as a whole)."""
    merge = "$ git pull origin main\nFrom /srv/lumen\n* branch main -> FETCH_HEAD\n" + (
        "error: Your local changes to the following files would be overwritten by merge:\nindex.html\n"
        "Please commit your changes or stash them before you merge.\nAborting\nUpdating 9a8b8f1..da63e9d"
    )
    checkout = "$ git checkout dev\nerror: Your local changes to the following files would be overwritten by " + (
        "checkout:\ndocker-compose.yml\nPlease commit your changes or stash them before you switch branches.\nAborting"
    )
    stats = KnowledgeStats({"merge": [("ocr", merge)], "checkout": [("ocr", checkout)]})
    cropped = merge.replace("index.html", "docker-compose.yml").split("\n", 3)[3].replace("merge:", "m")
    candidates = [Candidate("checkout", 0.03, {}), Candidate("merge", 0.02, {})]
    scoring = Scoring(candidates, QueryText(screen=cropped), stats)
    by_checkout, by_merge = feature_vectors(scoring, list(FEATURES))
    assert by_merge["shown_error_recall_log"] > by_checkout["shown_error_recall_log"]
    (checkout_recall, _), (merge_recall, _) = scoring.shown_match
    assert merge_recall < checkout_recall, "of the whole screens, more of checkout's is shown"


def test_words_misread_by_a_letter_count_as_the_candidates_words() -> None:
    slipped = CHROME_503.replace("working", "workng").replace("unable", "unahle").replace("request", "requast")
    scoring = Scoring(CANDIDATES, QueryText(screen=slipped), STATS)
    assert scoring.spelling == {"workng": "worklng", "unahle": "unable", "requast": "request"}  # folded: i is l
    clean, read = features(QueryText(screen=CHROME_503))[0], features(QueryText(screen=slipped))[0]
    for name in READ_ALIKE:
        assert read[name] == clean[name]


def test_a_typed_slip_of_the_fingers_counts_as_the_candidates_word_but_a_typed_english_word_stays() -> None:
    """A typed "requests" is English as typed, so meant, not the bug's "request"; "workng" and "hnadle" are slips."""
    typed = "my page isnt workng and requests hnadle badly"
    scoring = Scoring(CANDIDATES, QueryText(typed=typed, speech="it is unahle"), STATS)
    assert scoring.spelling == {"workng": "worklng", "hnadle": "handle", "unahle": "unable"}
    clean = features(QueryText(typed="my page isnt working and requests handle badly"))[0]
    read = features(QueryText(typed=typed))[0]
    assert (read["coverage"], read["explained"]) == (clean["coverage"], clean["explained"])


def test_the_features_do_not_depend_on_the_order_python_hashes_words_in() -> None:
    """Sums run over word sets, whose order is the string hash's: they are exact, so a screen read right (its
    misread words respelled) is worth exactly what the clean one is, under any hash seed (62 and 128 split
    plain sums by a bit)."""
    readings = set()
    for seed in ("0", "62", "128"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", SLIPPED_SCREEN], cwd=ROOT, env=env, capture_output=True, check=True
        )
        readings.add(done.stdout.strip())
    clean, read = json.loads(readings.pop())
    assert not readings, "the same features under every hash seed"
    assert {name: read[name] for name in READ_ALIKE} == {name: clean[name] for name in READ_ALIKE}


def test_letter_trigrams_count_words_misread_by_more_than_a_letter() -> None:
    """`unavaiIabel` and `reqest`... are two slips from the bug's words (no respelling), yet share most trigrams."""
    candidates = [Candidate("nginx-404", 0.03, {"dense": 0.6}), Candidate("chrome-503", 0.02, {"dense": 0.5})]
    nginx, chrome = features(QueryText(typed="service unavaiIabel, cant handel the reqest"), candidates)
    assert chrome["told_grams"] > 0.4 > nginx["told_grams"]
    assert chrome["explained"] < chrome["told_grams"]
    shown = features(QueryText(screen="localhost is curentIy unabel to handel this reqest. HTTP EROR 503"), candidates)
    assert shown[1]["shown_error_grams"] > 0.6 > 0.3 > shown[0]["shown_error_grams"]
    assert features(QueryText(typed="503"), candidates)[1]["shown_error_grams"] == 0.0
