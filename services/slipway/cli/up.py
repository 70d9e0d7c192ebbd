"""`slipway up`: run the four services as child processes on this machine.

It prepares the data folder (SQLite database migrated once, a local admin token readable only by
the user), starts each service as its own process, waits until every one reports SERVING on the
standard health service, writes ``$SLIPWAY_HOME/suite.json`` so tools and scripts can find the
running suite, and then supervises: SIGINT/SIGTERM stop every service cleanly; a service that dies
is reported by name with its exit status and last log lines, and the suite stops rather than
limping on (nothing is restarted silently).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from slipway.core.auth import add_token, parse_entries, token_hash, write_private
from slipway.core.bootstrap import connect_database
from slipway.core.db import default_database_url, mask_url
from slipway.core.logs import configure_logging
from slipway.core.settings import default_home
from slipway.schema.migrate import SchemaError, ensure_schema_current

SERVICES = ("registry", "training", "monitoring", "serving")  # in start order
PORT_OFFSETS = {"registry": 0, "training": 1, "serving": 2, "monitoring": 3}
DEFAULT_GRPC_PORT_BASE = 7101
DEFAULT_METRICS_PORT_BASE = 9101
ADMIN_PRINCIPAL = "local-admin"


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    ready_file: Path
    log_file: Path
    log_handle: IO[bytes]
    grpc_address: str = ""
    metrics_address: str = ""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "up",
        help="start the whole suite (registry, training, serving, monitoring)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--home", type=Path, default=None, help="data folder (default $SLIPWAY_HOME or ~/.slipway)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SLIPWAY_DATABASE_URL", ""),
        help="shared database; empty: SQLite in the data folder",
    )
    parser.add_argument(
        "--grpc-port-base",
        type=int,
        default=DEFAULT_GRPC_PORT_BASE,
        help="gRPC port of the registry; the others follow; 0 picks free ports",
    )
    parser.add_argument(
        "--metrics-port-base",
        type=int,
        default=DEFAULT_METRICS_PORT_BASE,
        help="metrics port of the registry; the others follow; 0 picks free ports",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds to wait for every service to report SERVING",
    )
    parser.add_argument(
        "--shutdown-grace",
        type=float,
        default=10.0,
        help="seconds in-flight calls may take when the suite stops",
    )
    parser.set_defaults(func=run)


def _ensure_token(home: Path, filename: str, principal: str, role: str) -> Path:
    """A token in ``home/filename`` (0600) whose hash is in ``tokens.json``."""
    token_file = home / filename
    tokens_file = home / "tokens.json"
    if token_file.exists() and tokens_file.exists():
        known = {
            e.sha256
            for e in parse_entries(json.loads(tokens_file.read_text()), source=str(tokens_file))
        }
        if token_hash(token_file.read_text().strip()) in known:
            return token_file
    token = add_token(tokens_file, principal, [role], "created by slipway up")
    write_private(token_file, token + "\n")
    return token_file


def ensure_admin_token(home: Path) -> Path:
    """The local admin token, ``home/admin.token``."""
    return _ensure_token(home, "admin.token", ADMIN_PRINCIPAL, "admin")


def ensure_service_tokens(home: Path) -> None:
    """The tokens the services present to each other (training registers versions, serving
    loads them, monitoring reads profiles, the registry reads jobs and alerts for lineage
    reports): ``home/<service>.token``, role `service`, read by each service by default."""
    for service in ("registry", "training", "serving", "monitoring"):
        _ensure_token(home, f"{service}.token", f"service:{service}", "service")


def _port(base: int, index: int) -> int:
    return 0 if base == 0 else base + index


def _start(
    name: str, index: int, home: Path, args: argparse.Namespace, peers: dict[str, str]
) -> Child:
    run_dir = home / "run"
    log_dir = home / "logs"
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    ready_file = run_dir / f"{name}.json"
    ready_file.unlink(missing_ok=True)
    log_file = log_dir / f"{name}.log"
    handle = log_file.open("ab")
    env = dict(os.environ, SLIPWAY_HOME=str(home), **peers)
    if args.database_url:
        env["SLIPWAY_DATABASE_URL"] = args.database_url
    command = [
        sys.executable,
        "-m",
        "slipway.cli.main",
        name,
        "--grpc-address",
        f"127.0.0.1:{_port(args.grpc_port_base, index)}",
        "--metrics-address",
        f"127.0.0.1:{_port(args.metrics_port_base, index)}",
        "--ready-file",
        str(ready_file),
        "--log-format",
        "json",
        "--shutdown-grace-seconds",
        str(args.shutdown_grace),
    ]
    process = subprocess.Popen(
        command, env=env, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    return Child(name, process, ready_file, log_file, handle)


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _describe_exit(code: int) -> str:
    if code < 0:
        return f"killed by signal {signal.Signals(-code).name}"
    return f"exited with code {code}"


def _health_serving(address: str) -> bool:
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            answer = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
        except grpc.RpcError:
            return False
    return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)


def _wait_ready(children: list[Child], timeout: float, stop: list[int]) -> str | None:
    """Wait until each child wrote its ready file and answers SERVING; an error text otherwise."""
    deadline = time.monotonic() + timeout
    pending = {c.name: c for c in children}
    while pending:
        if stop:
            return "interrupted"
        for name, child in list(pending.items()):
            code = child.process.poll()
            if code is not None:
                return (
                    f"{name} {_describe_exit(code)} before it was ready; last log lines "
                    f"({child.log_file}):\n{_tail(child.log_file)}"
                )
            if child.ready_file.exists():
                info = json.loads(child.ready_file.read_text())
                if _health_serving(info["grpc_address"]):
                    child.grpc_address = info["grpc_address"]
                    child.metrics_address = info["metrics_address"]
                    del pending[name]
                    print(f"  {name:<11} SERVING on {child.grpc_address}", flush=True)
        if time.monotonic() > deadline:
            return f"timed out after {timeout:.0f}s waiting for: {', '.join(sorted(pending))}"
        time.sleep(0.1)
    return None


def _stop_all(children: list[Child], grace: float) -> None:
    for child in children:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace + 5
    for child in children:
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"  {child.name} did not stop in time; killing it", flush=True)
            child.process.kill()
            child.process.wait()
        child.log_handle.close()


def _write_suite_file(home: Path, children: list[Child], token_file: Path, url: str) -> Path:
    suite = {
        "pid": os.getpid(),
        "started_at": dt.datetime.now(dt.UTC).isoformat(),
        "home": str(home),
        "database_url": mask_url(url),
        "token_file": str(token_file),
        "tokens_file": str(home / "tokens.json"),
        "services": {
            c.name: {
                "grpc_address": c.grpc_address,
                "metrics_address": c.metrics_address,
                "pid": c.process.pid,
                "log_file": str(c.log_file),
            }
            for c in children
        },
    }
    path = home / "suite.json"
    write_private(path, json.dumps(suite, indent=2) + "\n")
    return path


def _prepare_database(url: str, embedded: bool) -> None:
    """Migrate the embedded database once here, so four services do not race to do it."""
    db = connect_database(url)
    try:
        ensure_schema_current(db, auto_upgrade=embedded)
    finally:
        db.dispose()


def run(args: argparse.Namespace) -> int:
    home: Path = (args.home or default_home()).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    url = args.database_url or default_database_url(home)
    configure_logging("console", "warning")  # the services log to their own files
    print(f"Slipway: starting the suite in {home}", flush=True)
    try:
        _prepare_database(url, embedded=not args.database_url)
    except SchemaError as exc:
        print(f"slipway up: {exc}", file=sys.stderr)
        return 3
    token_file = ensure_admin_token(home)

    stop: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ensure_service_tokens(home)
    # One at a time, each told where the ones it calls listen (their ports may be free ones):
    # training and serving call the registry, monitoring calls registry and training, and
    # serving sends its prediction logs to monitoring.
    children: list[Child] = []
    # The registry starts first, so it reads where training and monitoring listen from the
    # suite file (written below) when a lineage report asks them.
    peers: dict[str, str] = {"SLIPWAY_REGISTRY_SUITE_FILE": str(home / "suite.json")}
    failure = None
    for name in SERVICES:
        child = _start(name, PORT_OFFSETS[name], home, args, dict(peers))
        children.append(child)
        failure = _wait_ready([child], args.timeout, stop)
        if failure is not None:
            break
        peers[f"SLIPWAY_{name.upper()}_TARGET"] = child.grpc_address
    if failure is not None:
        print(f"slipway up: {failure}", file=sys.stderr, flush=True)
        _stop_all(children, args.shutdown_grace)
        return 0 if failure == "interrupted" else 1
    suite_file = _write_suite_file(home, children, token_file, url)
    _print_summary(children, token_file, suite_file, home)

    exit_code = 0
    while not stop:
        dead = next((c for c in children if c.process.poll() is not None), None)
        if dead is not None:
            print(
                f"slipway up: {dead.name} {_describe_exit(dead.process.returncode)}; "
                f"stopping the suite. Last log lines ({dead.log_file}):\n{_tail(dead.log_file)}",
                file=sys.stderr,
                flush=True,
            )
            exit_code = 1
            break
        time.sleep(0.2)
    if stop:
        print(f"Slipway: {signal.Signals(stop[0]).name} received, stopping", flush=True)
    _stop_all(children, args.shutdown_grace)
    suite_file.unlink(missing_ok=True)
    print("Slipway: stopped", flush=True)
    return exit_code


def _print_summary(children: list[Child], token_file: Path, suite_file: Path, home: Path) -> None:
    registry = next(c for c in children if c.name == "registry")
    lines = [
        "",
        "Slipway is up. Endpoints (gRPC, metrics):",
        *(
            f"  {c.name:<11} {c.grpc_address:<22} http://{c.metrics_address}/metrics"
            for c in children
        ),
        "",
        f"Authenticate with the local admin token in {token_file} (readable only by you):",
        f'  TOKEN="$(cat {token_file})"',
        f'  grpcurl -plaintext -H "authorization: Bearer $TOKEN" {registry.grpc_address} list',
        "",
        f"Suite description for tools: {suite_file}",
        f"Logs: {home / 'logs'}",
        "Press Ctrl-C to stop the suite.",
    ]
    print("\n".join(lines), flush=True)
