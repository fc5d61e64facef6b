"""The database behind the store: SQLite in the data dir by default, PostgreSQL (psycopg 3) for several replicas.

`Database.open` runs the schema migrations (Alembic, `migrations/versions`) up to the newest before anything
else touches the tables; replicas that start together migrate once (a PostgreSQL advisory lock, SQLite's write
lock). SQLite runs in WAL mode with `synchronous=FULL`, and every transaction takes the write lock at BEGIN, so
two processes sharing one file never deadlock upgrading a read to a write.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Insert, Table, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.errors import BotError
from bot.settings import Settings

log = logging.getLogger(__name__)

SQLITE_NAME = "state.sqlite3"
BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x5B07_57A7E  # pg_advisory_xact_lock key: one migrating replica at a time
SQLITE_PRAGMAS = (f"busy_timeout={BUSY_TIMEOUT_MS}", "synchronous=FULL", "foreign_keys=ON")


class StoreNotConfigured(BotError):
    """SUPPORTBOT_STATE_URL names no database the store can use."""

    message = "SUPPORTBOT_STATE_URL must be a postgresql://… or sqlite:///… URL, or unset for SQLite in the data dir."


class StoreUnavailable(BotError):
    """The state database cannot be reached or migrated."""

    message = "The state database cannot be reached; check SUPPORTBOT_STATE_URL and that the database is running."


def state_url(settings: Settings) -> URL:
    """The database URL in force: SUPPORTBOT_STATE_URL, else `data_dir/state.sqlite3`."""
    raw = settings.state_url.get_secret_value() if settings.state_url else ""
    if not raw:
        return URL.create("sqlite", database=str(Path(settings.data_dir) / SQLITE_NAME))
    try:
        url = make_url(raw)
    except ArgumentError as err:
        raise StoreNotConfigured() from err
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if url.drivername == "sqlite" and url.database:
        return url
    raise StoreNotConfigured()


class Database:
    """One engine (a connection pool) over the state database; safe to share between threads."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.dialect = url.get_backend_name()
        if self.dialect == "sqlite":
            Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(url)
            event.listen(self.engine, "connect", configure_sqlite)
            event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        else:
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=4, max_overflow=12)

    @classmethod
    def open(cls, url: URL) -> Database:
        """Connect and bring the schema up to date; an unreachable database is one sentence."""
        database = cls(url)
        try:
            database.migrate()
        except SQLAlchemyError as err:
            database.close()
            log.error("state database %s: %s", url.render_as_string(hide_password=True), err)
            raise StoreUnavailable(
                f"The state database {url.render_as_string(hide_password=True)} cannot be reached or updated; "
                "check SUPPORTBOT_STATE_URL and that the database is running."
            ) from err
        return database

    def migrate(self) -> None:
        """Run every migration not applied yet (Alembic, on this engine, in one transaction)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection inside one transaction: committed when the block ends, rolled back if it raises."""
        with self.engine.begin() as conn:
            yield conn

    def insert(self, table: Table) -> Any:
        """The dialect's INSERT, which knows `on_conflict_do_nothing` / `on_conflict_do_update`."""
        from sqlalchemy.dialects import postgresql, sqlite

        return (postgresql if self.dialect == "postgresql" else sqlite).insert(table)

    def insert_ignore(self, table: Table) -> Insert:
        """INSERT that does nothing when a unique key already exists (its rowcount says which happened)."""
        statement = self.insert(table).on_conflict_do_nothing()
        return statement.execution_options(preserve_rowcount=True)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.engine.dispose()


def configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Let SQLAlchemy emit BEGIN itself (see the `begin` listener) and set the pragmas on each new connection."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    use_wal(cursor)
    cursor.close()


def use_wal(cursor: Any) -> None:
    """Put the database in WAL mode (it stays so). Switching a new database takes a lock for which SQLite may answer
    "database is locked" at once instead of waiting, when several processes open it together: retry for as long as
    the busy timeout allows."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
