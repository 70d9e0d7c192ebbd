"""Calling another Slipway service: where it listens, how to authenticate, TLS.

Training registers versions in the registry, serving loads them from it, monitoring reads
reference profiles; each holds one ``PeerTarget`` per peer, configured by flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc

MESSAGE_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class PeerTarget:
    """A peer service's address, the token file presented to it, and its CA (TLS)."""

    target: str
    token_file: Path | None = None
    tls_ca_file: Path | None = None

    def channel(self) -> grpc.aio.Channel:
        options = [
            ("grpc.max_send_message_length", MESSAGE_LIMIT),
            ("grpc.max_receive_message_length", MESSAGE_LIMIT),
            # A peer that restarts is found again within seconds, not after grpc's
            # default backoff of up to two minutes.
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 2000),
        ]
        if self.tls_ca_file is not None:
            credentials = grpc.ssl_channel_credentials(self.tls_ca_file.read_bytes())
            return grpc.aio.secure_channel(self.target, credentials, options=options)
        return grpc.aio.insecure_channel(self.target, options=options)

    def metadata(self, request_id: str) -> tuple[tuple[str, str], ...]:
        entries = [("x-request-id", request_id)]
        if self.token_file is not None and self.token_file.exists():
            entries.append(("authorization", f"Bearer {self.token_file.read_text().strip()}"))
        return tuple(entries)
