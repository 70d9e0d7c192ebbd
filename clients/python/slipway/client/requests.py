"""Request pieces the blocking and the asyncio clients share: resource names, idempotency keys,
field masks, timestamps, and how a broken stream is resumed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from google.protobuf import field_mask_pb2, timestamp_pb2

from slipway.registry.v1 import model_event_pb2
from slipway.registry.v1 import registry_service_pb2 as registry_pb
from slipway.training.v1 import training_job_pb2

TERMINAL_JOB_STATES = frozenset(
    {
        training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED,
        training_job_pb2.TRAINING_JOB_STATE_FAILED,
        training_job_pb2.TRAINING_JOB_STATE_CANCELLED,
    }
)
"""Training job states after which nothing changes."""


def idempotency_key(request_id: str | None) -> str:
    """The ``request_id`` of a mutation: the caller's, or a new random one when None.

    With a key, the service answers a repeated request with the first result, so the client may
    retry the call; an empty string sends none and turns retries of the call off.
    """
    return uuid.uuid4().hex if request_id is None else request_id


def model_name(model: str) -> str:
    """``models/{model}`` for a model id (``churn``) or name (``models/churn``)."""
    return model if model.startswith("models/") else f"models/{model}"


def version_name(model: str, version: int | str) -> str:
    """A version's name: ``models/churn/versions/3`` for a number, ``models/churn@production``
    for an alias."""
    if isinstance(version, int):
        return f"{model_name(model)}/versions/{version}"
    return f"{model_name(model)}@{version}"


def field_mask(paths: Iterable[str]) -> field_mask_pb2.FieldMask:
    """An update mask from field paths, e.g. ``["description", "labels"]``."""
    return field_mask_pb2.FieldMask(paths=list(paths))


def timestamp(value: datetime | timestamp_pb2.Timestamp | None) -> timestamp_pb2.Timestamp | None:
    """A protobuf timestamp from an aware ``datetime`` (naive ones are taken as UTC)."""
    if value is None or isinstance(value, timestamp_pb2.Timestamp):
        return value
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def watch_events_request(
    model: str,
    after_sequence: int | None,
    types: Iterable[model_event_pb2.ModelEventType.ValueType],
) -> registry_pb.WatchModelEventsRequest:
    request = registry_pb.WatchModelEventsRequest(
        model=model_name(model) if model else "", types=list(types)
    )
    if after_sequence is not None:
        request.after_sequence = after_sequence
    return request


def after_event(
    request: registry_pb.WatchModelEventsRequest, last: registry_pb.WatchModelEventsResponse
) -> registry_pb.WatchModelEventsRequest:
    """The request that resumes an event stream after the last event received (events are
    stored, so none is lost or repeated)."""
    resumed = registry_pb.WatchModelEventsRequest()
    resumed.CopyFrom(request)
    resumed.after_sequence = last.event.sequence
    return resumed


def set_alias_request(
    model: str,
    alias: str,
    version_number: int,
    *,
    reason: str,
    expected_version_number: int | None,
    key: str,
) -> registry_pb.SetModelAliasRequest:
    request = registry_pb.SetModelAliasRequest(
        name=model_name(model),
        alias=alias,
        version_number=version_number,
        reason=reason,
        request_id=key,
    )
    if expected_version_number is not None:
        request.expected_version_number = expected_version_number
    return request


def quote(text: str) -> str:
    """``text`` as an AIP-160 string literal (for the ``filter`` of a List)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
