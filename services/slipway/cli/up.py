"""`slipway up`: run the four services as child processes on this machine.

It prepares the data folder (SQLite database migrated once; a local admin token, the audit chain's
HMAC key and the key signing its checkpoints, each readable only by the user), starts each service
as its own process, waits until every one reports SERVING on the standard health service, writes
``$SLIPWAY_HOME/suite.json`` so tools and scripts can find the running suite, and then supervises:
SIGINT/SIGTERM stop every service cleanly; a service that dies is reported by name with its exit
status and last log lines and restarted on the same addresses after a backoff, each restart logged
and counted in suite.json; a service that keeps crashing (more than ``--max-restarts`` times within
``--restart-window`` seconds) stops the suite with a message naming it. One suite runs per data
folder: ``suite.lock`` is held while it runs, a second ``up`` names the one that holds it, and the
children stop when ``up`` itself dies.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import fcntl
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import IO

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from slipway.cli.supervisor import Child, RestartPolicy, describe_exit, stop_all, tail
from slipway.core.audit.checkpoints import generate_signing_key
from slipway.core.audit.keys import KEY_FILE_NAME, generate_key_file
from slipway.core.auth import add_token, parse_entries, token_hash, write_private
from slipway.core.bootstrap import connect_database
from slipway.core.db import default_database_url, mask_url
from slipway.core.logs import configure_logging
from slipway.core.roles import MONITOR, SERVER, TRAINER, VIEWER
from slipway.core.settings import default_home
from slipway.schema.migrate import SchemaError, ensure_schema_current

SERVICES = ("registry", "training", "monitoring", "serving")
# Started together within a wave; a wave starts once the one before it is ready.
START_WAVES = (("registry", "training", "monitoring"), ("serving",))
PORT_OFFSETS = {"registry": 0, "training": 1, "serving": 2, "monitoring": 3}
DEFAULT_GRPC_PORT_BASE = 7101
DEFAULT_METRICS_PORT_BASE = 9101
ADMIN_PRINCIPAL = "local-admin"


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
    parser.add_argument(
        "--max-restarts",
        type=int,
        default=RestartPolicy.max_restarts,
        help="crashes of one service within --restart-window that are restarted; one more "
        "stops the suite (0: the first crash stops it)",
    )
    parser.add_argument(
        "--restart-window",
        type=float,
        default=RestartPolicy.restart_window,
        help="seconds over which a service's crashes are counted",
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


# The narrow role each service presents to its peers (core/roles.py). A home made before the
# split keeps its `service` tokens (still accepted, deprecated) until they are deleted.
PEER_ROLES = {"registry": VIEWER, "training": TRAINER, "serving": SERVER, "monitoring": MONITOR}


def ensure_service_tokens(home: Path) -> None:
    """The tokens the services present to each other (training registers versions, serving
    loads them and sends prediction logs, monitoring reads profiles and starts retraining, the
    registry reads jobs and alerts for lineage reports): ``home/<service>.token``, each with
    its service's narrow role, read by each service by default."""
    for service, role in PEER_ROLES.items():
        _ensure_token(home, f"{service}.token", f"service:{service}", role)


def _grpc_address(base: int, index: int) -> str:
    """The service's gRPC address: ``base + index``, or with base 0 a port free right now.

    A free port is picked by binding port 0 and letting it go, so its peers can be told where it
    will listen before it starts. Another process could take it in between (the services bind
    without SO_REUSEPORT, so that shows as a service that cannot start, named with its log,
    never as two servers sharing a port)."""
    if base != 0:
        return f"127.0.0.1:{base + index}"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"127.0.0.1:{port}"


def _metrics_port(base: int, index: int) -> int:
    return 0 if base == 0 else base + index


def _command(
    name: str, grpc_address: str, metrics_address: str, ready_file: Path, args: argparse.Namespace
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "slipway.cli.main",
        name,
        "--grpc-address",
        grpc_address,
        "--metrics-address",
        metrics_address,
        "--ready-file",
        str(ready_file),
        "--log-format",
        "json",
        "--shutdown-grace-seconds",
        str(args.shutdown_grace),
    ]


def _start(
    name: str, grpc_address: str, home: Path, args: argparse.Namespace, peers: dict[str, str]
) -> Child:
    run_dir = home / "run"
    log_dir = home / "logs"
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    ready_file = run_dir / f"{name}.json"
    env = dict(os.environ, SLIPWAY_HOME=str(home), **peers)
    # The suite's audit chain is keyed with the key made in the data folder, unless the
    # environment names another one.
    env.setdefault("SLIPWAY_AUDIT_KEY_FILE", str(home / KEY_FILE_NAME))
    if name == "registry" and not _checkpoints_configured():
        # One writer of signed checkpoints for the whole chain: the registry (see
        # slipway.core.audit.checkpoints). In the data folder here, which is fine for a demo;
        # production keeps them where the database credentials cannot reach.
        env["SLIPWAY_REGISTRY_AUDIT_CHECKPOINT_FILE"] = str(home / CHECKPOINTS_FILE)
        env["SLIPWAY_REGISTRY_AUDIT_CHECKPOINT_SIGNING_KEY_FILE"] = str(home / CHECKPOINT_KEY)
    if args.database_url:
        env["SLIPWAY_DATABASE_URL"] = args.database_url
    command = _command(
        name,
        grpc_address,
        f"127.0.0.1:{_metrics_port(args.metrics_port_base, PORT_OFFSETS[name])}",
        ready_file,
        args,
    )
    child = Child(name, command, env, ready_file, log_dir / f"{name}.log")
    child.spawn()
    return child


CHECKPOINTS_FILE = "audit-checkpoints.jsonl"
CHECKPOINT_KEY = "audit-checkpoint.key"
CHECKPOINT_PUBLIC_KEY = "audit-checkpoint.pub"


def _checkpoints_configured() -> bool:
    return any(
        name in os.environ
        for name in (
            "SLIPWAY_AUDIT_CHECKPOINT_FILE",
            "SLIPWAY_REGISTRY_AUDIT_CHECKPOINT_FILE",
            "SLIPWAY_AUDIT_CHECKPOINT_S3_URL",
            "SLIPWAY_REGISTRY_AUDIT_CHECKPOINT_S3_URL",
        )
    )


def _ensure_audit_key(home: Path) -> None:
    """Make the suite's audit key and checkpoint key pair (private keys readable by their owner
    only) the first time, so even the demo runs a keyed chain with signed checkpoints; keys
    named in the environment are used instead."""
    if "SLIPWAY_AUDIT_KEY_FILE" not in os.environ and not (home / KEY_FILE_NAME).exists():
        generate_key_file(home / KEY_FILE_NAME)
    if not _checkpoints_configured() and not (home / CHECKPOINT_KEY).exists():
        generate_signing_key(home / CHECKPOINT_KEY, home / CHECKPOINT_PUBLIC_KEY)


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
            code = child.exit_code()
            if code is not None:
                return (
                    f"{name} {describe_exit(code)} before it was ready; last log lines "
                    f"({child.log_file}):\n{tail(child.log_file)}"
                )
            if child.ready_file.exists():
                info = json.loads(child.ready_file.read_text())
                if _health_serving(info["grpc_address"]):
                    child.grpc_address = info["grpc_address"]
                    child.metrics_address = info["metrics_address"]
                    del pending[name]
                    if not child.restarts:
                        print(f"  {name:<11} SERVING on {child.grpc_address}", flush=True)
        if time.monotonic() > deadline:
            return f"timed out after {timeout:.0f}s waiting for: {', '.join(sorted(pending))}"
        time.sleep(0.1)
    return None


def _write_suite_file(
    home: Path, children: list[Child], token_file: Path, url: str, started_at: str
) -> Path:
    suite = {
        "pid": os.getpid(),
        "started_at": started_at,
        "home": str(home),
        "database_url": mask_url(url),
        "token_file": str(token_file),
        "tokens_file": str(home / "tokens.json"),
        "services": {
            c.name: {
                "grpc_address": c.grpc_address,
                "metrics_address": c.metrics_address,
                "pid": c.pid,
                "log_file": str(c.log_file),
                "restarts": c.restarts,
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


class SuiteLockedError(Exception):
    """Another `slipway up` holds this data folder."""


def _lock_home(home: Path, started_at: str) -> IO[str]:
    """Hold ``home/suite.lock`` for as long as this process lives (the kernel drops the lock
    when it dies, even by SIGKILL); the file names the holder for the next one who tries."""
    handle = (home / "suite.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES):
            raise
        handle.seek(0)
        holder = handle.read().strip() or "unknown holder"
        handle.close()
        raise SuiteLockedError(holder) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"slipway up pid {os.getpid()}, started {started_at}\n")
    handle.flush()
    return handle


def _remove_stale_suite_file(home: Path) -> None:
    """A suite.json found while holding the lock was left by a suite that died without
    cleaning up: tools must not send calls to the addresses it names."""
    path = home / "suite.json"
    if not path.exists():
        return
    try:
        pid = json.loads(path.read_text()).get("pid", "?")
    except (OSError, ValueError):
        pid = "?"
    path.unlink(missing_ok=True)
    print(
        f"Slipway: removed {path}, left by a suite that is no longer running (pid {pid})",
        flush=True,
    )


def _busy_port(args: argparse.Namespace) -> str | None:
    """The first fixed port that cannot be bound, as a one-line error; None when all are free.

    Checked before any service starts, so the answer names the port and the service instead of
    a service's start-up traceback."""
    for base, kind, flag in (
        (args.grpc_port_base, "gRPC", "--grpc-port-base"),
        (args.metrics_port_base, "metrics", "--metrics-port-base"),
    ):
        if base == 0:
            continue
        for name in SERVICES:
            port = base + PORT_OFFSETS[name]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    return (
                        f"port {port} ({name} {kind}) on 127.0.0.1 is in use; stop what holds "
                        f"it or choose other ports with {flag}"
                    )
    return None


def _auth_off() -> list[str]:
    """The services that the environment starts without authentication."""

    def on(name: str) -> bool:
        return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}

    every = on("SLIPWAY_INSECURE_NO_AUTH")
    return [s for s in SERVICES if every or on(f"SLIPWAY_{s.upper()}_INSECURE_NO_AUTH")]


def run(args: argparse.Namespace) -> int:
    home: Path = (args.home or default_home()).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    url = args.database_url or default_database_url(home)
    configure_logging("console", "warning")  # the services log to their own files
    started_at = dt.datetime.now(dt.UTC).isoformat()
    try:
        lock = _lock_home(home, started_at)
    except SuiteLockedError as holder:
        print(
            f"slipway up: another suite is running in {home} ({holder}); stop it first, "
            "or start this one with another --home",
            file=sys.stderr,
        )
        return 1
    try:
        return _run_locked(args, home, url, started_at)
    finally:
        lock.close()


def _run_locked(args: argparse.Namespace, home: Path, url: str, started_at: str) -> int:
    _remove_stale_suite_file(home)
    busy = _busy_port(args)
    if busy is not None:
        print(f"slipway up: {busy}", file=sys.stderr)
        return 1
    print(f"Slipway: starting the suite in {home}", flush=True)
    off = _auth_off()
    if off:
        print(
            f"WARNING: authentication is OFF for {', '.join(off)} (SLIPWAY_*INSECURE_NO_AUTH): "
            "every caller is an admin. Use it only for local experiments.",
            file=sys.stderr,
            flush=True,
        )
    try:
        _prepare_database(url, embedded=not args.database_url)
    except SchemaError as exc:
        print(f"slipway up: {exc}", file=sys.stderr)
        return 3
    token_file = ensure_admin_token(home)
    _ensure_audit_key(home)

    stop: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ensure_service_tokens(home)
    # Every peer address is known before anything starts (free ports are picked here when the
    # base is 0), so the services start side by side rather than one after another: training,
    # serving and monitoring call the registry, monitoring calls training, and serving sends its
    # prediction logs to monitoring, but none of them needs a peer to become ready except serving,
    # which loads what it serves from the registry and so starts once the registry answers.
    # The registry reads where training and monitoring listen from the suite file (written
    # below) when a lineage report asks them.
    addresses = {name: _grpc_address(args.grpc_port_base, PORT_OFFSETS[name]) for name in SERVICES}
    peers: dict[str, str] = {"SLIPWAY_REGISTRY_SUITE_FILE": str(home / "suite.json")}
    peers.update({f"SLIPWAY_{name.upper()}_TARGET": addresses[name] for name in SERVICES})
    children: list[Child] = []
    failure = None
    for wave in START_WAVES:
        started = [_start(name, addresses[name], home, args, dict(peers)) for name in wave]
        children.extend(started)
        failure = _wait_ready(started, args.timeout, stop)
        if failure is not None:
            break
    if failure is not None:
        print(f"slipway up: {failure}", file=sys.stderr, flush=True)
        stop_all(children, args.shutdown_grace)
        return 0 if failure == "interrupted" else 1
    children.sort(key=lambda child: SERVICES.index(child.name))

    def write_suite_file() -> Path:
        return _write_suite_file(home, children, token_file, url, started_at)

    suite_file = write_suite_file()
    _print_summary(children, token_file, suite_file, home)
    policy = RestartPolicy(max_restarts=args.max_restarts, restart_window=args.restart_window)
    exit_code = _supervise(children, policy, args, stop, write_suite_file)
    if stop:
        print(f"Slipway: {signal.Signals(stop[0]).name} received, stopping", flush=True)
    stop_all(children, args.shutdown_grace)
    suite_file.unlink(missing_ok=True)
    print("Slipway: stopped", flush=True)
    return exit_code


def _supervise(
    children: list[Child],
    policy: RestartPolicy,
    args: argparse.Namespace,
    stop: list[int],
    write_suite_file: Callable[[], Path],
) -> int:
    """Until a stop signal: restart each crashed child in place; 1 when one keeps crashing."""
    while not stop:
        dead = next((c for c in children if c.exit_code() is not None), None)
        if dead is None:
            time.sleep(0.2)
            continue
        code = dead.exit_code()
        assert code is not None
        crashes = dead.record_crash(time.monotonic(), policy)
        what = f"{dead.name} {describe_exit(code)}"
        if crashes > policy.max_restarts:
            print(
                f"slipway up: {what}; it crashed {crashes} time(s) within "
                f"{policy.restart_window:.0f}s, more than --max-restarts {policy.max_restarts}, "
                f"so the suite stops. Last log lines ({dead.log_file}):\n{tail(dead.log_file)}",
                file=sys.stderr,
                flush=True,
            )
            return 1
        delay = policy.backoff(crashes)
        print(
            f"slipway up: {what}; restarting it in {delay:.1f}s on {dead.grpc_address} "
            f"(crash {crashes} of at most {policy.max_restarts} within "
            f"{policy.restart_window:.0f}s). Last log lines ({dead.log_file}):\n"
            f"{tail(dead.log_file)}",
            file=sys.stderr,
            flush=True,
        )
        if _sleep_unless_stopped(delay, stop):
            break
        # In place: the addresses it had, which its peers and the suite file already name.
        dead.spawn(
            _command(dead.name, dead.grpc_address, dead.metrics_address, dead.ready_file, args)
        )
        dead.restarts += 1
        failure = _wait_ready([dead], args.timeout, stop)
        if failure is None:
            write_suite_file()
            print(f"Slipway: {dead.name} restarted (restart {dead.restarts})", flush=True)
        elif failure != "interrupted":
            # It died again before it was ready: the next turn counts the crash; a restart
            # that hangs is stopped so that it does too.
            print(f"slipway up: restart of {dead.name} failed: {failure}", file=sys.stderr)
            if dead.exit_code() is None:
                stop_all([dead], args.shutdown_grace)
    return 0


def _sleep_unless_stopped(seconds: float, stop: list[int]) -> bool:
    """Sleep in small steps; True when a stop signal arrived meanwhile."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if stop:
            return True
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
    return bool(stop)


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
