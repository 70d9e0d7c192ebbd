"""Training benchmark: what the training service adds to a fit, and how fast it drains a queue of
small jobs.

Measured side by side in one run on this machine:

1. Overhead. One CSV of `--rows` rows, `--features` numeric features and a binary label (seeded
   numpy, written once into the training service's data root), fitted with two pipelines:
   StandardScaler + HistGradientBoostingClassifier (600 iterations, no early stopping: about
   5 s on one core) and StandardScaler + LogisticRegression (under a second), each three ways:
   - A: plain, in this process: read the CSV with pyarrow, split (same fraction, stratified, same
     seed), fit, predict the holdout;
   - A': the training engine's own `train()` in this process on the same spec: what the service's
     fit process runs (the dataset's sha256, holdout metrics with predict_proba, a reference
     profile and sample, the skops file and its sha256), without queue, fork or registration;
   - B: through a registry and a training service started here as child processes, from
     CreateTrainingJob until a WatchTrainingJob stream shows SUCCEEDED, split into where the
     time went by the stream's progress stages and the service's log.
   `--rounds` rounds, the order of A, A' and B rotating every round; medians are reported.
2. Queue throughput. `--jobs` tiny jobs (LogisticRegression on the bundled iris dataset), created
   all at once, through a training service with 1 worker, then with 2: jobs per second from the
   first create to the last end, latency create -> SUCCEEDED (p50, p95), and the fixed cost of
   one job (create, claim, fork of its fit process, registration) from jobs run one at a time.

Run: `.venv/bin/python bench/training.py` (about 4-6 minutes on 2 cores, capped at 9.5;
`--quick` about 1-2).
Every wait is bounded and the whole run is capped in time; the servers listen on loopback only,
run in their own process groups and are stopped at the end, on failure and on SIGTERM; nothing
is left behind but what the temporary folder held (a PostgreSQL database given with
`--database-url` keeps its jobs and versions).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import grpc
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from registry import Deadline, stop_group, tail  # process handling shared with the registry bench
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from slipway.core.auth import add_token
from slipway.core.values import to_pb
from slipway.schema import migrate as schema
from slipway.services.training.api.converters import new_job
from slipway.services.training.engine.outcome import Progress
from slipway.services.training.engine.run import train
from slipway.training.v1 import dataset_spec_pb2, estimator_spec_pb2, training_job_pb2
from slipway.training.v1 import training_service_pb2 as pb
from slipway.training.v1 import training_service_pb2_grpc as pb_grpc

SEED = 7
TEST_FRACTION = 0.2
TARGET = "label"
DATASET = "bench.csv"
HGB_ITERATIONS = 600
RPC_TIMEOUT = 60.0
START_TIMEOUT = 60.0
BIG_JOB_TIMEOUT = 300.0  # one overhead job, create to end
TINY_JOB_TIMEOUT = 60.0
POLL = 0.1
# What the native thread pools read at start: OpenMP (HistGradientBoosting), BLAS, and Arrow's
# CPU pool (which reads OMP_NUM_THREADS too).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
SINGLE_TINY_JOBS = 5  # tiny jobs run one at a time for the fixed cost (after one warm-up job)

RUNNING = training_job_pb2.TRAINING_JOB_STATE_RUNNING
SUCCEEDED = training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED
TERMINAL = frozenset(
    {
        SUCCEEDED,
        training_job_pb2.TRAINING_JOB_STATE_FAILED,
        training_job_pb2.TRAINING_JOB_STATE_CANCELLED,
    }
)
STAGE = training_job_pb2.TrainingStage


@dataclass(frozen=True)
class Plan:
    rows: int
    features: int
    rounds: int
    jobs: int
    queue_rounds: int  # each round runs the queue with 1 worker and with 2, in turn first
    seconds: float  # global cap
    queue_reserve: float  # of the cap, kept for the queue measurements


FULL = Plan(
    rows=100_000, features=20, rounds=3, jobs=100, queue_rounds=2, seconds=570, queue_reserve=330
)
QUICK = Plan(
    rows=10_000, features=10, rounds=2, jobs=20, queue_rounds=2, seconds=240, queue_reserve=90
)


# What this run started and where it writes, for a SIGTERM to clean up wherever it lands.
_LIVE: dict[int, subprocess.Popen[bytes]] = {}
_SCRATCH: list[Path] = []


def _terminate(signum: int, _frame: Any) -> NoReturn:
    """SIGTERM: kill the servers' process groups, remove the temporary folder, exit.

    Raising from a signal handler would not do: an exception that lands in a garbage-collector
    callback is printed and dropped, and the run would go on.
    """
    for process in list(_LIVE.values()):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    for process in list(_LIVE.values()):
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    for folder in _SCRATCH:
        shutil.rmtree(folder, ignore_errors=True)
    os._exit(128 + signum)


# -- what is trained -----------------------------------------------------------------------------


def estimator(class_name: str, **hyperparameters: Any) -> estimator_spec_pb2.EstimatorSpec:
    return estimator_spec_pb2.EstimatorSpec(
        estimator=estimator_spec_pb2.Estimator(
            class_name=class_name, hyperparameters={k: to_pb(v) for k, v in hyperparameters.items()}
        )
    )


def pipeline(
    *steps: tuple[str, estimator_spec_pb2.EstimatorSpec],
) -> estimator_spec_pb2.EstimatorSpec:
    return estimator_spec_pb2.EstimatorSpec(
        pipeline=estimator_spec_pb2.Pipeline(
            steps=[estimator_spec_pb2.PipelineStep(name=name, spec=spec) for name, spec in steps]
        )
    )


@dataclass(frozen=True)
class Workload:
    """One pipeline, as a job's spec and as the same scikit-learn object built here."""

    key: str
    label: str
    spec: estimator_spec_pb2.EstimatorSpec
    make: Callable[[int], Pipeline]  # seed -> unfitted pipeline, seeded as the service seeds it


WORKLOADS = (
    Workload(
        "hgb",
        f"StandardScaler + HistGradientBoostingClassifier(max_iter={HGB_ITERATIONS}, "
        "early_stopping=False)",
        pipeline(
            ("scale", estimator("StandardScaler")),
            (
                "model",
                estimator(
                    "HistGradientBoostingClassifier", max_iter=HGB_ITERATIONS, early_stopping=False
                ),
            ),
        ),
        lambda seed: Pipeline(
            [
                ("scale", StandardScaler()),
                (
                    "model",
                    HistGradientBoostingClassifier(
                        max_iter=HGB_ITERATIONS, early_stopping=False, random_state=seed
                    ),
                ),
            ]
        ),
    ),
    Workload(
        "logreg",
        "StandardScaler + LogisticRegression(max_iter=1000)",
        pipeline(
            ("scale", estimator("StandardScaler")),
            ("model", estimator("LogisticRegression", max_iter=1000)),
        ),
        lambda seed: Pipeline(
            [
                ("scale", StandardScaler()),
                ("model", LogisticRegression(max_iter=1000, random_state=seed)),
            ]
        ),
    ),
)


def job_message(
    model: str,
    spec: estimator_spec_pb2.EstimatorSpec,
    dataset: dataset_spec_pb2.DatasetSpec,
    timeout: float,
) -> training_job_pb2.TrainingJob:
    message = training_job_pb2.TrainingJob(
        model=f"models/{model}",
        task=training_job_pb2.TASK_TYPE_CLASSIFICATION,
        estimator=spec,
        dataset=dataset,
        reason="training benchmark",
        split=dataset_spec_pb2.SplitSpec(test_fraction=TEST_FRACTION, stratify=True, seed=SEED),
    )
    message.limits.max_runtime.FromSeconds(int(timeout))  # the service stops it too
    return message


def big_job(model: str, workload: Workload) -> training_job_pb2.TrainingJob:
    return job_message(
        model,
        workload.spec,
        dataset_spec_pb2.DatasetSpec(path=DATASET, target_column=TARGET),
        BIG_JOB_TIMEOUT,
    )


def tiny_job(model: str) -> training_job_pb2.TrainingJob:
    return job_message(
        model,
        estimator("LogisticRegression", max_iter=500),
        dataset_spec_pb2.DatasetSpec(bundled=dataset_spec_pb2.BUNDLED_DATASET_IRIS),
        TINY_JOB_TIMEOUT,
    )


def write_dataset(path: Path, rows: int, features: int) -> None:
    """A linear rule with one interaction and noise: about 90% reachable accuracy."""
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(rows, features))
    score = (
        x @ rng.normal(size=features) / np.sqrt(features)
        + 0.5 * x[:, 0] * x[:, 1]
        + rng.normal(scale=0.4, size=rows)
    )
    columns: dict[str, Any] = {f"f{j:02d}": x[:, j] for j in range(features)}
    columns[TARGET] = (score > 0).astype(np.int64)
    pacsv.write_csv(pa.table(columns), path)


# -- the two in-process baselines ----------------------------------------------------------------


def plain_fit(path: Path, workload: Workload) -> tuple[float, float]:
    """A: seconds to read, split, fit and predict the holdout; and the holdout accuracy."""
    began = time.perf_counter()
    table = pacsv.read_csv(path)
    names = [name for name in table.column_names if name != TARGET]
    x = np.column_stack([table[name].to_numpy() for name in names]).astype(np.float64)
    y = table[TARGET].to_numpy()
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_FRACTION, stratify=y, random_state=SEED
    )
    predicted = workload.make(SEED).fit(x_train, y_train).predict(x_test)
    elapsed = time.perf_counter() - began
    return elapsed, float(accuracy_score(y_test, predicted))


ENGINE_STAGES = ("loading", "fitting", "evaluating", "profiling")


def engine_fit(
    data_root: Path, message: training_job_pb2.TrainingJob, out_dir: Path
) -> tuple[float, float, dict[str, float]]:
    """A': seconds of the engine's `train()`, the holdout accuracy, and seconds per stage."""
    spec = new_job(message).spec
    marks: list[tuple[float, str]] = []

    def progress(update: Progress) -> None:
        marks.append((time.perf_counter(), update.stage))

    began = time.perf_counter()
    outcome = train(spec, data_root=data_root, out_dir=out_dir, progress=progress)
    ended = time.perf_counter()
    firsts: dict[str, float] = {}
    for at, stage in marks:
        firsts.setdefault(stage, at)
    bounds = [began, *(firsts.get(stage) for stage in ENGINE_STAGES[1:]), ended]
    filled = _fill(bounds)
    stages = {stage: filled[i + 1] - filled[i] for i, stage in enumerate(ENGINE_STAGES)}
    return ended - began, outcome.metrics["accuracy"], stages


def _fill(bounds: Sequence[float | None]) -> list[float]:
    """Missing boundaries take the next known one: a stage nobody saw lasts 0."""
    filled: list[float] = []
    later: float | None = None
    for bound in reversed(bounds):
        later = bound if bound is not None else later
        assert later is not None, "the last boundary is always known"
        filled.append(later)
    return filled[::-1]


# -- the servers ---------------------------------------------------------------------------------


def thread_limit(threads: int) -> dict[str, str]:
    """The environment that limits native thread pools to ``threads`` (0: no limit)."""
    return {name: str(threads) for name in THREAD_VARIABLES} if threads else {}


@contextlib.contextmanager
def service(
    name: str, home: Path, flags: Sequence[str], threads: int
) -> Iterator[tuple[str, Path]]:
    """`slipway <name>` as a child process on 127.0.0.1:0: (address, JSON log file)."""
    home.mkdir(parents=True, exist_ok=True)
    ready = home / "ready.json"
    log = home / f"{name}.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SLIPWAY_") and k not in THREAD_VARIABLES
    }
    env.update(thread_limit(threads))
    command = [
        sys.executable,
        "-m",
        "slipway.cli.main",
        name,
        "--home",
        str(home),
        "--grpc-address",
        "127.0.0.1:0",
        "--metrics-address",
        "127.0.0.1:0",
        "--ready-file",
        str(ready),
        "--log-format",
        "json",
        "--shutdown-grace-seconds",
        "5",
        *flags,
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=home,
            env=env,
        )
    _LIVE[process.pid] = process
    try:
        give_up = time.monotonic() + START_TIMEOUT
        address = ""
        while not address:
            if process.poll() is not None or time.monotonic() > give_up:
                raise RuntimeError(f"{name} did not start:\n{tail(log)}")
            with contextlib.suppress(OSError, json.JSONDecodeError, KeyError):
                address = json.loads(ready.read_text())["grpc_address"]
            time.sleep(0.05)
        yield address, log
    finally:
        stop_group(process)
        _LIVE.pop(process.pid, None)


@dataclass(frozen=True)
class Setup:
    folder: Path
    database_url: str
    tokens_file: Path
    token: str  # developer: creates and reads jobs
    service_token_file: Path  # role service: training registers versions with it
    data_root: Path
    threads: int  # of each fit (0: the libraries' default, every core)


def make_setup(folder: Path, database_url: str | None, threads: int) -> Setup:
    url = database_url or f"sqlite:///{folder}/slipway.db"
    schema.upgrade(url)  # what `slipway db upgrade` does; the services refuse an old schema
    tokens_file = folder / "tokens.json"
    token = add_token(tokens_file, "bench-developer", ["developer"], "training benchmark")
    service_token_file = folder / "training.token"
    service_token_file.write_text(
        add_token(
            tokens_file, "bench-training", ["service"], "training benchmark: registers versions"
        )
        + "\n"
    )
    data_root = folder / "data"
    data_root.mkdir()
    return Setup(folder, url, tokens_file, token, service_token_file, data_root, threads)


def registry_flags(setup: Setup) -> list[str]:
    return ["--database-url", setup.database_url, "--tokens-file", str(setup.tokens_file)]


def training_flags(setup: Setup, registry_address: str, workers: int) -> list[str]:
    return [
        "--database-url",
        setup.database_url,
        "--tokens-file",
        str(setup.tokens_file),
        "--registry-target",
        registry_address,
        "--registry-token-file",
        str(setup.service_token_file),
        "--data-root",
        str(setup.data_root),
        "--workers",
        str(workers),
    ]


class Client:
    """One gRPC channel to a training service."""

    def __init__(self, address: str, token: str) -> None:
        self.channel = grpc.insecure_channel(address)
        grpc.channel_ready_future(self.channel).result(timeout=10)
        self.stub = pb_grpc.TrainingServiceStub(self.channel)
        self.auth = (("authorization", f"Bearer {token}"),)

    def close(self) -> None:
        self.channel.close()

    def create(self, message: training_job_pb2.TrainingJob) -> training_job_pb2.TrainingJob:
        return self.stub.CreateTrainingJob(
            pb.CreateTrainingJobRequest(training_job=message),
            metadata=self.auth,
            timeout=RPC_TIMEOUT,
        ).training_job

    def get(self, name: str) -> training_job_pb2.TrainingJob:
        return self.stub.GetTrainingJob(
            pb.GetTrainingJobRequest(name=name), metadata=self.auth, timeout=RPC_TIMEOUT
        ).training_job

    def watch(self, name: str, timeout: float) -> list[tuple[float, training_job_pb2.TrainingJob]]:
        """Every snapshot the stream sends until the job ends, with the time it arrived."""
        seen = []
        try:
            for reply in self.stub.WatchTrainingJob(
                pb.WatchTrainingJobRequest(name=name), metadata=self.auth, timeout=timeout
            ):
                seen.append((time.time(), reply.training_job))
        except grpc.RpcError as error:
            if error.code() is not grpc.StatusCode.DEADLINE_EXCEEDED:
                raise
            self.cancel(name)
            raise RuntimeError(f"{name} did not end within {timeout:.0f} s") from error
        return seen

    def cancel(self, name: str) -> None:
        with contextlib.suppress(grpc.RpcError):
            self.stub.CancelTrainingJob(
                pb.CancelTrainingJobRequest(name=name), metadata=self.auth, timeout=RPC_TIMEOUT
            )

    def jobs_of(self, model: str) -> list[training_job_pb2.TrainingJob]:
        jobs: list[training_job_pb2.TrainingJob] = []
        token = ""
        while True:
            reply = self.stub.ListTrainingJobs(
                pb.ListTrainingJobsRequest(
                    filter=f'model = "models/{model}"', page_size=1000, page_token=token
                ),
                metadata=self.auth,
                timeout=RPC_TIMEOUT,
            )
            jobs.extend(reply.training_jobs)
            token = reply.next_page_token
            if not token:
                return jobs


def seconds(stamp: Any) -> float:
    """A protobuf Timestamp as seconds since the epoch (the clock `time.time()` reads)."""
    return float(stamp.seconds) + stamp.nanos / 1e9


def log_events(path: Path, event: str) -> dict[str, float]:
    """From a service's JSON log, the lines of one event: `job name -> time` (seconds since the
    epoch), or for the access log's `rpc` lines `Method:request id -> seconds the call took`."""
    found: dict[str, float] = {}
    with contextlib.suppress(OSError), path.open(errors="replace") as handle:
        for line in handle:
            if f'"{event}"' not in line:
                continue
            with contextlib.suppress(ValueError, KeyError):
                entry = json.loads(line)
                if entry.get("event") != event:
                    continue
                if event == "rpc":
                    method = str(entry.get("method", "")).rsplit("/", 1)[-1]
                    found[f"{method}:{entry.get('request_id', '')}"] = (
                        float(entry["duration_ms"]) / 1000
                    )
                else:
                    found[entry["job"]] = datetime.fromisoformat(entry["timestamp"]).timestamp()
    return found


# -- where a service job's time goes -------------------------------------------------------------

SEGMENTS = (
    ("create", "create call (validate, insert)"),
    ("queued", "queued -> claimed"),
    ("fork", "claim -> fit process forked"),
    ("startup", "fit process start-up"),
    ("loading", "loading + split"),
    ("fitting", "fitting"),
    ("evaluating", "evaluating"),
    ("profiling", "profiling + model file"),
    ("registering", "registering"),
    ("seen", "end -> watcher sees it"),
)


@dataclass
class ServiceRun:
    total: float
    accuracy: float
    segments: dict[str, float]
    registry_call: float | None  # the registry's own CreateModelVersion time
    create_call: float  # from this client's CreateTrainingJob to the job's create time


def run_watched(
    client: Client,
    message: training_job_pb2.TrainingJob,
    timeout: float,
    training_log: Path,
    registry_log: Path,
) -> ServiceRun:
    """B: create a job, watch it to its end, and split its time by the stages the stream shows."""
    began = time.time()
    created = client.create(message)
    seen = client.watch(created.name, timeout)
    received, final = seen[-1]
    if final.state != SUCCEEDED:
        state = training_job_pb2.TrainingJobState.Name(final.state)
        raise RuntimeError(
            f"{final.name} ended {state}: {final.failure.message}\n{tail(training_log)}"
        )
    stage_at: dict[int, float] = {}
    for _, job in seen:
        # The claim writes stage LOADING with the message "starting"; the fit process's first
        # report (LOADING, "reading the dataset") marks the end of its start-up.
        if job.state == RUNNING and job.progress.message != "starting":
            stage_at.setdefault(job.progress.stage, seconds(job.update_time))
    # Stages the service skipped or wrote in one go (progress is written at most twice a second
    # unless the stage changes) count as 0 and their time goes to the next stage.
    forked = None
    for _ in range(20):  # the log line may trail the stream by a few milliseconds
        forked = log_events(training_log, "fit process started").get(final.name)
        if forked is not None:
            break
        time.sleep(0.05)
    bounds = _fill(
        [
            began,
            seconds(final.create_time),
            seconds(final.start_time),
            forked,
            stage_at.get(STAGE.TRAINING_STAGE_LOADING),
            stage_at.get(STAGE.TRAINING_STAGE_FITTING),
            stage_at.get(STAGE.TRAINING_STAGE_EVALUATING),
            stage_at.get(STAGE.TRAINING_STAGE_PROFILING),
            stage_at.get(STAGE.TRAINING_STAGE_REGISTERING),
            seconds(final.end_time),
            received,
        ]
    )
    segments = {key: bounds[i + 1] - bounds[i] for i, (key, _) in enumerate(SEGMENTS)}
    job_id = final.name.split("/", 1)[1]
    registry_call = log_events(registry_log, "rpc").get(f"CreateModelVersion:{job_id}.register")
    return ServiceRun(
        received - began,
        final.metrics["accuracy"],
        segments,
        registry_call,
        seconds(final.create_time) - began,
    )


# -- 1. overhead ---------------------------------------------------------------------------------


@dataclass
class Overhead:
    plain: list[float] = field(default_factory=list)
    engine: list[float] = field(default_factory=list)
    served: list[ServiceRun] = field(default_factory=list)
    engine_stages: list[dict[str, float]] = field(default_factory=list)
    accuracies: set[tuple[str, float]] = field(default_factory=set)


def measure_overhead(
    setup: Setup,
    registry_address: str,
    registry_log: Path,
    plan: Plan,
    deadline: Deadline,
    run_tag: str,
) -> tuple[dict[str, Overhead], int]:
    results = {workload.key: Overhead() for workload in WORKLOADS}
    home = setup.folder / "training-overhead"
    with service("training", home, training_flags(setup, registry_address, 1), setup.threads) as (
        address,
        log,
    ):
        client = Client(address, setup.token)
        try:
            # The fork server starts with the first job: a warm-up job pays for it.
            run_watched(client, tiny_job(f"{run_tag}-warmup"), TINY_JOB_TIMEOUT, log, registry_log)
            rounds_done = 0
            round_seconds = 0.0
            for round_ in range(plan.rounds):
                needed = plan.queue_reserve + 1.2 * round_seconds
                if deadline.left() < needed:
                    print(
                        f"  round {round_ + 1} skipped: {deadline.left():.0f} s left of the "
                        f"cap, about {needed:.0f} s needed",
                        flush=True,
                    )
                    break
                began = time.monotonic()
                for workload in WORKLOADS:
                    _one_round(
                        setup,
                        client,
                        workload,
                        results[workload.key],
                        round_,
                        log,
                        registry_log,
                        f"{run_tag}-{workload.key}",
                    )
                round_seconds = time.monotonic() - began
                rounds_done += 1
                print(
                    f"  round {round_ + 1}: "
                    + "; ".join(
                        f"{w.key} A {results[w.key].plain[-1]:.2f} s, A' "
                        f"{results[w.key].engine[-1]:.2f} s, "
                        f"B {results[w.key].served[-1].total:.2f} s"
                        f" (create call {results[w.key].served[-1].create_call:.2f} s)"
                        for w in WORKLOADS
                    )
                    + f" ({round_seconds:.0f} s)",
                    flush=True,
                )
        finally:
            client.close()
    return results, rounds_done


def _one_round(
    setup: Setup,
    client: Client,
    workload: Workload,
    result: Overhead,
    round_: int,
    training_log: Path,
    registry_log: Path,
    model: str,
) -> None:
    message = big_job(model, workload)

    def plain() -> None:
        with threadpool_limits(limits=setup.threads or None):
            elapsed, accuracy = plain_fit(setup.data_root / DATASET, workload)
        result.plain.append(elapsed)
        result.accuracies.add(("A", round(accuracy, 6)))

    def engine() -> None:
        with (
            tempfile.TemporaryDirectory(dir=setup.folder) as out_dir,
            threadpool_limits(limits=setup.threads or None),
        ):
            elapsed, accuracy, stages = engine_fit(setup.data_root, message, Path(out_dir))
        result.engine.append(elapsed)
        result.engine_stages.append(stages)
        result.accuracies.add(("A'", round(accuracy, 6)))

    def served() -> None:
        run = run_watched(client, message, BIG_JOB_TIMEOUT, training_log, registry_log)
        result.served.append(run)
        result.accuracies.add(("B", round(run.accuracy, 6)))

    order = [plain, engine, served]
    shift = round_ % len(order)
    for step in order[shift:] + order[:shift]:
        step()


# -- 2. queue throughput -------------------------------------------------------------------------


@dataclass
class QueueRun:
    workers: int
    jobs: int
    create_seconds: float  # the client: first create sent to last create answered
    rate: float  # jobs per second, first create_time to last end_time
    latencies: list[float]  # create_time -> end_time per job
    run_times: list[float]  # start_time (claim) -> end_time per job
    gaps: list[float]  # one worker's previous end -> its next claim (1 worker only)
    forks: list[float]  # claim -> fit process forked
    registry_calls: list[float]  # the registry's CreateModelVersion time per job


def measure_queue(
    setup: Setup,
    registry_address: str,
    registry_log: Path,
    workers: int,
    plan: Plan,
    deadline: Deadline,
    run_tag: str,
    singles: int,
) -> tuple[QueueRun, list[ServiceRun]]:
    home = setup.folder / f"training-queue-{run_tag}-w{workers}"
    with service(
        "training", home, training_flags(setup, registry_address, workers), setup.threads
    ) as (address, log):
        client = Client(address, setup.token)
        try:
            alone = []
            for i in range(1 + singles):  # the first one starts the fork server
                run = run_watched(
                    client, tiny_job(f"{run_tag}-single"), TINY_JOB_TIMEOUT, log, registry_log
                )
                if i:
                    alone.append(run)
            return _drain(
                client, f"{run_tag}-w{workers}", workers, plan.jobs, deadline, log, registry_log
            ), alone
        finally:
            client.close()


def _drain(
    client: Client,
    model: str,
    workers: int,
    count: int,
    deadline: Deadline,
    training_log: Path,
    registry_log: Path,
) -> QueueRun:
    message = tiny_job(model)
    began = time.monotonic()
    futures = [
        client.stub.CreateTrainingJob.future(
            pb.CreateTrainingJobRequest(training_job=message),
            metadata=client.auth,
            timeout=RPC_TIMEOUT,
        )
        for _ in range(count)
    ]
    names = [future.result().training_job.name for future in futures]
    created = time.monotonic() - began
    # Past the global cap by at most a minute: a run that nearly finished is not thrown away.
    give_up = min(time.monotonic() + TINY_JOB_TIMEOUT + 5.0 * count, deadline.at + 60)
    # Cheap polls of the job created last (the queue is first in, first out), then of the list.
    while client.get(names[-1]).state not in TERMINAL:
        if time.monotonic() > give_up:
            raise RuntimeError(f"{count} tiny jobs did not end in time:\n{tail(training_log)}")
        time.sleep(POLL)
    wanted = set(names)
    while True:
        jobs = [job for job in client.jobs_of(model) if job.name in wanted]
        if len(jobs) == count and all(job.state in TERMINAL for job in jobs):
            break
        if time.monotonic() > give_up:
            raise RuntimeError(f"{count} tiny jobs did not end in time:\n{tail(training_log)}")
        time.sleep(0.25)
    failed = [job for job in jobs if job.state != SUCCEEDED]
    if failed:
        raise RuntimeError(
            f"{len(failed)} of {count} tiny jobs did not succeed, for example "
            f"{failed[0].name}: {failed[0].failure.message}"
        )
    jobs.sort(key=lambda job: seconds(job.start_time))
    first_create = min(seconds(job.create_time) for job in jobs)
    last_end = max(seconds(job.end_time) for job in jobs)
    gaps = (
        [seconds(b.start_time) - seconds(a.end_time) for a, b in itertools.pairwise(jobs)]
        if workers == 1
        else []
    )
    forked = log_events(training_log, "fit process started")
    calls = log_events(registry_log, "rpc")
    return QueueRun(
        workers=workers,
        jobs=count,
        create_seconds=created,
        rate=count / (last_end - first_create),
        latencies=[seconds(job.end_time) - seconds(job.create_time) for job in jobs],
        run_times=[seconds(job.end_time) - seconds(job.start_time) for job in jobs],
        gaps=gaps,
        forks=[forked[job.name] - seconds(job.start_time) for job in jobs if job.name in forked],
        registry_calls=[
            calls[key]
            for job in jobs
            if (key := f"CreateModelVersion:{job.name.split('/', 1)[1]}.register") in calls
        ],
    )


def measure_queues(
    setup: Setup,
    registry_address: str,
    registry_log: Path,
    plan: Plan,
    deadline: Deadline,
    run_tag: str,
    queue: dict[int, list[QueueRun]],
    alone: list[ServiceRun],
) -> None:
    """Queue rounds, 1 worker then 2 and 2 then 1 in turn, into ``queue`` and ``alone``."""
    round_seconds = 0.0
    for round_ in range(plan.queue_rounds):
        if round_ and deadline.left() < 1.1 * round_seconds:
            print(
                f"  round {round_ + 1} skipped: {deadline.left():.0f} s left of the cap, "
                f"about {1.1 * round_seconds:.0f} s needed",
                flush=True,
            )
            return
        began = time.monotonic()
        for workers in (1, 2) if round_ % 2 == 0 else (2, 1):
            run, singles = measure_queue(
                setup,
                registry_address,
                registry_log,
                workers,
                plan,
                deadline,
                f"{run_tag}-q{round_}",
                SINGLE_TINY_JOBS if workers == 1 else 0,
            )
            queue[workers].append(run)
            alone.extend(singles)
            print(
                f"  round {round_ + 1}, {workers} worker{'s' if workers > 1 else ''}: "
                f"{run.rate:.2f} jobs/s, latency p50 {median(run.latencies):.2f} s, "
                f"p95 {quantile(run.latencies, 0.95):.2f} s",
                flush=True,
            )
        round_seconds = time.monotonic() - began


# -- report --------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print(
            " | ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            )
        )
        if n == 0:
            print("-+-".join("-" * w for w in widths))


def print_overhead(results: dict[str, Overhead], rounds: int) -> None:
    rows: list[list[str]] = [
        [f"overhead, seconds (median of {rounds})", *(w.key for w in WORKLOADS)]
    ]
    a = {w.key: median(results[w.key].plain) for w in WORKLOADS}
    a2 = {w.key: median(results[w.key].engine) for w in WORKLOADS}
    b = {w.key: median([run.total for run in results[w.key].served]) for w in WORKLOADS}

    def row(label: str, cell: Callable[[str], str]) -> None:
        rows.append([label, *(cell(w.key) for w in WORKLOADS)])

    row("A  plain: read, split, fit, predict", lambda k: f"{a[k]:.2f}")
    row("A' engine train() in-process", lambda k: f"{a2[k]:.2f}")
    row("B  service: create -> SUCCEEDED seen", lambda k: f"{b[k]:.2f}")
    row("B - A", lambda k: f"{b[k] - a[k]:.2f}")
    row("B / A", lambda k: f"{b[k] / a[k]:.2f}x")
    row("B - A' (the service around the engine)", lambda k: f"{b[k] - a2[k]:.2f}")
    row("B / A'", lambda k: f"{b[k] / a2[k]:.2f}x")
    row("aim: B <= 1.10 A + 1 s", lambda k: _aim(b[k], a[k]))
    row("the same against A' (like for like)", lambda k: _aim(b[k], a2[k]))
    row("same model (holdout accuracy A, A', B)", lambda k: _accuracy_check(results[k]))
    rows.append(["where B goes (A' in-process)", *("" for _ in WORKLOADS)])
    for key, label in SEGMENTS:

        def cell(k: str, key: str = key) -> str:
            served = median([run.segments[key] for run in results[k].served])
            if key in ENGINE_STAGES:
                inproc = median([stages[key] for stages in results[k].engine_stages])
                return f"{served:.2f} ({inproc:.2f})"
            return f"{served:.2f}"

        row(f"  {label}", cell)
    row(
        "    of which the registry's CreateModelVersion",
        lambda k: _fmt(
            median(
                [run.registry_call for run in results[k].served if run.registry_call is not None]
            )
        ),
    )
    table(rows)


def _aim(served: float, baseline: float) -> str:
    limit = 1.1 * baseline + 1.0
    return f"{'MET' if served <= limit else 'NOT MET'} ({served:.2f} vs {limit:.2f})"


def _accuracy_check(result: Overhead) -> str:
    values = {value for _, value in result.accuracies}
    if len(values) == 1:
        return f"yes, {values.pop():.4f}"
    return "DIFFERENT: " + ", ".join(
        f"{who} {value:.4f}" for who, value in sorted(result.accuracies)
    )


def _fmt(value: float) -> str:
    return "-" if value != value else f"{value:.3f}" if value < 1 else f"{value:.2f}"


def print_queue(runs: dict[int, list[QueueRun]], alone: list[ServiceRun], jobs: int) -> None:
    counts = sorted(runs)
    header = [
        f"queue: {jobs} tiny jobs (LogisticRegression, iris)",
        *(f"{n} worker{'s' if n > 1 else ''}" for n in counts),
    ]
    if len(counts) == 2:
        header.append(f"{counts[1]}w / {counts[0]}w")
    rows: list[list[str]] = [header]

    def row(label: str, figure: Callable[[QueueRun], float], higher: bool) -> None:
        medians = [median([figure(run) for run in runs[n]]) for n in counts]
        cells = [label, *(_fmt(m) for m in medians)]
        if len(counts) == 2:
            ratio = medians[1] / medians[0] if higher else medians[0] / medians[1]
            cells.append("-" if ratio != ratio else f"{ratio:.2f}x")
        rows.append(cells)

    row("jobs/s, first create -> last end", lambda r: r.rate, True)
    row("latency create -> SUCCEEDED p50 (s)", lambda r: median(r.latencies), False)
    row("latency create -> SUCCEEDED p95 (s)", lambda r: quantile(r.latencies, 0.95), False)
    row("run time claim -> end p50 (s)", lambda r: median(r.run_times), False)
    row("run time claim -> end p95 (s)", lambda r: quantile(r.run_times, 0.95), False)
    row("claim -> fit process forked p50 (s)", lambda r: median(r.forks), False)
    row("registry CreateModelVersion p50 (s)", lambda r: median(r.registry_calls), False)
    row(f"all {jobs} creates answered (s)", lambda r: r.create_seconds, False)
    if runs.get(1):
        row(
            "1 worker: end -> next claim p50 (s)",
            lambda r: median(r.gaps) if r.gaps else float("nan"),
            False,
        )
    table(rows)
    if alone:
        total = median([run.total for run in alone])
        parts = ", ".join(
            f"{label} {median([run.segments[key] for run in alone]):.3f}" for key, label in SEGMENTS
        )
        print(
            f"one tiny job alone, create -> SUCCEEDED seen: {total:.3f} s (median of "
            f"{len(alone)}): {parts}"
        )
        per_job = 1 / median([run.rate for run in runs.get(1, [])]) if runs.get(1) else None
        if per_job is not None:
            print(f"per-job fixed cost with 1 worker, from the rate: {per_job:.3f} s a job")


NOTES = """notes:
- A reads the CSV with pyarrow and fits in this process. A' is the engine's `train()`, the code
  the service's fit process runs: it also hashes the file, predicts the holdout again with
  predict_proba for the metrics, predicts the training split for the reference profile, writes
  a 1000-row sample and the skops file, and hashes both. B adds the queue (claim), the fit
  process (forked from a fork server warmed by a first job), progress writes, the upload to the
  registry and the job's completion, and the watcher's polling (the stream reads the job's
  events every 0.2 s).
- Stage times of B come from the update times of the snapshots the stream sent (progress is
  written when the stage changes, at most a tick of 0.1 s late) and from the service's JSON log
  ("fit process started", logged once the fork server has forked it); a stage written together
  with the next counts as 0. Start-up runs from the fork to the fit process's first report.
- Queue: all jobs are created at once (concurrent calls on one channel); rates and latencies use
  the jobs' own create, start (claim) and end times. The fork server is warmed by one job first;
  with 1 worker, a few jobs also run one at a time (watched) for the fixed cost of a job.
- The validation of CreateTrainingJob reads the dataset file whole; the summary is cached per
  file (path, size, modification time), so only the first create of a file pays for it."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, help="rows of the CSV (default 100000; --quick 10000)")
    parser.add_argument("--features", type=int, help="numeric features (default 20; --quick 10)")
    parser.add_argument(
        "--rounds", type=int, help="rounds of the overhead measurement (default 3; --quick 2)"
    )
    parser.add_argument(
        "--jobs", type=int, help="tiny jobs per queue run (default 100; --quick 20)"
    )
    parser.add_argument(
        "--queue-rounds",
        type=int,
        help="rounds of the queue measurement, each with 1 and 2 workers (default 2)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="native threads per fit, on every side (default 1: steadier on a "
        "shared machine; 0: the libraries' default, every core)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--database-url",
        default=None,
        help="shared database of both services (default: SQLite in a temporary "
        "folder); a PostgreSQL URL is migrated to the current schema first",
    )
    parser.add_argument("--seconds", type=float, help="global time cap (default 570; --quick 240)")
    args = parser.parse_args(argv)
    base = QUICK if args.quick else FULL
    plan = Plan(
        rows=args.rows or base.rows,
        features=args.features or base.features,
        rounds=args.rounds or base.rounds,
        jobs=args.jobs or base.jobs,
        queue_rounds=args.queue_rounds or base.queue_rounds,
        seconds=args.seconds or base.seconds,
        queue_reserve=base.queue_reserve,
    )
    if (
        min(plan.features, plan.rounds, plan.jobs, plan.queue_rounds) < 1
        or plan.rows < 100
        or args.threads < 0
    ):
        parser.error(
            "--rows must be at least 100; --features, --rounds, --jobs and "
            "--queue-rounds positive; --threads not negative"
        )
    signal.signal(signal.SIGTERM, _terminate)
    if args.threads:
        pa.set_cpu_count(args.threads)  # A and A' parse the CSV with as many threads as B
    began = time.monotonic()
    deadline = Deadline(plan.seconds)
    run_tag = f"bench-{uuid.uuid4().hex[:8]}"
    load_start = os.getloadavg()[0]
    status = 0
    with tempfile.TemporaryDirectory(prefix="slipway-bench-training-") as tmp:
        _SCRATCH.append(Path(tmp))
        setup = make_setup(Path(tmp), args.database_url, args.threads)
        write_dataset(setup.data_root / DATASET, plan.rows, plan.features)
        size = (setup.data_root / DATASET).stat().st_size
        database = "SQLite file" if setup.database_url.startswith("sqlite") else "PostgreSQL"
        print(
            f"training benchmark: {plan.rows:,} rows x {plan.features} features + label "
            f"(CSV, {size / 1e6:.1f} MB), {plan.rounds} overhead rounds, "
            f"{plan.queue_rounds} queue rounds of {plan.jobs} tiny jobs; "
            f"{database}; {os.cpu_count()} CPUs, load average {load_start:.2f}; "
            f"cap {plan.seconds:.0f} s",
            flush=True,
        )
        for workload in WORKLOADS:
            print(f"  {workload.key}: {workload.label}", flush=True)
        print(
            f"  every fit uses {args.threads or 'all'} thread{'s' if args.threads != 1 else ''}"
            f" (--threads; {THREAD_VARIABLES[0]} and the like for the services)",
            flush=True,
        )
        with service(
            "registry", setup.folder / "registry", registry_flags(setup), setup.threads
        ) as (registry_address, registry_log):
            print("1. overhead of the service over an in-process fit", flush=True)
            overhead, rounds = measure_overhead(
                setup, registry_address, registry_log, plan, deadline, run_tag
            )
            print(f"2. queue throughput ({time.monotonic() - began:.0f} s so far)", flush=True)
            queue: dict[int, list[QueueRun]] = {1: [], 2: []}
            alone: list[ServiceRun] = []
            try:
                measure_queues(
                    setup, registry_address, registry_log, plan, deadline, run_tag, queue, alone
                )
            except RuntimeError as exc:  # a failed job, or out of time: say so, show the rest
                print(f"queue measurement stopped: {exc}", file=sys.stderr, flush=True)
                status = 1
    print()
    print_overhead(overhead, rounds)
    print()
    if queue[1] or queue[2]:
        print_queue({n: runs for n, runs in queue.items() if runs}, alone, plan.jobs)
        print()
    print()
    print(NOTES)
    print(
        f"total time: {time.monotonic() - began:.0f} s; load average {load_start:.2f} at the "
        f"start, {os.getloadavg()[0]:.2f} at the end (other processes on this machine skew "
        f"the figures)"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
