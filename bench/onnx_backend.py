"""Serving's two backends side by side: scikit-learn against the verified ONNX form (ONNX
Runtime), on the models of bench/serving.py (LogisticRegression and RandomForestClassifier(100
trees, depth 10), 20 numeric features, trained by the training engine).

Two measurements, each bounded by a call count and a time:

- **model call**: ``ServedModel.predict`` as serving's batcher calls it, in this process: what
  the backend costs, without gRPC. Also the load time of each backend (scikit-learn: the
  skops load and smoke test; onnx: that, plus building and verifying the form, no cache), and
  for 1000 rows ONNX Runtime with one thread (the default, ``--onnx-threads 1``) and with one per
  core (``--onnx-threads 0``).
- **gRPC, 1 client**: sequential ``ModelInfer`` calls (one raw FP32 [N, 20] tensor, ``predict``)
  from this process to a ``slipway serving`` child started with ``--backend sklearn`` and to one
  with ``--backend onnx``, both loading the same registered versions from one registry child.

Every backend's labels are checked against the model's ``predict`` on the same 1000 rows before
anything is timed. Run: ``.venv/bin/python bench/onnx_backend.py`` (about 2 minutes on 2 cores;
``--seconds`` caps each timed cell, default 3). Loopback only; leaves nothing behind.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import serving as bench

from slipway.inference.v2 import grpc_service_pb2_grpc as pb_grpc
from slipway.ml.artifact_cache import ArtifactCache
from slipway.ml.compiled import CompiledStore
from slipway.services.serving.domain.loading import load
from slipway.services.serving.domain.served import (
    InputSpec,
    OutputSpec,
    ServedModel,
    VersionInfo,
)
from slipway.services.serving.domain.versions import Resolved

CELLS = (("lr", 1), ("rf", 1), ("rf", 1000))
MAX_CALLS = 5000


def timed(call: Callable[[], Any], seconds: float) -> list[float]:
    """Per-call durations in seconds: 20 warm-up calls, then up to MAX_CALLS or ``seconds``."""
    for _ in range(20):
        call()
    durations: list[float] = []
    end = time.perf_counter() + seconds
    while len(durations) < MAX_CALLS and time.perf_counter() < end:
        start = time.perf_counter()
        call()
        durations.append(time.perf_counter() - start)
    return durations


def figures(durations: list[float], rows: int) -> tuple[float, float, float]:
    """Median and p99 in microseconds, and rows per second."""
    ordered = sorted(durations)
    median = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return median * 1e6, p99 * 1e6, rows / statistics.mean(ordered)


def version(name: str, model: bench.Trained) -> VersionInfo:
    """The serving view of the version, as the registry would describe it."""
    outcome = model.outcome
    return VersionInfo(
        model_id=name,
        number=1,
        inputs=tuple(InputSpec(f.name, "FP64") for f in outcome.inputs),
        outputs=tuple(
            OutputSpec(o.name, "INT64" if o.name == "predict" else "FP64", o.shape, o.class_labels)
            for o in outcome.outputs
        ),
        artifact_sha256=outcome.model.sha256,
        artifact_format="skops",
        framework_versions=outcome.framework_versions,
    )


def served_models(
    trained: dict[str, bench.Trained], folder: Path, threads: int
) -> dict[tuple[str, str], tuple[ServedModel, float]]:
    """Each model loaded with each backend (no cached form), and the seconds the load took."""
    out = {}
    for name, model in trained.items():
        resolved = Resolved(
            version(name, model),
            model.model_file,
            model.folder / model.outcome.sample.filename,
            False,
        )
        for backend in ("sklearn", "onnx"):
            store = CompiledStore(ArtifactCache(folder / f"cache-{name}-{backend}-{threads}"))
            start = time.perf_counter()
            served = load(resolved, backend=backend, store=store, threads=threads)
            out[(name, backend)] = (served, time.perf_counter() - start)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="cap of one timed cell")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    children = bench.Children()
    with tempfile.TemporaryDirectory(prefix="slipway-bench-onnx-") as tmp:
        try:
            return run(Path(tmp), children, args.seconds)
        finally:
            children.stop_all()


def run(folder: Path, children: bench.Children, seconds: float) -> int:
    data_root = folder / "data"
    data_root.mkdir()
    rows = bench.make_data(data_root)
    trained = bench.train_models(data_root, folder / "trained")
    check = rows[: bench.CHECK_ROWS].astype(np.float64)
    print(f"onnx backend benchmark: cells capped at {seconds:g} s or {MAX_CALLS} calls")

    # -- model call, in process -----------------------------------------------------------------
    loaded = served_models(trained, folder, threads=1)
    every_core = served_models({"rf": trained["rf"]}, folder, threads=0)
    for (name, backend), (served, _) in loaded.items():
        got = served.predict(check, ["predict"])["predict"]
        expected = trained[name].model().predict(check)
        if not np.array_equal(got, expected):
            raise SystemExit(f"{name} {backend}: labels differ from the model's predict")
        if backend == "onnx" and served.backend != "onnx":
            raise SystemExit(f"{name}: no verified ONNX form ({served.backend_note})")
    print("\nload (skops load, smoke test; onnx: + build and verify the form, no cache)")
    for name in trained:
        print(
            f"  {name}: sklearn {loaded[(name, 'sklearn')][1]:.2f} s, "
            f"onnx {loaded[(name, 'onnx')][1]:.2f} s ({loaded[(name, 'onnx')][0].backend_note})"
        )
    print("\nmodel call (ServedModel.predict, predict output), in process")
    header = f"  {'cell':<16}{'backend':<22}{'median us':>11}{'p99 us':>11}{'rows/s':>13}"
    print(header)
    for name, count in CELLS:
        batch = np.ascontiguousarray(rows[:count], dtype=np.float64)
        variants: list[tuple[str, ServedModel]] = [
            ("sklearn", loaded[(name, "sklearn")][0]),
            ("onnx", loaded[(name, "onnx")][0]),
        ]
        if name == "rf" and count > 1:
            variants.append(("onnx, a thread/core", every_core[("rf", "onnx")][0]))
        base = None
        for label, served in variants:
            median, p99, rate = figures(
                timed(lambda s=served, b=batch: s.predict(b, ["predict"]), seconds), count
            )
            base = base or rate
            print(
                f"  {name + ' ' + str(count) + ' row(s)':<16}{label:<22}{median:>11.1f}"
                f"{p99:>11.1f}{rate:>13,.0f}  ({rate / base:.1f}x)"
            )

    # -- gRPC, one client -----------------------------------------------------------------------
    slipway = bench.start_slipway(folder / "onnx", children, trained, "onnx")
    second = start_second_serving(folder, children, slipway, "sklearn")
    print("\ngRPC, 1 client (ModelInfer, raw FP32 [N, 20], predict), sequential")
    print(header)
    metadata = (("authorization", f"Bearer {slipway.service_token}"),)
    channels = {
        "sklearn": grpc.insecure_channel(second.address),
        "onnx": grpc.insecure_channel(slipway.serving.address),
    }
    try:
        for backend, channel in channels.items():
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            for name in ("lr", "rf"):
                reply = stub.ModelInfer(
                    bench.infer_request(name, rows[: bench.CHECK_ROWS]), metadata=metadata
                )
                if not np.array_equal(
                    bench.predictions(reply), trained[name].model().predict(check)
                ):
                    raise SystemExit(f"{name} via {backend}: labels differ from predict")
        for name, count in CELLS:
            request = bench.infer_request(name, rows[:count])
            base = None
            for backend, channel in channels.items():
                stub = pb_grpc.GRPCInferenceServiceStub(channel)
                median, p99, rate = figures(
                    timed(lambda st=stub, r=request: st.ModelInfer(r, metadata=metadata), seconds),
                    count,
                )
                base = base or rate
                print(
                    f"  {name + ' ' + str(count) + ' row(s)':<16}{backend:<22}{median:>11.1f}"
                    f"{p99:>11.1f}{rate:>13,.0f}  ({rate / base:.1f}x)"
                )
    finally:
        for channel in channels.values():
            channel.close()
    return 0


def start_second_serving(
    folder: Path, children: bench.Children, slipway: bench.Slipway, backend: str
) -> bench.Server:
    """Another serving process on the same registry, with ``backend``."""
    home = folder / "onnx"
    ready = folder / f"serving-{backend}-ready.json"
    log = folder / f"serving-{backend}.log"
    process = children.start(
        [
            sys.executable,
            "-m",
            "slipway.cli.main",
            "serving",
            "--home",
            str(folder / f"serving-{backend}-home"),
            "--ready-file",
            str(ready),
            "--database-url",
            f"sqlite:///{home / 'slipway.db'}",
            "--grpc-address",
            "127.0.0.1:0",
            "--metrics-address",
            "off",
            "--tokens-file",
            str(home / "tokens.json"),
            "--log-format",
            "json",
            "--log-level",
            "warning",
            "--registry-target",
            slipway.registry.address,
            "--registry-token-file",
            str(home / "service.token"),
            *(arg for m in bench.MODELS for arg in ("--deployments", f"{m}@production")),
            "--backend",
            backend,
        ],
        log,
        cwd=folder,
    )
    address = bench.wait_for_file(ready, process, log, f"serving --backend {backend}")
    return bench.Server(backend, address["grpc_address"], process, log)


if __name__ == "__main__":
    raise SystemExit(main())
