"""The lineage report of a version: everything an auditor needs to answer "why is this version
where it is", gathered from the registry's own data, the training job that produced it, the
monitoring alerts in its history and the shared audit log.

Parts that come from another service are never required: when training or monitoring is not
configured, unreachable or refuses, the report is built without that part and says why in its
warnings (a :class:`PeerError`'s text). The peers' answers are carried through untouched (the
domain only reads the few facts it needs from them, which the peer adapter extracts), so no wire
type enters this module. The registry's data is read through :class:`RegistryDomain`: the report
is served by the registry process, and this package depends on the registry, never the reverse.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from slipway.core.context import Principal
from slipway.core.names import VersionRef
from slipway.core.roles import AUDIT
from slipway.services.registry.domain.entities import (
    AliasHistoryEntry,
    AuditTrail,
    ModelVersion,
    Provenance,
)
from slipway.services.registry.domain.provenance import PeerError
from slipway.services.registry.domain.service import RegistryDomain

J = TypeVar("J")  # a training job as the training service describes it
A = TypeVar("A")  # an alert as the monitoring service describes it

AUDIT_EVENT_LIMIT = 1000
ALERT_LIMIT = 200
AUDIT_ROLE_NEEDED = (
    "audit events need the auditor role (or admin): the audit events and the "
    "verification of the audit chain are left out"
)


@dataclass(frozen=True)
class PeerJob(Generic[J]):
    """A training job, the alert that started it (``alerts/{id}``, or empty) and the version
    it registered (``models/{model}/versions/{n}``, once it succeeded)."""

    message: J
    trigger_alert: str = ""
    model_version: str = ""


@dataclass(frozen=True)
class PeerAlert(Generic[A]):
    """A monitoring alert: its name, when it fired (for ordering) and the policy that raised
    it (``monitoringPolicies/{id}``, for its audit events), and the alert itself."""

    name: str
    fire_time: datetime | None
    message: A
    policy: str = ""


class LineagePeers(Protocol[J, A]):
    """What the report asks of training and monitoring. Each call raises :class:`PeerError`
    when it cannot answer (not configured, unreachable, refused, not found)."""

    async def training_job(self, name: str) -> PeerJob[J]: ...

    async def alerts_on(self, version: str, limit: int) -> tuple[list[PeerAlert[A]], bool]:
        """Alerts raised on ``version`` (at most ``limit``), and whether more exist."""
        ...

    async def alert(self, name: str) -> PeerAlert[A]: ...


@dataclass(frozen=True)
class LineageReport(Generic[J, A]):
    """The report; ``audit`` is None when the caller may not read the audit log."""

    requested_name: str
    version: ModelVersion
    parent: ModelVersion | None
    alias_history: list[AliasHistoryEntry]
    training_job: J | None
    alerts: list[A]
    audit: AuditTrail | None
    generate_time: datetime
    warnings: list[str] = field(default_factory=list)


class _Warnings(list[str]):
    def add(self, text: str) -> None:
        if text not in self:
            self.append(text)


def _now() -> datetime:
    return datetime.now(UTC)


class LineageReports(Generic[J, A]):
    """Builds lineage reports from the registry, its peers and the audit log."""

    def __init__(
        self,
        domain: RegistryDomain,
        peers: LineagePeers[J, A],
        *,
        audit_event_limit: int = AUDIT_EVENT_LIMIT,
        alert_limit: int = ALERT_LIMIT,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._domain = domain
        self._peers = peers
        self._audit_event_limit = audit_event_limit
        self._alert_limit = alert_limit
        self._clock = clock

    async def build(
        self, actor: Principal, ref: VersionRef, requested_name: str
    ) -> LineageReport[J, A]:
        lineage = await asyncio.to_thread(self._domain.version_lineage, ref)
        version = lineage.version
        warnings = _Warnings(lineage.notes)
        job_name = str(version.lineage.get("training_job", ""))
        if job_name and version.provenance is not Provenance.VERIFIED:
            # Only a job the registry verified is shown as the producer (with its audit
            # events): an uploader's claim could name anyone's job.
            warnings.add(
                f"the lineage is self-reported by {version.created_by}: the training job "
                f"{job_name} it names was not verified with the training service and is "
                "not shown as this version's producer"
            )
            job_name = ""

        # Both asked at once; their warnings are added in this order whichever answers first.
        job_warnings, alert_warnings = _Warnings(), _Warnings()
        job, on_version = await asyncio.gather(
            self._training_job(job_name, job_warnings),
            self._alerts_on(version.name, alert_warnings),
        )
        for text in (*job_warnings, *alert_warnings):
            warnings.add(text)
        if job is not None and job.model_version and job.model_version != version.name:
            warnings.add(
                f"the training job {job_name} records {job.model_version} as its version, "
                f"not {version.name}"
            )
        alerts = {a.name: a for a in on_version}
        trigger_alert = job.trigger_alert if job is not None else ""
        if trigger_alert and trigger_alert not in alerts:
            try:
                alerts[trigger_alert] = await self._peers.alert(trigger_alert)
            except PeerError as problem:
                warnings.add(
                    f"the alert that started the retraining ({trigger_alert}) is missing: {problem}"
                )
        ordered = sorted(
            alerts.values(),
            key=lambda a: (
                a.fire_time is None,
                a.fire_time or datetime.min.replace(tzinfo=UTC),
                a.name,
            ),
        )

        audit = None
        if actor.has_any(AUDIT):
            # The job, the alerts and the policies that raised them; alias moves by event id
            # (the alias resource, `models/m@production`, also names moves of other versions).
            resources = {*alerts, *(a.policy for a in alerts.values() if a.policy)}
            resources.update(r for r in (job_name, trigger_alert) if r)
            audit = await asyncio.to_thread(
                self._domain.audit_trail,
                version,
                resources,
                {e.audit_event_id for e in lineage.alias_history if e.audit_event_id},
                limit=self._audit_event_limit,
            )
            if audit.truncated:
                warnings.add(
                    f"only the oldest {self._audit_event_limit} audit events are "
                    "listed; ListAuditEvents with a resource filter has the rest"
                )
            if not audit.verification.ok:
                warnings.add(
                    f"the audit chain is BROKEN at event "
                    f"{audit.verification.break_sequence}: "
                    f"{audit.verification.detail}"
                )
        else:
            warnings.add(AUDIT_ROLE_NEEDED)

        return LineageReport(
            requested_name=requested_name,
            version=version,
            parent=lineage.parent,
            alias_history=lineage.alias_history,
            training_job=job.message if job is not None else None,
            alerts=[a.message for a in ordered],
            audit=audit,
            generate_time=self._clock(),
            warnings=list(warnings),
        )

    async def _training_job(self, name: str, warnings: _Warnings) -> PeerJob[J] | None:
        if not name:
            return None  # uploaded by hand: there is no job to ask for
        try:
            return await self._peers.training_job(name)
        except PeerError as problem:
            warnings.add(f"the training job {name} is missing: {problem}")
            return None

    async def _alerts_on(self, version: str, warnings: _Warnings) -> list[PeerAlert[A]]:
        try:
            alerts, more = await self._peers.alerts_on(version, self._alert_limit)
        except PeerError as problem:
            warnings.add(f"the monitoring alerts are missing: {problem}")
            return []
        if more:
            warnings.add(
                f"only the newest {self._alert_limit} alerts on {version} are listed; "
                "ListAlerts has the rest"
            )
        return alerts
