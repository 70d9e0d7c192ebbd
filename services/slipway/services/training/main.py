"""Entry point of the training service: `slipway training`."""

from __future__ import annotations

from collections.abc import Sequence

from slipway.core.bootstrap import ServiceApp, audit_registration, run_service
from slipway.core.db import Database
from slipway.core.server import ServiceRegistration
from slipway.services.training.settings import TrainingSettings
from slipway.training.v1 import training_service_pb2

SERVICE = training_service_pb2.DESCRIPTOR.services_by_name["TrainingService"]


def build(settings: TrainingSettings, db: Database) -> ServiceApp:
    # The training API is implemented by its own issue; until then every RPC of the contract
    # answers UNIMPLEMENTED behind the same auth, logging and metrics as a real one.
    return ServiceApp(services=[ServiceRegistration(SERVICE), audit_registration(db)])


def main(argv: Sequence[str] | None = None) -> int:
    return run_service(TrainingSettings, build, argv)
