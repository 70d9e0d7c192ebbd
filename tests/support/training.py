"""Helpers of the training tests: job specs, a client of a running training service, and
`slipway training` / `slipway registry` as child processes.

Every wait here is bounded in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import numpy as np
from google.protobuf import duration_pb2

from slipway.audit.v1 import audit_service_pb2_grpc
from slipway.common.v1 import value_pb2
from slipway.core.audit.recorder import DatabaseEdgeAuditor
from slipway.core.db import Database
from slipway.lineage.v1.lineage_service_pb2_grpc import LineageServiceStub
from slipway.registry.v1 import registry_service_pb2_grpc as registry_grpc
from slipway.services.registry import main as registry_main
from slipway.services.registry.settings import RegistrySettings
from slipway.training.v1 import (
    dataset_spec_pb2,
    estimator_spec_pb2,
    search_spec_pb2,
    training_job_pb2,
)
from slipway.training.v1 import training_service_pb2 as pb
from slipway.training.v1 import training_service_pb2_grpc as pb_grpc
from support.harness import auth, running_server, settings_for
from support.registry import Registry
from support.waiting import wait_until

WAIT_SECONDS = 90.0  # a whole job: fork, fit, register

QUEUED = training_job_pb2.TRAINING_JOB_STATE_QUEUED
RUNNING = training_job_pb2.TRAINING_JOB_STATE_RUNNING
CANCELLING = training_job_pb2.TRAINING_JOB_STATE_CANCELLING
SUCCEEDED = training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED
FAILED = training_job_pb2.TRAINING_JOB_STATE_FAILED
CANCELLED = training_job_pb2.TRAINING_JOB_STATE_CANCELLED
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})
CLASSIFICATION = training_job_pb2.TASK_TYPE_CLASSIFICATION
REGRESSION = training_job_pb2.TASK_TYPE_REGRESSION


def value(python: Any) -> value_pb2.Value:
    from slipway.core.values import to_pb

    return to_pb(python)


def estimator(class_name: str, **hyperparameters: Any) -> estimator_spec_pb2.EstimatorSpec:
    return estimator_spec_pb2.EstimatorSpec(
        estimator=estimator_spec_pb2.Estimator(
            class_name=class_name, hyperparameters={k: value(v) for k, v in hyperparameters.items()}
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


def bundled(name: str) -> dataset_spec_pb2.DatasetSpec:
    return dataset_spec_pb2.DatasetSpec(
        bundled=getattr(dataset_spec_pb2, f"BUNDLED_DATASET_{name.upper()}")
    )


def job(
    model: str = "models/wine",
    *,
    spec: estimator_spec_pb2.EstimatorSpec | None = None,
    dataset: dataset_spec_pb2.DatasetSpec | None = None,
    task: int = CLASSIFICATION,
    seed: int = 7,
    max_runtime: float = 0.0,
    **fields: Any,
) -> training_job_pb2.TrainingJob:
    """A small, quick classification job on a bundled dataset unless told otherwise."""
    message = training_job_pb2.TrainingJob(
        model=model,
        task=task,
        estimator=spec
        or pipeline(
            ("scale", estimator("StandardScaler")),
            ("model", estimator("LogisticRegression", max_iter=500)),
        ),
        dataset=dataset or bundled("wine"),
        split=dataset_spec_pb2.SplitSpec(test_fraction=0.25, stratify=True, seed=seed),
        **fields,
    )
    if max_runtime:
        message.limits.max_runtime.CopyFrom(
            duration_pb2.Duration(seconds=int(max_runtime), nanos=int((max_runtime % 1) * 1e9))
        )
    return message


def wine_random_search(model: str = "models/wine") -> training_job_pb2.TrainingJob:
    """The issue's example: a forest on wine with a small random search."""
    message = job(model, spec=estimator("RandomForestClassifier", n_estimators=20))
    message.search.CopyFrom(
        search_spec_pb2.SearchSpec(
            strategy=search_spec_pb2.SEARCH_STRATEGY_RANDOM,
            n_iter=4,
            cv_folds=3,
            scoring="accuracy",
            parameters=[
                search_spec_pb2.SearchParameter(
                    name="max_depth", int_range=search_spec_pb2.IntRange(min=2, max=8)
                ),
                search_spec_pb2.SearchParameter(
                    name="min_samples_leaf",
                    values=value_pb2.ValueList(values=[value(1), value(2), value(4)]),
                ),
            ],
        )
    )
    return message


def slow_job(model: str = "models/slow", **fields: Any) -> training_job_pb2.TrainingJob:
    """A fit that takes minutes on these machines (thousands of unpruned trees on digits)."""
    return job(
        model,
        spec=estimator("ExtraTreesClassifier", n_estimators=20_000, n_jobs=1),
        dataset=bundled("digits"),
        **fields,
    )


def write_csv(path: Path, rows: int = 300, seed: int = 0) -> Path:
    """A CSV with numeric features, a categorical one, a few missing values and a label."""
    rng = np.random.RandomState(seed)
    colours = np.array(["red", "green", "blue"])
    lines = ["size,weight,colour,label"]
    for i in range(rows):
        size, weight = rng.normal(10, 2), rng.normal(50, 10)
        colour = colours[rng.randint(3)]
        label = "big" if size + (colour == "red") * 2 > 10.5 else "small"
        size_text = "" if i % 50 == 7 else f"{size:.4f}"
        lines.append(f"{size_text},{weight:.4f},{colour},{label}")
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Training:
    """A running training service and a client of it."""

    stub: pb_grpc.TrainingServiceAsyncStub
    audit: audit_service_pb2_grpc.AuditServiceStub
    db: Database
    tokens: dict[str, str]
    address: str

    def as_(self, role: str) -> tuple[tuple[str, str], ...]:
        return auth(self.tokens[role])

    async def create(
        self, message: training_job_pb2.TrainingJob, *, role: str = "developer", **fields: Any
    ) -> training_job_pb2.TrainingJob:
        reply = await self.stub.CreateTrainingJob(
            pb.CreateTrainingJobRequest(training_job=message, **fields), metadata=self.as_(role)
        )
        return reply.training_job

    async def get(self, name: str) -> training_job_pb2.TrainingJob:
        reply = await self.stub.GetTrainingJob(
            pb.GetTrainingJobRequest(name=name), metadata=self.as_("viewer")
        )
        return reply.training_job

    async def wait_for(
        self, name: str, states: Sequence[int], *, within: float = WAIT_SECONDS, stage: int = 0
    ) -> training_job_pb2.TrainingJob:
        current = training_job_pb2.TrainingJob()

        async def reached() -> bool:
            nonlocal current
            current = await self.get(name)
            return current.state in states and (not stage or current.progress.stage == stage)

        await wait_until(reached, lambda: f"{name} in {list(states)}, last seen: {current}", within)
        return current

    async def finished(
        self, name: str, within: float = WAIT_SECONDS
    ) -> training_job_pb2.TrainingJob:
        return await self.wait_for(name, sorted(TERMINAL), within=within)

    async def watch(
        self, name: str, within: float = WAIT_SECONDS
    ) -> list[training_job_pb2.TrainingJob]:
        seen = []
        async for reply in self.stub.WatchTrainingJob(
            pb.WatchTrainingJobRequest(name=name), metadata=self.as_("viewer"), timeout=within
        ):
            seen.append(reply.training_job)
        return seen


StartTraining = Callable[..., contextlib.AbstractAsyncContextManager[Training]]


def suite_file_of(tmp_path: Path) -> Path:
    """Where a test's services announce their addresses (as `slipway up` writes suite.json),
    so that a registry started first finds the training service started after it."""
    return tmp_path / "suite.json"


def announce(suite_file: Path, service: str, address: str) -> None:
    suite = json.loads(suite_file.read_text()) if suite_file.exists() else {"services": {}}
    suite["services"][service] = {"grpc_address": address}
    suite_file.write_text(json.dumps(suite))


def registry_peer_settings(home: Path, tokens: dict[str, str]) -> dict[str, Any]:
    """The registry's peers: found through the suite file beside ``home``, called with a
    viewer's token (reading jobs and alerts is all the registry asks of them)."""
    token_file = home / "peer.token"
    token_file.write_text(tokens["viewer"] + "\n")
    return {"suite_file": suite_file_of(home.parent), "peer_token_file": token_file}


@contextlib.asynccontextmanager
async def running_registry(
    db: Database,
    home: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    artifact_dir: Path,
    grpc_address: str = "127.0.0.1:0",
) -> AsyncIterator[Registry]:
    """An in-process registry on ``db`` (with its sweeper of interrupted uploads); it verifies
    the training jobs behind uploads with a training service announced beside ``home``."""
    await asyncio.to_thread(home.mkdir, parents=True, exist_ok=True)
    settings = settings_for(
        RegistrySettings,
        home,
        tokens_file=tokens_file,
        artifact_dir=artifact_dir,
        grpc_address=grpc_address,
        **registry_peer_settings(home, tokens),
        # An upload whose chunks stop for this long is swept as abandoned. 5 s swept live
        # uploads of large models on a loaded machine (the registry, the trainer and the test
        # share one process here); no test of these services waits for a sweep.
        upload_lease_seconds=30.0,
    )
    app = registry_main.build(settings, db)
    async with (
        running_server(
            settings, app.services, auditor=DatabaseEdgeAuditor(db, "registry")
        ) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        assert app.on_ready is not None
        assert app.on_stopping is not None
        await app.on_ready()
        try:
            yield Registry(
                registry_grpc.RegistryServiceStub(channel),
                audit_service_pb2_grpc.AuditServiceStub(channel),
                db,
                settings,
                tokens,
                server.grpc_address,
                LineageServiceStub(channel),
            )
        finally:
            await app.on_stopping()
