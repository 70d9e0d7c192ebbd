"""Typed errors of the Slipway client.

Every failed call raises a ``SlipwayError`` subclass named after its gRPC status code
(``NotFound``, ``InvalidArgument``, ...), carrying what the service put in the status details
(AIP-193): the ``ErrorInfo`` reason, domain and metadata, and the ``BadRequest`` field
violations. ``from_rpc_error`` is the one mapping from ``grpc.RpcError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import grpc
from google.rpc import error_details_pb2, status_pb2

STATUS_DETAILS_KEY = "grpc-status-details-bin"
REQUEST_ID_KEY = "x-request-id"


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field of a request, as the service's ``BadRequest`` names it."""

    field: str
    """The field's path in the request, e.g. ``training_job.estimator.class_name``."""
    description: str
    """What is wrong with it."""


class SlipwayError(Exception):
    """A call failed. The subclass names the status code; the attributes say why.

    ``code`` is the gRPC status code, ``message`` the service's message, ``reason`` the
    UPPER_SNAKE ``ErrorInfo.reason`` (for example ``MODEL_NOT_FOUND``; empty when the error did
    not come from a Slipway service), ``domain`` the ``ErrorInfo.domain`` (``registry.slipway``),
    ``metadata`` the ``ErrorInfo.metadata``, ``field_violations`` the ``BadRequest`` entries and
    ``request_id`` the id the service logged the call under.
    """

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        reason: str = "",
        domain: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: Sequence[FieldViolation] = (),
        request_id: str = "",
        code: grpc.StatusCode | None = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.metadata: dict[str, str] = dict(metadata or {})
        self.field_violations = tuple(field_violations)
        self.request_id = request_id or self.metadata.get("request_id", "")

    def __str__(self) -> str:
        reason = f" ({self.reason})" if self.reason else ""
        request = f" [request {self.request_id}]" if self.request_id else ""
        return f"{self.code.name}{reason}: {self.message}{request}"


class Cancelled(SlipwayError):
    code = grpc.StatusCode.CANCELLED


class Unknown(SlipwayError):
    code = grpc.StatusCode.UNKNOWN


class InvalidArgument(SlipwayError):
    """The request is wrong; ``field_violations`` names each wrong field."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceeded(SlipwayError):
    """The call's deadline passed (on the service or, with retries, in the client)."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFound(SlipwayError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(SlipwayError):
    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(SlipwayError):
    """The token's roles may not call this method (or do this change)."""

    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(SlipwayError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(SlipwayError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Aborted(SlipwayError):
    """A concurrent change won (an etag or expected version no longer matches); read again."""

    code = grpc.StatusCode.ABORTED


class OutOfRange(SlipwayError):
    code = grpc.StatusCode.OUT_OF_RANGE


class Unimplemented(SlipwayError):
    code = grpc.StatusCode.UNIMPLEMENTED


class Internal(SlipwayError):
    code = grpc.StatusCode.INTERNAL


class Unavailable(SlipwayError):
    """The service could not be reached (after the retries the call allowed)."""

    code = grpc.StatusCode.UNAVAILABLE


class DataLoss(SlipwayError):
    """Received data is corrupt, e.g. a downloaded artifact whose SHA-256 does not match."""

    code = grpc.StatusCode.DATA_LOSS


class Unauthenticated(SlipwayError):
    """No token, or one the service does not know."""

    code = grpc.StatusCode.UNAUTHENTICATED


ERRORS: dict[grpc.StatusCode, type[SlipwayError]] = {
    cls.code: cls
    for cls in (
        Cancelled,
        Unknown,
        InvalidArgument,
        DeadlineExceeded,
        NotFound,
        AlreadyExists,
        PermissionDenied,
        ResourceExhausted,
        FailedPrecondition,
        Aborted,
        OutOfRange,
        Unimplemented,
        Internal,
        Unavailable,
        DataLoss,
        Unauthenticated,
    )
}
"""The error class of each non-OK status code."""


def _trailers(error: grpc.RpcError) -> list[tuple[str, str | bytes]]:
    read = getattr(error, "trailing_metadata", None)
    if read is None:
        return []
    try:
        trailers = read()
    except Exception:  # an error without readable trailers still maps to its code
        return []
    return [(str(key), value) for key, value in trailers or ()]


def _details(trailers: list[tuple[str, str | bytes]]) -> status_pb2.Status | None:
    for key, value in trailers:
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            status = status_pb2.Status()
            try:
                status.ParseFromString(value)
            except Exception:  # a malformed trailer is ignored, not raised
                return None
            return status
    return None


def from_rpc_error(error: grpc.RpcError) -> SlipwayError:
    """The typed error for a failed call: its code's class, with the rich status details."""
    code_of = getattr(error, "code", None)
    code = code_of() if code_of is not None else grpc.StatusCode.UNKNOWN
    details_of = getattr(error, "details", None)
    message = (details_of() if details_of is not None else None) or str(code.value[1])
    trailers = _trailers(error)
    request_id = next(
        (str(v) for k, v in trailers if k == REQUEST_ID_KEY and isinstance(v, str)), ""
    )
    reason = domain = ""
    metadata: dict[str, str] = {}
    violations: list[FieldViolation] = []
    status = _details(trailers)
    for detail in status.details if status is not None else ():
        info = error_details_pb2.ErrorInfo()
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(info):
            reason, domain = str(info.reason), str(info.domain)
            metadata = {str(k): str(v) for k, v in info.metadata.items()}
        elif detail.Unpack(bad):
            violations.extend(
                FieldViolation(str(v.field), str(v.description)) for v in bad.field_violations
            )
    cls = ERRORS.get(code, SlipwayError)
    return cls(
        message,
        reason=reason,
        domain=domain,
        metadata=metadata,
        field_violations=violations,
        request_id=request_id or metadata.get("request_id", ""),
        code=None if cls is not SlipwayError else code,
    )
