"""`slipway tokens`: create bearer tokens and list who holds one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from slipway.core.auth import add_token, parse_entries
from slipway.core.roles import ROLES, SERVICE
from slipway.core.settings import default_home


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("tokens", help="create and list bearer tokens")
    actions = parser.add_subparsers(dest="tokens_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="add a token; prints it once, stores its hash")
    create.add_argument("--principal", required=True, help="who the token belongs to")
    create.add_argument(
        "--role",
        action="append",
        required=True,
        choices=sorted(ROLES),
        help="a role of the principal (repeatable). Services: trainer (training), server "
        "(serving), monitor (monitoring), viewer (the registry's lineage peers); "
        "`service` is deprecated (every peer power at once)",
    )
    create.add_argument("--description", default="", help="where the token is used")
    create.add_argument(
        "--tokens-file",
        type=Path,
        default=None,
        help="tokens file (default $SLIPWAY_HOME/tokens.json)",
    )
    create.set_defaults(func=_create)
    listing = actions.add_parser("list", help="list principals and roles (never tokens)")
    listing.add_argument("--tokens-file", type=Path, default=None)
    listing.set_defaults(func=_list)


def _path(args: argparse.Namespace) -> Path:
    return args.tokens_file or default_home() / "tokens.json"


def _create(args: argparse.Namespace) -> int:
    if SERVICE in args.role:
        print(
            "warning: the `service` role is deprecated; give each service its narrow role "
            "(trainer, server, monitor, or viewer for the registry): see deploy/README.md",
            file=sys.stderr,
        )
    token = add_token(_path(args), args.principal, args.role, args.description)
    print(token)
    return 0


def _list(args: argparse.Namespace) -> int:
    entries = parse_entries(json.loads(_path(args).read_text()), source=str(_path(args)))
    for entry in entries:
        print(f"{entry.principal}\t{','.join(sorted(entry.roles))}\t{entry.description}")
    return 0
