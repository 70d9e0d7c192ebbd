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

# The status travels in trailers, and gRPC clients refuse trailers over 8 KiB by default (the
# caller then sees RESOURCE_EXHAUSTED instead of the error). The message goes out twice (as
# grpc-message, percent-encoded outside printable ASCII, and inside the details) and the details
# in base64. Strings are clipped, and violations beyond what fits are summed up, so that an error
# echoing a huge request (a 10 kB name, hundreds of problems) still reaches the caller as itself.
TRAILER_BUDGET_BYTES = 6 * 1024
MAX_MESSAGE_BYTES = 2048
MAX_VIOLATIONS = 50
MAX_FIELD_BYTES = 400  # the deepest training spec's paths are shorter
MAX_DESCRIPTION_BYTES = 300
MAX_METADATA_BYTES = 256
MAX_METADATA_ENTRIES = 8  # request_id first


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, ending in "..." when cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "..."


def _trailer_bytes(message: str, status: status_pb2.Status) -> int:
    encoded = sum(1 if 0x20 <= b <= 0x7E and b != 0x25 else 3 for b in message.encode("utf-8"))
    size: int = status.ByteSize()
    return encoded + (size + 2) // 3 * 4


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
    code: int,
    message: str,
    *,
    reason: str,
    service: str,
    metadata: dict[str, str],
    violations: tuple[FieldViolation, ...] = (),
) -> grpc.Status:
    entries = sorted(metadata.items(), key=lambda item: item[0] != "request_id")
    metadata = {
        clip(k, MAX_FIELD_BYTES): clip(v, MAX_METADATA_BYTES)
        for k, v in entries[:MAX_METADATA_ENTRIES]
    }
    info = any_pb2.Any()
    info.Pack(
        error_details_pb2.ErrorInfo(
            reason=clip(str(reason), MAX_FIELD_BYTES),
            domain=error_domain(service),
            metadata=metadata,
        )
    )
    shown = [
        error_details_pb2.BadRequest.FieldViolation(
            field=clip(v.field, MAX_FIELD_BYTES),
            description=clip(v.description, MAX_DESCRIPTION_BYTES),
        )
        for v in violations[:MAX_VIOLATIONS]
    ]
    message = clip(message, MAX_MESSAGE_BYTES)
    for _ in range(64):  # each round halves the message or drops a quarter of the violations
        details = [info]
        if violations:
            bad = error_details_pb2.BadRequest(field_violations=shown)
            if len(shown) < len(violations):
                bad.field_violations.add(description=f"and {len(violations) - len(shown)} more")
            details.append(any_pb2.Any())
            details[-1].Pack(bad)
        status = status_pb2.Status(code=code, message=message, details=details)
        if _trailer_bytes(message, status) <= TRAILER_BUDGET_BYTES:
            break
        size = len(message.encode("utf-8"))
        if size > 512 and (size > 1024 or not shown):  # a long message says less than the
            message = clip(message, size // 2)  # violations, which name the fields
        elif shown:
            del shown[-max(1, len(shown) // 4) :]
        elif size > 64:
            message = clip(message, size // 2)
        else:
            break
    trailers: list[tuple[str, str | bytes]] = [(STATUS_DETAILS_KEY, status.SerializeToString())]
    if metadata.get("request_id"):
        # abort_with_status replaces trailers set earlier, so the request id goes in again.
        trailers.append((REQUEST_ID_HEADER, metadata["request_id"]))
    return RichStatus(_CODES[code], message, tuple(trailers))


def to_rpc_status(error: SlipwayError, *, service: str, request_id: str = "") -> grpc.Status:
    """Build the status (code, message, details) sent to the caller for a domain error."""
    metadata = dict(error.metadata)
    if request_id:
        metadata.setdefault("request_id", request_id)
    return _status(
        getattr(code_pb2, error.kind.value),
        error.message,
        reason=error.reason,
        service=service,
        metadata=metadata,
        violations=error.field_violations,
    )


def simple_status(
    code: grpc.StatusCode, message: str, *, reason: str, service: str, request_id: str = ""
) -> grpc.Status:
    """A status with an ErrorInfo for errors raised by the edge itself (auth, internal)."""
    metadata = {"request_id": request_id} if request_id else {}
    return _status(code.value[0], message, reason=reason, service=service, metadata=metadata)
