"""`serve(settings)`: load the engine once, then take Slack's events over Socket Mode or HTTP until stopped, with
the scheduled refresh (followed by the fix notices it calls for)."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError

from bot.errors import BotError
from bot.settings import Settings
from bot.slack.app import SlackApp, SlackNotConfigured, check_settings, create_app, secret
from bot.slack.claims import SlackStore
from bot.store import Store

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1024 * 1024  # Slack's requests are a few kB; anything over this is refused unread
SIGNATURE_HEADERS = ("HTTP_X_SLACK_SIGNATURE", "HTTP_X_SLACK_REQUEST_TIMESTAMP")
REQUEST_TIMEOUT_SECONDS = 10.0  # a client that stalls while sending holds a thread no longer than this
BUSY_RESPONSE = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BoundedWSGIServer(WSGIServer):
    """A WSGI server with at most `threads` requests in flight, each on its own thread; beyond that, 503 at once
    (Slack retries it), so a flood cannot grow threads or memory without bound."""

    def __init__(self, address: tuple[str, int], handler: type[WSGIRequestHandler], threads: int = 16) -> None:
        super().__init__(address, handler)
        self._slots = threading.BoundedSemaphore(threads)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            log.warning("refusing a request from %s: every server thread is busy", client_address[0])
            with contextlib.suppress(OSError):
                request.sendall(BUSY_RESPONSE)
            self.shutdown_request(request)
            return
        thread = threading.Thread(target=self._serve, args=(request, client_address), daemon=True)
        thread.start()

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()


class QuietHandler(WSGIRequestHandler):
    """Logs requests through `logging` at debug level instead of printing them; times out stalled clients."""

    timeout = REQUEST_TIMEOUT_SECONDS

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


def guard_body(app: WSGIApp) -> WSGIApp:
    """Refuse, before reading a byte of the body, an events POST without Slack's signature headers (401), without
    a length (411) or over `MAX_BODY_BYTES` (413); bolt then checks the signature of what is left."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        status = refusal(environ)
        if status is None:
            return app(environ, start_response)
        log.info("refused a request to %s: %s", environ.get("PATH_INFO"), status)
        start_response(status, [("Content-Type", "text/plain")])
        return [status.encode()]

    return guarded


def refusal(environ: dict[str, Any]) -> str | None:
    """The status to refuse an events POST with, judged on its headers alone; None to let bolt read it (bolt
    answers other requests 404 without reading them)."""
    if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != EVENTS_PATH:
        return None
    if not all(environ.get(header) for header in SIGNATURE_HEADERS):
        return "401 Unauthorized"
    length = str(environ.get("CONTENT_LENGTH") or "")
    if not length.isdigit():
        return "411 Length Required"
    if int(length) > MAX_BODY_BYTES:
        return "413 Content Too Large"
    return None


def make_http_server(bolt: App, host: str, port: int, threads: int = 16) -> WSGIServer:
    """The HTTP Events API server: bounded threads; unsigned or oversized bodies refused unread; bolt verifies
    each request's signature; events go to /slack/events."""
    server = BoundedWSGIServer((host, port), QuietHandler, threads)
    server.set_app(guard_body(SlackRequestHandler(bolt, path=EVENTS_PATH)))
    return server


def socket_mode_handler(slack: SlackApp, settings: Settings) -> SocketModeHandler:
    """The Socket Mode connection (it asks `apps.connections.open` at the API URL for the websocket)."""
    return SocketModeHandler(slack.bolt, app_token=secret(settings.slack_app_token), web_client=slack.bolt.client)


def load_engine(settings: Settings, store: Store | None = None) -> Any:
    """The matcher, warm, over an index of the knowledge folder (built now if missing)."""
    from bot.matcher import Matcher
    from bot.refresh import build_refresher

    matcher = Matcher.from_settings(settings, store=store)
    if not matcher.index.exists():
        log.info("no index yet for %s; building it", settings.knowledge_dir)
        build_refresher(settings, matcher.embedder, matcher.extractor, store).refresh()
    matcher.warm()
    return matcher


def build_app(settings: Settings, matcher: Any, store: SlackStore) -> SlackApp:
    """The app, with its bot token checked by Slack; a rejected token is one sentence."""
    try:
        return create_app(settings, matcher, store=store)
    except BoltError as err:
        log.error("Slack rejected the app's credentials: %s", err)
        raise SlackNotConfigured(
            "Slack rejected SUPPORTBOT_SLACK_BOT_TOKEN (or SUPPORTBOT_SLACK_API_URL is wrong); check the settings."
        ) from err


def serve(settings: Settings, stop: threading.Event | None = None) -> None:
    """Answer Slack until SIGINT/SIGTERM (or `stop` is set); missing settings raise one sentence first."""
    check_settings(settings)
    from bot.refresh import build_refresher
    from bot.schedule import refresh_soon, start_refresh_scheduler
    from bot.slack.notices import Notices

    stop = stop or stop_on_signals()
    store = SlackStore.open(settings)  # one store (one connection pool) for the engine, the refresher and Slack
    matcher = load_engine(settings, store)
    slack = build_app(settings, matcher, store)
    notices = Notices(settings, slack.bolt.client, store)
    refresher = build_refresher(settings, matcher.embedder, matcher.extractor, store)
    scheduler = start_refresh_scheduler(settings, refresher, after=lambda _report: notices.send())
    slack.triage.on_filed = lambda: refresh_soon(scheduler)
    try:
        if settings.slack_mode == "http":
            serve_http(slack, settings, stop)
        else:
            serve_socket_mode(slack, settings, stop)
    finally:
        scheduler.shutdown(wait=False)
        slack.close()


def serve_http(slack: SlackApp, settings: Settings, stop: threading.Event) -> None:
    server = make_http_server(slack.bolt, settings.slack_host, settings.slack_port, settings.slack_http_threads)
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
