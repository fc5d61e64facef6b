"""bot.decision: the logistic confidence and the thresholds."""

from bot.decision import confidence, decide
from bot.settings import Settings


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
