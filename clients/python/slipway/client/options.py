"""What ``connect`` was given, checked once: targets, token, TLS, default timeout and retries.

Shared by the blocking (``slipway.client``) and the asyncio (``slipway.client.aio``) clients.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import grpc

from slipway.client.retry import RetryPolicy

SERVICES = ("registry", "training", "serving", "monitoring")
"""The services a connection reaches, named as ``slipway up`` names them."""

MESSAGE_LIMIT = 64 * 1024 * 1024
"""Largest message sent or received (inference batches, artifact chunks)."""


@dataclass(frozen=True)
class TLSConfig:
    """TLS towards the services; with a client certificate and key, mutual TLS."""

    root_certificates: bytes | None = None
    """PEM CA bundle the server certificate must chain to; None trusts the system's roots."""
    client_certificate: bytes | None = field(default=None, repr=False)
    """PEM client certificate chain, for services that require client certificates."""
    client_key: bytes | None = field(default=None, repr=False)
    """PEM private key of ``client_certificate``."""
    server_name: str = ""
    """Name to check the server certificate against instead of the target's host."""

    def credentials(self) -> grpc.ChannelCredentials:
        if (self.client_certificate is None) != (self.client_key is None):
            raise ValueError("a client certificate needs its key, and a key its certificate")
        return grpc.ssl_channel_credentials(
            root_certificates=self.root_certificates,
            private_key=self.client_key,
            certificate_chain=self.client_certificate,
        )


TLS: TypeAlias = bool | bytes | str | os.PathLike[str] | TLSConfig
"""What ``connect(tls=...)`` takes: False (plaintext), True (system roots), a CA bundle as PEM
bytes or as a file path, or a ``TLSConfig``."""


@dataclass(frozen=True)
class ClientOptions:
    """Everything a connection needs to open channels and make calls."""

    targets: Mapping[str, str]
    """``host:port`` per service; the key ``""`` holds the target of every service not named."""
    metadata: tuple[tuple[str, str], ...] = field(repr=False)
    """Sent with every call: the bearer token."""
    tls: TLSConfig | None
    """TLS settings; None for plaintext."""
    timeout: float
    """Default deadline of a call, in seconds, retries included."""
    retry: RetryPolicy
    """Retries of idempotent calls on UNAVAILABLE."""

    def target(self, service: str) -> str:
        """The target of ``service``; ValueError when the connection has none for it."""
        target = self.targets.get(service) or self.targets.get("")
        if not target:
            raise ValueError(
                f"this connection has no target for {service}; pass "
                f"connect({{{service!r}: 'host:port', ...}})"
            )
        return target

    def channel_options(self) -> list[tuple[str, Any]]:
        options: list[tuple[str, Any]] = [
            ("grpc.max_send_message_length", MESSAGE_LIMIT),
            ("grpc.max_receive_message_length", MESSAGE_LIMIT),
            # A service that restarts is found again within seconds, which retries rely on,
            # not after gRPC's default reconnect backoff of up to two minutes.
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 2000),
        ]
        if self.tls is not None and self.tls.server_name:
            options.append(("grpc.ssl_target_name_override", self.tls.server_name))
        return options


def _tls(tls: TLS) -> TLSConfig | None:
    if isinstance(tls, TLSConfig):
        return tls
    if tls is True:
        return TLSConfig()
    if tls is False:
        return None
    if isinstance(tls, bytes):
        return TLSConfig(root_certificates=tls)
    return TLSConfig(root_certificates=Path(tls).read_bytes())


def _targets(target: str | Mapping[str, str]) -> dict[str, str]:
    if isinstance(target, str):
        if not target:
            raise ValueError("target must be host:port")
        return {"": target}
    unknown = sorted(set(target) - set(SERVICES))
    if unknown:
        raise ValueError(
            f"unknown service(s) {', '.join(unknown)}; the services are {', '.join(SERVICES)}"
        )
    return dict(target)


def options_from(
    target: str | Mapping[str, str],
    *,
    token: str | None,
    token_file: str | os.PathLike[str] | None,
    tls: TLS,
    timeout: float,
    retry: RetryPolicy | None,
) -> ClientOptions:
    """Check what ``connect`` was given and read the token file and CA file once."""
    if token is not None and token_file is not None:
        raise ValueError("pass token or token_file, not both")
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    if token_file is not None:
        token = Path(token_file).read_text().strip()
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    return ClientOptions(
        targets=_targets(target),
        metadata=metadata,
        tls=_tls(tls),
        timeout=timeout,
        retry=retry if retry is not None else RetryPolicy(),
    )


def open_channel(options: ClientOptions, service: str) -> grpc.Channel:
    """A blocking channel to ``service``."""
    target = options.target(service)
    if options.tls is None:
        return grpc.insecure_channel(target, options=options.channel_options())
    return grpc.secure_channel(target, options.tls.credentials(), options=options.channel_options())


def open_aio_channel(options: ClientOptions, service: str) -> grpc.aio.Channel:
    """An asyncio channel to ``service``."""
    target = options.target(service)
    if options.tls is None:
        return grpc.aio.insecure_channel(target, options=options.channel_options())
    return grpc.aio.secure_channel(
        target, options.tls.credentials(), options=options.channel_options()
    )
