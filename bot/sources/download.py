"""Download an issue's screenshots and recordings: credentials go to the tracker's own hosts and nowhere else.

A media URL is fetched only when it is on one of the tracker's hosts (`token_hosts`, which get the credentials)
or on one of its storage hosts (`open_hosts`, fetched without them). Redirects are followed by hand, so the
credentials never travel with a redirect to another host (GitHub and Jira Cloud hand attachments out through
signed URLs on their storage hosts). A file over the size limit, a refused host or a 4xx leaves that one file
out; a network failure fails the sync, which then keeps the last good files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from fnmatch import fnmatch
from urllib.parse import urljoin, urlparse

import httpx

from bot.records import Attachment
from bot.sources.errors import SourceUnreachable
from bot.sources.issue import MediaRef

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry signed URLs
MAX_REDIRECTS = 5


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower case."""
    parsed = urlparse(url)
    return f"{parsed.scheme.lower()}://{parsed.netloc.lower()}"


class MediaFetcher:
    """Fetches media URLs under the host rules above, each capped at `limit` bytes."""

    def __init__(
        self,
        headers: Mapping[str, str],
        token_hosts: Iterable[str],
        open_hosts: Iterable[str] = (),
        limit: int = 25 * 1024 * 1024,
        timeout: float = 30.0,
    ) -> None:
        self.headers = dict(headers)
        self.token_hosts = frozenset(origin(h) for h in token_hosts)
        self.open_hosts = tuple(open_hosts)  # patterns of https hosts, e.g. *.githubusercontent.com
        self.limit = limit
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)
        self.left_out: list[str] = []

    def close(self) -> None:
        self.client.close()

    def allowed(self, url: str) -> bool:
        """Whether a media URL is the tracker's own (only those are downloaded)."""
        parsed = urlparse(url)
        if origin(url) in self.token_hosts:
            return True
        return parsed.scheme == "https" and any(fnmatch(parsed.hostname or "", p) for p in self.open_hosts)

    def fetch_all(self, refs: Iterable[MediaRef]) -> tuple[Attachment, ...]:
        """The files that could be downloaded; the others are logged and listed in `left_out`."""
        found = []
        for ref in refs:
            data = self.fetch(ref)
            if data is not None:
                found.append(Attachment(name=ref.name, data=data))
        return tuple(found)

    def fetch(self, ref: MediaRef) -> bytes | None:
        """One file's bytes, or None when it is left out; raises `SourceUnreachable` on a network failure."""
        if not self.allowed(ref.url):
            self.leave_out(ref, f"not on the tracker's hosts ({urlparse(ref.url).netloc})")
            return None
        if ref.size is not None and ref.size > self.limit:
            self.leave_out(ref, f"{ref.size} bytes, over the limit")
            return None
        url = ref.url
        for _ in range(MAX_REDIRECTS + 1):
            headers = self.headers if origin(url) in self.token_hosts else {}
            try:
                with self.client.stream("GET", url, headers=headers) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    if response.status_code >= 400:
                        self.leave_out(ref, f"HTTP {response.status_code}")
                        return None
                    return self.read_capped(response, ref)
            except httpx.HTTPError as err:
                raise SourceUnreachable(
                    f"A file of an issue could not be downloaded from {urlparse(url).netloc} "
                    f"({type(err).__name__}); the knowledge files were left as they were."
                ) from err
        self.leave_out(ref, "too many redirects")
        return None

    def read_capped(self, response: httpx.Response, ref: MediaRef) -> bytes | None:
        data = bytearray()
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) > self.limit:
                self.leave_out(ref, "over the size limit")
                return None
        return bytes(data)

    def leave_out(self, ref: MediaRef, reason: str) -> None:
        log.warning("left out media %s of an issue: %s", ref.name, reason)
        self.left_out.append(f"{ref.name}: {reason}")
