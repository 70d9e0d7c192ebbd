"""The database engine and the unit of work shared by every service.

One database holds the whole suite (`SLIPWAY_DATABASE_URL`): an SQLite file under the data folder by
default, PostgreSQL through psycopg 3 in production. Data-access code never opens a session of its
own: the domain layer opens one unit of work, hands its session to every repository it calls, and
the change and its audit event commit together or not at all.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from slipway.core.pending import CommitQueue

__all__ = [
    "CONFLICT_SQLSTATES",
    "READ_ONLY_OPTION",
    "SQLITE_BUSY_TIMEOUT_SECONDS",
    "Database",
    "UnsupportedDatabaseError",
    "default_database_url",
    "is_conflict",
    "make_engine",
    "mask_url",
]

SQLITE_BUSY_TIMEOUT_SECONDS: Final = 30.0
"""How long an SQLite connection waits for another process's write lock before giving up."""

READ_ONLY_OPTION: Final = "slipway_read_only"
"""Execution option marking a connection that never writes: a plain (deferred) BEGIN on SQLite."""


CONFLICT_SQLSTATES: Final = frozenset({"23505", "40001", "40P01"})
"""PostgreSQL's unique violation, serialization failure and deadlock: what two transactions
racing for the same row end in, where retrying the whole transaction succeeds or answers
properly (the loser of a create race then sees the winner's row)."""


def is_conflict(error: BaseException) -> bool:
    """Whether ``error`` is a database conflict with a concurrent transaction (see
    :data:`CONFLICT_SQLSTATES`). Never on SQLite: every writing transaction there takes the
    write lock first (``BEGIN IMMEDIATE``), so a unique violation is a bug, not a lost race."""
    return (
        isinstance(error, DBAPIError)
        and getattr(error.orig, "sqlstate", None) in CONFLICT_SQLSTATES
    )


class UnsupportedDatabaseError(ValueError):
    """The database URL names a dialect or driver Slipway does not support."""


def default_database_url(home: Path) -> str:
    """The embedded default: an SQLite file `slipway.db` in the data folder `home`."""
    database = str(home.expanduser() / "slipway.db")
    return URL.create("sqlite", database=database).render_as_string()


def mask_url(url: str | URL) -> str:
    """The URL with any password replaced by `***`, safe for logs and error messages."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    """An engine for SQLite (`sqlite:///path`) or PostgreSQL (`postgresql+psycopg://...`).

    SQLite is set up so several processes can share one file: WAL journal (readers never block the
    writer), foreign keys enforced, a busy timeout, and every transaction that may write starts
    with `BEGIN IMMEDIATE`. Taking the write lock up front means a transaction waits for it (up to
    the busy timeout) instead of failing with "database is locked" when a deferred read lock
    cannot be upgraded halfway through. The folder of an SQLite file is created if missing.

    `postgresql://` without a driver means psycopg 3. Any other dialect or driver is refused with
    `UnsupportedDatabaseError`.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql":
        return _postgresql_engine(parsed)
    raise UnsupportedDatabaseError(
        f"unsupported database URL {mask_url(parsed)!r}: Slipway runs on SQLite "
        "('sqlite:///path/to/slipway.db') or PostgreSQL ('postgresql+psycopg://user@host/db')"
    )


def _ensure_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the file to WAL once; the mode is stored in the file, so later connections only
    read it. Switching needs a moment of exclusive access, and SQLite answers "database is
    locked" at once (without its busy handler) when another process holds the file: retry."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS
    while True:
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() in ("wal", "memory"):
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_engine(url: URL) -> Engine:
    if url.get_driver_name() != "pysqlite":
        raise UnsupportedDatabaseError(
            f"unsupported SQLite driver {url.get_driver_name()!r} in {mask_url(url)!r}: "
            "use 'sqlite:///path/to/slipway.db'"
        )
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})

    # The pysqlite recipe from the SQLAlchemy documentation: the driver's own transaction
    # handling (which defers BEGIN until the first INSERT/UPDATE/DELETE and never brackets DDL)
    # is switched off, and SQLAlchemy's "begin" event emits the BEGIN itself.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            _ensure_wal(cursor)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _postgresql_engine(url: URL) -> Engine:
    driver = url.get_driver_name()
    if driver == "psycopg2" and "+" not in url.drivername:
        url = url.set(drivername="postgresql+psycopg")  # plain "postgresql://": use psycopg 3
    elif driver != "psycopg":
        raise UnsupportedDatabaseError(
            f"unsupported PostgreSQL driver {driver!r} in {mask_url(url)!r}: "
            "use 'postgresql+psycopg://user:password@host:5432/dbname'"
        )
    return create_engine(url, pool_pre_ping=True)


class Database:
    """The suite's database: the engine plus the unit of work the domain layer opens.

    ``commit_writers`` are the queues whose items a unit of work writes right before it commits,
    in the order given (the audit log and the event log: see ``slipway.core.bootstrap.
    open_database``, where a service's database is wired). They are a required argument so the
    place where a session's audit and event rows are written is always visible at the call that
    builds the database.
    """

    def __init__(self, engine: Engine, *, commit_writers: Sequence[CommitQueue[Any]]) -> None:
        self._engine = engine
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        for writer in commit_writers:
            writer.install(self._sessions)
        read_only_engine = engine.execution_options(
            **{READ_ONLY_OPTION: True},
            **({"postgresql_readonly": True} if engine.dialect.name == "postgresql" else {}),
        )
        self._read_only_sessions = sessionmaker(bind=read_only_engine, expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def dialect_name(self) -> str:
        """`"sqlite"` or `"postgresql"`."""
        return self._engine.dialect.name

    @property
    def masked_url(self) -> str:
        """The URL with its password hidden, for logs and messages."""
        return mask_url(self._engine.url)

    @contextmanager
    def unit_of_work(self, *, read_only: bool = False) -> Iterator[Session]:
        """One transaction: commits when the block ends normally, rolls back on any exception.

        The session is always closed afterwards. Do not call `commit()` or `rollback()` on it; to
        undo part of the work, use `session.begin_nested()` (a savepoint).

        `read_only=True` is for blocks that only read: on SQLite it starts with a plain `BEGIN`,
        so it does not queue behind writers for the write lock; on PostgreSQL the transaction is
        `READ ONLY` and any write fails.
        """
        session = (self._read_only_sessions if read_only else self._sessions)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection (at shutdown, or in a child process after fork)."""
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.masked_url!r})"
