"""Where serving gets versions from: the registry's gRPC API, with a local cache behind it.

``RegistryVersionSource.find`` asks the registry which version a target (``model@alias`` or
``model@3``) means, and ``fetch`` makes sure its files are in the cache, verified. When the
registry is unreachable ``find`` answers from the cache's record of the last resolution, so a
restarted serving process comes up during a registry outage. ``events`` follows the
registry's event stream and reconnects from the last sequence it saw.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc

from slipway.core.errors import FailedPreconditionError, NotFoundError, UnavailableError
from slipway.core.logs import get_logger
from slipway.core.peers import PeerTarget
from slipway.core.reasons import Reason
from slipway.core.values import from_pb
from slipway.core.waits import first_of
from slipway.ml.artifact_cache import ArtifactCache, download
from slipway.ml.registry_versions import ARTIFACT_FORMATS, framework_versions
from slipway.ml.tensors import DATA_TYPE_NAMES, DATA_TYPES
from slipway.registry.v1 import artifact_pb2, model_event_pb2, model_version_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc
from slipway.services.serving.domain import versions
from slipway.services.serving.domain.served import InputSpec, OutputSpec, VersionInfo
from slipway.services.serving.domain.targets import Target
from slipway.services.serving.domain.versions import AliasEvent, Resolved

log = get_logger("slipway.serving.registry")

CALL_TIMEOUT = 30.0
MODEL_PAGE = 1000  # models per ListModels page, the registry's largest
MAX_MODEL_PAGES = 1000
UNREACHABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
ALIAS_EVENTS = frozenset(
    {
        model_event_pb2.MODEL_EVENT_TYPE_ALIAS_SET,
        model_event_pb2.MODEL_EVENT_TYPE_ALIAS_MOVED,
        model_event_pb2.MODEL_EVENT_TYPE_ALIAS_DELETED,
    }
)


def registry_name(target: Target) -> str:
    """The registry's resource name for ``target``."""
    if target.alias:
        return f"models/{target.model_id}@{target.alias}"
    return f"models/{target.model_id}/versions/{target.number}"


Found = versions.Found[model_version_pb2.ModelVersion]


def version_info(message: model_version_pb2.ModelVersion) -> VersionInfo:
    """The serving view of a registry version."""
    model_id = message.name.split("/")[1]
    return VersionInfo(
        model_id=model_id,
        number=message.version_number,
        inputs=tuple(
            InputSpec(
                f.name,
                "BYTES" if f.data_type == DATA_TYPES["BYTES"] else "FP64",
                tuple(f.categories),
            )
            for f in message.signature.inputs
        ),
        outputs=tuple(
            OutputSpec(
                o.name,
                DATA_TYPE_NAMES.get(o.data_type, "FP64"),
                tuple(o.shape),
                tuple(from_pb(v) for v in o.class_labels),
            )
            for o in message.signature.outputs
        ),
        artifact_sha256=message.artifact.sha256,
        artifact_format=ARTIFACT_FORMATS.get(message.artifact.format, "unknown"),
        framework_versions=framework_versions(message),
        sample_sha256=message.reference_profile.sample.sha256,
    )


class RegistryVersionSource:
    """:class:`~slipway.services.serving.domain.versions.VersionSource` over the registry's
    gRPC API, with the artifact cache behind it."""

    def __init__(self, registry: PeerTarget, cache: ArtifactCache) -> None:
        self._registry = registry
        self._cache = cache
        self._channel: grpc.aio.Channel | None = None

    def _stub(self) -> pb_grpc.RegistryServiceAsyncStub:
        if self._channel is None:
            self._channel = self._registry.channel()
        return pb_grpc.RegistryServiceStub(self._channel)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        return self._registry.metadata(uuid.uuid4().hex)

    async def find(self, target: Target) -> Found:
        """Which version ``target`` means now (from the cache's last resolution while the
        registry is unreachable); its files are fetched by ``fetch``, only when needed."""
        try:
            reply = await self._stub().GetModelVersion(
                pb.GetModelVersionRequest(name=registry_name(target)),
                metadata=self._metadata(),
                timeout=CALL_TIMEOUT,
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise NotFoundError(
                    f"{registry_name(target)}: {error.details()}", reason=Reason.VERSION_NOT_FOUND
                ) from error
            if error.code() not in UNREACHABLE:
                # A refusal (a revoked token, say) is not an outage: never serve around it.
                raise FailedPreconditionError(
                    f"the registry refused {registry_name(target)}: {error.code().name} "
                    f"{error.details()}",
                    reason=Reason.REGISTRY_REFUSED,
                ) from error
            cached = self._cache.last_resolution(str(target))
            if cached is None:
                raise UnavailableError(
                    f"the registry is unreachable ({error.code().name}) and "
                    f"{target} was never cached here",
                    reason=Reason.REGISTRY_UNAVAILABLE,
                ) from error
            log.warning(
                "registry unreachable; serving the cached resolution",
                target=str(target),
                version=cached.name,
                error=error.code().name,
            )
            message = cached
            from_cache = True
        else:
            message = reply.model_version
            from_cache = False
        return Found(target, message, version_info(message), from_cache)

    async def fetch(self, found: Found) -> Resolved:
        """``found`` with its files cached and verified."""
        info, name = found.info, found.message.name
        model_file = await self._fetch(name, artifact_pb2.ARTIFACT_KIND_MODEL, info.artifact_sha256)
        sample_file = None
        if info.sample_sha256:
            sample_file = await self._fetch(
                name, artifact_pb2.ARTIFACT_KIND_REFERENCE_SAMPLE, info.sample_sha256
            )
        if not found.from_cache:
            self._cache.remember_resolution(str(found.target), found.message)
        return Resolved(info, model_file, sample_file, found.from_cache)

    async def _fetch(
        self, name: str, kind: artifact_pb2.ArtifactKind.ValueType, sha256: str
    ) -> Path:
        return await download(
            self._cache,
            self._stub(),
            name,
            kind,
            sha256,
            metadata=self._metadata(),
            deadline=CALL_TIMEOUT * 10,
        )

    async def models_with_alias(self, alias: str) -> set[str]:
        """Every model that has ``alias``, read page by page (``UnavailableError`` when the
        registry cannot be reached, ``FailedPreconditionError`` when it refuses)."""
        found: set[str] = set()
        token = ""
        for _ in range(MAX_MODEL_PAGES):  # bounded: a registry that never ends its pages
            try:
                reply = await self._stub().ListModels(
                    pb.ListModelsRequest(page_size=MODEL_PAGE, page_token=token),
                    metadata=self._metadata(),
                    timeout=CALL_TIMEOUT,
                )
            except grpc.aio.AioRpcError as error:
                if error.code() in UNREACHABLE:
                    return self._last_holders(alias, error)
                raise FailedPreconditionError(
                    f"the registry refused to list models: {error.code().name} {error.details()}",
                    reason=Reason.REGISTRY_REFUSED,
                ) from error
            found.update(m.name.split("/")[-1] for m in reply.models if alias in m.aliases)
            token = reply.next_page_token
            if not token:
                break
        self._remember_holders(alias, found)
        return found

    def _holders_file(self, alias: str) -> Path:
        return self._cache.root / f"followed-{alias}.json"

    def _remember_holders(self, alias: str, models: set[str]) -> None:
        # Kept beside the cached resolutions, so a process restarted while the registry is
        # down still serves the models it followed.
        path = self._holders_file(alias)
        temporary = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        temporary.write_text(json.dumps(sorted(models)))
        os.replace(temporary, path)

    def _last_holders(self, alias: str, error: grpc.aio.AioRpcError) -> set[str]:
        try:
            models = json.loads(self._holders_file(alias).read_text())
        except (OSError, ValueError):
            raise UnavailableError(
                f"the registry is unreachable ({error.code().name}) and the models with "
                f"alias {alias!r} were never listed here",
                reason=Reason.REGISTRY_UNAVAILABLE,
            ) from error
        log.warning(
            "registry unreachable; following the models last listed",
            alias=alias,
            models=models,
            error=error.code().name,
        )
        return {str(m) for m in models}

    async def events(self, stop: asyncio.Event) -> AsyncIterator[AliasEvent]:
        """Alias events, forever (until ``stop``), reconnecting from the last sequence seen."""
        after: int | None = None
        delay = 0.2
        while not stop.is_set():
            request = pb.WatchModelEventsRequest(types=sorted(ALIAS_EVENTS))
            if after is not None:
                request.after_sequence = after
            try:
                call = self._stub().WatchModelEvents(request, metadata=self._metadata())
                async for reply in call:
                    delay = 0.2
                    after = reply.event.sequence
                    yield AliasEvent(
                        reply.event.model.split("/")[-1],
                        reply.event.alias,
                        deleted=reply.event.type == model_event_pb2.MODEL_EVENT_TYPE_ALIAS_DELETED,
                    )
            except grpc.aio.AioRpcError as error:
                if stop.is_set():
                    return
                log.warning(
                    "registry event stream interrupted; reconnecting",
                    error=error.code().name,
                    retry_in=delay,
                )
            await first_of(stop, within=delay)
            delay = min(delay * 2, 5.0)
