"""`supportbot doctor`: what is configured, what loads, what each model supports, and the index state."""

from __future__ import annotations

from bot.embed import PACKAGED_MODELS, Embedder, resolve_model
from bot.errors import BotError
from bot.index import KnowledgeIndex
from bot.settings import Settings


def diagnose(settings: Settings) -> str:
    """A readable report; every check that fails says what to do, none raises."""
    lines = ["Config in force:"]
    lines += [f"  {name} = {value!r}" for name, value in sorted(settings.model_dump(mode="json").items())]
    lines.append("Models:")
    embedder = Embedder(settings)
    try:
        embedder.model  # noqa: B018 - load (or export) it now, so "loads" is true
        modalities = [m for m in ("text", "image", "audio") if embedder.supports(m)]
        lines.append(
            f"  embedder {settings.embed_model} -> {resolve_model(settings.embed_model, PACKAGED_MODELS)}: loads on "
            f"{embedder.backend}, {embedder.dimension}-d, modalities {', '.join(modalities)}"
        )
    except BotError as err:
        lines.append(f"  embedder {settings.embed_model}: FAILS - {err.message}")
        return "\n".join(lines)
    lines.append(ranking_line(settings))
    lines.append(reranker_line(settings))
    lines.append(f"  speech recognition: faster-whisper {settings.asr_model} ({'on' if settings.asr else 'off'})")
    models = {"faster-paddle": "PP-OCRv6 tiny", "rapidocr": "PP-OCRv6 small"}
    lines.append(f"  OCR: {settings.ocr_engine}, {models[settings.ocr_engine]} ({'on' if settings.ocr else 'off'})")
    lines.append("Index:")
    lines.append(index_line(settings, embedder))
    return "\n".join(lines)


def ranking_line(settings: Settings) -> str:
    """The ranking model in force, what it was fit with, or why it cannot be used."""
    from bot.ranking import load_model

    try:
        return f"  ranking model: {load_model(settings).describe()}"
    except BotError as err:
        return f"  ranking model: FAILS - {err.message}"


def reranker_line(settings: Settings) -> str:
    order = "the ranking model"
    if not settings.rerank_model:
        return f"  reranker: none configured (offline default) - the top candidates are ordered by {order}"
    if not settings.rerank:
        return f"  reranker: {settings.rerank_model} configured but switched off - ordered by {order}"
    from bot.ranking import Reranker

    try:
        Reranker(settings).warm()
    except BotError as err:
        return f"  reranker {settings.rerank_model}: FAILS - {err.message}"
    return f"  reranker: {settings.rerank_model} active"


def index_line(settings: Settings, embedder: Embedder) -> str:
    index = KnowledgeIndex(settings, embedder.fingerprint)
    where = f"{settings.lancedb_uri} table {index.name}"
    if not index.exists():
        return f"  {where}: not built - run `supportbot index`"
    try:
        index.check_model(embedder.name, embedder.dimension)
    except BotError as err:
        return f"  {where}: {err.message}"
    table = index.open_table()
    indices = ", ".join(f"{i.index_type} on {i.columns[0]}" for i in table.list_indices()) or "none"
    return f"  {where}: version {table.version}, {table.count_rows()} rows, indices: {indices}"
