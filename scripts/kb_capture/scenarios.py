"""One function per failure: reproduce it for real on loopback and screenshot it.

Each scenario takes a `Ctx` (who/where/how it is shown) so the same failure can be
captured once for the knowledge base and again, in another context, for the demo queries.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import lab
from render import DARK, Theme, chromium_shot, terminal_shot


@dataclass(frozen=True)
class Ctx:
    """Context a failure is shown in."""

    user: str = "maya"
    host: str = "lumen-dev"
    project: str = "lumen-orders"
    port: int = 8080
    theme: Theme = DARK
    size: tuple[int, int] = (1100, 720)
    dark: bool = False
    scale: float = 1.0
    opts: dict[str, str] = field(default_factory=dict)

    def opt(self, key: str, default: str) -> str:
        return self.opts.get(key, default)


def _browser(ctx: Ctx, url: str, out: Path, extra: list[str] | None = None) -> None:
    chromium_shot(url, out, size=ctx.size, extra=extra, dark=ctx.dark, scale=ctx.scale)


def _terminal(ctx: Ctx, out: Path, cwd_display: str, command: str, output: str) -> None:
    terminal_shot(out, (ctx.user, ctx.host, cwd_display), command, output, ctx.theme, ctx.size)


def _proxy_block(port: int, upstream: int, extra: str = "") -> str:
    return (
        f"server {{ listen 127.0.0.1:{port}; server_name _; {extra}\n"
        f"  location / {{ proxy_pass http://127.0.0.1:{upstream}; proxy_set_header Host $http_host; }} }}"
    )


# --- browser pages -------------------------------------------------------------------

NGINX_LOG = "/var/log/nginx/error.log"


def _error_log_shot(ctx: Ctx, out: Path | None) -> None:
    """Screenshot the last lines of nginx's real error.log in a terminal."""
    if out is not None:
        cmd = f"tail -n 3 {NGINX_LOG}"
        _terminal(ctx, out, "~", cmd, lab.run(cmd, lab.home(ctx.user)))


def nginx_502(ctx: Ctx, out: Path, log_out: Path | None = None) -> None:
    """nginx in front of an app server that is not running -> 502 Bad Gateway."""
    Path(NGINX_LOG).write_text("")
    with lab.nginx(_proxy_block(ctx.port, ctx.port + 1), ctx.port, NGINX_LOG):
        _browser(ctx, f"http://127.0.0.1:{ctx.port}{ctx.opt('path', '/orders')}", out)
    _error_log_shot(ctx, log_out)


def nginx_504(ctx: Ctx, out: Path, log_out: Path | None = None) -> None:
    """nginx in front of a slow FastAPI endpoint -> 504 Gateway Time-out."""
    Path(NGINX_LOG).write_text("")
    block = _proxy_block(ctx.port, ctx.port + 1, "proxy_read_timeout 3s;")
    with lab.python_app("lumen_api:app", ctx.port + 1), lab.nginx(block, ctx.port, NGINX_LOG):
        _browser(ctx, f"http://127.0.0.1:{ctx.port}{ctx.opt('path', '/api/v1/reports/monthly')}", out)
    _error_log_shot(ctx, log_out)


def chrome_connection_refused(ctx: Ctx, out: Path) -> None:
    """Front-end dev server not started -> ERR_CONNECTION_REFUSED."""
    lab.assert_port_free(ctx.port)
    _browser(ctx, f"http://localhost:{ctx.port}{ctx.opt('path', '/')}", out)


def chrome_too_many_redirects(ctx: Ctx, out: Path) -> None:
    """Flask forces https but nginx (TLS) does not send X-Forwarded-Proto -> redirect loop."""
    certs = lab.make_certs(lab.ROOT / "certs")
    block = (
        f"server {{ listen 127.0.0.1:{ctx.port} ssl; ssl_certificate {certs['selfsigned']};"
        f" ssl_certificate_key {certs['selfsigned-key']};\n"
        f"  location / {{ proxy_pass http://127.0.0.1:{ctx.port + 1}; proxy_set_header Host $http_host; }} }}"
    )
    env = {"LUMEN_FORCE_HTTPS": "1"}
    with lab.python_app("lumen_reports:app", ctx.port + 1, env, kind="gunicorn"), lab.nginx(block, ctx.port):
        host = ctx.opt("host", "127.0.0.1")
        rules = [f"--host-resolver-rules=MAP {host} 127.0.0.1", "--ignore-certificate-errors"]
        _browser(ctx, f"https://{host}:{ctx.port}{ctx.opt('path', '/reports/')}", out, rules)


def chrome_name_not_resolved(ctx: Ctx, out: Path) -> None:
    """A host name nobody can resolve (no DNS record) -> ERR_NAME_NOT_RESOLVED."""
    host = ctx.opt("host", "orders.lumen.internal")
    rules = ["--host-resolver-rules=MAP * ~NOTFOUND"]  # keep Chromium off the real network
    _browser(ctx, f"http://{host}{ctx.opt('path', '/')}", out, rules)


def chrome_empty_response(ctx: Ctx, out: Path) -> None:
    """A server that accepts and closes without answering -> ERR_EMPTY_RESPONSE."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", ctx.port))
    srv.listen(8)
    stop = threading.Event()

    def loop() -> None:
        srv.settimeout(0.5)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conn.recv(4096)
            conn.close()

    worker = threading.Thread(target=loop, daemon=True)
    worker.start()
    try:
        _browser(ctx, f"http://127.0.0.1:{ctx.port}{ctx.opt('path', '/')}", out)
    finally:
        stop.set()
        worker.join()
        srv.close()


def flask_attributeerror(ctx: Ctx, out: Path) -> None:
    """Invoice of a guest order: customer is None -> Werkzeug debugger AttributeError."""
    with lab.python_app("lumen_reports", ctx.port, kind="flask-debug"):
        _browser(ctx, f"http://127.0.0.1:{ctx.port}/orders/{ctx.opt('order', '1042')}/invoice", out)


def django_disallowed_host(ctx: Ctx, out: Path) -> None:
    """Back-office opened by a host name missing from ALLOWED_HOSTS -> DisallowedHost."""
    host = ctx.opt("host", "orders.lumen.local")
    with lab.python_app("", ctx.port, kind="django"):
        rules = [f"--host-resolver-rules=MAP {host} 127.0.0.1"]
        _browser(ctx, f"http://{host}:{ctx.port}{ctx.opt('path', '/backoffice/')}", out, rules)


# --- terminal output ------------------------------------------------------------------


def fastapi_422_missing(ctx: Ctx, out: Path) -> None:
    """POST an order item without `sku` -> 422 {"type":"missing", ... "Field required"}."""
    body = ctx.opt("body", '{"customer_id": 77, "items": [{"qty": 2}]}')
    cmd = (
        f"curl -sS -i -X POST http://127.0.0.1:{ctx.port}/api/v1/orders -H 'Content-Type: application/json' -d '{body}'"
    )
    with lab.python_app("lumen_api:app", ctx.port):
        output = lab.run(cmd, lab.home(ctx.user))
    _terminal(ctx, out, "~", cmd, output)


def psql_refused(ctx: Ctx, out: Path) -> None:
    """PostgreSQL not running -> psql: connection ... failed: Connection refused."""
    port = int(ctx.opt("pgport", "5432"))
    lab.assert_port_free(port)
    host, user, db = ctx.opt("pghost", "127.0.0.1"), ctx.opt("pguser", "lumen"), ctx.opt("db", "lumen_orders")
    cmd = f"psql -h {host} -p {port} -U {user} {db}"
    output = lab.run(cmd, lab.home(ctx.user))
    _terminal(ctx, out, f"~/{ctx.project}", cmd, output)


_PRICING = {
    "base": "VAT_RATE = 0.20\n\n\ndef total(net):\n    return round(net * (1 + VAT_RATE), 2)\n",
    "feature": "VAT_RATE = 0.20\n\n\ndef total(net, discount=0.0):\n"
    "    return round(net * (1 + VAT_RATE) * (1 - discount), 2)\n",
    "main": "VAT_RATE = Decimal('0.21')\n\n\ndef total(net):\n    return (net * (1 + VAT_RATE)).quantize(CENT)\n",
}


def git_merge_conflict(ctx: Ctx, out: Path) -> None:
    """Two branches edit the same lines -> CONFLICT (content): Merge conflict in ..."""
    repo = lab.home(ctx.user) / ctx.project
    target = repo / ctx.opt("file", "lumen/pricing.py")
    branch = ctx.opt("branch", "feature/discounts")
    target.parent.mkdir(parents=True)
    git = f"git -c user.email={ctx.user}@example.com -c user.name={ctx.user}"
    steps = [  # (command before writing, file version, command after writing)
        ("git init -q -b main .", "base", f"git add . && {git} commit -qm 'pricing: first version'"),
        (f"git switch -qc {branch}", "feature", f"{git} commit -qam 'pricing: apply discounts'"),
        ("git switch -q main", "main", f"{git} commit -qam 'pricing: use Decimal rounding'"),
    ]
    for before, version, after in steps:
        lab.run(before, repo)
        target.write_text(_PRICING[version])
        lab.run(after, repo)
    cmd = f"git merge {branch}"
    _terminal(ctx, out, f"~/{ctx.project}", cmd, lab.run(cmd, repo))


def pip_externally_managed(ctx: Ctx, out: Path) -> None:
    """Debian's system pip refuses to install -> error: externally-managed-environment."""
    cmd = f"pip3 install {ctx.opt('package', 'lumen-cli')}"
    output = lab.run(cmd, lab.home(ctx.user), env={"PATH": "/usr/bin:/bin"})
    _terminal(ctx, out, f"~/{ctx.project}", cmd, output)


def npm_eresolve(ctx: Ctx, out: Path) -> None:
    """react 17 pinned next to react-dom 18 -> npm error code ERESOLVE."""
    proj = lab.home(ctx.user) / ctx.project
    proj.mkdir()
    pkg = {
        "name": ctx.opt("name", "lumen-storefront"),
        "version": "1.8.0",
        "private": True,
        "scripts": {"build": "vite build"},
        "dependencies": {"react": ctx.opt("react", "17.0.2"), "react-dom": "18.3.1"},
    }
    (proj / "package.json").write_text(json.dumps(pkg, indent=2) + "\n")
    env = {"npm_config_color": "always", "npm_config_cache": str(lab.ROOT / "npm-cache"), "npm_config_fund": "false"}
    output = lab.run("npm install", proj, env=env)
    _terminal(ctx, out, f"~/{ctx.project}", "npm install", output)


def node_eaddrinuse(ctx: Ctx, out: Path) -> None:
    """Second server on a busy port -> Error: listen EADDRINUSE: address already in use."""
    proj = lab.home(ctx.user) / ctx.project
    proj.mkdir()
    server = proj / ctx.opt("script", "server.js")
    server.write_text(
        "const http = require('http');\n"
        f"const port = process.env.PORT || {ctx.port};\n"
        "http.createServer((req, res) => res.end('lumen storefront')).listen(port, () => {\n"
        "  console.log(`storefront listening on http://localhost:${port}`);\n});\n"
    )
    with lab.serve(["node", str(server)], ctx.port, cwd=proj):
        cmd = f"node {server.name}"
        output = lab.run(cmd, proj)
    _terminal(ctx, out, f"~/{ctx.project}", cmd, output)


def _curl_tls(ctx: Ctx, out: Path, cert: str) -> None:
    certs = lab.make_certs(lab.ROOT / "certs")
    block = (
        f"server {{ listen 127.0.0.1:{ctx.port} ssl; ssl_certificate {certs[cert]};"
        f" ssl_certificate_key {certs[cert + '-key']};\n"
        '  location / { default_type application/json; return 200 \'{"status":"ok"}\'; } }'
    )
    bundle = lab.ROOT / "certs" / "bundle.pem"
    bundle.write_bytes(Path("/etc/ssl/certs/ca-certificates.crt").read_bytes() + certs["ca"].read_bytes())
    cmd = f"curl https://localhost:{ctx.port}{ctx.opt('path', '/api/v1/health')}"
    with lab.nginx(block, ctx.port):
        # the machine trusts the company CA (like update-ca-certificates would)
        output = lab.run(cmd, lab.home(ctx.user), env={"CURL_CA_BUNDLE": str(bundle)})
    _terminal(ctx, out, f"~/{ctx.project}", cmd, output)


def curl_self_signed(ctx: Ctx, out: Path) -> None:
    """Server uses a self-signed cert -> curl: (60) SSL certificate problem: self-signed certificate."""
    _curl_tls(ctx, out, "selfsigned")


def curl_expired(ctx: Ctx, out: Path) -> None:
    """Server cert from the trusted company CA has expired -> curl: (60) ... certificate has expired."""
    _curl_tls(ctx, out, "expired")


def sqlite_locked(ctx: Ctx, out: Path) -> None:
    """`lumen worker` holds the cache's write lock -> sqlite3.OperationalError: database is locked."""
    home = lab.home(ctx.user)
    env = {"HOME": str(home)}
    with lab.serve([str(lab.VENV_BIN / "lumen"), "worker"], None, env=env, cwd=home):
        output = lab.run("lumen sync", home, env=env)
    _terminal(ctx, out, "~", "lumen sync", output)


def unicode_decode(ctx: Ctx, out: Path) -> None:
    """CSV saved by Excel as Windows-1252 -> UnicodeDecodeError: 'utf-8' codec can't decode byte."""
    home = lab.home(ctx.user)
    name = ctx.opt("csv", "orders_export.csv")
    rows = [
        "order_id;customer;city;total",
        "1041;Ada Moreau;Paris;129.90",
        "1043;Zoë Brandt;Köln;54.00",
        "1044;José Núñez;Málaga;18.50",
    ]
    (home / "Downloads").mkdir()
    (home / "Downloads" / name).write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    cmd = f"lumen import Downloads/{name}"
    _terminal(ctx, out, "~", cmd, lab.run(cmd, home, env={"HOME": str(home)}))


def cleanup() -> None:
    """Remove the fake home directories."""
    shutil.rmtree(lab.HOMES, ignore_errors=True)
