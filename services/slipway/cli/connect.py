"""How command-line tools find and call a running suite.

Each service's address comes from, in order: ``--target`` (one address for every service, e.g.
a gateway), ``SLIPWAY_<SERVICE>_TARGET`` (``SLIPWAY_REGISTRY_TARGET``, ``SLIPWAY_TRAINING_TARGET``,
``SLIPWAY_SERVING_TARGET``, ``SLIPWAY_MONITORING_TARGET``), ``SLIPWAY_TARGET`` (every service),
then ``$SLIPWAY_HOME/suite.json`` written by ``slipway up``. The token comes from
``--token-file``, then ``SLIPWAY_TOKEN``, ``SLIPWAY_TOKEN_FILE``, then the suite's local admin
token. Failed calls raise the typed client errors, which ``slipway.cli.output`` prints as one
line with the status code and ErrorInfo reason.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from slipway import client
from slipway.cli.output import EXIT_CODES_HELP, EXIT_RPC_ERROR, EXIT_USAGE, CliError
from slipway.core.settings import default_home

SERVICES = ("registry", "training", "serving", "monitoring")

__all__ = [
    "EXIT_RPC_ERROR",
    "SERVICES",
    "add_connection_arguments",
    "clients",
    "command",
    "seconds",
    "targets_from",
]


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--target",
        default=None,
        help="host:port serving every Slipway API (default: "
        "$SLIPWAY_<SERVICE>_TARGET, $SLIPWAY_TARGET, else each service of "
        "the suite in $SLIPWAY_HOME/suite.json)",
    )
    group.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help="file holding the bearer token (default: $SLIPWAY_TOKEN, "
        "$SLIPWAY_TOKEN_FILE, else the suite's local admin token)",
    )
    group.add_argument(
        "--ca-file",
        type=Path,
        default=None,
        help="PEM CA bundle: connect with TLS and trust this CA",
    )
    group.add_argument("--timeout", type=seconds, default=30.0, help="deadline of each call, s")


def seconds(text: str) -> float:
    """An argparse type: a positive number of seconds."""
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def command(
    actions: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    func: Callable[[argparse.Namespace], int],
    help_text: str,
    *,
    json_output: bool = True,
    description: str = "",
    raw_description: bool = False,
) -> argparse.ArgumentParser:
    """A subcommand that calls the suite: its connection flags and, with ``json_output``,
    ``--json``. The caller adds its own arguments to the parser returned. ``raw_description``
    keeps the description's lines as written (examples)."""
    parser = actions.add_parser(
        name,
        help=help_text,
        description=description or None,
        epilog=EXIT_CODES_HELP,
        formatter_class=(
            argparse.RawDescriptionHelpFormatter if raw_description else argparse.HelpFormatter
        ),
    )
    if json_output:
        parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    add_connection_arguments(parser)
    parser.set_defaults(func=func)
    return parser


def _suite_path() -> Path:
    return default_home() / "suite.json"


def _suite() -> dict[str, object]:
    path = _suite_path()
    if not path.exists():
        return {}
    try:
        loaded: dict[str, object] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    pid = loaded.get("pid")
    if isinstance(pid, int) and not _running(pid):
        raise CliError(
            f"{path} names a suite (slipway up pid {pid}) that is no longer running; start "
            "it again with `slipway up`, or name the services with --target or "
            "SLIPWAY_<SERVICE>_TARGET"
        )
    return loaded


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def targets_from(
    args: argparse.Namespace, suite: dict[str, object] | None = None
) -> dict[str, str]:
    """The address of each service that has one (see the module's docstring for the order)."""
    flag = getattr(args, "target", None)
    if flag:
        return dict.fromkeys(SERVICES, flag)
    suite = _suite() if suite is None else suite
    listed = suite.get("services")
    found: dict[str, str] = {}
    for service in SERVICES:
        target = os.environ.get(f"SLIPWAY_{service.upper()}_TARGET") or os.environ.get(
            "SLIPWAY_TARGET"
        )
        if not target and isinstance(listed, dict) and isinstance(listed.get(service), dict):
            target = str(listed[service].get("grpc_address", ""))
        if target:
            found[service] = target
    return found


def _no_target(service: str) -> CliError:
    path = _suite_path()
    found = f"{path} lists no {service}" if path.exists() else f"no {path}"
    return CliError(
        f"no target for {service}: pass --target, set "
        f"SLIPWAY_{service.upper()}_TARGET or SLIPWAY_TARGET, or start the suite with "
        f"`slipway up` ({found})",
        EXIT_USAGE,
    )


def _token(args: argparse.Namespace, suite: dict[str, object]) -> str:
    token = os.environ.get("SLIPWAY_TOKEN", "")
    token_file = (
        args.token_file
        or os.environ.get("SLIPWAY_TOKEN_FILE")
        or (None if token else suite.get("token_file"))
    )
    if token_file:
        try:
            token = Path(str(token_file)).expanduser().read_text().strip()
        except OSError as exc:
            raise CliError(
                f"cannot read the token file {token_file}: {exc.strerror}", EXIT_USAGE
            ) from None
    return token


def _ca(args: argparse.Namespace) -> bytes | None:
    if args.ca_file is None:
        return None
    try:
        ca: bytes = args.ca_file.read_bytes()
    except OSError as exc:
        raise CliError(
            f"cannot read the CA file {args.ca_file}: {exc.strerror}", EXIT_USAGE
        ) from None
    return ca


class Clients:
    """The typed clients of the suite, each checked for a target before its first use."""

    def __init__(
        self, connection: client.Connection, targets: dict[str, str], token_sent: bool
    ) -> None:
        self.connection = connection
        self.targets = targets
        self.token_sent = token_sent

    def _need(self, service: str) -> None:
        if service not in self.targets:
            raise _no_target(service)

    @property
    def registry(self) -> client.RegistryClient:
        self._need("registry")
        return self.connection.registry

    @property
    def training(self) -> client.TrainingClient:
        self._need("training")
        return self.connection.training

    @property
    def inference(self) -> client.InferenceClient:
        self._need("serving")
        return self.connection.inference

    @property
    def monitoring(self) -> client.MonitoringClient:
        self._need("monitoring")
        return self.connection.monitoring

    @property
    def lineage(self) -> client.LineageClient:
        self._need("registry")  # the registry process serves lineage reports
        return self.connection.lineage

    @property
    def audit(self) -> client.AuditClient:
        self._need("registry")  # every service answers it; the client asks the registry
        return self.connection.audit


@contextmanager
def clients(args: argparse.Namespace) -> Iterator[Clients]:
    """The suite's clients for one command, closed at its end. A refusal for want of a token
    says where a token comes from."""
    suite = _suite()
    targets = targets_from(args, suite)
    token = _token(args, suite)
    ca = _ca(args)
    connection = client.connect(
        targets, token=token or None, tls=ca if ca is not None else False, timeout=args.timeout
    )
    try:
        yield Clients(connection, targets, bool(token))
    except client.Unauthenticated as error:
        if not token:
            error.message += (
                " (no token was sent: pass --token-file, set SLIPWAY_TOKEN or "
                "SLIPWAY_TOKEN_FILE, or start the suite with `slipway up`)"
            )
        raise
    finally:
        connection.close()
