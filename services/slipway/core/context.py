"""Per-call context: the request id and the authenticated principal of the call being served.

Kept in contextvars (each gRPC call runs in its own task) and bound into structlog's context so
every log line of the call names them.
"""

from __future__ import annotations

import contextvars
import hashlib
from dataclasses import dataclass, field
from typing import Any

import structlog


@dataclass(frozen=True)
class Principal:
    """Who is calling: a name from the tokens file and the roles it holds."""

    name: str
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_any(self, roles: frozenset[str]) -> bool:
        return not self.roles.isdisjoint(roles)


ANONYMOUS = Principal("anonymous")
REQUEST_ID_HEADER = "x-request-id"  # metadata key, in from the caller and back in the trailers

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_request: contextvars.ContextVar[Any] = contextvars.ContextVar("request", default=None)
_principal: contextvars.ContextVar[Principal] = contextvars.ContextVar(
    "principal", default=ANONYMOUS
)


def current_request_id() -> str:
    return _request_id.get()


def current_principal() -> Principal:
    return _principal.get()


def set_request_id(request_id: str) -> None:
    _request_id.set(request_id)
    structlog.contextvars.bind_contextvars(request_id=request_id)


def set_principal(principal: Principal) -> None:
    _principal.set(principal)
    structlog.contextvars.bind_contextvars(principal=principal.name)


def set_request(request: Any) -> None:
    """The call's request message (unary calls), kept so that an idempotent mutation can tell a
    retry from another request that reuses its ``request_id`` (see :func:`request_digest`)."""
    _request.set(request)


def request_digest() -> str:
    """The sha256 of the call's request message as this process serializes it (deterministic:
    map entries sorted, so the bytes a client sent in any order hash alike), or "" outside a
    unary call. Computed on demand: only idempotent mutations with a request id ask for it."""
    request = _request.get()
    serialize = getattr(request, "SerializeToString", None)
    if serialize is None:
        return ""
    return hashlib.sha256(serialize(deterministic=True)).hexdigest()
