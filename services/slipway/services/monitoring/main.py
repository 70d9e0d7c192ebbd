"""Entry point of the monitoring service: `slipway monitoring`."""

from __future__ import annotations

from collections.abc import Sequence

from slipway.core.bootstrap import ServiceApp, audit_registration, run_service
from slipway.core.db import Database
from slipway.core.server import ServiceRegistration
from slipway.monitoring.v1 import monitoring_service_pb2
from slipway.services.monitoring.api.servicer import MonitoringServicer
from slipway.services.monitoring.domain.ingestion import Ingestion
from slipway.services.monitoring.settings import MonitoringSettings

SERVICE = monitoring_service_pb2.DESCRIPTOR.services_by_name["MonitoringService"]


def build(settings: MonitoringSettings, db: Database) -> ServiceApp:
    # Ingestion is built; reports, policies and alerts answer UNIMPLEMENTED (behind the same
    # auth, logging and metrics) until they are.
    servicer = MonitoringServicer(Ingestion(db))
    return ServiceApp(services=[ServiceRegistration(SERVICE, servicer), audit_registration(db)])


def main(argv: Sequence[str] | None = None) -> int:
    return run_service(MonitoringSettings, build, argv)
