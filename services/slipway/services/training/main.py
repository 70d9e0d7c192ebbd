"""Entry point of the training service: `slipway training`."""

from __future__ import annotations

import functools
import importlib.metadata
from collections.abc import Sequence

from slipway.core.bootstrap import ServiceApp, audit_registration, run_service
from slipway.core.db import Database
from slipway.core.logs import get_logger
from slipway.core.server import ServiceRegistration
from slipway.ml.table_limits import TableLimits as DatasetLimits
from slipway.services.training.api.servicer import TrainingServicer
from slipway.services.training.domain.jobs import Limits, TrainingJobs, new_worker_id
from slipway.services.training.engine.validation import validate
from slipway.services.training.settings import TrainingSettings
from slipway.services.training.storage.repository import SqlJobRepository
from slipway.services.training.worker.registration import Registrar
from slipway.services.training.worker.supervisor import Supervisor, WorkerConfig
from slipway.training.v1 import training_service_pb2

SERVICE = training_service_pb2.DESCRIPTOR.services_by_name["TrainingService"]
log = get_logger("slipway.training")


def code_version() -> str:
    try:
        return f"slipway {importlib.metadata.version('slipway')}"
    except importlib.metadata.PackageNotFoundError:
        return "slipway (unpackaged)"


def build(settings: TrainingSettings, db: Database) -> ServiceApp:
    assert settings.data_root is not None
    assert settings.work_dir is not None
    settings.data_root.mkdir(parents=True, exist_ok=True)
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    dataset_limits = DatasetLimits(
        max_rows=settings.max_dataset_rows,
        max_columns=settings.max_dataset_columns,
        max_decoded_bytes=settings.max_dataset_decoded_bytes,
    )
    jobs = TrainingJobs(
        db,
        SqlJobRepository(),
        data_root=settings.data_root,
        validator=functools.partial(validate, limits=dataset_limits),
        limits=Limits(
            default_max_runtime_seconds=settings.default_max_runtime_seconds,
            max_runtime_limit_seconds=settings.max_runtime_limit_seconds,
            max_attempts=settings.max_attempts,
            heartbeat_timeout_seconds=settings.heartbeat_timeout_seconds,
        ),
        protected_aliases=frozenset(settings.protected_aliases),
        approval_aliases=frozenset(settings.training_aliases),
    )
    registrar = Registrar(
        settings.registry,
        retry_seconds=settings.registry_retry_seconds,
        code_version=code_version(),
    )
    supervisor = Supervisor(
        jobs,
        registrar,
        WorkerConfig(
            data_root=settings.data_root,
            work_dir=settings.work_dir,
            heartbeat_seconds=settings.heartbeat_seconds,
            poll_seconds=settings.poll_seconds,
            dataset_limits=dataset_limits,
            reference_sample_rows=settings.reference_sample_rows,
        ),
        count=settings.workers,
        worker_id=new_worker_id,
    )
    servicer = TrainingServicer(jobs, supervisor)
    supervisor.on_change = servicer.notify
    if settings.registry_token_file is not None and not settings.registry_token_file.exists():
        log.warning(
            "no token for the registry; registration works only against a registry "
            "that accepts calls without one",
            token_file=str(settings.registry_token_file),
        )

    async def on_ready() -> None:
        await supervisor.start()

    async def on_stopping() -> None:
        servicer.stop_watchers()
        await supervisor.stop()  # running fits are killed; a reaper queues their jobs again

    return ServiceApp(
        services=[ServiceRegistration(SERVICE, servicer), audit_registration(db)],
        on_ready=on_ready,
        on_stopping=on_stopping,
        collectors=supervisor.metrics.collectors(),
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_service(TrainingSettings, build, argv)
