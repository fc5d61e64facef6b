"""`create_app(settings, matcher)`: the bolt `App` with supportbot's listeners, workers and store."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pydantic import SecretStr
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.errors import BotError
from bot.settings import Settings
from bot.slack.buttons import Buttons
from bot.slack.claims import SlackStore
from bot.slack.delivery import Delivery
from bot.slack.handlers import register
from bot.slack.responder import Engine, Responder
from bot.slack.triage import Catalog, IndexCatalog, Triage

log = logging.getLogger("bot.slack")
LISTENER_THREADS = 16  # bolt's listeners only parse, claim and queue; the engine runs in the responder's pool


@dataclass
class SlackApp:
    """The running pieces: `bolt` takes Slack's requests, `responder` answers them, `triage` resolves
    escalations, `store` remembers."""

    bolt: App
    responder: Responder
    store: SlackStore
    triage: Triage

    def close(self) -> None:
        """Let answers in progress finish (up to `slack_drain_seconds`), then close the store.

        When some are still running the store stays open for them until the process exits.
        """
        if self.responder.close():
            self.store.close()


class SlackNotConfigured(BotError):
    """Settings the chosen Slack mode needs are missing."""


def secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value else ""


def missing_settings(settings: Settings, connecting: bool = True) -> list[str]:
    """The environment names of the settings `serve` needs but lacks, for the configured mode."""
    needed = {"SUPPORTBOT_SLACK_BOT_TOKEN": settings.slack_bot_token}
    if settings.slack_mode == "http":
        needed["SUPPORTBOT_SLACK_SIGNING_SECRET"] = settings.slack_signing_secret
    elif connecting:
        needed["SUPPORTBOT_SLACK_APP_TOKEN"] = settings.slack_app_token
    return [name for name, value in needed.items() if not secret(value)]


def check_settings(settings: Settings, connecting: bool = True) -> None:
    """Raise one sentence naming every missing setting."""
    missing = missing_settings(settings, connecting)
    if missing:
        mode = "HTTP mode" if settings.slack_mode == "http" else "Socket Mode"
        names, them = " and ".join(missing), "them" if len(missing) > 1 else "it"
        raise SlackNotConfigured(f"supportbot serve ({mode}) needs {names}; set {them} in the environment or .env.")


def retry_handlers(settings: Settings) -> list[RetryHandler]:
    """Slack's own retry handlers: dropped connections, rate limits (waiting out Retry-After) and 500/503."""
    retries = settings.slack_api_retries
    return [
        ConnectionErrorRetryHandler(max_retry_count=retries),
        RateLimitErrorRetryHandler(max_retry_count=retries),
        ServerErrorRetryHandler(max_retry_count=retries),
    ]


def web_client(settings: Settings) -> WebClient:
    """The Web API client, with the bot token, at the configured API URL, retrying what Slack says to retry."""
    return WebClient(
        token=secret(settings.slack_bot_token) or None,
        base_url=settings.slack_api_url,
        retry_handlers=retry_handlers(settings),
    )


def create_app(
    settings: Settings,
    matcher: Engine,
    client: WebClient | None = None,
    store: SlackStore | None = None,
    catalog: Catalog | None = None,
) -> SlackApp:
    """Build the bolt app (its token is checked with `auth.test` now) around `matcher`; the triage actions offer
    the bugs of `catalog`, by default the matcher's index."""
    if client is None:
        check_settings(settings, connecting=False)
        client = web_client(settings)
    elif settings.slack_mode == "http" and not secret(settings.slack_signing_secret):
        raise SlackNotConfigured("HTTP mode needs SUPPORTBOT_SLACK_SIGNING_SECRET to verify Slack's requests.")
    store = store or SlackStore.open(settings)
    bolt = App(
        name="supportbot",
        client=client,
        signing_secret=secret(settings.slack_signing_secret),
        logger=log,
        process_before_response=False,
        ignoring_self_events_enabled=True,
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="supportbot-listen"),
    )
    delivery = Delivery(settings, client, retry_handlers(settings))
    responder = Responder(settings, matcher, client, store, delivery=delivery)
    index = getattr(matcher, "index", None)
    triage = Triage(settings, client, store, catalog or (IndexCatalog(index) if index is not None else None))
    register(bolt, settings, responder, Buttons(settings, client, store), triage)
    return SlackApp(bolt, responder, store, triage)
