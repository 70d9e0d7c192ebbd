"""Alerts: fired, updated and resolved from reports, with their retraining decisions; stored
with the report behind them, audited and published on the ``monitoring`` event stream in the
same transaction.

One alert per (policy, version, kind) fires at a time: while the problem persists in later
windows the firing alert is updated with the newer report; a window without the problem
resolves it; the next window with it fires a new alert.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from slipway.core import event_log
from slipway.core.audit import record
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.core.errors import InvalidArgumentError, NotFoundError
from slipway.monitoring.v1 import alert_pb2
from slipway.monitoring.v1 import monitoring_policy_pb2 as policy_pb2
from slipway.monitoring.v1 import monitoring_report_pb2 as report_pb2
from slipway.services.monitoring.domain.reports import summary_of
from slipway.services.monitoring.storage.tables import AlertRow, PolicyRow, ReportRow

SERVICE = "monitoring"
STREAM = "monitoring"
ALERT_PREFIX = "alerts/"
REPORT_PREFIX = "monitoringReports/"
POLICY_PREFIX = "monitoringPolicies/"
# Ids are uuid4 hex; any id of letters, digits and '-' is well formed (so NOT_FOUND, not refused).
RESOURCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
KINDS: dict[str, alert_pb2.AlertKind.ValueType] = {
    "data_drift": alert_pb2.ALERT_KIND_DATA_DRIFT,
    "prediction_drift": alert_pb2.ALERT_KIND_PREDICTION_DRIFT,
    "target_drift": alert_pb2.ALERT_KIND_TARGET_DRIFT,
    "performance": alert_pb2.ALERT_KIND_PERFORMANCE,
    "concept_drift": alert_pb2.ALERT_KIND_CONCEPT_DRIFT,
    "data_quality": alert_pb2.ALERT_KIND_DATA_QUALITY,
}
KIND_NAMES = {value: name for name, value in KINDS.items()}
STATES = {alert_pb2.ALERT_STATE_FIRING: "firing", alert_pb2.ALERT_STATE_RESOLVED: "resolved"}
DECISIONS = {
    alert_pb2.RETRAINING_DECISION_TRIGGERED: "triggered",
    alert_pb2.RETRAINING_DECISION_SKIPPED_COOLDOWN: "skipped_cooldown",
    alert_pb2.RETRAINING_DECISION_SKIPPED_JOB_RUNNING: "skipped_job_running",
    alert_pb2.RETRAINING_DECISION_FAILED: "failed",
}
# Alerts and retraining decisions are the monitoring service's own acts, recorded under the
# principal of its own token (see ``core.auth.own_principal``).
DEFAULT_ACTOR = Principal(name="service:monitoring", roles=frozenset({"service"}))
SKIPS = frozenset(
    {
        alert_pb2.RETRAINING_DECISION_SKIPPED_COOLDOWN,
        alert_pb2.RETRAINING_DECISION_SKIPPED_JOB_RUNNING,
        alert_pb2.RETRAINING_DECISION_FAILED,
    }
)


def _id_of(name: str, prefix: str, field: str) -> str:
    resource_id = name[len(prefix) :] if name.startswith(prefix) else ""
    if not RESOURCE_ID.fullmatch(resource_id):
        raise InvalidArgumentError.for_field(
            field, f"must look like {prefix}{{id}}", reason="INVALID_NAME"
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


def _severity(kind: str, policy: policy_pb2.MonitoringPolicy) -> alert_pb2.AlertSeverity.ValueType:
    if kind in ("performance", "concept_drift"):
        return policy.performance.severity or alert_pb2.ALERT_SEVERITY_CRITICAL
    if kind == "data_quality":
        return policy.data_quality.severity or alert_pb2.ALERT_SEVERITY_WARNING
    return policy.drift.severity or alert_pb2.ALERT_SEVERITY_WARNING


def message_of(row: AlertRow) -> alert_pb2.Alert:
    alert = alert_pb2.Alert()
    alert.ParseFromString(row.alert)
    return alert


@dataclass(frozen=True)
class Change:
    alert: alert_pb2.Alert
    transition: str  # fired, updated, resolved


@dataclass(frozen=True)
class AlertPage:
    alerts: list[alert_pb2.Alert]
    next_cursor: dict[str, Any] | None


def _save(
    session: Session,
    row: AlertRow,
    alert: alert_pb2.Alert,
    transition: str,
    action: str,
    actor: Principal,
    request_id: str,
    extra: Mapping[str, Any] | None = None,
) -> Change:
    row.alert = alert.SerializeToString()
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
            "kind": KIND_NAMES.get(alert.kind, ""),
            "report": alert.report.name,
            "state": STATES.get(alert.state, ""),
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


def _resolved(row: AlertRow, now: datetime, reason: str) -> alert_pb2.Alert:
    alert = message_of(row)
    alert.state = alert_pb2.ALERT_STATE_RESOLVED
    alert.resolve_reason = reason
    alert.resolve_time.FromDatetime(now)
    alert.update_time.FromDatetime(now)
    row.state, row.update_time = "resolved", now
    return alert


def resolve_for_deleted_policy(
    session: Session, policy: str, actor: Principal, reason: str, request_id: str
) -> list[Change]:
    """Resolves the firing alerts of ``policy``, which is being deleted in this transaction:
    nothing would evaluate them again, so they would fire for ever (and page through
    Prometheus). Each is audited under the principal that deleted the policy."""
    now = _now()
    why = f"its policy {policy} was deleted by {actor.name}" + (f": {reason}" if reason else "")
    rows = session.scalars(
        select(AlertRow)
        .where(AlertRow.policy == policy, AlertRow.state == "firing")
        .order_by(AlertRow.fire_time)
        .with_for_update()
    ).all()
    return [
        _save(
            session,
            row,
            _resolved(row, now, why[:1024]),
            "resolved",
            "monitoring.AlertResolved",
            actor,
            request_id,
            {"resolved_by_policy_deletion": True},
        )
        for row in rows
    ]


class Alerts:
    def __init__(self, db: Database, actor: Principal = DEFAULT_ACTOR) -> None:
        self._db = db
        self.actor = actor

    # --- from reports -----------------------------------------------------------------------

    def apply(
        self,
        policy: policy_pb2.MonitoringPolicy,
        report: report_pb2.MonitoringReport,
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
            if (
                session.scalar(
                    select(PolicyRow.id)
                    .where(PolicyRow.id == policy.name.removeprefix(POLICY_PREFIX))
                    .with_for_update()
                )
                is None
            ):
                return []
            report_name = ""
            for kind in sorted(judged):
                open_row = self._open(session, policy.name, report.model_version, kind)
                holds = verdicts.get(kind, False)
                if not holds and open_row is None:
                    continue
                if not report_name:
                    report_name = self._store_report(session, report, now)
                if holds and open_row is None:
                    changes.append(self._fire(session, policy, report, kind, now, request_id))
                elif holds and open_row is not None:
                    changes.append(self._update(session, open_row, report, kind, now, request_id))
                elif open_row is not None:
                    changes.append(self._resolve(session, open_row, report, now, request_id))
        return changes

    @staticmethod
    def _open(session: Session, policy: str, version: str, kind: str) -> AlertRow | None:
        return session.scalars(
            select(AlertRow)
            .where(
                AlertRow.policy == policy,
                AlertRow.model_version == version,
                AlertRow.kind == kind,
                AlertRow.state == "firing",
            )
            .with_for_update()
            .limit(1)
        ).one_or_none()

    @staticmethod
    def _store_report(session: Session, report: report_pb2.MonitoringReport, now: datetime) -> str:
        report_id = uuid.uuid4().hex
        report.name = f"{REPORT_PREFIX}{report_id}"
        session.add(
            ReportRow(
                id=report_id,
                model_version=report.model_version,
                policy=report.policy,
                create_time=now,
                report=report.SerializeToString(),
            )
        )
        return report.name

    def _save(
        self,
        session: Session,
        row: AlertRow,
        alert: alert_pb2.Alert,
        transition: str,
        action: str,
        request_id: str,
        extra: Mapping[str, Any] | None = None,
    ) -> Change:
        return _save(session, row, alert, transition, action, self.actor, request_id, extra)

    def _fire(
        self,
        session: Session,
        policy: policy_pb2.MonitoringPolicy,
        report: report_pb2.MonitoringReport,
        kind: str,
        now: datetime,
        request_id: str,
    ) -> Change:
        alert_id = uuid.uuid4().hex
        summary, subjects = summary_of(kind, report)
        alert = alert_pb2.Alert(
            name=f"{ALERT_PREFIX}{alert_id}",
            model=report.model,
            model_version=report.model_version,
            policy=policy.name,
            kind=KINDS[kind],
            severity=_severity(kind, policy),
            state=alert_pb2.ALERT_STATE_FIRING,
            summary=summary,
            subjects=subjects,
            report=report,
        )
        alert.fire_time.FromDatetime(now)
        alert.update_time.FromDatetime(now)
        row = AlertRow(
            id=alert_id,
            model=report.model,
            model_version=report.model_version,
            policy=policy.name,
            kind=kind,
            state="firing",
            fire_time=now,
            update_time=now,
            retraining_time=None,
            alert=b"",
        )
        session.add(row)
        return self._save(session, row, alert, "fired", "monitoring.AlertFired", request_id)

    def _update(
        self,
        session: Session,
        row: AlertRow,
        report: report_pb2.MonitoringReport,
        kind: str,
        now: datetime,
        request_id: str,
    ) -> Change:
        alert = message_of(row)
        alert.summary, subjects = summary_of(kind, report)
        del alert.subjects[:]
        alert.subjects.extend(subjects)
        alert.report.CopyFrom(report)
        alert.update_time.FromDatetime(now)
        row.update_time = now
        return self._save(session, row, alert, "updated", "monitoring.AlertUpdated", request_id)

    def _resolve(
        self,
        session: Session,
        row: AlertRow,
        report: report_pb2.MonitoringReport,
        now: datetime,
        request_id: str,
    ) -> Change:
        alert = _resolved(row, now, f"a window within the policy's thresholds ({report.name})")
        return self._save(
            session,
            row,
            alert,
            "resolved",
            "monitoring.AlertResolved",
            request_id,
            {"resolved_by_report": report.name},
        )

    # --- retraining -------------------------------------------------------------------------

    def last_retraining(self, policy: str, model: str) -> datetime | None:
        """When this policy last started a retraining job for ``model``."""
        with self._db.unit_of_work(read_only=True) as session:
            last: datetime | None = session.scalar(
                select(func.max(AlertRow.retraining_time)).where(
                    AlertRow.policy == policy, AlertRow.model == model
                )
            )
        return last

    def record_retraining(
        self,
        alert_name: str,
        decision: alert_pb2.RetrainingDecision.ValueType,
        *,
        job: str,
        detail: str,
        request_id: str,
    ) -> Change:
        """The retraining decision taken on an alert, audited (a trigger as
        ``monitoring.RetrainingTriggered``)."""
        now = _now()
        with self._db.unit_of_work() as session:
            row = self._row(session, alert_name, lock=True)
            alert = message_of(row)
            if (
                alert.retraining_decision == alert_pb2.RETRAINING_DECISION_TRIGGERED
                and decision in SKIPS
            ):
                # A later window's skip must not hide the job this alert started: the alert
                # keeps the trigger and says what happened since (the audit log has each one).
                alert.retraining_detail = (
                    f"{alert.training_job} was started for this alert; then "
                    f"{DECISIONS[decision].replace('_', ' ')} ({alert.report.name}): "
                    f"{detail}"
                )[:2048]
            else:
                alert.retraining_decision = decision
                alert.training_job = job
                alert.retraining_detail = detail[:2048]
            alert.update_time.FromDatetime(now)
            row.update_time = now
            if decision == alert_pb2.RETRAINING_DECISION_TRIGGERED:
                row.retraining_time = now
            action = (
                "monitoring.RetrainingTriggered"
                if decision == alert_pb2.RETRAINING_DECISION_TRIGGERED
                else "monitoring.RetrainingSkipped"
                if decision
                in (
                    alert_pb2.RETRAINING_DECISION_SKIPPED_COOLDOWN,
                    alert_pb2.RETRAINING_DECISION_SKIPPED_JOB_RUNNING,
                )
                else "monitoring.RetrainingFailed"
            )
            return self._save(
                session,
                row,
                alert,
                "updated",
                action,
                request_id,
                {
                    "decision": DECISIONS.get(decision, ""),
                    "training_job": job,
                    "detail": detail[:1024],
                },
            )

    # --- reads ------------------------------------------------------------------------------

    @staticmethod
    def _row(session: Session, name: str, *, lock: bool = False) -> AlertRow:
        alert_id = name[len(ALERT_PREFIX) :] if name.startswith(ALERT_PREFIX) else ""
        query = select(AlertRow).where(AlertRow.id == alert_id)
        if lock:
            query = query.with_for_update()
        row = session.scalars(query).one_or_none()
        if row is None:
            raise NotFoundError(
                f"{name} does not exist", reason="ALERT_NOT_FOUND", metadata={"resource": name}
            )
        return row

    def get(self, name: str) -> alert_pb2.Alert:
        with self._db.unit_of_work(read_only=True) as session:
            return message_of(self._row(session, name))

    def report(self, name: str) -> report_pb2.MonitoringReport:
        report_id = name[len(REPORT_PREFIX) :] if name.startswith(REPORT_PREFIX) else ""
        with self._db.unit_of_work(read_only=True) as session:
            row = session.get(ReportRow, report_id) if report_id else None
            if row is None:
                raise NotFoundError(
                    f"{name} does not exist", reason="REPORT_NOT_FOUND", metadata={"resource": name}
                )
            report = report_pb2.MonitoringReport()
            report.ParseFromString(row.report)
            return report

    def list_alerts(
        self,
        *,
        model: str = "",
        version: str = "",
        policy: str = "",
        states: Collection[str] = (),
        kinds: Collection[str] = (),
        start: datetime | None = None,
        end: datetime | None = None,
        cursor: Mapping[str, Any] | None = None,
        limit: int = 50,
    ) -> AlertPage:
        query = select(AlertRow)
        if model:
            query = query.where(AlertRow.model == model)
        if version:
            query = query.where(AlertRow.model_version == version)
        if policy:
            query = query.where(AlertRow.policy == policy)
        if states:
            query = query.where(AlertRow.state.in_(sorted(states)))
        if kinds:
            query = query.where(AlertRow.kind.in_(sorted(kinds)))
        if start is not None:
            query = query.where(AlertRow.fire_time >= start)
        if end is not None:
            query = query.where(AlertRow.fire_time < end)
        if cursor is not None:
            at = datetime.fromisoformat(str(cursor["fire_time"]))
            query = query.where(
                (AlertRow.fire_time < at)
                | ((AlertRow.fire_time == at) & (AlertRow.id < str(cursor["id"])))
            )
        query = query.order_by(AlertRow.fire_time.desc(), AlertRow.id.desc()).limit(limit + 1)
        with self._db.unit_of_work(read_only=True) as session:
            rows = session.scalars(query).all()
            more = len(rows) > limit
            rows = rows[:limit]
            alerts = [message_of(r) for r in rows]
            next_cursor = (
                {"fire_time": rows[-1].fire_time.isoformat(), "id": rows[-1].id}
                if more and rows
                else None
            )
        return AlertPage(alerts, next_cursor)

    def firing(self, model: str = "") -> tuple[list[alert_pb2.Alert], int]:
        """The alerts firing now, and the event stream's position they were read at."""
        with self._db.unit_of_work(read_only=True) as session:
            after = event_log.last_sequence(session, STREAM)
            query = select(AlertRow).where(AlertRow.state == "firing")
            if model:
                query = query.where(AlertRow.model == model)
            rows = session.scalars(query.order_by(AlertRow.fire_time, AlertRow.id)).all()
            return [message_of(r) for r in rows], after

    def firing_counts(self) -> dict[tuple[str, str], int]:
        with self._db.unit_of_work(read_only=True) as session:
            rows = session.execute(
                select(AlertRow.model, AlertRow.kind, func.count())
                .where(AlertRow.state == "firing")
                .group_by(AlertRow.model, AlertRow.kind)
            ).all()
        return {(model, kind): int(count) for model, kind, count in rows}

    def position(self) -> int:
        with self._db.unit_of_work(read_only=True) as session:
            return event_log.last_sequence(session, STREAM)

    def changes_after(
        self, after: int, model: str = "", limit: int = 100
    ) -> tuple[list[Change], int]:
        """Alert changes published after ``after``, oldest first, and the new position."""
        with self._db.unit_of_work(read_only=True) as session:
            events = event_log.read_after(
                session, stream=STREAM, after=after, limit=limit, key=model or None
            )
            changes = []
            for event in events:
                after = event.sequence
                name = str(event.payload.get("alert", ""))
                if not name.startswith(ALERT_PREFIX):
                    continue
                row = session.get(AlertRow, name[len(ALERT_PREFIX) :])
                if row is not None:
                    changes.append(
                        Change(message_of(row), str(event.payload.get("transition", "updated")))
                    )
        return changes, after
