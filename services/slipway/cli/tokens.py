"""`slipway tokens`: create bearer tokens, list who holds one, revoke them.

Running services follow the tokens file: a token created or revoked here is accepted or refused
within a second, without a restart (at once after SIGHUP to the service).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from slipway.cli.output import CliError
from slipway.core.auth import add_token, parse_entries, revoke_tokens
from slipway.core.errors import InvalidArgumentError
from slipway.core.roles import ROLES, SERVICE
from slipway.core.settings import default_home


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("tokens", help="create, list and revoke bearer tokens")
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
    listing = actions.add_parser(
        "list", help="list principals, roles and token hash prefixes (never tokens)"
    )
    listing.add_argument("--tokens-file", type=Path, default=None)
    listing.set_defaults(func=_list)
    revoke = actions.add_parser(
        "revoke",
        help="remove a principal's tokens, or one token by its hash; running services refuse "
        "them within a second",
    )
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("principal", nargs="?", help="remove every token of this principal")
    which.add_argument(
        "--token-hash",
        metavar="H",
        help="remove the one token whose SHA-256 (hex) is or starts with H (at least 8 digits; "
        "`slipway tokens list` shows the first 12)",
    )
    revoke.add_argument("--tokens-file", type=Path, default=None)
    revoke.set_defaults(func=_revoke)


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
        print(
            f"{entry.principal}\t{','.join(sorted(entry.roles))}\t{entry.sha256[:12]}"
            f"\t{entry.description}"
        )
    return 0


def _revoke(args: argparse.Namespace) -> int:
    try:
        removed = revoke_tokens(_path(args), principal=args.principal, sha256=args.token_hash)
    except InvalidArgumentError as error:
        raise CliError(str(error)) from None
    for entry in removed:
        print(f"revoked\t{entry.principal}\t{entry.sha256[:12]}\t{entry.description}")
    return 0
