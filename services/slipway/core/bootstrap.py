"""Process entry point shared by every service: flags, logging, schema check, serve.

A service supplies its settings class and a ``build`` function returning what it serves; this
module does the rest the same way for all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from prometheus_client.registry import Collector

from slipway.audit.v1 import audit_service_pb2
from slipway.core import event_log
from slipway.core.audit import log as audit_log
from slipway.core.audit.api import AuditServicer
from slipway.core.audit.chain import UNKEYED, ChainKey, Keyring
from slipway.core.audit.checkpoints import CheckpointError, CheckpointWriter, load_signing_key
from slipway.core.audit.keys import read_key_file, read_keyring
from slipway.core.audit.recorder import DatabaseEdgeAuditor
from slipway.core.audit.sinks import S3Sink, open_sink
from slipway.core.audit.verifier import ChainVerifier
from slipway.core.db import Database, make_engine
from slipway.core.logs import configure_logging, get_logger
from slipway.core.server import ServiceRegistration, SlipwayServer, run_until_signalled
from slipway.core.settings import ServiceSettings
from slipway.schema.migrate import SchemaError, ensure_schema_current

log = get_logger("slipway.bootstrap")
S = TypeVar("S", bound=ServiceSettings)

AUDIT_SERVICE = audit_service_pb2.DESCRIPTOR.services_by_name["AuditService"]


class ConfigurationError(ValueError):
    """A setting the service cannot run with, found while it builds (exit code 2)."""


EXIT_OK = 0
EXIT_CONFIG = 2  # bad flags or settings
EXIT_SCHEMA = 3  # database schema older (or newer) than the code


@dataclass
class ServiceApp:
    """What a service process serves, and hooks around its lifetime."""

    services: list[ServiceRegistration]
    on_ready: Callable[[], Awaitable[None]] | None = None
    # Before the server drains: end long-lived streams (watchers) so the drain is quick.
    on_stopping: Callable[[], Awaitable[None]] | None = None
    on_stop: Callable[[], Awaitable[Any]] | None = None
    # Prometheus series of the service itself, served on its /metrics with the gRPC ones.
    collectors: list[Collector] = field(default_factory=list)


def audit_registration(db: Database) -> ServiceRegistration:
    """The audit log API, answered by every service from the shared database (verifying with
    the keys the database was connected with)."""
    return ServiceRegistration(AUDIT_SERVICE, AuditServicer(db))


@dataclass(frozen=True)
class AuditKeys:
    """The key a process appends under (None: unkeyed) and the keys it verifies with."""

    key: ChainKey | None
    keyring: Keyring


def read_audit_keys(settings: ServiceSettings) -> AuditKeys:
    """The audit keys named by ``settings``; ConfigurationError when a file is missing or is
    not a key."""
    try:
        key = read_key_file(settings.audit_key_file) if settings.audit_key_file else None
        retired = [settings.audit_retired_keys_dir] if settings.audit_retired_keys_dir else []
        keyring = read_keyring(
            [settings.audit_key_file] if settings.audit_key_file else [],
            retired,
            unkeyed_until=settings.audit_unkeyed_until,
        )
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"audit key: {exc}") from None
    return AuditKeys(key, keyring)


def with_audit_verifier(app: ServiceApp, db: Database, interval_seconds: float) -> ServiceApp:
    """``app`` plus a background task that re-verifies the audit chain every
    ``interval_seconds`` and exports the result on the service's /metrics
    (``slipway_audit_chain_ok``, see :mod:`slipway.core.audit.verifier`); 0 returns ``app``."""
    if interval_seconds <= 0:
        return app
    verifier = ChainVerifier(db)
    first_ready, first_stopping = app.on_ready, app.on_stopping
    tasks: list[asyncio.Task[None]] = []

    async def on_ready() -> None:
        # Started before the service's own readiness, which may take long (serving loads
        # its models first).
        tasks.append(asyncio.create_task(verifier.run(interval_seconds)))
        if first_ready is not None:
            await first_ready()

    async def on_stopping() -> None:
        verifier.stop()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if first_stopping is not None:
            await first_stopping()

    return replace(
        app, on_ready=on_ready, on_stopping=on_stopping, collectors=[*app.collectors, verifier]
    )


def with_checkpoint_writer(
    app: ServiceApp, db: Database, settings: ServiceSettings, keyring: Keyring
) -> ServiceApp:
    """``app`` plus the writer of signed checkpoints of the audit chain head, when ``settings``
    name a checkpoint file or bucket (see :mod:`slipway.core.audit.checkpoints`): every
    ``audit_checkpoint_interval_seconds`` and once more after the server stopped, so the last
    events it audited are covered."""
    target = settings.audit_checkpoint_s3_url or settings.audit_checkpoint_file
    key_file = settings.audit_checkpoint_signing_key_file
    if not target or key_file is None:
        return app
    try:
        sink = open_sink(
            target,
            endpoint_url=settings.audit_checkpoint_s3_endpoint_url,
            region=settings.audit_checkpoint_s3_region,
            retention_days=settings.audit_checkpoint_retention_days,
            lock_mode=settings.audit_checkpoint_lock_mode,
        )
        if isinstance(sink, S3Sink):
            log.info("audit checkpoints go to a bucket", sink=sink.name, kept=sink.check_lock())
        writer = CheckpointWriter(db, load_signing_key(key_file), sink, keyring)
    except CheckpointError as exc:
        log.error("audit checkpoints: the sink cannot be trusted", error=str(exc))
        raise ConfigurationError(f"audit checkpoints: {exc}") from None
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"audit checkpoints: {exc}") from None
    interval = settings.audit_checkpoint_interval_seconds
    first_ready, first_stop = app.on_ready, app.on_stop
    tasks: list[asyncio.Task[None]] = []

    async def on_ready() -> None:
        if interval > 0:
            tasks.append(asyncio.create_task(writer.run(interval)))
        if first_ready is not None:
            await first_ready()

    async def on_stop() -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if first_stop is not None:
            await first_stop()
        await asyncio.to_thread(writer.write_logged)

    return replace(app, on_ready=on_ready, on_stop=on_stop)


def parse_settings(settings_class: type[S], argv: Sequence[str] | None, prog: str) -> S:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(settings_class.__doc__ or "").strip(),
    )
    settings_class.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return settings_class.from_sources(args)
    except ValueError as exc:
        parser.error(str(exc))
        raise  # unreachable: parser.error exits


def connect_database(
    url: str, audit_key: ChainKey | None = None, audit_keyring: Keyring | None = None
) -> Database:
    """The suite's database at ``url``, wired so that a unit of work writes, as it commits, the
    audit events recorded on its session (hashed under ``audit_key``; unkeyed without one) and
    then the stream events published on it (this order is also the order their head rows are
    locked in, in every transaction); and so that walks of the audit chain verify with
    ``audit_keyring`` (default: ``audit_key`` alone). Every process that writes to the database
    builds it here."""
    if audit_keyring is None:
        audit_keyring = Keyring.of([audit_key]) if audit_key else UNKEYED
    engine = make_engine(url).execution_options(**{audit_log.KEYRING_OPTION: audit_keyring})
    return Database(
        engine, commit_writers=(audit_log.chain_writer(audit_key), event_log.COMMIT_WRITER)
    )


def open_database(settings: ServiceSettings, keys: AuditKeys | None = None) -> Database:
    """Connect to the shared database and make sure its schema matches the code."""
    keys = keys or AuditKeys(None, UNKEYED)
    db = connect_database(settings.effective_database_url, keys.key, keys.keyring)
    ensure_schema_current(db, auto_upgrade=settings.embedded_database or settings.auto_migrate)
    return db


def run_service(
    settings_class: type[S],
    build: Callable[[S, Database], ServiceApp],
    argv: Sequence[str] | None = None,
) -> int:
    """Run one service process until SIGTERM/SIGINT; returns the process exit code."""
    settings = parse_settings(settings_class, argv, f"slipway {settings_class.service_name}")
    configure_logging(settings.log_format, settings.log_level, service=settings.service_name)
    log.info("starting", settings=settings.describe())
    try:
        keys = read_audit_keys(settings)
    except ConfigurationError as exc:
        print(f"slipway {settings.service_name}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if keys.key is None:
        log.warning(
            "the audit chain is unkeyed: it detects accidental damage only, since anyone who "
            "can write to the database can rewrite it; set audit_key_file"
        )
    else:
        log.info("audit chain keyed", key_id=keys.key.key_id, verify_keys=keys.keyring.key_ids)
    try:
        db = open_database(settings, keys)
    except SchemaError as exc:
        log.error("database schema does not match this release", error=str(exc))
        print(f"slipway {settings.service_name}: {exc}", file=sys.stderr)
        return EXIT_SCHEMA
    try:
        app = with_audit_verifier(build(settings, db), db, settings.audit_verify_interval_seconds)
        app = with_checkpoint_writer(app, db, settings, keys.keyring)
        auditor = DatabaseEdgeAuditor(
            db,
            settings.service_name,
            refusal_window_seconds=settings.refusal_window_seconds,
            refusal_keys_per_window=settings.refusal_keys_per_window,
        )
        server = SlipwayServer(settings, app.services, auditor=auditor, collectors=app.collectors)
        asyncio.run(
            run_until_signalled(
                server, on_ready=app.on_ready, on_stopping=app.on_stopping, on_stop=app.on_stop
            )
        )
    except (FileNotFoundError, ConfigurationError) as exc:
        print(f"slipway {settings.service_name}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    finally:
        db.dispose()
    return EXIT_OK
