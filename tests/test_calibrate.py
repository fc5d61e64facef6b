"""bot.calibrate: the ranking model, the confidence model and the thresholds fit on labelled answers."""

import random
import tomllib
from pathlib import Path

from bot.calibrate import RANKING_FEATURES, calibrate
from bot.decision import confidence, ranking_score
from bot.evaluate import LabelledQuery
from bot.records import Answer, KnownBug, Match
from bot.settings import Settings


def known(bug_id: str) -> KnownBug:
    return KnownBug(bug_id, bug_id, "shop", (), "open", (), "", "", "", "")


def answer(features: list[dict[str, float]]) -> Answer:
    matches = tuple(Match(known(f"bug-{n}"), 0.0, (), {**f, "first": float(n == 0)}) for n, f in enumerate(features))
    return Answer("uncertain", 0.0, matches, ())


def labelled_set(seed: int = 7) -> list[tuple[LabelledQuery, Answer]]:
    """Fusion puts the right bug first 70% of the time; otherwise it is second, and its words (coverage) give it
    away. Out-of-KB queries have candidates that cover little of what was said."""
    rng = random.Random(seed)
    results = []
    for n in range(240):
        right, wrong = (
            {"dense": rng.uniform(0.5, 0.8), "coverage": rng.uniform(0.7, 1.0)},
            {
                "dense": rng.uniform(0.4, 0.7),
                "coverage": rng.uniform(0.0, 0.4),
            },
        )
        if n % 4 == 3:  # out of the knowledge base: nothing is right
            results.append((LabelledQuery(f"q{n}", "", (), None, "text"), answer([wrong, dict(wrong)])))
            continue
        fused_first = rng.random() < 0.7
        order = [right, wrong] if fused_first else [wrong, right]
        expected = "bug-0" if fused_first else "bug-1"
        results.append((LabelledQuery(f"q{n}", "", (), expected, "text"), answer(order)))
    return results


def test_the_ranking_model_learns_to_overrule_fusion_and_ignores_the_fused_rank() -> None:
    fit = calibrate(labelled_set(), precision=0.95, max_in_kb_no_match=0.1)
    assert set(fit.ranking_weights) == set(RANKING_FEATURES) and "first" not in fit.ranking_weights
    assert fit.ranking_weights["coverage"] > 0
    settings = Settings(**tomllib.loads(fit.toml()))
    wrong_first = [{"dense": 0.6, "coverage": 0.2, "first": 1.0}, {"dense": 0.58, "coverage": 0.9, "first": 0.0}]
    assert ranking_score(wrong_first[1], settings) > ranking_score(wrong_first[0], settings)
    assert 0.0 <= settings.uncertain_threshold <= settings.match_threshold <= 1.0
    # the confidence of a well-covered candidate exceeds that of a poorly covered one
    assert confidence(wrong_first[1], settings) > confidence({**wrong_first[0], "first": 0.0}, settings)


def test_the_shipped_ranking_weights_prefer_the_candidate_whose_error_codes_agree(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    same = {"dense": 0.6, "fts": 0.9, "coverage": 0.6, "codes_shared": 1.0}
    clash = {**same, "dense": 0.65, "codes_shared": 0.0, "codes_clash": 1.0}
    assert ranking_score(same, settings) > ranking_score(clash, settings)
