"""`slipway aliases`: point an alias at a version, remove it, and see every move."""

from __future__ import annotations

import argparse

from slipway.cli import names
from slipway.cli.connect import clients, command
from slipway.cli.output import EXIT_OK, enum, print_json, table, when
from slipway.common.v1 import principal_pb2
from slipway.registry.v1 import alias_history_pb2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "aliases",
        help="set, delete and list aliases; their history",
        description="Protected aliases (production, and challenger: every alias serving "
        "routes live traffic to) need the approver role, a reason and a READY version.",
    )
    actions = parser.add_subparsers(dest="aliases_command", required=True, metavar="ACTION")

    listing = command(actions, "list", _list, "the aliases of a model")
    listing.add_argument("model", help="MODEL or models/MODEL")

    set_ = command(actions, "set", _set, "point an alias at a version")
    set_.add_argument("model", help="MODEL or models/MODEL")
    set_.add_argument("alias", help="e.g. production, challenger")
    set_.add_argument("version", type=int, help="the version number")
    set_.add_argument("--reason", default="", help="why (required for protected aliases)")
    set_.add_argument(
        "--expect",
        type=int,
        default=None,
        metavar="NUMBER",
        help="only if the alias points at this version now (0: does not exist)",
    )

    delete = command(actions, "delete", _delete, "remove an alias")
    delete.add_argument("model", help="MODEL or models/MODEL")
    delete.add_argument("alias")
    delete.add_argument("--reason", default="", help="why (required for protected aliases)")

    history = command(actions, "history", _history, "every alias move of a model, oldest first")
    history.add_argument("model", help="MODEL or models/MODEL")
    history.add_argument("--alias", default="", help="only this alias")
    history.add_argument("--version", type=int, default=0, help="only moves to or from it")
    history.add_argument("--limit", type=int, default=0, help="at most this many (0: all)")


def actor(principal: principal_pb2.Principal) -> str:
    return principal.name or "-"


def _version(number: int) -> str:
    return f"v{number}" if number else "-"


def describe(entry: alias_history_pb2.AliasHistoryEntry) -> str:
    change = enum(alias_history_pb2.AliasChange, entry.change, "ALIAS_CHANGE_")
    model = entry.model.removeprefix("models/")
    moved = (
        f"{_version(entry.from_version_number)} -> {_version(entry.to_version_number)}"
        if entry.from_version_number
        else _version(entry.to_version_number)
    )
    if entry.change == alias_history_pb2.ALIAS_CHANGE_DELETED:
        moved = f"was {_version(entry.from_version_number)}"
    return f"{model}@{entry.alias} {change}: {moved}"


def _list(args: argparse.Namespace) -> int:
    with clients(args) as suite:
        model = suite.registry.get_model(names.model(args.model))
    if args.json:
        print_json(dict(model.aliases))
    else:
        table(
            ("alias", "version"),
            [(a, n) for a, n in sorted(model.aliases.items())],
            empty=f"{model.name} has no aliases",
        )
    return EXIT_OK


def _set(args: argparse.Namespace) -> int:
    with clients(args) as suite:
        answer = suite.registry.set_alias(
            names.model(args.model),
            args.alias,
            args.version,
            reason=args.reason,
            expected_version_number=args.expect,
        )
    if args.json:
        print_json(answer)
    else:
        print(describe(answer.alias_history_entry))
    return EXIT_OK


def _delete(args: argparse.Namespace) -> int:
    with clients(args) as suite:
        answer = suite.registry.delete_alias(
            names.model(args.model), args.alias, reason=args.reason
        )
    if args.json:
        print_json(answer)
    else:
        print(describe(answer.alias_history_entry))
    return EXIT_OK


def _history(args: argparse.Namespace) -> int:
    with clients(args) as suite:
        entries = []
        for entry in suite.registry.alias_history(
            names.model(args.model), alias=args.alias, version_number=args.version
        ):
            entries.append(entry)
            if args.limit and len(entries) >= args.limit:
                break
    if args.json:
        print_json(entries)
        return EXIT_OK
    table(
        ("when", "alias", "change", "from", "to", "who", "reason"),
        [
            (
                when(e, "change_time"),
                e.alias,
                enum(alias_history_pb2.AliasChange, e.change, "ALIAS_CHANGE_"),
                _version(e.from_version_number),
                _version(e.to_version_number),
                actor(e.actor),
                e.reason or "-",
            )
            for e in entries
        ],
        empty="no alias moves",
    )
    return EXIT_OK
