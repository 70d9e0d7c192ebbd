"""The `slipway` command: run a service, start the whole suite, manage the database and tokens."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from slipway.cli import audit, db, demo, tokens, up

# Each service is its own process: `slipway registry ...` hands every further flag to it.
SERVICE_MODULES = {
    "registry": "slipway.services.registry.main",
    "training": "slipway.services.training.main",
    "serving": "slipway.services.serving.main",
    "monitoring": "slipway.services.monitoring.main",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slipway",
        description="Slipway: take scikit-learn models from a notebook to production.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SERVICE_MODULES:
        sub.add_parser(name, help=f"run the {name} service (flags: slipway {name} --help)")
    up.register(sub)
    demo.register(sub)
    db.register(sub)
    audit.register(sub)
    tokens.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in SERVICE_MODULES:
        module = importlib.import_module(SERVICE_MODULES[args_list[0]])
        code: int = module.main(args_list[1:])
        return code
    args = build_parser().parse_args(args_list)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
