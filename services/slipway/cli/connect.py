"""How command-line tools find and call a running suite.

The target and token come from flags, then the environment (``SLIPWAY_TARGET``,
``SLIPWAY_TOKEN`` or ``SLIPWAY_TOKEN_FILE``), then ``$SLIPWAY_HOME/suite.json`` written by
``slipway up``. RPC errors become one line with the status code and ErrorInfo reason.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from slipway.core.settings import default_home

EXIT_RPC_ERROR = 3


@dataclass(frozen=True)
class Connection:
    target: str
    metadata: tuple[tuple[str, str], ...]
    channel_credentials: grpc.ChannelCredentials | None

    def channel(self) -> grpc.Channel:
        if self.channel_credentials is None:
            return grpc.insecure_channel(self.target)
        return grpc.secure_channel(self.target, self.channel_credentials)


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--target", default=None,
                       help="host:port of any Slipway service (default: $SLIPWAY_TARGET, else "
                            "the registry of the suite in $SLIPWAY_HOME/suite.json)")
    group.add_argument("--token-file", type=Path, default=None,
                       help="file holding the bearer token (default: $SLIPWAY_TOKEN, "
                            "$SLIPWAY_TOKEN_FILE, else the suite's local admin token)")
    group.add_argument("--ca-file", type=Path, default=None,
                       help="PEM CA bundle: connect with TLS and trust this CA")
    group.add_argument("--timeout", type=float, default=30.0, help="deadline of each call, s")


def _suite() -> dict[str, object]:
    path = default_home() / "suite.json"
    if not path.exists():
        return {}
    loaded: dict[str, object] = json.loads(path.read_text())
    return loaded


def connection_from(args: argparse.Namespace, service: str = "registry") -> Connection:
    suite = _suite()
    target = args.target or os.environ.get("SLIPWAY_TARGET")
    if not target:
        services = suite.get("services")
        if isinstance(services, dict) and service in services:
            target = str(services[service]["grpc_address"])
    if not target:
        raise SystemExit("error: no target: pass --target, set SLIPWAY_TARGET, or start the "
                         "suite with `slipway up`")
    token = os.environ.get("SLIPWAY_TOKEN", "")
    token_file = args.token_file or os.environ.get("SLIPWAY_TOKEN_FILE") or (
        None if token else suite.get("token_file"))
    if token_file:
        token = Path(str(token_file)).read_text().strip()
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    credentials = None
    if args.ca_file is not None:
        credentials = grpc.ssl_channel_credentials(root_certificates=args.ca_file.read_bytes())
    return Connection(target, metadata, credentials)


def describe_rpc_error(error: grpc.RpcError) -> str:
    """``PERMISSION_DENIED (ROLE_NOT_ALLOWED): message`` for an RPC error."""
    code = error.code()
    message = error.details()
    reason = ""
    try:
        status = rpc_status.from_call(error)
    except ValueError:
        status = None
    if status is not None:
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info):
                reason = f" ({info.reason})"
    return f"{code.name}{reason}: {message}"


def fail(error: grpc.RpcError) -> int:
    print(f"error: {describe_rpc_error(error)}", file=sys.stderr)
    return EXIT_RPC_ERROR
