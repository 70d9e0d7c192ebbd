"""Settings: one documented frozen dataclass per service, filled from flags, then environment.

Every field documents itself (``help`` metadata) so ``--help`` lists each flag with its environment
variable and default. A field ``grpc_address`` of the registry is read from
``SLIPWAY_REGISTRY_GRPC_ADDRESS`` first and ``SLIPWAY_GRPC_ADDRESS`` second, so one shared
environment can configure the whole suite and still override a single service.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import os
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

from slipway.core.peers import PeerTarget

ENV_PREFIX = "SLIPWAY_"
MiB = 1024 * 1024


def setting(default: Any, help: str, *, secret: bool = False) -> Any:
    """Declare a settings field with its documentation."""
    if isinstance(default, list):
        return dataclasses.field(
            default_factory=lambda: list(default), metadata={"help": help, "secret": secret}
        )
    return dataclasses.field(default=default, metadata={"help": help, "secret": secret})


def default_home() -> Path:
    return Path(os.environ.get("SLIPWAY_HOME", "~/.slipway")).expanduser()


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServiceSettings:
    """Settings every Slipway service shares."""

    service_name: ClassVar[str] = "service"
    default_grpc_port: ClassVar[int] = 0
    default_metrics_port: ClassVar[int] = 0
    # The largest request this service's methods need: every message is read whole into
    # memory before authentication, so the limit bounds what an anonymous caller costs.
    default_max_receive_message_bytes: ClassVar[int] = 64 * MiB
    # Full method names whose successful calls access_log_sample_rate applies to (None: all).
    access_log_sampled_methods: ClassVar[frozenset[str] | None] = None

    home: Path = setting(
        None, "Data folder: embedded SQLite database, artifacts, local token file."
    )
    database_url: str = setting(
        "",
        "SQLAlchemy URL of the shared database (sqlite:///... or postgresql+psycopg://...). "
        "Empty: SQLite at $SLIPWAY_HOME/slipway.db, migrated automatically.",
        secret=True,
    )
    auto_migrate: bool = setting(
        False,
        "Upgrade the database schema at start. Always on for the embedded SQLite default; "
        "in production run `slipway db upgrade` as a separate step instead.",
    )
    grpc_address: str = setting("", "host:port the gRPC server binds (port 0 picks a free one).")
    health_address: str = setting(
        "",
        "host:port of a second, plaintext listener that serves only grpc.health.v1, for "
        "probes that cannot speak TLS (the kubelet's native grpc probe); empty: none.",
    )
    metrics_address: str = setting(
        "", "host:port of the Prometheus /metrics endpoint; 'off' disables it."
    )
    tokens_file: Path | None = setting(
        None,
        "JSON file of bearer-token hashes, principals and roles. "
        "Default $SLIPWAY_HOME/tokens.json.",
    )
    tokens_check_seconds: float = setting(
        1.0,
        "Look at the tokens file for a change (one stat of its time, size and inode) at most "
        "this often, on the call path, and re-read it when it changed: tokens created or "
        "revoked are honoured within this time without a restart. SIGHUP re-reads it at once. "
        "0: only on SIGHUP.",
    )
    insecure_no_auth: bool = setting(
        False,
        "Accept calls without a token, all as an admin. For local experiments only: refused "
        "unless the gRPC address is a loopback one.",
    )
    tls_cert_file: Path | None = setting(None, "PEM server certificate; enables TLS.")
    tls_key_file: Path | None = setting(None, "PEM private key of the server certificate.")
    tls_client_ca_file: Path | None = setting(
        None, "PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS)."
    )
    max_receive_message_bytes: int = setting(
        0,
        "Largest request message accepted, read whole into memory before the caller is "
        "authenticated. One limit per service, not per method: gRPC applies it in the "
        "transport for the whole server (a per-method limit exists only on client channels), "
        "so each service's default is what its largest method needs. 0: that default "
        "(training 1 MiB: job specs; registry 8 MiB: a version's metadata message carries its "
        "signature and reference profile, its artifacts arrive in 1 MiB chunks; monitoring "
        "and serving 64 MiB: a prediction-log batch carries logged inference requests, an "
        "inference request its tensors).",
    )
    max_concurrent_rpcs: int = setting(
        512,
        "Calls (streams included) served at once; more are refused with RESOURCE_EXHAUSTED. "
        "With the receive limit it bounds the memory callers can hold: training 512 x 1 MiB, "
        "registry 512 x 8 MiB "
        "at worst, far less in practice since a call holds its message only while it is read.",
    )
    max_watch_streams: int = setting(
        256,
        "Watch streams (WatchModelEvents, WatchTrainingJob, WatchAlerts; on serving, "
        "ModelStreamInfer streams) open at once on this "
        "process; more are refused with RESOURCE_EXHAUSTED (WATCH_STREAMS_FULL). A quarter "
        "(64 of 256) is kept for the peer roles (trainer, server, monitor, service): other "
        "principals share the other three quarters (192 of 256). Keep it below "
        "max_concurrent_rpcs: each stream holds a call slot for as long as it is open, and the "
        "rest are left for other calls. A registry's streams share one reader of the event "
        "log, so open streams cost memory (about 35 KiB each) rather than database reads: "
        "with 2,000 open, GetModel's median moved from 2.3 to 2.6 ms (bench/watch_streams.py).",
    )
    max_watch_streams_per_principal: int = setting(
        64,
        "Watch streams one principal may hold open at once on this process; more are refused "
        "with RESOURCE_EXHAUSTED (TOO_MANY_WATCH_STREAMS). Every serving replica holds one "
        "on the registry under its own token's principal.",
    )
    max_send_message_bytes: int = setting(64 * MiB, "Largest response message sent.")
    max_connection_age_seconds: float = setting(
        0.0,
        "Close each client connection after this long (in-flight calls get a grace of "
        "the shutdown grace period), so clients re-resolve the name and reach pods added "
        "since; 0 keeps connections open.",
    )
    shutdown_grace_seconds: float = setting(
        30.0, "On SIGTERM, how long in-flight calls may run before they are cancelled."
    )
    log_format: str = setting("auto", "Log format: json, console, or auto (console on a terminal).")
    log_level: str = setting("info", "Log level: debug, info, warning, error.")
    access_log_sample_rate: float = setting(
        1.0,
        "Share of successful calls that get an access-log line (0 to 1; 0.01: one in a "
        "hundred), counted per method. Failed and refused calls and calls slower than "
        "access_log_slow_seconds are always logged. Each line carries its sample_rate, so "
        "the calls are the sum of 1 / sample_rate.",
    )
    access_log_slow_seconds: float = setting(
        1.0, "Successful calls that take this long or longer are always logged (info level)."
    )
    ready_file: Path | None = setting(
        None, "Written (JSON: bound addresses) once the service is SERVING; used by `slipway up`."
    )
    audit_verify_interval_seconds: float = setting(
        300.0,
        "Re-verify the audit hash chain this often in the background (each round walks the "
        "events appended since the last one; the whole chain once a day) and export "
        "slipway_audit_chain_ok on /metrics. 0 turns it off.",
    )
    refusal_window_seconds: float = setting(
        60.0,
        "Calls refused for want of a valid token or role, by a domain rule (PERMISSION_DENIED) "
        "or as malformed (INVALID_ARGUMENT) are counted, not written one by one: "
        "one audit event per caller (principal, or IP address without a token), method and "
        "window of this many seconds, with the count and first and last time, written when "
        "the window closes and at a graceful stop. A killed process (SIGKILL, OOM) loses the "
        "counts of its current window at most.",
    )
    refusal_keys_per_window: int = setting(
        64,
        "Distinct callers and methods counted per refusal window; refusals beyond them are "
        "folded into one '(others)' event with their count, so a process writes at most this "
        "many plus one refusal events per window (each under 2 KiB) whatever callers send.",
    )
    audit_key_file: Path | None = setting(
        None,
        "File holding the secret key (at least 32 bytes, e.g. `openssl rand -hex 32`; in "
        "Kubernetes a Secret mounted as a file) the audit chain is hashed under (HMAC-SHA256), "
        "so holding the database credentials is not enough to forge it. Never stored in the "
        "database: each event records the key's id. Every service writing to one database "
        "needs the same key. Unset: unkeyed SHA-256, which detects accidental damage only "
        "(the embedded, demo mode).",
    )
    audit_retired_keys_dir: Path | None = setting(
        None,
        "Folder of retired audit keys, one file each, kept after a rotation so the events "
        "they signed still verify (never used to write).",
    )
    audit_unkeyed_until: int = setting(
        0,
        "With an audit key: the last sequence that may carry an unkeyed hash (the events "
        "written before the key was configured; 0, the default, when it was there from the "
        "start). -1 accepts any unkeyed prefix, which a chain rewritten unkeyed from its "
        "first event also is: use it only until the prefix is pinned. An unkeyed event after "
        "a keyed one is always reported.",
    )
    audit_checkpoint_file: Path | None = setting(
        None,
        "Append a signed checkpoint of the audit chain head (sequence, hash, time; Ed25519) to "
        "this JSON Lines file, opened append-only. Give it to one service, the registry, and "
        "put the file where the database credentials cannot reach (a separate volume shipped "
        "off the machine); `slipway audit verify --checkpoints` checks the chain against it.",
    )
    audit_checkpoint_s3_url: str = setting(
        "",
        "Instead of a file, put each signed checkpoint into this S3-compatible bucket "
        "(s3://bucket/prefix) as its own object, never overwritten; the production choice "
        "with a bucket created with object lock. Credentials come from the standard AWS "
        "environment (AWS_ACCESS_KEY_ID, AWS_PROFILE, a role); `slipway audit verify "
        "--checkpoints s3://bucket/prefix` reads them.",
    )
    audit_checkpoint_s3_endpoint_url: str = setting(
        "", "Endpoint of an S3-compatible store other than AWS (empty: AWS_ENDPOINT_URL or AWS)."
    )
    audit_checkpoint_s3_region: str = setting(
        "", "Region of the checkpoint bucket (empty: AWS_REGION / the AWS configuration)."
    )
    audit_checkpoint_retention_days: int = setting(
        0,
        "Lock each checkpoint object for this many days (object lock retention; the bucket "
        "must have object lock, or the registry refuses to start). 0: the bucket's default "
        "retention, if it has one.",
    )
    audit_checkpoint_lock_mode: str = setting(
        "COMPLIANCE",
        "Object lock mode of the checkpoints: COMPLIANCE (nobody can delete or shorten it, "
        "not even the account's root) or GOVERNANCE (users with s3:BypassGovernanceRetention "
        "can).",
    )
    audit_checkpoint_signing_key_file: Path | None = setting(
        None,
        "Ed25519 private key (PEM, PKCS#8) the checkpoints are signed with; auditors hold its "
        "public key (`slipway audit checkpoint-key` makes a pair).",
    )
    audit_checkpoint_interval_seconds: float = setting(
        300.0,
        "Sign the chain head this often (and once more at graceful shutdown); 0: only at "
        "shutdown. A head that has not moved is not signed again.",
    )

    def __post_init__(self) -> None:
        if self.home is None:
            object.__setattr__(self, "home", default_home())
        if not self.grpc_address:
            object.__setattr__(self, "grpc_address", f"127.0.0.1:{self.default_grpc_port}")
        if not self.metrics_address:
            object.__setattr__(self, "metrics_address", f"127.0.0.1:{self.default_metrics_port}")
        if self.tokens_file is None:
            object.__setattr__(self, "tokens_file", self.home / "tokens.json")
        if self.max_receive_message_bytes == 0:
            object.__setattr__(
                self, "max_receive_message_bytes", self.default_max_receive_message_bytes
            )
        if self.max_receive_message_bytes < 0 or self.max_concurrent_rpcs < 1:
            raise ValueError(
                "max_receive_message_bytes must not be negative and max_concurrent_rpcs "
                "must be at least 1"
            )
        if self.max_watch_streams < 1 or self.max_watch_streams_per_principal < 1:
            raise ValueError(
                "max_watch_streams and max_watch_streams_per_principal must be at least 1"
            )
        if not 0.0 <= self.access_log_sample_rate <= 1.0:
            raise ValueError(
                "access_log_sample_rate must be between 0 and 1 (0.01 logs one successful call "
                f"in a hundred), not {self.access_log_sample_rate!r}"
            )
        if not self.access_log_slow_seconds > 0:
            raise ValueError(
                f"access_log_slow_seconds must be positive, not {self.access_log_slow_seconds!r}"
            )
        if self.log_format not in {"auto", "json", "console"}:
            raise ValueError(f"log_format must be auto, json or console, not {self.log_format!r}")
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file must be set together")
        if self.tls_client_ca_file is not None and self.tls_cert_file is None:
            raise ValueError("mutual TLS (tls_client_ca_file) needs tls_cert_file and tls_key_file")
        if self.tokens_check_seconds < 0:
            raise ValueError(
                f"tokens_check_seconds must not be negative, not {self.tokens_check_seconds!r}"
            )
        if self.refusal_window_seconds <= 0 or self.refusal_keys_per_window < 1:
            raise ValueError(
                "refusal_window_seconds must be positive and refusal_keys_per_window at least 1"
            )
        sinks = (self.audit_checkpoint_file is not None) + bool(self.audit_checkpoint_s3_url)
        if sinks > 1:
            raise ValueError("set audit_checkpoint_file or audit_checkpoint_s3_url, not both")
        if bool(sinks) != (self.audit_checkpoint_signing_key_file is not None):
            raise ValueError(
                "audit_checkpoint_signing_key_file and a sink (audit_checkpoint_file or "
                "audit_checkpoint_s3_url) must be set together"
            )
        if self.audit_checkpoint_s3_url and not self.audit_checkpoint_s3_url.startswith("s3://"):
            raise ValueError("audit_checkpoint_s3_url must be an s3://bucket/prefix URL")
        if self.audit_checkpoint_retention_days < 0:
            raise ValueError("audit_checkpoint_retention_days must not be negative")
        if self.audit_checkpoint_lock_mode not in {"COMPLIANCE", "GOVERNANCE"}:
            raise ValueError("audit_checkpoint_lock_mode must be COMPLIANCE or GOVERNANCE")
        if self.audit_checkpoint_interval_seconds < 0:
            raise ValueError("audit_checkpoint_interval_seconds must not be negative")
        if self.audit_verify_interval_seconds < 0:
            raise ValueError("audit_verify_interval_seconds must not be negative (0 turns it off)")
        if self.insecure_no_auth and not is_loopback(self.grpc_address):
            # Every caller would be an admin: only this machine may be able to call.
            raise ValueError(
                f"insecure_no_auth is refused on {self.grpc_address}, which is reachable from "
                "other machines: bind a loopback address (127.0.0.1, ::1, localhost) or turn "
                "authentication on"
            )

    @property
    def embedded_database(self) -> bool:
        """True when no database URL was given: the SQLite file under the data folder."""
        return not self.database_url

    @property
    def effective_database_url(self) -> str:
        # SQLAlchemy is imported where a URL is made, not with the settings: the command line
        # reads settings (the data folder) for commands that never open a database.
        from slipway.core.db import default_database_url

        return self.database_url or default_database_url(self.home)

    @property
    def metrics_enabled(self) -> bool:
        return self.metrics_address.lower() != "off"

    @classmethod
    def env_names(cls, name: str) -> tuple[str, str]:
        """Environment variables read for a field, most specific first."""
        upper = name.upper()
        return (f"{ENV_PREFIX}{cls.service_name.upper()}_{upper}", f"{ENV_PREFIX}{upper}")

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add one flag per field; defaults stay unset so the environment can fill them."""
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            flag = "--" + f.name.replace("_", "-")
            kind = _base_type(hints[f.name])
            envs = " or ".join(cls.env_names(f.name))
            default = "" if f.metadata.get("secret") else f" (default: {_describe_default(cls, f)})"
            help_text = f"{f.metadata.get('help', '')} [env: {envs}]{default}"
            if kind is bool:
                parser.add_argument(
                    flag,
                    dest=f.name,
                    action=argparse.BooleanOptionalAction,
                    default=None,
                    help=help_text,
                )
            elif kind is list:
                parser.add_argument(
                    flag, dest=f.name, action="append", default=None, help=help_text
                )
            else:
                parser.add_argument(flag, dest=f.name, default=None, help=help_text)

    @classmethod
    def from_sources(
        cls, args: argparse.Namespace | None = None, environ: Mapping[str, str] | None = None
    ) -> Self:
        """Build settings: a flag wins over the environment, which wins over the default."""
        env = os.environ if environ is None else environ
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw: Any = getattr(args, f.name, None) if args is not None else None
            if raw is None:
                raw = next((env[n] for n in cls.env_names(f.name) if n in env), None)
            if raw is None:
                continue
            values[f.name] = _convert(f.name, hints[f.name], raw)
        if "home" not in values:
            home = env.get("SLIPWAY_HOME")
            values["home"] = Path(home).expanduser() if home else Path("~/.slipway").expanduser()
        return cls(**values)

    def describe(self) -> dict[str, str]:
        """Settings as strings for the start-up log line, secrets masked."""
        from slipway.core.db import mask_url

        out: dict[str, str] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("secret") and value:
                value = mask_url(str(value))
            out[f.name] = str(value)
        return out


def _describe_default(cls: type[ServiceSettings], f: dataclasses.Field[Any]) -> str:
    if f.name == "grpc_address":
        return f"127.0.0.1:{cls.default_grpc_port}"
    if f.name == "metrics_address":
        return f"127.0.0.1:{cls.default_metrics_port}"
    if f.name == "home":
        return "$SLIPWAY_HOME or ~/.slipway"
    if f.name == "tokens_file":
        return "$SLIPWAY_HOME/tokens.json"
    if f.default_factory is not dataclasses.MISSING:
        return repr(f.default_factory())
    return repr(f.default)


def _base_type(hint: Any) -> Any:
    """The concrete type behind ``X | None`` and ``list[X]``."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _base_type(args[0])
    if origin is list:
        return list
    return hint


def _convert(name: str, hint: Any, raw: Any) -> Any:
    kind = _base_type(hint)
    if kind is list:
        # A flag may be repeated, and each value (like the environment's) may list several.
        items: Sequence[str] = raw if isinstance(raw, list) else [str(raw)]
        return [part.strip() for item in items for part in str(item).split(",") if part.strip()]
    if isinstance(raw, kind) and kind is not str:
        return raw
    text = str(raw).strip()
    try:
        if kind is bool:
            if text.lower() in {"1", "true", "yes", "on"}:
                return True
            if text.lower() in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(text)
        if kind is Path:
            return Path(text).expanduser() if text else None
        return kind(text)
    except ValueError as exc:
        raise ValueError(f"setting {name}: cannot read {text!r} as {kind.__name__}") from exc


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegistryClientSettings(ServiceSettings):
    """Settings of a service that calls the registry (training, serving, monitoring)."""

    registry_target: str = setting("127.0.0.1:7101", "host:port of the registry.")
    registry_token_file: Path | None = setting(
        None,
        "Bearer token presented to the registry (a principal with the service's narrow role: "
        "`trainer`, `server` or `monitor`). "
        "Default $SLIPWAY_HOME/<service>.token, as `slipway up` writes it.",
    )
    registry_tls_ca_file: Path | None = setting(
        None, "PEM CA bundle to verify the registry's certificate; enables TLS to it."
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.registry_token_file is None:
            object.__setattr__(
                self, "registry_token_file", self.home / f"{self.service_name}.token"
            )

    @property
    def registry(self) -> PeerTarget:
        return PeerTarget(self.registry_target, self.registry_token_file, self.registry_tls_ca_file)


def is_loopback(address: str) -> bool:
    """Whether a ``host:port`` gRPC address binds only this machine's loopback interface."""
    if address.startswith(("unix:", "unix-abstract:")):
        return True
    host = address.rsplit(":", 1)[0].strip("[]") if ":" in address else address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost, or "" / "*" (every interface)
