"""Deployment rehearsal on this machine, no containers: the four services as separate
`slipway <service>` processes on one PostgreSQL database, connected as `slipway_app` (the role of
deploy/postgres/roles.sql), wired to each other as deploy/README.md describes, each restarted on
its own (SIGTERM, then started again on the same ports) while the others keep working.

- Inference runs throughout (sequential ModelInfer calls, bounded in count and time). While the
  registry, then training, then monitoring restart, serving answers every request: zero errors.
- While one of them is down, the other two answer their own calls; once it is back, the registry
  answers calls, training runs a new job to SUCCEEDED, and prediction logs sent after
  monitoring's restart are stored.
- Serving's own restart is the one window where inference fails: from its SIGTERM until the new
  process is ready, calls are refused with UNAVAILABLE (there is one serving process here; in
  production a second replica behind the load balancer takes them). Once it is ready, every call
  succeeds again.
- Every process re-verifies the audit chain each second (`--audit-verify-interval-seconds 1`)
  while all services append to it; each reports `slipway_audit_chain_ok 1` at the end.

A second test rehearses the runbook's backup and restore: `pg_dump`, `pg_restore` into a new
database, `slipway audit verify` against a service on the restored database, and an export
checked offline against the last hash recorded at backup time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import numpy as np
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sklearn.datasets import load_iris
from sqlalchemy import select

from slipway.core.audit import record
from slipway.core.audit.log import verify
from slipway.core.bootstrap import connect_database
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.inference.v2 import grpc_service_pb2 as infer_pb
from slipway.inference.v2 import grpc_service_pb2_grpc as infer_grpc
from slipway.monitoring.v1 import monitoring_service_pb2 as monitoring_pb
from slipway.monitoring.v1 import monitoring_service_pb2_grpc as monitoring_grpc
from slipway.registry.v1 import registry_service_pb2 as registry_pb
from slipway.registry.v1 import registry_service_pb2_grpc as registry_grpc
from slipway.schema.migrate import upgrade
from slipway.services.monitoring.storage.tables import PredictionRow
from slipway.training.v1 import training_job_pb2
from slipway.training.v1 import training_service_pb2 as training_pb
from slipway.training.v1 import training_service_pb2_grpc as training_grpc
from support.harness import auth, make_tokens
from support.postgres import PostgresCluster, find_bindir
from support.processes import ServiceProcess
from support.registry import wait_until
from support.training import bundled, job

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
POSTGRESQL_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

ROLES_SQL = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "roles.sql"
DEPLOY_ORDER = ("registry", "training", "monitoring", "serving")
ROWS = load_iris().data[::15]
MAX_REQUESTS = 8000  # a ceiling on the traffic whatever happens; the phases below end it
PAUSE = 0.02  # between requests
WAIT_SECONDS = 60.0  # the longest any single step may take
SUCCEEDED = training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED
TERMINAL = {
    SUCCEEDED,
    training_job_pb2.TRAINING_JOB_STATE_FAILED,
    training_job_pb2.TRAINING_JOB_STATE_CANCELLED,
}
# A client that finds a restarted service within a fraction of a second (grpc's default
# reconnect backoff grows to two minutes).
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
]
RECONNECT_SLACK = 2.0  # the longest backoff, plus a loaded machine's scheduling


def free_port() -> int:
    """A loopback port that is free now, for a service that must restart on the same one. It
    lies below the kernel's ephemeral range, so that no outgoing connection (the services open
    many to PostgreSQL) and no port-0 bind takes it while the service is down."""
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        ephemeral = int(text.split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral = 32768
    low = min(20000, ephemeral // 2)
    for _ in range(200):
        port = low + secrets.randbelow(ephemeral - low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free loopback port below the ephemeral range")


def as_role(url: str, role: str) -> str:
    """``url``'s database as login role ``role`` (the throwaway cluster trusts loopback)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}"


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as pg_dump, pg_restore and psycopg take it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def prepare_database(url: str) -> str:
    """Migrate as the owner, apply the roles; returns the URL the services connect with."""
    upgrade(url)
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        connection.execute(ROLES_SQL.read_text())
    return as_role(url, "slipway_app")


def scrape(address: str) -> dict[str, float]:
    """A process's /metrics, each series name summed over its labels."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5.0) as reply:
        text = reply.read().decode()
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


@dataclass
class Suite:
    """The four services as child processes on fixed loopback ports, started and stopped one
    at a time; each start gets a fresh home folder, and shares the artifact store and caches."""

    root: Path
    database_url: str
    tokens_file: Path
    service_token_file: Path
    ports: dict[str, tuple[int, int]] = field(default_factory=dict)
    running: dict[str, ServiceProcess] = field(default_factory=dict)
    started: list[ServiceProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ports = {name: (free_port(), free_port()) for name in DEPLOY_ORDER}
        (self.root / "data").mkdir(parents=True, exist_ok=True)

    def address(self, name: str) -> str:
        return f"127.0.0.1:{self.ports[name][0]}"

    def metrics_address(self, name: str) -> str:
        return f"127.0.0.1:{self.ports[name][1]}"

    def _arguments(self, name: str) -> list[str]:
        peer = [
            "--registry-target",
            self.address("registry"),
            "--registry-token-file",
            str(self.service_token_file),
        ]
        common = [
            "--grpc-address",
            self.address(name),
            "--metrics-address",
            self.metrics_address(name),
            "--shutdown-grace-seconds",
            "5",
            "--audit-verify-interval-seconds",
            "1",
        ]
        own = {
            "registry": [
                "--artifact-dir",
                str(self.root / "artifacts"),
                "--training-target",
                self.address("training"),
                "--monitoring-target",
                self.address("monitoring"),
                "--peer-token-file",
                str(self.service_token_file),
            ],
            "training": [*peer, "--data-root", str(self.root / "data"), "--poll-seconds", "0.2"],
            "monitoring": [
                *peer,
                "--training-target",
                self.address("training"),
                "--training-token-file",
                str(self.service_token_file),
                "--evaluation-interval-seconds",
                "1",
                "--cache-dir",
                str(self.root / "monitoring-cache"),
            ],
            "serving": [
                *peer,
                "--deployments",
                "iris@production",
                "--monitoring-target",
                self.address("monitoring"),
                "--cache-dir",
                str(self.root / "serving-cache"),
                "--prediction-log-batch",
                "10",
                "--load-retry-seconds",
                "0.5",
            ],
        }[name]
        return [*common, *own]

    def start(self, name: str) -> ServiceProcess:
        assert name not in self.running
        child = ServiceProcess(
            name,
            self.root / f"{name}-{len(self.started) + 1}",
            self.database_url,
            self.tokens_file,
            *self._arguments(name),
        )
        self.running[name] = child
        self.started.append(child)
        return child

    async def start_and_wait(self, *names: str) -> None:
        children = [self.start(name) for name in names]
        addresses = await asyncio.gather(
            *(asyncio.to_thread(child.wait_ready, WAIT_SECONDS) for child in children)
        )
        for name, address in zip(names, addresses, strict=True):
            assert address == self.address(name)

    async def stop(self, name: str) -> int:
        """SIGTERM and wait: a clean stop exits 0."""
        return await asyncio.to_thread(self.running.pop(name).stop)

    def log_tails(self, lines: int = 15) -> str:
        """The last lines of every process's log, for a failure's report."""
        return "\n".join(
            f"--- {child.log_file.parent.name} (exit {child.process.poll()}):\n"
            + "\n".join(child.log_text().splitlines()[-lines:])
            for child in self.started
        )

    def kill_all(self) -> None:
        for child in self.running.values():
            with contextlib.suppress(Exception):
                child.kill()
        self.running.clear()


@dataclass
class Clients:
    registry: registry_grpc.RegistryServiceStub
    training: training_grpc.TrainingServiceStub
    monitoring: monitoring_grpc.MonitoringServiceStub
    serving: infer_grpc.GRPCInferenceServiceStub
    tokens: dict[str, str]

    def as_(self, role: str) -> tuple[tuple[str, str], ...]:
        return auth(self.tokens[role])

    async def registry_answers(self) -> None:
        reply = await self.registry.GetModel(
            registry_pb.GetModelRequest(name="models/iris"),
            metadata=self.as_("viewer"),
            timeout=10,
            wait_for_ready=True,
        )
        assert reply.model.name == "models/iris"

    async def training_answers(self) -> None:
        reply = await self.training.ListTrainingJobs(
            training_pb.ListTrainingJobsRequest(page_size=1),
            metadata=self.as_("viewer"),
            timeout=10,
            wait_for_ready=True,
        )
        assert reply.training_jobs

    async def monitoring_answers(self) -> None:
        await self.monitoring.ListAlerts(
            monitoring_pb.ListAlertsRequest(page_size=1),
            metadata=self.as_("viewer"),
            timeout=10,
            wait_for_ready=True,
        )

    async def train(self) -> training_job_pb2.TrainingJob:
        """A small job on iris, through the training service, to its end."""
        created = await self.training.CreateTrainingJob(
            training_pb.CreateTrainingJobRequest(
                training_job=job(
                    "models/iris", dataset=bundled("iris"), reason="deployment rehearsal"
                )
            ),
            metadata=self.as_("developer"),
            timeout=10,
            wait_for_ready=True,
        )
        name = created.training_job.name
        current = training_job_pb2.TrainingJob()

        async def ended() -> bool:
            nonlocal current
            current = (
                await self.training.GetTrainingJob(
                    training_pb.GetTrainingJobRequest(name=name),
                    metadata=self.as_("viewer"),
                    timeout=10,
                )
            ).training_job
            return current.state in TERMINAL

        await wait_until(ended, lambda: f"{name} to finish: {current}", WAIT_SECONDS, poll=0.2)
        return current


@dataclass
class Traffic:
    """Sequential inference requests ``q00000, q00001, ...``, each outcome noted."""

    serving: infer_grpc.GRPCInferenceServiceStub
    metadata: tuple[tuple[str, str], ...]
    phase: str = "start"
    sent: int = 0
    answered: int = 0
    # index, phase, status code, time.monotonic() of the answer
    errors: list[tuple[int, str, str, float]] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        request = infer_pb.ModelInferRequest(model_name="iris")
        request.inputs.add(name="input-0", datatype="FP64", shape=list(ROWS.shape))
        request.raw_input_contents.append(np.ascontiguousarray(ROWS, "<f8").tobytes())
        while not self.stop.is_set() and self.sent < MAX_REQUESTS:
            request.id = f"q{self.sent:05d}"
            try:
                reply = await self.serving.ModelInfer(request, metadata=self.metadata, timeout=5.0)
                assert reply.model_name == "iris"
                assert reply.outputs
                self.answered += 1
            except grpc.aio.AioRpcError as error:
                self.errors.append((self.sent, self.phase, error.code().name, time.monotonic()))
                self.details.append(
                    f"{self.sent} {self.phase}: {error.code().name} {error.details()}"
                )
            self.sent += 1
            await asyncio.sleep(PAUSE)

    async def wait_answers(self, count: int) -> None:
        target = self.answered + count

        async def enough() -> bool:
            return self.answered >= target

        await wait_until(enough, f"{count} more answered requests", within=WAIT_SECONDS)


@contextlib.asynccontextmanager
async def traffic_on(clients: Clients) -> AsyncIterator[Traffic]:
    traffic = Traffic(clients.serving, clients.as_("service"))
    task = asyncio.create_task(traffic.run())
    try:
        yield traffic
    finally:
        traffic.stop.set()
        await asyncio.wait_for(task, 30)


def stored_request_indexes(db: Database) -> set[int]:
    with db.unit_of_work(read_only=True) as session:
        return {int(rid[1:]) for rid in session.scalars(select(PredictionRow.request_id))}


@POSTGRESQL_ONLY
async def test_each_service_restarts_alone_while_the_others_keep_working(
    database_url: str, tmp_path: Path
) -> None:
    begin = time.monotonic()
    timings: dict[str, float] = {}
    app_url = await asyncio.to_thread(prepare_database, database_url)
    tokens_file = tmp_path / "tokens.json"
    tokens = make_tokens(tokens_file)
    service_token_file = tmp_path / "service.token"
    service_token_file.write_text(tokens["service"] + "\n")
    suite = Suite(tmp_path / "suite", app_url, tokens_file, service_token_file)
    owner_db = connect_database(database_url)
    channels = {
        name: grpc.aio.insecure_channel(suite.address(name), options=CHANNEL_OPTIONS)
        for name in DEPLOY_ORDER
    }
    clients = Clients(
        registry_grpc.RegistryServiceStub(channels["registry"]),
        training_grpc.TrainingServiceStub(channels["training"]),
        monitoring_grpc.MonitoringServiceStub(channels["monitoring"]),
        infer_grpc.GRPCInferenceServiceStub(channels["serving"]),
        tokens,
    )
    try:
        # Deploy order: the registry, then training and monitoring (monitoring only needs
        # training's address), then serving once a version is in production.
        await suite.start_and_wait("registry")
        await suite.start_and_wait("training", "monitoring")
        trained = await clients.train()
        assert trained.state == SUCCEEDED, trained.failure
        first_version = int(trained.model_version.rsplit("/", 1)[1])
        await clients.registry.SetModelAlias(
            registry_pb.SetModelAliasRequest(
                name="models/iris",
                alias="production",
                version_number=first_version,
                reason="rehearsal: first release",
            ),
            metadata=clients.as_("approver"),
            timeout=10,
        )
        await suite.start_and_wait("serving")
        timings["suite up"] = time.monotonic() - begin

        async with traffic_on(clients) as traffic:
            await traffic.wait_answers(20)
            others = {
                "registry": clients.registry_answers,
                "training": clients.training_answers,
                "monitoring": clients.monitoring_answers,
            }

            for name in ("registry", "training", "monitoring"):
                started = time.monotonic()
                traffic.phase = f"{name} restart"
                assert await suite.stop(name) == 0, f"{name} did not stop cleanly"
                for other, answers in others.items():  # the others work while it is down
                    if other != name:
                        await answers()
                await traffic.wait_answers(10)
                restarted_at = traffic.sent
                await suite.start_and_wait(name)
                if name == "registry":
                    await clients.registry_answers()
                elif name == "training":
                    again = await clients.train()
                    assert again.state == SUCCEEDED, again.failure
                    assert int(again.model_version.rsplit("/", 1)[1]) > first_version
                else:

                    async def logs_resumed(after: int = restarted_at) -> bool:
                        stored = await asyncio.to_thread(stored_request_indexes, owner_db)
                        return any(index >= after for index in stored)

                    await wait_until(
                        logs_resumed,
                        "prediction logs stored after the restart",
                        within=WAIT_SECONDS,
                    )
                await traffic.wait_answers(10)
                timings[f"{name} restart"] = time.monotonic() - started

            assert traffic.errors == [], traffic.details
            assert traffic.answered == traffic.sent

            # Serving itself: calls are refused from its SIGTERM until the client has
            # reconnected to the new process, which its reconnect backoff (0.5 s at most here)
            # makes a fraction of a second after that process is ready; none after.
            started = time.monotonic()
            traffic.phase = "serving restart"
            stopped_at = traffic.sent
            assert await suite.stop("serving") == 0
            await suite.start_and_wait("serving")
            ready = time.monotonic()
            await traffic.wait_answers(50)
            timings["serving restart"] = time.monotonic() - started

        window = [index for index, _, _, _ in traffic.errors]
        assert {phase for _, phase, _, _ in traffic.errors} <= {"serving restart"}
        # UNAVAILABLE while no process listens; CANCELLED for a call that reached the old
        # process just as it stopped.
        assert {code for _, _, code, _ in traffic.errors} <= {"UNAVAILABLE", "CANCELLED"}
        # One outage: the refused calls are consecutive (calls in flight at the SIGTERM still
        # finish), and end soon after the new process is ready.
        if window:
            assert window == list(range(window[0], window[-1] + 1))
            assert window[0] >= stopped_at
        assert all(at <= ready + RECONNECT_SLACK for _, _, _, at in traffic.errors)
        outage = (traffic.errors[-1][3] - traffic.errors[0][3]) if window else 0.0

        # Every process verified the chain all along, while each of them appended to it.
        for name in DEPLOY_ORDER:
            series = await asyncio.to_thread(scrape, suite.metrics_address(name))
            assert series.get("slipway_audit_chain_ok") == 1.0, name
            assert series.get("slipway_audit_chain_verified_events", 0) > 0, name
        for name in reversed(DEPLOY_ORDER):
            assert await suite.stop(name) == 0, f"{name} did not stop cleanly"
        with owner_db.unit_of_work(read_only=True) as session:
            chain = verify(session)
        assert chain.ok, chain.detail
    except BaseException:
        print(suite.log_tails())  # shown with the failure
        raise
    finally:
        suite.kill_all()
        for channel in channels.values():
            await channel.close()
        owner_db.dispose()

    timings["total"] = time.monotonic() - begin
    print(
        f"requests {traffic.sent}, answered {traffic.answered}; serving's own restart "
        f"refused {len(window)} over {outage:.1f} s; audit events {chain.last_sequence}; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
    )


# -- backup and restore ---------------------------------------------------------------------------


def _client_tool(name: str) -> str:
    return str(find_bindir() / name)


def _slipway(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
    return subprocess.run(
        [sys.executable, "-m", "slipway.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _audit_some_changes(url: str, count: int) -> None:
    db = connect_database(url)
    try:
        for n in range(count):
            with db.unit_of_work() as session:
                record(
                    session,
                    service="registry",
                    action="registry.CreateModel",
                    resource=f"models/m{n}",
                    payload={"n": n},
                    reason="rehearsal",
                    principal=Principal("alice", frozenset({"developer"})),
                )
    finally:
        db.dispose()


@POSTGRESQL_ONLY
def test_backup_and_restore_keep_the_audit_chain_verifiable(
    database_url: str, postgres_cluster: PostgresCluster, tmp_path: Path
) -> None:
    """The runbook's procedure: record the last hash, pg_dump, pg_restore into a new database,
    apply the roles, start a service on it, `slipway audit verify`, export and verify-export
    with the recorded hash; the restored suite then appends to the same chain."""
    app_url = prepare_database(database_url)
    _audit_some_changes(app_url, 12)
    tokens_file = tmp_path / "tokens.json"
    tokens = make_tokens(tokens_file)
    auditor_token = tmp_path / "auditor.token"
    auditor_token.write_text(tokens["auditor"] + "\n")

    # Before the backup: the last hash, kept where the database administrators cannot change it.
    owner = connect_database(database_url)
    try:
        with owner.unit_of_work(read_only=True) as session:
            before = verify(session)
    finally:
        owner.dispose()
    assert before.ok
    assert before.last_sequence == 12

    dump = tmp_path / "slipway.dump"
    subprocess.run(
        [
            _client_tool("pg_dump"),
            "--format=custom",
            "--file",
            str(dump),
            "--dbname",
            libpq_url(database_url),
        ],
        check=True,
        timeout=60,
    )
    restored_name = postgres_cluster.create_database()
    restored = postgres_cluster.url(restored_name)
    try:
        subprocess.run(
            [
                _client_tool("pg_restore"),
                "--exit-on-error",
                "--dbname",
                libpq_url(restored),
                str(dump),
            ],
            check=True,
            timeout=60,
        )
        with psycopg.connect(libpq_url(restored), autocommit=True) as connection:
            connection.execute(ROLES_SQL.read_text())

        service = ServiceProcess(
            "registry",
            tmp_path / "registry",
            as_role(restored, "slipway_app"),
            tokens_file,
            "--artifact-dir",
            str(tmp_path / "artifacts"),
        )
        try:
            target = service.wait_ready()
            connection_args = ["--target", target, "--token-file", str(auditor_token)]
            checked = _slipway("audit", "verify", "--json", *connection_args)
            assert checked.returncode == 0, checked.stdout + checked.stderr
            answer = json.loads(checked.stdout)
            assert (answer["status"], answer["last_sequence"], answer["last_hash"]) == (
                "OK",
                12,
                before.last_hash,
            )

            export = tmp_path / "audit.jsonl"
            exported = _slipway("audit", "export", "-o", str(export), *connection_args)
            assert exported.returncode == 0, exported.stderr
            offline = _slipway(
                "audit", "verify-export", str(export), "--expected-last-hash", before.last_hash
            )
            assert offline.returncode == 0, offline.stdout + offline.stderr
            assert offline.stdout.startswith("OK: 12 events")

            # The restored suite goes on appending to the same chain.
            _audit_some_changes(as_role(restored, "slipway_app"), 3)
            checked = _slipway("audit", "verify", "--json", *connection_args)
            assert checked.returncode == 0, checked.stdout + checked.stderr
            assert json.loads(checked.stdout)["last_sequence"] == 15
            assert service.stop() == 0
        finally:
            service.kill()
    finally:
        postgres_cluster.drop_database(restored_name)
