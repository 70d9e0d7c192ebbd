"""Audit events the gRPC edge writes itself: refused calls, and changes that failed.

A refused call (UNAUTHENTICATED, PERMISSION_DENIED) never reaches the domain, and a failed change
rolls its transaction back, so neither can be recorded with the change; these are written in their
own transaction, off the event loop. A failed change is written as it fails, one event each. A
refused call, at the edge or by a domain rule (``refusals.REFUSED_KINDS``: a developer on a
protected alias, a malformed request), is only counted (``refusals.RefusalCounter``), without the
caller's reason or message: each window's counts are written as
one event per caller, method and reason when the window closes, and at a graceful stop
(:meth:`DatabaseEdgeAuditor.close`). A process killed outright (SIGKILL, OOM) loses the counts of
the window it was in, at most ``refusal_window_seconds`` of refusals; nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any, Protocol

from google.protobuf.message import Message

from slipway.core.audit.chain import Outcome
from slipway.core.audit.log import record
from slipway.core.audit.refusals import (
    OTHERS,
    RESOURCE_CHARS,
    RefusalCounter,
    RefusalKey,
    RefusalWindow,
    peer_host,
    visible,
)
from slipway.core.context import ANONYMOUS, Principal
from slipway.core.db import Database
from slipway.core.errors import ErrorKind, SlipwayError
from slipway.core.logs import get_logger
from slipway.core.reasons import Reason

log = get_logger("slipway.audit")
_RESOURCE_FIELDS = ("name", "parent", "model", "model_name")


# Defaults of the settings ``refusal_window_seconds`` and ``refusal_keys_per_window``.
REFUSAL_WINDOW_SECONDS = 60.0
REFUSAL_KEYS_PER_WINDOW = 64


class EdgeAuditor(Protocol):
    """What the interceptors call, and the server closes when it stops; see
    :class:`DatabaseEdgeAuditor`."""

    def refused(
        self, method: str, principal: Principal, error: SlipwayError, request: Any, peer: str
    ) -> None: ...

    async def failed(
        self, method: str, principal: Principal, error: SlipwayError | None, request: Any
    ) -> None: ...

    async def close(self) -> None: ...


# Packages whose methods another service's name stands for: the Open Inference Protocol's
# package is ``inference``, but serving records its changes as ``serving.*``, and a refused
# call must carry the same action as a successful one, or a filter on it misses the refusals.
_SERVICE_OF_PACKAGE = {"inference": "serving"}


def action_of(method: str) -> str:
    """``/slipway.registry.v1.RegistryService/SetModelAlias`` -> ``registry.SetModelAlias``;
    ``/inference.GRPCInferenceService/RepositoryModelLoad`` -> ``serving.RepositoryModelLoad``."""
    _, service, name = method.split("/", 2)
    parts = service.split(".")
    domain = parts[1] if len(parts) >= 3 and parts[0] == "slipway" else service.rsplit(".", 1)[0]
    return f"{_SERVICE_OF_PACKAGE.get(domain, domain)}.{name}"


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


def refusal_key(
    method: str, principal: Principal, error: SlipwayError, request: Any, peer: str
) -> RefusalKey:
    """What a refusal is counted by: an authenticated principal by name, with the resource it
    asked for (bounded, escaped); anyone else by the address it called from, and nothing of
    what it sent."""
    if error.kind is ErrorKind.UNAUTHENTICATED or principal == ANONYMOUS:
        return RefusalKey(
            principal=ANONYMOUS.name,
            roles=(),
            peer=peer_host(peer),
            method=method,
            status_code=error.kind.value,
            error_reason=error.reason,
            resource="",
        )
    return RefusalKey(
        principal=principal.name,
        roles=tuple(sorted(principal.roles)),
        peer="",
        method=method,
        status_code=error.kind.value,
        error_reason=error.reason,
        resource=visible(resource_of(request, error), RESOURCE_CHARS),
    )


def _time(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds") if value else ""


class DatabaseEdgeAuditor:
    """Writes edge audit events to the shared database.

    Refusals are counted per ``refusal_window_seconds`` (windows aligned to the clock) and at
    most ``refusal_keys_per_window`` callers and methods each; a task started with the first
    refusal writes each window as it closes, and :meth:`close` writes the open one.
    """

    def __init__(
        self,
        db: Database,
        service: str,
        *,
        refusal_window_seconds: float = REFUSAL_WINDOW_SECONDS,
        refusal_keys_per_window: int = REFUSAL_KEYS_PER_WINDOW,
    ) -> None:
        self._db = db
        self._service = service
        self._refusals = RefusalCounter(refusal_window_seconds, refusal_keys_per_window)
        self._flusher: asyncio.Task[None] | None = None

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
            log.exception("could not write the audit event of a failed call", method=args[0])

    def refused(
        self, method: str, principal: Principal, error: SlipwayError, request: Any, peer: str
    ) -> None:
        """Count a call refused at the edge; written when its window closes."""
        self._refusals.add(refusal_key(method, principal, error, request, peer))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_windows())

    async def _flush_windows(self) -> None:
        # Ends when nothing is left counted; the next refusal starts another. No await between
        # the last check and the return, so a refusal counted meanwhile cannot be stranded.
        while (due := self._refusals.next_close()) is not None:
            wait = (due - datetime.now(UTC)).total_seconds()
            await asyncio.sleep(max(0.0, wait) + 0.01)
            await self._write_windows(self._refusals.closed())

    async def close(self) -> None:
        """Write every counted refusal, the open window's too (at a graceful stop, once the
        server no longer takes calls)."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        await self._write_windows(self._refusals.drain())

    async def _write_windows(self, windows: list[RefusalWindow]) -> None:
        if not windows:
            return
        try:
            await asyncio.to_thread(self._write_refusals, windows)
        except Exception:
            log.exception(
                "could not write the audit events of refused calls",
                refusals=sum(w.total for w in windows),
            )

    def _write_refusals(self, windows: list[RefusalWindow]) -> None:
        # One transaction (one append to the chain) for every event of the windows.
        with self._db.unit_of_work() as session:
            for window in windows:
                common = {
                    "window_start": _time(window.start),
                    "window_seconds": window.seconds,
                }
                for count in window.counts.values():
                    key = count.key
                    payload: dict[str, Any] = {
                        "method": key.method,
                        "refusals": count.count,
                        "first_time": _time(count.first),
                        "last_time": _time(count.last),
                        **common,
                    }
                    if key.peer:
                        payload["peer"] = key.peer
                    record(
                        session,
                        service=self._service,
                        action=action_of(key.method),
                        resource=key.resource,
                        outcome=Outcome.DENIED,
                        status_code=key.status_code,
                        error_reason=key.error_reason,
                        principal=Principal(key.principal, frozenset(key.roles)),
                        request_id="",
                        payload=payload,
                    )
                if window.folded:
                    record(
                        session,
                        service=self._service,
                        action=f"{self._service}.*",
                        resource="",
                        outcome=Outcome.DENIED,
                        status_code="",
                        error_reason="",
                        principal=Principal(OTHERS),
                        request_id="",
                        payload={
                            "refusals": window.folded,
                            "first_time": _time(window.folded_first),
                            "last_time": _time(window.folded_last),
                            "note": "refusals beyond the window's cap on distinct callers "
                            "and methods",
                            **common,
                        },
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
