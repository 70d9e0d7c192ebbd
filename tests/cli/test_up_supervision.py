"""`slipway up` off the happy path: services killed with SIGKILL under it, `up` itself killed,
a second suite on the same home, a busy port. Real processes, real kills."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from slipway.inference.v2 import grpc_service_pb2_grpc as infer_grpc
from slipway.registry.v1 import registry_service_pb2, registry_service_pb2_grpc
from slipway.training.v1 import (
    training_job_pb2,
    training_service_pb2,
    training_service_pb2_grpc,
)
from support.serving import matrix_request
from support.suite import running, start_suite, stop_suite, wait_for, wait_for_suite
from support.training import bundled, job

# Each test starts one to three suites; each start is bounded by STARTUP_TIMEOUT.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

# Serving follows iris@production; a killed training worker's job is taken back quickly.
SUITE_ENV = {
    "SLIPWAY_SERVING_DEPLOYMENTS": "iris@production",
    "SLIPWAY_SERVING_LOAD_RETRY_SECONDS": "1",
    "SLIPWAY_TRAINING_HEARTBEAT_SECONDS": "0.5",
    "SLIPWAY_TRAINING_HEARTBEAT_TIMEOUT_SECONDS": "3",
}
ROWS = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])
MAX_REQUESTS = 20_000


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _services(home: Path) -> dict[str, Any]:
    try:
        services: dict[str, Any] = json.loads((home / "suite.json").read_text())["services"]
    except (OSError, ValueError, KeyError):
        return {}
    return services


def _restarted(home: Path, name: str, old_pid: int) -> dict[str, Any] | None:
    info = _services(home).get(name)
    if info and info["pid"] != old_pid and info["restarts"] >= 1 and running(info["pid"]):
        return dict(info)
    return None


def _serving(address: str) -> bool:
    with grpc.insecure_channel(address) as channel:
        try:
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
        except grpc.RpcError:
            return False
    return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)


def _training_done(
    stub: training_service_pb2_grpc.TrainingServiceStub, name: str, metadata: Any
) -> training_job_pb2.TrainingJob | None:
    try:
        found = stub.GetTrainingJob(
            training_service_pb2.GetTrainingJobRequest(name=name), metadata=metadata, timeout=10
        ).training_job
    except grpc.RpcError as error:  # the training service is being restarted
        if error.code() == grpc.StatusCode.UNAVAILABLE:
            return None
        raise
    assert found.state != training_job_pb2.TRAINING_JOB_STATE_FAILED, found.failure
    return found if found.state == training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED else None


class Traffic:
    """Inference requests in a loop (bounded in count) until stopped; every answer counted."""

    def __init__(self, address: str, metadata: Any) -> None:
        self.address = address
        self.metadata = metadata
        self.answered = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        with grpc.insecure_channel(self.address) as channel:
            stub = infer_grpc.GRPCInferenceServiceStub(channel)
            for number in range(MAX_REQUESTS):
                if self._stop.is_set():
                    return
                try:
                    stub.ModelInfer(
                        matrix_request("iris", ROWS, request_id=f"traffic-{number}"),
                        metadata=self.metadata,
                        timeout=30,
                    )
                    self.answered += 1
                except grpc.RpcError as error:
                    self.failures.append(f"{error.code()}: {error.details()}")


def _train(home: Path, suite: dict[str, Any], seed: int) -> str:
    """Train iris on the running suite; the new version's name."""
    metadata = (("authorization", f"Bearer {Path(suite['token_file']).read_text().strip()}"),)
    with grpc.insecure_channel(suite["services"]["training"]["grpc_address"]) as channel:
        training = training_service_pb2_grpc.TrainingServiceStub(channel)
        created = training.CreateTrainingJob(
            training_service_pb2.CreateTrainingJobRequest(
                training_job=job("models/iris", dataset=bundled("iris"), seed=seed)
            ),
            metadata=metadata,
            timeout=30,
        ).training_job
        done: training_job_pb2.TrainingJob = wait_for(
            lambda: _training_done(training, created.name, metadata), "a training job"
        )
    return done.model_version


def test_killed_services_are_restarted_in_place_while_serving_answers(home: Path) -> None:
    # Serving is ready only once what it serves is loaded: a first suite trains the version
    # that iris@production names, the second serves it.
    first_suite = start_suite(home)
    try:
        suite = wait_for_suite(first_suite, home)
        trained = _train(home, suite, seed=7)
        metadata = (("authorization", f"Bearer {Path(suite['token_file']).read_text().strip()}"),)
        with grpc.insecure_channel(suite["services"]["registry"]["grpc_address"]) as channel:
            registry_service_pb2_grpc.RegistryServiceStub(channel).SetModelAlias(
                registry_service_pb2.SetModelAliasRequest(
                    name="models/iris",
                    alias="production",
                    version_number=int(trained.rsplit("/", 1)[1]),
                    reason="first version",
                ),
                metadata=metadata,
                timeout=30,
            )
    finally:
        code, output = stop_suite(first_suite)
    assert code == 0, output

    process = start_suite(home, env=SUITE_ENV)
    try:
        suite = wait_for_suite(process, home)
        addresses = {name: info["grpc_address"] for name, info in suite["services"].items()}
        with (
            grpc.insecure_channel(addresses["training"]) as training_channel,
            grpc.insecure_channel(addresses["registry"]) as registry_channel,
        ):
            training = training_service_pb2_grpc.TrainingServiceStub(training_channel)
            registry = registry_service_pb2_grpc.RegistryServiceStub(registry_channel)
            with Traffic(addresses["serving"], metadata) as traffic:
                wait_for(lambda: traffic.answered > 0, "serving to answer for iris@production")
                # Training killed with a job just handed to it: the job still ends with
                # exactly one version once training is back.
                second = training.CreateTrainingJob(
                    training_service_pb2.CreateTrainingJobRequest(
                        training_job=job("models/iris", dataset=bundled("iris"), seed=11)
                    ),
                    metadata=metadata,
                    timeout=30,
                ).training_job
                old = suite["services"]["training"]["pid"]
                os.kill(old, signal.SIGKILL)
                back = wait_for(lambda: _restarted(home, "training", old), "training's restart")
                assert back["grpc_address"] == addresses["training"]
                wait_for(lambda: _serving(addresses["training"]), "training to serve again")
                done = wait_for(
                    lambda: _training_done(training, second.name, metadata), "the second job"
                )
                # Monitoring killed while serving sends it prediction logs.
                old = suite["services"]["monitoring"]["pid"]
                os.kill(old, signal.SIGKILL)
                back = wait_for(lambda: _restarted(home, "monitoring", old), "monitoring's restart")
                assert back["grpc_address"] == addresses["monitoring"]
                wait_for(lambda: _serving(addresses["monitoring"]), "monitoring to serve again")
                answered_before = traffic.answered
                wait_for(
                    lambda: traffic.answered > answered_before + 20,
                    "traffic after monitoring's restart",
                )
            versions = registry.ListModelVersions(
                registry_service_pb2.ListModelVersionsRequest(parent="models/iris"),
                metadata=metadata,
                timeout=30,
            ).model_versions
        assert traffic.failures == [], traffic.failures[:5]
        # One version per job: the killed worker's attempt registered nothing twice.
        assert sorted(v.name for v in versions) == sorted({trained, done.model_version})
        for name in ("registry", "serving"):
            assert _services(home)[name]["restarts"] == 0
            assert _services(home)[name]["pid"] == suite["services"][name]["pid"]
        verified = subprocess.run(
            [sys.executable, "-m", "slipway.cli.main", "audit", "verify"],
            env=dict(os.environ, SLIPWAY_HOME=str(home)),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        code, output = stop_suite(process)
    assert code == 0, output
    assert "training killed by signal SIGKILL; restarting it in" in output
    assert "training restarted (restart 1)" in output
    assert "monitoring killed by signal SIGKILL; restarting it in" in output
    assert "monitoring restarted (restart 1)" in output


def test_killing_up_stops_its_services_and_a_rerun_starts_clean(home: Path) -> None:
    process = start_suite(home)
    try:
        suite = wait_for_suite(process, home)
        process.kill()
        process.communicate(timeout=30)
        pids = {name: info["pid"] for name, info in suite["services"].items()}
        wait_for(
            lambda: not any(running(pid) for pid in pids.values()),
            f"the services of the killed suite to stop ({pids})",
        )
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    # The suite file of the dead suite is still there: tools refuse it rather than calling
    # addresses nobody listens on.
    assert (home / "suite.json").exists()
    listed = subprocess.run(
        [sys.executable, "-m", "slipway.cli.main", "models", "list"],
        env=dict(os.environ, SLIPWAY_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 2, listed.stdout + listed.stderr
    assert f"slipway up pid {suite['pid']}) that is no longer running" in listed.stderr
    assert "Traceback" not in listed.stderr

    again = start_suite(home)
    try:
        wait_for_suite(again, home)
    finally:
        code, output = stop_suite(again)
    assert code == 0, output
    assert "left by a suite that is no longer running" in output


def test_one_suite_per_home_and_a_busy_port_is_named(home: Path, tmp_path: Path) -> None:
    process = start_suite(home)
    try:
        wait_for_suite(process, home)
        second = start_suite(home)
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 1, output
        assert f"another suite is running in {home} (slipway up pid {process.pid}" in output
        assert "Traceback" not in output
        # The first suite's description is untouched.
        assert json.loads((home / "suite.json").read_text())["pid"] == process.pid
    finally:
        code, output = stop_suite(process)
    assert code == 0, output

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        refused = subprocess.run(
            [
                sys.executable,
                "-m",
                "slipway.cli.main",
                "up",
                "--home",
                str(tmp_path / "other"),
                "--grpc-port-base",
                str(port),
                "--metrics-port-base",
                "0",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert (
        f"port {port} (registry gRPC) on 127.0.0.1 is in use; stop what holds it or choose "
        "other ports with --grpc-port-base"
    ) in refused.stderr
    assert "Traceback" not in refused.stderr
