"""bot.ranking.stats: what ranking knows of a knowledge base, derived once per index version."""

from __future__ import annotations

from bot.ranking.stats import KnowledgeStats
from bot.ranking.text import fold

BUGS = {
    "nginx-502": [("doc", "nginx 502 bad gateway upstream"), ("ocr", "502 Bad Gateway\nnginx/1.22.1")],
    "nginx-404": [("doc", "nginx 404 not found"), ("ocr", "404 Not Found\nnginx/1.22.1")],
    "nginx-413": [("doc", "nginx 413 request too large"), ("ocr", "413 Request Entity Too Large\nnginx/1.22.1")],
}


def test_rare_words_weigh_more_and_unseen_words_most() -> None:
    stats = KnowledgeStats(BUGS)
    assert stats.weight("upstream") > stats.weight(fold("nginx")) > 0
    assert stats.weight("never-used") == stats.unseen_idf > stats.weight("upstream")


def test_each_bug_keeps_its_words_screens_screen_errors_and_codes() -> None:
    stats = KnowledgeStats(BUGS)
    bug = stats.bug("nginx-502")
    assert {"upstream", "gateway", "nglnx"} <= bug.words  # folded: i reads as l
    assert len(bug.screens) == 1 and "gateway" in bug.screens[0] and "upstream" not in bug.screens[0]
    assert bug.codes == {"5o2"}
    assert bug.screen_errors == (frozenset({"5o2", "bad", "gateway"}),), "the error line's words, not nginx's"
    unknown = stats.bug("no-such-bug")
    assert not unknown.words and not unknown.screens and not unknown.codes


def test_a_word_no_bug_uses_weighs_by_how_rare_it_is_in_english() -> None:
    stats = KnowledgeStats({"a": [("doc", "nginx 502 bad gateway")], "b": [("doc", "nginx 404 not found")]})
    assert stats.rarity("gateway") == stats.idf["gateway"]
    assert stats.rarity("the") == stats.rarity("5o3") == 0.0  # among the commonest words; a number
    assert 0.0 < stats.rarity(fold("temporarily")) < stats.rarity("hba") == stats.unseen_idf
