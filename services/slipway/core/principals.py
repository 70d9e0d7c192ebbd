"""The one conversion between a principal (name and role names) and ``slipway.common.v1``."""

from __future__ import annotations

from collections.abc import Iterable

from slipway.common.v1 import principal_pb2

ROLE_TO_PB = {
    "viewer": principal_pb2.ROLE_VIEWER,
    "developer": principal_pb2.ROLE_DEVELOPER,
    "approver": principal_pb2.ROLE_APPROVER,
    "auditor": principal_pb2.ROLE_AUDITOR,
    "admin": principal_pb2.ROLE_ADMIN,
    "service": principal_pb2.ROLE_SERVICE,
}
ROLE_FROM_PB = {v: k for k, v in ROLE_TO_PB.items()}


def principal_to_pb(name: str, roles: Iterable[str]) -> principal_pb2.Principal:
    return principal_pb2.Principal(
        name=name, roles=[ROLE_TO_PB.get(r, principal_pb2.ROLE_UNSPECIFIED) for r in roles]
    )


def roles_from_pb(message: principal_pb2.Principal) -> tuple[str, ...]:
    return tuple(sorted(ROLE_FROM_PB.get(r, "") for r in message.roles))
