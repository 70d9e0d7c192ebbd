"""Serving's storage: the stored loads and unloads, behind a Protocol, in the caller's session."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from slipway.services.serving.domain.targets import StoredDeployment, Target, parse_target
from slipway.services.serving.storage.tables import DeploymentRow


class DeploymentRepository(Protocol):
    """What serving's desired state needs from storage."""

    def list_all(self, session: Session) -> list[StoredDeployment]: ...

    def get(self, session: Session, model_id: str) -> StoredDeployment | None: ...

    def put(self, session: Session, stored: StoredDeployment) -> None: ...


def _entity(row: DeploymentRow) -> StoredDeployment:
    return StoredDeployment(
        model_id=row.model_id,
        target=parse_target(row.target) if row.loaded else None,
        reason=row.reason,
        changed_by=row.changed_by,
        update_time=row.update_time,
    )


class SqlDeploymentRepository:
    """:class:`DeploymentRepository` over the shared database."""

    def list_all(self, session: Session) -> list[StoredDeployment]:
        rows = session.scalars(select(DeploymentRow).order_by(DeploymentRow.model_id))
        return [_entity(row) for row in rows]

    def get(self, session: Session, model_id: str) -> StoredDeployment | None:
        row = session.get(DeploymentRow, model_id)
        return _entity(row) if row is not None else None

    def put(self, session: Session, stored: StoredDeployment) -> None:
        row = session.get(DeploymentRow, stored.model_id)
        if row is None:
            row = DeploymentRow(model_id=stored.model_id)
            session.add(row)
        row.loaded = stored.target is not None
        row.target = _text(stored.target)
        row.reason = stored.reason[:1024]
        row.changed_by = stored.changed_by[:256]
        row.update_time = stored.update_time
        session.flush()


def _text(target: Target | None) -> str:
    return str(target) if target is not None else ""


__all__ = ["DeploymentRepository", "SqlDeploymentRepository"]
