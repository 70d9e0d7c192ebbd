"""Serving benchmark: Slipway's Open Inference Protocol server against MLServer 1.7.1 and a
no-model gRPC server, side by side, on the same two scikit-learn models.

Cells: {LogisticRegression, RandomForestClassifier(100 trees, depth 10)} x {1, 32 concurrent
clients} x {1, 1000 rows per request}. Each request is a `ModelInferRequest` holding one raw FP32
[N, 20] tensor and asking for the `predict` output. In each cell every server gets the same
warm-up and then a measurement bounded by a call count and a time; the servers take turns within
a cell (the order rotates), the whole set of cells is repeated for a few rounds, and the median
of each figure over the rounds is shown, because the machine is shared and noisy.

- **Slipway**: `slipway serving` as a child process, loading `lr@production` and
  `rf@production` from a `slipway registry` child (one SQLite database, loopback), versions
  trained by the training engine and registered through the registry's API.
- **MLServer 1.7.1** with `mlserver-sklearn`, installed on first use into
  `.tools/bench-mlserver` with the scikit-learn and numpy of this project's environment; its
  models are the very files Slipway registered, loaded and saved again with joblib. Measured as
  configured by default (one inference worker process, no batching) and, for the random forest,
  also with adaptive batching (`max_batch_size` 32, `max_batch_time` 5 ms).
- **No-model ceiling**: a bare `grpc.aio` server (`serving_ceiling.py`) whose `ModelInfer`
  answers a fixed response after gRPC parsed the request.

The load comes from processes of its own (`serving_load.py`; two share the 32 clients), and
every server gets the same request bytes and metadata. Before measuring, every server's
predictions on the same 1000 rows are checked against the model's own `predict`; the run stops
if one differs.

Run: `.venv/bin/python bench/serving.py` (about 9 minutes on 2 cores; `--quick` about 70 s;
`--skip-mlserver` without the competitor; `--profile DIR` adds py-spy samples of Slipway).
Loopback only; it leaves nothing behind but `.tools/bench-mlserver` (and `.tools/bench-pyspy`
with `--profile`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import dataclasses
import json
import os
import queue
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

import grpc
import joblib
import numpy as np
import numpy.typing as npt
from sklearn.datasets import make_classification

from slipway.core.auth import add_token
from slipway.core.peers import PeerTarget
from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.inference.v2 import grpc_service_pb2_grpc as pb_grpc
from slipway.ml.model_files import current_framework_versions, load_model
from slipway.registry.v1 import registry_service_pb2 as registry_pb
from slipway.registry.v1 import registry_service_pb2_grpc as registry_grpc
from slipway.services.training.domain.entities import JobState, Progress, TrainingJob
from slipway.services.training.engine import spec as s
from slipway.services.training.engine.outcome import TrainingOutcome
from slipway.services.training.engine.run import train
from slipway.services.training.worker.registration import Registrar

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
LOAD = BENCH / "serving_load.py"
CEILING = BENCH / "serving_ceiling.py"
MLSERVER_VENV = ROOT / ".tools" / "bench-mlserver"
PYSPY_VENV = ROOT / ".tools" / "bench-pyspy"
MLSERVER_PINS = ("mlserver==1.7.1", "mlserver-sklearn==1.7.1", "uvloop==0.21.0")
INSTALL_SECONDS = 900
START_SECONDS = 180.0
FEATURES = 20
DATA_ROWS = 10_000
MODELS = {"lr": "LogisticRegression", "rf": "RandomForestClassifier"}
HYPERPARAMETERS: dict[str, dict[str, Any]] = {
    "lr": {"max_iter": 1000},
    "rf": {"n_estimators": 100, "max_depth": 10},
}
CHECK_ROWS = 1000
MiB = 1 << 20

SLIPWAY, MLSERVER, MLSERVER_BATCHING, CEILING_SERVER = (
    "Slipway",
    "MLServer",
    "MLServer batching",
    "no-model ceiling",
)


@dataclasses.dataclass(frozen=True)
class Plan:
    rounds: int
    seconds: float  # measurement cap of one server in one cell
    count: int  # measurement cap in calls
    warmup_seconds: float
    warmup_count: int
    cap_minutes: float  # the whole measurement stops after this


FULL = Plan(
    rounds=3, seconds=5.0, count=20_000, warmup_seconds=1.0, warmup_count=500, cap_minutes=30
)
QUICK = Plan(
    rounds=1, seconds=1.5, count=5_000, warmup_seconds=0.4, warmup_count=100, cap_minutes=8
)


@dataclasses.dataclass(frozen=True)
class Cell:
    model: str
    clients: int
    rows: int

    @property
    def label(self) -> str:
        return (
            f"{self.model.upper()} ({MODELS[self.model]}), {self.clients} "
            f"client{'s' if self.clients > 1 else ''}, {self.rows} "
            f"row{'s' if self.rows > 1 else ''}/request"
        )

    @property
    def key(self) -> str:
        return f"{self.model}-c{self.clients}-r{self.rows}"


CELLS = [
    Cell(model, clients, rows) for model in MODELS for clients in (1, 32) for rows in (1, 1000)
]


# -- child processes -------------------------------------------------------------------------------


class Children:
    """Every process this benchmark starts, each in its own process group, stopped at the end."""

    def __init__(self) -> None:
        self._processes: list[subprocess.Popen[Any]] = []

    def start(self, command: list[str], log: Path, **kwargs: Any) -> subprocess.Popen[bytes]:
        with log.open("ab") as output:
            process = subprocess.Popen(
                command,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **kwargs,
            )
        self._processes.append(process)
        return process

    def adopt(self, process: subprocess.Popen[Any]) -> None:
        self._processes.append(process)

    def stop(self, process: subprocess.Popen[Any], grace: float = 10.0) -> None:
        """SIGTERM the group, then SIGKILL what is left of it (workers may outlive a parent)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        if process in self._processes:
            self._processes.remove(process)

    def stop_all(self) -> None:
        for process in reversed(list(self._processes)):
            self.stop(process, grace=5.0)


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_for_file(
    path: Path, process: subprocess.Popen[Any], log: Path, what: str, timeout: float = START_SECONDS
) -> dict[str, Any]:
    give_up = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{tail(log)}")
        if time.monotonic() > give_up:
            raise RuntimeError(f"{what} was not ready within {timeout:.0f} s:\n{tail(log)}")
        time.sleep(0.05)
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def free_port() -> int:
    # MLServer wants port numbers up front; a lost race is covered by retrying its start.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# -- process-tree memory and CPU, from /proc -------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # after "pid (comm) "


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None:
                parents.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
    return total


def pss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
    return total


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


class MemorySampler:
    """Peak summed RSS of a process tree, sampled every 0.1 s in a thread."""

    def __init__(self, root: int) -> None:
        self._root = root
        self._pids = process_tree(root)
        self.peak = rss_bytes(self._pids)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        ticks = 0
        while not self._stop.wait(0.1):
            ticks += 1
            if ticks % 20 == 0:  # workers may come and go
                self._pids = process_tree(self._root)
            self.peak = max(self.peak, rss_bytes(self._pids))

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.peak = max(self.peak, rss_bytes(self._pids))


# -- data, models, registration --------------------------------------------------------------------


@dataclasses.dataclass
class Trained:
    spec: s.JobSpec
    outcome: TrainingOutcome
    folder: Path

    @property
    def model_file(self) -> Path:
        return self.folder / self.outcome.model.filename

    def model(self) -> Any:
        """The fitted model exactly as Slipway loads it from the registered skops file."""
        return load_model(
            self.model_file,
            sha256=self.outcome.model.sha256,
            fmt="skops",
            framework_versions=current_framework_versions(),
        )


def make_data(root: Path) -> npt.NDArray[np.float32]:
    """A 3-class problem with 20 numeric features, written as CSV; returns its rows as FP32,
    as read back from the file (what the models were trained on, and what the clients send)."""
    features, labels = make_classification(
        n_samples=DATA_ROWS,
        n_features=FEATURES,
        n_informative=12,
        n_redundant=4,
        n_classes=3,
        random_state=0,
    )
    path = root / "bench.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"f{j:02d}" for j in range(FEATURES)] + ["label"])
        for row, label in zip(features.tolist(), labels.tolist(), strict=True):
            writer.writerow([f"{v:.6f}" for v in row] + [label])
    rows = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(FEATURES))
    return np.ascontiguousarray(rows, dtype=np.float32)


def train_models(data_root: Path, folder: Path) -> dict[str, Trained]:
    trained = {}
    for name, class_name in MODELS.items():
        job_spec = s.JobSpec(
            task="classification",
            estimator=s.Estimator(class_name, HYPERPARAMETERS[name]),
            dataset=s.DatasetSpec(path="bench.csv", target_column="label"),
            split=s.SplitSpec(seed=0),
        )
        out = folder / name
        out.mkdir(parents=True)
        outcome = train(job_spec, data_root=data_root, out_dir=out, progress=lambda p: None)
        trained[name] = Trained(job_spec, outcome, out)
    return trained


def _job(model_id: str, job_spec: s.JobSpec) -> TrainingJob:
    now = datetime.now(UTC)
    key = f"bench-{model_id}-{time.time_ns()}"
    return TrainingJob(
        job_id=key,
        model_id=model_id,
        spec=job_spec,
        max_runtime_seconds=600,
        alias_on_success="",
        trigger="MANUAL",
        trigger_source="",
        reason="serving benchmark",
        parent_version="",
        labels={},
        state=JobState.RUNNING,
        progress=Progress(),
        failure=None,
        attempt_count=1,
        worker="bench",
        registration_key=key,
        created_by="bench-service",
        cancelled_by="",
        cancel_reason="",
        create_time=now,
        start_time=now,
        end_time=None,
        update_time=now,
        heartbeat_time=now,
        attempt_start_time=now,
        model_version="",
        metrics={},
        best_params={},
        revision=1,
    )


async def _register(address: str, token_file: Path, model_id: str, trained: Trained) -> int:
    registrar = Registrar(PeerTarget(address, token_file), retry_seconds=60, code_version="bench")

    async def no_new_key(n: int) -> str:
        raise RuntimeError("the registry refused the upload")

    async def nothing() -> None:
        return None

    name = await registrar.register(
        _job(model_id, trained.spec),
        trained.outcome,
        trained.folder,
        new_key=no_new_key,
        between_tries=nothing,
    )
    return int(name.rsplit("/", 1)[1])


def register_models(
    address: str, service_token_file: Path, approver_token: str, trained: dict[str, Trained]
) -> None:
    """Each model as a version in the registry, with `production` pointing at it."""
    with grpc.insecure_channel(address) as channel:
        stub = registry_grpc.RegistryServiceStub(channel)
        for model_id, model in trained.items():
            number = asyncio.run(_register(address, service_token_file, model_id, model))
            stub.SetModelAlias(
                registry_pb.SetModelAliasRequest(
                    name=f"models/{model_id}",
                    alias="production",
                    version_number=number,
                    reason="serving benchmark",
                ),
                metadata=(("authorization", f"Bearer {approver_token}"),),
                timeout=60,
            )


# -- servers ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Server:
    name: str
    address: str
    process: subprocess.Popen[Any]
    log: Path


@dataclasses.dataclass
class Slipway:
    serving: Server
    registry: Server
    service_token: str


def start_slipway(
    folder: Path, children: Children, trained: dict[str, Trained], backend: str = "auto"
) -> Slipway:
    tokens = folder / "tokens.json"
    service_token = add_token(tokens, "bench-service", ["service"], "serving benchmark")
    approver_token = add_token(tokens, "bench-approver", ["approver"], "serving benchmark")
    service_token_file = folder / "service.token"
    service_token_file.write_text(service_token + "\n")
    service_token_file.chmod(0o600)
    database = f"sqlite:///{folder / 'slipway.db'}"
    common = [
        "--database-url",
        database,
        "--grpc-address",
        "127.0.0.1:0",
        "--metrics-address",
        "off",
        "--tokens-file",
        str(tokens),
        "--log-format",
        "json",
        "--log-level",
        "warning",
        "--shutdown-grace-seconds",
        "2",
    ]
    python = sys.executable
    subprocess.run(
        [python, "-m", "slipway.cli.main", "db", "upgrade", "--database-url", database],
        check=True,
        capture_output=True,
        timeout=120,
        cwd=folder,
    )

    ready = folder / "registry-ready.json"
    log = folder / "registry.log"
    process = children.start(
        [
            python,
            "-m",
            "slipway.cli.main",
            "registry",
            "--home",
            str(folder / "registry-home"),
            "--ready-file",
            str(ready),
            *common,
        ],
        log,
        cwd=folder,
    )
    registry = Server(
        "registry",
        wait_for_file(ready, process, log, "slipway registry")["grpc_address"],
        process,
        log,
    )
    register_models(registry.address, service_token_file, approver_token, trained)

    ready = folder / "serving-ready.json"
    log = folder / "serving.log"
    process = children.start(
        [
            python,
            "-m",
            "slipway.cli.main",
            "serving",
            "--home",
            str(folder / "serving-home"),
            "--ready-file",
            str(ready),
            *common,
            "--registry-target",
            registry.address,
            "--registry-token-file",
            str(service_token_file),
            # A list flag is repeated; commas split only in the environment.
            *(arg for m in MODELS for arg in ("--deployments", f"{m}@production")),
            "--backend",
            backend,
        ],
        log,
        cwd=folder,
    )
    serving = Server(
        SLIPWAY, wait_for_file(ready, process, log, "slipway serving")["grpc_address"], process, log
    )
    return Slipway(serving, registry, service_token)


def start_ceiling(folder: Path, children: Children) -> Server:
    ready = folder / "ceiling-ready.json"
    log = folder / "ceiling.log"
    process = children.start([sys.executable, str(CEILING), str(ready)], log, cwd=folder)
    return Server(
        CEILING_SERVER,
        wait_for_file(ready, process, log, "the ceiling server")["grpc_address"],
        process,
        log,
    )


def mlserver_python() -> Path | None:
    """MLServer's environment, installed on first use with our scikit-learn and numpy (so the
    joblib files load the same classes); None when that is not possible."""
    python = MLSERVER_VENV / "bin" / "python"
    pins = [
        *MLSERVER_PINS,
        f"scikit-learn=={package_metadata.version('scikit-learn')}",
        f"numpy=={package_metadata.version('numpy')}",
        f"joblib=={package_metadata.version('joblib')}",
    ]
    check = [
        str(python),
        "-c",
        "import sys; from importlib.metadata import version as v; "
        "import mlserver_sklearn; "
        f"want = {json.dumps({p.split('==')[0]: p.split('==')[1] for p in pins})}; "
        "sys.exit(0 if all(v(k) == w for k, w in want.items()) else 1)",
    ]
    if python.exists() and subprocess.run(check, capture_output=True, timeout=120).returncode == 0:
        return python
    print(
        f"installing {' '.join(pins)} into {MLSERVER_VENV.relative_to(ROOT)} (once; bounded "
        f"to {INSTALL_SECONDS} s, not counted in the time cap) ...",
        flush=True,
    )
    began = time.monotonic()
    try:
        subprocess.run(
            [
                shutil.which("python3") or sys.executable,
                "-m",
                "venv",
                "--clear",
                str(MLSERVER_VENV),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *pins],
            check=True,
            capture_output=True,
            timeout=INSTALL_SECONDS,
        )
        subprocess.run(check, check=True, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        print(
            f"MLServer: skipped, the install failed ({type(exc).__name__}): "
            f"{detail.decode(errors='replace').strip()[-500:]}",
            flush=True,
        )
        return None
    print(f"  installed in {time.monotonic() - began:.0f} s", flush=True)
    return python


def write_mlserver_repository(folder: Path, trained: dict[str, Trained], batching: bool) -> Path:
    """A model repository: each model's registered skops file, loaded and saved with joblib."""
    repository = folder / ("mlserver-batching" if batching else "mlserver")
    for name, model in trained.items():
        target = repository / name
        target.mkdir(parents=True)
        joblib.dump(model.model(), target / "model.joblib")
        settings: dict[str, Any] = {
            "name": name,
            "implementation": "mlserver_sklearn.SKLearnModel",
            "parameters": {"uri": "./model.joblib", "version": "1"},
        }
        if batching:
            settings.update(max_batch_size=32, max_batch_time=0.005)
        (target / "model-settings.json").write_text(json.dumps(settings, indent=2))
    return repository


def _mlserver_ready(address: str) -> bool:
    try:
        with grpc.insecure_channel(address) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            if not stub.ServerReady(pb.ServerReadyRequest(), timeout=2).ready:
                return False
            return all(
                stub.ModelReady(pb.ModelReadyRequest(name=name), timeout=2).ready for name in MODELS
            )
    except grpc.RpcError:
        return False


def start_mlserver(python: Path, repository: Path, name: str, children: Children) -> Server:
    """`mlserver start` on loopback ports; its metrics endpoint off and its per-call debug log
    off (as Slipway runs: no metrics port, warnings only); otherwise its defaults."""
    log = repository / "mlserver.log"
    for _attempt in range(3):
        grpc_port, http_port = free_port(), free_port()
        (repository / "settings.json").write_text(
            json.dumps(
                {
                    "host": "127.0.0.1",
                    "grpc_port": grpc_port,
                    "http_port": http_port,
                    "metrics_endpoint": None,
                    "debug": False,
                },
                indent=2,
            )
        )
        address = f"127.0.0.1:{grpc_port}"
        process = children.start(
            [str(python.parent / "mlserver"), "start", str(repository)], log, cwd=repository
        )
        give_up = time.monotonic() + START_SECONDS
        while process.poll() is None and time.monotonic() < give_up:
            if _mlserver_ready(address):
                return Server(name, address, process, log)
            time.sleep(0.25)
        children.stop(process)
    raise RuntimeError(f"{name} did not start in 3 attempts:\n{tail(log)}")


# -- requests and the prediction check -------------------------------------------------------------


def infer_request(model: str, rows: npt.NDArray[np.float32]) -> pb.ModelInferRequest:
    request = pb.ModelInferRequest(model_name=model)
    request.inputs.add(name="input-0", datatype="FP32", shape=list(rows.shape))
    request.raw_input_contents.append(np.ascontiguousarray(rows, dtype="<f4").tobytes())
    request.outputs.add(name="predict")
    return request


TYPES = {
    "INT64": ("<i8", "int64_contents"),
    "INT32": ("<i4", "int_contents"),
    "FP64": ("<f8", "fp64_contents"),
    "FP32": ("<f4", "fp32_contents"),
}


def predictions(reply: pb.ModelInferResponse) -> npt.NDArray[Any]:
    for index, tensor in enumerate(reply.outputs):
        if tensor.name != "predict":
            continue
        if tensor.datatype not in TYPES:
            raise RuntimeError(f"predict came back as {tensor.datatype}")
        dtype, contents = TYPES[tensor.datatype]
        if reply.raw_output_contents:
            return np.frombuffer(reply.raw_output_contents[index], dtype=dtype).ravel()
        return np.asarray(getattr(tensor.contents, contents), dtype=dtype).ravel()
    raise RuntimeError(
        f"no predict output in the reply (outputs: {[t.name for t in reply.outputs]})"
    )


def check_predictions(
    servers: list[Server],
    rows: npt.NDArray[np.float32],
    trained: dict[str, Trained],
    auth: tuple[tuple[str, str], ...],
) -> None:
    """Every model server answers `predict` exactly as the model does, on 1000 rows and on 1."""
    for name, model in trained.items():
        expected = np.asarray(model.model().predict(rows)).ravel()
        for server in servers:
            with grpc.insecure_channel(
                server.address, options=[("grpc.max_receive_message_length", 64 * MiB)]
            ) as channel:
                stub = pb_grpc.GRPCInferenceServiceStub(channel)
                for subset in (rows, rows[:1]):
                    reply = stub.ModelInfer(infer_request(name, subset), metadata=auth, timeout=60)
                    got = predictions(reply)
                    want = expected[: len(subset)]
                    if got.shape != want.shape or not np.array_equal(got, want):
                        wrong = (
                            int(np.sum(got != want))
                            if got.shape == want.shape
                            else f"shape {got.shape} vs {want.shape}"
                        )
                        raise RuntimeError(
                            f"{server.name} disagrees with {name}.predict on "
                            f"{len(subset)} rows: {wrong} differ"
                        )
        counts = np.bincount(expected.astype(np.int64))
        print(
            f"  {name}: all servers agree with the model on {len(rows)} rows "
            f"(classes predicted: {counts.tolist()})",
            flush=True,
        )


# -- the load generator ----------------------------------------------------------------------------


class LoadClients:
    """`serving_load.py` processes, fed JSON commands; their figures are merged."""

    def __init__(self, count: int, folder: Path, children: Children) -> None:
        self._processes: list[subprocess.Popen[str]] = []
        self._lines: list[queue.Queue[str]] = []
        for index in range(count):
            log = (folder / f"load{index}.log").open("ab")
            process = subprocess.Popen(
                [sys.executable, str(LOAD)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                start_new_session=True,
                cwd=folder,
            )
            log.close()
            children.adopt(process)
            lines: queue.Queue[str] = queue.Queue()
            threading.Thread(target=self._read, args=(process, lines), daemon=True).start()
            self._processes.append(process)
            self._lines.append(lines)

    @staticmethod
    def _read(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put("")

    def _next(self, index: int, timeout: float) -> dict[str, Any]:
        try:
            line = self._lines[index].get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(
                f"load generator {index} did not answer within {timeout:.0f} s"
            ) from None
        if not line:
            raise RuntimeError(f"load generator {index} exited")
        data: dict[str, Any] = json.loads(line)
        return data

    def run(
        self,
        server: Server,
        request_file: Path,
        auth: tuple[tuple[str, str], ...],
        clients: int,
        plan: Plan,
    ) -> dict[str, Any]:
        """One measurement of `server`, with the server tree's peak RSS and CPU time."""
        used = min(clients, len(self._processes))
        shares = [clients // used + (1 if i < clients % used else 0) for i in range(used)]
        pids = process_tree(server.process.pid)
        with MemorySampler(server.process.pid) as memory:
            for index, share in enumerate(shares):
                command = {
                    "target": server.address,
                    "request_file": str(request_file),
                    "metadata": [list(item) for item in auth],
                    "concurrency": share,
                    "warmup_count": max(1, plan.warmup_count * share // clients),
                    "warmup_seconds": plan.warmup_seconds,
                    "count": max(1, plan.count * share // clients),
                    "seconds": plan.seconds,
                }
                process = self._processes[index]
                assert process.stdin is not None
                process.stdin.write(json.dumps(command) + "\n")
                process.stdin.flush()
            wait = plan.warmup_seconds + plan.seconds + 90
            for index in range(used):
                self._next(index, wait)  # {"phase": "measuring"}
            cpu_before = cpu_seconds(pids)
            began = time.monotonic()
            parts = [self._next(index, wait) for index in range(used)]
            cpu_used = cpu_seconds(pids) - cpu_before
            span = time.monotonic() - began
        pss = pss_bytes(process_tree(server.process.pid))
        failed = [p["failed"] for p in parts if "failed" in p]
        if failed:
            raise RuntimeError(f"the load generator failed against {server.name}: {failed[0]}")
        latencies = sorted(x for p in parts for x in p["latencies_ms"])
        completed = sum(p["completed"] for p in parts)
        wall = max(p["wall"] for p in parts)
        codes: dict[str, int] = {}
        for part in parts:
            for code, n in part["codes"].items():
                codes[code] = codes.get(code, 0) + n
        return {
            "rps": completed / wall if wall > 0 else 0.0,
            "p50": latencies[len(latencies) // 2] if latencies else float("nan"),
            "p99": (
                latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
                if latencies
                else float("nan")
            ),
            "errors": sum(codes.values()),
            "codes": codes,
            "first_error": next((p["first_error"] for p in parts if p["first_error"]), ""),
            "calls": completed,
            "peak_mb": memory.peak / 1e6,
            "pss_mb": pss / 1e6,
            "server_cpu": cpu_used / span if span > 0 else 0.0,
            "client_cpu": sum(p["cpu"] for p in parts) / wall if wall > 0 else 0.0,
        }

    def close(self) -> None:
        for process in self._processes:
            with contextlib.suppress(OSError, ValueError):
                assert process.stdin is not None
                process.stdin.write("\n")
                process.stdin.close()


# -- profiling (optional) --------------------------------------------------------------------------

LEAVES = [  # samples whose innermost frame says what the thread was doing
    ("event loop in epoll", ("(selectors.py",)),
    ("gRPC poller thread (C)", ("Thread.run (threading.py",)),
    ("gRPC call handling (Cython)", ("Handle._run (asyncio/events.py",)),
    ("thread hop", ("concurrent/futures/thread.py", "_write_to_self")),
]
CATEGORIES = [  # else the first match, innermost frame first, names the sample
    ("predict", ("sklearn/", "scipy/", "served.py")),
    (
        "tensor decode",
        (
            "api/tensors.py:decode",
            "api/tensors.py:_matrix",
            "api/tensors.py:_tensor",
            "api/tensors.py:_check",
        ),
    ),
    ("tensor encode", ("api/tensors.py:encode", "api/tensors.py:_labels")),
    ("batching", ("domain/batching.py",)),
    ("servicer", ("api/servicer.py", "domain/deployments.py")),
    (
        "interceptors",
        (
            "core/interceptors.py",
            "core/metrics.py",
            "core/auth.py",
            "core/context.py",
            "core/logs.py",
            "structlog/",
            "prometheus_client/",
        ),
    ),
    ("protobuf", ("google/protobuf",)),
    ("gRPC / asyncio (Python)", ("grpc/", "asyncio/", "cygrpc")),
]


def pyspy() -> Path | None:
    binary = PYSPY_VENV / "bin" / "py-spy"
    if binary.exists():
        return binary
    try:
        subprocess.run(
            [shutil.which("python3") or sys.executable, "-m", "venv", "--clear", str(PYSPY_VENV)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [str(PYSPY_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "py-spy"],
            check=True,
            capture_output=True,
            timeout=INSTALL_SECONDS,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"profiling off: py-spy could not be installed ({type(exc).__name__})")
        return None
    return binary if binary.exists() else None


def start_profile(binary: Path, pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(binary),
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            "250",
            "--duration",
            str(max(1, round(seconds))),
            "--nonblocking",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summarise_profile(path: Path) -> tuple[dict[str, float], list[tuple[str, float]]]:
    """Shares of samples by category, and the functions with the most own samples."""
    by_category: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        leaf = frames[-1]
        own[leaf] = own.get(leaf, 0) + count
        category = next(
            (name for name, marks in LEAVES if any(mark in leaf for mark in marks)), "other"
        )
        for frame in reversed(frames if category == "other" else []):
            found = next(
                (name for name, marks in CATEGORIES if any(mark in frame for mark in marks)), None
            )
            if found is not None:
                category = found
                break
        by_category[category] = by_category.get(category, 0) + count
    if not total:
        return {}, []
    shares = {name: n / total for name, n in sorted(by_category.items(), key=lambda x: -x[1])}
    top = [(name, n / total) for name, n in sorted(own.items(), key=lambda x: -x[1])[:8]]
    return shares, top


# -- the run ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Results:
    runs: dict[tuple[str, str], list[dict[str, Any]]] = dataclasses.field(default_factory=dict)

    def add(self, cell: Cell, server: str, figures: dict[str, Any]) -> None:
        self.runs.setdefault((cell.key, server), []).append(figures)

    def median(self, cell: Cell, server: str, name: str) -> float | None:
        runs = self.runs.get((cell.key, server))
        if not runs:
            return None
        return float(statistics.median(run[name] for run in runs))

    def total(self, cell: Cell, server: str, name: str) -> int:
        return sum(int(run[name]) for run in self.runs.get((cell.key, server), []))


def servers_for(cell: Cell, available: dict[str, Server]) -> list[str]:
    names = [SLIPWAY, MLSERVER, CEILING_SERVER]
    if cell.model == "rf":
        names.insert(2, MLSERVER_BATCHING)
    return [name for name in names if name in available]


def measure(
    servers: dict[str, Server],
    load: LoadClients,
    requests: dict[tuple[str, int], Path],
    auth: tuple[tuple[str, str], ...],
    plan: Plan,
    profile: tuple[Path, Path] | None,
) -> Results:
    results = Results()
    stop_at = time.monotonic() + plan.cap_minutes * 60
    for round_index in range(plan.rounds):
        began = time.monotonic()
        for cell_index, cell in enumerate(CELLS):
            names = servers_for(cell, servers)
            shift = (round_index + cell_index) % len(names)
            for name in names[shift:] + names[:shift]:
                if time.monotonic() > stop_at:
                    print(
                        f"  time cap of {plan.cap_minutes:g} min reached: stopping here", flush=True
                    )
                    return results
                server = servers[name]
                if server.process.poll() is not None:
                    raise RuntimeError(f"{name} died:\n{tail(server.log)}")
                profiler = None
                if profile is not None and name == SLIPWAY and round_index == 0:
                    binary, folder = profile
                    profiler = start_profile(
                        binary,
                        server.process.pid,
                        folder / f"{cell.key}.txt",
                        plan.warmup_seconds + plan.seconds,
                    )
                figures = load.run(
                    server, requests[(cell.model, cell.rows)], auth, cell.clients, plan
                )
                if profiler is not None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        profiler.wait(timeout=30)
                    if profiler.poll() is None:
                        profiler.kill()
                results.add(cell, name, figures)
        print(
            f"  round {round_index + 1}/{plan.rounds} done in "
            f"{time.monotonic() - began:.0f} s (load average {os.getloadavg()[0]:.2f})",
            flush=True,
        )
    return results


# -- report ----------------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 3) -> str:
    if value is None or value != value:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.1f}"
    return f"{value:.{digits}g}" if value < 1 else f"{value:.2f}"


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    if ours is None or theirs is None or ours <= 0 or theirs <= 0:
        return None
    return ours / theirs


def _times(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def _spread(values: list[float]) -> str:
    """The lowest and highest of a figure over the rounds."""
    if len(values) < 2:
        return "-"
    return f"{_num(min(values))}-{_num(max(values))}"


def print_cell(cell: Cell, results: Results, names: list[str]) -> None:
    header = (
        "server",
        "rps",
        "rows/s",
        "p50 ms",
        "p99 ms",
        "peak MB",
        "errors",
        "srv CPU",
        "cli CPU",
        "rps over rounds",
        "Slipway/this rps",
        "this/Slipway p99",
    )
    lines = [header]
    ours_rps = results.median(cell, SLIPWAY, "rps")
    ours_p99 = results.median(cell, SLIPWAY, "p99")
    for name in names:
        rps = results.median(cell, name, "rps")
        p99 = results.median(cell, name, "p99")
        lines.append(
            (
                name,
                _num(rps),
                _num(None if rps is None else rps * cell.rows),
                _num(results.median(cell, name, "p50")),
                _num(p99),
                _num(results.median(cell, name, "peak_mb")),
                str(results.total(cell, name, "errors")),
                _num(results.median(cell, name, "server_cpu"), 2),
                _num(results.median(cell, name, "client_cpu"), 2),
                _spread([run["rps"] for run in results.runs.get((cell.key, name), [])]),
                "" if name == SLIPWAY else _times(_ratio(ours_rps, rps)),
                "" if name == SLIPWAY else _times(_ratio(p99, ours_p99)),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    print(cell.label)
    for n, line in enumerate(lines):
        print(
            (
                "  "
                + " | ".join(
                    text.ljust(widths[i]) if i == 0 else text.rjust(widths[i])
                    for i, text in enumerate(line)
                )
            ).rstrip()
        )
        if n == 0:
            print("  " + "-+-".join("-" * w for w in widths))
    for name in names:
        runs = results.runs.get((cell.key, name), [])
        errors = [run for run in runs if run["errors"]]
        if errors:
            print(f"  {name} errors: {errors[0]['codes']} (first: {errors[0]['first_error']})")


def print_aims(results: Results, servers: dict[str, Server]) -> None:
    def verdict(ok: bool | None) -> str:
        return "not checked" if ok is None else "PASS" if ok else "MISS"

    rows: list[tuple[str, str, str]] = []

    def check(label: str, shown: str, ok: bool | None) -> None:
        rows.append((label, shown, verdict(ok)))

    for cell in CELLS:
        if cell.model != "lr":
            continue
        ours = results.median(cell, SLIPWAY, "rps")
        ratio = _ratio(ours, results.median(cell, MLSERVER, "rps"))
        check(
            f"{cell.key}: rps >= 3x MLServer", _times(ratio), None if ratio is None else ratio >= 3
        )
        share = _ratio(ours, results.median(cell, CEILING_SERVER, "rps"))
        check(
            f"{cell.key}: rps >= 60% of the no-model ceiling",
            "-" if share is None else f"{share:.0%}",
            None if share is None else share >= 0.6,
        )
    rf = Cell("rf", 32, 1)
    ours = results.median(rf, SLIPWAY, "rps")
    for name in (MLSERVER, MLSERVER_BATCHING):
        ratio = _ratio(ours, results.median(rf, name, "rps"))
        check(f"{rf.key}: rps >= 10x {name}", _times(ratio), None if ratio is None else ratio >= 10)
    for cell in CELLS:
        ours_p99 = results.median(cell, SLIPWAY, "p99")
        for name in servers_for(cell, servers):
            if name not in (MLSERVER, MLSERVER_BATCHING):
                continue
            theirs = results.median(cell, name, "p99")
            ok = None if ours_p99 is None or theirs is None else ours_p99 < theirs
            check(
                f"{cell.key}: p99 lower than {name}", f"{_num(ours_p99)} vs {_num(theirs)} ms", ok
            )
    for figure, what in (("peak_mb", "peak RSS"), ("pss_mb", "largest PSS after a cell")):
        largest = {
            name: max(
                (
                    run[figure]
                    for (_, server), runs in results.runs.items()
                    if server == name
                    for run in runs
                ),
                default=None,
            )
            for name in (SLIPWAY, MLSERVER, MLSERVER_BATCHING)
        }
        ours = largest[SLIPWAY]
        for name in (MLSERVER, MLSERVER_BATCHING):
            theirs = largest[name]
            if ours is None or theirs is None:
                continue
            check(
                f"{what} at most half of {name}'s",
                f"{ours:.0f} vs {theirs:.0f} MB ({ours / theirs:.0%})",
                ours / theirs <= 0.5,
            )
    width = max(len(label) for label, _, _ in rows)
    shown_width = max(len(shown) for _, shown, _ in rows)
    print("aims:")
    for label, shown, result in rows:
        print(f"  {label.ljust(width)}  {shown.rjust(shown_width)}  {result}")
    passed = sum(1 for _, _, result in rows if result == "PASS")
    checked = sum(1 for _, _, result in rows if result in ("PASS", "MISS"))
    print(f"  {passed} of {checked} checks pass")


NOTES = """notes:
- rps: calls answered per second of measurement; rows/s = rps x rows per request. p50/p99: call
  latency seen by the client. peak MB: the largest sum of RSS over the server's process tree,
  sampled every 0.1 s (MLServer: its main process and its inference worker; Slipway's registry,
  only needed while loading, is not counted). RSS counts a shared page once per process that
  maps it; the memory aims also compare PSS (shared pages split among the processes sharing
  them), read at the end of each cell. srv CPU / cli CPU: CPU cores busy in the server's
  process tree / in the load generators during the measurement (2 cores in all on this machine:
  a server and its client share them, so a figure is the pair's, not the server's alone).
  Each figure is the median over the rounds; errors are summed.
- Slipway/this rps: Slipway's rate divided by that server's; this/Slipway p99: that server's p99
  divided by Slipway's (above 1: Slipway's is lower).
- Every request asks for `predict` only: MLServer answers only `predict` by default, while
  Slipway answers every output of the signature (here also `predict_proba`) unless asked.
- Slipway runs with its defaults (auth, request ids, metrics counters, access log at warning,
  adaptive batching of concurrent requests without waiting); MLServer with its defaults except
  its metrics server and per-call debug log turned off (parallel_workers 1: one inference worker
  process beside the gRPC process)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short cells, one round")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 3; quick 1)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="measurement cap of one server in one cell (default 5; quick 1.5)",
    )
    parser.add_argument(
        "--skip-mlserver",
        action="store_true",
        help="Slipway and the no-model ceiling only (no MLServer install)",
    )
    parser.add_argument(
        "--backend",
        choices=("auto", "onnx", "sklearn"),
        default="auto",
        help="Slipway's --backend (default auto: the verified ONNX forms)",
    )
    parser.add_argument(
        "--client-processes",
        type=int,
        default=2,
        help="load generator processes sharing the 32 clients (default 2)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="record Slipway with py-spy in each cell of the first round into "
        "DIR and print where its time goes (skews Slipway's figures)",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.rounds is not None:
        plan = dataclasses.replace(plan, rounds=max(1, args.rounds))
    if args.seconds is not None:
        plan = dataclasses.replace(plan, seconds=args.seconds)
    began = time.monotonic()

    # A SIGTERM ends the run through the `finally` below, which stops every child.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    python = None if args.skip_mlserver else mlserver_python()
    profiler = pyspy() if args.profile is not None else None
    children = Children()
    with tempfile.TemporaryDirectory(prefix="slipway-bench-serving-") as tmp:
        try:
            folder = Path(tmp)
            data_root = folder / "data"
            data_root.mkdir()
            rows = make_data(data_root)
            print(
                f"serving benchmark: {len(CELLS)} cells x {plan.rounds} round(s), each "
                f"server {plan.warmup_count} warm-up calls (cap {plan.warmup_seconds:g} s) "
                f"then up to {plan.count} calls or {plan.seconds:g} s; {os.cpu_count()} CPUs, "
                f"load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            trained = train_models(data_root, folder / "trained")
            print(
                f"  trained {', '.join(MODELS.values())} on {DATA_ROWS} rows x {FEATURES} "
                f"features ({time.monotonic() - began:.0f} s so far)",
                flush=True,
            )
            slipway = start_slipway(folder, children, trained, args.backend)
            servers = {SLIPWAY: slipway.serving}
            if python is not None:
                for name, batching in ((MLSERVER, False), (MLSERVER_BATCHING, True)):
                    servers[name] = start_mlserver(
                        python, write_mlserver_repository(folder, trained, batching), name, children
                    )
            elif not args.skip_mlserver:
                print("MLServer: not measured (see above)")
            servers[CEILING_SERVER] = start_ceiling(folder, children)
            auth = (("authorization", f"Bearer {slipway.service_token}"),)
            print(
                f"  servers up ({time.monotonic() - began:.0f} s so far); checking predictions",
                flush=True,
            )
            check_predictions(
                [servers[n] for n in (SLIPWAY, MLSERVER, MLSERVER_BATCHING) if n in servers],
                rows[:CHECK_ROWS],
                trained,
                auth,
            )
            memory = {
                name: (
                    rss_bytes(process_tree(server.process.pid)),
                    pss_bytes(process_tree(server.process.pid)),
                )
                for name, server in servers.items()
            }
            requests: dict[tuple[str, int], Path] = {}
            for model in MODELS:
                for count in sorted({cell.rows for cell in CELLS}):
                    path = folder / f"request-{model}-{count}.bin"
                    path.write_bytes(infer_request(model, rows[:count]).SerializeToString())
                    requests[(model, count)] = path
            load = LoadClients(max(1, args.client_processes), folder, children)
            profile = None
            if profiler is not None and args.profile is not None:
                args.profile.mkdir(parents=True, exist_ok=True)
                profile = (profiler, args.profile)
            results = measure(servers, load, requests, auth, plan, profile)
            load.close()
            complaints = logged_problems(slipway.serving.log)
        finally:  # the servers go before their folder does
            children.stop_all()

    print()
    for cell in CELLS:
        print_cell(cell, results, servers_for(cell, servers))
        print()
    print(
        "memory after loading and the prediction check, before any load (RSS / PSS of the "
        "process tree):"
    )
    for name, (rss, pss) in memory.items():
        print(f"  {name:<18} {rss / 1e6:7.0f} MB / {pss / 1e6:7.0f} MB")
    print()
    print_aims(results, servers)
    print()
    print(
        f"Slipway's serving log: {len(complaints)} warning(s) or error(s)"
        + "".join(f"\n  {line}" for line in complaints[:5])
    )
    print()
    print(NOTES)
    if profile is not None:
        print()
        print_profiles(profile[1])
    print(
        f"total time: {time.monotonic() - began:.0f} s; load average at the end "
        f"{os.getloadavg()[0]:.2f} (other processes on this machine skew the figures)"
    )
    return 0


def logged_problems(log: Path) -> list[str]:
    """The serving process's warnings and errors (it logs JSON lines, warnings and up)."""
    problems = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            problems.append(line[:300])
            continue
        if isinstance(entry, dict) and entry.get("level") in ("warning", "error", "critical"):
            rest = {
                k: v
                for k, v in entry.items()
                if k not in ("level", "event", "timestamp", "service")
            }
            problems.append(f"{entry['level']}: {entry.get('event')} {json.dumps(rest)}"[:300])
    return problems


def print_profiles(folder: Path) -> None:
    print(
        f"where Slipway's serving process spends its time (py-spy, active threads, "
        f"first round; raw stacks in {folder}):"
    )
    for cell in CELLS:
        path = folder / f"{cell.key}.txt"
        if not path.exists():
            continue
        shares, top = summarise_profile(path)
        print(
            f"  {cell.key}: " + ", ".join(f"{name} {share:.0%}" for name, share in shares.items())
        )
        for name, share in top[:5]:
            print(f"      {share:5.1%}  {name}")


if __name__ == "__main__":
    sys.exit(main())
