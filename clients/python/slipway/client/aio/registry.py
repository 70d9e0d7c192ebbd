"""``RegistryClient`` for asyncio: ``slipway.client.RegistryClient`` with async methods."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence

import grpc

from slipway.client.aio.calls import AsyncCaller
from slipway.client.artifacts import Download, PathLike, upload_metadata, upload_requests
from slipway.client.registry import Model, ModelVersion, alias_history_filter
from slipway.client.requests import (
    after_event,
    field_mask,
    idempotency_key,
    model_name,
    set_alias_request,
    watch_events_request,
)
from slipway.registry.v1 import (
    alias_history_pb2,
    artifact_pb2,
    model_event_pb2,
)
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc


class RegistryClient:
    """The registry, for asyncio; see ``slipway.client.RegistryClient`` for the details."""

    def __init__(self, channel: grpc.aio.Channel, caller: AsyncCaller) -> None:
        self._stub = pb_grpc.RegistryServiceStub(channel)
        self._call = caller

    async def create_model(
        self,
        model_id: str,
        model: Model | None = None,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Model:
        """Create ``models/{model_id}``."""
        key = idempotency_key(request_id)
        reply = await self._call.unary(
            self._stub.CreateModel,
            pb.CreateModelRequest(model_id=model_id, model=model, request_id=key),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )
        return reply.model

    async def get_model(self, name: str, *, timeout: float | None = None) -> Model:
        """One model."""
        reply = await self._call.unary(
            self._stub.GetModel,
            pb.GetModelRequest(name=model_name(name)),
            timeout=timeout,
            idempotent=True,
        )
        return reply.model

    def list_models(
        self,
        *,
        filter: str = "",
        order_by: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[Model]:
        """Every model matching ``filter``, page by page."""
        return self._call.pages(
            self._stub.ListModels,
            pb.ListModelsRequest(filter=filter, order_by=order_by, page_size=page_size),
            lambda reply: reply.models,
            timeout=timeout,
        )

    async def update_model(
        self,
        model: Model,
        update_mask: Sequence[str],
        *,
        reason: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Model:
        """Change the fields of ``model`` named in ``update_mask``."""
        key = idempotency_key(request_id)
        reply = await self._call.unary(
            self._stub.UpdateModel,
            pb.UpdateModelRequest(
                model=model, update_mask=field_mask(update_mask), reason=reason, request_id=key
            ),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )
        return reply.model

    async def delete_model(
        self,
        name: str,
        *,
        force: bool = False,
        etag: str = "",
        reason: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """Delete a model."""
        key = idempotency_key(request_id)
        await self._call.unary(
            self._stub.DeleteModel,
            pb.DeleteModelRequest(
                name=model_name(name), force=force, etag=etag, reason=reason, request_id=key
            ),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )

    async def create_version(
        self,
        model: str,
        model_file: PathLike,
        version: ModelVersion | None = None,
        *,
        sample_file: PathLike | None = None,
        create_model: bool = False,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> ModelVersion:
        """Upload ``model_file`` (and its reference sample) as a new version."""
        key = idempotency_key(request_id)
        metadata = await asyncio.to_thread(
            upload_metadata,
            model,
            model_file,
            version,
            sample_file=sample_file,
            create_model=create_model,
            key=key,
        )
        reply = await self._call.client_stream(
            self._stub.CreateModelVersion,
            lambda: upload_requests(metadata, model_file, sample_file),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )
        return reply.model_version

    async def get_version(self, name: str, *, timeout: float | None = None) -> ModelVersion:
        """One version, by number or alias."""
        reply = await self._call.unary(
            self._stub.GetModelVersion,
            pb.GetModelVersionRequest(name=name),
            timeout=timeout,
            idempotent=True,
        )
        return reply.model_version

    def list_versions(
        self,
        model: str,
        *,
        filter: str = "",
        order_by: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[ModelVersion]:
        """Every version of ``model`` matching ``filter``, page by page."""
        return self._call.pages(
            self._stub.ListModelVersions,
            pb.ListModelVersionsRequest(
                parent=model_name(model), filter=filter, order_by=order_by, page_size=page_size
            ),
            lambda reply: reply.model_versions,
            timeout=timeout,
        )

    async def update_version(
        self,
        version: ModelVersion,
        update_mask: Sequence[str],
        *,
        reason: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> ModelVersion:
        """Change a version's ``description`` or ``labels``."""
        key = idempotency_key(request_id)
        reply = await self._call.unary(
            self._stub.UpdateModelVersion,
            pb.UpdateModelVersionRequest(
                model_version=version,
                update_mask=field_mask(update_mask),
                reason=reason,
                request_id=key,
            ),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )
        return reply.model_version

    async def archive_version(
        self,
        name: str,
        *,
        reason: str = "",
        etag: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> ModelVersion:
        """Archive a version no alias points to."""
        key = idempotency_key(request_id)
        reply = await self._call.unary(
            self._stub.ArchiveModelVersion,
            pb.ArchiveModelVersionRequest(name=name, reason=reason, etag=etag, request_id=key),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )
        return reply.model_version

    async def download(
        self,
        name: str,
        path: PathLike,
        *,
        kind: artifact_pb2.ArtifactKind.ValueType = (artifact_pb2.ARTIFACT_KIND_MODEL),
        timeout: float | None = None,
    ) -> pb.DownloadHeader:
        """Download a version's artifact to ``path``, checked against its size and SHA-256."""
        download = Download(path)
        try:
            async for reply in self._call.stream(
                self._stub.DownloadModelVersion,
                pb.DownloadModelVersionRequest(name=name, artifact_kind=kind),
                timeout=self._call.timeout(timeout),
            ):
                await asyncio.to_thread(download.accept, reply)
        except BaseException:
            await asyncio.to_thread(download.abort)
            raise
        return await asyncio.to_thread(download.finish)

    async def set_alias(
        self,
        model: str,
        alias: str,
        version_number: int,
        *,
        reason: str = "",
        expected_version_number: int | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> pb.SetModelAliasResponse:
        """Point ``alias`` at a version."""
        key = idempotency_key(request_id)
        return await self._call.unary(
            self._stub.SetModelAlias,
            set_alias_request(
                model,
                alias,
                version_number,
                reason=reason,
                expected_version_number=expected_version_number,
                key=key,
            ),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )

    async def delete_alias(
        self,
        model: str,
        alias: str,
        *,
        reason: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> pb.DeleteModelAliasResponse:
        """Remove ``alias``."""
        key = idempotency_key(request_id)
        return await self._call.unary(
            self._stub.DeleteModelAlias,
            pb.DeleteModelAliasRequest(
                name=model_name(model), alias=alias, reason=reason, request_id=key
            ),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )

    def alias_history(
        self,
        model: str,
        *,
        alias: str = "",
        version_number: int = 0,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[alias_history_pb2.AliasHistoryEntry]:
        """Every alias move of ``model``, oldest first."""
        return self._call.pages(
            self._stub.ListAliasHistory,
            pb.ListAliasHistoryRequest(
                parent=model_name(model),
                filter=alias_history_filter(alias, version_number, filter),
                page_size=page_size,
            ),
            lambda reply: reply.alias_history_entries,
            timeout=timeout,
        )

    async def watch_events(
        self,
        *,
        model: str = "",
        after_sequence: int | None = None,
        types: Iterable[model_event_pb2.ModelEventType.ValueType] = (),
        timeout: float | None = None,
    ) -> AsyncIterator[model_event_pb2.ModelEvent]:
        """Registry events as they happen, resumed after the last one on UNAVAILABLE."""
        async for reply in self._call.stream(
            self._stub.WatchModelEvents,
            watch_events_request(model, after_sequence, types),
            timeout=timeout,
            resume=after_event,
        ):
            yield reply.event
