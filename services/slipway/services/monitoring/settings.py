"""Settings of the monitoring service."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from slipway.core.peers import PeerTarget
from slipway.core.settings import RegistryClientSettings, setting


@dataclasses.dataclass(frozen=True, kw_only=True)
class MonitoringSettings(RegistryClientSettings):
    """Slipway monitoring service: drift, data quality, performance, alerts, retraining."""

    service_name = "monitoring"
    default_grpc_port = 7104
    default_metrics_port = 9104

    training_target: str = setting(
        "",
        "host:port of the training service that retraining jobs are created on; empty: "
        "policies with the RETRAIN action only alert (and say why on the alert).",
    )
    training_token_file: Path | None = setting(
        None,
        "Bearer token presented to training (role `monitor`). Default: the registry token file.",
    )
    training_tls_ca_file: Path | None = setting(
        None, "PEM CA bundle to verify the training service's certificate; enables TLS."
    )
    evaluation_interval_seconds: float = setting(
        10.0, "How often policies look for windows that are due."
    )
    window_sample_rows: int = setting(
        50_000,
        "Rows a window keeps as its uniform sample for the drift tests (the counts of "
        "data quality and the row totals cover every row).",
    )
    retention_days: float = setting(
        30.0,
        "Prediction logs and waiting labels older than this are deleted (alerts and the "
        "reports behind them are kept).",
    )
    cache_dir: Path | None = setting(
        None,
        "Local cache of verified reference samples and models. Default "
        "$SLIPWAY_HOME/monitoring-cache.",
    )
    protected_aliases: list[str] = setting(
        ["production"],
        "Aliases a policy may not give a retrained version: an approver "
        "promotes to them. Keep in step with the registry's setting.",
    )
    training_aliases: list[str] = setting(
        ["challenger"],
        "Live-traffic aliases (canaries, shadows) a retrained version may still land on, as "
        "the registry's and training's --training-aliases: a RETRAIN policy landing on one "
        "(its retraining.alias_on_success, or the default challenger) may be created, or its "
        "action and retraining changed, only by an approver or admin (PERMISSION_DENIED, "
        "PROTECTED_ALIAS). Empty: no policy needs an approver.",
    )

    max_reference_rows: int = setting(
        10_000_000,
        "Most rows a version's reference file may hold (training and holdout samples "
        "together), read from its metadata before it is decoded; a version over any "
        "max_reference limit gets no report (FAILED_PRECONDITION, REFERENCE_TOO_LARGE).",
    )
    max_reference_columns: int = setting(
        2_002,
        "Most columns a version's reference file may hold: training's max_dataset_columns "
        "and the file's two own columns (target, holdout flag).",
    )
    max_reference_decoded_bytes: int = setting(
        1024**3,
        "Most bytes a version's reference file may weigh on disk and decode to (1 GiB, as "
        "training's max_dataset_decoded_bytes: a reference is a sample of a dataset). "
        "Measured from its metadata, since a small file of repeated long strings, uploaded "
        "with a version, can decode to gigabytes. Building the reference needs a few times "
        "this.",
    )

    max_value_bytes: int = setting(
        1024,
        "Longest BYTES value a prediction record may hold, on average over each tensor; a "
        "record over it is rejected (keep in step with serving's max_value_bytes).",
    )
    max_pending_labels_per_call: int = setting(
        1000,
        "Most ground-truth labels one IngestGroundTruth call may leave waiting for their "
        "predictions; over it the call is RESOURCE_EXHAUSTED and stores nothing.",
    )
    max_pending_labels_per_model: int = setting(
        100_000,
        "Most labels that may wait for their predictions per model (labels naming no model "
        "share one such bound); waiting labels leave when joined or after retention_days.",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.cache_dir is None:
            object.__setattr__(self, "cache_dir", self.home / "monitoring-cache")
        if self.training_token_file is None:
            object.__setattr__(self, "training_token_file", self.registry_token_file)
        if self.evaluation_interval_seconds <= 0:
            raise ValueError("evaluation_interval_seconds must be positive")
        if self.retention_days <= 0:
            raise ValueError("retention_days must be positive")
        if (
            min(
                self.max_value_bytes,
                self.max_reference_rows,
                self.max_reference_columns,
                self.max_reference_decoded_bytes,
                self.max_pending_labels_per_call,
                self.max_pending_labels_per_model,
            )
            < 1
        ):
            raise ValueError(
                "max_value_bytes, the max_reference and the max_pending_labels settings "
                "must be at least 1"
            )
        if self.window_sample_rows < 100:
            raise ValueError("window_sample_rows must be at least 100")

    @property
    def training(self) -> PeerTarget | None:
        if not self.training_target:
            return None
        return PeerTarget(self.training_target, self.training_token_file, self.training_tls_ca_file)
