"""The registry's rules. Every change opens one unit of work, records its audit event and its
stream event there, and so commits all of it together or nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from slipway.core import event_log
from slipway.core.audit import log as audit_log
from slipway.core.audit import record
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.core.errors import (
    AbortedError,
    AlreadyExistsError,
    FailedPreconditionError,
    FieldViolation,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    SlipwayError,
)
from slipway.core.filters import (
    Comparison,
    Kind,
    Order,
    parse,
    parse_filter,
    parse_order_by,
)
from slipway.core.idempotency import IdempotencyKey, Mutation, key_for, mutation
from slipway.core.names import VersionRef, check_new_alias, check_new_model_id, version_ref
from slipway.core.ordering import Page, page_of
from slipway.core.reasons import Reason
from slipway.core.roles import ADMIN, APPROVER, DEVELOPER
from slipway.ml.artifacts import ArtifactStore, ArtifactUpload, is_sha256
from slipway.ml.model_files import ModelFileFacts
from slipway.services.registry.domain.entities import (
    ARTIFACT_FORMATS,
    JOB_ALIAS_KEY,
    AliasChange,
    AliasHistoryEntry,
    ArtifactInfo,
    ArtifactKind,
    AuditTrail,
    Model,
    ModelVersion,
    NewVersion,
    Provenance,
    RegistryEvent,
    VersionLineage,
    VersionState,
)
from slipway.services.registry.domain.job_claims import second_claim
from slipway.services.registry.storage.repository import RegistryRepository

SERVICE = "registry"
STREAM = "registry"
APPROVERS = frozenset({APPROVER, ADMIN})
PEOPLE = frozenset({DEVELOPER, APPROVER, ADMIN})  # who may move aliases by hand

# Inspects a stored artifact file: the types it would load that are not trusted, and the
# scikit-learn versions it records. Raises the refusal (too large to unpack, malformed, or beyond
# the inspection's memory or time) as a SlipwayError.
Inspector = Callable[[Path, str], ModelFileFacts]

# The fields a List filters and orders on: exactly those the comments of registry_service.proto
# name (tests/contracts/test_documented_examples.py runs the comments' examples).
MODEL_FILTER_FIELDS: dict[str, type] = {
    "name": str,
    "labels.": str,
    "create_time": datetime,
    "update_time": datetime,
    "created_by": str,
    "latest_version_number": int,
}
MODEL_ORDER_FIELDS = ("name", "create_time", "update_time")
VERSION_FILTER_FIELDS: dict[str, type] = {
    "state": str,
    "version_number": int,
    "labels.": str,
    "metrics.": float,
    "create_time": datetime,
    "update_time": datetime,
    "created_by": str,
}
VERSION_ORDER_FIELDS = ("version_number", "create_time", "update_time", "metrics.")
ALIAS_HISTORY_FILTER_FIELDS: dict[str, Kind] = {
    "alias": str,
    "actor": str,
    "change": {change.value: change.value for change in AliasChange},
    "from_version_number": int,
    "to_version_number": int,
    "change_time": datetime,
}
ALIAS_HISTORY_ORDER_FIELDS = ("change_time",)


def _now() -> datetime:
    return datetime.now(UTC)


def _field(entity: Any, field: str) -> Any:
    """Read a filter/order field of a model or version."""
    head, _, key = field.partition(".")
    if key:
        values = getattr(entity, head, {})
        return values.get(key) if isinstance(values, dict) else None
    if field == "version_number":
        return entity.number
    if field == "state":
        return entity.state.value
    return getattr(entity, field, None)


def _order(order_by: str, default: str, allowed: tuple[str, ...]) -> Order:
    return parse_order_by(order_by, default, allowed)


def _page(
    items: list[Any],
    order: Order,
    identity: Callable[[Any], Any],
    cursor: Mapping[str, Any] | None,
    limit: int,
) -> Page:
    """A keyset page of models, versions or alias history (``core.ordering``), read with
    ``_field``."""
    return page_of(items, order, identity, cursor, limit, _field)


class RegistryDomain:
    """Models, versions, aliases: the rules, the transactions, the audit trail."""

    def __init__(
        self,
        db: Database,
        repository: RegistryRepository,
        artifacts: ArtifactStore,
        *,
        protected_aliases: frozenset[str] = frozenset({"production"}),
        training_aliases: frozenset[str] = frozenset(),
        allow_pickle: bool = False,
        upload_lease_seconds: float = 60.0,
        inspect: Inspector | None = None,
    ) -> None:
        self._db = db
        self._repo = repository
        self._artifacts = artifacts
        self.protected_aliases = protected_aliases
        self.training_aliases = training_aliases
        self._allow_pickle = allow_pickle
        self.upload_lease_seconds = upload_lease_seconds
        self._inspect = inspect
        # The versions whose upload this process is receiving now; a retry never takes
        # those over. Uploads run in worker threads, hence the lock.
        self._live_uploads: set[tuple[str, int]] = set()
        self._live_lock = threading.Lock()

    # -- helpers ----------------------------------------------------------------------------

    def _model(self, session: Session, model_id: str, *, lock: bool = False) -> Model:
        model = self._repo.get_model(session, model_id, lock=lock)
        if model is None:
            raise NotFoundError(
                f"model models/{model_id} does not exist",
                reason=Reason.MODEL_NOT_FOUND,
                metadata={"resource": f"models/{model_id}"},
            )
        return model

    def _version(self, session: Session, model_id: str, number: int) -> ModelVersion:
        version = self._repo.get_version(session, model_id, number)
        if version is None:
            name = f"models/{model_id}/versions/{number}"
            raise NotFoundError(
                f"model version {name} does not exist",
                reason=Reason.VERSION_NOT_FOUND,
                metadata={"resource": name},
            )
        return version

    def _resolve(self, session: Session, ref: VersionRef) -> ModelVersion:
        if ref.alias:
            version = self._repo.get_version_by_alias(session, ref.model_id, ref.alias)
            if version is not None:
                return version
            self._model(session, ref.model_id)  # NOT_FOUND for the model, if that is why
            name = f"models/{ref.model_id}@{ref.alias}"
            raise NotFoundError(
                f"alias {name} is not set",
                reason=Reason.ALIAS_NOT_FOUND,
                metadata={"resource": name},
            )
        return self._version(session, ref.model_id, ref.number)

    @staticmethod
    def _check_etag(given: str, current: str, resource: str) -> None:
        if given and given != current:
            raise AbortedError(
                f"{resource} changed since it was read (etag {given!r}, now "
                f"{current!r}); read it again and retry",
                reason=Reason.ETAG_MISMATCH,
                metadata={"resource": resource},
            )

    @staticmethod
    def _idempotency(actor: Principal, method: str, request_id: str) -> IdempotencyKey | None:
        return key_for(SERVICE, method, request_id, actor.name)

    def _publish(
        self,
        session: Session,
        type_: str,
        actor: Principal,
        *,
        model: str,
        version: int = 0,
        alias: str = "",
        previous: int = 0,
        state: str = "",
        reason: str = "",
    ) -> None:
        event_log.publish(
            session,
            stream=STREAM,
            type=type_,
            key=model,
            payload={
                "model": model,
                "version_number": version,
                "alias": alias,
                "previous_version_number": previous,
                "version_state": state,
                "actor": actor.name,
                "actor_roles": sorted(actor.roles),
                "reason": reason,
            },
        )

    # -- models -----------------------------------------------------------------------------

    def create_model(
        self,
        actor: Principal,
        model_id: str,
        description: str,
        labels: dict[str, str],
        request_id: str = "",
    ) -> Model:
        key = self._idempotency(actor, "CreateModel", request_id)
        with mutation(self._db, key) as (session, call):
            if (done := call.answered) is not None:
                return self._model(session, done["model_id"])
            model = None
            if self._repo.get_model(session, model_id) is None:
                model = self._repo.add_model(
                    session, model_id, description, labels, actor.name, _now()
                )
            if model is None:
                # The model exists. A retry of this very request may have committed it after the
                # lookup above: either the model lookup saw that commit (PostgreSQL's READ
                # COMMITTED gives each statement a fresh snapshot) or the insert collided with
                # it. Its answer was stored in the same commit, so look again: the same answer.
                if (done := call.find()) is not None:
                    return self._model(session, done["model_id"])
                raise AlreadyExistsError(
                    f"model models/{model_id} already exists",
                    reason=Reason.MODEL_EXISTS,
                    metadata={"resource": f"models/{model_id}"},
                )
            record(
                session,
                service=SERVICE,
                action="registry.CreateModel",
                resource=model.name,
                principal=actor,
                # The uid tells this model from one deleted under the same name.
                payload={
                    "after": {"description": description, "labels": labels},
                    "uid": model.uid,
                },
            )
            self._publish(session, "MODEL_CREATED", actor, model=model.name)
            call.remember(model_id=model_id)
            return model

    def get_model(self, model_id: str) -> Model:
        with self._db.unit_of_work(read_only=True) as session:
            return self._model(session, model_id)

    def list_models(
        self, filter_text: str, order_by: str, cursor: Mapping[str, Any] | None, limit: int
    ) -> Page:
        predicate = parse_filter(filter_text, MODEL_FILTER_FIELDS, _field)
        order = _order(order_by, "name", MODEL_ORDER_FIELDS)
        # Names sort as their ids do (one prefix): `name` orders by the id.
        order = tuple(("model_id" if f == "name" else f, d) for f, d in order)
        with self._db.unit_of_work(read_only=True) as session:
            models = [m for m in self._repo.list_models(session) if predicate(m)]
        return _page(models, order, lambda m: m.model_id, cursor, limit)

    def update_model(
        self,
        actor: Principal,
        model_id: str,
        *,
        description: str | None,
        labels: dict[str, str] | None,
        etag: str,
        reason: str,
        request_id: str = "",
    ) -> Model:
        key = self._idempotency(actor, "UpdateModel", request_id)
        with mutation(self._db, key) as (session, call):
            if (done := call.answered) is not None:
                return self._model(session, done["model_id"])
            before = self._model(session, model_id, lock=True)
            self._check_etag(etag, before.etag, before.name)
            after = self._repo.save_model(
                session,
                model_id,
                description=before.description if description is None else description,
                labels=before.labels if labels is None else labels,
                now=_now(),
            )
            record(
                session,
                service=SERVICE,
                action="registry.UpdateModel",
                resource=after.name,
                principal=actor,
                reason=reason,
                payload={
                    "before": {"description": before.description, "labels": before.labels},
                    "after": {"description": after.description, "labels": after.labels},
                },
            )
            self._publish(session, "MODEL_UPDATED", actor, model=after.name, reason=reason)
            call.remember(model_id=model_id)
            return after

    def delete_model(
        self,
        actor: Principal,
        model_id: str,
        *,
        force: bool,
        etag: str,
        reason: str,
        request_id: str = "",
    ) -> None:
        key = self._idempotency(actor, "DeleteModel", request_id)
        with mutation(self._db, key) as (session, call):
            if call.answered is not None:
                return
            model = self._model(session, model_id, lock=True)
            self._check_etag(etag, model.etag, model.name)
            versions = self._repo.list_versions(session, model_id)
            if versions:
                # ARCHIVED and FAILED versions are done: neither can ever be served again.
                done = (VersionState.ARCHIVED, VersionState.FAILED)
                live = [v.number for v in versions if v.state not in done]
                if not force:
                    raise FailedPreconditionError(
                        f"{model.name} has {len(versions)} version(s); archive them all and "
                        "delete with force (admin only)",
                        reason=Reason.MODEL_HAS_VERSIONS,
                        metadata={"resource": model.name},
                    )
                if "admin" not in actor.roles:
                    raise PermissionDeniedError(
                        "only an admin may force-delete a model with versions",
                        reason=Reason.FORCE_DELETE_NEEDS_ADMIN,
                        metadata={"resource": model.name},
                    )
                if live:
                    raise FailedPreconditionError(
                        f"{model.name} has versions that are neither archived nor failed: "
                        f"{', '.join(map(str, live))}",
                        reason=Reason.VERSIONS_NOT_ARCHIVED,
                        metadata={"resource": model.name},
                    )
            self._repo.delete_model(session, model_id, _now())
            record(
                session,
                service=SERVICE,
                action="registry.DeleteModel",
                resource=model.name,
                principal=actor,
                reason=reason,
                payload={
                    "before": {
                        "description": model.description,
                        "labels": model.labels,
                        "versions": [v.number for v in versions],
                        "uid": model.uid,
                    },
                    "force": force,
                },
            )
            self._publish(session, "MODEL_DELETED", actor, model=model.name, reason=reason)
            call.remember(model_id=model_id)

    # -- versions ---------------------------------------------------------------------------

    def _check_spec(self, spec: NewVersion) -> None:
        problems = []
        if spec.artifact_format not in ARTIFACT_FORMATS:
            problems.append(("model_version.artifact.format", "is required: skops by default"))
        if spec.artifact_format in ("pickle", "joblib") and not self._allow_pickle:
            raise FailedPreconditionError(
                "pickle and joblib artifacts can run code when loaded; this registry only "
                "accepts them when started with --allow-pickle",
                reason=Reason.PICKLE_REFUSED,
            )
        for field, digest in (
            ("model_version.artifact.sha256", spec.artifact_sha256),
            ("model_version.reference_profile.sample.sha256", spec.sample_sha256),
        ):
            if field.endswith("artifact.sha256") and not digest:
                problems.append((field, "is required: the SHA-256 of the artifact being sent"))
            elif digest and not is_sha256(digest):
                problems.append((field, "must be 64 lowercase hexadecimal characters"))
        for name, value in spec.metrics.items():
            if value != value or value in (float("inf"), float("-inf")):
                problems.append((f"model_version.metrics[{name}]", "must be a finite number"))
        if problems:
            raise InvalidArgumentError(
                "; ".join(f"{f}: {d}" for f, d in problems),
                reason=Reason.INVALID_MODEL_VERSION,
                field_violations=[FieldViolation(f, d) for f, d in problems],
            )

    def start_version(
        self,
        actor: Principal,
        model_id: str,
        spec: NewVersion,
        *,
        create_model: bool,
        request_id: str = "",
    ) -> VersionUpload:
        """Reserve the next version number (PENDING) and return the upload that fills it."""
        self._check_spec(spec)
        key = self._idempotency(actor, "CreateModelVersion", request_id)
        with mutation(self._db, key) as (session, call):
            if (done := call.answered) is None:
                version = self._reserve(session, call, actor, model_id, spec, create_model)
            else:
                version = self._version(session, model_id, int(done["version"]))
                if not self._abandoned(version, spec, done):
                    self._check_replayable(version, request_id)
                    return VersionUpload(self, actor, version, replayed=True)
                version = self._take_over(session, actor, version)
        # Built after the commit: the upload holds the version only once it is really reserved.
        return VersionUpload(self, actor, version, spec=spec)

    def _reserve(
        self,
        session: Session,
        call: Mutation,
        actor: Principal,
        model_id: str,
        spec: NewVersion,
        create_model: bool,
    ) -> ModelVersion:
        """The next version number, PENDING (and the model, when asked to create it)."""
        if self._repo.get_model(session, model_id) is None:
            if not create_model:
                self._model(session, model_id)  # raises NOT_FOUND
            check_new_model_id(model_id, "metadata.parent")
            created = self._repo.add_model(session, model_id, "", {}, actor.name, _now())
            if created is not None:  # else another upload created it
                record(
                    session,
                    service=SERVICE,
                    action="registry.CreateModel",
                    resource=f"models/{model_id}",
                    principal=actor,
                    payload={"after": {}, "created_with_version": True, "uid": created.uid},
                )
                self._publish(session, "MODEL_CREATED", actor, model=f"models/{model_id}")
        parent = spec.lineage.get("parent_version", "")
        if parent:
            self._resolve(session, version_ref(parent, "model_version.lineage.parent_version"))
        number = self._repo.next_version_number(session, model_id, _now())
        # Under the model's lock (taken just above): concurrent claims on one job are ordered.
        job = str(spec.lineage.get("training_job", ""))
        if job and (
            downgraded := second_claim(
                actor, spec, self._repo.versions_of_job(session, model_id, job)
            )
        ):
            spec = downgraded
        version = self._repo.add_version(session, model_id, number, spec, actor.name, _now())
        record(
            session,
            service=SERVICE,
            action="registry.CreateModelVersion",
            resource=version.name,
            principal=actor,
            payload={
                "state": "PENDING",
                "artifact_sha256": spec.artifact_sha256,
                "artifact_format": spec.artifact_format,
                "lineage": spec.lineage,
                "metrics": spec.metrics,
                "uid": version.uid,
            },
        )
        self._publish(
            session,
            "VERSION_CREATED",
            actor,
            model=version.model_name,
            version=number,
            state="PENDING",
        )
        # The declared digests too: a retry may take the upload over only for these bytes.
        call.remember(
            version=number,
            artifact_sha256=spec.artifact_sha256,
            sample_sha256=spec.sample_sha256,
        )
        return version

    @property
    def upload_silence_seconds(self) -> float:
        """How long a live upload's version row may go without a heartbeat: two beats."""
        return 2 * min(VersionUpload.HEARTBEAT_SECONDS, self.upload_lease_seconds / 4)

    def _abandoned(
        self, version: ModelVersion, spec: NewVersion, remembered: Mapping[str, Any]
    ) -> bool:
        """Whether a retry of the request that reserved ``version`` may take its upload over.

        The retry comes from the same principal with the same request_id (the idempotency key
        holds both), so its client has given up on the first call: an upload still PENDING
        then lost its connection, or its registry died (kill -9 runs no cleanup). Waiting for
        the lease would only make the version FAILED and the retry a second version. The
        upload is taken over only when no upload of this process holds it and its row has
        missed two heartbeats (a live upload on another replica beats more often), and only
        for the bytes the first call declared (remembered with its answer).
        """
        if version.state != VersionState.PENDING:
            return False
        declared = (remembered.get("artifact_sha256"), remembered.get("sample_sha256"))
        if (spec.artifact_sha256, spec.sample_sha256) != declared:
            return False
        with self._live_lock:
            if (version.model_id, version.number) in self._live_uploads:
                return False
        return _now() - version.update_time > timedelta(seconds=self.upload_silence_seconds)

    def _take_over(self, session: Session, actor: Principal, version: ModelVersion) -> ModelVersion:
        # A fresh heartbeat: neither the sweeper nor a concurrent retry takes it over again.
        version = self._repo.update_version(
            session, version.model_id, version.number, update_time=_now()
        )
        record(
            session,
            service=SERVICE,
            action="registry.CreateModelVersion",
            resource=version.name,
            principal=actor,
            payload={"state": "PENDING", "upload": "taken over by a retry of its request"},
        )
        return version

    def _hold(self, version: ModelVersion) -> None:
        with self._live_lock:
            self._live_uploads.add((version.model_id, version.number))

    def _release(self, version: ModelVersion) -> None:
        with self._live_lock:
            self._live_uploads.discard((version.model_id, version.number))

    @staticmethod
    def _check_replayable(version: ModelVersion, request_id: str) -> None:
        """A retried upload is answered with its version only if that upload succeeded: the
        first call failed, or is still running, so "OK" would be a different answer."""
        if version.state == VersionState.FAILED:
            raise FailedPreconditionError(
                f"request {request_id!r} created {version.name}, whose upload failed "
                f"({version.state_message[:200]}); upload again with a new request_id",
                reason=Reason.REQUEST_FAILED,
                metadata={"resource": version.name},
            )
        if version.state == VersionState.PENDING:
            raise AbortedError(
                f"request {request_id!r} created {version.name}, which is still uploading; "
                "retry later",
                reason=Reason.UPLOAD_IN_PROGRESS,
                metadata={"resource": version.name},
            )

    def _complete(
        self,
        actor: Principal,
        version: ModelVersion,
        model: ArtifactInfo,
        sample: ArtifactInfo | None,
        framework_versions: dict[str, Any] | None = None,
    ) -> ModelVersion:
        with self._db.unit_of_work() as session:
            current = self._version(session, version.model_id, version.number)
            if current.state != VersionState.PENDING:
                raise FailedPreconditionError(
                    f"{version.name} is {current.state.value}, not PENDING: the upload came "
                    "too late",
                    reason=Reason.UPLOAD_EXPIRED,
                    metadata={"resource": version.name},
                )
            now = _now()
            changes: dict[str, Any] = {
                "state": VersionState.READY,
                "state_message": "",
                "artifact_sha256": model.sha256,
                "artifact_size": model.size,
                "ready_time": now,
                "update_time": now,
            }
            if sample is not None:
                changes.update(sample_sha256=sample.sha256, sample_size=sample.size)
            if framework_versions is not None:
                changes["framework_versions"] = framework_versions
            ready = self._repo.update_version(session, version.model_id, version.number, **changes)
            record(
                session,
                service=SERVICE,
                action="registry.CreateModelVersion",
                resource=ready.name,
                principal=actor,
                payload={
                    "state": "READY",
                    "artifact_sha256": model.sha256,
                    "artifact_size": model.size,
                    "sample_sha256": sample.sha256 if sample else "",
                    **(
                        {"recorded_scikit_learn": framework_versions["scikit_learn"]}
                        if framework_versions is not None
                        else {}
                    ),
                },
            )
            self._publish(
                session,
                "VERSION_READY",
                actor,
                model=ready.model_name,
                version=ready.number,
                state="READY",
            )
            return ready

    def _fail(self, actor: Principal, version: ModelVersion, message: str) -> ModelVersion:
        with self._db.unit_of_work() as session:
            current = self._version(session, version.model_id, version.number)
            if current.state != VersionState.PENDING:
                return current
            failed = self._repo.update_version(
                session,
                version.model_id,
                version.number,
                state=VersionState.FAILED,
                state_message=message[:2000],
                update_time=_now(),
            )
            record(
                session,
                service=SERVICE,
                action="registry.CreateModelVersion",
                resource=failed.name,
                principal=actor,
                payload={"state": "FAILED", "message": message[:2000]},
            )
            self._publish(
                session,
                "VERSION_FAILED",
                actor,
                model=failed.model_name,
                version=failed.number,
                state="FAILED",
                reason=message[:500],
            )
            return failed

    def _heartbeat(self, version: ModelVersion) -> None:
        with self._db.unit_of_work() as session:
            current = self._version(session, version.model_id, version.number)
            if current.state == VersionState.PENDING:
                self._repo.update_version(
                    session, version.model_id, version.number, update_time=_now()
                )

    def sweep_stale_uploads(self) -> int:
        """Mark PENDING versions whose upload stopped (its process died) as FAILED."""
        cutoff = _now() - timedelta(seconds=self.upload_lease_seconds)
        with self._db.unit_of_work(read_only=True) as session:
            stale = self._repo.stale_pending_versions(session, cutoff)
        system = Principal("registry", frozenset({"service"}))
        for version in stale:
            self._fail(
                system,
                version,
                "upload interrupted: no data for "
                f"{self.upload_lease_seconds:.0f}s (client or server gone)",
            )
        self._artifacts_cleanup()
        return len(stale)

    def _artifacts_cleanup(self) -> None:
        cleanup = getattr(self._artifacts, "cleanup_stale_uploads", None)
        if cleanup is not None:
            cleanup(older_than_seconds=self.upload_lease_seconds)

    def get_version(self, ref: VersionRef) -> ModelVersion:
        with self._db.unit_of_work(read_only=True) as session:
            return self._resolve(session, ref)

    def list_versions(
        self,
        model_id: str,
        filter_text: str,
        order_by: str,
        cursor: Mapping[str, Any] | None,
        limit: int,
    ) -> Page:
        predicate = parse_filter(filter_text, VERSION_FILTER_FIELDS, _field)
        order = _order(order_by, "version_number", VERSION_ORDER_FIELDS)
        with self._db.unit_of_work(read_only=True) as session:
            self._model(session, model_id)
            versions = [v for v in self._repo.list_versions(session, model_id) if predicate(v)]
        return _page(versions, order, lambda v: v.number, cursor, limit)

    def update_version(
        self,
        actor: Principal,
        ref: VersionRef,
        *,
        description: str | None,
        labels: dict[str, str] | None,
        etag: str,
        reason: str,
        request_id: str = "",
    ) -> ModelVersion:
        key = self._idempotency(actor, "UpdateModelVersion", request_id)
        with mutation(self._db, key) as (session, call):
            before = self._resolve(session, ref)
            if call.answered is not None:
                return before
            self._check_etag(etag, before.etag, before.name)
            changes: dict[str, Any] = {"update_time": _now()}
            if description is not None:
                changes["description"] = description
            if labels is not None:
                changes["labels"] = labels
            after = self._repo.update_version(session, before.model_id, before.number, **changes)
            record(
                session,
                service=SERVICE,
                action="registry.UpdateModelVersion",
                resource=after.name,
                principal=actor,
                reason=reason,
                payload={
                    "before": {"description": before.description, "labels": before.labels},
                    "after": {"description": after.description, "labels": after.labels},
                },
            )
            self._publish(
                session,
                "VERSION_UPDATED",
                actor,
                model=after.model_name,
                version=after.number,
                state=after.state.value,
                reason=reason,
            )
            call.remember(version=after.number)
            return after

    def archive_version(
        self, actor: Principal, ref: VersionRef, *, reason: str, etag: str, request_id: str = ""
    ) -> ModelVersion:
        key = self._idempotency(actor, "ArchiveModelVersion", request_id)
        with mutation(self._db, key) as (session, call):
            version = self._resolve(session, ref)
            if call.answered is not None:
                return version
            self._check_etag(etag, version.etag, version.name)
            if version.aliases:
                raise FailedPreconditionError(
                    f"{version.name} holds alias(es) {', '.join(version.aliases)}; move or "
                    "delete them first",
                    reason=Reason.VERSION_HAS_ALIASES,
                    metadata={"resource": version.name, "aliases": ",".join(version.aliases)},
                )
            if version.state == VersionState.ARCHIVED:
                return version
            if version.state == VersionState.PENDING:
                raise FailedPreconditionError(
                    f"{version.name} is still uploading",
                    reason=Reason.VERSION_PENDING,
                    metadata={"resource": version.name},
                )
            now = _now()
            archived = self._repo.update_version(
                session,
                version.model_id,
                version.number,
                state=VersionState.ARCHIVED,
                archive_time=now,
                update_time=now,
            )
            record(
                session,
                service=SERVICE,
                action="registry.ArchiveModelVersion",
                resource=archived.name,
                principal=actor,
                reason=reason,
                payload={"before": {"state": version.state.value}, "after": {"state": "ARCHIVED"}},
            )
            self._publish(
                session,
                "VERSION_ARCHIVED",
                actor,
                model=archived.model_name,
                version=archived.number,
                state="ARCHIVED",
                reason=reason,
            )
            call.remember(version=archived.number)
            return archived

    def download(
        self, ref: VersionRef, kind: ArtifactKind
    ) -> tuple[ModelVersion, ArtifactInfo, Iterator[bytes]]:
        version = self.get_version(ref)
        if version.state not in (VersionState.READY, VersionState.ARCHIVED):
            raise FailedPreconditionError(
                f"{version.name} is {version.state.value}: only READY or ARCHIVED versions have "
                "artifacts",
                reason=Reason.VERSION_NOT_READY,
                metadata={"resource": version.name},
            )
        artifact = version.artifact if kind == ArtifactKind.MODEL else version.sample
        if artifact is None:
            raise NotFoundError(
                f"{version.name} has no {kind.value.lower()} artifact",
                reason=Reason.ARTIFACT_NOT_FOUND,
                metadata={"resource": version.name},
            )
        artifact = replace(artifact, uri=self._artifacts.uri(artifact.sha256))
        return version, artifact, self._artifacts.read(artifact.sha256)

    # -- aliases ----------------------------------------------------------------------------

    def _check_protected(self, actor: Principal, model: str, alias: str, reason: str) -> None:
        if actor.roles.isdisjoint(PEOPLE):
            return  # a service's move: _check_peer_move, once the version is known
        if alias not in self.protected_aliases:
            return
        if actor.roles.isdisjoint(APPROVERS):
            raise PermissionDeniedError(
                f"alias {alias!r} is protected: only an approver or admin may move it",
                reason=Reason.PROTECTED_ALIAS,
                metadata={"resource": f"{model}@{alias}"},
            )
        if not reason.strip():
            raise InvalidArgumentError.for_field(
                "reason",
                f"is required to change the protected alias {alias!r}",
                reason=Reason.REASON_REQUIRED,
            )

    def _check_peer_move(
        self, actor: Principal, model: str, alias: str, version: ModelVersion | None, reason: str
    ) -> None:
        """A service (a peer role, no person's role) moves no alias but one: the alias a
        verified training job asked for, onto the version that job registered under this very
        principal. A protected alias only if it is one of ``training_aliases`` (the challenger a
        retraining lands on), with a reason; never deleted."""
        if not actor.roles.isdisjoint(PEOPLE):
            return
        allowed = (
            version is not None
            and version.provenance is Provenance.VERIFIED
            and version.created_by == actor.name
            and version.lineage.get(JOB_ALIAS_KEY) == alias
            and (alias not in self.protected_aliases or alias in self.training_aliases)
        )
        if not allowed:
            raise PermissionDeniedError(
                f"a service may only point the alias its verified training job asked for at "
                f"the version that job registered; {model}@{alias} is not that",
                reason=Reason.SERVICE_ALIAS_MOVE,
                metadata={"resource": f"{model}@{alias}"},
            )
        if alias in self.protected_aliases and not reason.strip():
            raise InvalidArgumentError.for_field(
                "reason",
                f"is required to change the protected alias {alias!r}",
                reason=Reason.REASON_REQUIRED,
            )

    def set_alias(
        self,
        actor: Principal,
        model_id: str,
        alias: str,
        number: int,
        *,
        reason: str,
        expected: int | None,
        request_id: str = "",
    ) -> tuple[Model, AliasHistoryEntry | None]:
        key = self._idempotency(actor, "SetModelAlias", request_id)
        model_name = f"models/{model_id}"
        if number <= 0:
            raise InvalidArgumentError.for_field(
                "version_number", "must be a positive version", reason=Reason.INVALID_VERSION_NUMBER
            )
        with mutation(self._db, key) as (session, call):
            if call.answered is not None:
                return self._model(session, model_id), None
            model = self._model(session, model_id, lock=True)
            self._check_protected(actor, model_name, alias, reason)
            current = model.aliases.get(alias, 0)
            if not current:  # a new alias follows today's rule; one stored before may be wider
                check_new_alias(alias)
            if expected is not None and expected != current:
                raise AbortedError(
                    f"{model_name}@{alias} points to {current or 'nothing'}, not {expected}",
                    reason=Reason.ALIAS_CHANGED,
                    metadata={"resource": f"{model_name}@{alias}"},
                )
            version = self._version(session, model_id, number)
            self._check_peer_move(actor, model_name, alias, version, reason)
            allowed = (
                (VersionState.READY,)
                if alias in self.protected_aliases
                else (VersionState.READY, VersionState.PENDING)
            )
            if version.state not in allowed:
                raise FailedPreconditionError(
                    f"{version.name} is {version.state.value}; {alias!r} can only point to a "
                    f"{' or '.join(s.value for s in allowed)} version",
                    reason=Reason.VERSION_NOT_READY,
                    metadata={"resource": version.name},
                )
            if current == number:
                return model, None
            change = AliasChange.MOVED if current else AliasChange.SET
            now = _now()
            self._repo.set_alias(session, model_id, alias, number, now)
            event_id = record(
                session,
                service=SERVICE,
                action="registry.SetModelAlias",
                resource=f"{model_name}@{alias}",
                principal=actor,
                reason=reason,
                payload={"alias": alias, "before": current or None, "after": number},
            )
            entry = self._repo.add_alias_history(
                session,
                AliasHistoryEntry(
                    id=0,
                    model=model_name,
                    alias=alias,
                    change=change,
                    from_version=current,
                    to_version=number,
                    actor=actor.name,
                    actor_roles=tuple(sorted(actor.roles)),
                    reason=reason,
                    change_time=now,
                    request_id=request_id,
                    audit_event_id=event_id,
                ),
            )
            self._publish(
                session,
                f"ALIAS_{change.value}",
                actor,
                model=model_name,
                version=number,
                alias=alias,
                previous=current,
                reason=reason,
                state=version.state.value,
            )
            call.remember(history=entry.id)
            return self._model(session, model_id), entry

    def delete_alias(
        self,
        actor: Principal,
        model_id: str,
        alias: str,
        *,
        reason: str,
        expected: int | None = None,
        request_id: str = "",
    ) -> tuple[Model, AliasHistoryEntry | None]:
        key = self._idempotency(actor, "DeleteModelAlias", request_id)
        model_name = f"models/{model_id}"
        with mutation(self._db, key) as (session, call):
            if call.answered is not None:
                return self._model(session, model_id), None
            model = self._model(session, model_id, lock=True)
            self._check_protected(actor, model_name, alias, reason)
            self._check_peer_move(actor, model_name, alias, None, reason)
            current = model.aliases.get(alias)
            if current is None:
                raise NotFoundError(
                    f"alias {model_name}@{alias} is not set",
                    reason=Reason.ALIAS_NOT_FOUND,
                    metadata={"resource": f"{model_name}@{alias}"},
                )
            if expected is not None and expected != current:
                raise AbortedError(
                    f"{model_name}@{alias} points to {current}, not {expected}",
                    reason=Reason.ALIAS_CHANGED,
                    metadata={"resource": f"{model_name}@{alias}"},
                )
            now = _now()
            self._repo.delete_alias(session, model_id, alias, now)
            event_id = record(
                session,
                service=SERVICE,
                action="registry.DeleteModelAlias",
                resource=f"{model_name}@{alias}",
                principal=actor,
                reason=reason,
                payload={"alias": alias, "before": current, "after": None},
            )
            entry = self._repo.add_alias_history(
                session,
                AliasHistoryEntry(
                    id=0,
                    model=model_name,
                    alias=alias,
                    change=AliasChange.DELETED,
                    from_version=current,
                    to_version=0,
                    actor=actor.name,
                    actor_roles=tuple(sorted(actor.roles)),
                    reason=reason,
                    change_time=now,
                    request_id=request_id,
                    audit_event_id=event_id,
                ),
            )
            self._publish(
                session,
                "ALIAS_DELETED",
                actor,
                model=model_name,
                alias=alias,
                previous=current,
                reason=reason,
            )
            call.remember(history=entry.id)
            return self._model(session, model_id), entry

    def alias_history(
        self,
        model_id: str,
        filter_text: str,
        order_by: str,
        *,
        after_id: int | None,
        limit: int,
    ) -> tuple[list[AliasHistoryEntry], bool]:
        """A page of the model's alias moves matching the filter, in the order they happened
        (or the reverse), after the entry ``after_id``; and whether more follow."""
        flt = parse(filter_text, ALIAS_HISTORY_FILTER_FIELDS)
        ((_, descending),) = parse_order_by(order_by, "change_time", ALIAS_HISTORY_ORDER_FIELDS)
        with self._db.unit_of_work(read_only=True) as session:
            entries = self._repo.list_alias_history(
                session,
                f"models/{model_id}",
                flt=flt,
                descending=descending,
                after_id=after_id,
                limit=limit + 1,
            )
        return entries[:limit], len(entries) > limit

    # -- lineage ----------------------------------------------------------------------------

    def version_lineage(self, ref: VersionRef, *, history_limit: int = 1000) -> VersionLineage:
        """The version behind ``ref``, its parent and every move of an alias to or away from
        it, oldest first, read in one unit of work."""
        with self._db.unit_of_work(read_only=True) as session:
            version = self._resolve(session, ref)
            notes: list[str] = []
            parent = None
            parent_name = str(version.lineage.get("parent_version", ""))
            if parent_name:
                try:
                    parent_ref = version_ref(parent_name, "lineage.parent_version")
                    parent = self._resolve(session, parent_ref)
                except (NotFoundError, InvalidArgumentError):
                    notes.append(f"the parent version {parent_name} no longer exists")
                else:
                    if parent_ref.alias:
                        notes.append(
                            f"the parent was recorded as the alias {parent_name}, "
                            f"which points to {parent.name} now"
                        )
            moved = (
                (
                    Comparison("from_version_number", "=", version.number),
                    Comparison("to_version_number", "=", version.number),
                ),
            )
            history = self._repo.list_alias_history(
                session,
                version.model_name,
                flt=moved,
                descending=False,
                after_id=None,
                limit=history_limit + 1,
            )
        if len(history) > history_limit:
            notes.append(
                f"only the first {history_limit} alias moves are listed; "
                "ListAliasHistory has them all"
            )
        return VersionLineage(version, parent, history[:history_limit], tuple(notes))

    def audit_trail(
        self,
        version: ModelVersion,
        resources: Collection[str],
        event_ids: Collection[str],
        *,
        limit: int,
    ) -> AuditTrail:
        """The oldest ``limit`` audit events about ``version``: on the version, on its model by
        the registry (other services also name the model, for every batch of predictions
        logged), on ``resources`` or with ``event_ids``; and the verification of the chain from
        its start to the newest of them."""
        with self._db.unit_of_work(read_only=True) as session:
            events, truncated = audit_log.events_about(
                session,
                resources={version.name, *resources},
                service_resources={(SERVICE, version.model_name)},
                event_ids=event_ids,
                limit=limit,
            )
            head, _ = audit_log.chain_head(session)
            verification = audit_log.verify(
                session, start=1, end=events[-1].sequence if events else 0
            )
        return AuditTrail(events, truncated, verification, chain_empty=head == 0)

    # -- events -----------------------------------------------------------------------------

    def events_after(
        self, model: str | None, after: int, types: frozenset[str], limit: int = 500
    ) -> list[RegistryEvent]:
        with self._db.unit_of_work(read_only=True) as session:
            stored = event_log.read_after(
                session, stream=STREAM, after=after, limit=limit, key=model, types=types
            )
        return [
            RegistryEvent(
                sequence=e.sequence,
                type=e.type,
                model=e.payload["model"],
                version_number=e.payload["version_number"],
                alias=e.payload["alias"],
                previous_version_number=e.payload["previous_version_number"],
                version_state=e.payload["version_state"],
                actor=e.payload["actor"],
                actor_roles=tuple(e.payload["actor_roles"]),
                reason=e.payload["reason"],
                event_time=e.event_time,
            )
            for e in stored
        ]

    def last_event_sequence(self) -> int:
        with self._db.unit_of_work(read_only=True) as session:
            return event_log.last_sequence(session, STREAM)


# Refusals that the bytes alone decide.
_REFUSED_CONTENT = frozenset(
    {Reason.UNTRUSTED_TYPES, Reason.MALFORMED_ARTIFACT, Reason.ARTIFACT_LIMIT_EXCEEDED}
)


def _recorded_framework(
    declared: Mapping[str, Any], recorded: tuple[str, ...]
) -> dict[str, Any] | None:
    """The file's own scikit-learn version wins over the client's word: a declared version that
    differs is refused, a missing one is filled in from the file (None: nothing to change)."""
    if not recorded:
        return None
    if len(recorded) > 1:
        raise InvalidArgumentError(
            "the model file records several scikit-learn versions: " + ", ".join(recorded),
            reason=Reason.FRAMEWORK_VERSION_MISMATCH,
            metadata={"recorded": ",".join(recorded)},
        )
    declared_version = str(declared.get("scikit_learn", ""))
    if declared_version == recorded[0]:
        return None
    if declared_version:
        raise InvalidArgumentError.for_field(
            "model_version.framework_versions.scikit_learn",
            f"declares {declared_version}, but the model file records scikit-learn {recorded[0]}",
            reason=Reason.FRAMEWORK_VERSION_MISMATCH,
        )
    return {**declared, "scikit_learn": recorded[0]}


class VersionUpload:
    """Fills a PENDING version with its artifacts; it becomes READY only when every byte
    arrived and matched the declared SHA-256, and FAILED (with nothing visible) otherwise."""

    HEARTBEAT_SECONDS = 5.0

    def __init__(
        self,
        domain: RegistryDomain,
        actor: Principal,
        version: ModelVersion,
        *,
        spec: NewVersion | None = None,
        replayed: bool = False,
    ) -> None:
        self._domain = domain
        self._actor = actor
        self.version = version
        self.replayed = replayed
        self._spec = spec
        self._uploads: dict[ArtifactKind, ArtifactUpload] = {}
        self._last_beat = time.monotonic()
        # Well inside the lease, or a sweeper would take a live upload for a dead one.
        self._beat_every = min(self.HEARTBEAT_SECONDS, domain.upload_lease_seconds / 4)
        self._done = replayed
        if not replayed:
            domain._hold(version)

    def _upload(self, kind: ArtifactKind) -> ArtifactUpload:
        if kind not in self._uploads:
            if kind == ArtifactKind.REFERENCE_SAMPLE and not (
                self._spec and self._spec.sample_sha256
            ):
                raise InvalidArgumentError.for_field(
                    "chunk.artifact_kind",
                    "a reference sample needs its sha256 declared in "
                    "model_version.reference_profile.sample",
                    reason=Reason.UNDECLARED_ARTIFACT,
                )
            self._uploads[kind] = self._domain._artifacts.begin_upload()
        return self._uploads[kind]

    def write(self, kind: ArtifactKind, data: bytes) -> None:
        if self._done:
            return  # a replayed request: the version exists, its bytes are not needed again
        self._upload(kind).write(data)
        if time.monotonic() - self._last_beat > self._beat_every:
            # The version row and every part file of this upload stay fresh, so neither the
            # sweeper nor the store's cleanup (in any registry process) takes a live upload.
            self._domain._heartbeat(self.version)
            for upload in self._uploads.values():
                upload.keep_alive()
            self._last_beat = time.monotonic()

    def finish(self) -> ModelVersion:
        if self._done:
            return self.version
        assert self._spec is not None
        try:
            if ArtifactKind.MODEL not in self._uploads:
                raise InvalidArgumentError.for_field(
                    "chunk", "no model artifact bytes were sent", reason=Reason.ARTIFACT_EMPTY
                )
            model = self._uploads[ArtifactKind.MODEL].commit(self._spec.artifact_sha256)
            sample = None
            if self._spec.sample_sha256:
                if ArtifactKind.REFERENCE_SAMPLE not in self._uploads:
                    raise InvalidArgumentError.for_field(
                        "chunk",
                        "the declared reference sample was not sent",
                        reason=Reason.ARTIFACT_EMPTY,
                    )
                sample = self._uploads[ArtifactKind.REFERENCE_SAMPLE].commit(
                    self._spec.sample_sha256
                )
            framework_versions = self._check_safe(model.sha256)
            self.version = self._domain._complete(
                self._actor,
                self.version,
                ArtifactInfo(model.sha256, model.size, self._spec.artifact_format),
                ArtifactInfo(sample.sha256, sample.size, self._spec.sample_format)
                if sample
                else None,
                framework_versions,
            )
        except BaseException as exc:
            self.fail(str(exc) if not isinstance(exc, KeyboardInterrupt) else "interrupted")
            raise
        self._done = True
        self._domain._release(self.version)
        return self.version

    def _check_safe(self, sha256: str) -> dict[str, Any] | None:
        """Refuse a stored skops file the inspector refuses, or whose recorded scikit-learn
        version contradicts the declared one; the framework versions to record when the file
        told what the client left out, else None."""
        inspect = self._domain._inspect
        if inspect is None or self._spec is None or self._spec.artifact_format != "skops":
            return None
        try:
            facts = inspect(self._domain._artifacts.local_path(sha256), "skops")
            if facts.untrusted:
                raise FailedPreconditionError(
                    "the artifact contains types outside the trusted list: "
                    f"{', '.join(sorted(facts.untrusted)[:10])}",
                    reason=Reason.UNTRUSTED_TYPES,
                    metadata={"types": ",".join(sorted(facts.untrusted)[:20])},
                )
        except SlipwayError as exc:
            if exc.reason in _REFUSED_CONTENT:
                # Refused content must not stay in the store: no READY version can refer to it.
                # (A refusal over the inspection's time or memory depends on the moment, and a
                # version mismatch on the declaration: the same bytes may be another version's.)
                self._domain._artifacts.delete(sha256)
            raise
        return _recorded_framework(self._spec.framework_versions, facts.sklearn_versions)

    def fail(self, message: str) -> None:
        """Abort the uploads (nothing becomes visible) and mark the version FAILED."""
        for upload in self._uploads.values():
            upload.abort()
        if not self._done:
            self._done = True
            try:
                self.version = self._domain._fail(self._actor, self.version, message or "failed")
            finally:
                self._domain._release(self.version)
