"""Schema versions: run the Alembic migrations, and refuse to serve on a schema that does not match.

A service checks the schema at start (`ensure_schema_current`). A database behind the code is
upgraded only where that is safe to do unasked (the embedded SQLite default); anywhere else the
service stops with a message naming the command to run, `slipway db upgrade`. A database ahead of
the code (upgraded by a newer release) is always refused.

An upgrade runs in one transaction, on SQLite (transactional DDL, since `slipway.core.db` issues
the BEGIN itself) and PostgreSQL alike, so a failed migration leaves the schema as it was.
Concurrent upgraders (several services migrating one fresh database) are serialised: SQLite by
`BEGIN IMMEDIATE`, PostgreSQL by an advisory transaction lock; the later ones find the work done.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import structlog
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, text

from slipway.core.db import READ_ONLY_OPTION, Database, make_engine

__all__ = [
    "MIGRATIONS_DIR",
    "SchemaError",
    "SchemaOutOfDateError",
    "SchemaTooNewError",
    "alembic_config",
    "current_revision",
    "downgrade",
    "ensure_schema_current",
    "head_revision",
    "migration_connection",
    "upgrade",
    "upgrade_engine",
]

MIGRATIONS_DIR: Final = Path(__file__).parent / "migrations"

MIGRATION_LOCK_KEY: Final = 0x534C495057415901
"""PostgreSQL advisory lock key held by a migration (any other lock in the suite must differ)."""

_log = structlog.get_logger(__name__)


class SchemaError(RuntimeError):
    """The database schema does not match what this release of Slipway needs."""

    def __init__(self, message: str, *, current: str | None, required: str) -> None:
        super().__init__(message)
        self.current = current
        self.required = required


class SchemaOutOfDateError(SchemaError):
    """The database is behind the code (or empty): run `slipway db upgrade`."""


class SchemaTooNewError(SchemaError):
    """The database was migrated by a newer release: this release must not touch it."""


def alembic_config(url: str | None = None, *, connection: Connection | None = None) -> Config:
    """An Alembic configuration built in code (there is no alembic.ini).

    For maintainers writing a migration::

        from alembic import command
        command.revision(alembic_config("sqlite:////tmp/dev.db"), "add models",
                         autogenerate=True, rev_id="0002")
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("version_path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The revision this code needs: the head of the migrations shipped with it."""
    head = _scripts().get_current_head()  # raises on several heads: the history must be linear
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def _is_known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database Slipway has never migrated."""
    with engine.connect() as connection:
        connection = connection.execution_options(**{READ_ONLY_OPTION: True})
        heads = MigrationContext.configure(connection).get_current_heads()
    if len(heads) > 1:
        raise SchemaError(
            f"the database has several schema heads {sorted(heads)}; Slipway's history is linear",
            current=",".join(sorted(heads)),
            required=head_revision(),
        )
    return heads[0] if heads else None


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside one transaction, with this process the only migrator.

    On SQLite, foreign keys are off while migrating (batch mode copies and drops tables, which
    must not cascade or fail on references) and checked in full before the commit.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # PRAGMA foreign_keys is ignored inside a transaction: set it before the BEGIN.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:10]}")
        finally:
            if sqlite:
                try:
                    connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
                except Exception:
                    connection.invalidate()  # never hand a connection without foreign keys back
                    raise


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind `engine` up to `revision`, in one transaction."""
    with migration_connection(engine) as connection:
        command.upgrade(alembic_config(connection=connection), revision)


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision` (what `slipway db upgrade` runs)."""
    engine = make_engine(url)
    try:
        upgrade_engine(engine, revision)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision` (`"base"`: drop every Slipway table)."""
    engine = make_engine(url)
    try:
        with migration_connection(engine) as connection:
            command.downgrade(alembic_config(connection=connection), revision)
    finally:
        engine.dispose()


def _describe(revision: str | None) -> str:
    return revision if revision is not None else "none (an empty database)"


def ensure_schema_current(db: Database, *, auto_upgrade: bool) -> None:
    """Return when the schema matches the code; otherwise upgrade it or refuse to go on.

    `auto_upgrade=True` (the embedded SQLite default, on first start) migrates a database that is
    behind. Otherwise a database behind the code raises `SchemaOutOfDateError` naming the command
    to run; a database ahead of the code raises `SchemaTooNewError` either way.
    """
    required = head_revision()
    current = current_revision(db.engine)
    if current == required:
        return
    url = db.masked_url
    if current is not None and not _is_known(current):
        raise SchemaTooNewError(
            f"the database {url} is at schema revision {current}, which this release of Slipway "
            f"does not know (it needs {required}): a newer release has migrated it. Run that "
            "release (or a newer one); an older release must not use a newer schema.",
            current=current,
            required=required,
        )
    if auto_upgrade:
        _log.info("database_upgrade", database=url, current=current, required=required)
        upgrade_engine(db.engine)
        return
    raise SchemaOutOfDateError(
        f"the database {url} is at schema revision {_describe(current)}, but this release of "
        f"Slipway needs {required}. Back it up, then run: "
        f"slipway db upgrade --database-url '{url}'"
        + (" (with the real password in place of ***)" if "***" in url else ""),
        current=current,
        required=required,
    )
