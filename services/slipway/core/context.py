"""Per-call context: the request id and the authenticated principal of the call being served.

Kept in contextvars (each gRPC call runs in its own task) and bound into structlog's context so
every log line of the call names them.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field

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
