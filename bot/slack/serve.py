"""`serve(settings)`: load the engine once, then take Slack's events over Socket Mode or HTTP until stopped."""

from __future__ import annotations

import logging
import signal
import threading
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError

from bot.errors import BotError
from bot.settings import Settings
from bot.slack.app import SlackApp, SlackNotConfigured, check_settings, create_app, secret

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """A WSGI server that serves each request on its own thread, so acks never queue behind each other."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    """Logs requests through `logging` at debug level instead of printing them."""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


def make_http_server(bolt: App, host: str, port: int) -> WSGIServer:
    """The HTTP Events API server: bolt verifies each request's signature; events go to /slack/events."""
    handler = SlackRequestHandler(bolt, path=EVENTS_PATH)
    return make_server(host, port, handler, server_class=ThreadingWSGIServer, handler_class=QuietHandler)


def socket_mode_handler(slack: SlackApp, settings: Settings) -> SocketModeHandler:
    """The Socket Mode connection (it asks `apps.connections.open` at the API URL for the websocket)."""
    return SocketModeHandler(slack.bolt, app_token=secret(settings.slack_app_token), web_client=slack.bolt.client)


def load_engine(settings: Settings) -> Any:
    """The matcher, warm, over an index of the knowledge folder (built now if missing)."""
    from bot.matcher import Matcher
    from bot.refresh import build_refresher

    matcher = Matcher.from_settings(settings)
    if not matcher.index.exists():
        log.info("no index yet for %s; building it", settings.knowledge_dir)
        build_refresher(settings, matcher.embedder, matcher.extractor).refresh()
    matcher.warm()
    return matcher


def build_app(settings: Settings, matcher: Any) -> SlackApp:
    """The app, with its bot token checked by Slack; a rejected token is one sentence."""
    try:
        return create_app(settings, matcher)
    except BoltError as err:
        log.error("Slack rejected the app's credentials: %s", err)
        raise SlackNotConfigured(
            "Slack rejected SUPPORTBOT_SLACK_BOT_TOKEN (or SUPPORTBOT_SLACK_API_URL is wrong); check the settings."
        ) from err


def serve(settings: Settings, stop: threading.Event | None = None) -> None:
    """Answer Slack until SIGINT/SIGTERM (or `stop` is set); missing settings raise one sentence first."""
    check_settings(settings)
    from bot.refresh import build_refresher
    from bot.schedule import start_refresh_scheduler

    stop = stop or stop_on_signals()
    matcher = load_engine(settings)
    slack = build_app(settings, matcher)
    scheduler = start_refresh_scheduler(settings, build_refresher(settings, matcher.embedder, matcher.extractor))
    try:
        if settings.slack_mode == "http":
            serve_http(slack, settings, stop)
        else:
            serve_socket_mode(slack, settings, stop)
    finally:
        scheduler.shutdown(wait=False)
        slack.close()


def serve_http(slack: SlackApp, settings: Settings, stop: threading.Event) -> None:
    server = make_http_server(slack.bolt, settings.slack_host, settings.slack_port)
    thread = threading.Thread(target=server.serve_forever, name="supportbot-http", daemon=True)
    thread.start()
    log.info("listening for Slack events on http://%s:%s%s", settings.slack_host, settings.slack_port, EVENTS_PATH)
    wait(stop)
    server.shutdown()
    server.server_close()


def serve_socket_mode(slack: SlackApp, settings: Settings, stop: threading.Event) -> None:
    handler = socket_mode_handler(slack, settings)
    try:
        handler.connect()
    except Exception as err:
        log.error("Socket Mode connection failed: %s", err)
        raise BotError(
            "Could not open a Socket Mode connection; check SUPPORTBOT_SLACK_APP_TOKEN and that Socket Mode is on."
        ) from err
    log.info("connected to Slack over Socket Mode")
    wait(stop)
    handler.close()


def wait(stop: threading.Event) -> None:
    """Block until `stop` is set, waking regularly so signal handlers run."""
    while not stop.wait(1.0):
        pass


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop
