"""How well redaction works on real support text: false positives on the dev set, recall on planted secrets, speed.

1. False positives: every line of the dev set's knowledge files, typed queries, voice-note transcripts and (with
   `--ocr`) the OCR text of its screenshot queries goes through `Redactor.redact`; the dev set holds no secrets,
   so every changed line is a false positive (each is printed).
2. Recall: random secrets of each kind (generated here, seeded, not the tests' fixed ones) are planted in random
   lines of those texts; a secret counts as caught when its value is gone and a `[redacted: …]` mark is there.
3. Speed: ms per line and per text (p50/p95), warm.

    .venv/bin/python bench/bench_redact.py [--dev-set ../shared/dev-set] [--ocr] [--plants 40] [--json]
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import statistics
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.redact import Redactor  # noqa: E402

DEV_SET = ROOT.parent / "shared" / "dev-set"
ALNUM = string.ascii_letters + string.digits


def texts_of(dev_set: Path, ocr: bool) -> dict[str, list[str]]:
    """The dev set's texts by source."""
    from bot.evaluate import load_queries

    queries = load_queries(dev_set / "queries.jsonl")
    found = {
        "knowledge": [p.read_text(encoding="utf-8") for p in sorted((dev_set / "knowledge").glob("*/bug.md"))],
        "typed queries": [q.text for q in queries if q.text.strip()],
    }
    transcripts = dev_set / "voice_transcripts.json"
    if transcripts.is_file():
        data = json.loads(transcripts.read_text(encoding="utf-8"))
        found["voice transcripts"] = [str(item["said"]) for item in data.values() if item.get("said")]
    if ocr:
        found["screenshot OCR"] = read_screens([f for q in queries if q.kind.startswith("screenshot") for f in q.files])
    return found


def read_screens(paths: list[Path]) -> list[str]:
    from bot.extract import Extractor
    from bot.intake import decode_attachment
    from bot.records import Attachment
    from bot.settings import Settings

    settings = Settings(asr=False)
    extractor = Extractor(settings)
    return [
        extractor.extract(decode_attachment(Attachment(p.name, p.read_bytes()), settings)).text
        for p in paths
        if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp")
    ]


def word(rng: random.Random, n: int, chars: str = ALNUM) -> str:
    return "".join(rng.choice(chars) for _ in range(n))


def b64(rng: random.Random, data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


PLANTS: dict[str, Callable[[random.Random], tuple[str, str]]] = {  # kind -> (line to plant, the secret in it)
    "aws access key": lambda r: (f"using key AKIA{(k := word(r, 16, string.ascii_uppercase + '234567'))}", f"AKIA{k}"),
    "aws secret": lambda r: (f"aws_secret_access_key = {(k := word(r, 40, ALNUM + '/+'))}", k),
    "slack token": lambda r: (f"token: xoxb-{word(r, 12, string.digits)}-{(k := word(r, 24))}", k),
    "github token": lambda r: (f"remote: ghp_{(k := word(r, 36))} rejected", k),
    "jwt": lambda r: (
        f"cookie jwt={b64(r, {'alg': 'HS256'})}.{b64(r, {'sub': word(r, 8), 'iat': r.randint(1, 10**9)})}."
        f"{(k := word(r, 43, ALNUM + '-_'))}",
        k,
    ),
    "password=": lambda r: (f"DB_PASSWORD={(k := word(r, 14, ALNUM + '!#%'))}", k),
    "authorization header": lambda r: (f"Authorization: Bearer {(k := word(r, 32))}", k),
    "basic auth url": lambda r: (f"postgres://app:{(k := word(r, 12))}@db.internal:5432/orders", k),
    "private key": lambda r: (
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{(k := word(r, 64, ALNUM + '+/'))}\n-----END OPENSSH PRIVATE KEY-----",
        k,
    ),
    "hex key": lambda r: (f"signing secret {(k := word(r, 40, '0123456789abcdef'))}", k),
    "base64 blob": lambda r: (f"blob {(k := base64.b64encode(r.randbytes(30)).decode())}", k),
}


def recall(redactor: Redactor, texts: list[str], plants: int, seed: int) -> dict[str, float]:
    """Share of planted secrets of each kind that are gone and marked after redaction."""
    rng = random.Random(seed)
    caught: dict[str, float] = {}
    for kind, plant in PLANTS.items():
        hits = 0
        for _ in range(plants):
            line, secret = plant(rng)
            lines = rng.choice(texts).split("\n")
            lines.insert(rng.randrange(len(lines) + 1), line)
            redacted = redactor.redact("\n".join(lines))
            hits += secret not in redacted and "[redacted: " in redacted
        caught[kind] = round(hits / plants, 3)
    return caught


def false_positives(redactor: Redactor, found: dict[str, list[str]]) -> tuple[dict[str, Any], list[float], list[float]]:
    report: dict[str, Any] = {}
    per_line, per_text = [], []
    for source, texts in found.items():
        changed, lines = [], 0
        for text in texts:
            started = time.perf_counter()
            redacted = redactor.redact(text)
            ms = (time.perf_counter() - started) * 1000.0
            count = text.count("\n") + 1
            lines += count
            per_text.append(ms)
            per_line.append(ms / count)
            changed += [(a, b) for a, b in zip(text.split("\n"), redacted.split("\n"), strict=False) if a != b]
        report[source] = {"texts": len(texts), "lines": lines, "lines_changed": len(changed), "changed": changed}
    return report, per_line, per_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev-set", type=Path, default=DEV_SET)
    parser.add_argument("--ocr", action="store_true", help="Also OCR the screenshot queries (a few minutes).")
    parser.add_argument("--plants", type=int, default=40, help="Secrets planted per kind.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    redactor = Redactor()
    found = texts_of(args.dev_set, args.ocr)
    redactor.redact("warm up")
    report, per_line, per_text = false_positives(redactor, found)
    result: dict[str, Any] = {
        "false_positives": report,
        "recall": recall(redactor, [t for texts in found.values() for t in texts if t.strip()], args.plants, args.seed),
        "ms_per_line": round(statistics.mean(per_line), 3),
        "ms_per_text": {
            "p50": round(statistics.median(per_text), 2),
            "p95": round(sorted(per_text)[int(0.95 * (len(per_text) - 1))], 2),
        },
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for source, r in report.items():
        print(
            f"{source:18s} {r['texts']:4d} texts {r['lines']:6d} lines  {r['lines_changed']} changed (false positives)"
        )
        for before, after in r["changed"]:
            print(f"    {before[:110]!r}\n -> {after[:110]!r}")
    print("recall on planted secrets: " + ", ".join(f"{k} {v:.0%}" for k, v in result["recall"].items()))
    per_text = result["ms_per_text"]
    print(f"speed: {result['ms_per_line']} ms per line; per text p50 {per_text['p50']} ms, p95 {per_text['p95']} ms")


if __name__ == "__main__":
    main()
