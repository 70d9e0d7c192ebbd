"""Fixtures shared by the whole suite. Helpers live in `tests/support/`.

Database fixtures: a test that takes `database_url` (or `migrated_db`) runs twice, on an SQLite
file (`[sqlite]`) and on a fresh database in a throwaway PostgreSQL cluster (`[postgresql]`, marked
`postgres`; select with `-m postgres` or `-m "not postgres"`). A test that overrides the
parameter (`@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)`) or takes
`postgres_cluster` gets the marker at collection too (`pytest_collection_modifyitems` below).
The cluster starts once per session, only if a PostgreSQL test runs. Without PostgreSQL
binaries those tests skip, except under CI
(`CI=true`, `1` or `yes`: `support.ci`), where they fail: CI must run them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from slipway.core.bootstrap import connect_database
from slipway.core.db import Database
from slipway.core.roles import RULES
from slipway.core.rpc_reasons import SENT_ENV, undeclared
from slipway.schema.migrate import upgrade
from support.ci import unavailable
from support.postgres import PostgresCluster, PostgresUnavailableError, find_bindir, running_cluster

_CLUSTER_START = pytest.StashKey[float]()
_SENT = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    # Every server this run starts (in this process, in xdist workers, in subprocesses: they
    # inherit the environment) appends each error reason it sends to one file, compared with
    # the table of reasons per RPC at the end (slipway.core.rpc_reasons).
    if hasattr(config, "workerinput"):
        return  # a worker: the controller set the variable before starting it
    path = Path(tempfile.mkdtemp(prefix="slipway-reasons-")) / "sent.tsv"
    os.environ[SENT_ENV] = str(path)
    config.stash[_SENT] = path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.stash.get(_SENT, None)
    if path is None or not path.exists():
        return
    sent = [
        tuple(line.split("\t")) for line in path.read_text().splitlines() if line.count("\t") == 2
    ]
    if keep := os.environ.get("SLIPWAY_SENT_REASONS_COPY"):
        Path(keep).write_text(path.read_text())  # for whoever updates the table
    methods = {f"/{s}/{m}" for s, ms in RULES.items() for m in ms}
    missing = undeclared(sent, methods)  # type: ignore[arg-type]
    if not missing:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = "\n".join(f"  {m}  {c}  {r}" for m, c, r in missing)
    message = (
        "RPCs sent error reasons that slipway.core.rpc_reasons does not declare "
        f"(declare them, then `make docs`):\n{lines}"
    )
    if reporter is not None:
        reporter.write_line(message, red=True)
    # The table is the contract's list of reasons per RPC (docs/rpcs.md): a reason sent but not
    # declared there fails the run, as a stale generated file does.
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def postgres_cluster(pytestconfig: pytest.Config) -> Iterator[PostgresCluster]:
    """The session's PostgreSQL cluster (started on first use, removed at the end)."""
    try:
        find_bindir()
    except PostgresUnavailableError as exc:
        unavailable(f"PostgreSQL is missing: {exc}")
    with running_cluster() as cluster:
        pytestconfig.stash[_CLUSTER_START] = cluster.started_in
        yield cluster


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """URL of an empty database of its own: an SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'slipway.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = cluster.create_database()
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)


@pytest.fixture
def migrated_db(database_url: str) -> Iterator[Database]:
    """A `Database` on `database_url`, migrated to head the way `slipway db upgrade` does it."""
    upgrade(database_url)
    db = connect_database(database_url)
    try:
        yield db
    finally:
        db.dispose()


def uses_postgres(item: pytest.Item) -> bool:
    """Whether the test runs on PostgreSQL: it needs the cluster (directly or through a fixture
    that asks for it) or it is the `postgresql` case of `database_url`."""
    if "postgres_cluster" in getattr(item, "fixturenames", ()):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("database_url") == "postgresql"


# tryfirst: the marker must be on the item before `-m` deselects. An indirect parametrize of
# `database_url` replaces the fixture's params, marks included, so the marker is added here
# rather than trusted to every test's own parametrize.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if uses_postgres(item) and item.get_closest_marker("postgres") is None:
            item.add_marker(pytest.mark.postgres)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    started_in = config.stash.get(_CLUSTER_START, None)
    if started_in is not None:
        terminalreporter.write_line(f"throwaway PostgreSQL cluster started in {started_in:.2f} s")
