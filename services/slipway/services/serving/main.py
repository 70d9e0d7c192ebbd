"""Entry point of the serving service: `slipway serving`."""

from __future__ import annotations

from collections.abc import Sequence

from slipway.core.bootstrap import ServiceApp, audit_registration, run_service
from slipway.core.db import Database
from slipway.core.server import ServiceRegistration
from slipway.inference.v2 import grpc_service_pb2
from slipway.services.serving.api.servicer import InferenceServicer
from slipway.services.serving.settings import ServingSettings

SERVICE = grpc_service_pb2.DESCRIPTOR.services_by_name["GRPCInferenceService"]


def build(settings: ServingSettings, db: Database) -> ServiceApp:
    servicer = InferenceServicer()

    async def on_ready() -> None:
        servicer.ready = True

    return ServiceApp(
        services=[ServiceRegistration(SERVICE, servicer), audit_registration(db)],
        on_ready=on_ready,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_service(ServingSettings, build, argv)
