"""Alembic environment for the suite's database.

`slipway.schema.migrate` runs the migrations and hands over a connection that is already inside the
transaction (`config.attributes["connection"]`), so a whole upgrade commits or rolls back as one.
Without one (the `alembic` command line with `sqlalchemy.url` set), the URL is opened the same way.
Offline mode (`--sql`) prints the SQL instead, for a DBA to review.

Every table comes from `slipway.schema.metadata`, so autogenerate sees the full schema.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from slipway.core.db import make_engine
from slipway.schema import migrate as schema
from slipway.schema.metadata import METADATA

config = context.config
target_metadata = METADATA


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: autogenerate writes batch operations (copy and move).
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline(url: str) -> None:
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    given: Connection | None = config.attributes.get("connection")
    if given is not None:
        run_migrations(given)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url or pass a connection")
    if context.is_offline_mode():
        run_offline(url)
        return
    engine = make_engine(url)
    try:
        with schema.migration_connection(engine) as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


main()
