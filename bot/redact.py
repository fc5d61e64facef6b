"""Secrets out of what users send, before it is stored, learned or posted to triage: detect-secrets finds them.

Each finding becomes `[redacted: <the detector's secret type, lower-cased>]`, e.g. `[redacted: aws access key]`.
The detectors are the plugins detect-secrets ships (cloud keys, Slack/GitHub/… tokens, private keys, JWTs,
basic-auth URLs, `password=` / `api_key: …` assignments, high-entropy strings), minus public IP addresses (an
address in an error message is not a credential), plus one plugin for HTTP `Authorization:` headers, which the
library has none for. High-entropy strings are searched in unquoted words too (free text has no quotes), so
they must be at least `MIN_ENTROPY_CHARS` long; every finding goes through the library's false-positive filters
(UUIDs, sequences, templates, `$VARIABLES`), and a `password: …` value needs `MIN_KEYWORD_CHARS`. A private
key's PEM block is redacted whole. Nothing is ever sent anywhere to be verified.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

MIN_ENTROPY_CHARS = 20
MIN_KEYWORD_CHARS = 6  # "(using password: YES)" in MySQL's "Access denied" error names no password
SKIPPED = ("Public IP (ipv4)",)
FILENAME = "message.cfg"  # the keyword plugin reads `key = value` / `key: value` lines as in a config file
AROUND = re.compile(r"[A-Za-z0-9_\-.+/~]")  # a finding extends over the rest of the token it sits in
PEM_END = re.compile(r"-----END [A-Z0-9 ]*-----|---- END SSH2")


def authorization_detector() -> Any:
    """A detect-secrets plugin for `Authorization: <scheme> <credentials>` (HTTP headers, curl -H, logs)."""
    from detect_secrets.plugins.base import RegexBasedDetector

    class AuthorizationHeaderDetector(RegexBasedDetector):
        secret_type = "Authorization Header"
        denylist = (
            re.compile(
                r"authorization[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token|digest|negotiate|apikey)\s+)?"
                r"([^\s\"',;]{4,})",
                re.IGNORECASE,
            ),
        )

    return AuthorizationHeaderDetector()


class Redactor:
    """Finds and masks secrets in text; one instance is shared by all threads (calls are serialised)."""

    def __init__(self) -> None:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
        from detect_secrets.settings import get_settings

        get_settings().disable_filters("detect_secrets.filters.common.is_ignored_due_to_verification_policies")
        found: dict[str, Any] = get_mapping_from_secret_type_to_class()
        classes = [c for t, c in sorted(found.items()) if t not in SKIPPED]
        plugins = [c() for c in classes]
        self.entropy = [p for p in plugins if isinstance(p, HighEntropyStringsPlugin)]
        self.specific = [p for p in plugins if p not in self.entropy] + [authorization_detector()]
        self._lock = threading.Lock()

    def redact(self, text: str) -> str:
        """`text` with every secret found replaced by `[redacted: <type>]`; unchanged when there is none."""
        if not text.strip():
            return text
        with self._lock:
            lines = mask_pem_blocks(text.split("\n"), self.specific)
            return "\n".join(self._redact_line(line) for line in lines)

    def _redact_line(self, line: str) -> str:
        for plugin in self.specific:
            found = plugin.analyze_line(filename=FILENAME, line=line)
            line = mask(line, {first_word(s.secret_value) for s in found}, plugin)
        for plugin in self.entropy:
            found = plugin.analyze_line(filename=FILENAME, line=line, enable_eager_search=True)
            values = {
                s.secret_value
                for s in found
                if len(s.secret_value or "") >= MIN_ENTROPY_CHARS
                and plugin.calculate_shannon_entropy(str(s.secret_value)) > plugin.entropy_limit
            }
            line = mask(line, values, plugin)
        return line


def first_word(value: str | None) -> str:
    """A finding up to its first space: in free text a `password: …` rule would otherwise take the whole line."""
    words = (value or "").split()
    return words[0].rstrip("),;.'\"") if words else ""


def mask(line: str, values: set[str | None], plugin: Any) -> str:
    """Replace each value (grown to the whole token it sits in) that passes the library's filters."""
    for value in sorted((v for v in values if v and "[redacted:" not in v), key=len, reverse=True):
        if not is_false_positive(value, line, plugin):
            for start, end in reversed(list(spans(line, value))):
                line = f"{line[:start]}[redacted: {plugin.secret_type.lower()}]{line[end:]}"
    return line


def spans(line: str, value: str) -> Iterator[tuple[int, int]]:
    """Where `value` occurs in `line`, each grown over the token characters around it."""
    start = line.find(value)
    while start >= 0:
        end = start + len(value)
        while start > 0 and AROUND.match(line[start - 1]):
            start -= 1
        while end < len(line) and AROUND.match(line[end]):
            end += 1
        yield start, end
        start = line.find(value, end)


def is_false_positive(value: str, line: str, plugin: Any) -> bool:
    """detect-secrets' own heuristics for strings that look secret but are not."""
    from detect_secrets.filters import heuristic

    keyword = plugin.secret_type == "Secret Keyword"
    if keyword and (heuristic.is_indirect_reference(line) or sum(c.isalnum() for c in value) < MIN_KEYWORD_CHARS):
        return True
    return (
        heuristic.is_sequential_string(value)
        or heuristic.is_potential_uuid(value)
        or heuristic.is_likely_id_string(value, line, plugin)
        or heuristic.is_templated_secret(value)
        or heuristic.is_prefixed_with_dollar_sign(value)
        or heuristic.is_not_alphanumeric_string(value)
    )


def mask_pem_blocks(lines: list[str], plugins: list[Any]) -> list[str]:
    """Lines with each private key block (BEGIN … PRIVATE KEY through its END line) replaced by one mark."""
    keys = next(p for p in plugins if p.secret_type == "Private Key")
    kept: list[str] = []
    inside = False
    for line in lines:
        if not inside and keys.analyze_line(filename=FILENAME, line=line):
            kept.append(f"[redacted: {keys.secret_type.lower()}]")
            inside = not PEM_END.search(line)
        elif inside:
            inside = not PEM_END.search(line)
        else:
            kept.append(line)
    return kept
