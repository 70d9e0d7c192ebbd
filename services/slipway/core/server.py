"""The server builder every service uses.

``SlipwayServer`` owns a ``grpc.aio`` server with the interceptor chain (request context, metrics,
access log, auth, error translation, caps on open watch streams), the standard health service
(NOT_SERVING until the service says it is ready and again during shutdown; optionally also on a
plaintext health-only port), reflection for grpcurl, TLS or mutual TLS, message size limits and a
Prometheus endpoint.
``run`` adds signal handling: on SIGTERM or SIGINT the server stops accepting calls, lets
in-flight calls finish within the grace period and returns; on SIGHUP it re-reads the tokens
file (which it also follows by itself, within a second: ``slipway.core.auth``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import _async as health_aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import CollectorRegistry
from prometheus_client.registry import Collector

from slipway.core.audit.recorder import EdgeAuditor
from slipway.core.auth import TokenStore, write_private
from slipway.core.handlers import service_handler
from slipway.core.interceptors import (
    AccessLogInterceptor,
    AuthInterceptor,
    EdgeInterceptor,
    ErrorInterceptor,
    MetricsInterceptor,
    RequestContextInterceptor,
)
from slipway.core.logs import get_logger
from slipway.core.metrics import GrpcMetrics, MetricsEndpoint, start_metrics_endpoint
from slipway.core.roles import EXEMPT_METHODS, ROLE_TABLE, RoleTable
from slipway.core.settings import ServiceSettings
from slipway.core.stream_caps import StreamCapInterceptor, StreamCaps

log = get_logger("slipway.server")

HEALTH_SERVICE = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name


@dataclass(frozen=True)
class ServiceRegistration:
    """One gRPC service a process serves: its descriptor and the servicer implementing it.

    Methods the servicer does not implement (yet) answer UNIMPLEMENTED.
    """

    descriptor: ServiceDescriptor
    servicer: object | None = None
    # Methods (short names) answered without a token, like the health service: probes and
    # load balancers call them and cannot send one.
    open_methods: frozenset[str] = frozenset()

    @property
    def full_name(self) -> str:
        name: str = self.descriptor.full_name
        return name


class SlipwayServer:
    """A configured gRPC server for one Slipway service process."""

    def __init__(
        self,
        settings: ServiceSettings,
        services: Sequence[ServiceRegistration],
        *,
        role_table: RoleTable = ROLE_TABLE,
        auditor: EdgeAuditor | None = None,
        extra_handlers: Sequence[grpc.GenericRpcHandler] = (),
        collectors: Sequence[Collector] = (),
    ) -> None:
        self.settings = settings
        self.services = tuple(services)
        self.metrics_registry = CollectorRegistry()
        for collector in collectors:  # the service's own series, beside the gRPC ones
            self.metrics_registry.register(collector)
        self.health = health_aio.HealthServicer()
        self._role_table = role_table
        self._auditor = auditor
        self._extra_handlers = tuple(extra_handlers)
        self.stream_caps = StreamCaps(
            per_principal=settings.max_watch_streams_per_principal,
            per_process=settings.max_watch_streams,
        )
        self._server: grpc.aio.Server | None = None
        self._health_server: grpc.aio.Server | None = None
        self._metrics_endpoint: MetricsEndpoint | None = None
        self.tokens: TokenStore | None = None  # None: --insecure-no-auth (or not started)
        self.grpc_port = 0
        self.health_port = 0

    @property
    def grpc_address(self) -> str:
        host: str = self.settings.grpc_address.rpartition(":")[0]
        return f"{host}:{self.grpc_port!s}"

    @property
    def health_address(self) -> str:
        """The plaintext health-only listener, "" without one."""
        if not self.health_port:
            return ""
        return f"{self.settings.health_address.rpartition(':')[0]}:{self.health_port}"

    @property
    def metrics_address(self) -> str:
        return self._metrics_endpoint.address if self._metrics_endpoint else ""

    @property
    def service_names(self) -> list[str]:
        return [s.full_name for s in self.services]

    def _tokens(self) -> TokenStore | None:
        if self.settings.insecure_no_auth:
            log.warning("authentication is OFF (--insecure-no-auth): every caller is an admin")
            return None
        assert self.settings.tokens_file is not None
        return TokenStore.load(
            self.settings.tokens_file, check_seconds=self.settings.tokens_check_seconds
        )

    def reload_tokens(self) -> None:
        """Re-read the tokens file now (SIGHUP); a file that fails to load keeps the tokens."""
        if self.tokens is not None:
            self.tokens.reload()

    async def start(self) -> None:
        """Bind and start serving; health reports NOT_SERVING until ``set_serving``."""
        s = self.settings
        self.tokens = self._tokens()
        interceptors: list[grpc.aio.ServerInterceptor] = [
            EdgeInterceptor(
                [
                    RequestContextInterceptor(),
                    MetricsInterceptor(GrpcMetrics(self.metrics_registry)),
                    AccessLogInterceptor(
                        sample_rate=s.access_log_sample_rate,
                        sampled_methods=s.access_log_sampled_methods,
                        slow_seconds=s.access_log_slow_seconds,
                    ),
                    AuthInterceptor(
                        self.tokens,
                        self._role_table,
                        service=s.service_name,
                        auditor=self._auditor,
                        exempt=EXEMPT_METHODS
                        | {
                            f"/{registration.full_name}/{name}"
                            for registration in self.services
                            for name in registration.open_methods
                        },
                    ),
                    ErrorInterceptor(
                        service=s.service_name, roles=self._role_table, auditor=self._auditor
                    ),
                    StreamCapInterceptor(self.stream_caps),
                ]
            )
        ]
        options: list[tuple[str, int]] = [
            ("grpc.max_receive_message_length", s.max_receive_message_bytes),
            ("grpc.max_send_message_length", s.max_send_message_bytes),
            ("grpc.so_reuseport", 0),
            # Without bandwidth probing the transport does not widen its flow-control windows
            # for whoever sends fastest, so an anonymous sender's oversized messages land in
            # smaller pieces: the registry's peak under 16 concurrent 60 MiB calls fell from
            # 340-540 MiB to 270-345 MiB. The window still grows to fit the message being read.
            ("grpc.http2.bdp_probe", 0),
        ]
        if s.max_connection_age_seconds > 0:
            # A GOAWAY after this age makes clients reconnect and re-resolve: behind a
            # headless Service they then spread over replicas added since they connected.
            options += [
                ("grpc.max_connection_age_ms", int(s.max_connection_age_seconds * 1000)),
                ("grpc.max_connection_age_grace_ms", int(s.shutdown_grace_seconds * 1000)),
            ]
        server = grpc.aio.server(
            interceptors=interceptors,
            options=options,
            maximum_concurrent_rpcs=s.max_concurrent_rpcs,
        )
        server.add_generic_rpc_handlers(
            [
                *(service_handler(s.descriptor, s.servicer) for s in self.services),
                *self._extra_handlers,
            ]
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        for name in ("", *self.service_names):
            await self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        reflection.enable_server_reflection(
            [*self.service_names, HEALTH_SERVICE, reflection.SERVICE_NAME], server
        )
        self.grpc_port = self._bind(server)
        await server.start()
        if s.health_address:
            try:
                await self._start_health_listener(s.health_address)
            except BaseException:
                await server.stop(0)  # nothing is left listening
                raise
        self._server = server
        if s.metrics_enabled:
            self._metrics_endpoint = start_metrics_endpoint(
                s.metrics_address, self.metrics_registry
            )
        log.info(
            "listening",
            grpc_address=self.grpc_address,
            metrics_address=self.metrics_address,
            health_address=self.health_address,
            tls=s.tls_cert_file is not None,
            mutual_tls=s.tls_client_ca_file is not None,
        )

    async def _start_health_listener(self, address: str) -> None:
        """A server of its own with the same health servicer (so the same statuses) and nothing
        else: a probe that only speaks plaintext can check a TLS service, and no other method is
        reachable without TLS and a token."""
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        try:
            port = server.add_insecure_port(address)
        except RuntimeError as error:  # grpc.aio raises where grpc returned 0
            raise OSError(f"cannot bind health address {address}: {error}") from None
        if port == 0:
            raise OSError(f"cannot bind health address {address}")
        await server.start()
        self._health_server, self.health_port = server, port

    def _bind(self, server: grpc.aio.Server) -> int:
        s = self.settings
        if s.tls_cert_file is None or s.tls_key_file is None:
            port = server.add_insecure_port(s.grpc_address)
        else:
            client_ca = s.tls_client_ca_file.read_bytes() if s.tls_client_ca_file else None
            credentials = grpc.ssl_server_credentials(
                [(s.tls_key_file.read_bytes(), s.tls_cert_file.read_bytes())],
                root_certificates=client_ca,
                require_client_auth=client_ca is not None,
            )
            port = server.add_secure_port(s.grpc_address, credentials)
        if port == 0:
            raise OSError(f"cannot bind gRPC address {s.grpc_address}")
        return port

    async def set_serving(self) -> None:
        """Report SERVING on the health service and write the ready file, if configured."""
        for name in ("", *self.service_names):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        if self.settings.ready_file is not None:
            write_private(
                self.settings.ready_file,
                json.dumps(
                    {
                        "service": self.settings.service_name,
                        "grpc_address": self.grpc_address,
                        "metrics_address": self.metrics_address,
                        "health_address": self.health_address,
                        "tls": self.settings.tls_cert_file is not None,
                    }
                ),
            )
        log.info("serving", services=self.service_names)

    async def stop(self, grace: float | None = None) -> None:
        """Report NOT_SERVING, refuse new calls, let in-flight calls finish within ``grace``."""
        grace = self.settings.shutdown_grace_seconds if grace is None else grace
        await self.health.enter_graceful_shutdown()
        if self._server is not None:
            await self._server.stop(grace)
            self._server = None
        if self._auditor is not None:  # no call is in flight: write the counted refusals
            await self._auditor.close()
        if self._health_server is not None:  # NOT_SERVING until the very end
            await self._health_server.stop(0)
            self._health_server = None
        if self._metrics_endpoint is not None:
            await asyncio.to_thread(self._metrics_endpoint.stop)
            self._metrics_endpoint = None
        log.info("stopped")


async def run_until_signalled(
    server: SlipwayServer,
    *,
    on_ready: Callable[[], Awaitable[None]] | None = None,
    on_stopping: Callable[[], Awaitable[None]] | None = None,
    on_stop: Callable[[], Awaitable[Any]] | None = None,
) -> None:
    """Start ``server``, serve until SIGTERM or SIGINT, then drain and stop it; SIGHUP re-reads
    the tokens file."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, server.reload_tokens)
    await server.start()
    # Readiness may take long (serving loads its models first); a signal meanwhile still stops
    # the process, which then never reported SERVING.
    starting = asyncio.ensure_future(on_ready() if on_ready is not None else asyncio.sleep(0))
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if starting.done():
        starting.result()  # a failed start-up hook fails the process
        await server.set_serving()
    else:
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
    await stopped
    log.info("shutting down", grace_seconds=server.settings.shutdown_grace_seconds)
    if on_stopping is not None:
        await on_stopping()
    await server.stop()
    if on_stop is not None:
        await on_stop()
