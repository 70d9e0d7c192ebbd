"""``slipway.registry.v1.RegistryService``: decode, validate, one domain call, encode.

Domain calls block on the database, so they run on worker threads; streaming RPCs move their
chunks through the domain's upload and the artifact store the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing
from typing import Any, ParamSpec, TypeVar

from google.protobuf.message import Message

from slipway.core.blocking import run_blocking
from slipway.core.context import current_principal
from slipway.core.errors import InvalidArgumentError
from slipway.core.fanout import Feed
from slipway.core.handlers import Context
from slipway.core.masks import resolve_update_mask
from slipway.core.names import (
    check_alias,
    check_description,
    check_labels,
    check_new_model_id,
    check_text,
    model_id_of,
    version_ref,
)
from slipway.core.ordering import Page
from slipway.core.pagination import (
    cursor_position,
    decode_page_token,
    encode_page_token,
    fit_to_budget,
    page_size,
)
from slipway.core.reasons import Reason
from slipway.registry.v1 import model_version_pb2 as version_pb
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.services.registry.api import converters
from slipway.services.registry.api.read_cache import ReadCache
from slipway.services.registry.domain.entities import ArtifactKind, RegistryEvent
from slipway.services.registry.domain.provenance import ProvenanceCheck
from slipway.services.registry.domain.service import RegistryDomain

P = ParamSpec("P")
T = TypeVar("T")
WATCH_POLL_SECONDS = 0.25  # how often a watcher looks for events written by other processes
UPDATABLE = ("description", "labels")  # of a model and of a version


def _page_parameters(**values: Any) -> dict[str, Any]:
    return values


_Item = TypeVar("_Item", bound=Message)


def _within_budget(items: list[_Item], page: Page) -> tuple[list[_Item], dict[str, Any] | None]:
    """The page's encoded items that fit the response byte budget, and the cursor to go on
    from: after the last item kept when the page ends early."""
    count = fit_to_budget([item.ByteSize() for item in items])
    if count < len(items):
        return items[:count], page.cursors[count - 1]
    return items, page.next_cursor


class RegistryServicer:
    """The registry's gRPC API over :class:`RegistryDomain`."""

    def __init__(
        self,
        domain: RegistryDomain,
        provenance: ProvenanceCheck,
        *,
        read_cache_seconds: float = 0.0,
    ) -> None:
        self._domain = domain
        self._provenance = provenance
        self.read_cache: ReadCache[pb.GetModelVersionResponse] = ReadCache(
            domain.last_event_sequence, read_cache_seconds
        )
        # One reader of the event stream for all of this process's WatchModelEvents streams,
        # each filtering what it is handed: N streams cost one read per poll, not N.
        self._events: Feed[RegistryEvent] = Feed(
            lambda after, limit: domain.events_after(None, after, frozenset(), limit),
            lambda event: event.sequence,
            domain.last_event_sequence,
            poll_seconds=WATCH_POLL_SECONDS,
        )

    @property
    def stopping(self) -> asyncio.Event:
        """Set at shutdown: watchers end their streams (the read cache stops following)."""
        return self._events.stopping

    def _notify(self) -> None:
        self.read_cache.invalidate()
        self._events.notify()

    async def _mutate(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """A blocking change: afterwards (also when it failed) the cache and watchers learn."""
        try:
            return await run_blocking(fn, *args, **kwargs)
        finally:
            self._notify()

    # -- models -----------------------------------------------------------------------------

    async def CreateModel(
        self, request: pb.CreateModelRequest, context: Context
    ) -> pb.CreateModelResponse:
        model_id = check_new_model_id(
            request.model_id or request.model.name.removeprefix("models/")
        )
        model = await self._mutate(
            self._domain.create_model,
            current_principal(),
            model_id,
            check_description(request.model.description, "model.description"),
            check_labels(dict(request.model.labels), "model.labels"),
            request.request_id,
        )
        return pb.CreateModelResponse(model=converters.model_to_pb(model))

    async def GetModel(self, request: pb.GetModelRequest, context: Context) -> pb.GetModelResponse:
        model = await run_blocking(self._domain.get_model, model_id_of(request.name))
        return pb.GetModelResponse(model=converters.model_to_pb(model))

    async def ListModels(
        self, request: pb.ListModelsRequest, context: Context
    ) -> pb.ListModelsResponse:
        parameters = _page_parameters(filter=request.filter, order_by=request.order_by)
        cursor = decode_page_token(request.page_token, parameters)
        page: Page = await run_blocking(
            self._domain.list_models,
            request.filter,
            request.order_by,
            cursor,
            page_size(request.page_size),
        )
        models = [converters.model_to_pb(m) for m in page.items]
        kept, next_cursor = _within_budget(models, page)
        return pb.ListModelsResponse(
            models=kept,
            next_page_token=encode_page_token(next_cursor, parameters) if next_cursor else "",
        )

    async def UpdateModel(
        self, request: pb.UpdateModelRequest, context: Context
    ) -> pb.UpdateModelResponse:
        model_id = model_id_of(request.model.name, "model.name")
        paths = resolve_update_mask(request.update_mask.paths, UPDATABLE, request.model)
        model = await self._mutate(
            self._domain.update_model,
            current_principal(),
            model_id,
            description=check_description(request.model.description, "model.description")
            if "description" in paths
            else None,
            labels=check_labels(dict(request.model.labels), "model.labels")
            if "labels" in paths
            else None,
            etag=request.model.etag,
            reason=check_text(request.reason, "reason"),
            request_id=request.request_id,
        )
        return pb.UpdateModelResponse(model=converters.model_to_pb(model))

    async def DeleteModel(
        self, request: pb.DeleteModelRequest, context: Context
    ) -> pb.DeleteModelResponse:
        await self._mutate(
            self._domain.delete_model,
            current_principal(),
            model_id_of(request.name),
            force=request.force,
            etag=request.etag,
            reason=check_text(request.reason, "reason"),
            request_id=request.request_id,
        )
        return pb.DeleteModelResponse()

    # -- versions ---------------------------------------------------------------------------

    async def CreateModelVersion(
        self, request_iterator: AsyncIterator[pb.CreateModelVersionRequest], context: Context
    ) -> pb.CreateModelVersionResponse:
        first = await anext(aiter(request_iterator), None)
        if first is None or not first.HasField("metadata"):
            raise InvalidArgumentError.for_field(
                "metadata",
                "the first message must carry the version's metadata",
                reason=Reason.METADATA_FIRST,
            )
        meta = first.metadata
        model_id = model_id_of(meta.parent, "metadata.parent")
        spec = converters.new_version(meta.model_version)
        check_labels(spec.labels, "metadata.model_version.labels")
        check_description(spec.description, "metadata.model_version.description")
        # The lineage as the server records it: who vouches for it is never the client's say.
        spec = await self._provenance.settle(current_principal(), model_id, spec)
        upload = await self._mutate(
            self._domain.start_version,
            current_principal(),
            model_id,
            spec,
            create_model=meta.create_model,
            request_id=meta.request_id,
        )
        try:
            async for message in request_iterator:
                if not message.HasField("chunk"):
                    raise InvalidArgumentError.for_field(
                        "metadata",
                        "only the first message may carry metadata",
                        reason=Reason.METADATA_REPEATED,
                    )
                kind = converters.KIND_FROM_PB.get(message.chunk.artifact_kind, ArtifactKind.MODEL)
                await run_blocking(upload.write, kind, message.chunk.data)
            version = await self._mutate(upload.finish)
        except BaseException as exc:
            # Also when the client went away (cancelled): nothing partial may stay visible.
            message_text = (
                "the client cancelled the upload"
                if isinstance(exc, asyncio.CancelledError)
                else str(exc)
            )
            await asyncio.shield(self._mutate(upload.fail, message_text))
            raise
        return pb.CreateModelVersionResponse(model_version=converters.version_to_pb(version))

    async def GetModelVersion(
        self, request: pb.GetModelVersionRequest, context: Context
    ) -> pb.GetModelVersionResponse:
        response = self.read_cache.get(request.name)
        if response is None:
            mark = self.read_cache.mark()  # before the read: a change meanwhile voids it
            version = await run_blocking(self._domain.get_version, version_ref(request.name))
            response = pb.GetModelVersionResponse(model_version=converters.version_to_pb(version))
            self.read_cache.put(request.name, mark, response)
        if request.view == version_pb.MODEL_VERSION_VIEW_BASIC:
            basic = pb.GetModelVersionResponse()
            basic.CopyFrom(response)  # the cached response is shared: never changed in place
            converters.to_basic_view(basic.model_version)
            return basic
        return response

    async def ListModelVersions(
        self, request: pb.ListModelVersionsRequest, context: Context
    ) -> pb.ListModelVersionsResponse:
        model_id = model_id_of(request.parent, "parent")
        full = request.view == version_pb.MODEL_VERSION_VIEW_FULL
        parameters = _page_parameters(
            parent=request.parent, filter=request.filter, order_by=request.order_by
        )
        cursor = decode_page_token(request.page_token, parameters)
        page: Page = await run_blocking(
            self._domain.list_versions,
            model_id,
            request.filter,
            request.order_by,
            cursor,
            page_size(request.page_size),
        )
        versions = [converters.version_to_pb(v, full=full) for v in page.items]
        kept, next_cursor = _within_budget(versions, page)
        return pb.ListModelVersionsResponse(
            model_versions=kept,
            next_page_token=encode_page_token(next_cursor, parameters) if next_cursor else "",
        )

    async def UpdateModelVersion(
        self, request: pb.UpdateModelVersionRequest, context: Context
    ) -> pb.UpdateModelVersionResponse:
        ref = version_ref(request.model_version.name, "model_version.name")
        paths = resolve_update_mask(request.update_mask.paths, UPDATABLE, request.model_version)
        version = await self._mutate(
            self._domain.update_version,
            current_principal(),
            ref,
            description=check_description(
                request.model_version.description, "model_version.description"
            )
            if "description" in paths
            else None,
            labels=check_labels(dict(request.model_version.labels), "model_version.labels")
            if "labels" in paths
            else None,
            etag=request.model_version.etag,
            reason=check_text(request.reason, "reason"),
            request_id=request.request_id,
        )
        return pb.UpdateModelVersionResponse(model_version=converters.version_to_pb(version))

    async def ArchiveModelVersion(
        self, request: pb.ArchiveModelVersionRequest, context: Context
    ) -> pb.ArchiveModelVersionResponse:
        version = await self._mutate(
            self._domain.archive_version,
            current_principal(),
            version_ref(request.name),
            reason=check_text(request.reason, "reason"),
            etag=request.etag,
            request_id=request.request_id,
        )
        return pb.ArchiveModelVersionResponse(model_version=converters.version_to_pb(version))

    async def DownloadModelVersion(
        self, request: pb.DownloadModelVersionRequest, context: Context
    ) -> AsyncIterator[pb.DownloadModelVersionResponse]:
        kind = (
            converters.KIND_FROM_PB.get(request.artifact_kind, ArtifactKind.MODEL)
            if request.artifact_kind
            else ArtifactKind.MODEL
        )
        version, artifact, chunks = await run_blocking(
            self._domain.download, version_ref(request.name), kind
        )
        yield pb.DownloadModelVersionResponse(
            header=pb.DownloadHeader(
                model_version=version.name,
                artifact_kind=converters.KIND_TO_PB[kind],
                artifact=converters.artifact_to_pb(artifact),
            )
        )
        iterator: Iterator[bytes] = iter(chunks)
        while (chunk := await run_blocking(next, iterator, None)) is not None:
            yield pb.DownloadModelVersionResponse(chunk=chunk)

    # -- aliases ----------------------------------------------------------------------------

    async def SetModelAlias(
        self, request: pb.SetModelAliasRequest, context: Context
    ) -> pb.SetModelAliasResponse:
        model, entry = await self._mutate(
            self._domain.set_alias,
            current_principal(),
            model_id_of(request.name, "name"),
            check_alias(request.alias),
            request.version_number,
            reason=check_text(request.reason, "reason"),
            expected=request.expected_version_number
            if request.HasField("expected_version_number")
            else None,
            request_id=request.request_id,
        )
        return pb.SetModelAliasResponse(
            model=converters.model_to_pb(model),
            alias_history_entry=converters.history_to_pb(entry) if entry else None,
        )

    async def DeleteModelAlias(
        self, request: pb.DeleteModelAliasRequest, context: Context
    ) -> pb.DeleteModelAliasResponse:
        model, entry = await self._mutate(
            self._domain.delete_alias,
            current_principal(),
            model_id_of(request.name, "name"),
            check_alias(request.alias),
            reason=check_text(request.reason, "reason"),
            expected=request.expected_version_number
            if request.HasField("expected_version_number")
            else None,
            request_id=request.request_id,
        )
        return pb.DeleteModelAliasResponse(
            model=converters.model_to_pb(model),
            alias_history_entry=converters.history_to_pb(entry) if entry else None,
        )

    async def ListAliasHistory(
        self, request: pb.ListAliasHistoryRequest, context: Context
    ) -> pb.ListAliasHistoryResponse:
        model_id = model_id_of(request.parent, "parent")
        parameters = _page_parameters(
            parent=request.parent, filter=request.filter, order_by=request.order_by
        )
        cursor = decode_page_token(request.page_token, parameters)
        after = cursor_position(cursor, "after", minimum=1)
        entries, more = await run_blocking(
            self._domain.alias_history,
            model_id,
            request.filter,
            request.order_by,
            after_id=after,
            limit=page_size(request.page_size),
        )
        history = [converters.history_to_pb(e) for e in entries]
        count = fit_to_budget([entry.ByteSize() for entry in history])
        more = more or count < len(history)
        next_cursor = {"after": entries[count - 1].id} if more and entries else None
        return pb.ListAliasHistoryResponse(
            alias_history_entries=history[:count],
            next_page_token=encode_page_token(next_cursor, parameters) if next_cursor else "",
        )

    # -- events -----------------------------------------------------------------------------

    async def WatchModelEvents(
        self, request: pb.WatchModelEventsRequest, context: Context
    ) -> AsyncIterator[pb.WatchModelEventsResponse]:
        model = f"models/{model_id_of(request.model, 'model')}" if request.model else None
        types = frozenset(
            converters.EVENT_TYPE_FROM_PB[t]
            for t in request.types
            if t in converters.EVENT_TYPE_FROM_PB
        )
        if request.HasField("after_sequence"):
            if request.after_sequence < 0:
                raise InvalidArgumentError.for_field(
                    "after_sequence", "must not be negative", reason=Reason.INVALID_SEQUENCE
                )
            after = request.after_sequence
        else:
            after = await run_blocking(self._domain.last_event_sequence)

        def wanted(event: RegistryEvent) -> bool:
            return (model is None or event.model == model) and (not types or event.type in types)

        async with aclosing(self._events.watch(after, wanted)) as batches:
            async for events in batches:
                for event in events:
                    yield pb.WatchModelEventsResponse(event=converters.event_to_pb(event))
        # Shutting down: end the stream; the watcher reconnects (elsewhere) from its sequence.

    def stop_watchers(self) -> None:
        self._events.stop()
