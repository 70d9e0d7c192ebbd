"""deploy/postgres/roles.sql: services can append audit events but never change them."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from slipway.core.audit import record
from slipway.core.audit.log import verify
from slipway.core.bootstrap import connect_database
from slipway.core.context import Principal
from slipway.core.idempotency import IdempotencyKey, remember
from slipway.schema.migrate import upgrade

ROLES_SQL = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "roles.sql"


def as_role(url: str, role: str) -> str:
    """The URL of ``url``'s database for login role ``role`` (trust auth on loopback)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}"


@pytest.mark.postgres
def test_app_role_appends_audit_events_but_cannot_change_them(postgres_cluster):
    name = postgres_cluster.create_database()
    owner_url = postgres_cluster.url(name)
    upgrade(owner_url)
    plain = owner_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(ROLES_SQL.read_text())
        connection.execute(ROLES_SQL.read_text())  # idempotent: safe after every upgrade

    app = connect_database(as_role(owner_url, "slipway_app"))
    try:
        with app.unit_of_work() as session:
            remember(
                session,
                IdempotencyKey("registry", "CreateModel", "r-1", "alice"),
                "CreateModelResponse",
                b"ok",
            )
            record(
                session,
                service="registry",
                action="registry.CreateModel",
                resource="models/a",
                principal=Principal("alice", frozenset({"developer"})),
            )
        for statement in (
            "UPDATE audit_events SET reason = 'x'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
            "DELETE FROM audit_chain_head",
            "DROP TABLE audit_events",
        ):
            refused = pytest.raises(ProgrammingError, match=r"permission denied|must be owner")
            with refused as caught, app.unit_of_work() as session:
                session.execute(text(statement))
            assert "InsufficientPrivilege" in type(caught.value.orig).__name__, statement
        with app.unit_of_work(read_only=True) as session:
            assert verify(session).ok
            assert session.scalar(text("SELECT count(*) FROM audit_events")) == 1
    finally:
        app.dispose()

    auditor = connect_database(as_role(owner_url, "slipway_auditor"))
    try:
        with auditor.unit_of_work(read_only=True) as session:
            assert verify(session).ok
        with (
            pytest.raises(ProgrammingError, match="permission denied"),
            auditor.unit_of_work() as session,
        ):
            session.execute(text("INSERT INTO audit_chain_head VALUES (2, 0, 'x')"))
    finally:
        auditor.dispose()
