"""A raw-bytes test service used to exercise the server core without any generated code."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import psycopg
import sqlalchemy as sa
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from slipway.core.context import current_principal, current_request_id
from slipway.core.errors import FieldViolation, InvalidArgumentError, NotFoundError
from slipway.core.roles import RULES, RoleTable, changes, reads

SERVICE = "slipway.testing.Probe"


async def _echo(request: bytes, _ctx: Any) -> bytes:
    return request


async def _crash(_request: bytes, _ctx: Any) -> bytes:
    raise RuntimeError("secret internal detail: password=hunter2")


async def _invalid(_request: bytes, _ctx: Any) -> bytes:
    raise InvalidArgumentError.for_field("model.name", "must not be empty", reason="NAME_EMPTY")


async def _crash_write(_request: bytes, _ctx: Any) -> bytes:
    raise RuntimeError("disk on fire")


async def _echo_everything(_request: bytes, _ctx: Any) -> bytes:
    """An error that quotes far too much: a 20 kB message and resource, 300 long violations."""
    name = "模型/" * 5_000
    raise InvalidArgumentError(
        f"{name} is wrong",
        reason="ECHOED",
        metadata={"resource": name},
        field_violations=[FieldViolation(f"labels[{name}{i}]", f"{i}: {name}") for i in range(300)],
    )


def _violate(constraint: str) -> None:
    """Raises the database's own error for a broken ``constraint`` (unique or not null)."""
    engine = sa.create_engine("sqlite://")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        connection.exec_driver_sql("INSERT INTO t VALUES ('a', 'x')")
        row = "('a', 'y')" if constraint == "unique" else "('b', NULL)"
        connection.exec_driver_sql(f"INSERT INTO t VALUES {row}")  # noqa: S608 (two literals)


async def _lose_race(_request: bytes, _ctx: Any) -> bytes:
    # What PostgreSQL raises for the loser of two concurrent inserts of one key (the database
    # tests raise it for real; this server has no PostgreSQL of its own).
    raise sa.exc.IntegrityError(
        "INSERT INTO t VALUES ('a')",
        {},
        psycopg.errors.UniqueViolation('duplicate key value violates unique constraint "t_pkey"'),
    )


async def _break_unique_on_sqlite(_request: bytes, _ctx: Any) -> bytes:
    _violate("unique")  # SQLite serializes writers: a bug, never a lost race
    return b""


async def _break_not_null(_request: bytes, _ctx: Any) -> bytes:
    _violate("not null")
    return b""


async def _sleep(request: bytes, _ctx: Any) -> bytes:
    await asyncio.sleep(float(request.decode()))
    return b"slept"


async def _who_am_i(_request: bytes, _ctx: Any) -> bytes:
    return f"{current_principal().name}|{current_request_id()}".encode()


async def _stream(_request: bytes, _ctx: Any) -> AsyncIterator[bytes]:
    for i in range(3):
        yield bytes([i])
    raise NotFoundError("the stream's source is gone", reason="SOURCE_GONE")


def probe_handler() -> grpc.GenericRpcHandler:
    unary = grpc.unary_unary_rpc_method_handler
    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Echo": unary(_echo),
            "Crash": unary(_crash),
            "CrashWrite": unary(_crash_write),
            "Invalid": unary(_invalid),
            "LoseRace": unary(_lose_race),
            "EchoEverything": unary(_echo_everything),
            "BreakNotNull": unary(_break_not_null),
            "BreakUniqueOnSqlite": unary(_break_unique_on_sqlite),
            "Sleep": unary(_sleep),
            "WhoAmI": unary(_who_am_i),
            "Write": unary(_echo),
            "Stream": grpc.unary_stream_rpc_method_handler(_stream),
        },
    )


PROBE_ROLES = RoleTable(
    {
        **RULES,
        SERVICE: {
            "Echo": reads(),
            "Crash": reads(),
            "CrashWrite": changes(),
            "Invalid": changes(),
            "LoseRace": changes(),
            "BreakNotNull": changes(),
            "BreakUniqueOnSqlite": changes(),
            "EchoEverything": changes(),
            "Sleep": reads(),
            "WhoAmI": reads(),
            "Stream": reads(),
            "Write": changes(),
        },
    }
)


def method(name: str) -> str:
    return f"/{SERVICE}/{name}"


def rich_details(error: grpc.aio.AioRpcError | grpc.RpcError) -> dict[str, Any]:
    """ErrorInfo and BadRequest carried in an error's ``grpc-status-details-bin`` trailer.

    Read with grpcio-status, as clients do; it also checks the details agree with the status.
    """
    out: dict[str, Any] = {"error_info": None, "bad_request": None}
    status = rpc_status.from_call(error)
    if status is None:
        return out
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(info):
            out["error_info"] = info
        elif detail.Unpack(bad):
            out["bad_request"] = bad
    return out
