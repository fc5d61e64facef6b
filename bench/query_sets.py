"""What the benches that write a labelled queries set share: the file `supportbot eval --queries` reads, and their
command line (one argument, the folder to write to)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path


def write_queries(out: Path, queries: list[dict]) -> int:
    """Write `queries` to OUT/queries.jsonl, one JSON object a line; returns how many."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "queries.jsonl").write_text("".join(json.dumps(query) + "\n" for query in queries))
    return len(queries)


def command_line(description: str, make: Callable[[Path], list[dict]]) -> None:
    """Parse the folder to write to, have `make` write any media there and list the queries, and write those."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("out", type=Path, help="folder to write queries.jsonl (and any media/) to")
    out = parser.parse_args().out
    print(f"{write_queries(out, make(out))} queries in {out / 'queries.jsonl'}")
