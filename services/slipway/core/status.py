"""The one mapping from domain errors to gRPC status with rich details (AIP-193).

A ``SlipwayError`` becomes its canonical code, its message, one ``google.rpc.ErrorInfo`` (reason,
domain, metadata) and, when fields are wrong, a ``google.rpc.BadRequest`` with the violations.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from slipway.core.context import REQUEST_ID_HEADER
from slipway.core.errors import FieldViolation, SlipwayError

DOMAIN_SUFFIX = "slipway"
STATUS_DETAILS_KEY = "grpc-status-details-bin"  # where clients find google.rpc.Status
_CODES = {c.value[0]: c for c in grpc.StatusCode}


@dataclass(frozen=True)
class RichStatus(grpc.Status):
    """A final status for ``abort_with_status``: code, message and trailers with details."""

    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, str | bytes], ...]


def error_domain(service: str) -> str:
    """``ErrorInfo.domain`` for a service, e.g. ``registry.slipway``."""
    return f"{service}.{DOMAIN_SUFFIX}" if service else DOMAIN_SUFFIX


def grpc_code(error: SlipwayError) -> grpc.StatusCode:
    return grpc.StatusCode[error.kind.value]


def _status(
    code: int, message: str, *, reason: str, service: str, metadata: dict[str, str],
    violations: tuple[FieldViolation, ...] = (),
) -> grpc.Status:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(
        reason=reason, domain=error_domain(service), metadata=metadata))
    details = [info]
    if violations:
        bad = any_pb2.Any()
        bad.Pack(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
            for v in violations
        ]))
        details.append(bad)
    status = status_pb2.Status(code=code, message=message, details=details)
    trailers: list[tuple[str, str | bytes]] = [
        (STATUS_DETAILS_KEY, status.SerializeToString())]
    if metadata.get("request_id"):
        # abort_with_status replaces trailers set earlier, so the request id goes in again.
        trailers.append((REQUEST_ID_HEADER, metadata["request_id"]))
    return RichStatus(_CODES[code], message, tuple(trailers))


def to_rpc_status(error: SlipwayError, *, service: str, request_id: str = "") -> grpc.Status:
    """Build the status (code, message, details) sent to the caller for a domain error."""
    metadata = dict(error.metadata)
    if request_id:
        metadata.setdefault("request_id", request_id)
    return _status(getattr(code_pb2, error.kind.value), error.message, reason=error.reason,
                   service=service, metadata=metadata, violations=error.field_violations)


def simple_status(
    code: grpc.StatusCode, message: str, *, reason: str, service: str, request_id: str = ""
) -> grpc.Status:
    """A status with an ErrorInfo for errors raised by the edge itself (auth, internal)."""
    metadata = {"request_id": request_id} if request_id else {}
    return _status(code.value[0], message, reason=reason, service=service, metadata=metadata)
