"""The `slipway` command: run a service, start the whole suite, and use it.

Exit codes are documented in one place, ``slipway.cli.output``: 0 done, 1 the thing asked for
failed, 2 bad usage, 3 the call failed (status code and reason printed on one line).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from slipway.cli import (
    aliases,
    audit,
    db,
    demo,
    jobs,
    lineage,
    models,
    monitor,
    predict,
    tokens,
    train,
    up,
    versions,
)
from slipway.cli.output import EXIT_CODES_HELP, EXIT_FAILED, report_error
from slipway.cli.supervisor import die_with_supervisor

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
        epilog=f"{EXIT_CODES_HELP}. The suite is found through --target, SLIPWAY_TARGET (or "
        "SLIPWAY_<SERVICE>_TARGET), else $SLIPWAY_HOME/suite.json from `slipway up`; "
        "the token through --token-file, SLIPWAY_TOKEN, SLIPWAY_TOKEN_FILE, else the "
        "suite's admin token.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SERVICE_MODULES:
        sub.add_parser(name, help=f"run the {name} service (flags: slipway {name} --help)")
    up.register(sub)
    demo.register(sub)
    db.register(sub)
    models.register(sub)
    versions.register(sub)
    aliases.register(sub)
    train.register(sub)
    jobs.register(sub)
    predict.register(sub)
    monitor.register(sub)
    lineage.register(sub)
    audit.register(sub)
    tokens.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in SERVICE_MODULES:
        die_with_supervisor()  # a service started by `slipway up` stops when `up` dies
        module = importlib.import_module(SERVICE_MODULES[args_list[0]])
        code: int = module.main(args_list[1:])
        return code
    args = build_parser().parse_args(args_list)
    try:
        result: int = args.func(args)
    except BrokenPipeError:  # `slipway ... | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nor fail flushing stdout at exit
        return EXIT_FAILED
    except Exception as error:  # report_error re-raises what it does not know
        return report_error(error)
    except KeyboardInterrupt as interrupt:
        return report_error(interrupt)
    return result


if __name__ == "__main__":
    sys.exit(main())
