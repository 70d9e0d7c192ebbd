"""Audit events the gRPC edge writes itself: refused calls, and changes that failed.

A refused call (UNAUTHENTICATED, PERMISSION_DENIED) never reaches the domain, and a failed change
rolls its transaction back, so neither can be recorded with the change; these are written in their
own transaction, off the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from google.protobuf.message import Message

from slipway.core.audit.chain import Outcome
from slipway.core.audit.log import record
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.core.errors import ErrorKind, SlipwayError
from slipway.core.logs import get_logger
from slipway.core.reasons import Reason

log = get_logger("slipway.audit")
_RESOURCE_FIELDS = ("name", "parent", "model", "model_name")


class EdgeAuditor(Protocol):
    """What the interceptors call; see :class:`DatabaseEdgeAuditor`."""

    async def refused(
        self, method: str, principal: Principal, error: SlipwayError, request: Any
    ) -> None: ...

    async def failed(
        self, method: str, principal: Principal, error: SlipwayError | None, request: Any
    ) -> None: ...


def action_of(method: str) -> str:
    """``/slipway.registry.v1.RegistryService/SetModelAlias`` -> ``registry.SetModelAlias``."""
    _, service, name = method.split("/", 2)
    parts = service.split(".")
    domain = parts[1] if len(parts) >= 3 and parts[0] == "slipway" else service.rsplit(".", 1)[0]
    return f"{domain}.{name}"


def resource_of(request: Any, error: SlipwayError | None = None) -> str:
    """The resource a request is about: its ``name``/``parent`` field, or that of the resource
    message it carries (``UpdateModelRequest.model.name``). A domain error that names the
    resource it refused (``models/m@production``) is more precise and wins."""
    if error is not None and error.metadata.get("resource"):
        return error.metadata["resource"]
    if not isinstance(request, Message):
        return ""
    fields = request.DESCRIPTOR.fields_by_name
    for field_name in _RESOURCE_FIELDS:
        value = getattr(request, field_name) if field_name in fields else ""
        if isinstance(value, str) and value:
            return value
    for field in request.DESCRIPTOR.fields:
        if (
            field.message_type is not None
            and not field.is_repeated
            and request.HasField(field.name)
        ):
            inner = getattr(request, field.name)
            if "name" in inner.DESCRIPTOR.fields_by_name and inner.name:
                return str(inner.name)
    return ""


def reason_of(request: Any) -> str:
    if isinstance(request, Message) and "reason" in request.DESCRIPTOR.fields_by_name:
        return str(request.reason)  # type: ignore[attr-defined]
    return ""


class DatabaseEdgeAuditor:
    """Writes edge audit events to the shared database."""

    def __init__(self, db: Database, service: str) -> None:
        self._db = db
        self._service = service

    def _write(
        self,
        method: str,
        principal: Principal,
        outcome: Outcome,
        status_code: str,
        error_reason: str,
        message: str,
        request: Any,
        error: SlipwayError | None = None,
    ) -> None:
        with self._db.unit_of_work() as session:
            record(
                session,
                service=self._service,
                action=action_of(method),
                resource=resource_of(request, error),
                reason=reason_of(request),
                outcome=outcome,
                status_code=status_code,
                error_reason=error_reason,
                principal=principal,
                payload={"method": method, "message": message},
            )

    async def _write_safely(self, *args: Any) -> None:
        try:
            await asyncio.to_thread(self._write, *args)
        except Exception:
            # The caller gets its answer regardless; a lost edge event must at least be loud.
            log.exception(
                "could not write the audit event of a refused or failed call", method=args[0]
            )

    async def refused(
        self, method: str, principal: Principal, error: SlipwayError, request: Any
    ) -> None:
        await self._write_safely(
            method,
            principal,
            Outcome.DENIED,
            error.kind.value,
            error.reason,
            error.message,
            request,
            error,
        )

    async def failed(
        self, method: str, principal: Principal, error: SlipwayError | None, request: Any
    ) -> None:
        if error is None:
            await self._write_safely(
                method,
                principal,
                Outcome.FAILED,
                "INTERNAL",
                Reason.INTERNAL,
                "unexpected error",
                request,
            )
            return
        denied = error.kind in (ErrorKind.PERMISSION_DENIED, ErrorKind.UNAUTHENTICATED)
        await self._write_safely(
            method,
            principal,
            Outcome.DENIED if denied else Outcome.FAILED,
            error.kind.value,
            error.reason,
            error.message,
            request,
            error,
        )
