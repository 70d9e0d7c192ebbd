"""``connect`` for asyncio: one connection to a Slipway suite, which makes its clients."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property
from types import TracebackType

import grpc

from slipway.client.aio.audit import AuditClient
from slipway.client.aio.calls import AsyncCaller
from slipway.client.aio.inference import InferenceClient
from slipway.client.aio.lineage import LineageClient
from slipway.client.aio.monitoring import MonitoringClient
from slipway.client.aio.registry import RegistryClient
from slipway.client.aio.training import TrainingClient
from slipway.client.options import TLS, ClientOptions, open_aio_channel, options_from
from slipway.client.retry import RetryPolicy


class Connection:
    """Asyncio channels to the services of one suite and a client for each; see
    ``slipway.client.Connection``. Use it in ``async with`` or ``await close()`` it. Channels
    open on first use and belong to the event loop that was running then."""

    def __init__(self, options: ClientOptions) -> None:
        self.options = options
        self._caller = AsyncCaller(options)
        self._channels: dict[str, grpc.aio.Channel] = {}

    def channel(self, service: str) -> grpc.aio.Channel:
        """The channel to ``service``, shared with every service on the same target."""
        target = self.options.target(service)
        if target not in self._channels:
            self._channels[target] = open_aio_channel(self.options, service)
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

    async def close(self, grace: float | None = None) -> None:
        """Close every channel, letting calls in flight finish for ``grace`` seconds."""
        channels, self._channels = list(self._channels.values()), {}
        for channel in channels:
            await channel.close(grace)

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

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
    """Connect to a Slipway suite, for asyncio; the arguments are those of
    ``slipway.client.connect``. Nothing is dialled here."""
    return Connection(
        options_from(
            target, token=token, token_file=token_file, tls=tls, timeout=timeout, retry=retry
        )
    )
