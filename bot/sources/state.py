"""Where the last sync of a source stopped: each issue's last update and the entry it became, the newest update
stamp listed (the next sync lists only what changed since) and when the last full listing ran.

Kept beside the entries as `<knowledge>/.sources/<name>.json` (hidden folders are not entries), written
atomically and only when something changed. An issue is current when the tracker reports the same update
stamp, and its entry's `bug.md` is still the file the sync wrote (same size and mtime).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATE_DIR = ".sources"


@dataclass
class Held:
    """One issue as the last sync left it: its update stamp, and its entry id (None when it was skipped)."""

    updated: str
    id: str | None = None
    stat: tuple[int, int] | None = None  # (size, mtime_ns) of the bug.md written
    skipped: str | None = None


@dataclass
class SyncState:
    """The issues a source's last successful sync saw, and the mapping rules it applied."""

    mapping: str = ""
    issues: dict[str, Held] = field(default_factory=dict)
    since: str = ""  # the newest update stamp any listing returned, in the tracker's own format
    full_at: float = 0.0  # when the last full listing ran (Unix time)

    def current(self, key: str, updated: str, root: Path) -> bool:
        """Whether the issue is as the last sync left it, in the tracker and in the knowledge folder."""
        held = self.issues.get(key)
        if held is None or held.updated != updated:
            return False
        return held.id is None or held.stat == file_stat(root / held.id / "bug.md")

    def entry_ids(self) -> dict[str, str]:
        """Issue key -> entry id of every entry this source wrote."""
        return {key: held.id for key, held in self.issues.items() if held.id}


def state_path(root: Path, name: str) -> Path:
    return root / STATE_DIR / f"{name}.json"


def load_state(path: Path) -> SyncState:
    """The state saved at `path`; an empty one when there is none yet."""
    if not path.is_file():
        return SyncState()
    data = json.loads(path.read_text(encoding="utf-8"))
    issues = {
        key: Held(h["updated"], h.get("id"), tuple(h["stat"]) if h.get("stat") else None, h.get("skipped"))
        for key, h in data.get("issues", {}).items()
    }
    return SyncState(data.get("mapping", ""), issues, data.get("since", ""), float(data.get("full_at", 0.0)))


def save_state(path: Path, state: SyncState) -> None:
    """Write the state atomically (a temporary file renamed over the old one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    issues = {k: asdict(v) for k, v in sorted(state.issues.items())}
    data = {"mapping": state.mapping, "since": state.since, "full_at": state.full_at, "issues": issues}
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=1)
    os.replace(temporary, path)


def file_stat(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_size, found.st_mtime_ns)
