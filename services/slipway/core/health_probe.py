"""A container health probe: exit 0 when a service's standard health check answers SERVING.

Kubernetes' native gRPC probe does the same check but only over plaintext; the container image's
HEALTHCHECK and pods whose gRPC port serves TLS use this module instead::

    python -m slipway.core.health_probe 127.0.0.1:7103
    python -m slipway.core.health_probe 127.0.0.1:7101 --tls-ca-file /etc/slipway/tls/ca.crt \\
        --server-name slipway-registry

The health service answers without a token. Exit status: 0 SERVING; 1 anything else (NOT_SERVING,
an unknown service name, nothing listening, a TLS failure, no answer within the timeout), with
one line on stderr saying which.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVING = "SERVING"


@dataclass(frozen=True)
class ProbeTLS:
    """TLS towards the probed server: its CA, an optional client certificate (mutual TLS), and
    the name its certificate is checked against when that is not the probed host."""

    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None
    server_name: str | None = None


def _channel(address: str, tls: ProbeTLS | None) -> grpc.Channel:
    if tls is None:
        return grpc.insecure_channel(address)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=tls.ca_file.read_bytes(),
        private_key=tls.key_file.read_bytes() if tls.key_file else None,
        certificate_chain=tls.cert_file.read_bytes() if tls.cert_file else None,
    )
    options = [("grpc.ssl_target_name_override", tls.server_name)] if tls.server_name else []
    return grpc.secure_channel(address, credentials, options=options)


def check(
    address: str, *, service: str = "", timeout: float = 3.0, tls: ProbeTLS | None = None
) -> str:
    """The health status of ``service`` at ``address``, or why there is none."""
    with _channel(address, tls) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            answer = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else None
            return f"no answer ({code.name if code else 'error'}: {exc.details() or ''})".strip()
    name: str = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
    return name


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m slipway.core.health_probe",
        description="Exit 0 when the gRPC health service at ADDRESS answers SERVING, else 1.",
    )
    parser.add_argument("address", metavar="ADDRESS", help="host:port of the gRPC server")
    parser.add_argument(
        "--service", default="", help="service name to check (default: the whole server)"
    )
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait (default 3)")
    parser.add_argument(
        "--tls-ca-file",
        type=Path,
        help="PEM CA bundle that signed the server certificate; enables TLS",
    )
    parser.add_argument(
        "--tls-cert-file",
        type=Path,
        help="PEM client certificate, for a server that requires mutual TLS",
    )
    parser.add_argument("--tls-key-file", type=Path, help="PEM key of the client certificate")
    parser.add_argument(
        "--server-name", help="name the server certificate must carry (default: ADDRESS's host)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.tls_cert_file is None) != (args.tls_key_file is None):
        parser.error("--tls-cert-file and --tls-key-file go together")
    if args.tls_ca_file is None and (args.tls_cert_file or args.server_name):
        parser.error("--tls-cert-file and --server-name need --tls-ca-file")
    tls = None
    if args.tls_ca_file is not None:
        tls = ProbeTLS(args.tls_ca_file, args.tls_cert_file, args.tls_key_file, args.server_name)
    try:
        status = check(args.address, service=args.service, timeout=args.timeout, tls=tls)
    except OSError as exc:  # an unreadable certificate file
        status = f"cannot read TLS files ({exc})"
    if status == SERVING:
        return 0
    print(f"{args.address} {args.service or '(server)'}: {status}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
