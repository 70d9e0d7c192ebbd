"""Settings of the training service."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from slipway.core.settings import RegistryClientSettings, setting


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainingSettings(RegistryClientSettings):
    """Slipway training service: queued training jobs, run by workers, registered with lineage."""

    service_name = "training"
    default_grpc_port = 7102
    default_metrics_port = 9102
    # Job specs are small: 2,000 feature names of 100 characters are 200 KB. Every request is
    # read whole before authentication, so 1 MiB bounds what 512 anonymous calls can hold.
    default_max_receive_message_bytes = 1024 * 1024

    data_root: Path | None = setting(
        None,
        "Folder that dataset paths are relative to; nothing outside it can be read. "
        "Default $SLIPWAY_HOME/data.",
    )
    work_dir: Path | None = setting(
        None,
        "Scratch folder for the files a job produces before they are registered. "
        "Default $SLIPWAY_HOME/training-work.",
    )
    workers: int = setting(
        1,
        "Jobs this process runs at once, each fit in its own child process. More replicas "
        "of the service on the same database simply add workers. 0 serves the API only.",
    )
    registry_retry_seconds: float = setting(
        120.0,
        "How long registration keeps retrying while the registry is unreachable before "
        "the job fails with the retryable reason REGISTRY_UNAVAILABLE.",
    )
    heartbeat_seconds: float = setting(
        2.0, "How often a worker proves a running job is alive (and notices cancellations)."
    )
    heartbeat_timeout_seconds: float = setting(
        15.0,
        "A running job whose heartbeat is older than this lost its worker: it is queued "
        "again, or failed with WORKER_LOST after max attempts.",
    )
    max_dataset_rows: int = setting(
        10_000_000,
        "Most rows a dataset file may hold; a Parquet file is measured from its metadata "
        "before it is read (validation included).",
    )
    max_dataset_columns: int = setting(2_000, "Most columns a dataset file may hold.")
    max_dataset_decoded_bytes: int = setting(
        1024**3,
        "Most bytes a dataset file may weigh on disk (checked from stat before a byte is "
        "read) and decode to (1 GiB; strings counted once per row, a Parquet file measured "
        "from its metadata, since a 1 MB file of repeated long strings can decode to "
        "gigabytes). Fitting needs a few times this.",
    )
    max_attempts: int = setting(3, "How many times a job is started before a lost worker fails it.")
    default_max_runtime_seconds: float = setting(
        3600.0, "Runtime limit per attempt for jobs that set none."
    )
    max_runtime_limit_seconds: float = setting(
        86400.0, "The largest runtime limit a job may ask for."
    )
    poll_seconds: float = setting(0.5, "How often an idle worker looks for queued jobs.")
    reference_sample_rows: int = setting(
        100_000,
        "Rows of the training split, and of the holdout split, that a version's reference "
        "file keeps (a uniform sample) for monitoring's drift statistics.",
    )
    protected_aliases: list[str] = setting(
        ["production"],
        "Aliases a job may not set on success: they are moved by an approver "
        "(SetModelAlias with a reason), never by training. Keep in step with "
        "the registry's setting.",
    )
    training_aliases: list[str] = setting(
        ["challenger"],
        "Protected aliases a job may still land on (keep in step with the registry's "
        "--training-aliases): they take live traffic (canaries, shadows), so only an approver "
        "or admin may create a job asking for one, and is recorded as its approver "
        "(`alias_approved_by` in the job's audit event). Jobs of monitoring's retraining, "
        "started by a peer role, pass. Empty: none needs an approver here (the registry's "
        "--training-aliases still decides what a job's version may take).",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.data_root is None:
            object.__setattr__(self, "data_root", self.home / "data")
        if self.work_dir is None:
            object.__setattr__(self, "work_dir", self.home / "training-work")
        if self.workers < 0:
            raise ValueError("workers must not be negative")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.reference_sample_rows < 1:
            raise ValueError("reference_sample_rows must be at least 1")
        if self.heartbeat_timeout_seconds <= 2 * self.heartbeat_seconds:
            raise ValueError("heartbeat_timeout_seconds must exceed twice heartbeat_seconds")
