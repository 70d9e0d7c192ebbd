"""Registry benchmark: Slipway over gRPC against MLflow 3.x (SQLite store), side by side.

Measured in one run on this machine, one call at a time from one client:

- get a version by alias (`models/bench@staging`): p50 and p99 latency, calls per second;
- set a (non-protected) alias, moving `staging` between versions 1 and 2;
- create a version with a small skops model (about 12 kB), streamed and checked by sha256;
- upload and download of a 100 MB artifact (an uncompressed `.npz` of random float64, 1 MiB
  chunks), on the Slipway side as the reference sample of a version (format NPZ).

Slipway: a registry server started here as a subprocess (embedded SQLite, artifacts in a
temporary folder, one bearer token with the developer and approver roles), called through one
gRPC channel on loopback.

MLflow: installed on first use into `.tools/bench-mlflow` (a virtual environment of its own,
ignored by git), then measured in that environment's Python by `registry_mlflow_driver.py`
twice: in-process (`MlflowClient` on a `sqlite:///` URI) and through its REST server
(`mlflow server` on loopback, also on SQLite), the latter also as plain HTTP requests on a new
connection each. Both sides use the same measuring loop.

Run: `.venv/bin/python bench/registry.py` (about 4-5 minutes; `--quick` about 1 minute;
`--skip-mlflow` for the Slipway side alone). Everything is bounded by a global time cap; the
one-time MLflow install has its own. It listens on loopback only and leaves nothing behind but
`.tools/bench-mlflow`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import numpy as np
from registry_mlflow_driver import timed  # the MLflow side's measuring loop, shared
from sklearn.linear_model import LogisticRegression

from slipway.core.auth import add_token
from slipway.ml.model_files import dump_model
from slipway.registry.v1 import artifact_pb2, model_pb2, model_version_pb2, reference_profile_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc

ROOT = Path(__file__).resolve().parent.parent
DRIVER = Path(__file__).resolve().parent / "registry_mlflow_driver.py"
MLFLOW_VENV = ROOT / ".tools" / "bench-mlflow"
MLFLOW_REQUIREMENT = "mlflow>=3,<4"
INSTALL_SECONDS = 900
CHUNK = 1 << 20
MODEL = "bench"
ALIAS = "staging"
ARTIFACT_ROWS, ARTIFACT_COLUMNS = 1_250_000, 10  # float64: 100,000,000 bytes of data
MiB = 1 << 20


@dataclass(frozen=True)
class Plan:
    """How many calls of each kind, the time cap of each measurement, and the global cap."""

    seconds: float
    counts: dict[str, int]
    slipway_caps: dict[str, float]
    inprocess_caps: dict[str, float]
    rest_caps: dict[str, float]
    raw_caps: dict[str, float]
    transfers: int


FULL = Plan(
    seconds=600,
    counts={"get": 2000, "set": 1000, "create": 500},
    slipway_caps={"get": 30, "set": 30, "create": 30},
    inprocess_caps={"get": 25, "set": 25, "create": 25},
    rest_caps={"get": 45, "set": 35, "create": 35},
    raw_caps={"get": 20, "set": 20, "create": 20},
    transfers=5,
)
QUICK = Plan(
    seconds=100,
    counts={"get": 300, "set": 100, "create": 50},
    slipway_caps={"get": 3, "set": 3, "create": 3},
    inprocess_caps={"get": 2, "set": 2, "create": 2},
    rest_caps={"get": 3, "set": 3, "create": 3},
    raw_caps={"get": 1.5, "set": 1.5, "create": 1.5},
    transfers=1,
)


class Deadline:
    """The global time cap: what is left of it, and a cap shortened to fit in it."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return self.at - time.monotonic()

    def caps(self, caps: dict[str, float], reserve: float = 0.0) -> dict[str, float]:
        room = max(0.0, self.left() - reserve)
        return {name: min(cap, room) for name, cap in caps.items()}


# -- shared inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    model_file: Path
    model_bytes: bytes
    model_sha256: str
    artifact_file: Path
    artifact_sha256: str
    artifact_size: int


def make_inputs(folder: Path) -> Inputs:
    """The small skops model and the 100 MB `.npz` artifact, written once, used by all sides."""
    rng = np.random.default_rng(0)
    features = rng.random((300, 130))
    model = LogisticRegression(max_iter=300).fit(features, rng.integers(0, 3, 300))
    model_bytes = dump_model(model)
    model_file = folder / "model.skops"
    model_file.write_bytes(model_bytes)
    artifact_file = folder / "reference_sample.npz"
    with artifact_file.open("wb") as handle:
        np.savez(handle, features=rng.random((ARTIFACT_ROWS, ARTIFACT_COLUMNS)))
    digest = hashlib.sha256()
    with artifact_file.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return Inputs(
        model_file,
        model_bytes,
        hashlib.sha256(model_bytes).hexdigest(),
        artifact_file,
        digest.hexdigest(),
        artifact_file.stat().st_size,
    )


# -- processes -----------------------------------------------------------------------------------


def stop_group(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM the process group this benchmark started, then SIGKILL what is left of it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    # Children (server workers) may outlive their parent: the group goes in every case.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# -- Slipway -------------------------------------------------------------------------------------


@contextlib.contextmanager
def slipway_server(folder: Path, timeout: float) -> Iterator[tuple[str, str, Path]]:
    """A registry server subprocess on 127.0.0.1:0: (address, token, log file)."""
    tokens = folder / "tokens.json"
    token = add_token(tokens, "bench", ["developer", "approver"], "registry benchmark")
    ready = folder / "ready.json"
    log = folder / "registry.log"
    command = [
        sys.executable,
        "-m",
        "slipway.cli.main",
        "registry",
        "--home",
        str(folder / "home"),
        "--grpc-address",
        "127.0.0.1:0",
        "--metrics-address",
        "off",
        "--ready-file",
        str(ready),
        "--tokens-file",
        str(tokens),
        "--log-format",
        "json",
        "--shutdown-grace-seconds",
        "5",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=folder,
        )
    try:
        give_up = time.monotonic() + timeout
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > give_up:
                raise RuntimeError(f"the registry did not start:\n{tail(log)}")
            time.sleep(0.05)
        yield json.loads(ready.read_text())["grpc_address"], token, log
    finally:
        stop_group(process)


def _version_metadata(inputs: Inputs, sample: bool) -> pb.CreateModelVersionRequest:
    version = model_version_pb2.ModelVersion(
        artifact=artifact_pb2.Artifact(
            sha256=inputs.model_sha256,
            size_bytes=len(inputs.model_bytes),
            format=artifact_pb2.ARTIFACT_FORMAT_SKOPS,
        )
    )
    if sample:
        version.reference_profile.CopyFrom(
            reference_profile_pb2.ReferenceProfile(
                sample_row_count=ARTIFACT_ROWS,
                sample=artifact_pb2.Artifact(
                    sha256=inputs.artifact_sha256,
                    size_bytes=inputs.artifact_size,
                    format=artifact_pb2.ARTIFACT_FORMAT_NPZ,
                ),
            )
        )
    return pb.CreateModelVersionRequest(
        metadata=pb.CreateModelVersionMetadata(parent=f"models/{MODEL}", model_version=version)
    )


def _upload_messages(inputs: Inputs, sample: bool) -> Iterator[pb.CreateModelVersionRequest]:
    """Metadata, the model in one chunk, and the sample read from its file in 1 MiB chunks."""
    yield _version_metadata(inputs, sample)
    yield pb.CreateModelVersionRequest(
        chunk=pb.ArtifactChunk(
            artifact_kind=artifact_pb2.ARTIFACT_KIND_MODEL, data=inputs.model_bytes
        )
    )
    if sample:
        with inputs.artifact_file.open("rb") as handle:
            while data := handle.read(CHUNK):
                yield pb.CreateModelVersionRequest(
                    chunk=pb.ArtifactChunk(
                        artifact_kind=artifact_pb2.ARTIFACT_KIND_REFERENCE_SAMPLE, data=data
                    )
                )


def measure_slipway(inputs: Inputs, folder: Path, plan: Plan, deadline: Deadline) -> dict[str, Any]:
    with slipway_server(folder, timeout=min(60.0, deadline.left())) as (address, token, _):
        options = [
            ("grpc.max_receive_message_length", 64 * MiB),
            ("grpc.max_send_message_length", 64 * MiB),
        ]
        with grpc.insecure_channel(address, options=options) as channel:
            grpc.channel_ready_future(channel).result(timeout=10)
            return _slipway_calls(
                pb_grpc.RegistryServiceStub(channel),
                (("authorization", f"Bearer {token}"),),
                inputs,
                plan,
                deadline,
            )


def _slipway_calls(
    stub: pb_grpc.RegistryServiceStub,
    auth: tuple[tuple[str, str], ...],
    inputs: Inputs,
    plan: Plan,
    deadline: Deadline,
) -> dict[str, Any]:
    rpc_timeout = 60.0
    stub.CreateModel(
        pb.CreateModelRequest(
            model_id=MODEL, model=model_pb2.Model(description="registry benchmark")
        ),
        metadata=auth,
        timeout=rpc_timeout,
    )
    for _ in range(2):
        stub.CreateModelVersion(
            _upload_messages(inputs, sample=False), metadata=auth, timeout=rpc_timeout
        )
    stub.SetModelAlias(
        pb.SetModelAliasRequest(name=f"models/{MODEL}", alias=ALIAS, version_number=1),
        metadata=auth,
        timeout=rpc_timeout,
    )
    result: dict[str, Any] = {}
    caps = deadline.caps(plan.slipway_caps, reserve=10)

    def get(_: int) -> None:
        response = stub.GetModelVersion(
            pb.GetModelVersionRequest(name=f"models/{MODEL}@{ALIAS}"),
            metadata=auth,
            timeout=rpc_timeout,
        )
        assert response.model_version.version_number in (1, 2)

    result["get_by_alias"] = timed(get, plan.counts["get"], caps["get"], deadline.at)

    def set_alias(i: int) -> None:
        stub.SetModelAlias(
            pb.SetModelAliasRequest(
                name=f"models/{MODEL}", alias=ALIAS, version_number=2 if i % 2 == 0 else 1
            ),
            metadata=auth,
            timeout=rpc_timeout,
        )

    result["set_alias"] = timed(set_alias, plan.counts["set"], caps["set"], deadline.at)

    def create(_: int) -> None:
        response = stub.CreateModelVersion(
            _upload_messages(inputs, sample=False), metadata=auth, timeout=rpc_timeout
        )
        assert response.model_version.state == model_version_pb2.MODEL_VERSION_STATE_READY

    result["create_version"] = timed(create, plan.counts["create"], caps["create"], deadline.at)

    uploads: list[float] = []
    downloads: list[float] = []
    for _ in range(plan.transfers):
        if deadline.left() < 15:
            break
        began = time.perf_counter()
        created = stub.CreateModelVersion(
            _upload_messages(inputs, sample=True), metadata=auth, timeout=rpc_timeout
        )
        uploads.append(time.perf_counter() - began)
        began = time.perf_counter()
        digest = hashlib.sha256()
        size = 0
        declared = ""
        for part in stub.DownloadModelVersion(
            pb.DownloadModelVersionRequest(
                name=created.model_version.name,
                artifact_kind=artifact_pb2.ARTIFACT_KIND_REFERENCE_SAMPLE,
            ),
            metadata=auth,
            timeout=rpc_timeout,
        ):
            if part.HasField("header"):
                declared = part.header.artifact.sha256
            else:
                digest.update(part.chunk)  # a client verifies what it receives
                size += len(part.chunk)
        downloads.append(time.perf_counter() - began)
        if (size, digest.hexdigest(), declared) != (
            inputs.artifact_size,
            inputs.artifact_sha256,
            inputs.artifact_sha256,
        ):
            raise RuntimeError("the downloaded artifact differs from the uploaded one")
    if uploads:
        result["upload_mb_s"] = inputs.artifact_size / statistics.median(uploads) / 1e6
        result["download_mb_s"] = inputs.artifact_size / statistics.median(downloads) / 1e6
        result["transfers"] = len(uploads)
    return result


# -- MLflow --------------------------------------------------------------------------------------


def mlflow_python() -> Path | None:
    """The Python of the MLflow environment, installing it on first use; None if that fails."""
    python = MLFLOW_VENV / "bin" / "python"
    check = [
        str(python),
        "-c",
        "import mlflow, sys; sys.exit(0 if mlflow.__version__.startswith('3.') else 1)",
    ]
    if python.exists() and subprocess.run(check, capture_output=True, timeout=120).returncode == 0:
        return python
    print(
        f"installing {MLFLOW_REQUIREMENT} into {MLFLOW_VENV.relative_to(ROOT)} "
        f"(once; bounded to {INSTALL_SECONDS} s, not counted in the time cap) ...",
        flush=True,
    )
    began = time.monotonic()
    try:
        subprocess.run(
            [shutil.which("python3") or sys.executable, "-m", "venv", "--clear", str(MLFLOW_VENV)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", MLFLOW_REQUIREMENT],
            check=True,
            capture_output=True,
            timeout=INSTALL_SECONDS,
        )
        subprocess.run(check, check=True, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        print(
            f"MLflow: skipped, the install failed ({type(exc).__name__}): "
            f"{detail.decode(errors='replace').strip()[-500:]}",
            flush=True,
        )
        return None
    print(f"  installed in {time.monotonic() - began:.0f} s", flush=True)
    return python


def run_driver(
    python: Path, config: dict[str, Any], folder: Path, timeout: float
) -> dict[str, Any]:
    config_file = folder / "driver.json"
    result_file = folder / "result.json"
    log = folder / "driver.log"
    config_file.write_text(json.dumps(config))
    with log.open("wb") as output:
        completed = subprocess.run(
            [str(python), str(DRIVER), str(config_file), str(result_file)],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=folder,
            timeout=timeout,
        )
    if completed.returncode != 0 or not result_file.exists():
        raise RuntimeError(f"the MLflow driver failed (exit {completed.returncode}):\n{tail(log)}")
    result: dict[str, Any] = json.loads(result_file.read_text())
    return result


def _driver_config(
    inputs: Inputs, folder: Path, uri: str, plan: Plan, caps: dict[str, float], seconds: float
) -> dict[str, Any]:
    return {
        "tracking_uri": uri,
        "scratch": str(folder / "scratch"),
        "model_file": str(inputs.model_file),
        "artifact_file": str(inputs.artifact_file),
        "seconds": seconds,
        "counts": plan.counts,
        "caps": caps,
        "transfer_repeats": plan.transfers,
    }


def measure_mlflow_inprocess(
    python: Path, inputs: Inputs, folder: Path, plan: Plan, deadline: Deadline
) -> dict[str, Any]:
    folder.mkdir()
    config = _driver_config(
        inputs,
        folder,
        f"sqlite:///{folder}/mlflow.db",
        plan,
        deadline.caps(plan.inprocess_caps, reserve=20),
        max(0.0, deadline.left() - 5),
    )
    config["artifact_location"] = (folder / "artifacts").as_uri()
    return run_driver(python, config, folder, timeout=max(5.0, deadline.left()))


def _free_port() -> int:
    # mlflow server needs a port number up front; the window between closing this socket and
    # the server binding it is covered by retrying on a start failure.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def mlflow_server(python: Path, folder: Path, deadline: Deadline) -> Iterator[str]:
    """`mlflow server` on SQLite and loopback, with its artifact proxy in `folder`."""
    env = dict(os.environ)
    # The job runner (GenAI evaluation queues) is unrelated to the model registry; its polling
    # consumer processes only take CPU from the server on a 2-core machine.
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    for attempt in range(3):
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = folder / f"server{attempt}.log"
        command = [
            str(python),
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            f"sqlite:///{folder}/mlflow.db",
            "--artifacts-destination",
            str(folder / "mlartifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        with log.open("wb") as output:
            process = subprocess.Popen(
                command,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=folder,
                env=env,
            )
        try:
            give_up = time.monotonic() + min(120.0, max(5.0, deadline.left()))
            while not _healthy(url):
                if process.poll() is not None or time.monotonic() > give_up:
                    break
                time.sleep(0.25)
            else:
                yield url
                return
            if process.poll() is None:  # alive but not answering in time: give up
                raise RuntimeError(f"mlflow server did not answer in time:\n{tail(log)}")
        finally:
            stop_group(process)
    raise RuntimeError(f"mlflow server did not start in 3 attempts:\n{tail(log)}")


def measure_mlflow_rest(
    python: Path, inputs: Inputs, folder: Path, plan: Plan, deadline: Deadline
) -> dict[str, Any]:
    folder.mkdir()
    with mlflow_server(python, folder, deadline) as url:
        config = _driver_config(
            inputs,
            folder,
            url,
            plan,
            deadline.caps(plan.rest_caps, reserve=25),
            max(0.0, deadline.left() - 15),
        )
        config["raw_caps"] = deadline.caps(plan.raw_caps, reserve=20)
        return run_driver(python, config, folder, timeout=max(5.0, deadline.left() - 10))


# -- report --------------------------------------------------------------------------------------

ROWS: list[tuple[str, str, str, bool]] = [
    # label, result key, figure, higher is better
    ("get-by-alias p50 (ms)", "get_by_alias", "p50_ms", False),
    ("get-by-alias p99 (ms)", "get_by_alias", "p99_ms", False),
    ("get-by-alias (ops/s)", "get_by_alias", "ops_per_s", True),
    ("set-alias p50 (ms)", "set_alias", "p50_ms", False),
    ("set-alias p99 (ms)", "set_alias", "p99_ms", False),
    ("set-alias (ops/s)", "set_alias", "ops_per_s", True),
    ("create-version p50 (ms)", "create_version", "p50_ms", False),
    ("create-version p99 (ms)", "create_version", "p99_ms", False),
    ("create-version (ops/s)", "create_version", "ops_per_s", True),
    ("upload 100 MB (MB/s)", "upload_mb_s", "", True),
    ("download 100 MB (MB/s)", "download_mb_s", "", True),
]


def figure(result: dict[str, Any] | None, key: str, name: str) -> float | None:
    if not result or key not in result:
        return None
    value = result[key] if not name else result[key].get(name)
    return float(value) if value is not None else None


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}" if value < 1000 else f"{value:.0f}"


def _ratio(ours: float | None, theirs: float | None, higher_better: bool) -> float | None:
    if ours is None or theirs is None or ours <= 0 or theirs <= 0:
        return None
    return ours / theirs if higher_better else theirs / ours


def print_table(
    slipway: dict[str, Any], inprocess: dict[str, Any] | None, rest: dict[str, Any] | None
) -> None:
    raw = rest.get("raw") if rest else None
    header = (
        "operation",
        "Slipway gRPC",
        "MLflow in-process",
        "MLflow REST",
        "REST new conn",
        "Slipway/REST",
        "Slipway/new conn",
    )
    lines: list[tuple[str, ...]] = [header]
    for label, key, name, higher in ROWS:
        ours = figure(slipway, key, name)
        ratios = [_ratio(ours, figure(other, key, name), higher) for other in (rest, raw)]
        lines.append(
            (
                label,
                _cell(ours),
                _cell(figure(inprocess, key, name)),
                _cell(figure(rest, key, name)),
                _cell(figure(raw, key, name)),
                *(f"{r:.1f}x" if r is not None else "-" for r in ratios),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        print(
            " | ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(line)
            )
        )
        if n == 0:
            print("-+-".join("-" * w for w in widths))
    print(
        "MLflow REST: MlflowClient against `mlflow server`. REST new conn: the same calls as "
        "plain HTTP requests, one new connection each (no keep-alive stall, see notes).\n"
        "Slipway/...: how many times better Slipway is on that row (their latency / ours, "
        "or our rate / theirs)."
    )


def print_aims(slipway: dict[str, Any], rest: dict[str, Any] | None) -> None:
    raw = rest.get("raw") if rest else None

    def verdict(ok: bool | None) -> str:
        return "not checked" if ok is None else "MET" if ok else "NOT MET"

    print("aims (issue 4):")
    p50 = figure(slipway, "get_by_alias", "p50_ms")
    print(
        f"  get-by-alias p50 under 1 ms over gRPC:       {_cell(p50):>7} ms    "
        f"{verdict(None if p50 is None else p50 < 1.0)}"
    )
    for label, key in (
        ("get-by-alias", "get_by_alias"),
        ("set-alias", "set_alias"),
        ("create-version", "create_version"),
    ):
        ours = figure(slipway, key, "ops_per_s")
        ratio = _ratio(ours, figure(rest, key, "ops_per_s"), True)
        plain = _ratio(ours, figure(raw, key, "ops_per_s"), True)
        shown = f"{ratio:.1f}x" if ratio is not None else "-"
        print(
            f"  {label + ' ops/s':<21}>= 10x MLflow REST:  {shown:>7}       "
            f"{verdict(None if ratio is None else ratio >= 10)}"
            + (
                f"  (vs new-connection REST: {plain:.1f}x, {verdict(plain >= 10)})"
                if plain is not None
                else ""
            )
        )
    for label, key in (("upload", "upload_mb_s"), ("download", "download_mb_s")):
        rate = figure(slipway, key, "")
        print(
            f"  {label:<8} over 300 MB/s on loopback:      {_cell(rate):>7} MB/s  "
            f"{verdict(None if rate is None else rate > 300)}"
        )


NOTES = """notes:
- Slipway: embedded SQLite (WAL, synchronous=FULL), bearer-token auth, access log, audit log;
  every change is one audited transaction. Its create-version streams the model file, hashes and
  fsyncs it and checks its skops types; MLflow's create-version only records the URI of a model
  already logged to a run. Slipway's upload/download is the 100 MB reference sample of a new
  version (its sha256, declared up front, is computed before the timing); the download client
  checks the sha256 while receiving.
- MLflow in-process artifact figures are a local file copy; MLflow REST goes through the
  server's artifact proxy (HTTP). The server runs with its default uvicorn workers and the job
  runner (GenAI evaluation queues, unrelated to the registry) off.
- MlflowClient keeps its HTTP connection open and, against this server, most calls then wait
  about 40 ms more (a delayed TCP acknowledgement, most likely): compare "REST new conn"."""


def describe(name: str, result: dict[str, Any] | None) -> str:
    if not result:
        return f"{name}: -"
    calls = ", ".join(
        f"{key.replace('_', '-')} {result[key]['calls']}"
        for key in ("get_by_alias", "set_alias", "create_version")
        if key in result
    )
    return f"{name}: {calls} calls; {result.get('transfers', 0)} transfers each way"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer calls and one transfer each way, about 1 minute"
    )
    parser.add_argument(
        "--skip-mlflow", action="store_true", help="measure Slipway only (no MLflow install or run)"
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="global time cap (default: 600, or 100 with --quick)",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    began = time.monotonic()

    python = None if args.skip_mlflow else mlflow_python()
    deadline = Deadline(args.seconds if args.seconds is not None else plan.seconds)
    inprocess: dict[str, Any] | None = None
    rest: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="slipway-bench-registry-") as tmp:
        folder = Path(tmp)
        inputs = make_inputs(folder)
        print(
            f"registry benchmark: one client, sequential calls; model file "
            f"{len(inputs.model_bytes) / 1000:.1f} kB (skops), artifact "
            f"{inputs.artifact_size / 1e6:.1f} MB (.npz of random float64), 1 MiB chunks; "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
            f"cap {deadline.left():.0f} s",
            flush=True,
        )
        (folder / "slipway").mkdir()
        slipway = measure_slipway(inputs, folder / "slipway", plan, deadline)
        print(
            f"  {describe('Slipway gRPC', slipway)} ({time.monotonic() - began:.0f} s so far)",
            flush=True,
        )
        if python is not None:
            try:
                inprocess = measure_mlflow_inprocess(
                    python, inputs, folder / "mlflow-inprocess", plan, deadline
                )
                label = f"MLflow {inprocess['mlflow_version']} in-process"
                print(
                    f"  {describe(label, inprocess)} ({time.monotonic() - began:.0f} s so far)",
                    flush=True,
                )
                rest = measure_mlflow_rest(python, inputs, folder / "mlflow-rest", plan, deadline)
                print(
                    f"  {describe('MLflow REST', rest)} ({time.monotonic() - began:.0f} s so far)",
                    flush=True,
                )
            except (RuntimeError, subprocess.SubprocessError) as exc:
                print(f"MLflow: stopped early: {exc}", flush=True)
        elif not args.skip_mlflow:
            print("MLflow: not measured (see above)")
        else:
            print("MLflow: skipped (--skip-mlflow)")
    print()
    print_table(slipway, inprocess, rest)
    print()
    print_aims(slipway, rest)
    print()
    print(NOTES)
    print(
        f"total time: {time.monotonic() - began:.0f} s; load average at the end "
        f"{os.getloadavg()[0]:.2f} (other processes on this machine skew the figures)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
