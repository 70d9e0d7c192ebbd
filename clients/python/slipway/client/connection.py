"""``connect``: one connection to a Slipway suite, which makes its blocking clients."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from functools import cached_property
from types import TracebackType

import grpc

from slipway.client.audit import AuditClient
from slipway.client.calls import Caller
from slipway.client.inference import InferenceClient
from slipway.client.lineage import LineageClient
from slipway.client.monitoring import MonitoringClient
from slipway.client.options import TLS, ClientOptions, open_channel, options_from
from slipway.client.registry import RegistryClient
from slipway.client.retry import RetryPolicy
from slipway.client.training import TrainingClient


class Connection:
    """Channels to the services of one suite (one per distinct target, opened on first use)
    and a client for each: ``registry``, ``training``, ``inference`` (serving) and
    ``monitoring``, ``lineage`` for lineage reports (served by the registry) and ``audit`` for
    the shared audit log. Close it (or use it as a context manager) to close the channels."""

    def __init__(self, options: ClientOptions) -> None:
        self.options = options
        self._caller = Caller(options)
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()

    def channel(self, service: str) -> grpc.Channel:
        """The channel to ``service``, shared with every service on the same target."""
        target = self.options.target(service)
        with self._lock:
            if target not in self._channels:
                self._channels[target] = open_channel(self.options, service)
            return self._channels[target]

    @cached_property
    def registry(self) -> RegistryClient:
        """The registry."""
        return RegistryClient(self.channel("registry"), self._caller)

    @cached_property
    def training(self) -> TrainingClient:
        """The training service."""
        return TrainingClient(self.channel("training"), self._caller)

    @cached_property
    def inference(self) -> InferenceClient:
        """Serving's Open Inference Protocol."""
        return InferenceClient(self.channel("serving"), self._caller)

    @cached_property
    def monitoring(self) -> MonitoringClient:
        """The monitoring service."""
        return MonitoringClient(self.channel("monitoring"), self._caller)

    @cached_property
    def lineage(self) -> LineageClient:
        """Lineage reports, asked of the registry (which serves them)."""
        return LineageClient(self.channel("registry"), self._caller)

    @cached_property
    def audit(self) -> AuditClient:
        """The shared audit log, asked through the registry (every service answers it)."""
        return AuditClient(self.channel("registry"), self._caller)

    def close(self) -> None:
        """Close every channel; calls in flight are cancelled."""
        with self._lock:
            channels, self._channels = list(self._channels.values()), {}
        for channel in channels:
            channel.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Connection({dict(self.options.targets)!r})"


def connect(
    target: str | Mapping[str, str],
    *,
    token: str | None = None,
    token_file: str | os.PathLike[str] | None = None,
    tls: TLS = False,
    timeout: float = 30.0,
    retry: RetryPolicy | None = None,
) -> Connection:
    """Connect to a Slipway suite.

    ``target`` is ``host:port`` of every service (behind one gateway), or a mapping from
    ``registry``, ``training``, ``serving`` and ``monitoring`` to each one's ``host:port``.
    ``token`` (or the file ``token_file`` holding it) is sent as ``authorization: Bearer``.
    ``tls`` is False for plaintext, True to trust the system's roots, a CA bundle (PEM bytes or
    a file path), or a ``TLSConfig`` (client certificates for mutual TLS). ``timeout`` is the
    default deadline of every call, retries included; ``retry`` how idempotent calls are
    retried on UNAVAILABLE (default ``RetryPolicy()``; ``NO_RETRY`` turns retries off).
    Channels open lazily: nothing is dialled here.
    """
    return Connection(
        options_from(
            target, token=token, token_file=token_file, tls=tls, timeout=timeout, retry=retry
        )
    )
