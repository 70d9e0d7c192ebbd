"""The registry's storage: a repository that receives the session of the caller's unit of work.

Rows map themselves to domain objects here; the domain never sees a row or a SQL statement.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slipway.core.db import is_conflict
from slipway.core.filters import Filter, sql_condition
from slipway.services.registry.domain.entities import (
    AliasChange,
    AliasHistoryEntry,
    ArtifactInfo,
    Model,
    ModelVersion,
    NewVersion,
    VersionState,
)
from slipway.services.registry.storage.tables import (
    AliasHistoryRow,
    AliasRow,
    ModelRow,
    RetiredModelRow,
    VersionRow,
)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class RegistryRepository(Protocol):
    """What the registry domain needs from storage."""

    def get_model(self, session: Session, model_id: str, *, lock: bool = False) -> Model | None: ...

    def list_models(self, session: Session) -> list[Model]: ...

    def add_model(
        self,
        session: Session,
        model_id: str,
        description: str,
        labels: dict[str, str],
        created_by: str,
        now: datetime,
    ) -> Model | None:
        """The new model, or None when a concurrent transaction has just created it."""

    def save_model(
        self,
        session: Session,
        model_id: str,
        *,
        description: str,
        labels: dict[str, str],
        now: datetime,
    ) -> Model: ...

    def next_version_number(self, session: Session, model_id: str, now: datetime) -> int: ...

    def delete_model(self, session: Session, model_id: str, now: datetime) -> None:
        """Deletes the model, its versions and aliases; keeps its version counter."""

    def get_version(self, session: Session, model_id: str, number: int) -> ModelVersion | None: ...

    def get_version_by_alias(
        self, session: Session, model_id: str, alias: str
    ) -> ModelVersion | None: ...

    def list_versions(self, session: Session, model_id: str) -> list[ModelVersion]: ...

    def versions_of_job(self, session: Session, model_id: str, job: str) -> list[ModelVersion]:
        """The versions of ``model_id`` whose lineage names the training job ``job``."""
        ...

    def add_version(
        self,
        session: Session,
        model_id: str,
        number: int,
        spec: NewVersion,
        created_by: str,
        now: datetime,
    ) -> ModelVersion: ...

    def update_version(
        self, session: Session, model_id: str, number: int, **changes: Any
    ) -> ModelVersion: ...

    def set_alias(
        self, session: Session, model_id: str, alias: str, number: int, now: datetime
    ) -> None: ...

    def delete_alias(self, session: Session, model_id: str, alias: str, now: datetime) -> None: ...

    def add_alias_history(
        self, session: Session, entry: AliasHistoryEntry
    ) -> AliasHistoryEntry: ...

    def list_alias_history(
        self,
        session: Session,
        model: str,
        *,
        flt: Filter,
        descending: bool,
        after_id: int | None,
        limit: int,
    ) -> list[AliasHistoryEntry]:
        """The model's alias moves matching ``flt`` (over ALIAS_HISTORY_COLUMNS) in the order
        they happened (or the reverse), after the entry ``after_id`` in that order."""
        ...

    def stale_pending_versions(
        self, session: Session, older_than: datetime
    ) -> list[ModelVersion]: ...


class SqlRegistryRepository:
    """The SQLAlchemy implementation of :class:`RegistryRepository`."""

    # -- models -----------------------------------------------------------------------------

    def _model_row(self, session: Session, model_id: str, lock: bool = False) -> ModelRow | None:
        query = select(ModelRow).where(ModelRow.model_id == model_id)
        if lock:
            query = query.with_for_update()
        return session.scalars(query).one_or_none()

    def _aliases(self, session: Session, model_pk: int) -> dict[str, int]:
        rows = session.execute(
            select(AliasRow.alias, AliasRow.version_number).where(AliasRow.model_pk == model_pk)
        ).all()
        return {alias: number for alias, number in rows}

    def _model(self, row: ModelRow, aliases: dict[str, int]) -> Model:
        return Model(
            model_id=row.model_id,
            description=row.description,
            labels=json.loads(row.labels),
            aliases=aliases,
            latest_version_number=row.latest_version_number,
            created_by=row.created_by,
            create_time=row.create_time,
            update_time=row.update_time,
            revision=row.revision,
            uid=row.uid,
        )

    def _require_model_row(self, session: Session, model_id: str, lock: bool = False) -> ModelRow:
        row = self._model_row(session, model_id, lock)
        if row is None:
            raise LookupError(model_id)
        return row

    def get_model(self, session: Session, model_id: str, *, lock: bool = False) -> Model | None:
        row = self._model_row(session, model_id, lock)
        return None if row is None else self._model(row, self._aliases(session, row.id))

    def list_models(self, session: Session) -> list[Model]:
        rows = session.scalars(select(ModelRow).order_by(ModelRow.model_id)).all()
        aliases: dict[int, dict[str, int]] = {}
        for pk, alias, number in session.execute(
            select(AliasRow.model_pk, AliasRow.alias, AliasRow.version_number)
        ).all():
            aliases.setdefault(pk, {})[alias] = number
        return [self._model(r, aliases.get(r.id, {})) for r in rows]

    def add_model(
        self,
        session: Session,
        model_id: str,
        description: str,
        labels: dict[str, str],
        created_by: str,
        now: datetime,
    ) -> Model | None:
        # A model re-created under a deleted one's id goes on counting its versions.
        retired = session.get(RetiredModelRow, model_id)
        row = ModelRow(
            model_id=model_id,
            description=description,
            labels=_dumps(labels),
            latest_version_number=retired.latest_version_number if retired else 0,
            uid=str(uuid.uuid4()),
            created_by=created_by,
            create_time=now,
            update_time=now,
            revision=1,
        )
        # A savepoint: when a concurrent transaction created the model first (two trainers
        # registering a model's first versions at once), only this insert is undone.
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError as error:
            if not is_conflict(error):
                raise
            return None
        return self._model(row, {})

    def save_model(
        self,
        session: Session,
        model_id: str,
        *,
        description: str,
        labels: dict[str, str],
        now: datetime,
    ) -> Model:
        row = self._require_model_row(session, model_id)
        row.description = description
        row.labels = _dumps(labels)
        return self._touch(session, row, now)

    def _touch(self, session: Session, row: ModelRow, now: datetime) -> Model:
        row.update_time = now
        row.revision += 1
        session.flush()
        return self._model(row, self._aliases(session, row.id))

    def next_version_number(self, session: Session, model_id: str, now: datetime) -> int:
        # The model row is locked: concurrent uploads get distinct numbers, never reused.
        row = self._require_model_row(session, model_id, lock=True)
        row.latest_version_number += 1
        self._touch(session, row, now)
        return row.latest_version_number

    def delete_model(self, session: Session, model_id: str, now: datetime) -> None:
        row = self._require_model_row(session, model_id)
        retired = session.get(RetiredModelRow, model_id)
        if retired is None:
            session.add(
                RetiredModelRow(
                    model_id=model_id,
                    latest_version_number=row.latest_version_number,
                    delete_time=now,
                )
            )
        else:  # deleted before, re-created, deleted again: its counter went on from there
            retired.latest_version_number = row.latest_version_number
            retired.delete_time = now
        session.execute(delete(AliasRow).where(AliasRow.model_pk == row.id))
        session.execute(delete(VersionRow).where(VersionRow.model_pk == row.id))
        session.delete(row)
        session.flush()

    # -- versions ---------------------------------------------------------------------------

    def _version(self, row: VersionRow, model_id: str, aliases: dict[str, int]) -> ModelVersion:
        def artifact(sha: str | None, size: int, fmt: str) -> ArtifactInfo | None:
            return ArtifactInfo(sha, size, fmt) if sha else None

        return ModelVersion(
            model_id=model_id,
            number=row.number,
            state=VersionState(row.state),
            state_message=row.state_message,
            description=row.description,
            labels=json.loads(row.labels),
            aliases=tuple(sorted(a for a, n in aliases.items() if n == row.number)),
            artifact=artifact(row.artifact_sha256, row.artifact_size, row.artifact_format),
            sample=artifact(row.sample_sha256, row.sample_size, row.sample_format),
            signature=json.loads(row.signature),
            framework_versions=json.loads(row.framework_versions),
            metrics=json.loads(row.metrics),
            params=json.loads(row.params),
            lineage=json.loads(row.lineage),
            reference_profile=json.loads(row.reference_profile),
            created_by=row.created_by,
            create_time=row.create_time,
            update_time=row.update_time,
            ready_time=row.ready_time,
            archive_time=row.archive_time,
            revision=row.revision,
            uid=row.uid,
        )

    def _version_row(self, session: Session, model_pk: int, number: int) -> VersionRow | None:
        return session.scalars(
            select(VersionRow).where(VersionRow.model_pk == model_pk, VersionRow.number == number)
        ).one_or_none()

    def _joined_version(
        self, session: Session, model_id: str, *conditions: Any
    ) -> ModelVersion | None:
        # One query for the version (joined to its model), one for the model's aliases: the
        # read path behind get-by-alias, the registry's hottest call.
        query = (
            select(VersionRow, ModelRow.id)
            .join(ModelRow, ModelRow.id == VersionRow.model_pk)
            .where(ModelRow.model_id == model_id, *conditions)
        )
        found = session.execute(query).first()
        if found is None:
            return None
        row, model_pk = found
        return self._version(row, model_id, self._aliases(session, model_pk))

    def get_version(self, session: Session, model_id: str, number: int) -> ModelVersion | None:
        return self._joined_version(session, model_id, VersionRow.number == number)

    def get_version_by_alias(
        self, session: Session, model_id: str, alias: str
    ) -> ModelVersion | None:
        return self._joined_version(
            session,
            model_id,
            VersionRow.number.in_(
                select(AliasRow.version_number)
                .where(AliasRow.model_pk == ModelRow.id, AliasRow.alias == alias)
                .scalar_subquery()
            ),
        )

    def list_versions(self, session: Session, model_id: str) -> list[ModelVersion]:
        model = self._require_model_row(session, model_id)
        aliases = self._aliases(session, model.id)
        rows = session.scalars(
            select(VersionRow).where(VersionRow.model_pk == model.id).order_by(VersionRow.number)
        ).all()
        return [self._version(r, model_id, aliases) for r in rows]

    def versions_of_job(self, session: Session, model_id: str, job: str) -> list[ModelVersion]:
        model = self._require_model_row(session, model_id)
        # The lineage is stored as JSON text: LIKE narrows the rows on every database, the
        # parsed field decides (a job name may also appear in another field's text).
        rows = session.scalars(
            select(VersionRow)
            .where(
                VersionRow.model_pk == model.id, VersionRow.lineage.contains(job, autoescape=True)
            )
            .order_by(VersionRow.number)
        ).all()
        versions = [self._version(r, model_id, {}) for r in rows]
        return [v for v in versions if v.lineage.get("training_job") == job]

    def add_version(
        self,
        session: Session,
        model_id: str,
        number: int,
        spec: NewVersion,
        created_by: str,
        now: datetime,
    ) -> ModelVersion:
        model = self._require_model_row(session, model_id)
        row = VersionRow(
            model_pk=model.id,
            number=number,
            state=VersionState.PENDING.value,
            state_message="upload in progress",
            description=spec.description,
            labels=_dumps(spec.labels),
            artifact_sha256=None,
            artifact_size=0,
            artifact_format=spec.artifact_format,
            sample_sha256=None,
            sample_size=0,
            sample_format=spec.sample_format,
            signature=_dumps(spec.signature),
            framework_versions=_dumps(spec.framework_versions),
            metrics=_dumps(spec.metrics),
            params=_dumps(spec.params),
            lineage=_dumps(spec.lineage),
            reference_profile=_dumps(spec.reference_profile),
            created_by=created_by,
            create_time=now,
            update_time=now,
            ready_time=None,
            archive_time=None,
            revision=1,
            uid=str(uuid.uuid4()),
        )
        session.add(row)
        session.flush()
        return self._version(row, model_id, {})

    _JSON_FIELDS = frozenset(
        {
            "labels",
            "signature",
            "framework_versions",
            "metrics",
            "params",
            "lineage",
            "reference_profile",
        }
    )

    def update_version(
        self, session: Session, model_id: str, number: int, **changes: Any
    ) -> ModelVersion:
        model = self._require_model_row(session, model_id)
        row = self._version_row(session, model.id, number)
        if row is None:
            raise LookupError(f"{model_id}/{number}")
        for key, value in changes.items():
            if key == "state":
                value = value.value
            elif key in self._JSON_FIELDS:
                value = _dumps(value)
            setattr(row, key, value)
        row.revision += 1
        session.flush()
        return self._version(row, model_id, self._aliases(session, model.id))

    def stale_pending_versions(self, session: Session, older_than: datetime) -> list[ModelVersion]:
        rows = session.execute(
            select(VersionRow, ModelRow.model_id)
            .join(ModelRow, ModelRow.id == VersionRow.model_pk)
            .where(
                VersionRow.state == VersionState.PENDING.value, VersionRow.update_time < older_than
            )
        ).all()
        return [self._version(row, model_id, {}) for row, model_id in rows]

    # -- aliases ----------------------------------------------------------------------------

    def set_alias(
        self, session: Session, model_id: str, alias: str, number: int, now: datetime
    ) -> None:
        model = self._require_model_row(session, model_id)
        row = session.get(AliasRow, (model.id, alias))
        if row is None:
            session.add(AliasRow(model_pk=model.id, alias=alias, version_number=number))
        else:
            row.version_number = number
        self._touch(session, model, now)

    def delete_alias(self, session: Session, model_id: str, alias: str, now: datetime) -> None:
        model = self._require_model_row(session, model_id)
        session.execute(
            delete(AliasRow).where(AliasRow.model_pk == model.id, AliasRow.alias == alias)
        )
        self._touch(session, model, now)

    def add_alias_history(self, session: Session, entry: AliasHistoryEntry) -> AliasHistoryEntry:
        row = AliasHistoryRow(
            model=entry.model,
            alias=entry.alias,
            change=entry.change.value,
            from_version=entry.from_version,
            to_version=entry.to_version,
            actor=entry.actor,
            actor_roles=",".join(entry.actor_roles),
            reason=entry.reason,
            change_time=entry.change_time,
            request_id=entry.request_id,
            audit_event_id=entry.audit_event_id,
        )
        session.add(row)
        session.flush()
        return _history(row)

    def list_alias_history(
        self,
        session: Session,
        model: str,
        *,
        flt: Filter,
        descending: bool,
        after_id: int | None,
        limit: int,
    ) -> list[AliasHistoryEntry]:
        row = AliasHistoryRow
        query = select(row).where(row.model == model)
        condition = sql_condition(flt, ALIAS_HISTORY_COLUMNS)
        if condition is not None:
            query = query.where(condition)
        if after_id is not None:
            query = query.where(row.id < after_id if descending else row.id > after_id)
        # Ids follow the order the moves were committed in, as change_time does.
        order = row.id.desc() if descending else row.id.asc()
        rows: Sequence[AliasHistoryRow] = session.scalars(query.order_by(order).limit(limit)).all()
        return [_history(r) for r in rows]


# The columns the fields of a ListAliasHistory filter read.
ALIAS_HISTORY_COLUMNS: dict[str, ColumnElement[Any]] = {
    "alias": AliasHistoryRow.alias,  # type: ignore[dict-item]
    "actor": AliasHistoryRow.actor,  # type: ignore[dict-item]
    "change": AliasHistoryRow.change,  # type: ignore[dict-item]
    "from_version_number": AliasHistoryRow.from_version,  # type: ignore[dict-item]
    "to_version_number": AliasHistoryRow.to_version,  # type: ignore[dict-item]
    "change_time": AliasHistoryRow.change_time,  # type: ignore[dict-item]
}


def _history(row: AliasHistoryRow) -> AliasHistoryEntry:
    return AliasHistoryEntry(
        id=row.id,
        model=row.model,
        alias=row.alias,
        change=AliasChange(row.change),
        from_version=row.from_version,
        to_version=row.to_version,
        actor=row.actor,
        actor_roles=tuple(r for r in row.actor_roles.split(",") if r),
        reason=row.reason,
        change_time=row.change_time,
        request_id=row.request_id,
        audit_event_id=row.audit_event_id,
    )
