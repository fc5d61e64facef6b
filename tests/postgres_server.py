"""A real PostgreSQL server for tests: `initdb` + `pg_ctl` in a temporary directory, on a free port of 127.0.0.1.

The binaries come from Debian's `postgresql` package (`make system` installs it). `initdb` refuses to run as
root, so as root the server runs as the `postgres` user (`runuser`) in a directory it owns. Each test gets a
database of its own (`new_database`).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPERUSER = "supportbot"


@dataclass(frozen=True)
class LocalPostgres:
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database on the server; its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def server_binary(name: str) -> str:
    """`initdb` / `pg_ctl` from PATH or Debian's versioned folder (newest first)."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), "")
    if not found:
        pytest.fail(f"PostgreSQL's {name} is not installed; run `make system` (Debian package postgresql).")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def as_server_user(command: list[str]) -> list[str]:
    """The command, run as `postgres` when we are root (initdb and postgres refuse root)."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def local_postgres() -> Iterator[LocalPostgres]:
    """Start a throwaway server (no fsync: it is a test) and stop it and delete its files afterwards."""
    as_root = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="supportbot-pg-", dir="/tmp" if as_root else None))  # postgres must reach it
    data = root / "data"
    if as_root:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        as_server_user([server_binary("initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
    pg_ctl = server_binary("pg_ctl")
    subprocess.run(
        as_server_user([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "-t", "60", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield LocalPostgres(port)
    finally:
        subprocess.run(as_server_user([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
