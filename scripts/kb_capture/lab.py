"""The loopback lab: start/stop the real servers each failure needs.

Everything runs from a lab folder outside the repository, /srv/lumen (override with LUMEN_ROOT), so the
paths that tracebacks and error pages show are those of a plain server install: a venv made from Debian's
own Python 3.11 with Flask, Django, FastAPI, uvicorn, gunicorn, cryptography and the `lumen` CLI
(apps/lumen_cli) in /srv/lumen/venv, the apps in /srv/lumen/orders, fake home directories in
/srv/lumen/home, plus Debian's nginx-light.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
APPS = HERE / "apps"
ROOT = Path(os.environ.get("LUMEN_ROOT", "/srv/lumen"))
VENV_BIN = ROOT / "venv" / "bin"
HOMES = ROOT / "home"
SRV = ROOT / "orders"  # apps/ is deployed here so pages show no repo paths


def wait_port(port: int, timeout: float = 20.0) -> None:
    """Block until something accepts TCP connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listening on port {port} after {timeout}s")


def assert_port_free(port: int) -> None:
    """Fail loudly if the port is already taken (a leftover from an earlier run)."""
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} is already in use")


@contextlib.contextmanager
def serve(
    cmd: list[str], port: int | None, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process (own process group) for the duration of the block."""
    if port:
        assert_port_free(port)
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if port:
            wait_port(port)
        else:
            time.sleep(1.0)
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def nginx(server_block: str, port: int, error_log: str = "logs/error.log") -> Iterator[Path]:
    """Run Debian's nginx in the foreground with one `server { ... }` block."""
    with tempfile.TemporaryDirectory(dir=ROOT) as prefix:
        root = Path(prefix)
        (root / "logs").mkdir()
        conf = root / "nginx.conf"
        conf.write_text(
            f"user root;\nworker_processes 1;\nerror_log {error_log};"
            "\npid logs/nginx.pid;\n"
            "events { worker_connections 64; }\n"
            "http {\n  include /etc/nginx/mime.types;\n  access_log logs/access.log;\n"
            f"  {server_block}\n}}\n"
        )
        with serve(["nginx", "-p", str(root), "-c", str(conf), "-g", "daemon off;"], port):
            yield root


def python_app(
    module: str, port: int, env: dict[str, str] | None = None, kind: str = "uvicorn"
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    """Serve one of apps/ with uvicorn, gunicorn, the Flask debug server or Django runserver."""
    cmds = {
        "uvicorn": [str(VENV_BIN / "uvicorn"), module, "--host", "127.0.0.1", "--port", str(port)],
        "gunicorn": [str(VENV_BIN / "gunicorn"), "-b", f"127.0.0.1:{port}", module],
        "flask-debug": [str(VENV_BIN / "flask"), "--app", module, "run", "--debug", "--port", str(port)],
        "django": [str(VENV_BIN / "django-admin"), "runserver", f"127.0.0.1:{port}", "--noreload"],
    }
    shutil.copytree(APPS, SRV, dirs_exist_ok=True, ignore=shutil.ignore_patterns("lumen_cli", "__pycache__"))
    full_env = {"PYTHONPATH": str(SRV), "DJANGO_SETTINGS_MODULE": "lumen_admin.settings", **(env or {})}
    return serve(cmds[kind], port, env=full_env, cwd=SRV)


def home(user: str) -> Path:
    """A fresh fake home directory for `user` under the lab folder."""
    path = HOMES / user
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def run(cmd: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = 180) -> str:
    """Run a shell command for real and return its combined stdout+stderr."""
    base = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}", "TERM": "xterm-256color"}
    done = subprocess.run(
        ["bash", "-c", cmd],
        cwd=cwd,
        env={**base, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
    )
    return done.stdout.decode("utf-8", "replace")


def make_certs(target: Path, cn: str = "localhost") -> dict[str, Path]:
    """Create a self-signed cert, a local CA, and an EXPIRED cert signed by that CA."""
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(VENV_BIN / "python"), str(HERE / "certs.py"), str(target), cn],
        check=True,
    )
    return {name: target / f"{name}.pem" for name in ("selfsigned", "selfsigned-key", "ca", "expired", "expired-key")}
