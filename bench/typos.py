"""Messages typed in a hurry, made from the dev set's typed queries: slips of the fingers on a QWERTY keyboard, to
check that typed text is read as well as it is read spelled right.

usage: python -m bench.typos OUT_DIR [--set ../shared/dev-set] [--kinds hurried,sloppy] [--seed 7]
Adds to OUT_DIR/queries.jsonl every query of the set that has a message and no file, its message retyped (kind
`typos-<how>`; out-of-KB queries keep kind `out-of-kb`). A word of four letters or more, names such as
`ERR_CONNECTION_REFUSED` or `package.json` included, is mistyped with the kind's chance, and each message has at least
one slip: a neighbouring key struck instead (the most common), a letter left out, a letter doubled, or two letters
swapped.
  hurried  a word in eight mistyped
  sloppy   a word in three mistyped
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path
from typing import Any

SET = Path(__file__).resolve().parents[2] / "shared" / "dev-set"
CHANCE = {"hurried": 1 / 8, "sloppy": 1 / 3}
ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
SLIPS = (("neighbour", 0.5), ("dropped", 0.2), ("doubled", 0.15), ("swapped", 0.15))
WORD = re.compile(r"[A-Za-z][A-Za-z_.]{3,}")


def neighbours() -> dict[str, str]:
    """Each letter's neighbouring keys: beside it on its row, and the two touching it on the rows above and below
    (each row sits half a key right of the one above, so `g` touches `t` and `y` above, `v` and `b` below)."""
    where = {c: (r, i) for r, row in enumerate(ROWS) for i, c in enumerate(row)}
    return {
        c: "".join(
            o
            for o, (r2, i2) in where.items()
            if o != c and (abs(i2 - i) <= 1 if r2 == r else abs(r2 - r) == 1 and abs(i2 - i - (r - r2) / 2) <= 0.5)
        )
        for c, (r, i) in where.items()
    }


NEIGHBOURS = neighbours()


def slip(word: str, rng: random.Random) -> str:
    """`word` with one slip of the fingers, at a letter other than the first (people rarely miss the first)."""
    letters = [i for i, c in enumerate(word) if c.isalpha() and i > 0]
    at = rng.choice(letters)
    how = rng.choices([s for s, _ in SLIPS], [w for _, w in SLIPS])[0]
    if how == "swapped" and at + 1 < len(word) and word[at + 1].isalpha() and word[at] != word[at + 1]:
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    if how == "dropped":
        return word[:at] + word[at + 1 :]
    if how == "doubled":
        return word[:at] + word[at] + word[at:]
    near = rng.choice(NEIGHBOURS[word[at].lower()])
    return word[:at] + (near.upper() if word[at].isupper() else near) + word[at + 1 :]


def mistyped(text: str, chance: float, rng: random.Random) -> str:
    """`text` with each word of four letters or more mistyped with `chance`, and at least one."""
    spans = [m.span() for m in WORD.finditer(text)]
    if not spans:
        return text
    chosen = {s for s in spans if rng.random() < chance} or {rng.choice(spans)}
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(slip(text[start:end], rng) if (start, end) in chosen else text[start:end])
        last = end
    return "".join(out) + text[last:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--set", type=Path, default=SET)
    parser.add_argument("--kinds", default=",".join(CHANCE))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = [
        json.loads(line) for line in (args.set / "queries.jsonl").read_text().splitlines() if line.strip()
    ]
    typed = [r for r in rows if r["text"] and not r["files"]]
    with (args.out / "queries.jsonl").open("a") as listing:
        for kind in args.kinds.split(","):
            rng = random.Random(f"{args.seed}-{kind}")
            for q in typed:
                row = {
                    "id": f"{q['id']}-{kind}",
                    "text": mistyped(q["text"], CHANCE[kind], rng),
                    "files": [],
                    "expected": q["expected"],
                    "kind": f"typos-{kind}" if q["expected"] else "out-of-kb",
                }
                listing.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
