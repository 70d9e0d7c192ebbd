"""Monitoring policies: checked, stored, changed with optimistic concurrency, audited.

A policy is a settings document (``entities.Policy``, the ``MonitoringPolicy`` message on the
wire); the checks here are what the message's comments promise. Its model must exist in the
registry and its per-feature drift overrides must name inputs of the model's newest READY
version: a policy for a misspelt model or feature would otherwise wait forever, silently.
Every violation of a request is reported at once (the status mapping cuts what would not fit
in the trailers clients accept, see ``core.status``).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from slipway.core.audit import record
from slipway.core.blocking import run_blocking
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.core.errors import (
    AbortedError,
    AlreadyExistsError,
    FieldViolation,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
)
from slipway.core.filters import parse_filter, parse_order_by
from slipway.core.idempotency import find_json, key_for, remember_json
from slipway.core.names import MODEL_ID, RESOURCE_ID, RESOURCE_ID_RULE
from slipway.core.ordering import Page, page_of
from slipway.core.reasons import Reason
from slipway.core.roles import ADMIN, APPROVER, DEVELOPER
from slipway.services.monitoring.domain.alerts import POLICY_PREFIX as PREFIX
from slipway.services.monitoring.domain.alerts import Change, resolve_for_deleted_policy
from slipway.services.monitoring.domain.entities import (
    DEFAULT_RETRAINING_ALIAS,
    ConceptDriftDetector,
    DriftMethod,
    DriftTest,
    Policy,
    PolicyAction,
    Severity,
    Span,
)
from slipway.services.monitoring.domain.peers import ModelCatalog
from slipway.services.monitoring.domain.performance import METRICS
from slipway.services.monitoring.domain.reports import METHODS, NUMERIC_ONLY
from slipway.services.monitoring.storage.repository import MonitoringRepository

SERVICE = "monitoring"
POLICY_ID = RESOURCE_ID  # the rule of every id created from now on
MAX_DESCRIPTION = 2048
MAX_WINDOW_ROWS = 10_000_000
MUTABLE_FIELDS = (
    "description",
    "disabled",
    "window",
    "min_samples",
    "drift",
    "performance",
    "data_quality",
    "action",
    "retraining",
)
PH_PARAMETERS = frozenset({"delta", "threshold", "alpha", "min_instances"})
ADWIN_PARAMETERS = frozenset({"delta"})
MAX_MIN_INSTANCES = 100_000  # the detector is primed with this many reference errors, in memory
MAX_DAYS = 366  # windows and cooldowns; also keeps `last trigger + cooldown` within datetime
MAX_ECHO = 64  # the longest map key or mask path quoted back in an error
APPROVERS = frozenset({APPROVER, ADMIN})
PEOPLE = frozenset({DEVELOPER, APPROVER, ADMIN})  # a person's request, not a peer's
# The fields whose change can put a policy's retrained versions on a live-traffic alias.
LANDING_FIELDS = frozenset({"action", "retraining"})


def policy_id_of(name: str, field: str = "name") -> str:
    policy_id = name[len(PREFIX) :] if name.startswith(PREFIX) else ""
    if not POLICY_ID.fullmatch(policy_id):
        raise InvalidArgumentError.for_field(
            field, "must look like monitoringPolicies/{id}", reason=Reason.INVALID_NAME
        )
    return policy_id


# What ListMonitoringPolicies filters and orders on: exactly what its comment in
# monitoring_service.proto names (tests/contracts/test_documented_examples.py runs the examples).
FILTER_FIELDS: dict[str, type] = {
    "name": str,
    "model": str,
    "created_by": str,
    "create_time": datetime,
    "update_time": datetime,
}
ORDER_FIELDS = ("name", "create_time", "update_time")


def _field(policy: Policy, field: str) -> Any:
    return getattr(policy, field, None)


class PolicyDocuments(Protocol):
    """A policy as the document clients exchange: its etag and its form in the audit log."""

    def etag(self, policy: Policy) -> str:
        """A digest of every field but the etag."""

    def summary(self, policy: Policy) -> dict[str, Any]:
        """The policy's settings as JSON (no times, etag or creator)."""


def _quoted(text: str) -> str:
    """``text`` as an error may quote it: a hostile key is not echoed whole."""
    return text if len(text) <= MAX_ECHO else f"{text[:MAX_ECHO]}..."


def _drift_test(test: DriftTest, path: str, kind: str, problems: list[FieldViolation]) -> None:
    if test.method not in METHODS and test.method is not DriftMethod.UNSPECIFIED:
        problems.append(FieldViolation(f"{path}.method", "unknown method"))
    elif kind != "numeric" and METHODS.get(test.method) in NUMERIC_ONLY:
        problems.append(
            FieldViolation(
                f"{path}.method",
                f"{METHODS[test.method]} needs numbers; "
                f"{kind} features take chi-square, z-test, "
                "Jensen-Shannon or PSI",
            )
        )
    elif kind == "numeric" and METHODS.get(test.method) == "ztest":
        problems.append(FieldViolation(f"{path}.method", "the z-test is for binary features"))
    if test.threshold is not None:
        method = METHODS.get(test.method)
        if method in ("ks", "chisquare", "ztest") and not 0 < test.threshold < 1:
            problems.append(
                FieldViolation(f"{path}.threshold", "a p-value threshold must lie in (0, 1)")
            )
        elif not 0 < test.threshold < math.inf:  # also refuses NaN
            problems.append(FieldViolation(f"{path}.threshold", "must be positive and finite"))


def check_policy(
    policy: Policy,
    prefix: str = "monitoring_policy",
    protected_aliases: frozenset[str] = frozenset({"production"}),
) -> None:
    """Raise InvalidArgumentError naming every problem of ``policy``."""
    problems: list[FieldViolation] = []

    def bad(field: str, description: str) -> None:
        problems.append(FieldViolation(f"{prefix}.{field}", description))

    model = policy.model[len("models/") :] if policy.model.startswith("models/") else ""
    if not MODEL_ID.fullmatch(model):
        bad("model", "is required and must look like models/{model}")
    if len(policy.description) > MAX_DESCRIPTION:
        bad("description", f"at most {MAX_DESCRIPTION} characters")
    window = policy.window
    if (
        window is not None
        and window.row_count is not None
        and not (0 < window.row_count <= MAX_WINDOW_ROWS)
    ):
        bad("window.row_count", f"must be 1 to {MAX_WINDOW_ROWS}")
    if window is not None and window.duration is not None:
        seconds = window.duration.total_seconds()
        if seconds is None or not 1 <= seconds <= MAX_DAYS * 86400:
            bad("window.duration", f"must be 1 s to {MAX_DAYS} days")
    if policy.min_samples < 0:
        bad("min_samples", "must not be negative")
    drift = policy.drift_settings
    for kind, test in (
        ("numeric", drift.numeric),
        ("categorical", drift.categorical),
        ("binary", drift.binary),
    ):
        _drift_test(test or DriftTest(), f"{prefix}.drift.{kind}", kind, problems)
    for name, test in drift.feature_overrides.items():
        _drift_test(test, f'{prefix}.drift.feature_overrides["{_quoted(name)}"]', "any", problems)
    if drift.dataset_drift_share is not None and not 0 < drift.dataset_drift_share <= 1:
        bad("drift.dataset_drift_share", "must lie in (0, 1]")
    if not 0 <= drift.psi_bins <= 100 or drift.psi_bins == 1:
        bad("drift.psi_bins", "must be 2 to 100 (0 means 10)")
    performance = policy.performance_settings
    for i, threshold in enumerate(performance.thresholds):
        path = f"performance.thresholds[{i}]"
        if threshold.metric not in METRICS:
            bad(f"{path}.metric", f"must be one of {', '.join(sorted(METRICS))}")
        if threshold.max_degradation is None and threshold.bound is None:
            bad(path, "set max_degradation, bound, or both")
        if threshold.max_degradation is not None and not (
            0 <= threshold.max_degradation < math.inf
        ):
            bad(f"{path}.max_degradation", "must be finite and not negative")
        if threshold.bound is not None and not math.isfinite(threshold.bound):
            bad(f"{path}.bound", "must be finite")
    detector = performance.concept_drift_detector
    if detector is None:
        bad("performance.concept_drift_detector", "unknown detector")
    adwin = detector is ConceptDriftDetector.ADWIN
    allowed = ADWIN_PARAMETERS if adwin else PH_PARAMETERS
    for key, value in performance.concept_drift_parameters.items():
        if key not in allowed:
            bad(
                f'performance.concept_drift_parameters["{_quoted(key)}"]',
                f"unknown parameter; this detector takes {', '.join(sorted(allowed))}",
            )
        elif (
            not 0 < value < math.inf
            or (key in ("alpha",) and value > 1)
            or (key == "delta" and adwin and value >= 1)
            or (key == "min_instances" and value > MAX_MIN_INSTANCES)
        ):
            bad(f'performance.concept_drift_parameters["{key}"]', "out of range")
    quality = policy.data_quality_settings
    for field, share in (
        ("max_missing_share", quality.max_missing_share),
        ("max_out_of_range_share", quality.max_out_of_range_share),
    ):
        if share is not None and not 0 <= share <= 1:
            bad(f"data_quality.{field}", "must lie in [0, 1]")
    if policy.action is None:
        bad("action", "unknown action")
    retraining = policy.retraining_settings
    # An unset cooldown checks as zero (the default applies later).
    cooldown = (retraining.cooldown or Span()).total_seconds()
    if cooldown is None or not 0 <= cooldown <= MAX_DAYS * 86400:
        bad("retraining.cooldown", f"must be 0 s to {MAX_DAYS} days")
    if retraining.alias_on_success:
        # Training refuses a job whose alias is not one the registry would create.
        if not RESOURCE_ID.fullmatch(retraining.alias_on_success):
            bad("retraining.alias_on_success", f"is not a valid alias: it {RESOURCE_ID_RULE}")
        elif retraining.alias_on_success in protected_aliases:
            bad(
                "retraining.alias_on_success",
                f"{retraining.alias_on_success!r} is protected: "
                "an approver promotes a retrained version to it",
            )
    if retraining.source_training_job and not re.fullmatch(
        r"trainingJobs/[A-Za-z0-9]{1,64}", retraining.source_training_job
    ):
        bad("retraining.source_training_job", "must look like trainingJobs/{id}")
    path = retraining.dataset_path
    if path and (
        path.startswith("/") or ".." in path.split("/") or "\\" in path or len(path) > 1024
    ):
        bad("retraining.dataset_path", "must be a relative path under the training data root")
    severities: tuple[tuple[Severity | None, str], ...] = (
        (drift.severity, "drift.severity"),
        (performance.severity, "performance.severity"),
        (quality.severity, "data_quality.severity"),
    )
    for severity, field in severities:
        if severity is None:
            bad(field, "unknown severity")
    if problems:
        raise InvalidArgumentError(
            "; ".join(f"{p.field}: {p.description}" for p in problems),
            reason=Reason.INVALID_POLICY,
            field_violations=problems,
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _paths(mask: Sequence[str]) -> list[str]:
    """The fields an update mask changes, checked."""
    paths = list(mask)
    if not paths:
        raise InvalidArgumentError.for_field(
            "update_mask", "name the fields to change, or *", reason=Reason.INVALID_UPDATE_MASK
        )
    if paths == ["*"]:
        paths = list(MUTABLE_FIELDS)
    unknown = [p for p in paths if p not in MUTABLE_FIELDS]
    if unknown:
        raise InvalidArgumentError.for_field(
            "update_mask",
            f"cannot change {', '.join(map(_quoted, unknown[:3]))}; "
            f"changeable fields: {', '.join(MUTABLE_FIELDS)}",
            reason=Reason.INVALID_UPDATE_MASK,
        )
    return paths


class Policies:
    def __init__(
        self,
        db: Database,
        protected_aliases: frozenset[str],
        repository: MonitoringRepository,
        documents: PolicyDocuments,
        models: ModelCatalog,
        approval_aliases: frozenset[str] = frozenset(),
    ) -> None:
        self._db = db
        self._approval_aliases = approval_aliases
        self._repo = repository
        self._documents = documents
        self._models = models
        self._protected = protected_aliases
        self.on_change: list[Any] = []

    def _replayed(
        self, session: Session, actor: Principal, method: str, request_id: str
    ) -> tuple[Any, dict[str, Any] | None]:
        key = key_for(SERVICE, method, request_id, actor.name)
        return key, find_json(session, key)

    def _row(self, session: Session, policy_id: str, *, lock: bool = False) -> Policy:
        row = self._repo.get_policy(session, policy_id, lock=lock)
        if row is None:
            raise NotFoundError(
                f"{PREFIX}{policy_id} does not exist",
                reason=Reason.POLICY_NOT_FOUND,
                metadata={"resource": f"{PREFIX}{policy_id}"},
            )
        return row

    async def _check_against_registry(self, policy: Policy, prefix: str) -> None:
        """The model exists and every per-feature override names one of its inputs."""
        features = await self._models.feature_names(policy.model)
        overrides = policy.drift_settings.feature_overrides
        unknown = [name for name in overrides if features is None or name not in features]
        if not unknown:
            return
        known = (
            f"{policy.model} takes {', '.join(sorted(features)[:20])}"
            if features is not None
            else f"{policy.model} has no READY version to take features from yet"
        )
        raise InvalidArgumentError(
            f"unknown feature(s) {', '.join(map(repr, map(_quoted, unknown[:3])))}; {known}",
            reason=Reason.UNKNOWN_FEATURE,
            field_violations=[
                FieldViolation(
                    f'{prefix}.drift.feature_overrides["{_quoted(name)}"]',
                    f"{policy.model} has no feature {_quoted(name)!r}",
                )
                for name in unknown
            ],
        )

    def _check_approval(self, actor: Principal, policy: Policy) -> None:
        """A retraining policy whose versions land on a live-traffic alias needs an approver.

        Monitoring's retraining jobs pass training's approver check (they are a peer's request),
        and the registry lets a verified job's version take its alias even when it is protected
        (``--training-aliases``), so the review of such a landing happens here, when a person
        writes the policy that will start those jobs: a developer could otherwise put models on
        canary traffic unreviewed through a policy.
        """
        if policy.action is not PolicyAction.RETRAIN:
            return
        alias = policy.retraining_settings.alias_on_success or DEFAULT_RETRAINING_ALIAS
        if alias not in self._approval_aliases:
            return
        if not actor.roles.isdisjoint(APPROVERS) or actor.roles.isdisjoint(PEOPLE):
            return
        raise PermissionDeniedError(
            f"a retraining policy landing on {alias!r} puts retrained versions on live traffic: "
            "only an approver or admin may write it; ask for an alias that takes no traffic "
            "(retraining.alias_on_success) and have the versions reviewed",
            reason=Reason.PROTECTED_ALIAS,
            metadata={"resource": f"{policy.model}@{alias}"},
        )

    async def create(
        self,
        actor: Principal,
        policy: Policy,
        *,
        policy_id: str,
        reason: str,
        request_id: str,
    ) -> Policy:
        """Checks ``policy`` (its model and features against the registry) and stores it."""
        check_policy(policy, protected_aliases=self._protected)  # before asking the registry
        self._check_approval(actor, policy)
        await self._check_against_registry(policy, "monitoring_policy")
        return await run_blocking(
            self._create, actor, policy, policy_id=policy_id, reason=reason, request_id=request_id
        )

    def _create(
        self,
        actor: Principal,
        policy: Policy,
        *,
        policy_id: str,
        reason: str,
        request_id: str,
    ) -> Policy:
        if policy_id and not POLICY_ID.fullmatch(policy_id):
            raise InvalidArgumentError.for_field(
                "monitoring_policy_id",
                "1 to 63 lowercase letters, digits and '-', starting with a letter",
                reason=Reason.INVALID_NAME,
            )
        check_policy(policy, protected_aliases=self._protected)
        with self._db.unit_of_work() as session:
            key, done = self._replayed(session, actor, "CreateMonitoringPolicy", request_id)
            if done is not None:
                return self._row(session, done["id"])
            policy_id = policy_id or f"p{uuid.uuid4().hex[:12]}"
            if self._repo.policy_exists(session, policy_id):
                raise AlreadyExistsError(
                    f"{PREFIX}{policy_id} already exists",
                    reason=Reason.POLICY_EXISTS,
                    metadata={"resource": f"{PREFIX}{policy_id}"},
                )
            now = _now()
            stored = replace(
                policy,
                name=f"{PREFIX}{policy_id}",
                created_by=actor.name,
                create_time=now,
                update_time=now,
            )
            stored = replace(stored, etag=self._documents.etag(stored))
            self._repo.add_policy(session, policy_id, stored, actor.name, now)
            record(
                session,
                service=SERVICE,
                action="monitoring.CreateMonitoringPolicy",
                resource=stored.name,
                principal=actor,
                reason=reason,
                payload={"after": self._documents.summary(stored)},
            )
            remember_json(session, key, {"id": policy_id})
            return stored

    def get(self, policy_id: str) -> Policy:
        with self._db.unit_of_work(read_only=True) as session:
            return self._row(session, policy_id)

    def list_policies(
        self, filter_text: str, order_by: str, cursor: Mapping[str, Any] | None, limit: int
    ) -> Page:
        """A page of the policies matching ``filter_text`` (AIP-160, the fields of
        ``FILTER_FIELDS``) in the order ``order_by`` (AIP-132, ``ORDER_FIELDS``)."""
        predicate = parse_filter(filter_text, FILTER_FIELDS, _field)
        order = parse_order_by(order_by, "name", ORDER_FIELDS)
        with self._db.unit_of_work(read_only=True) as session:
            policies = [p for p in self._repo.all_policies(session) if predicate(p)]
        return page_of(policies, order, lambda p: p.name, cursor, limit, _field)

    def enabled(self) -> list[Policy]:
        with self._db.unit_of_work(read_only=True) as session:
            return self._repo.enabled_policies(session)

    def first_enabled_for(self, model: str) -> Policy | None:
        with self._db.unit_of_work(read_only=True) as session:
            found = self._repo.enabled_policies(session, model, limit=1)
        return found[0] if found else None

    async def update(
        self,
        actor: Principal,
        policy: Policy,
        mask: Sequence[str],
        *,
        reason: str,
        request_id: str,
    ) -> Policy:
        """Changes the fields of ``mask``; new drift overrides are checked against the registry
        (other changes are not: a policy whose model left the registry can still be disabled)."""
        policy_id = policy_id_of(policy.name, "monitoring_policy.name")
        paths = _paths(mask)
        if "drift" in paths:
            # The policy as it would be (the model is not mutable, so it is the stored one),
            # checked on its own first: the registry is asked only about a valid policy.
            stored = await run_blocking(self.get, policy_id)
            after = replace(stored, **{path: getattr(policy, path) for path in paths})
            check_policy(after, protected_aliases=self._protected)
            await self._check_against_registry(after, "monitoring_policy")
        return await run_blocking(
            self._update, actor, policy, paths, reason=reason, request_id=request_id
        )

    def _update(
        self,
        actor: Principal,
        policy: Policy,
        paths: list[str],
        *,
        reason: str,
        request_id: str,
    ) -> Policy:
        policy_id = policy_id_of(policy.name, "monitoring_policy.name")
        with self._db.unit_of_work() as session:
            key, done = self._replayed(session, actor, "UpdateMonitoringPolicy", request_id)
            if done is not None:
                return self._row(session, policy_id)
            before = self._row(session, policy_id, lock=True)
            if policy.etag and policy.etag != before.etag:
                raise AbortedError(
                    f"{before.name} changed since it was read; read it again and retry",
                    reason=Reason.ETAG_MISMATCH,
                    metadata={"resource": before.name},
                )
            # A field named in the mask takes the request's value, unset included.
            after = replace(before, **{path: getattr(policy, path) for path in paths})
            check_policy(after, protected_aliases=self._protected)
            if LANDING_FIELDS.intersection(paths):
                self._check_approval(actor, after)
            now = _now()
            after = replace(after, update_time=now)
            after = replace(after, etag=self._documents.etag(after))
            self._repo.save_policy(session, policy_id, after, now)
            record(
                session,
                service=SERVICE,
                action="monitoring.UpdateMonitoringPolicy",
                resource=after.name,
                principal=actor,
                reason=reason,
                payload={
                    "fields": paths,
                    "before": self._documents.summary(before),
                    "after": self._documents.summary(after),
                },
            )
            remember_json(session, key, {"id": policy_id})
            return after

    def delete(
        self, actor: Principal, policy_id: str, *, etag: str, reason: str, request_id: str
    ) -> list[Change]:
        """Deletes the policy and resolves its firing alerts; returns those resolutions."""
        with self._db.unit_of_work() as session:
            key, done = self._replayed(session, actor, "DeleteMonitoringPolicy", request_id)
            if done is not None:
                return []
            before = self._row(session, policy_id, lock=True)
            if etag and etag != before.etag:
                raise AbortedError(
                    f"{PREFIX}{policy_id} changed since it was read; read it again and retry",
                    reason=Reason.ETAG_MISMATCH,
                    metadata={"resource": f"{PREFIX}{policy_id}"},
                )
            self._repo.delete_policy(session, policy_id)
            resolved = resolve_for_deleted_policy(
                self._repo, session, before.name, actor, reason, request_id
            )
            record(
                session,
                service=SERVICE,
                action="monitoring.DeleteMonitoringPolicy",
                resource=before.name,
                principal=actor,
                reason=reason,
                payload={
                    "before": self._documents.summary(before),
                    "resolved_alerts": [c.alert.name for c in resolved],
                },
            )
            remember_json(session, key, {"id": policy_id})
            return resolved
