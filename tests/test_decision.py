"""bot.decision: the logistic confidence and the thresholds."""

from bot.decision import QueryText, confidence, decide, feature_vector
from bot.lexicon import Lexicon
from bot.records import Candidate
from bot.settings import Settings

NGINX_503 = "503 Service Temporarily Unavailable\nnginx/1.22.1"
CHROME_503 = "This page isn't working\nlocalhost is currently unable to handle this request.\nHTTP ERROR 503\nReload"


def test_covering_more_of_the_query_raises_the_confidence_with_the_shipped_weights() -> None:
    settings = Settings()
    base = {"dense": 0.85, "fts": 1.0, "screen": 1.0, "screen_f1": 0.8, "codes_shared": 1.0}
    assert 0.0 < confidence({**base, "coverage": 0.5}, settings) < confidence({**base, "coverage": 0.9}, settings) < 1.0
    assert confidence({**base, "codes_clash": 1.0}, settings) < confidence(base, settings)


def test_thresholds_map_confidence_to_decisions() -> None:
    settings = Settings(match_threshold=0.8, uncertain_threshold=0.6)
    assert [decide(v, settings) for v in (0.95, 0.8, 0.7, 0.6, 0.1)] == [
        "match",
        "match",
        "uncertain",
        "uncertain",
        "no_match",
    ]


def test_a_screenshot_that_shows_little_of_the_bug_s_screens_costs_confidence() -> None:
    """nginx's own 503 page is not Chrome's HTTP ERROR 503 page, though both say 503."""
    lexicon = Lexicon([CHROME_503 + " chrome 503", NGINX_503 + " nginx 503", "git detached head"])
    candidates = [Candidate("chrome-503", 1.0, {"dense": 0.6, "fts": 1.0})]

    def features(screen: str) -> dict[str, float]:
        return feature_vector(candidates, 0, QueryText(screen, screen, False), [("ocr", CHROME_503)], lexicon)

    same, other = features(CHROME_503), features(NGINX_503)
    assert same["screen_overlap_log"] > -0.1 > -1.5 > other["screen_overlap_log"]
    settings = Settings()
    assert confidence(other, settings) < confidence(same, settings)
    typed = feature_vector(candidates, 0, QueryText("503 on the shop", "", False), [("ocr", CHROME_503)], lexicon)
    assert typed["screen_overlap_log"] == 0.0
