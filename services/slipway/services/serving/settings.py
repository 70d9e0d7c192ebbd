"""Settings of the serving service."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from slipway.core.names import ALIAS, MODEL_ID
from slipway.core.settings import RegistryClientSettings, setting


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServingSettings(RegistryClientSettings):
    """Slipway serving service: the Open Inference Protocol over gRPC."""

    service_name = "serving"
    default_grpc_port = 7103
    default_metrics_port = 9103
    access_log_sampled_methods = frozenset({"/inference.GRPCInferenceService/ModelInfer"})

    access_log_sample_rate: float = setting(
        0.01,
        "Share of successful, fast ModelInfer calls that get an access-log line (0 to 1; "
        "0.01: one in a hundred, the first call among them). Every other method, every "
        "failed or refused call and every call slower than access_log_slow_seconds is "
        "always logged. Each line carries its sample_rate, so the calls are the sum of "
        "1 / sample_rate. A line per call cost 15% of serving's CPU per LR call and 95 MB of "
        "logs per ten minutes at one client (bench/access_log.py).",
    )

    deployments: list[str] = setting(
        [],
        "What to serve besides the followed alias: `model@alias` (follows the alias live) or "
        "`model@3` (pinned), comma-separated in the environment. A bare `model` means "
        "`model@production`. A load or unload stored through the repository API overrides "
        "it for that model.",
    )
    follow_alias: str = setting(
        "production",
        "Serve `model@ALIAS` for every model that has this alias: a model appears when the "
        "alias is set and is unloaded when it is deleted. `none` follows nothing (only "
        "--deployments and stored loads are served).",
    )
    follow_models: list[str] = setting(
        [],
        "Follow the alias of these models only (comma-separated in the environment); "
        "empty: of every model.",
    )
    desired_state_poll_seconds: float = setting(
        2.0,
        "How often the loads and unloads stored through the repository API (by any serving "
        "process of the suite) are read and converged to.",
    )
    canary: list[str] = setting(
        [],
        "Canary policies, `model=alias:percent`: that share of the model's traffic goes to "
        "the version behind the alias (sticky per request id).",
    )
    shadow: list[str] = setting(
        [],
        "Shadow policies, `model=alias`: the version behind the alias scores every request "
        "off the response path; callers get the deployed version's answer.",
    )
    cache_dir: Path | None = setting(
        None,
        "Local cache of verified artifacts, so a restart works while the registry is "
        "down. Default $SLIPWAY_HOME/serving-cache.",
    )
    max_rows: int = setting(100_000, "Most rows one request may carry.")
    max_value_bytes: int = setting(
        1024,
        "Longest BYTES element (a categorical value) one request may carry, in bytes; "
        "longer ones are INVALID_ARGUMENT (VALUE_TOO_LONG), since each is logged with its row.",
    )
    max_stream_in_flight: int = setting(
        16,
        "Most requests of one ModelStreamInfer stream worked on at once; the stream reads no "
        "further request until one of them is answered.",
    )
    batching: bool = setting(
        True, "Merge concurrent requests to a model into one prediction (adaptive batching)."
    )
    max_batch_rows: int = setting(
        32_768,
        "Most rows in one merged prediction (large requests merge too: one call over "
        "32k rows of a forest costs far less than 32 calls over 1000).",
    )
    max_batch_wait_ms: float = setting(
        0.0,
        "How long a request may wait for others to join its batch; 0 merges only "
        "requests that arrive while a prediction runs.",
    )
    load_retry_seconds: float = setting(
        5.0, "How often a target that could not be loaded is tried again."
    )
    resync_seconds: float = setting(
        30.0, "Followed aliases are re-read this often, besides the registry's events."
    )
    ready_timeout_seconds: float = setting(
        60.0,
        "While models are still loading, a warning naming them is logged this often "
        "(readiness stays false until they are all in).",
    )
    monitoring_target: str = setting(
        "",
        "host:port of the monitoring service that prediction logs are sent to; empty sends none.",
    )
    monitoring_token_file: Path | None = setting(
        None,
        "Bearer token presented to monitoring (role `server`). Default: the registry token file.",
    )
    prediction_log_sample_rate: float = setting(
        1.0, "Share of requests whose inputs and outputs are logged to monitoring (0 to 1)."
    )
    prediction_log_queue: int = setting(
        10_000,
        "Requests waiting to be sent at most; beyond it logs are dropped and counted, "
        "never inference slowed.",
    )
    prediction_log_batch: int = setting(500, "Requests per IngestPredictions batch.")
    probes_need_token: bool = setting(
        False,
        "ServerLive and ServerReady need a token like every other call. By default they "
        "answer anyone, like the health service: probes and load balancers send none.",
    )
    allow_pickle: bool = setting(False, "Load pickle/joblib artifacts, which can run code. Logged.")
    backend: str = setting(
        "auto",
        "What answers: `onnx` (the version's ONNX form in ONNX Runtime; a version without a "
        "verified one is not loaded), `sklearn`, or `auto`: onnx when the form builds and "
        "gives scikit-learn's answers on the version's reference rows, else sklearn.",
    )
    model_backends: list[str] = setting(
        [],
        "Per-model exceptions to --backend, `model=auto|onnx|sklearn`, comma-separated in "
        "the environment.",
    )
    onnx_threads: int = setting(
        1,
        "Threads ONNX Runtime uses for one prediction; 0 lets it choose (one per core). One "
        "leaves the other cores to concurrent requests, which batching already merges.",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.cache_dir is None:
            object.__setattr__(self, "cache_dir", self.home / "serving-cache")
        if self.monitoring_token_file is None:
            object.__setattr__(self, "monitoring_token_file", self.registry_token_file)
        if not 0.0 <= self.prediction_log_sample_rate <= 1.0:
            raise ValueError("prediction_log_sample_rate must be between 0 and 1")
        if self.backend not in ("auto", "onnx", "sklearn"):
            raise ValueError("backend must be auto, onnx or sklearn")
        if self.follow_alias != "none" and not ALIAS.fullmatch(self.follow_alias):
            raise ValueError("follow_alias must be an alias or none")
        for model_id in self.follow_models:
            if not MODEL_ID.fullmatch(model_id):
                raise ValueError(f"follow_models: {model_id!r} is not a model id")
        if self.desired_state_poll_seconds <= 0:
            raise ValueError("desired_state_poll_seconds must be positive")
        if self.onnx_threads < 0:
            raise ValueError("onnx_threads must be at least 0")
        if self.max_rows < 1 or self.max_batch_rows < 1 or self.max_value_bytes < 1:
            raise ValueError("max_rows, max_batch_rows and max_value_bytes must be at least 1")
        if self.max_stream_in_flight < 1:
            raise ValueError("max_stream_in_flight must be at least 1")
