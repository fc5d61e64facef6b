"""File downloads: the bot token goes only to allow-listed hosts, within the size limit, files only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.errors import MediaTooLarge, UnsupportedMedia
from bot.settings import Settings
from bot.slack.download import (
    DownloadRefused,
    FileFetcher,
    FileGone,
    FileHiddenByLimit,
    FileHosts,
    MissingFilesScope,
    RedirectedAway,
    WebPageNotFile,
    is_media,
    transcript_preview,
)
from tests.fake_slack import BOT_TOKEN, FakeSlack, RecordingHost

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 2000


@pytest.fixture
def elsewhere() -> Iterator[RecordingHost]:
    host = RecordingHost()
    yield host
    host.close()


def fetcher(fake: FakeSlack, **overrides: object) -> FileFetcher:
    settings = Settings(slack_file_hosts=f"files.slack.com, {fake.base}", **overrides)  # type: ignore[arg-type]
    return FileFetcher(settings, WebClient(token=BOT_TOKEN, base_url=fake.api_url))


def test_downloads_with_the_bot_token(fake: FakeSlack) -> None:
    file = fake.add_file("F1", "shot.png", PNG, "image/png")
    attachment = fetcher(fake).fetch(file)
    assert (attachment.name, attachment.data, attachment.mime) == ("shot.png", PNG, "image/png")
    assert fake.downloads == [("/files-pri/T0001-F1/download/shot.png", f"Bearer {BOT_TOKEN}")]


def test_stub_files_are_looked_up_with_files_info_first(fake: FakeSlack) -> None:
    fake.add_file("F2", "shot.png", PNG, "image/png")
    attachment = fetcher(fake).fetch({"id": "F2", "mode": "file_access", "file_access": "check_file_info"})
    assert attachment.data == PNG
    assert [c.args["file"] for c in fake.calls_to("files.info")] == ["F2"]
    with pytest.raises(FileGone):
        fetcher(fake).fetch({"id": "F404", "file_access": "check_file_info"})


def test_oversized_files_are_refused_before_downloading(fake: FakeSlack) -> None:
    file = fake.add_file("F3", "big.png", PNG, "image/png", size=30_000_000)
    with pytest.raises(MediaTooLarge, match="30.0 MB"):
        fetcher(fake).fetch(file)
    assert fake.downloads == []


def test_files_larger_than_they_claim_are_cut_off_while_streaming(fake: FakeSlack) -> None:
    file = fake.add_file("F4", "liar.png", PNG * 100, "image/png", size=10)
    with pytest.raises(MediaTooLarge):
        fetcher(fake, max_file_bytes=50_000).fetch(file)


SIGN_IN = b'<!DOCTYPE html><html><body><form id="signin_form"><input type="password"></form></body></html>'


def test_a_sign_in_page_means_the_files_read_scope_is_missing(fake: FakeSlack) -> None:
    file = fake.add_file("F5", "shot.png", SIGN_IN, "image/png", served_as="text/html")
    with pytest.raises(MissingFilesScope, match="files:read"):
        fetcher(fake).fetch(file)
    sneaky = fake.add_file("F6", "shot.png", b"", "image/png")
    sneaky_url = fake.host_file("/files-pri/sneaky.png", b"\n<html><form action=/login>", "application/octet-stream")
    with pytest.raises(MissingFilesScope):
        fetcher(fake).fetch({**sneaky, "url_private_download": sneaky_url})


def test_a_web_page_without_a_sign_in_form_says_so(fake: FakeSlack) -> None:
    page = b"<!DOCTYPE html><html><body><h1>Shared link</h1>Sign in to see more</body></html>"
    file = fake.add_file("F5b", "shot.png", page, "image/png", served_as="text/html")
    with pytest.raises(WebPageNotFile, match="web page, not the file"):
        fetcher(fake).fetch(file)


def test_urls_outside_the_allow_list_are_never_fetched(fake: FakeSlack, elsewhere: RecordingHost) -> None:
    file = fake.add_file("F7", "shot.png", PNG, "image/png")
    with pytest.raises(DownloadRefused):
        fetcher(fake).fetch({**file, "url_private_download": f"{elsewhere.base}/steal.png", "url_private": None})
    with pytest.raises(DownloadRefused):
        fetcher(fake).fetch({**file, "is_external": True})
    assert elsewhere.requests == []


def test_redirects_are_followed_only_within_the_allow_list(fake: FakeSlack, elsewhere: RecordingHost) -> None:
    target = fake.host_file("/files-pri/real.png", PNG, "image/png")
    hop = fake.host_file("/files-pri/hop.png", b"", "text/plain", status=302, Location=target)
    away = fake.host_file("/files-pri/away.png", b"", "text/plain", status=302, Location=f"{elsewhere.base}/login")
    sign_in = "https://acme.slack.com/?redir=%2Ffiles-pri%2FT-F%2Fshot.png"
    to_slack = fake.host_file("/files-pri/signin.png", b"", "text/plain", status=302, Location=sign_in)
    file = fake.add_file("F8", "shot.png", PNG, "image/png")
    assert fetcher(fake).fetch({**file, "url_private_download": hop}).data == PNG
    with pytest.raises(RedirectedAway, match="another website"):
        fetcher(fake).fetch({**file, "url_private_download": away})
    with pytest.raises(MissingFilesScope):
        fetcher(fake).fetch({**file, "url_private_download": to_slack})
    assert elsewhere.requests == []


def test_non_media_files_are_refused_without_downloading(fake: FakeSlack) -> None:
    file = fake.add_file("F9", "report.pdf", b"%PDF-1.7", "application/pdf")
    with pytest.raises(UnsupportedMedia):
        fetcher(fake).fetch(file)
    served_wrong = fake.add_file("F10", "shot.png", b"just text", "image/png")
    url = fake.host_file("/files-pri/text.txt", b"just text", "text/plain")
    with pytest.raises(UnsupportedMedia):
        fetcher(fake).fetch({**served_wrong, "url_private_download": url})
    assert fake.downloads == [("/files-pri/text.txt", f"Bearer {BOT_TOKEN}")]


def test_deleted_files_say_so(fake: FakeSlack) -> None:
    file = fake.add_file("F11", "shot.png", PNG, "image/png")
    with pytest.raises(FileGone):
        fetcher(fake).fetch({**file, "mode": "tombstone"})


def test_tombstones_and_plan_hidden_stubs_are_told_apart_without_an_api_call(fake: FakeSlack) -> None:
    with pytest.raises(FileHiddenByLimit, match="history limit"):
        fetcher(fake).fetch({"id": "F21", "mode": "hidden_by_limit", "file_access": "check_file_info"})
    with pytest.raises(FileGone, match="no longer available"):
        fetcher(fake).fetch({"id": "F22", "mode": "tombstone", "file_access": "check_file_info"})
    assert fake.calls_to("files.info") == [] and fake.downloads == []


def test_a_whole_snippet_is_read_from_its_preview_and_a_cut_one_is_downloaded(fake: FakeSlack) -> None:
    text = b"$ npm install\nnpm ERR! code ENOENT\n"
    file = fake.add_file("F23", "-.txt", text, "text/plain", mode="snippet", preview=text.decode(), lines=2)
    whole = fetcher(fake).fetch({**file, "preview_is_truncated": False, "lines_more": 0})
    assert (whole.data, whole.mime, fake.downloads) == (text, "text/plain", [])
    cut = fetcher(fake).fetch({**file, "preview": "$ npm install", "preview_is_truncated": True, "lines_more": 1})
    assert cut.data == text and len(fake.downloads) == 1
    log = fake.add_file("F24", "app.log", text, "text/plain", size=6_000_000)
    with pytest.raises(MediaTooLarge, match="the part of the log around the error"):
        fetcher(fake).fetch(log)


def test_video_clips_are_downloaded_for_the_recording_path(fake: FakeSlack) -> None:
    clip = fake.add_file("F25", "Recording.mp4", b"\0\0\0\x18ftypmp42", "video/mp4", subtype="slack_video")
    assert is_media(clip) and fetcher(fake).fetch(clip).mime == "video/mp4"


def test_voice_clips_labelled_video_are_passed_on_as_audio(fake: FakeSlack) -> None:
    file = fake.add_file("F12", "audio_message.mp4", b"\0\0\0\x18ftypmp42", "video/mp4", subtype="slack_audio")
    assert fetcher(fake).fetch(file).mime == "audio/mp4"


def test_host_allow_list_requires_https_unless_http_is_named() -> None:
    hosts = FileHosts.parse("files.slack.com, http://127.0.0.1:8080")
    assert hosts.allows("https://files.slack.com/files-pri/T-F/x.png")
    assert not hosts.allows("http://files.slack.com/files-pri/T-F/x.png")
    assert not hosts.allows("https://files.slack.com.evil.test/x.png")
    assert hosts.allows("http://127.0.0.1:8080/x.png")
    assert not hosts.allows("http://127.0.0.1:8081/x.png")
    assert not hosts.allows("")


def test_transcript_preview() -> None:
    done = {"transcription": {"status": "complete", "preview": {"content": " nginx says 502 ", "has_more": False}}}
    assert transcript_preview(done) == "nginx says 502"
    cut = {"transcription": {"status": "complete", "preview": {"content": "nginx says", "has_more": True}}}
    assert transcript_preview(cut) == ""
    assert transcript_preview({"transcription": {"status": "processing"}}) == ""
    assert transcript_preview({}) == ""


def test_zipped_and_compressed_logs_are_downloaded_within_the_file_limit_not_the_log_limit(fake: FakeSlack) -> None:
    bundle = fake.add_file("F26", "support-bundle.zip", b"PK\x03\x04" + b"\0" * 64, "application/zip", size=12_000_000)
    rotated = fake.add_file("F27", "app.log.1.gz", b"\x1f\x8b\x08\x00" + b"\0" * 64, "application/gzip")
    for file in (bundle, rotated):
        assert is_media(file)
        assert fetcher(fake).fetch(file).data.startswith((b"PK", b"\x1f\x8b"))
    assert is_media({"mimetype": "application/x-tar"}) and not is_media({"mimetype": "application/x-rar"})


def test_a_har_or_log_slack_labels_binary_is_downloaded_as_text_a_har_within_the_file_limit(fake: FakeSlack) -> None:
    """Slack labels a file whose extension it does not know `application/octet-stream`: a browser's HAR file. A HAR
    may be as large as any file (its recorded bodies are cut where it is read); a log keeps the limit for logs."""
    har = fake.add_file("F28", "shop.har", b'{"log": {"entries": []}}', "application/octet-stream", size=12_000_000)
    log = fake.add_file("F29", "worker.log", b"ERROR boom\n", "application/octet-stream")
    for file in (har, log):
        assert is_media(file) and fetcher(fake).fetch(file).data.startswith((b"{", b"ERROR"))
    big = fake.add_file("F30", "worker.log", b"ERROR boom\n", "application/octet-stream", size=12_000_000)
    with pytest.raises(MediaTooLarge):
        fetcher(fake).fetch(big)
    assert not is_media({"mimetype": "application/octet-stream", "name": "setup.exe"})
