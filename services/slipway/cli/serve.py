"""`slipway serve`: what serving serves, and loading or unloading a model at run time.

    slipway serve list                               # every model, its version and state
    slipway serve add churn                          # churn@production
    slipway serve add churn@challenger --reason "A/B week"
    slipway serve add churn:3 --reason "pin while v4 is investigated"
    slipway serve remove churn --reason "retired"

By default serving follows the `production` alias of every model (its --follow-alias and
--follow-models settings narrow or turn that off). A load or unload made here is stored and
audited: every serving process of the suite converges to it and it survives restarts, and it
overrides the followed alias and serving's --deployments for that model until the next
`serve add` or `serve remove` of it. They call the repository extension of the Open
Inference Protocol (RepositoryIndex, RepositoryModelLoad, RepositoryModelUnload), which
needs an admin token.
"""

from __future__ import annotations

import argparse

from slipway.cli import names
from slipway.cli.connect import clients, command
from slipway.cli.output import EXIT_OK, print_json, table
from slipway.inference.v2 import grpc_service_pb2 as infer_pb


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="what serving serves; load and unload models at run time",
        description=(__doc__ or "").split("\n\n", 1)[-1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="serve_command", required=True, metavar="ACTION")

    listing = command(actions, "list", _list, "every model serving serves, with its state")
    listing.add_argument("--ready", action="store_true", help="only the ones that answer")

    add = command(actions, "add", _add, "serve a model (stored: survives restarts)")
    add.add_argument(
        "model", help="MODEL (its production alias), MODEL@ALIAS (followed) or MODEL:NUMBER"
    )
    add.add_argument("--reason", default="", help="why; kept on the audit event")

    remove = command(actions, "remove", _remove, "stop serving a model (stored)")
    remove.add_argument("model", help="MODEL or models/MODEL")
    remove.add_argument("--reason", default="", help="why; kept on the audit event")


def serving_name(text: str) -> str:
    """Serving's name for ``text``: ``iris@production``, ``iris@3``; a bare model means its
    production alias."""
    ref = names.version_ref(text, default_alias="production")
    return f"{ref.model_id}@{ref.number or ref.alias}"


def _rows(models: list[infer_pb.RepositoryIndexResponse.ModelIndex]) -> list[tuple[str, ...]]:
    return [(m.name, m.version or "-", m.state, m.reason or "-") for m in models]


def _list(args: argparse.Namespace) -> int:
    with clients(args) as suite:
        models = suite.inference.repository_index(ready=args.ready)
    if args.json:
        print_json(models)
        return EXIT_OK
    table(("served", "version", "state", "note"), _rows(models), empty="nothing is served")
    return EXIT_OK


def _add(args: argparse.Namespace) -> int:
    name = serving_name(args.model)
    with clients(args) as suite:
        suite.inference.load_model(name, reason=args.reason)
        model_id = name.split("@", 1)[0]
        models = [
            m for m in suite.inference.repository_index() if m.name.split("@", 1)[0] == model_id
        ]
    if args.json:
        print_json(models)
        return EXIT_OK
    version = next((m.version for m in models if m.name == name), "")
    print(f"serving {name}" + (f": models/{model_id}/versions/{version}" if version else ""))
    return EXIT_OK


def _remove(args: argparse.Namespace) -> int:
    model_id = names.version_ref(args.model).model_id
    with clients(args) as suite:
        suite.inference.unload_model(model_id, reason=args.reason)
    if args.json:
        print_json({"model": f"models/{model_id}", "served": False})
        return EXIT_OK
    print(f"no longer serving {model_id}")
    return EXIT_OK
