"""Alerts: fired, updated and resolved from reports, with their retraining decisions; stored
with the report behind them, audited and published on the ``monitoring`` event stream in the
same transaction.

One alert per (policy, version, kind) fires at a time: while the problem persists in later
windows the firing alert is updated with the newer report; a window without the problem
resolves it; the next window with it fires a new alert.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from slipway.core import event_log
from slipway.core.audit import record
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.core.errors import InvalidArgumentError, NotFoundError
from slipway.core.filters import parse_filter, parse_order_by
from slipway.core.ordering import Page, page_of
from slipway.core.reasons import Reason
from slipway.services.monitoring.domain.entities import (
    Alert,
    AlertKind,
    AlertState,
    Policy,
    Report,
    RetrainingDecision,
    Severity,
)
from slipway.services.monitoring.domain.reports import summary_of
from slipway.services.monitoring.storage.repository import MonitoringRepository

SERVICE = "monitoring"
STREAM = "monitoring"
ALERT_PREFIX = "alerts/"
REPORT_PREFIX = "monitoringReports/"
POLICY_PREFIX = "monitoringPolicies/"
# Ids are uuid4 hex; any id of letters, digits and '-' is well formed (so NOT_FOUND, not refused).
RESOURCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
KINDS = tuple(kind.value for kind in AlertKind)  # the kinds an alert can have, by name
# Alerts and retraining decisions are the monitoring service's own acts, recorded under the
# principal of its own token (see ``core.auth.own_principal``).
DEFAULT_ACTOR = Principal(name="service:monitoring", roles=frozenset({"service"}))
SKIPS = frozenset(
    {
        RetrainingDecision.SKIPPED_COOLDOWN,
        RetrainingDecision.SKIPPED_JOB_RUNNING,
        RetrainingDecision.FAILED,
    }
)


def _id_of(name: str, prefix: str, field: str) -> str:
    resource_id = name[len(prefix) :] if name.startswith(prefix) else ""
    if not RESOURCE_ID.fullmatch(resource_id):
        raise InvalidArgumentError.for_field(
            field, f"must look like {prefix}{{id}}", reason=Reason.INVALID_NAME
        )
    return resource_id


def alert_id_of(name: str, field: str = "name") -> str:
    """The id in ``alerts/{alert}``; INVALID_ARGUMENT on ``field`` for anything else."""
    return _id_of(name, ALERT_PREFIX, field)


def report_id_of(name: str, field: str = "report") -> str:
    """The id in ``monitoringReports/{monitoring_report}``."""
    return _id_of(name, REPORT_PREFIX, field)


def _now() -> datetime:
    return datetime.now(UTC)


def _severity(kind: str, policy: Policy) -> Severity:
    chosen: Severity | None
    if kind in ("performance", "concept_drift", "estimated_performance"):
        chosen, default = policy.performance_settings.severity, Severity.CRITICAL
    elif kind == "data_quality":
        chosen, default = policy.data_quality_settings.severity, Severity.WARNING
    else:
        chosen, default = policy.drift_settings.severity, Severity.WARNING
    if chosen is None or chosen is Severity.UNSPECIFIED:
        chosen = default
    return chosen


@dataclass(frozen=True)
class Change:
    alert: Alert
    transition: str  # fired, updated, resolved


@dataclass(frozen=True)
class AlertEvent:
    """One event of the alert stream: the change of an alert of ``model``, if it is one."""

    sequence: int
    model: str
    change: Change | None


# What ListAlerts filters and orders on: exactly what its comment in monitoring_service.proto
# names (tests/contracts/test_documented_examples.py runs the examples).
FILTER_FIELDS: dict[str, type] = {
    "name": str,
    "model": str,
    "model_version": str,
    "policy": str,
    "state": str,
    "kind": str,
    "severity": str,
    "training_job": str,
    "fire_time": datetime,
    "update_time": datetime,
    "resolve_time": datetime,
}
ORDER_FIELDS = ("fire_time", "update_time", "name")


def _field(alert: Alert, field: str) -> Any:
    """A filter or order field of an alert; enums by their API names (``FIRING``,
    ``DATA_DRIFT``, ``CRITICAL``)."""
    if field in ("state", "kind", "severity"):
        value: enum.Enum = getattr(alert, field)
        return value.name
    return getattr(alert, field, None)


def _audit(
    session: Session,
    alert: Alert,
    transition: str,
    action: str,
    actor: Principal,
    request_id: str,
    extra: Mapping[str, Any] | None = None,
) -> Change:
    """Audit and publish a change of ``alert``, which is stored already."""
    record(
        session,
        service=SERVICE,
        action=action,
        resource=alert.name,
        principal=actor,
        reason=(alert.resolve_reason or alert.summary)[:1024],
        request_id=request_id or None,
        payload={
            "model_version": alert.model_version,
            "policy": alert.policy,
            "kind": alert.kind.value,
            "report": alert.report,
            "state": alert.state.value,
            **(extra or {}),
        },
    )
    event_log.publish(
        session,
        stream=STREAM,
        type=f"ALERT_{transition.upper()}",
        key=alert.model,
        payload={"alert": alert.name, "transition": transition},
    )
    return Change(alert, transition)


def _resolved(
    repo: MonitoringRepository, session: Session, alert: Alert, now: datetime, reason: str
) -> Alert:
    alert = replace(
        alert,
        state=AlertState.RESOLVED,
        resolve_reason=reason,
        resolve_time=now,
        update_time=now,
    )
    repo.save_alert(session, alert, now=now)
    return alert


def resolve_for_deleted_policy(
    repo: MonitoringRepository,
    session: Session,
    policy: str,
    actor: Principal,
    reason: str,
    request_id: str,
) -> list[Change]:
    """Resolves the firing alerts of ``policy``, which is being deleted in this transaction:
    nothing would evaluate them again, so they would fire for ever (and page through
    Prometheus). Each is audited under the principal that deleted the policy."""
    now = _now()
    why = f"its policy {policy} was deleted by {actor.name}" + (f": {reason}" if reason else "")
    return [
        _audit(
            session,
            _resolved(repo, session, alert, now, why[:1024]),
            "resolved",
            "monitoring.AlertResolved",
            actor,
            request_id,
            {"resolved_by_policy_deletion": True},
        )
        for alert in repo.firing_alerts_of_policy(session, policy)
    ]


class Alerts:
    def __init__(
        self, db: Database, repository: MonitoringRepository, actor: Principal = DEFAULT_ACTOR
    ) -> None:
        self._db = db
        self._repo = repository
        self.actor = actor

    # --- from reports -----------------------------------------------------------------------

    def apply(
        self,
        policy: Policy,
        report: Report,
        verdicts: Mapping[str, bool],
        judged: Collection[str],
        request_id: str,
    ) -> list[Change]:
        """Fire, update or resolve the alerts of ``policy`` for the report's version, for each
        kind the report could judge. The report is stored when an alert refers to it."""
        now = _now()
        changes: list[Change] = []
        with self._db.unit_of_work() as session:
            # The evaluator read the policy a while ago: if it was deleted since, its alerts
            # were resolved with it, and one fired now would fire for ever. The row lock
            # (policy, then alerts, as the deletion takes them) orders the two.
            if not self._repo.lock_policy(session, policy.name.removeprefix(POLICY_PREFIX)):
                return []
            report_name = ""
            for kind in sorted(judged):
                open_row = self._repo.open_alert(session, policy.name, report.model_version, kind)
                holds = verdicts.get(kind, False)
                if not holds and open_row is None:
                    continue
                if not report_name:
                    report = self._store_report(session, report, now)
                    report_name = report.name
                if holds and open_row is None:
                    changes.append(self._fire(session, policy, report, kind, now, request_id))
                elif holds and open_row is not None:
                    changes.append(self._update(session, open_row, report, kind, now, request_id))
                elif open_row is not None:
                    changes.append(self._resolve(session, open_row, report, now, request_id))
        return changes

    def _store_report(self, session: Session, report: Report, now: datetime) -> Report:
        report_id = uuid.uuid4().hex
        report = replace(report, name=f"{REPORT_PREFIX}{report_id}")
        self._repo.add_report(session, report_id, report, now)
        return report

    def _save(
        self,
        session: Session,
        alert: Alert,
        transition: str,
        action: str,
        request_id: str,
        extra: Mapping[str, Any] | None = None,
    ) -> Change:
        return _audit(session, alert, transition, action, self.actor, request_id, extra)

    def _fire(
        self,
        session: Session,
        policy: Policy,
        report: Report,
        kind: str,
        now: datetime,
        request_id: str,
    ) -> Change:
        alert_id = uuid.uuid4().hex
        summary, subjects = summary_of(kind, report)
        alert = Alert(
            name=f"{ALERT_PREFIX}{alert_id}",
            model=report.model,
            model_version=report.model_version,
            policy=policy.name,
            kind=AlertKind(kind),
            severity=_severity(kind, policy),
            state=AlertState.FIRING,
            summary=summary,
            subjects=tuple(subjects),
            report=report.name,
            fire_time=now,
            update_time=now,
        )
        self._repo.add_alert(session, alert, now=now)
        return self._save(session, alert, "fired", "monitoring.AlertFired", request_id)

    def _update(
        self,
        session: Session,
        alert: Alert,
        report: Report,
        kind: str,
        now: datetime,
        request_id: str,
    ) -> Change:
        summary, subjects = summary_of(kind, report)
        alert = replace(
            alert, summary=summary, subjects=tuple(subjects), report=report.name, update_time=now
        )
        self._repo.save_alert(session, alert, now=now)
        return self._save(session, alert, "updated", "monitoring.AlertUpdated", request_id)

    def _resolve(
        self,
        session: Session,
        open_alert: Alert,
        report: Report,
        now: datetime,
        request_id: str,
    ) -> Change:
        alert = _resolved(
            self._repo,
            session,
            open_alert,
            now,
            f"a window within the policy's thresholds ({report.name})",
        )
        return self._save(
            session,
            alert,
            "resolved",
            "monitoring.AlertResolved",
            request_id,
            {"resolved_by_report": report.name},
        )

    def firing_versions(self) -> dict[str, str]:
        """The versions with firing alerts, each with its model."""
        with self._db.unit_of_work(read_only=True) as session:
            return {a.model_version: a.model for a in self._repo.firing_alerts(session)}

    def resolve_departed(
        self, version: str, departures: Mapping[str, str | None], request_id: str
    ) -> list[Change]:
        """Resolves the firing alerts of ``version``, which left every alias its traffic came
        through (``departures``: each alias and the version it points to now, None when it is
        not set): the traffic they judged goes elsewhere, so no later window would resolve
        them and they would fire for ever."""
        moves = ", ".join(
            f"{alias} (now {target})" if target else f"{alias} (now unset)"
            for alias, target in sorted(departures.items())
        )
        plural = "es" if len(departures) > 1 else ""
        why = f"{version} left the alias{plural} it was watched under: {moves}"[:1024]
        now = _now()
        with self._db.unit_of_work() as session:
            return [
                self._save(
                    session,
                    _resolved(self._repo, session, alert, now, why),
                    "resolved",
                    "monitoring.AlertResolved",
                    request_id,
                    {"resolved_by_alias_departure": dict(sorted(departures.items()))},
                )
                for alert in self._repo.firing_alerts_of_version(session, version)
            ]

    # --- retraining -------------------------------------------------------------------------

    def last_retraining(self, policy: str, model: str) -> datetime | None:
        """When this policy last started a retraining job for ``model``."""
        with self._db.unit_of_work(read_only=True) as session:
            return self._repo.last_retraining(session, policy, model)

    def record_retraining(
        self,
        alert_name: str,
        decision: RetrainingDecision,
        *,
        job: str,
        detail: str,
        request_id: str,
    ) -> Change:
        """The retraining decision taken on an alert, audited (a trigger as
        ``monitoring.RetrainingTriggered``)."""
        now = _now()
        with self._db.unit_of_work() as session:
            alert = self._row(session, alert_name, lock=True)
            if alert.retraining_decision is RetrainingDecision.TRIGGERED and decision in SKIPS:
                # A later window's skip must not hide the job this alert started: the alert
                # keeps the trigger and says what happened since (the audit log has each one).
                report_name = alert.report
                alert = replace(
                    alert,
                    retraining_detail=(
                        f"{alert.training_job} was started for this alert; then "
                        f"{decision.name.lower().replace('_', ' ')} ({report_name}): "
                        f"{detail}"
                    )[:2048],
                )
            else:
                alert = replace(
                    alert,
                    retraining_decision=decision,
                    training_job=job,
                    retraining_detail=detail[:2048],
                )
            alert = replace(alert, update_time=now)
            self._repo.save_alert(
                session, alert, now=now, retrained=decision is RetrainingDecision.TRIGGERED
            )
            action = (
                "monitoring.RetrainingTriggered"
                if decision is RetrainingDecision.TRIGGERED
                else "monitoring.RetrainingSkipped"
                if decision
                in (RetrainingDecision.SKIPPED_COOLDOWN, RetrainingDecision.SKIPPED_JOB_RUNNING)
                else "monitoring.RetrainingFailed"
            )
            return self._save(
                session,
                alert,
                "updated",
                action,
                request_id,
                {
                    "decision": decision.name.lower(),
                    "training_job": job,
                    "detail": detail[:1024],
                },
            )

    # --- reads ------------------------------------------------------------------------------

    def _row(self, session: Session, name: str, *, lock: bool = False) -> Alert:
        alert_id = name[len(ALERT_PREFIX) :] if name.startswith(ALERT_PREFIX) else ""
        row = self._repo.get_alert(session, alert_id, lock=lock)
        if row is None:
            raise NotFoundError(
                f"{name} does not exist", reason=Reason.ALERT_NOT_FOUND, metadata={"resource": name}
            )
        return row

    def get(self, name: str) -> Alert:
        with self._db.unit_of_work(read_only=True) as session:
            return self._row(session, name)

    def report(self, name: str) -> Report:
        report_id = name[len(REPORT_PREFIX) :] if name.startswith(REPORT_PREFIX) else ""
        with self._db.unit_of_work(read_only=True) as session:
            report = self._repo.get_report(session, report_id) if report_id else None
            if report is None:
                raise NotFoundError(
                    f"{name} does not exist",
                    reason=Reason.REPORT_NOT_FOUND,
                    metadata={"resource": name},
                )
            return report

    def list_alerts(
        self, filter_text: str, order_by: str, cursor: Mapping[str, Any] | None, limit: int
    ) -> Page:
        """A page of the alerts matching ``filter_text`` (AIP-160, ``FILTER_FIELDS``) in the
        order ``order_by`` (AIP-132, ``ORDER_FIELDS``; default the newest first)."""
        predicate = parse_filter(filter_text, FILTER_FIELDS, _field)
        order = parse_order_by(order_by, "fire_time desc", ORDER_FIELDS)
        with self._db.unit_of_work(read_only=True) as session:
            alerts = [a for a in self._repo.all_alerts(session) if predicate(a)]
        return page_of(alerts, order, lambda a: a.name, cursor, limit, _field)

    def firing(self, model: str = "") -> tuple[list[Alert], int]:
        """The alerts firing now, and the event stream's position they were read at."""
        with self._db.unit_of_work(read_only=True) as session:
            after = event_log.last_sequence(session, STREAM)
            return self._repo.firing_alerts(session, model), after

    def firing_counts(self) -> dict[tuple[str, str], int]:
        with self._db.unit_of_work(read_only=True) as session:
            return self._repo.firing_counts(session)

    def position(self) -> int:
        with self._db.unit_of_work(read_only=True) as session:
            return event_log.last_sequence(session, STREAM)

    def events_after(self, after: int, limit: int) -> list[AlertEvent]:
        """The alert stream's events after ``after`` (at most ``limit``, oldest first), each
        with the alert's state now: what one reader hands out to all of a process's alert
        watchers. Every event is returned, so the reader moves past those of no alert."""
        with self._db.unit_of_work(read_only=True) as session:
            events = event_log.read_after(session, stream=STREAM, after=after, limit=limit)
            found = []
            for event in events:
                change = None
                name = str(event.payload.get("alert", ""))
                if name.startswith(ALERT_PREFIX):
                    alert = self._repo.get_alert(session, name[len(ALERT_PREFIX) :])
                    if alert is not None:
                        change = Change(alert, str(event.payload.get("transition", "updated")))
                found.append(AlertEvent(event.sequence, event.key, change))
        return found
