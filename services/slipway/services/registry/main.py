"""Entry point of the registry service: `slipway registry`."""

from __future__ import annotations

from collections.abc import Sequence

from slipway.core.bootstrap import ServiceApp, audit_registration, run_service
from slipway.core.db import Database
from slipway.core.server import ServiceRegistration
from slipway.registry.v1 import registry_service_pb2
from slipway.services.registry.settings import RegistrySettings

SERVICE = registry_service_pb2.DESCRIPTOR.services_by_name["RegistryService"]


def build(settings: RegistrySettings, db: Database) -> ServiceApp:
    # The registry API is implemented by its own issue; until then every RPC of the contract
    # answers UNIMPLEMENTED behind the same auth, logging and metrics as a real one.
    return ServiceApp(services=[ServiceRegistration(SERVICE), audit_registration(db)])


def main(argv: Sequence[str] | None = None) -> int:
    return run_service(RegistrySettings, build, argv)
