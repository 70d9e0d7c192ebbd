"""Lineage report (domain) -> ``slipway.lineage.v1.LineageReport``.

The version, its parent and its alias moves are encoded as the registry encodes them; the
training job and the alerts are the peers' own messages, carried through untouched.
"""

from __future__ import annotations

from slipway.core.audit.api import event_to_pb as audit_event_to_pb
from slipway.core.audit.api import verification_to_pb
from slipway.core.values import timestamp
from slipway.lineage.v1 import lineage_report_pb2
from slipway.monitoring.v1 import alert_pb2
from slipway.services.lineage.domain.lineage import LineageReport
from slipway.services.registry.api.converters import history_to_pb, version_to_pb
from slipway.training.v1 import training_job_pb2


def lineage_report_to_pb(
    report: LineageReport[training_job_pb2.TrainingJob, alert_pb2.Alert],
) -> lineage_report_pb2.LineageReport:
    message = lineage_report_pb2.LineageReport(
        model_version=version_to_pb(report.version),
        requested_name=report.requested_name,
        training_job=report.training_job,
        parent_version=version_to_pb(report.parent) if report.parent is not None else None,
        alias_history=[history_to_pb(e) for e in report.alias_history],
        alerts=report.alerts,
        generate_time=timestamp(report.generate_time),
        warnings=report.warnings,
    )
    if report.audit is not None:
        message.audit_events.extend(audit_event_to_pb(e) for e in report.audit.events)
        message.audit_verification.CopyFrom(
            verification_to_pb(report.audit.verification, report.audit.chain_empty)
        )
    return message
