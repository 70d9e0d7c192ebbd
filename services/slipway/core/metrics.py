"""Prometheus metrics: the usual gRPC server series and the /metrics HTTP endpoint.

Each server owns its ``CollectorRegistry`` (not the global one), so several servers can live in one
process in tests and each endpoint shows only its own service.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)


class GrpcMetrics:
    """``grpc_server_started_total``, ``grpc_server_handled_total`` and a latency histogram,
    named and labelled like go-grpc-prometheus so existing dashboards and alerts apply."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        labels = ["grpc_service", "grpc_method"]
        self._started = Counter(
            "grpc_server_started_total", "RPCs started on the server.", labels, registry=registry
        )
        self._handled = Counter(
            "grpc_server_handled_total",
            "RPCs completed on the server, by status code.",
            [*labels, "grpc_code"],
            registry=registry,
        )
        self._latency = Histogram(
            "grpc_server_handling_seconds",
            "Time from the start of an RPC to its status.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def started(self, service: str, method: str) -> None:
        self._started.labels(service, method).inc()

    def handled(self, service: str, method: str, code: str, seconds: float) -> None:
        self._handled.labels(service, method, code).inc()
        self._latency.labels(service, method).observe(seconds)


@dataclass
class MetricsEndpoint:
    """A running /metrics HTTP server."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host!s}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(WSGIRequestHandler):
    """Scrapes are frequent; they do not belong in the service log."""

    def log_message(self, format: str, *args: Any) -> None:
        return


def start_metrics_endpoint(address: str, registry: CollectorRegistry) -> MetricsEndpoint:
    """Serve ``registry`` on ``host:port`` (port 0 picks a free one) in a daemon thread.

    Like prometheus-client's ``start_http_server``, but polling for shutdown every 50 ms instead
    of 500 ms, so stopping a service (and every test server) does not wait half a second.
    """
    host, _, port = address.rpartition(":")
    server = make_server(
        host.strip("[]") or "127.0.0.1",
        int(port),
        make_wsgi_app(registry),
        ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="metrics-endpoint",
        daemon=True,
    )
    thread.start()
    return MetricsEndpoint(server, thread)
