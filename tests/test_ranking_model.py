"""bot.ranking.model: the model file is loaded and checked once; anything wrong with it is one clear sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.errors import ModelError
from bot.ranking.decision import Ranked, decide
from bot.ranking.features import FEATURES
from bot.ranking.model import DEFAULT_MODEL, against_rivals, load_model, one_of_them
from bot.records import Candidate
from bot.settings import Settings


def shipped() -> dict:
    return json.loads(DEFAULT_MODEL.read_text())


def write(tmp_path: Path, data: dict | str) -> Path:
    path = tmp_path / "model.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def ranked(*confidences: float) -> list[Ranked]:
    """Candidates, best first, read clearly, with these confidences and no other evidence."""
    read = {**dict.fromkeys(FEATURES, 0.0), "legible": 1.0}
    return [Ranked(Candidate(f"bug-{n}", 0.0), read, c) for n, c in enumerate(confidences)]


def test_the_shipped_model_loads_with_the_default_settings_and_says_what_it_was_fit_with() -> None:
    model = load_model(Settings())
    assert set(model.features) <= set(FEATURES) and "rejected" in model.features
    assert 0.0 < model.known_threshold < 1.0 and 0.0 < model.match_threshold < 1.0
    assert set(model.known) >= {"one_of_them", "first:legible", "first:codes_clash"}
    assert model.fit.embedder == Settings().embed_model and model.fit.figures["grouped_cv"]["queries"] > 0
    assert "shipped" in model.describe() and "faster-paddle" in model.describe()


def test_a_model_file_named_by_the_setting_is_used(tmp_path: Path) -> None:
    data = {**shipped(), "match_threshold": 0.9}
    model = load_model(Settings(ranking_model=write(tmp_path, data)))
    assert model.match_threshold == 0.9 and str(tmp_path) in model.source
    known = model.known_threshold
    decisions = [model.decide(c, k) for c, k in ((0.95, 0.0), (0.9, 1.0), (0.6, known), (0.6, known - 0.01))]
    assert decisions == ["match", "match", "uncertain", "no_match"]


def test_the_known_bug_model_reads_the_first_s_confidence_and_its_features() -> None:
    """A first candidate as unsure but read from a blurred photo is likelier a known bug than one read clearly, unless
    the photo shows an error code the candidate lacks: a code read through the blur still names another failure."""
    model = load_model(Settings())
    read = {name: 0.0 for name in model.features}
    clear, blurred = [{**read, "legible": 0.98}], [{**read, "legible": 0.6}]
    assert model.known_probability(blurred, [0.2]) > model.known_probability(clear, [0.2])
    assert model.known_probability(clear, [0.6]) > model.known_probability(clear, [0.2])
    clashing = [{**read, "legible": 0.6, "codes_clash": 1.0}]
    assert model.known_probability(clashing, [0.2]) < model.known_probability(blurred, [0.2])


def test_the_first_s_confidence_is_counted_against_its_rivals() -> None:
    assert against_rivals([]) == 0.0 and abs(against_rivals([0.7]) - 0.7) < 1e-12
    assert abs(against_rivals([0.85, 0.74]) - 0.85 * 0.26 / (0.15 * 0.26 + 0.85 * 0.26 + 0.74 * 0.15)) < 1e-12
    assert 0.84 < against_rivals([0.85, 0.01, 0.001]) < 0.85
    assert against_rivals([0.9, 0.9]) < 0.5


def test_the_chance_that_one_of_the_candidates_is_the_bug_grows_with_each_likely_one() -> None:
    assert one_of_them([]) == 0.0 and abs(one_of_them([0.3]) - 0.3) < 1e-12
    none, alone = 0.55 * 0.79, [0.45 * 0.79, 0.21 * 0.55]
    assert abs(one_of_them([0.45, 0.21]) - sum(alone) / (none + sum(alone))) < 1e-12
    assert one_of_them([0.45, 0.21]) > 0.45 > against_rivals([0.45, 0.21])
    assert abs(one_of_them([0.45, 0.01]) - 0.45) < 0.01, "an unlikely runner-up adds next to nothing"


def test_a_first_candidate_with_a_rival_about_as_likely_is_uncertain_not_a_match() -> None:
    """Two known bugs that both fit (a quoted line that each of them prints) are shown as such, not one asserted."""
    model = load_model(Settings())
    alone, rivalled = decide(ranked(0.85, 0.01), model), decide(ranked(0.85, 0.85), model)
    assert alone[0] == "match" and rivalled[0] == "uncertain"
    assert round(rivalled[1], 2) == 0.46 and rivalled[2] > alone[2], "two that fit make a known bug surer"


def test_two_unsure_candidates_that_both_fit_are_shown_where_either_alone_would_not_be() -> None:
    """A headline two bugs print ("This page isn't working") leaves each unsure, yet surely one of them."""
    model = load_model(Settings())
    low = next(c / 100 for c in range(1, 100) if decide(ranked(c / 100, 0.001), model)[0] != "no_match")
    assert decide(ranked(low - 0.01, 0.001), model)[0] == "no_match"
    assert decide(ranked(low - 0.01, low - 0.01), model)[0] == "uncertain"


def test_a_model_whose_known_bug_model_reads_the_first_s_confidence_still_loads(tmp_path: Path) -> None:
    """Model files `calibrate` wrote before `one_of_them` read `confidence` instead."""
    known = {"confidence": 0.4, "first:legible": -8.0}
    model = load_model(Settings(ranking_model=write(tmp_path, {**shipped(), "known": known})))
    read = [{**{name: 0.0 for name in model.features}, "legible": 1.0}]
    assert model.known_probability(read + read, [0.3, 0.3]) == model.known_probability(read, [0.3])


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: "{not json", "cannot be read"),
        (lambda d: {**d, "format": 99}, "cannot be read"),
        (lambda d: {k: v for k, v in d.items() if k != "confidence"}, "cannot be read"),
        (lambda d: {**d, "bias": "high"}, "cannot be read"),
        (lambda d: {**d, "features": [*d["features"], "sparkle"]}, "'sparkle', which this version does not compute"),
        (lambda d: {**d, "ranking": {**d["ranking"], "mystery": 1.0}}, "'mystery', which it does not list"),
        (lambda d: {**d, "known": {**d["known"], "best:mystery": 1.0}}, "'best:mystery', which it does not list"),
        (
            lambda d: {**d, "fit": {**d["fit"], "embedder": "other/embedder"}},
            "was fit with the embedder 'other/embedder'",
        ),
    ],
)
def test_a_broken_or_mismatched_model_is_one_sentence_that_says_what_to_do(
    tmp_path: Path, change: object, says: str
) -> None:
    path = write(tmp_path, change(shipped()))  # type: ignore[operator]
    with pytest.raises(ModelError) as raised:
        load_model(Settings(ranking_model=path))
    message = raised.value.message
    assert says in message and str(path) in message and "supportbot calibrate" in message
    assert message.count(". ") == 0 and message.endswith(".")


def test_a_missing_model_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot be opened.*SUPPORTBOT_RANKING_MODEL"):
        load_model(Settings(ranking_model=tmp_path / "nope.json"))
