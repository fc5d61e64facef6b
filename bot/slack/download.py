"""Download Slack files with the bot token: only from allow-listed hosts, only within the size limit.

The token is sent to allow-listed hosts only; redirects are followed by hand and only within the list.
"""

from __future__ import annotations

import http.client
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlparse

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import BotError, MediaTooLarge, UnsupportedMedia
from bot.records import Attachment
from bot.settings import Settings

log = logging.getLogger(__name__)

MEDIA_PREFIXES = ("image/", "audio/", "video/")
BINARY_TYPES = ("application/octet-stream", "binary/octet-stream")
TEXT_TYPES = ("application/json", "application/x-ndjson", "application/xml", "application/x-yaml", "application/x-sh")
# text files Slack may label binary (`application/octet-stream`), not knowing their extension: a browser's HAR file
TEXT_NAMES = (".har", ".log", ".txt", ".json", ".jsonl", ".ndjson", ".csv", ".tsv")
HAR_NAME = ".har"  # its recorded bodies are cut where it is read (`bot/har.py`): it may be as large as any file
ARCHIVE_TYPES = (  # logs sent packed: a zip or tar of them (a support bundle, a CI run's logs), or one compressed
    "application/zip",
    "application/x-zip-compressed",
    "application/gzip",
    "application/x-gzip",
    "application/x-tar",
    "application/x-bzip2",
    "application/x-xz",
)
REDIRECT_CODES = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 3
CHUNK_BYTES = 64 * 1024
SIGN_IN_MARKS = (b'type="password"', b"type='password'", b"type=password", b"signin", b"sign_in", b"login")


class DownloadRefused(BotError):
    """The file lives outside the allow-listed hosts (e.g. an external Google Drive file)."""

    message = "That file is not stored on Slack, so I did not download it; please upload it to Slack directly."


class MissingFilesScope(BotError):
    """Slack answered with a sign-in page (or a redirect to one) instead of the file."""

    message = (
        "Slack sent a sign-in page instead of the file, which means this app lacks the files:read permission; "
        "please ask a Slack admin to add it and reinstall the app."
    )


class RedirectedAway(BotError):
    """The file host redirected the download to a site outside the allow-list (and not to Slack's sign-in)."""

    message = (
        "Slack sent that download on to another website, so I did not follow it; "
        "please upload the file itself to Slack."
    )


class WebPageNotFile(BotError):
    """The download is a web page that is not Slack's sign-in page (a link's page, an error page)."""

    message = "That link gave me a web page, not the file; please upload the screenshot or recording itself."


class DownloadFailed(BotError):
    """The file host could not be reached or refused the download."""

    message = "That file could not be downloaded from Slack; please try again in a minute."


class FileGone(BotError):
    """The file was deleted or is hidden by the workspace's plan."""

    message = "That file is no longer available on Slack; please upload it again."


class FileHiddenByLimit(FileGone):
    """The file is past the free plan's history limit: Slack sends a stub without its contents."""

    message = "That file is hidden by this workspace's message history limit; please upload it again."


@dataclass(frozen=True)
class FileHosts:
    """The allow-list: bare hosts are reachable over HTTPS only; `http://host:port` entries allow HTTP."""

    entries: frozenset[tuple[str, str]]

    @classmethod
    def parse(cls, spec: str) -> FileHosts:
        entries = set()
        for item in (s.strip().lower() for s in spec.split(",")):
            if item:
                parsed = urlparse(item if "://" in item else f"https://{item}")
                entries.add((parsed.scheme, parsed.netloc))
        return cls(frozenset(entries))

    def allows(self, url: str) -> bool:
        parsed = urlparse(url)
        return (parsed.scheme.lower(), parsed.netloc.lower()) in self.entries


def is_media(file: dict[str, Any]) -> bool:
    """Whether a Slack file object is something the bot reads: a screenshot, a voice or video clip, a screen
    recording, a text file (a snippet, a log, JSON), or an archive or compressed file that may hold logs."""
    mime = str(file.get("mimetype") or "")
    clip = file.get("subtype") in ("slack_audio", "slack_video") or file.get("media_display_type") in ("audio", "video")
    return mime.startswith(MEDIA_PREFIXES) or clip or is_text_file(file) or mime in ARCHIVE_TYPES


def is_text_file(file: dict[str, Any]) -> bool:
    """A snippet, or a text file such as a log or JSON (also when Slack labels it binary but its name says text)."""
    mime = str(file.get("mimetype") or "")
    named = mime in BINARY_TYPES and file_name(file).lower().endswith(TEXT_NAMES)
    return file.get("mode") == "snippet" or mime.startswith("text/") or mime in TEXT_TYPES or named


def file_name(file: dict[str, Any]) -> str:
    return str(file.get("name") or file.get("title") or file.get("id") or "file")


def transcript_preview(file: dict[str, Any]) -> str:
    """Slack's own transcript of a voice or video clip, when it is complete (a cut-off preview is not used)."""
    transcription = file.get("transcription") or {}
    preview = transcription.get("preview") or {}
    if transcription.get("status") not in (None, "complete") or preview.get("has_more"):
        return ""
    return str(preview.get("content") or "").strip()


def snippet_preview(file: dict[str, Any]) -> str | None:
    """A snippet's whole text when Slack sent all of it in the event, else None (it must be downloaded)."""
    preview = file.get("preview")
    if file.get("mode") != "snippet" or not isinstance(preview, str):
        return None
    if file.get("preview_is_truncated") or file.get("lines_more"):
        return None
    return preview


def too_large(size: int, limit: int, text: bool = False) -> MediaTooLarge:
    advice = "the part of the log around the error" if text else "a smaller screenshot or a shorter clip"
    return MediaTooLarge(f"That file is {size / 1e6:.1f} MB, over the {limit / 1e6:g} MB limit; please send {advice}.")


class FileFetcher:
    """Turns Slack file objects into attachments, enforcing the host allow-list and the size limit."""

    def __init__(self, settings: Settings, client: WebClient) -> None:
        self.client = client
        self.hosts = FileHosts.parse(settings.slack_file_hosts)
        self.limit = settings.max_file_bytes
        self.text_limit = min(settings.max_file_bytes, settings.max_snippet_bytes)
        self.timeout = settings.slack_download_timeout_seconds
        self.opener = urllib.request.build_opener(NoRedirect())

    def fetch(self, file: dict[str, Any]) -> Attachment:
        """Download one file (after `files.info` when Slack sent a stub); raises a `BotError` to show users.
        A deleted or plan-hidden file is told apart from its stub alone; a snippet Slack sent whole is not
        downloaded."""
        gone(file)
        file = self.resolve(file)
        gone(file)
        if not is_media(file):
            raise UnsupportedMedia()
        name = file_name(file)
        if (preview := snippet_preview(file)) is not None:
            return Attachment(name=name, data=preview.encode(), mime="text/plain")
        text = is_text_file(file)
        limit = self.text_limit if text and not name.lower().endswith(HAR_NAME) else self.limit
        if int(file.get("size") or 0) > limit:
            raise too_large(int(file["size"]), limit, text)
        url = str(file.get("url_private_download") or file.get("url_private") or "")
        if file.get("is_external") or not self.hosts.allows(url):
            log.warning("refused to download file %s from %s", file.get("id"), urlparse(url).netloc or "nowhere")
            raise DownloadRefused()
        data, content_type = self.download(url, limit)
        check_content(data, content_type, text)
        return Attachment(name=name, data=data, mime=claimed_mime(file))

    def resolve(self, file: dict[str, Any]) -> dict[str, Any]:
        """The full file object: a stub (`file_access: check_file_info`, no URL) is looked up first."""
        has_url = file.get("url_private_download") or file.get("url_private")
        if has_url and file.get("file_access") != "check_file_info":
            return file
        try:
            return dict(self.client.files_info(file=str(file.get("id")))["file"])
        except SlackApiError as err:
            log.warning("files.info %s failed: %s", file.get("id"), err.response.get("error"))
            raise (FileGone() if err.response.get("error") == "file_not_found" else DownloadFailed()) from err

    def download(self, url: str, limit: int | None = None) -> tuple[bytes, str]:
        """GET `url` with the bot token, following redirects only within the allow-list."""
        for _ in range(MAX_REDIRECTS + 1):
            try:
                return self.get(url, limit or self.limit)
            except urllib.error.HTTPError as err:
                if err.code not in REDIRECT_CODES:
                    log.warning("download from %s failed: HTTP %s", urlparse(url).netloc, err.code)
                    raise (FileGone() if err.code in (404, 410) else DownloadFailed()) from err
                target = urljoin(url, err.headers.get("Location", ""))
                if not self.hosts.allows(target):
                    log.warning("not following redirect from %s to %s", urlparse(url).netloc, urlparse(target).netloc)
                    raise (MissingFilesScope() if is_slack_sign_in(target) else RedirectedAway()) from err
                url = target
            except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
                log.warning("download from %s failed: %s", urlparse(url).netloc, err)
                raise DownloadFailed() from err
        raise DownloadFailed()

    def get(self, url: str, limit: int) -> tuple[bytes, str]:
        """One GET, streamed and capped at `limit` bytes."""
        token = self.client.token or ""
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with self.opener.open(request, timeout=self.timeout) as response:
            length = int(response.headers.get("Content-Length") or 0)
            if length > limit:
                raise too_large(length, limit, limit < self.limit)
            data = bytearray()
            while chunk := response.read(CHUNK_BYTES):
                data += chunk
                if len(data) > limit:
                    raise too_large(len(data), limit, limit < self.limit)
            return bytes(data), response.headers.get_content_type()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Makes urllib hand redirects back to `FileFetcher.download` instead of following them."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def check_content(data: bytes, content_type: str, text: bool = False) -> None:
    """Refuse a sign-in page (the files:read scope is missing), any other web page, or any other body that is not
    media (or, for a text file, text)."""
    head = data[:512].lstrip().lower()
    if content_type == "text/html" or head.startswith((b"<!doctype html", b"<html")):
        raise MissingFilesScope() if has_sign_in_form(data) else WebPageNotFile()
    if text and (content_type.startswith("text/") or content_type in TEXT_TYPES):
        return
    if not content_type.startswith(MEDIA_PREFIXES) and content_type not in (*BINARY_TYPES, *ARCHIVE_TYPES):
        raise UnsupportedMedia()


def has_sign_in_form(page: bytes) -> bool:
    """Whether a web page holds a sign-in form: a form with a password field or a sign-in/login target."""
    text = page.lower()
    return b"<form" in text and any(mark in text for mark in SIGN_IN_MARKS)


def is_slack_sign_in(url: str) -> bool:
    """Whether a redirect goes to a Slack workspace (its sign-in page) rather than to another website."""
    host = (urlparse(url).hostname or "").lower()
    return host == "slack.com" or host.endswith(".slack.com")


def gone(file: dict[str, Any]) -> None:
    """Raise when the file object is a stub of a deleted file or of one hidden by the plan's history limit."""
    if file.get("mode") == "hidden_by_limit":
        raise FileHiddenByLimit()
    if file.get("mode") == "tombstone" or file.get("file_access") == "file_not_found":
        raise FileGone()


def claimed_mime(file: dict[str, Any]) -> str | None:
    """The MIME type to pass on; Slack labels some voice clips `video/mp4`."""
    mime = file.get("mimetype")
    if file.get("subtype") == "slack_audio" and mime == "video/mp4":
        return "audio/mp4"
    return str(mime) if mime else None
