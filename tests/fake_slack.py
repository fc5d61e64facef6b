"""A fake Slack on 127.0.0.1 for tests and the benchmark: Web API (incl. chat.update and views.open), file host,
response URLs, Socket Mode.

Everything it receives is recorded; `wait_for` polls those records with a generous timeout. Faults can be
injected per method: rate limits (429 with Retry-After), 5xx answers, dropped connections and Slack's final
`{"ok": false}` errors (`fail` for every matching call, `inject` for the next few).
Also: builders for Slack payloads (events, commands, shortcuts, buttons, selects, options loads, modal
submissions) and a client that signs HTTP requests the way Slack does.
"""

from __future__ import annotations

import itertools
import json
import socket
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from slack_sdk.signature import SignatureVerifier

BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-fake-app-token"
SIGNING_SECRET = "fake-signing-secret"
BOT_USER = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM = "T0001"
T = TypeVar("T")


@dataclass
class Call:
    """One Web API call as the fake received it; `ok` is False when a fault answered it."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)
    ok: bool = True


@dataclass(frozen=True)
class Fault:
    """How one call fails: an HTTP status (429 carries Retry-After), Slack's error code, or a dropped connection."""

    status: int = 200
    error: str = ""
    retry_after: int | None = None
    reset: bool = False

    def body(self) -> bytes:
        return json.dumps({"ok": False, "error": self.error or f"http_{self.status}"}).encode()


def rate_limited(seconds: int = 1) -> Fault:
    return Fault(429, "ratelimited", retry_after=seconds)


def server_error(status: int = 503) -> Fault:
    return Fault(status, "service_unavailable")


def connection_reset() -> Fault:
    return Fault(reset=True)


def final(error: str) -> Fault:
    """One of Slack's final errors (`not_in_channel`, `channel_not_found`, `is_archived`, ...): HTTP 200."""
    return Fault(error=error)


@dataclass
class FaultRule:
    """Faults for calls of `method` whose args include `match`: `queued` ones first, then `always` (if any)."""

    method: str
    match: dict[str, Any]
    queued: list[Fault]
    always: Fault | None = None

    def take(self, method: str, args: dict[str, Any]) -> Fault | None:
        if method != self.method or any(args.get(k) != v for k, v in self.match.items()):
            return None
        return self.queued.pop(0) if self.queued else self.always


@dataclass
class Hosted:
    """A file the fake file host serves at `path`."""

    data: bytes
    content_type: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    """Slack's Web API, file host and response URLs on one loopback port; Socket Mode on another."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.downloads: list[tuple[str, str | None]] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []
        self.acks: list[dict[str, Any]] = []
        self.hosted: dict[str, Hosted] = {}
        self.file_info: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, Callable[[dict[str, Any]], str | None]] = {}
        self.private_channels: set[str] = set()
        self.user_groups: dict[str, list[str]] = {}
        self.rules: list[FaultRule] = []
        self.lock = threading.Lock()
        self._ts = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        self._ws: Any = None
        self._ws_conns: list[Any] = []

    # --- addresses ---------------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, key: str) -> str:
        return f"{self.base}/respond/{key}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._ws is not None:
            self._ws.shutdown()

    # --- files --------------------------------------------------------------------------------------
    def host_file(self, path: str, data: bytes, content_type: str, status: int = 200, **headers: str) -> str:
        """Serve `data` at `path` on the file host; returns its URL."""
        self.hosted[path] = Hosted(data, content_type, status, headers)
        return f"{self.base}{path}"

    def add_file(
        self, file_id: str, name: str, data: bytes, mimetype: str, served_as: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """Host a file and return the Slack file object that points at it (also known to `files.info`)."""
        url = self.host_file(f"/files-pri/{TEAM}-{file_id}/download/{name}", data, served_as or mimetype)
        obj = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": name.rsplit(".", 1)[-1],
            "size": len(data),
            "mode": "hosted",
            "is_external": False,
            "url_private": url,
            "url_private_download": url,
            **extra,
        }
        self.file_info[file_id] = obj
        return obj

    # --- recorded traffic ---------------------------------------------------------------------------
    def calls_to(self, method: str, **match: Any) -> list[Call]:
        with self.lock:
            calls = list(self.calls)
        return [c for c in calls if c.method == method and all(c.args.get(k) == v for k, v in match.items())]

    def posts(self, **match: Any) -> list[dict[str, Any]]:
        """Messages posted with chat.postMessage (and not failed by a fault) whose args include `match`."""
        return [c.args for c in self.calls_to("chat.postMessage", **match) if c.ok]

    def ephemerals(self, **match: Any) -> list[dict[str, Any]]:
        """Messages posted with chat.postEphemeral (and not failed by a fault) whose args include `match`."""
        return [c.args for c in self.calls_to("chat.postEphemeral", **match) if c.ok]

    def responded(self, key: str) -> list[dict[str, Any]]:
        with self.lock:
            return [body for k, body in self.responses if k == key]

    def wait_for(self, probe: Callable[[], T | None], timeout: float = 90.0, what: str = "condition") -> T:
        """Poll `probe` until it returns something truthy; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")

    def fail(self, method: str, fault: Fault | str, **match: Any) -> None:
        """Make every call of `method` whose args include `match` fail (a string is Slack's final error code)."""
        with self.lock:
            self.rules.append(FaultRule(method, match, [], final(fault) if isinstance(fault, str) else fault))

    def inject(self, method: str, *faults: Fault, **match: Any) -> None:
        """Make the next calls of `method` whose args include `match` fail as `faults` say, one per call."""
        with self.lock:
            self.rules.append(FaultRule(method, match, list(faults)))

    def heal(self) -> None:
        """Drop every fault rule."""
        with self.lock:
            self.rules.clear()

    def fault_for(self, method: str, args: dict[str, Any]) -> Fault | None:
        with self.lock:
            for rule in self.rules:
                fault = rule.take(method, args)
                if fault is not None:
                    return fault
        return None

    # --- Web API ------------------------------------------------------------------------------------
    def api(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any] | Fault:
        fault = self.fault_for(method, args)
        with self.lock:
            self.calls.append(Call(method, args, token, ok=fault is None))
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != expected:
            return {"ok": False, "error": "invalid_auth"}
        if fault is not None:
            return fault
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        return handler(args) if handler else {"ok": False, "error": "unknown_method"}

    def api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Fake",
            "user": "supportbot",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"1800000000.{next(self._ts):06d}"
        return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": {"text": args.get("text"), "ts": ts}}

    def api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": f"1800000000.{next(self._ts):06d}"}

    def api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}

    def api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = args.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        return {"ok": True, "view": {"id": f"V{next(self._ts):06d}", **(view or {})}}

    def views_opened(self) -> list[dict[str, Any]]:
        """The modals opened with views.open (the view as sent)."""
        opened: list[Any] = [c.args.get("view") for c in self.calls_to("views.open") if c.ok]
        return [json.loads(v) if isinstance(v, str) else v for v in opened]

    def updates(self, **match: Any) -> list[dict[str, Any]]:
        """Messages replaced with chat.update whose args include `match`."""
        return [c.args for c in self.calls_to("chat.update", **match) if c.ok]

    def api_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = str(args.get("message_ts", "")).replace(".", "")
        return {
            "ok": True,
            "channel": args.get("channel"),
            "permalink": f"https://fake.slack.test/archives/{args.get('channel')}/p{ts}",
        }

    def api_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """D… are DMs, G… and those in `private_channels` private channels, the rest public."""
        channel = str(args.get("channel"))
        private = channel.startswith("G") or channel in self.private_channels
        info = {"id": channel, "is_im": channel.startswith("D"), "is_private": private, "is_mpim": False}
        return {"ok": True, "channel": info}

    def api_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        users = self.user_groups.get(str(args.get("usergroup")))
        return {"ok": True, "users": users} if users is not None else {"ok": False, "error": "no_such_subteam"}

    def api_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def api_reactions_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def api_files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        info = self.file_info.get(str(args.get("file")))
        return {"ok": True, "file": info} if info else {"ok": False, "error": "file_not_found"}

    def api_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        port = self.start_socket_mode()
        return {"ok": True, "url": f"ws://127.0.0.1:{port}/link/?ticket=fake-ticket&app_id=A0001"}

    # --- Socket Mode --------------------------------------------------------------------------------
    def start_socket_mode(self) -> int:
        """Start (once) the websocket server the Socket Mode client is sent to."""
        from websockets.sync.server import serve

        with self.lock:
            if self._ws is None:
                self._ws = serve(self._ws_session, "127.0.0.1", 0)
                threading.Thread(target=self._ws.serve_forever, daemon=True).start()
            return int(self._ws.socket.getsockname()[1])

    def _ws_session(self, conn: Any) -> None:
        conn.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"}}))
        with self.lock:
            self._ws_conns.append(conn)
        from websockets.exceptions import ConnectionClosed

        try:
            for raw in conn:
                with self.lock:
                    self.acks.append(json.loads(raw))
        except ConnectionClosed:
            pass

    def send_envelope(self, kind: str, payload: dict[str, Any], envelope_id: str, retry_attempt: int = 0) -> None:
        """Push one envelope (events_api, slash_commands or interactive) to the connected client."""
        conn = self.wait_for(lambda: self._ws_conns[-1] if self._ws_conns else None, what="a Socket Mode client")
        conn.send(
            json.dumps(
                {
                    "envelope_id": envelope_id,
                    "type": kind,
                    "payload": payload,
                    "accepts_response_payload": kind != "events_api",
                    "retry_attempt": retry_attempt,
                    "retry_reason": "timeout" if retry_attempt else "",
                }
            )
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                if path.startswith("/api/"):
                    self.api(path[5:], dict(urllib.parse.parse_qsl(query)))
                    return
                with fake.lock:
                    fake.downloads.append((path, self.headers.get("Authorization")))
                hosted = fake.hosted.get(path)
                if hosted is None or self.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
                    self.reply(404 if hosted is None else 403, b"no", "text/plain")
                    return
                self.reply(hosted.status, hosted.data, hosted.content_type, hosted.headers)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path, _, query = self.path.partition("?")
                if path.startswith("/respond/"):
                    fault = fake.fault_for("respond", {"key": path[9:]})
                    if fault is not None:
                        self.fail(fault)
                        return
                    with fake.lock:
                        fake.responses.append((path[9:], json.loads(raw or b"{}")))
                    self.reply(200, b"ok", "text/plain")
                    return
                if "json" in (self.headers.get("Content-Type") or ""):
                    args = json.loads(raw or b"{}")
                else:
                    args = dict(urllib.parse.parse_qsl(raw.decode()))
                args.update(urllib.parse.parse_qsl(query))
                self.api(path[5:], args)

            def api(self, method: str, args: dict[str, Any]) -> None:
                auth = self.headers.get("Authorization") or ""
                token = auth.removeprefix("Bearer ") if auth else args.pop("token", None)
                answer = fake.api(method, args, token)
                if isinstance(answer, Fault):
                    self.fail(answer)
                else:
                    self.reply(200, json.dumps(answer).encode(), "application/json")

            def fail(self, fault: Fault) -> None:
                """Answer as `fault` says; a reset drops the connection unanswered (RST, as a crashed proxy would)."""
                if fault.reset:
                    self.close_connection = True
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    return
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                self.reply(fault.status, fault.body(), "application/json", headers)

            def reply(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler


class RecordingHost:
    """A plain HTTP server that records every request: the bot must never send anything here."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.do_GET()

            def do_GET(self) -> None:
                host.requests.append((self.path, self.headers.get("Authorization")))
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                self.wfile.write(b"\x89PNG")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- payload builders -------------------------------------------------------------------------------
_event_ids = itertools.count(1)


def event_body(event: dict[str, Any]) -> dict[str, Any]:
    """An Events API `event_callback` envelope around `event`."""
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{next(_event_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
    }


def message_event(
    channel: str,
    ts: str,
    text: str = "",
    user: str = "UASKER01",
    files: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A `message` event (subtype file_share when it has files)."""
    event = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "channel_type": "channel",
        "team": TEAM,
        **extra,
    }
    if files:
        event.update(subtype="file_share", files=files)
    return event


def mention_event(channel: str, ts: str, text: str, user: str = "UASKER01", **extra: Any) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "channel": channel,
        "user": user,
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "team": TEAM,
        **extra,
    }


def command_form(text: str, response_url: str, channel: str = "C0CMD", user: str = "UASKER01") -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "channel_id": channel,
        "user_id": user,
        "command": "/findbug",
        "text": text,
        "response_url": response_url,
        "trigger_id": f"trig.{time.monotonic_ns()}",
    }


def shortcut_payload(
    message: dict[str, Any], channel: str, response_url: str, user: str = "UHELPER1"
) -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": "find_matching_bug",
        "trigger_id": f"trig.{time.monotonic_ns()}",
        "team": {"id": TEAM},
        "user": {"id": user},
        "channel": {"id": channel},
        "message": message,
        "response_url": response_url,
        "message_ts": message["ts"],
    }


def action_payload(
    action_id: str, value: str, message: dict[str, Any], channel: str, response_url: str, user: str = "UASKER01"
) -> dict[str, Any]:
    """A block_actions payload for a button on `message` (a posted reply: ts, text, blocks, thread_ts)."""
    return {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": user},
        "api_app_id": "A0001",
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel},
        "message": message,
        "response_url": response_url,
        "trigger_id": f"trig.{time.monotonic_ns()}",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "feedback",
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def select_payload(
    action_id: str,
    block_id: str,
    selected: str,
    message: dict[str, Any],
    channel: str,
    response_url: str,
    user: str = "UTRIAGE1",
) -> dict[str, Any]:
    """A block_actions payload for choosing `selected` in a static or external select on `message`."""
    payload = action_payload(action_id, "", message, channel, response_url, user)
    payload["actions"] = [
        {
            "type": "static_select",
            "action_id": action_id,
            "block_id": block_id,
            "selected_option": {"text": {"type": "plain_text", "text": selected}, "value": selected},
            "action_ts": f"{time.time():.6f}",
        }
    ]
    return payload


def options_payload(action_id: str, block_id: str, typed: str, user: str = "UTRIAGE1") -> dict[str, Any]:
    """A block_suggestion payload: an external select asking for options for what was typed."""
    return {
        "type": "block_suggestion",
        "user": {"id": user},
        "team": {"id": TEAM},
        "api_app_id": "A0001",
        "action_id": action_id,
        "block_id": block_id,
        "value": typed,
        "container": {"type": "message", "channel_id": "CTRIAGE", "message_ts": "1.0"},
    }


def view_submission(view: dict[str, Any], user: str = "UTRIAGE1", name: str = "Tess Triager") -> dict[str, Any]:
    """A view_submission payload for a modal as opened, each input submitted with its initial value (edit
    `view["state"]` first to submit something else: `submitted_values` builds it)."""
    state = view.get("state") or {"values": submitted_values(view)}
    return {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": user, "username": name.lower().replace(" ", "."), "name": name, "team_id": TEAM},
        "api_app_id": "A0001",
        "trigger_id": f"trig.{time.monotonic_ns()}",
        "view": {**view, "state": state},
    }


def submitted_values(view: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The `state.values` Slack sends for a modal's inputs left at their initial values, with `changes` by block
    id (text for a text input, the value for a select, a list of values for checkboxes)."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element, name = block["element"], block["block_id"]
        kind = element["type"]
        if kind == "plain_text_input":
            state = {"type": kind, "value": changes.get(name, element.get("initial_value"))}
        elif kind == "static_select":
            chosen = changes.get(name, (element.get("initial_option") or {}).get("value"))
            state = {
                "type": kind,
                "selected_option": next((o for o in element["options"] if o["value"] == chosen), None),
            }
        else:
            initial = [o["value"] for o in element.get("initial_options", [])]
            chosen = changes.get(name, initial)
            state = {"type": kind, "selected_options": [o for o in element["options"] if o["value"] in chosen]}
        values[name] = {element["action_id"]: state}
    return values


# --- signed HTTP client -----------------------------------------------------------------------------
@dataclass
class Sent:
    status: int
    body: str
    seconds: float


class SlackSender:
    """Posts to the bot's HTTP endpoint with Slack's signature headers (or deliberately wrong ones)."""

    def __init__(self, url: str, secret: str = SIGNING_SECRET) -> None:
        self.url = url
        self.signer = SignatureVerifier(secret)

    def send(
        self,
        body: str,
        content_type: str,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Sent:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sig = signature if signature is not None else self.signer.generate_signature(timestamp=ts, body=body)
        assert sig is not None  # generate_signature gives None only without a timestamp
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
            **(headers or {}),
        }
        request = urllib.request.Request(self.url, data=body.encode(), headers=all_headers, method="POST")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Sent(response.status, response.read().decode(), time.perf_counter() - started)
        except urllib.error.HTTPError as err:
            return Sent(err.code, err.read().decode(), time.perf_counter() - started)

    def event(self, event: dict[str, Any], retry: int | None = None, **kwargs: Any) -> Sent:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return self.send(json.dumps(event_body(event)), "application/json", headers, **kwargs)

    def form(self, fields: dict[str, str], **kwargs: Any) -> Sent:
        return self.send(urllib.parse.urlencode(fields), "application/x-www-form-urlencoded", **kwargs)

    def interaction(self, payload: dict[str, Any], **kwargs: Any) -> Sent:
        return self.form({"payload": json.dumps(payload)}, **kwargs)
