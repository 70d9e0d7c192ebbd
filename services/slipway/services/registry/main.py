"""Entry point of the registry service: `slipway registry`.

The process serves ``RegistryService`` and, beside it on the same port, ``LineageService``
(``slipway.services.lineage``): the report reads the registry's data in process but asks training
and monitoring over gRPC, so it lives in its own package and only this entry point joins them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from slipway.core.bootstrap import ServiceApp, audit_registration, run_service
from slipway.core.db import Database
from slipway.core.logs import get_logger
from slipway.core.server import ServiceRegistration
from slipway.lineage.v1 import lineage_service_pb2
from slipway.ml.artifacts import LocalArtifactStore
from slipway.ml.inspection import InspectionSandbox
from slipway.ml.model_files import ArchiveLimits
from slipway.registry.v1 import registry_service_pb2
from slipway.services.lineage.api.servicer import LineageServicer
from slipway.services.lineage.domain.lineage import LineageReports
from slipway.services.lineage.peers.lineage import LineageSources
from slipway.services.registry.api.servicer import RegistryServicer
from slipway.services.registry.domain.provenance import ProvenanceCheck
from slipway.services.registry.domain.service import RegistryDomain
from slipway.services.registry.peers.training import PeerLocator, TrainingJobRecords
from slipway.services.registry.settings import RegistrySettings
from slipway.services.registry.storage.repository import SqlRegistryRepository

SERVICE = registry_service_pb2.DESCRIPTOR.services_by_name["RegistryService"]
LINEAGE_SERVICE = lineage_service_pb2.DESCRIPTOR.services_by_name["LineageService"]
log = get_logger("slipway.registry")


def build(settings: RegistrySettings, db: Database) -> ServiceApp:
    assert settings.artifact_dir is not None
    if settings.allow_pickle:
        log.warning(
            "pickle/joblib artifacts are ACCEPTED (--allow-pickle): loading them can "
            "run arbitrary code"
        )
    store = LocalArtifactStore(settings.artifact_dir, max_bytes=settings.max_artifact_bytes)
    # Uploaded model files are read in a child process with a memory and time limit, a fresh
    # one per file; the fork server they come from starts with the first upload.
    sandbox = InspectionSandbox(
        limits=ArchiveLimits(
            max_unpacked_bytes=settings.max_unpacked_bytes,
            max_unpack_ratio=settings.max_unpack_ratio,
        ),
        memory_bytes=settings.inspection_memory_bytes,
        seconds=settings.inspection_seconds,
        concurrency=settings.inspection_concurrency,
        wait_seconds=settings.inspection_wait_seconds,
    )
    domain = RegistryDomain(
        db,
        SqlRegistryRepository(),
        store,
        protected_aliases=frozenset(settings.protected_aliases),
        training_aliases=frozenset(settings.training_aliases),
        allow_pickle=settings.allow_pickle,
        upload_lease_seconds=settings.upload_lease_seconds,
        inspect=sandbox.inspect,  # uploaded skops files with untrusted types fail
    )

    def peer(service: str, target: str) -> PeerLocator:
        return PeerLocator(
            service,
            target,
            suite_file=settings.suite_file,
            token_file=settings.peer_token_file,
            tls_ca_file=settings.peer_tls_ca_file,
        )

    # One channel per peer, shared by the provenance check and the lineage report.
    training = peer("training", settings.training_target)
    monitoring = peer("monitoring", settings.monitoring_target)
    servicer = RegistryServicer(
        domain,
        ProvenanceCheck(TrainingJobRecords(training)),
        read_cache_seconds=settings.read_cache_seconds,
    )
    lineage = LineageServicer(LineageReports(domain, LineageSources(training, monitoring)))
    sweeper: list[asyncio.Task[None]] = []

    async def sweep_forever() -> None:
        while True:
            swept = await asyncio.to_thread(domain.sweep_stale_uploads)
            if swept:
                log.warning("marked interrupted uploads FAILED", versions=swept)
            await asyncio.sleep(max(1.0, settings.upload_lease_seconds / 4))

    async def on_ready() -> None:
        sweeper.append(asyncio.create_task(sweep_forever()))
        sweeper.append(asyncio.create_task(servicer.read_cache.follow(servicer.stopping)))

    async def on_stopping() -> None:
        servicer.stop_watchers()
        for task in sweeper:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def on_stop() -> None:
        try:
            await training.close()
            await monitoring.close()
        finally:
            # The child also exits by itself when its pipe closes with this process.
            await asyncio.to_thread(sandbox.close)

    return ServiceApp(
        services=[
            ServiceRegistration(SERVICE, servicer),
            ServiceRegistration(LINEAGE_SERVICE, lineage),
            audit_registration(db),
        ],
        on_ready=on_ready,
        on_stopping=on_stopping,
        on_stop=on_stop,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_service(RegistrySettings, build, argv)
