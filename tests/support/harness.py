"""Start real Slipway servers in-process on free loopback ports and talk gRPC to them."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import grpc

from slipway.core.audit.recorder import EdgeAuditor
from slipway.core.auth import add_token
from slipway.core.roles import ROLE_TABLE, ROLES, RoleTable
from slipway.core.server import ServiceRegistration, SlipwayServer
from slipway.core.settings import ServiceSettings


def make_tokens(path: Path) -> dict[str, str]:
    """A tokens file with one principal per role (``<role>-user``); returns role -> token."""
    return {role: add_token(path, f"{role}-user", [role]) for role in sorted(ROLES)}


def auth(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def settings_for(cls: type[ServiceSettings], home: Path, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "home": home,
        "grpc_address": "127.0.0.1:0",
        "metrics_address": "127.0.0.1:0",
        "log_format": "console",
        "shutdown_grace_seconds": 5.0,
    }
    values.update(overrides)
    return cls(**values)


@contextlib.asynccontextmanager
async def running_server(
    settings: ServiceSettings,
    services: Sequence[ServiceRegistration],
    *,
    extra_handlers: Sequence[grpc.GenericRpcHandler] = (),
    role_table: RoleTable = ROLE_TABLE,
    serving: bool = True,
    auditor: EdgeAuditor | None = None,
) -> AsyncIterator[SlipwayServer]:
    server = SlipwayServer(
        settings, services, role_table=role_table, extra_handlers=extra_handlers, auditor=auditor
    )
    await server.start()
    if serving:
        await server.set_serving()
    try:
        yield server
    finally:
        await server.stop(grace=1.0)


def with_overrides(settings: ServiceSettings, **changes: Any) -> Any:
    return dataclasses.replace(settings, **changes)
