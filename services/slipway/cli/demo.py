"""`slipway demo`: the whole lifecycle on a fresh suite, step by step, with a summary.

1. starts a suite (`slipway up`, free ports, its own data folder) with local tokens;
2. trains a classifier on a bundled dataset (breast cancer) with a small grid search, watching
   its progress;
3. an approver promotes the version to `production`, with a reason;
4. sends traffic through the Open Inference Protocol (the Python stubs, and once `tritonclient`);
5. injects drift (an upstream recalibration scales 20 of the 30 features by 1.4): monitoring
   raises an alert and retrains on a fresh export of the recalibrated data;
6. the retrained version becomes `challenger` and scores live traffic in shadow; its accuracy
   on that traffic is compared with the champion's;
7. an approver promotes it with a reason while traffic flows: serving swaps live with no failed
   request;
8. prints the lineage and audit report of the new production version and verifies the chain;
9. stops the suite (or leaves it running with `--keep-running`).

Every wait is bounded. The summary (`demo-summary.json` in the data folder, and stdout with
`--json`) records each step's outcome; the end-to-end test asserts on it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import numpy.typing as npt

from slipway import client
from slipway.audit.v1 import chain_verification_pb2
from slipway.cli.lineage_render import to_markdown
from slipway.cli.output import pairs
from slipway.common.v1 import tensor_pb2, value_pb2
from slipway.core.auth import add_token
from slipway.core.values import from_pb
from slipway.inference.v2 import grpc_service_pb2 as infer_pb
from slipway.inference.v2 import grpc_service_pb2_grpc as infer_grpc
from slipway.lineage.v1 import lineage_service_pb2 as lineage_pb
from slipway.lineage.v1 import lineage_service_pb2_grpc as lineage_grpc
from slipway.monitoring.v1 import alert_pb2, monitoring_policy_pb2, prediction_record_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as monitoring_pb
from slipway.monitoring.v1 import monitoring_service_pb2_grpc as monitoring_grpc
from slipway.registry.v1 import registry_service_pb2 as registry_pb
from slipway.registry.v1 import registry_service_pb2_grpc as registry_grpc
from slipway.training.v1 import (
    dataset_spec_pb2,
    estimator_spec_pb2,
    search_spec_pb2,
    training_job_pb2,
)
from slipway.training.v1 import training_service_pb2 as training_pb
from slipway.training.v1 import training_service_pb2_grpc as training_grpc

MODEL = "demo"
DRIFTED_FEATURES = 20
DRIFT_FACTOR = 1.4
FRESH_EXPORT = "breast-cancer-recalibrated.csv"
WINDOW_ROWS = 200
ROWS_PER_REQUEST = 10
CALL_TIMEOUT = 30.0
TERMINAL = {
    training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED,
    training_job_pb2.TRAINING_JOB_STATE_FAILED,
    training_job_pb2.TRAINING_JOB_STATE_CANCELLED,
}


class DemoError(Exception):
    """A step did not reach its outcome."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the whole lifecycle on a fresh suite and print a summary",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--home",
        type=Path,
        default=None,
        help="data folder of the demo's suite (default: a new temporary one)",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="shared database (migrated first); empty: SQLite in the folder",
    )
    parser.add_argument(
        "--keep-running",
        action="store_true",
        help="leave the suite running at the end (stop it with Ctrl-C in its "
        "terminal or `kill` the printed pid)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--seed", type=int, default=7, help="seed of the demo's traffic")
    parser.add_argument(
        "--timeout", type=float, default=150.0, help="seconds each waiting step may take at most"
    )
    parser.set_defaults(func=run)


# --- data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """Breast cancer rows, before and after an upstream recalibration."""

    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.int64]
    names: tuple[str, ...]

    @staticmethod
    def load() -> World:
        from sklearn.datasets import (  # type: ignore[import-untyped]
            load_breast_cancer,
        )

        data = load_breast_cancer()
        return World(
            np.asarray(data.data, dtype=np.float64),
            np.asarray(data.target, dtype=np.int64),
            tuple(str(n) for n in data.feature_names),
        )

    def recalibrated(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        drifted = x.copy()
        drifted[:, :DRIFTED_FEATURES] *= DRIFT_FACTOR
        return drifted

    def traffic(
        self, rng: np.random.Generator, rows: int, *, drifted: bool
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        chosen = rng.integers(0, len(self.x), rows)
        x = self.x[chosen]
        return (self.recalibrated(x) if drifted else x), self.y[chosen]

    def write_fresh_export(self, path: Path) -> None:
        """The recalibrated data with its labels, as the data team would export it."""
        x = self.recalibrated(self.x)
        lines = [",".join([*self.names, "target"])]
        lines += [
            ",".join([*(f"{v:.6g}" for v in row), str(int(label))])
            for row, label in zip(x, self.y, strict=True)
        ]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")


# --- the suite ---------------------------------------------------------------------------------


@dataclass
class Suite:
    home: Path
    process: subprocess.Popen[bytes]
    services: dict[str, str]  # name -> grpc address
    tokens: dict[str, str]  # role -> token
    channels: dict[str, grpc.Channel] = field(default_factory=dict)
    connections: dict[str, client.Connection] = field(default_factory=dict)  # role -> typed

    def channel(self, service: str) -> grpc.Channel:
        if service not in self.channels:
            self.channels[service] = grpc.insecure_channel(self.services[service])
        return self.channels[service]

    def auth(self, role: str, request_id: str = "") -> tuple[tuple[str, str], ...]:
        metadata = [("authorization", f"Bearer {self.tokens[role]}")]
        if request_id:
            metadata.append(("x-request-id", request_id))
        return tuple(metadata)

    @property
    def registry(self) -> registry_grpc.RegistryServiceStub:
        return registry_grpc.RegistryServiceStub(self.channel("registry"))

    @property
    def lineage(self) -> lineage_grpc.LineageServiceStub:
        """Lineage reports, served by the registry process."""
        return lineage_grpc.LineageServiceStub(self.channel("registry"))

    @property
    def training(self) -> training_grpc.TrainingServiceStub:
        return training_grpc.TrainingServiceStub(self.channel("training"))

    @property
    def monitoring(self) -> monitoring_grpc.MonitoringServiceStub:
        return monitoring_grpc.MonitoringServiceStub(self.channel("monitoring"))

    @property
    def inference(self) -> infer_grpc.GRPCInferenceServiceStub:
        return infer_grpc.GRPCInferenceServiceStub(self.channel("serving"))

    def as_role(self, role: str) -> client.Connection:
        """The typed clients, calling with the token of ``role``."""
        if role not in self.connections:
            self.connections[role] = client.connect(self.services, token=self.tokens[role])
        return self.connections[role]

    def stop(self) -> None:
        for connection in self.connections.values():
            connection.close()
        for channel in self.channels.values():
            channel.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _tokens(home: Path) -> dict[str, str]:
    """Local principals for the demo's roles (the suite adds its admin and service tokens)."""
    tokens_file = home / "tokens.json"
    return {
        role: add_token(tokens_file, f"demo-{role}", [role], "created by slipway demo")
        for role in ("developer", "approver", "auditor", "viewer")
    }


def start_suite(home: Path, database_url: str, timeout: float) -> Suite:
    home.mkdir(parents=True, exist_ok=True)
    tokens = _tokens(home)
    env = dict(
        os.environ,
        SLIPWAY_HOME=str(home),
        # serving: shadow the challenger once it exists; monitoring: evaluate often.
        SLIPWAY_SERVING_SHADOW=f"{MODEL}=challenger",
        SLIPWAY_SERVING_LOAD_RETRY_SECONDS="1",
        SLIPWAY_SERVING_PREDICTION_LOG_BATCH="20",
        SLIPWAY_MONITORING_EVALUATION_INTERVAL_SECONDS="1",
    )
    command = [sys.executable, "-m", "slipway.cli.main"]
    if database_url:
        subprocess.run(
            [*command, "db", "upgrade", "--database-url", database_url],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=120,
        )
        env["SLIPWAY_DATABASE_URL"] = database_url
    suite_file = home / "suite.json"
    suite_file.unlink(missing_ok=True)
    log = (home / "up.log").open("ab")
    process = subprocess.Popen(
        [*command, "up", "--home", str(home), "--grpc-port-base", "0", "--metrics-port-base", "0"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while not suite_file.exists():
        if process.poll() is not None:
            raise DemoError(f"slipway up exited with {process.returncode}; see {home}/up.log")
        if time.monotonic() > deadline:
            process.kill()
            raise DemoError(f"the suite was not up within {timeout:.0f} s; see {home}/up.log")
        time.sleep(0.2)
    suite = json.loads(suite_file.read_text())
    tokens["admin"] = Path(suite["token_file"]).read_text().strip()
    return Suite(
        home,
        process,
        {name: info["grpc_address"] for name, info in suite["services"].items()},
        tokens,
    )


# --- inference ---------------------------------------------------------------------------------


def infer_request(rows: npt.NDArray[np.float64], request_id: str) -> infer_pb.ModelInferRequest:
    request = infer_pb.ModelInferRequest(model_name=MODEL, id=request_id)
    request.inputs.add(name="input-0", datatype="FP64", shape=list(rows.shape))
    request.raw_input_contents.append(np.ascontiguousarray(rows, dtype="<f8").tobytes())
    return request


def predicted(reply: infer_pb.ModelInferResponse) -> npt.NDArray[Any]:
    for index, tensor in enumerate(reply.outputs):
        if tensor.name == "predict":
            if reply.raw_output_contents:
                dtype = "<i8" if tensor.datatype == "INT64" else "<f8"
                return np.frombuffer(reply.raw_output_contents[index], dtype=dtype)
            return np.asarray(tensor.contents.int64_contents or tensor.contents.fp64_contents)
    raise DemoError("the reply has no predict output")


@dataclass
class Traffic:
    """What was sent, for labels and for the summary."""

    sent: int = 0
    failed: int = 0
    rows: int = 0
    versions: dict[str, int] = field(default_factory=dict)
    labels: list[tuple[str, npt.NDArray[np.int64]]] = field(default_factory=list)
    correct: int = 0

    def send(
        self,
        suite: Suite,
        rows: npt.NDArray[np.float64],
        labels: npt.NDArray[np.int64],
        prefix: str,
    ) -> None:
        for start in range(0, len(rows), ROWS_PER_REQUEST):
            chunk = rows[start : start + ROWS_PER_REQUEST]
            request_id = f"{prefix}-{self.sent:05d}"
            self.sent += 1
            try:
                reply = suite.inference.ModelInfer(
                    infer_request(chunk, request_id),
                    metadata=suite.auth("viewer"),
                    timeout=CALL_TIMEOUT,
                )
            except grpc.RpcError:
                self.failed += 1
                continue
            self.rows += len(chunk)
            self.versions[reply.model_version] = self.versions.get(reply.model_version, 0) + 1
            truth = labels[start : start + ROWS_PER_REQUEST]
            self.correct += int(np.sum(predicted(reply) == truth))
            self.labels.append((request_id, truth))

    def send_labels(self, suite: Suite) -> int:
        matched = 0
        for start in range(0, len(self.labels), 500):
            batch = self.labels[start : start + 500]
            reply = suite.monitoring.IngestGroundTruth(
                monitoring_pb.IngestGroundTruthRequest(
                    ground_truths=[
                        prediction_record_pb2.GroundTruth(
                            request_id=request_id,
                            model=f"models/{MODEL}",
                            labels=tensor_pb2.Tensor(
                                name="label",
                                data_type=tensor_pb2.DATA_TYPE_INT64,
                                shape=[len(values)],
                                raw_contents=np.ascontiguousarray(values, "<i8").tobytes(),
                            ),
                        )
                        for request_id, values in batch
                    ],
                    request_id=uuid.uuid4().hex,
                ),
                metadata=suite.auth("developer"),
                timeout=CALL_TIMEOUT,
            )
            matched += reply.matched_count + reply.pending_count
        self.labels.clear()
        return matched


def _triton_once(suite: Suite, rows: npt.NDArray[np.float64]) -> dict[str, Any]:
    """One request the way a Triton user sends it (tritonclient brings its own copy of the
    protocol's messages, so it runs in a process of its own)."""
    script = (
        "import json,sys\n"
        "import numpy as np\n"
        "import tritonclient.grpc as t\n"
        "address, token, rows = sys.argv[1], sys.argv[2], np.array(json.loads(sys.argv[3]))\n"
        "c = t.InferenceServerClient(url=address)\n"
        "h = {'authorization': 'Bearer ' + token}\n"
        "i = t.InferInput('input-0', list(rows.shape), 'FP64')\n"
        "i.set_data_from_numpy(rows.astype(np.float64))\n"
        "r = c.infer('demo', [i], outputs=[t.InferRequestedOutput('predict')], headers=h,\n"
        "            request_id='triton-demo')\n"
        "print(json.dumps({'ready': c.is_server_ready(headers=h),\n"
        "                  'model_version': r.get_response().model_version,\n"
        "                  'predict': r.as_numpy('predict').tolist()}))\n"
    )
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                script,
                suite.services["serving"],
                suite.tokens["viewer"],
                json.dumps(rows.tolist()),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "detail": "tritonclient did not answer within 60 s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"ok": False, "detail": f"tritonclient: {last}"}
    return {"ok": True, **json.loads(done.stdout)}


# --- steps -------------------------------------------------------------------------------------


class Progress:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.monotonic()
        self.steps: list[dict[str, Any]] = []

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    @contextlib.contextmanager
    def step(self, number: int, title: str) -> Iterator[dict[str, Any]]:
        self.say(f"\n[{number}/9] {title}")
        outcome: dict[str, Any] = {"step": number, "title": title}
        began = time.monotonic()
        try:
            yield outcome
        finally:
            outcome["seconds"] = round(time.monotonic() - began, 2)
            self.steps.append(outcome)
            self.say(f"      done in {outcome['seconds']:.1f} s")


def _wait(what: str, check: Callable[[], Any], timeout: float, every: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise DemoError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)


def _bar(percent: float, width: int = 30) -> str:
    filled = int(width * max(0.0, min(percent, 100.0)) / 100)
    return "#" * filled + "-" * (width - filled)


def watch_job(
    suite: Suite, name: str, progress: Progress, timeout: float
) -> training_job_pb2.TrainingJob:
    job = training_job_pb2.TrainingJob()
    tty = sys.stdout.isatty()
    last = ""
    for reply in suite.training.WatchTrainingJob(
        training_pb.WatchTrainingJobRequest(name=name),
        metadata=suite.auth("viewer"),
        timeout=timeout,
    ):
        job = reply.training_job
        stage = (
            training_job_pb2.TrainingStage.Name(job.progress.stage)
            .removeprefix("TRAINING_STAGE_")
            .lower()
        )
        trial = (
            f" trial {job.progress.trial}/{job.progress.trial_count}"
            if job.progress.trial_count
            else ""
        )
        state = (
            training_job_pb2.TrainingJobState.Name(job.state)
            .removeprefix("TRAINING_JOB_STATE_")
            .lower()
        )
        line = f"[{_bar(job.progress.percent)}] {job.progress.percent:5.1f}% {state}"
        if job.state == training_job_pb2.TRAINING_JOB_STATE_RUNNING:
            line += f" {stage}{trial}"
        if progress.quiet or line == last:
            continue
        last = line
        if tty:  # one line redrawn in a terminal, one line per change in a log
            print(f"\r      {line}".ljust(90), end="", flush=True)
        else:
            print(f"      {line}", flush=True)
    if tty and not progress.quiet:
        print(flush=True)
    if job.state != training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED:
        raise DemoError(
            f"{name} ended {training_job_pb2.TrainingJobState.Name(job.state)}: "
            f"{job.failure.message}"
        )
    return job


def initial_job() -> training_job_pb2.TrainingJob:
    job = training_job_pb2.TrainingJob(
        model=f"models/{MODEL}",
        task=training_job_pb2.TASK_TYPE_CLASSIFICATION,
        dataset=dataset_spec_pb2.DatasetSpec(
            bundled=dataset_spec_pb2.BUNDLED_DATASET_BREAST_CANCER
        ),
        split=dataset_spec_pb2.SplitSpec(test_fraction=0.25, stratify=True, seed=1),
        estimator=estimator_spec_pb2.EstimatorSpec(
            estimator=estimator_spec_pb2.Estimator(
                class_name="RandomForestClassifier",
                hyperparameters={"n_estimators": _value(40), "random_state": _value(0)},
            )
        ),
        reason="first model for the demo",
    )
    job.search.CopyFrom(
        search_spec_pb2.SearchSpec(
            strategy=search_spec_pb2.SEARCH_STRATEGY_GRID,
            cv_folds=3,
            scoring="accuracy",
            parameters=[
                search_spec_pb2.SearchParameter(name="max_depth", values=_values([4, 8])),
                search_spec_pb2.SearchParameter(name="min_samples_leaf", values=_values([1, 3])),
            ],
        )
    )
    return job


def _value(python: Any) -> Any:
    from slipway.core.values import to_pb

    return to_pb(python)


def _values(items: list[int]) -> Any:
    from slipway.common.v1 import value_pb2

    return value_pb2.ValueList(values=[_value(v) for v in items])


def _version_number(name: str) -> int:
    return int(name.rsplit("/", 1)[-1])


def _set_alias(suite: Suite, alias: str, number: int, reason: str) -> None:
    suite.registry.SetModelAlias(
        registry_pb.SetModelAliasRequest(
            name=f"models/{MODEL}",
            alias=alias,
            version_number=number,
            reason=reason,
            request_id=uuid.uuid4().hex,
        ),
        metadata=suite.auth("approver"),
        timeout=CALL_TIMEOUT,
    )


def _accuracy(suite: Suite, version: int, start: Any, end: Any) -> tuple[float, int]:
    report = suite.monitoring.ComputeMonitoringReport(
        monitoring_pb.ComputeMonitoringReportRequest(
            model_version=f"models/{MODEL}/versions/{version}", start_time=start, end_time=end
        ),
        metadata=suite.auth("viewer"),
        timeout=CALL_TIMEOUT,
    ).report
    for metric in report.performance.metrics:
        if metric.metric == "accuracy":
            return metric.value, report.performance.labeled_row_count
    return float("nan"), report.performance.labeled_row_count


def lifecycle(
    suite: Suite, world: World, rng: np.random.Generator, progress: Progress, timeout: float
) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    traffic = Traffic()

    with progress.step(2, "train a classifier on a bundled dataset with a grid search") as out:
        created = suite.training.CreateTrainingJob(
            training_pb.CreateTrainingJobRequest(
                training_job=initial_job(), request_id=uuid.uuid4().hex
            ),
            metadata=suite.auth("developer"),
            timeout=CALL_TIMEOUT,
        ).training_job
        progress.say(f"      {created.name} queued by demo-developer")
        job = watch_job(suite, created.name, progress, timeout)
        champion = _version_number(job.model_version)
        out.update(
            job=job.name,
            version=job.model_version,
            metrics=dict(job.metrics),
            best_params={k: from_pb(v) for k, v in job.best_params.items()},
        )
        progress.say(
            f"      {job.model_version}: accuracy {job.metrics['accuracy']:.3f}, "
            f"best params {params_text(job.best_params)}"
        )

    with progress.step(3, "an approver promotes it to production, with a reason") as out:
        reason = "holdout accuracy above 0.9; reviewed by the demo approver"
        _set_alias(suite, "production", champion, reason)
        out.update(alias="production", version=champion, reason=reason)
        # Serving follows the production alias of every model: no load, no restart.
        _wait(
            "serving follows the production alias",
            lambda: (
                suite.inference.ModelReady(
                    infer_pb.ModelReadyRequest(name=MODEL, version=str(champion)),
                    metadata=suite.auth("viewer"),
                    timeout=CALL_TIMEOUT,
                ).ready
            ),
            timeout,
        )
        progress.say(f"      models/{MODEL}@production -> version {champion}; serving follows it")

    with progress.step(4, "traffic through the Open Inference Protocol") as out:
        x, y = world.traffic(rng, 300, drifted=False)
        traffic.send(suite, x, y, "normal")
        triton = _triton_once(suite, x[:3])
        out.update(
            requests=traffic.sent,
            failed=traffic.failed,
            # Counted apart from `requests`, the demo's own client's, but in the summary's total.
            tritonclient_requests=1,
            rows=traffic.rows,
            accuracy=traffic.correct / max(traffic.rows, 1),
            tritonclient=triton,
        )
        via_triton = (
            f"answered by version {triton.get('model_version')}"
            if triton["ok"]
            else triton["detail"]
        )
        progress.say(
            f"      {traffic.sent} requests ({traffic.rows} rows), {traffic.failed} "
            f"failed, live accuracy {out['accuracy']:.3f}; tritonclient: {via_triton}"
        )
        traffic.send_labels(suite)

    with progress.step(5, "inject drift: monitoring alerts and retrains") as out:
        world.write_fresh_export(suite.home / "data" / FRESH_EXPORT)
        policy = monitoring_policy_pb2.MonitoringPolicy(
            model=f"models/{MODEL}",
            description="retrain the demo model when its inputs drift",
            window=monitoring_policy_pb2.WindowSpec(row_count=WINDOW_ROWS),
            min_samples=100,
            action=monitoring_policy_pb2.POLICY_ACTION_RETRAIN,
        )
        policy.retraining.dataset_path = FRESH_EXPORT
        policy.retraining.alias_on_success = "challenger"
        suite.monitoring.CreateMonitoringPolicy(
            monitoring_pb.CreateMonitoringPolicyRequest(
                monitoring_policy=policy,
                monitoring_policy_id="demo-drift",
                reason="retrain the demo model onto the challenger canary when its inputs drift",
                request_id=uuid.uuid4().hex,
            ),
            # The retrained version lands on live canary traffic: an approver signs that off.
            metadata=suite.auth("approver"),
            timeout=CALL_TIMEOUT,
        )
        before = traffic.correct, traffic.rows
        sent, failed = traffic.sent, traffic.failed
        x, y = world.traffic(rng, 2 * WINDOW_ROWS, drifted=True)
        traffic.send(suite, x, y, "drifted")
        out.update(requests=traffic.sent - sent, failed=traffic.failed - failed)
        drifted_accuracy = (traffic.correct - before[0]) / max(traffic.rows - before[1], 1)
        traffic.send_labels(suite)

        def triggered() -> alert_pb2.Alert | None:
            alerts = suite.monitoring.ListAlerts(
                monitoring_pb.ListAlertsRequest(
                    filter=f'model = "models/{MODEL}" AND kind = DATA_DRIFT'
                ),
                metadata=suite.auth("viewer"),
                timeout=CALL_TIMEOUT,
            ).alerts
            return next((a for a in alerts if a.retraining_decision), None)

        alert = _wait("a drift alert with a retraining decision", triggered, timeout)
        if alert.retraining_decision != alert_pb2.RETRAINING_DECISION_TRIGGERED:
            raise DemoError(f"retraining was not triggered: {alert.retraining_detail}")
        out.update(
            alert=alert.name,
            summary=alert.summary,
            training_job=alert.training_job,
            report=alert.report,
            champion_accuracy_on_drift=drifted_accuracy,
        )
        progress.say(f"      champion accuracy on drifted traffic: {drifted_accuracy:.3f}")
        progress.say(f"      {alert.name}: {alert.summary}")
        progress.say(f"      retraining {alert.training_job} (trigger DRIFT) on {FRESH_EXPORT}")
        retrained = watch_job(suite, alert.training_job, progress, timeout)
        challenger = _version_number(retrained.model_version)
        out.update(
            version=retrained.model_version,
            trigger=training_job_pb2.TrainingTrigger.Name(retrained.trigger),
            parent=retrained.parent_version,
        )

    with progress.step(6, "the challenger scores live traffic in shadow") as out:
        _wait(
            "serving loads the challenger as its shadow",
            lambda: (
                suite.inference.ModelReady(
                    infer_pb.ModelReadyRequest(name=MODEL, version=str(challenger)),
                    metadata=suite.auth("viewer"),
                    timeout=CALL_TIMEOUT,
                ).ready
            ),
            timeout,
        )
        start = _timestamp()
        sent, failed = traffic.sent, traffic.failed
        x, y = world.traffic(rng, 300, drifted=True)
        traffic.send(suite, x, y, "shadowed")
        out.update(requests=traffic.sent - sent, failed=traffic.failed - failed)
        traffic.send_labels(suite)
        end = _timestamp(after=5.0)  # shadow records are logged just after their answers

        def compared() -> tuple[tuple[float, int], tuple[float, int]] | None:
            ours = _accuracy(suite, champion, start, end), _accuracy(suite, challenger, start, end)
            return ours if ours[0][1] >= 300 and ours[1][1] >= 300 else None

        (champ, _), (chall, labeled) = _wait("labels joined for both versions", compared, timeout)
        out.update(champion_accuracy=champ, challenger_accuracy=chall, labeled_rows=labeled)
        progress.say(
            f"      on the same {labeled} live rows: champion (v{champion}) accuracy "
            f"{champ:.3f}, challenger (v{challenger}) {chall:.3f}"
        )
        if not chall > champ:
            raise DemoError("the challenger is not better than the champion on live traffic")

    with progress.step(7, "an approver promotes the challenger; serving swaps live") as out:
        stop = threading.Event()
        live = Traffic()

        def keep_sending() -> None:
            local = np.random.default_rng(1)
            while not stop.is_set() and live.sent < 2000:
                x, y = world.traffic(local, ROWS_PER_REQUEST, drifted=True)
                live.send(suite, x, y, "swap")

        sender = threading.Thread(target=keep_sending, daemon=True)
        sender.start()
        time.sleep(0.5)
        reason = (
            f"challenger accuracy {chall:.3f} against {champ:.3f} on live traffic after "
            f"the recalibration ({alert.name})"
        )
        _set_alias(suite, "production", challenger, reason)
        _wait(
            "serving answers with the new version",
            lambda: live.versions.get(str(challenger), 0) >= 20,
            timeout,
            every=0.1,
        )
        stop.set()
        sender.join(timeout=CALL_TIMEOUT)
        live.send_labels(suite)
        out.update(
            version=challenger,
            reason=reason,
            requests=live.sent,
            failed=live.failed,
            by_version=live.versions,
        )
        progress.say(
            f"      {live.sent} requests during the swap, {live.failed} failed; "
            f"answered by version: {live.versions}"
        )
        if live.failed:
            raise DemoError(f"{live.failed} requests failed during the swap")

    with progress.step(8, "lineage and audit report of the production version") as out:
        report = suite.lineage.GetLineageReport(
            lineage_pb.GetLineageReportRequest(name=f"models/{MODEL}@production"),
            metadata=suite.auth("auditor"),
            timeout=CALL_TIMEOUT,
        ).report
        text = to_markdown(report)
        (suite.home / "lineage-report.md").write_text(text)
        progress.say("")
        progress.say(text)
        verified = suite.as_role("auditor").audit.verify(timeout=CALL_TIMEOUT)
        status = chain_verification_pb2.ChainStatus.Name(verified.status)
        out.update(
            version=report.model_version.name,
            alias_moves=[
                {
                    "alias": e.alias,
                    "to": e.to_version_number,
                    "by": e.actor.name,
                    "reason": e.reason,
                }
                for e in report.alias_history
            ],
            alerts=[a.name for a in report.alerts],
            training_job=report.training_job.name,
            trigger=training_job_pb2.TrainingTrigger.Name(report.training_job.trigger),
            audit_events=len(report.audit_events),
            chain=status,
            chain_events=verified.event_count,
            warnings=list(report.warnings),
        )
        progress.say(f"      audit chain: {status}, {verified.event_count} events verified")
    summary["traffic"] = traffic_total(progress.steps)
    return summary


def params_text(params: Mapping[str, value_pb2.Value]) -> str:
    """Hyperparameters the way `slipway jobs get` prints them: ``max_depth=8 n_estimators=100``."""
    return pairs({name: from_pb(value) for name, value in params.items()}) or "none"


def traffic_total(steps: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """The inference requests of every step added up, so the summary matches the steps."""
    requests = sum(
        int(s.get("requests", 0)) + int(s.get("tritonclient_requests", 0)) for s in steps
    )
    return {"requests": requests, "failed": sum(int(s.get("failed", 0)) for s in steps)}


def _timestamp(after: float = 0.0) -> Any:
    from google.protobuf.timestamp_pb2 import Timestamp

    stamp = Timestamp()
    stamp.FromNanoseconds(int((time.time() + after) * 1e9))
    return stamp


def run(args: argparse.Namespace) -> int:
    progress = Progress(quiet=args.json)
    home = args.home or Path(tempfile.mkdtemp(prefix="slipway-demo-"))
    world = World.load()
    rng = np.random.default_rng(args.seed)
    summary: dict[str, Any] = {"home": str(home), "ok": False}
    suite: Suite | None = None
    try:
        with progress.step(1, "start the suite with local tokens") as out:
            suite = start_suite(home, args.database_url, args.timeout)
            url = args.database_url
            out.update(
                services=suite.services,
                pid=suite.process.pid,
                database="sqlite" if not url or url.startswith("sqlite") else url.split("@")[-1],
            )
            progress.say(f"      {', '.join(f'{k} {v}' for k, v in suite.services.items())}")
            progress.say(
                f"      data folder {home}; tokens for demo-developer, -approver, -auditor, -viewer"
            )
        summary.update(lifecycle(suite, world, rng, progress, args.timeout))
        summary["ok"] = True
    except (
        DemoError,
        grpc.RpcError,
        client.SlipwayError,
        subprocess.SubprocessError,
        OSError,
    ) as error:
        detail = (
            f"{error.code().name}: {error.details()}"
            if isinstance(error, grpc.RpcError) and hasattr(error, "code")
            else str(error)
        )
        summary["error"] = detail
        print(f"slipway demo: step {len(progress.steps)} failed: {detail}", file=sys.stderr)
    finally:
        with progress.step(
            9, "stop the suite" if not args.keep_running else "leave the suite running"
        ) as out:
            if suite is not None and not args.keep_running:
                suite.stop()
                out.update(stopped=True, exit_code=suite.process.returncode)
            elif suite is not None:
                out.update(stopped=False, pid=suite.process.pid)
                progress.say(
                    f"      the suite keeps running (pid {suite.process.pid}); "
                    f"SLIPWAY_HOME={home} slipway ... talks to it"
                )
    summary["steps"] = progress.steps
    summary["seconds"] = round(time.monotonic() - progress.started, 1)
    (home / "demo-summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        _print_summary(summary)
    return 0 if summary["ok"] else 1


def _print_summary(summary: dict[str, Any]) -> None:
    print("\nSummary")
    for step in summary["steps"]:
        print(f"  [{step['step']}/9] {step['title']:<62} {step['seconds']:6.1f} s")
    verdict = (
        "every step reached its outcome" if summary["ok"] else f"stopped: {summary.get('error')}"
    )
    print(f"  total {summary['seconds']:.1f} s; {verdict}")
    print(f"  data folder: {summary['home']} (demo-summary.json, lineage-report.md)")
