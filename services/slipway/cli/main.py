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

from slipway.cli.output import EXIT_CODES_HELP, EXIT_FAILED, report_error
from slipway.cli.supervisor import die_with_supervisor

# The commands, in the order `slipway --help` lists them; each in the module of its name. Only
# the module of the command being run is imported, so a command starts without the imports of
# all the others (the suite's start-up code, the audit verifier, the demo).
COMMANDS = (
    "up",
    "demo",
    "db",
    "models",
    "versions",
    "aliases",
    "train",
    "jobs",
    "predict",
    "serve",
    "monitor",
    "labels",
    "lineage",
    "audit",
    "tokens",
)

# Each service is its own process: `slipway registry ...` hands every further flag to it.
SERVICE_MODULES = {
    "registry": "slipway.services.registry.main",
    "training": "slipway.services.training.main",
    "serving": "slipway.services.serving.main",
    "monitoring": "slipway.services.monitoring.main",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of ``command`` alone, or of every command when it is None."""
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
    for name in COMMANDS:
        if command is None or name == command:
            importlib.import_module(f"slipway.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in SERVICE_MODULES:
        die_with_supervisor()  # a service started by `slipway up` stops when `up` dies
        module = importlib.import_module(SERVICE_MODULES[args_list[0]])
        code: int = module.main(args_list[1:])
        return code
    command = args_list[0] if args_list and args_list[0] in COMMANDS else None
    args = build_parser(command).parse_args(args_list)
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
