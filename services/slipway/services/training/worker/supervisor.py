"""Workers: claim queued jobs, run each attempt in a child process, heartbeat, register.

A worker is an asyncio task of the training service; the fit itself runs in a child process
(``child.TrainingProcess``) that the worker kills on cancel, on timeout, or when it loses the
job. While a job runs its worker heartbeats it (a job whose heartbeat goes stale is queued again
by any worker's reaper), writes progress at most a few times a second, and looks for a cancel
twice a second, so a running fit stops within about a second of the cancel.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.registry import Collector

from slipway.core.logs import get_logger
from slipway.ml.table_limits import DEFAULT_TABLE_LIMITS
from slipway.ml.table_limits import TableLimits as DatasetLimits
from slipway.services.training.domain.entities import Failure, JobState, Progress, TrainingJob
from slipway.services.training.domain.jobs import LostJobError, TrainingJobs
from slipway.services.training.engine.outcome import TrainingFailed, TrainingOutcome
from slipway.services.training.worker.child import TrainingProcess, warm_up
from slipway.services.training.worker.registration import Registrar

log = get_logger("slipway.training.worker")
T = TypeVar("T")

TICK_SECONDS = 0.02  # how often a supervisor reads its child's messages (a pipe poll)
CANCEL_CHECK_SECONDS = 0.5
PROGRESS_WRITE_SECONDS = 0.5  # at most this often, unless the stage changes


class TrainingMetrics:
    """The training service's own series; registered on its server's /metrics."""

    def __init__(self) -> None:
        self.finished = Counter(
            "slipway_training_jobs_finished_total",
            "Training jobs that ended here, by final state and failure category.",
            ["state", "category"],
            registry=None,
        )
        self.running = Gauge(
            "slipway_training_jobs_running",
            "Training jobs this process is running now.",
            registry=None,
        )
        self.attempt_seconds = Histogram(
            "slipway_training_attempt_seconds",
            "Wall time of training attempts, claim to end.",
            buckets=(1, 5, 15, 60, 300, 900, 3600, 14400),
            registry=None,
        )
        self.requeued = Counter(
            "slipway_training_jobs_requeued_total",
            "Jobs whose worker was lost, queued again or failed by this process's reaper.",
            registry=None,
        )

    def collectors(self) -> list[Collector]:
        return [self.finished, self.running, self.attempt_seconds, self.requeued]


@dataclass(frozen=True)
class WorkerConfig:
    data_root: Path
    work_dir: Path
    heartbeat_seconds: float = 2.0
    poll_seconds: float = 0.5
    dataset_limits: DatasetLimits = DEFAULT_TABLE_LIMITS
    reference_sample_rows: int = 100_000


class Supervisor:
    """Runs ``count`` workers against the shared queue, plus a reaper for lost jobs."""

    def __init__(
        self,
        jobs: TrainingJobs,
        registrar: Registrar,
        config: WorkerConfig,
        *,
        count: int,
        worker_id: Callable[[], str],
        metrics: TrainingMetrics | None = None,
    ) -> None:
        self.metrics = metrics or TrainingMetrics()
        self.on_change: Callable[[], None] | None = None
        self._jobs = jobs
        self._registrar = registrar
        self._config = config
        self._count = count
        self._worker_id = worker_id
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._cancels: dict[str, asyncio.Event] = {}  # job id -> set when cancelled here

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        result = await asyncio.to_thread(fn, *args, **kwargs)
        if self.on_change is not None:
            self.on_change()  # watchers in this process look now, not at their next poll
        return result

    async def start(self) -> None:
        if self._count:
            await asyncio.to_thread(warm_up)
        for _ in range(self._count):
            self._tasks.append(asyncio.create_task(self._work(self._worker_id())))
        if self._count:
            self._tasks.append(asyncio.create_task(self._reap_forever(self._worker_id())))

    def job_queued(self) -> None:
        """A job was queued through this process: idle workers look now, not at their poll."""
        self._wake.set()

    def job_cancelled(self, job_id: str) -> None:
        """A cancel arrived through this process: its worker here (if any) stops at once."""
        if (event := self._cancels.get(job_id)) is not None:
            event.set()

    async def stop(self) -> None:
        """Stop claiming, kill running fits; their jobs are queued again by a reaper."""
        self._stopping.set()
        self._wake.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def _reap_forever(self, reaper: str) -> None:
        while not self._stopping.is_set():
            try:
                for job in await self._db(self._jobs.reap, reaper):
                    self.metrics.requeued.inc()
                    log.warning(
                        "lost worker",
                        job=job.name,
                        state=job.state.value,
                        attempts=job.attempt_count,
                    )
                    if job.state is JobState.QUEUED:
                        self._wake.set()
            except Exception:
                log.exception("reaping lost jobs failed; trying again")
            await asyncio.sleep(self._config.heartbeat_seconds)

    async def _work(self, worker: str) -> None:
        while not self._stopping.is_set():
            try:
                job = await self._db(self._jobs.claim, worker)
            except Exception:
                log.exception("claiming a job failed; trying again", worker=worker)
                job = None
            if job is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._config.poll_seconds)
                continue
            self.metrics.running.inc()
            started = time.monotonic()
            try:
                await self._run(job, worker)
            except LostJobError:
                log.warning("job taken away from this worker; stopped", job=job.name)
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):  # else a reaper re-queues it later
                    await self._db(
                        self._jobs.release, job.job_id, worker, "the training service stopped"
                    )
                    log.info("released job to the queue", job=job.name)
                raise
            except Exception:
                log.exception("supervising a job failed", job=job.name)
                with contextlib.suppress(Exception):
                    await self._finish_failed(
                        job,
                        worker,
                        Failure(
                            "internal",
                            "the training service failed while supervising the job; see its logs",
                            True,
                        ),
                    )
            finally:
                self.metrics.running.dec()
                self.metrics.attempt_seconds.observe(time.monotonic() - started)

    async def _finish_failed(self, job: TrainingJob, worker: str, failure: Failure) -> None:
        await self._db(self._jobs.fail, job.job_id, worker, failure)
        self.metrics.finished.labels(state="FAILED", category=failure.category).inc()
        log.warning(
            "training job failed",
            job=job.name,
            category=failure.category,
            message=failure.message[:300],
        )

    async def _run(self, job: TrainingJob, worker: str) -> None:
        out_dir = self._config.work_dir / f"{job.job_id}-{job.attempt_count}"
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir(parents=True)
        cancel = self._cancels.setdefault(job.job_id, asyncio.Event())
        log.info("training job started", job=job.name, attempt=job.attempt_count, worker=worker)
        try:
            outcome = await self._fit(job, worker, out_dir, cancel)
            if outcome is None:
                return
            await self._register(job, worker, out_dir, outcome, cancel)
        finally:
            self._cancels.pop(job.job_id, None)
            shutil.rmtree(out_dir, ignore_errors=True)

    async def _cancelled(self, job: TrainingJob, worker: str) -> None:
        await self._db(self._jobs.confirm_cancelled, job.job_id, worker)
        self.metrics.finished.labels(state="CANCELLED", category="").inc()
        log.info("training job cancelled", job=job.name)

    async def _fit(
        self, job: TrainingJob, worker: str, out_dir: Path, cancel: asyncio.Event
    ) -> TrainingOutcome | None:
        """Run the attempt's child process to its end; None when the job ended another way."""
        # Starting the child can take many seconds on a loaded machine (the fork server
        # imports scikit-learn first): the job is heartbeaten meanwhile, or it looks lost.
        async with self._heartbeating(job, worker):
            child = await asyncio.to_thread(
                TrainingProcess,
                job.spec.to_json(),
                data_root=self._config.data_root,
                out_dir=out_dir,
                limits=self._config.dataset_limits,
                sample_rows=self._config.reference_sample_rows,
            )
        log.info("fit process started", job=job.name, pid=child.pid)
        deadline = time.monotonic() + job.max_runtime_seconds
        next_heartbeat = time.monotonic() + self._config.heartbeat_seconds
        next_cancel_check = time.monotonic() + CANCEL_CHECK_SECONDS
        written = Progress()
        written_at = 0.0
        pending: Progress | None = None
        try:
            while True:
                outcome: TrainingOutcome | None = None
                failure: Failure | None = None
                # Whether it was alive before its messages were read: all it sent before it
                # ended is then in what is read now.
                alive = child.is_alive()
                for message in child.messages():
                    if message[0] == "progress":
                        pending = Progress(**message[1])
                    elif message[0] == "done":
                        outcome = message[1]
                    elif message[0] == "failed":
                        failure = Failure(message[1], message[2], bool(message[3]))
                now = time.monotonic()
                if pending is not None and (
                    pending.stage != written.stage
                    or outcome
                    or failure
                    or now - written_at >= PROGRESS_WRITE_SECONDS
                ):
                    await self._db(self._jobs.report_progress, job.job_id, worker, pending)
                    written, written_at, pending = pending, now, None
                    next_heartbeat = now + self._config.heartbeat_seconds
                if outcome is not None:
                    return outcome
                if failure is not None:
                    await self._finish_failed(job, worker, failure)
                    return None
                if not alive:
                    await self._finish_failed(
                        job,
                        worker,
                        Failure(
                            "internal",
                            f"the training process ended without a result (exit code "
                            f"{child.exit_code}; killed for memory?)",
                            True,
                        ),
                    )
                    return None
                if cancel.is_set() or now >= next_cancel_check:
                    next_cancel_check = now + CANCEL_CHECK_SECONDS
                    state = JobState.CANCELLING if cancel.is_set() else None
                    if now >= next_heartbeat or state is None:
                        current = await self._db(self._jobs.heartbeat, job.job_id, worker)
                        next_heartbeat = now + self._config.heartbeat_seconds
                        state = current.state
                    if state is JobState.CANCELLING:
                        await asyncio.to_thread(child.kill)
                        await self._cancelled(job, worker)
                        return None
                if now >= deadline:
                    await asyncio.to_thread(child.kill)
                    await self._finish_failed(
                        job,
                        worker,
                        Failure(
                            "timeout",
                            f"exceeded the runtime limit of {job.max_runtime_seconds:g} s "
                            f"(attempt {job.attempt_count})",
                            False,
                        ),
                    )
                    return None
                await asyncio.sleep(TICK_SECONDS)
        finally:
            await asyncio.to_thread(child.close)

    @contextlib.asynccontextmanager
    async def _heartbeating(self, job: TrainingJob, worker: str) -> AsyncIterator[None]:
        """Heartbeat ``job`` in the background while the body waits on something long."""

        async def heartbeat_forever() -> None:
            while True:
                await asyncio.sleep(self._config.heartbeat_seconds)
                try:
                    await self._db(self._jobs.heartbeat, job.job_id, worker)
                except LostJobError:
                    # Another worker has it now; the body's next write of the job says so.
                    log.warning("heartbeat found the job lost", job=job.name, worker=worker)
                    return
                except Exception:
                    # A database hiccup must not end the heartbeat: the job would look lost.
                    log.exception("heartbeat failed; trying again", job=job.name)

        beating = asyncio.create_task(heartbeat_forever())
        try:
            yield
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await beating  # a lost job shows at the next write of the job, after this

    async def _register(
        self,
        job: TrainingJob,
        worker: str,
        out_dir: Path,
        outcome: TrainingOutcome,
        cancel: asyncio.Event,
    ) -> None:
        current = await self._db(self._jobs.heartbeat, job.job_id, worker)
        if cancel.is_set() or current.state is JobState.CANCELLING:
            await self._cancelled(job, worker)  # nothing registered yet: a clean cancel
            return
        await self._db(
            self._jobs.report_progress,
            job.job_id,
            worker,
            Progress(stage="registering", percent=96.0, message=f"registering in {job.model}"),
        )

        async def new_key(n: int) -> str:
            key = f"{job.job_id}.r{n}"
            await self._db(self._jobs.set_registration_key, job.job_id, worker, key)
            return key

        async def between_tries() -> None:
            await self._db(self._jobs.heartbeat, job.job_id, worker)

        try:
            async with self._heartbeating(job, worker):  # an upload may outlast the timeout
                name = await self._registrar.register(
                    current, outcome, out_dir, new_key=new_key, between_tries=between_tries
                )
        except TrainingFailed as failed:
            await self._finish_failed(
                job, worker, Failure(failed.category, failed.message, failed.retryable)
            )
            return
        # A cancel that arrives while the version is being registered is too late: the job
        # ends SUCCEEDED with the version it registered (the cancel is in the audit log).
        await self._db(
            self._jobs.succeed,
            job.job_id,
            worker,
            model_version=name,
            metrics=outcome.metrics,
            best_params=outcome.best_params,
        )
        self.metrics.finished.labels(state="SUCCEEDED", category="").inc()
        log.info("training job succeeded", job=job.name, version=name, metrics=outcome.metrics)
