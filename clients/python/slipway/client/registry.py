"""``RegistryClient``: models, versions and their artifacts, aliases, events."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import grpc

from slipway.client.artifacts import Download, PathLike, upload_metadata, upload_requests
from slipway.client.calls import Caller
from slipway.client.requests import (
    after_event,
    field_mask,
    idempotency_key,
    model_name,
    quote,
    set_alias_request,
    watch_events_request,
)
from slipway.registry.v1 import (
    alias_history_pb2,
    artifact_pb2,
    model_event_pb2,
    model_pb2,
    model_version_pb2,
)
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc

Model = model_pb2.Model
ModelVersion = model_version_pb2.ModelVersion


def alias_history_filter(alias: str = "", version_number: int = 0, extra: str = "") -> str:
    """The ListAliasHistory filter (AIP-160) of ``alias``'s moves, of the moves to or away from
    ``version_number``, and of ``extra``: all that are given must hold."""
    terms = []
    if alias:
        terms.append(f"alias = {quote(alias)}")
    if version_number:
        terms.append(
            f"from_version_number = {int(version_number)} OR "
            f"to_version_number = {int(version_number)}"
        )
    if extra:
        terms.append(extra)
    return " AND ".join(terms)


class RegistryClient:
    """The registry (``slipway.registry.v1.RegistryService``), blocking.

    Models are named ``models/{model}`` (a bare id such as ``churn`` is accepted wherever a
    model is asked for); versions ``models/{model}/versions/{n}`` or ``models/{model}@{alias}``
    (see ``slipway.client.version_name``). Every method takes ``timeout``, the call's deadline in
    seconds (default: the connection's). Mutations take ``request_id``, the idempotency key:
    None makes a new one, so the call can be retried safely; ``""`` sends none and turns retries
    off. Failures raise ``slipway.client.errors.SlipwayError`` subclasses.
    """

    def __init__(self, channel: grpc.Channel, caller: Caller) -> None:
        self._stub = pb_grpc.RegistryServiceStub(channel)
        self._call = caller

    # Models

    def create_model(
        self,
        model_id: str,
        model: Model | None = None,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Model:
        """Create ``models/{model_id}``, with the description and labels of ``model``."""
        key = idempotency_key(request_id)
        return self._call.unary(
            self._stub.CreateModel,
            pb.CreateModelRequest(model_id=model_id, model=model, request_id=key),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        ).model

    def get_model(self, name: str, *, timeout: float | None = None) -> Model:
        """One model."""
        return self._call.unary(
            self._stub.GetModel,
            pb.GetModelRequest(name=model_name(name)),
            timeout=timeout,
            idempotent=True,
        ).model

    def list_models(
        self,
        *,
        filter: str = "",
        order_by: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[Model]:
        """Every model matching ``filter`` (AIP-160, e.g. ``labels.team = "fraud"``), in
        ``order_by`` order, fetched page by page as the iteration goes (``timeout`` per page)."""
        return self._call.pages(
            self._stub.ListModels,
            pb.ListModelsRequest(filter=filter, order_by=order_by, page_size=page_size),
            lambda reply: reply.models,
            timeout=timeout,
        )

    def update_model(
        self,
        model: Model,
        update_mask: Sequence[str],
        *,
        reason: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Model:
        """Change the fields of ``model`` named in ``update_mask`` (``description``,
        ``labels``); with ``model.etag`` set, Aborted when the model changed since."""
        key = idempotency_key(request_id)
        return self._call.unary(
            self._stub.UpdateModel,
            pb.UpdateModelRequest(
                model=model, update_mask=field_mask(update_mask), reason=reason, request_id=key
            ),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        ).model

    def delete_model(
        self,
        name: str,
        *,
        force: bool = False,
        etag: str = "",
        reason: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """Delete a model without versions (``force``, admin only: one whose versions are all
        archived or failed; a reason is then required)."""
        key = idempotency_key(request_id)
        self._call.unary(
            self._stub.DeleteModel,
            pb.DeleteModelRequest(
                name=model_name(name), force=force, etag=etag, reason=reason, request_id=key
            ),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )

    # Versions

    def create_version(
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
        """Upload ``model_file`` (and optionally its reference sample) as a new version.

        ``version`` carries the signature, framework versions, metrics, lineage and labels; the
        files' SHA-256 and sizes are filled in here. The version returned is READY.
        """
        key = idempotency_key(request_id)
        metadata = upload_metadata(
            model, model_file, version, sample_file=sample_file, create_model=create_model, key=key
        )
        return self._call.client_stream(
            self._stub.CreateModelVersion,
            lambda: upload_requests(metadata, model_file, sample_file),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        ).model_version

    def get_version(self, name: str, *, timeout: float | None = None) -> ModelVersion:
        """One version, by number or alias."""
        return self._call.unary(
            self._stub.GetModelVersion,
            pb.GetModelVersionRequest(name=name),
            timeout=timeout,
            idempotent=True,
        ).model_version

    def list_versions(
        self,
        model: str,
        *,
        filter: str = "",
        order_by: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[ModelVersion]:
        """Every version of ``model`` matching ``filter`` (e.g. ``state = READY AND
        metrics.accuracy >= 0.9``), oldest first unless ``order_by`` says otherwise
        (``version_number desc`` for the newest first)."""
        return self._call.pages(
            self._stub.ListModelVersions,
            pb.ListModelVersionsRequest(
                parent=model_name(model), filter=filter, order_by=order_by, page_size=page_size
            ),
            lambda reply: reply.model_versions,
            timeout=timeout,
        )

    def update_version(
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
        return self._call.unary(
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
        ).model_version

    def archive_version(
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
        return self._call.unary(
            self._stub.ArchiveModelVersion,
            pb.ArchiveModelVersionRequest(name=name, reason=reason, etag=etag, request_id=key),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        ).model_version

    def download(
        self,
        name: str,
        path: PathLike,
        *,
        kind: artifact_pb2.ArtifactKind.ValueType = artifact_pb2.ARTIFACT_KIND_MODEL,
        timeout: float | None = None,
    ) -> pb.DownloadHeader:
        """Download a version's artifact (or, with ``kind``, its reference sample) to ``path``.

        The file appears at ``path`` only when its size and SHA-256 match what the registry
        declared; otherwise DataLoss is raised and ``path`` is left as it was. Returns the
        header: the resolved version name and the artifact's SHA-256, size and format.
        """
        download = Download(path)
        try:
            for reply in self._call.stream(
                self._stub.DownloadModelVersion,
                pb.DownloadModelVersionRequest(name=name, artifact_kind=kind),
                timeout=self._call.timeout(timeout),
            ):
                download.accept(reply)
        except BaseException:
            download.abort()
            raise
        return download.finish()

    # Aliases

    def set_alias(
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
        """Point ``alias`` at a version. Protected aliases (``production``) need the approver
        role and a reason. With ``expected_version_number`` (0: the alias must not exist),
        Aborted when the alias points elsewhere. Returns the model and the history entry."""
        key = idempotency_key(request_id)
        return self._call.unary(
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

    def delete_alias(
        self,
        model: str,
        alias: str,
        *,
        reason: str = "",
        expected_version_number: int | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> pb.DeleteModelAliasResponse:
        """Remove ``alias``; returns the model and the history entry. With
        ``expected_version_number``, only if the alias still points to that version (else
        ABORTED, ``ALIAS_CHANGED``)."""
        key = idempotency_key(request_id)
        return self._call.unary(
            self._stub.DeleteModelAlias,
            pb.DeleteModelAliasRequest(
                name=model_name(model),
                alias=alias,
                reason=reason,
                expected_version_number=expected_version_number,
                request_id=key,
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
    ) -> Iterator[alias_history_pb2.AliasHistoryEntry]:
        """Every alias move of ``model`` (only ``alias``'s, or only to or from
        ``version_number``, when given), oldest first."""
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

    # Events and lineage

    def watch_events(
        self,
        *,
        model: str = "",
        after_sequence: int | None = None,
        types: Iterable[model_event_pb2.ModelEventType.ValueType] = (),
        timeout: float | None = None,
    ) -> Iterator[model_event_pb2.ModelEvent]:
        """Registry events as they happen (of ``model``, of ``types``), until the caller stops
        iterating or ``timeout`` (default: none) passes.

        With ``after_sequence``, stored events after it come first (0 replays them all). A
        stream broken by UNAVAILABLE is resumed after the last event received.
        """
        replies = self._call.stream(
            self._stub.WatchModelEvents,
            watch_events_request(model, after_sequence, types),
            timeout=timeout,
            resume=after_event,
        )
        return (reply.event for reply in replies)
