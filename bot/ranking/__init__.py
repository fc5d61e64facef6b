"""Ranking and decision: which known bug a query is, and how sure to be.

Fuse the searches of each query view (`fusion`), compute each candidate's features from one registry
(`features`, reading text through one tokenizer and code detector in `text` and the knowledge statistics in
`stats`), order and decide with the model file (`model`, fit by `calibrate`, also on the labelled answers
replayed against knowledge bases of one bug per family: `thinned`), or let a CrossEncoder order them (`rerank`).
"""

from bot.ranking.decision import Ranked, decide, rank
from bot.ranking.features import FEATURES, QueryText
from bot.ranking.fusion import Ranking, View, fuse, query_views, readings, shortlist, the_failure, whole_view
from bot.ranking.model import DEFAULT_MODEL, FitInfo, RankingModel, load_model
from bot.ranking.rerank import Reranker
from bot.ranking.spoken import heard_numbers, spoken_numbers
from bot.ranking.stats import KnowledgeStats
from bot.ranking.text import gram_text, words

__all__ = [
    "DEFAULT_MODEL",
    "FEATURES",
    "FitInfo",
    "KnowledgeStats",
    "QueryText",
    "Ranked",
    "Ranking",
    "RankingModel",
    "Reranker",
    "View",
    "decide",
    "fuse",
    "gram_text",
    "heard_numbers",
    "load_model",
    "query_views",
    "rank",
    "readings",
    "shortlist",
    "spoken_numbers",
    "the_failure",
    "whole_view",
    "words",
]
