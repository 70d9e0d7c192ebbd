"""Settings of the registry service."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from slipway.core.settings import ServiceSettings, setting


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegistrySettings(ServiceSettings):
    """Slipway registry service: models, versions, artifacts, aliases, lineage, events."""

    service_name = "registry"
    default_grpc_port = 7101
    default_metrics_port = 9101
    # Artifacts come in 1 MiB chunks, but CreateModelVersion's first message carries the
    # version's signature and reference profile (up to 2,000 features, 1,000 categories each in
    # the signature), which needs the 8 MiB; gRPC cannot give one method a larger limit.
    default_max_receive_message_bytes = 8 * 1024 * 1024

    artifact_dir: Path | None = setting(
        None, "Folder of the content-addressed artifact store. Default $SLIPWAY_HOME/artifacts."
    )
    max_artifact_bytes: int = setting(
        2 * 1024**3, "Largest artifact accepted, checked while streaming."
    )
    protected_aliases: list[str] = setting(
        ["production", "challenger"],
        "Aliases only an approver or admin may move, with a reason, and only to a READY "
        "version (comma-separated in the environment). List every alias serving routes live "
        "traffic to: its deployments (`--deployments model@alias`), canaries (`--canary "
        "model=alias:N`) and shadows (`--shadow model=alias`); `challenger` is the one the "
        "runbook and retraining use.",
    )
    training_aliases: list[str] = setting(
        ["challenger"],
        "Protected aliases the training service may still set: only on the version a verified "
        "training job registered, and only the alias that job asked for (`alias_on_success`), "
        "as a retraining sets `challenger`. Empty: only approvers move protected aliases.",
    )
    allow_pickle: bool = setting(
        False, "Accept pickle/joblib artifacts, which can run code when loaded. Logged."
    )
    max_unpacked_bytes: int = setting(
        1024**3,
        "Largest a skops model file may unpack to (its members together), checked on the zip's "
        "directory before anything is decompressed; also at most --max-unpack-ratio times the "
        "file's size. Per member 1 GiB, 100,000 members, schema.json 32 MiB.",
    )
    max_unpack_ratio: float = setting(
        100.0,
        "A skops model file may unpack to at most this many times its own size (files under "
        "1 MiB to 100 MiB): a 1 MB zip bomb once took the registry to 2.3 GB.",
    )
    inspection_memory_bytes: int = setting(
        1536 * 1024**2,
        "Memory (address space beyond its imports, about 300 MiB) of the child process that "
        "inspects an uploaded model file (a fresh child per file); a file that needs more is "
        "refused. At most --inspection-concurrency children run at once.",
    )
    inspection_seconds: float = setting(
        60.0, "Time one model file's inspection may take before it is refused."
    )
    inspection_concurrency: int = setting(
        1,
        "Model file inspections that run at once. Each may use --inspection-memory-bytes, so "
        "this times that bounds their memory together; 1 suits 2 cores and the deploy/ "
        "memory limits.",
    )
    inspection_wait_seconds: float = setting(
        30.0,
        "Longest an upload waits for an inspection slot; past it the upload is refused as "
        "UNAVAILABLE (INSPECTION_BUSY) to be retried, instead of holding a server thread.",
    )
    read_cache_seconds: float = setting(
        0.1,
        "Version reads are answered from memory while the registry is unchanged; changes "
        "made through another registry process are noticed within this many seconds. "
        "0 turns the cache off.",
    )
    upload_lease_seconds: float = setting(
        60.0,
        "An upload that sends nothing for this long (its client or server died) is marked FAILED.",
    )
    training_target: str = setting(
        "",
        "host:port of the training service, asked for the training job behind a lineage "
        "report. Empty: read from --suite-file, else the report says it is missing.",
    )
    monitoring_target: str = setting(
        "",
        "host:port of the monitoring service, asked for the alerts in a lineage report. "
        "Empty: read from --suite-file, else the report says they are missing.",
    )
    peer_token_file: Path | None = setting(
        None,
        "Bearer token presented to training and monitoring (a principal with a reading "
        "role, such as `viewer`). Default $SLIPWAY_HOME/registry.token, as `slipway up` writes "
        "it.",
    )
    peer_tls_ca_file: Path | None = setting(
        None,
        "PEM CA bundle to verify the certificates of training and monitoring; enables TLS to them.",
    )
    suite_file: Path | None = setting(
        None,
        "The suite description `slipway up` writes ($SLIPWAY_HOME/suite.json): the "
        "training and monitoring addresses not given by their flags are read from it "
        "for each lineage report, since those services start after the registry.",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.artifact_dir is None:
            object.__setattr__(self, "artifact_dir", self.home / "artifacts")
        if self.peer_token_file is None:
            object.__setattr__(self, "peer_token_file", self.home / "registry.token")
        if self.inspection_concurrency < 1:
            raise ValueError("inspection_concurrency must be at least 1")
        if self.inspection_wait_seconds < 0:
            raise ValueError("inspection_wait_seconds must not be negative")
