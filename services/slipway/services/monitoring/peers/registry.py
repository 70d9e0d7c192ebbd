"""References from the registry: a version's message, its model and its reference sample
(downloaded once into a local content-addressed cache, checked against their SHA-256), turned
into a ``Reference`` and kept in memory per version (a READY version never changes)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict

import grpc

from slipway.core.errors import (
    FailedPreconditionError,
    NotFoundError,
    SlipwayError,
    UnavailableError,
)
from slipway.core.peers import PeerTarget
from slipway.core.reasons import Reason
from slipway.core.values import from_pb
from slipway.ml.artifact_cache import ArtifactCache, download
from slipway.ml.profile_messages import KIND_NAMES
from slipway.ml.profiles import Kind
from slipway.ml.registry_versions import ARTIFACT_FORMATS, framework_versions
from slipway.ml.tensors import DATA_TYPE_NAMES
from slipway.registry.v1 import artifact_pb2, lineage_pb2, model_version_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc
from slipway.services.monitoring.domain.labels import LabelSpace
from slipway.services.monitoring.domain.reference import (
    DEFAULT_REFERENCE_LIMITS,
    PREDICT,
    PREDICT_PROBA,
    FeatureRef,
    Reference,
    ReferenceLimits,
    Task,
    VersionFacts,
    build_reference,
    label_text,
)

CALL_TIMEOUT = 30.0
# Label spaces are looked up while ground truth and prediction logs come in: a short deadline,
# and a version the registry cannot speak for is asked again only after a while, so an outage
# slows ingestion little (its labels are then checked at evaluation instead).
LABEL_SPACE_TIMEOUT = 5.0
UNKNOWN_SPACE_SECONDS = 60.0
UNREACHABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


def _task(version: model_version_pb2.ModelVersion) -> tuple[Task, tuple[str, ...]]:
    outputs = {o.name: o for o in version.signature.outputs}
    proba = outputs.get(PREDICT_PROBA)
    predict = outputs.get(PREDICT)
    labels = (
        proba.class_labels
        if proba is not None and proba.class_labels
        else (predict.class_labels if predict is not None else [])
    )
    if labels or proba is not None:
        return "classification", tuple(label_text(from_pb(v)) for v in labels)
    return "regression", ()


def _features(version: model_version_pb2.ModelVersion) -> tuple[FeatureRef, ...]:
    profile = {s.name: s for s in version.reference_profile.features}
    features = []
    for spec in version.signature.inputs:
        stats = profile.get(spec.name)
        kind: Kind = KIND_NAMES.get(spec.kind) or (
            KIND_NAMES.get(stats.kind, "numeric") if stats is not None else "numeric"
        )
        categories = frozenset(spec.categories) or frozenset(
            c.value for c in (stats.categories if stats is not None else ())
        )
        total = (stats.count + stats.missing_count) if stats is not None else 0
        numeric = kind == "numeric" and stats is not None and stats.count > 0
        features.append(
            FeatureRef(
                name=spec.name,
                kind=kind,
                data_type=DATA_TYPE_NAMES.get(spec.data_type, "FP64"),
                categories=categories,
                minimum=stats.min if numeric and stats is not None else None,
                maximum=stats.max if numeric and stats is not None else None,
                missing_share=(stats.missing_count / total) if stats is not None and total else 0.0,
            )
        )
    return tuple(features)


def version_facts(version: model_version_pb2.ModelVersion) -> VersionFacts:
    """What the domain needs of the registry's message for a version."""
    task, class_labels = _task(version)
    return VersionFacts(
        name=version.name,
        task=task,
        class_labels=class_labels,
        features=_features(version),
        artifact_sha256=version.artifact.sha256,
        artifact_format=ARTIFACT_FORMATS.get(version.artifact.format, "skops"),
        framework_versions=framework_versions(version),
        holdout_metrics=dict(version.metrics),
        training_job=version.lineage.training_job,
        profile_row_count=version.reference_profile.row_count,
        verified=version.lineage.provenance == lineage_pb2.LINEAGE_PROVENANCE_VERIFIED,
    )


class RegistryReferenceSource:
    """The domain's ``ReferenceSource`` over the registry."""

    def __init__(
        self,
        registry: PeerTarget,
        cache: ArtifactCache,
        *,
        capacity: int = 64,
        allow_pickle: bool = False,
        limits: ReferenceLimits = DEFAULT_REFERENCE_LIMITS,
    ) -> None:
        self._registry = registry
        self._cache = cache
        self._capacity = capacity
        self._allow_pickle = allow_pickle
        self._limits = limits
        # Versions whose reference was refused (over the limits, unreadable): a READY version
        # never changes, so the evaluator's next tick is refused from here, not by reading again.
        self._refused: OrderedDict[str, SlipwayError] = OrderedDict()
        self._channel: grpc.aio.Channel | None = None
        self._references: OrderedDict[str, Reference] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._spaces: OrderedDict[str, LabelSpace] = OrderedDict()
        self._unknown: dict[str, float] = {}  # version -> monotonic time to ask again

    def _stub(self) -> pb_grpc.RegistryServiceAsyncStub:
        if self._channel is None:
            self._channel = self._registry.channel()
        return pb_grpc.RegistryServiceStub(self._channel)

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        return self._registry.metadata(uuid.uuid4().hex)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def version(
        self, name: str, *, deadline: float = CALL_TIMEOUT
    ) -> model_version_pb2.ModelVersion:
        """The registry's message for ``name`` (a version name or ``models/m@alias``)."""
        try:
            reply = await self._stub().GetModelVersion(
                pb.GetModelVersionRequest(name=name),
                metadata=self._metadata(),
                timeout=deadline,
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise NotFoundError(
                    f"{name}: {error.details()}", reason=Reason.VERSION_NOT_FOUND
                ) from error
            if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise NotFoundError(
                    f"{name}: {error.details()}", reason=Reason.VERSION_NOT_FOUND
                ) from error
            if error.code() in UNREACHABLE:
                raise UnavailableError(
                    f"the registry is unreachable ({error.code().name})",
                    reason=Reason.REGISTRY_UNAVAILABLE,
                ) from error
            raise FailedPreconditionError(
                f"the registry refused {name}: {error.code().name} {error.details()}",
                reason=Reason.REGISTRY_REFUSED,
            ) from error
        return reply.model_version

    async def feature_names(self, model: str) -> frozenset[str] | None:
        """The input names of the newest READY version of ``model``; None without one."""
        try:
            reply = await self._stub().ListModelVersions(
                pb.ListModelVersionsRequest(
                    parent=model,
                    page_size=1,
                    filter="state = READY",
                    order_by="version_number desc",
                    # A List's default (BASIC) view leaves out the signature read here.
                    view=model_version_pb2.MODEL_VERSION_VIEW_FULL,
                ),
                metadata=self._metadata(),
                timeout=CALL_TIMEOUT,
            )
        except grpc.aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise NotFoundError(
                    f"{model} does not exist in the registry",
                    reason=Reason.MODEL_NOT_FOUND,
                    metadata={"resource": model},
                ) from error
            if error.code() in UNREACHABLE:
                raise UnavailableError(
                    f"the registry is unreachable ({error.code().name}); {model} cannot be checked",
                    reason=Reason.REGISTRY_UNAVAILABLE,
                ) from error
            raise FailedPreconditionError(
                f"the registry refused to list the versions of {model}: {error.code().name}",
                reason=Reason.REGISTRY_REFUSED,
            ) from error
        if not reply.model_versions:
            return None
        return frozenset(spec.name for spec in reply.model_versions[0].signature.inputs)

    async def version_name(self, name: str) -> str:
        """``models/m/versions/n`` for a version name or ``models/m@alias``."""
        return (await self.version(name)).name

    async def alias_target(self, model: str, alias: str) -> str | None:
        """The version ``models/m@alias`` points to now; None when the alias is not set."""
        try:
            return (await self.version(f"{model}@{alias}")).name
        except NotFoundError:
            return None

    async def label_space(self, name: str) -> LabelSpace | None:
        """What can be a label of version ``name``; None when the registry cannot say now."""
        cached = self._spaces.get(name)
        if cached is not None:
            self._spaces.move_to_end(name)
            return cached
        if self._unknown.get(name, 0.0) > time.monotonic():
            return None
        try:
            version = await self.version(name, deadline=LABEL_SPACE_TIMEOUT)
        except (NotFoundError, UnavailableError, FailedPreconditionError):
            self._unknown[name] = time.monotonic() + UNKNOWN_SPACE_SECONDS
            if len(self._unknown) > self._capacity * 16:  # forget the oldest guesses
                self._unknown.pop(next(iter(self._unknown)))
            return None
        if version.state != model_version_pb2.MODEL_VERSION_STATE_READY:
            # Its signature may still be on the way: not a fact to keep.
            self._unknown[name] = time.monotonic() + UNKNOWN_SPACE_SECONDS
            return None
        task, classes = _task(version)
        space = LabelSpace(version.name, task, frozenset(classes))
        self._spaces[name] = space
        while len(self._spaces) > self._capacity * 16:  # a few bytes each
            self._spaces.popitem(last=False)
        return space

    async def reference(self, name: str) -> Reference:
        """The reference of version ``name`` (``models/m/versions/n``)."""
        cached = self._references.get(name)
        if cached is not None:
            self._references.move_to_end(name)
            return cached
        refused = self._refused.get(name)
        if refused is not None:
            raise refused
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            cached = self._references.get(name)
            if cached is not None:
                return cached
            version = await self.version(name)
            stub, deadline = self._stub(), CALL_TIMEOUT * 10
            sample_file = model_file = None
            if version.reference_profile.sample.sha256:
                sample_file = await download(
                    self._cache,
                    stub,
                    version.name,
                    artifact_pb2.ARTIFACT_KIND_REFERENCE_SAMPLE,
                    version.reference_profile.sample.sha256,
                    metadata=self._metadata(),
                    deadline=deadline,
                )
            if version.artifact.sha256:
                model_file = await download(
                    self._cache,
                    stub,
                    version.name,
                    artifact_pb2.ARTIFACT_KIND_MODEL,
                    version.artifact.sha256,
                    metadata=self._metadata(),
                    deadline=deadline,
                )
            try:
                reference = await asyncio.to_thread(
                    build_reference,
                    version_facts(version),
                    sample_file=sample_file,
                    model_file=model_file,
                    allow_pickle=self._allow_pickle,
                    limits=self._limits,
                )
            except FailedPreconditionError as refusal:
                self._refused[name] = refusal
                while len(self._refused) > self._capacity:
                    self._refused.popitem(last=False)
                self._locks.pop(name, None)
                raise
            self._references[name] = reference
            while len(self._references) > self._capacity:
                self._references.popitem(last=False)
            self._locks.pop(name, None)
            return reference
