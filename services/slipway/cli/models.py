"""`slipway models`: list, show, create, update and delete registered models."""

from __future__ import annotations

import argparse

from slipway.cli import names
from slipway.cli.connect import clients, command
from slipway.cli.output import (
    EXIT_OK,
    CliError,
    fields,
    pairs,
    print_json,
    table,
    when,
)
from slipway.registry.v1 import model_pb2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("models", help="list, show, create, update, delete models")
    actions = parser.add_subparsers(dest="models_command", required=True, metavar="ACTION")

    listing = command(actions, "list", _list, "list models")
    listing.add_argument(
        "--filter", default="", help="AIP-160 filter, e.g. 'labels.team = \"fraud\"'"
    )
    listing.add_argument("--order-by", default="", help="e.g. 'name desc'")
    listing.add_argument("--limit", type=int, default=0, help="at most this many (0: all)")

    get = command(actions, "get", _get, "show one model")
    get.add_argument("model", help="MODEL or models/MODEL")

    create = command(actions, "create", _create, "create a model")
    create.add_argument("model_id", help="the new model's id, e.g. churn")
    create.add_argument("--description", default="")
    create.add_argument(
        "--label", action="append", default=[], metavar="KEY=VALUE", help="a label (repeatable)"
    )

    update = command(actions, "update", _update, "change a model's description or labels")
    update.add_argument("model", help="MODEL or models/MODEL")
    update.add_argument("--description", default=None)
    update.add_argument(
        "--label", action="append", default=[], metavar="KEY=VALUE", help="set a label (repeatable)"
    )
    update.add_argument(
        "--remove-label",
        action="append",
        default=[],
        metavar="KEY",
        help="remove a label (repeatable)",
    )
    update.add_argument("--reason", default="", help="why (recorded in the audit log)")

    delete = command(
        actions, "delete", _delete, "delete a model without live versions", json_output=False
    )
    delete.add_argument("model", help="MODEL or models/MODEL")
    delete.add_argument(
        "--force", action="store_true", help="admin: also when every version is archived or failed"
    )
    delete.add_argument("--etag", default="", help="only if the model is unchanged since")
    delete.add_argument("--reason", default="", help="why (required with --force)")


def labels(items: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` flags as a dict."""
    found: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"--label {item!r}: write KEY=VALUE")
        found[key] = value
    return found


def show(model: model_pb2.Model) -> None:
    fields(
        [
            ("name", model.name),
            ("description", model.description),
            ("labels", pairs(model.labels)),
            ("aliases", " ".join(f"{a}=v{n}" for a, n in sorted(model.aliases.items())) or "none"),
            ("latest version", model.latest_version_number or "none"),
            ("created by", model.created_by),
            ("created", when(model, "create_time")),
            ("updated", when(model, "update_time")),
            ("etag", model.etag),
        ]
    )


def _list(args: argparse.Namespace) -> int:
    with clients(args) as suite:
        found = []
        for model in suite.registry.list_models(filter=args.filter, order_by=args.order_by):
            found.append(model)
            if args.limit and len(found) >= args.limit:
                break
    if args.json:
        print_json(found)
        return EXIT_OK
    table(
        ("model", "latest", "aliases", "labels", "created by", "updated", "description"),
        [
            (
                m.name.removeprefix("models/"),
                m.latest_version_number or "-",
                " ".join(f"{a}=v{n}" for a, n in sorted(m.aliases.items())) or "-",
                pairs(m.labels, limit=3) or "-",
                m.created_by,
                when(m, "update_time"),
                m.description,
            )
            for m in found
        ],
        empty="no models",
    )
    return EXIT_OK


def _get(args: argparse.Namespace) -> int:
    with clients(args) as suite:
        model = suite.registry.get_model(names.model(args.model))
    if args.json:
        print_json(model)
    else:
        show(model)
    return EXIT_OK


def _create(args: argparse.Namespace) -> int:
    spec = model_pb2.Model(description=args.description, labels=labels(args.label))
    with clients(args) as suite:
        model = suite.registry.create_model(args.model_id, spec)
    if args.json:
        print_json(model)
    else:
        print(f"created {model.name}")
    return EXIT_OK


def _update(args: argparse.Namespace) -> int:
    name = names.model(args.model)
    new_labels = labels(args.label)
    mask = []
    with clients(args) as suite:
        model = suite.registry.get_model(name)  # its etag: no change made since is overwritten
        if args.description is not None:
            model.description = args.description
            mask.append("description")
        if new_labels or args.remove_label:
            for key in args.remove_label:
                model.labels.pop(key, None)
            model.labels.update(new_labels)
            mask.append("labels")
        if not mask:
            raise CliError("nothing to change: pass --description, --label or --remove-label")
        model = suite.registry.update_model(model, mask, reason=args.reason)
    if args.json:
        print_json(model)
    else:
        print(f"updated {model.name} ({', '.join(mask)})")
    return EXIT_OK


def _delete(args: argparse.Namespace) -> int:
    name = names.model(args.model)
    with clients(args) as suite:
        suite.registry.delete_model(name, force=args.force, etag=args.etag, reason=args.reason)
    print(f"deleted {name}")
    return EXIT_OK
