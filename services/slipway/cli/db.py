"""`slipway db`: upgrade the shared database's schema and see where it stands.

    slipway db upgrade [--database-url URL] [--revision REV]
    slipway db current [--database-url URL]
    slipway db check   [--database-url URL]   exit 0: current, 3: behind, 4: ahead of this release

The URL defaults to `SLIPWAY_DATABASE_URL`, else the embedded SQLite file under `SLIPWAY_HOME`
(default `~/.slipway`). Any error (cannot connect, unsupported URL) exits 1 with one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from slipway.core.bootstrap import connect_database
from slipway.core.db import UnsupportedDatabaseError, default_database_url, mask_url
from slipway.schema import migrate as schema

__all__ = ["EXIT_AHEAD", "EXIT_BEHIND", "EXIT_ERROR", "EXIT_OK", "register"]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_BEHIND: Final = 3
EXIT_AHEAD: Final = 4


def _default_url() -> str:
    if url := os.environ.get("SLIPWAY_DATABASE_URL"):
        return url
    return default_database_url(Path(os.environ.get("SLIPWAY_HOME") or "~/.slipway"))


def _url(args: argparse.Namespace) -> str:
    return str(args.database_url) if args.database_url else _default_url()


def _describe(revision: str | None) -> str:
    return revision if revision is not None else "none (empty database)"


def _upgrade(args: argparse.Namespace) -> int:
    url = _url(args)
    schema.upgrade(url, args.revision)
    db = connect_database(url)
    try:
        current = schema.current_revision(db.engine)
    finally:
        db.dispose()
    print(f"{mask_url(url)}: schema at revision {_describe(current)}")
    return EXIT_OK


def _current(args: argparse.Namespace) -> int:
    url = _url(args)
    db = connect_database(url)
    try:
        current = schema.current_revision(db.engine)
    finally:
        db.dispose()
    head = schema.head_revision()
    note = " (head)" if current == head else f" (this release needs {head})"
    print(f"{mask_url(url)}: schema at revision {_describe(current)}{note}")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    db = connect_database(_url(args))
    try:
        schema.ensure_schema_current(db, auto_upgrade=False)
    except schema.SchemaOutOfDateError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BEHIND
    except schema.SchemaTooNewError as exc:
        print(exc, file=sys.stderr)
        return EXIT_AHEAD
    finally:
        db.dispose()
    print(f"{db.masked_url}: schema is current (revision {schema.head_revision()})")
    return EXIT_OK


def _guarded(action: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return action(args)
        except (CommandError, SQLAlchemyError, UnsupportedDatabaseError, schema.SchemaError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"slipway db {args.db_command}: {message}", file=sys.stderr)
            return EXIT_ERROR

    return run


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `db` and its subcommands; each sets `func(args) -> exit code`."""
    parser = subparsers.add_parser(
        "db",
        help="upgrade or inspect the database schema",
        description="Manage the schema of the suite's shared database (Alembic migrations).",
    )
    commands = parser.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    url_help = (
        "SQLAlchemy URL of the database (default: $SLIPWAY_DATABASE_URL, else "
        "sqlite:///$SLIPWAY_HOME/slipway.db with SLIPWAY_HOME defaulting to ~/.slipway)"
    )

    upgrade = commands.add_parser(
        "upgrade",
        help="migrate the schema to this release's revision",
        description="Migrate the schema up to this release's revision, in one transaction. "
        "Back up a production database first.",
    )
    upgrade.add_argument("--revision", default="head", help="target revision (default: head)")
    upgrade.set_defaults(func=_guarded(_upgrade))

    current = commands.add_parser("current", help="print the schema revision of the database")
    current.set_defaults(func=_guarded(_current))

    check = commands.add_parser(
        "check",
        help="exit 0 if the schema is current, 3 if it is behind, 4 if ahead of this release",
    )
    check.set_defaults(func=_guarded(_check))

    for sub in (upgrade, current, check):
        sub.add_argument("--database-url", default=None, metavar="URL", help=url_help)
