"""The domain-error tree. Domain code raises these; the gRPC edge maps them to status codes once.

This module imports nothing from grpc so the domain layer can use it freely. Each error names a
kind (which becomes the status code), a ``reason`` from the catalogue in ``slipway.core.reasons``
(which becomes ``google.rpc.ErrorInfo.reason``), optional ``metadata`` and, for invalid arguments,
the field violations (``google.rpc.BadRequest``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from slipway.core.reasons import Reason


class ErrorKind(enum.Enum):
    """Error kinds; the value is the canonical gRPC status code name."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    ABORTED = "ABORTED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    UNAVAILABLE = "UNAVAILABLE"
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
    UNIMPLEMENTED = "UNIMPLEMENTED"


@dataclass(frozen=True)
class FieldViolation:
    """One wrong field of a request: its path (``model.name``) and what is wrong with it."""

    field: str
    description: str


class SlipwayError(Exception):
    """Base of every error a caller is meant to see. The message is safe to send on the wire."""

    kind: ClassVar[ErrorKind] = ErrorKind.FAILED_PRECONDITION
    default_reason: ClassVar[Reason] = Reason.FAILED_PRECONDITION

    def __init__(
        self,
        message: str,
        *,
        reason: Reason | None = None,
        metadata: Mapping[str, str] | None = None,
        field_violations: Sequence[FieldViolation] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        # A plain str, as before the catalogue: loggers and the audit chain see the wire string.
        self.reason = str(reason or self.default_reason)
        self.metadata = dict(metadata or {})
        self.field_violations = tuple(field_violations)


class InvalidArgumentError(SlipwayError):
    kind = ErrorKind.INVALID_ARGUMENT
    default_reason = Reason.INVALID_ARGUMENT

    @classmethod
    def for_field(
        cls, field: str, description: str, *, reason: Reason | None = None
    ) -> InvalidArgumentError:
        """The common case: one field is wrong."""
        return cls(
            f"{field}: {description}",
            reason=reason,
            field_violations=[FieldViolation(field, description)],
        )


class NotFoundError(SlipwayError):
    kind = ErrorKind.NOT_FOUND
    default_reason = Reason.NOT_FOUND


class AlreadyExistsError(SlipwayError):
    kind = ErrorKind.ALREADY_EXISTS
    default_reason = Reason.ALREADY_EXISTS


class FailedPreconditionError(SlipwayError):
    kind = ErrorKind.FAILED_PRECONDITION
    default_reason = Reason.FAILED_PRECONDITION


class AbortedError(SlipwayError):
    """A concurrency conflict (stale etag, lost race); the caller may retry."""

    kind = ErrorKind.ABORTED
    default_reason = Reason.ABORTED


class PermissionDeniedError(SlipwayError):
    kind = ErrorKind.PERMISSION_DENIED
    default_reason = Reason.PERMISSION_DENIED


class UnauthenticatedError(SlipwayError):
    kind = ErrorKind.UNAUTHENTICATED
    default_reason = Reason.UNAUTHENTICATED


class ResourceExhaustedError(SlipwayError):
    kind = ErrorKind.RESOURCE_EXHAUSTED
    default_reason = Reason.RESOURCE_EXHAUSTED


class UnavailableError(SlipwayError):
    kind = ErrorKind.UNAVAILABLE
    default_reason = Reason.UNAVAILABLE


class DeadlineExceededError(SlipwayError):
    kind = ErrorKind.DEADLINE_EXCEEDED
    default_reason = Reason.DEADLINE_EXCEEDED


class UnimplementedError(SlipwayError):
    kind = ErrorKind.UNIMPLEMENTED
    default_reason = Reason.UNIMPLEMENTED
