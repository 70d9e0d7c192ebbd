"""Entry point of the serving service: `slipway serving`."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from typing import Any

import numpy as np
from prometheus_client import Counter, Gauge
from prometheus_client.registry import Collector

from slipway.core.bootstrap import (
    ConfigurationError,
    ServiceApp,
    audit_registration,
    run_service,
)
from slipway.core.db import Database
from slipway.core.errors import InvalidArgumentError
from slipway.core.logs import get_logger
from slipway.core.peers import PeerTarget
from slipway.core.server import ServiceRegistration
from slipway.inference.v2 import grpc_service_pb2
from slipway.ml.artifact_cache import ArtifactCache
from slipway.ml.compiled import CompiledStore
from slipway.services.serving.api.servicer import InferenceServicer
from slipway.services.serving.api.tensors import Limits
from slipway.services.serving.domain.deployments import Deployments, Policy
from slipway.services.serving.domain.desired import NO_ALIAS, DesiredStore, FollowRule
from slipway.services.serving.domain.inference import Live
from slipway.services.serving.domain.served import PREDICT, VersionInfo
from slipway.services.serving.domain.targets import parse_target
from slipway.services.serving.settings import ServingSettings
from slipway.services.serving.sinks.prediction_log import PredictionLog
from slipway.services.serving.sources.registry import RegistryVersionSource
from slipway.services.serving.storage.repository import SqlDeploymentRepository

BACKENDS = ("onnx", "sklearn")
PROBES = frozenset({"ServerLive", "ServerReady"})  # answered without a token by default
SERVICE = grpc_service_pb2.DESCRIPTOR.services_by_name["GRPCInferenceService"]
log = get_logger("slipway.serving")


class ServingMetrics:
    """The serving service's own series; registered on its server's /metrics."""

    def __init__(self) -> None:
        self.swaps = Counter(
            "slipway_serving_swaps_total",
            "Version loads and live swaps, by target and outcome (loaded, swapped, failed; "
            "kept_cached: a resync found the registry unreachable and kept the version).",
            ["target", "outcome"],
            registry=None,
        )
        self.version = Gauge(
            "slipway_serving_version",
            "The version number each target serves now.",
            ["target"],
            registry=None,
        )
        self.backend = Gauge(
            "slipway_serving_backend_info",
            "1 for the backend answering each target (onnx: its verified ONNX form in ONNX "
            "Runtime; sklearn), 0 for the other.",
            ["target", "backend"],
            registry=None,
        )
        self.shadow = Counter(
            "slipway_serving_shadow_predictions_total",
            "Rows scored by shadow candidates, by model and whether the "
            "candidate's predict agreed.",
            ["model", "agreed"],
            registry=None,
        )

    def collectors(self) -> list[Collector]:
        return [self.swaps, self.version, self.shadow, self.backend]

    def on_backend(self, target: str, backend: str) -> None:
        for name in BACKENDS:
            self.backend.labels(target, name).set(1 if name == backend else 0)

    def on_swap(
        self, target: str, outcome: str, old: VersionInfo | None, new: VersionInfo | None, why: str
    ) -> None:
        self.swaps.labels(target, outcome).inc()
        if outcome != "failed" and new is not None:
            self.version.labels(target).set(new.number)

    def on_shadow(
        self, model: str, live: Live, shadow: Live, ours: dict[str, Any], theirs: dict[str, Any]
    ) -> None:
        if PREDICT in ours and PREDICT in theirs:
            same = int(np.sum(np.asarray(ours[PREDICT]) == np.asarray(theirs[PREDICT])))
            self.shadow.labels(model, "true").inc(same)
            self.shadow.labels(model, "false").inc(len(ours[PREDICT]) - same)


def parse_policies(canary: Sequence[str], shadow: Sequence[str]) -> dict[str, Policy]:
    """``model=alias:percent`` canaries and ``model=alias`` shadows, one policy per model."""
    policies: dict[str, Policy] = {}
    for text in canary:
        model, _, rest = text.partition("=")
        alias, _, percent = rest.partition(":")
        if not model or not alias or not percent:
            raise ConfigurationError(f"canary {text!r}: expected model=alias:percent")
        value = float(percent)
        if not 0 < value <= 100:
            raise ConfigurationError(f"canary {text!r}: percent must be in (0, 100]")
        policies[model] = Policy(alias, canary_percent=value)
    for text in shadow:
        model, _, alias = text.partition("=")
        if not model or not alias:
            raise ConfigurationError(f"shadow {text!r}: expected model=alias")
        existing = policies.get(model)
        if existing is not None and existing.candidate_alias != alias:
            raise ConfigurationError(
                f"{model}: canary and shadow must name the same candidate alias"
            )
        policies[model] = Policy(alias, existing.canary_percent if existing else 0.0, True)
    return policies


def parse_backends(texts: Sequence[str]) -> dict[str, str]:
    """``model=auto|onnx|sklearn`` exceptions to the process's backend."""
    backends: dict[str, str] = {}
    for text in texts:
        model, _, backend = text.partition("=")
        if not model or backend not in ("auto", *BACKENDS):
            raise ConfigurationError(f"model backend {text!r}: expected model=auto|onnx|sklearn")
        backends[model] = backend
    return backends


def build(settings: ServingSettings, db: Database) -> ServiceApp:
    assert settings.cache_dir is not None
    try:  # a bad deployment is a configuration error at start, not a retry loop
        targets = [parse_target(text, "deployments") for text in settings.deployments]
    except InvalidArgumentError as exc:
        raise ConfigurationError(f"--deployments: {exc.message}") from None
    metrics = ServingMetrics()
    cache = ArtifactCache(settings.cache_dir)
    source = RegistryVersionSource(settings.registry, cache)
    if settings.allow_pickle:
        log.warning(
            "pickle/joblib artifacts are LOADED (--allow-pickle): loading them can run "
            "arbitrary code"
        )
    prediction_log = None
    collectors = metrics.collectors()
    if settings.monitoring_target:
        prediction_log = PredictionLog(
            PeerTarget(
                settings.monitoring_target,
                settings.monitoring_token_file,
                settings.registry_tls_ca_file,
            ),
            sample_rate=settings.prediction_log_sample_rate,
            capacity=settings.prediction_log_queue,
            batch_size=settings.prediction_log_batch,
            sender=f"serving@{socket.gethostname()}:{os.getpid()}",
        )
        collectors += prediction_log.metrics.collectors()

    deployments = Deployments(
        source,
        targets,
        policies=parse_policies(settings.canary, settings.shadow),
        max_batch_rows=settings.max_batch_rows,
        max_batch_wait=settings.max_batch_wait_ms / 1000.0,
        batching=settings.batching,
        retry_seconds=settings.load_retry_seconds,
        resync_seconds=settings.resync_seconds,
        allow_pickle=settings.allow_pickle,
        backend=settings.backend,
        backends=parse_backends(settings.model_backends),
        compiled_store=CompiledStore(cache),
        onnx_threads=settings.onnx_threads,
        on_swap=metrics.on_swap,
        on_backend=metrics.on_backend,
        on_shadow=metrics.on_shadow,
        sink=prediction_log,
        follow=FollowRule(
            alias="" if settings.follow_alias == NO_ALIAS else settings.follow_alias,
            models=frozenset(settings.follow_models),
        ),
        store=DesiredStore(db, SqlDeploymentRepository()),
        poll_seconds=settings.desired_state_poll_seconds,
    )
    servicer = InferenceServicer(
        deployments,
        limits=Limits(
            max_rows=settings.max_rows,
            max_value_bytes=settings.max_value_bytes,
            max_stream_in_flight=settings.max_stream_in_flight,
        ),
    )
    collectors.insert(0, servicer.statistics_collector)

    async def on_ready() -> None:
        if prediction_log is not None:
            prediction_log.start()
        await deployments.start()
        # Health stays NOT_SERVING (and ServerReady false) until every target is loaded; the
        # wait is reported every ready_timeout_seconds.
        while not await deployments.wait_ready(settings.ready_timeout_seconds):
            log.warning("still waiting for models", index=deployments.index())
        servicer.ready = True

    async def on_stopping() -> None:
        await deployments.stop()
        if prediction_log is not None:
            await prediction_log.stop()

    return ServiceApp(
        services=[
            ServiceRegistration(
                SERVICE,
                servicer,
                open_methods=frozenset() if settings.probes_need_token else PROBES,
            ),
            audit_registration(db),
        ],
        on_ready=on_ready,
        on_stopping=on_stopping,
        collectors=collectors,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_service(ServingSettings, build, argv)
