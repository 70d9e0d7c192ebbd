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

    artifact_dir: Path | None = setting(
        None, "Folder of the content-addressed artifact store. Default $SLIPWAY_HOME/artifacts.")
    max_artifact_bytes: int = setting(2 * 1024**3, "Largest artifact accepted, checked while "
                                                   "streaming.")
    protected_aliases: list[str] = setting(
        ["production"], "Aliases only an approver or admin may move, with a reason, and only to "
                        "a READY version (comma-separated in the environment).")
    allow_pickle: bool = setting(
        False, "Accept pickle/joblib artifacts, which can run code when loaded. Logged.")
    read_cache_seconds: float = setting(
        0.1, "Version reads are answered from memory while the registry is unchanged; changes "
             "made through another registry process are noticed within this many seconds. "
             "0 turns the cache off.")
    upload_lease_seconds: float = setting(
        60.0, "An upload that sends nothing for this long (its client or server died) is "
              "marked FAILED.")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.artifact_dir is None:
            object.__setattr__(self, "artifact_dir", self.home / "artifacts")
