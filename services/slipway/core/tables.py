"""The declarative base every service's tables register on, and shared column types.

All tables share one `MetaData` (`Base.metadata`), so Alembic sees the whole suite's schema in one
place. Constraint names follow a fixed convention: migrations can then drop or alter a constraint
by name on every database (SQLite batch mode needs names to find them).

Tables are created by the Alembic migrations in `slipway.schema.migrations`, never by
`metadata.create_all()`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Dialect, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

__all__ = ["NAMING_CONVENTION", "Base", "UtcDateTime"]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every mapped table in the suite."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database.

    PostgreSQL stores `timestamp with time zone`; SQLite has no such type and returns naive
    values, so they are read back as UTC. Naive values are refused on the way in: a timestamp
    without a zone is a bug waiting to happen in an audit trail.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC time")
        utc = value.astimezone(UTC)
        # SQLite stores the text of the value: keep it zone-free so it sorts and compares.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
