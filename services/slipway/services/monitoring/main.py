"""Entry point of the monitoring service: `slipway monitoring`."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Sequence
from datetime import timedelta

from slipway.core.auth import own_principal
from slipway.core.bootstrap import ServiceApp, audit_registration, run_service
from slipway.core.db import Database
from slipway.core.logs import get_logger
from slipway.core.server import ServiceRegistration
from slipway.ml.artifact_cache import ArtifactCache
from slipway.monitoring.v1 import monitoring_service_pb2
from slipway.services.monitoring.api.servicer import MonitoringServicer
from slipway.services.monitoring.domain.alerts import Alerts
from slipway.services.monitoring.domain.evaluation import Evaluator
from slipway.services.monitoring.domain.ingestion import Ingestion, IngestionLimits
from slipway.services.monitoring.domain.policies import Policies
from slipway.services.monitoring.domain.reference import ReferenceLimits
from slipway.services.monitoring.messages import PolicyDocuments, record_from_bytes
from slipway.services.monitoring.metrics import MonitoringMetrics
from slipway.services.monitoring.peers.registry import RegistryReferenceSource
from slipway.services.monitoring.peers.training import TrainingRetrainer
from slipway.services.monitoring.settings import MonitoringSettings
from slipway.services.monitoring.storage.repository import SqlMonitoringRepository

SERVICE = monitoring_service_pb2.DESCRIPTOR.services_by_name["MonitoringService"]
log = get_logger("slipway.monitoring")


def build(settings: MonitoringSettings, db: Database) -> ServiceApp:
    assert settings.cache_dir is not None
    metrics = MonitoringMetrics()
    repository = SqlMonitoringRepository()
    references = RegistryReferenceSource(
        settings.registry,
        ArtifactCache(settings.cache_dir),
        limits=ReferenceLimits(
            max_rows=settings.max_reference_rows,
            max_columns=settings.max_reference_columns,
            max_decoded_bytes=settings.max_reference_decoded_bytes,
        ),
    )
    policies = Policies(
        db,
        frozenset(settings.protected_aliases),
        repository,
        PolicyDocuments(),
        references,
        approval_aliases=frozenset(settings.training_aliases),
    )
    actor = own_principal(
        settings.registry_token_file, settings.tokens_file, fallback="service:monitoring"
    )
    alerts = Alerts(db, repository, actor)
    training = settings.training
    retrainer = TrainingRetrainer(training) if training is not None else None
    if retrainer is None:
        log.warning("no training target: policies with the RETRAIN action will only alert")
    evaluator = Evaluator(
        db,
        repository,
        policies,
        alerts,
        references,
        retrainer,
        sample_rows=settings.window_sample_rows,
        retention=timedelta(days=settings.retention_days),
        metrics=metrics,
    )
    limits = IngestionLimits(
        max_value_bytes=settings.max_value_bytes,
        max_pending_per_call=settings.max_pending_labels_per_call,
        max_pending_per_model=settings.max_pending_labels_per_model,
    )
    ingestion = Ingestion(db, repository, references, limits, decode=record_from_bytes)
    servicer = MonitoringServicer(ingestion, policies, alerts, evaluator, metrics)
    evaluator.on_change = servicer.notify
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def on_ready() -> None:
        # Ingest makes a few short-lived objects per logged tensor, so the collector runs often,
        # and each full collection walked everything the start-up left alive (the modules,
        # scikit-learn, SciPy: most of the heap), a pause of tens of milliseconds per batch.
        # Garbage first, then what remains is set aside: it lives as long as the process.
        gc.collect()
        gc.freeze()
        tasks.append(asyncio.create_task(evaluator.run(stop, settings.evaluation_interval_seconds)))

    async def on_stopping() -> None:
        servicer.stop_watchers()
        stop.set()
        for task in tasks:
            await task

    async def on_stop() -> None:
        await references.close()
        if retrainer is not None:
            await retrainer.close()

    return ServiceApp(
        services=[ServiceRegistration(SERVICE, servicer), audit_registration(db)],
        on_ready=on_ready,
        on_stopping=on_stopping,
        on_stop=on_stop,
        collectors=metrics.collectors(),
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_service(MonitoringSettings, build, argv)
