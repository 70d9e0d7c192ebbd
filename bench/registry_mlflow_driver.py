"""The MLflow half of `bench/registry.py`, run in MLflow's own virtual environment.

It is not meant to be run by hand: `bench/registry.py` starts it with the Python of
`.tools/bench-mlflow` (which has MLflow 3.x and none of Slipway's packages) as

    python registry_mlflow_driver.py CONFIG.json RESULT.json

CONFIG names the tracking URI (`sqlite:///...` for MLflow in-process, `http://127.0.0.1:PORT`
for its REST server), the small model file, the large artifact, a scratch folder, and for each
operation a call count and a time cap. The same operations as on the Slipway side are timed
through `MlflowClient`, one call at a time, and the figures are written to RESULT as JSON.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import time
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

MODEL = "bench-model"
ALIAS = "staging"
WARM_UP = 20


def timed(
    call: Callable[[int], Any], count: int, seconds: float, deadline: float
) -> dict[str, Any]:
    """Run `call(i)` up to `count` times, one after the other, after `WARM_UP` untimed calls;
    stop early after `seconds` or at `deadline` (a `time.monotonic()` value).

    Shared with `bench/registry.py`, so both sides are measured by the same loop.
    """
    for i in range(WARM_UP):
        if time.monotonic() >= deadline:
            break
        call(i)
    stop = min(time.monotonic() + seconds, deadline)
    times: list[float] = []
    began = time.perf_counter()
    for i in range(count):
        if time.monotonic() >= stop:
            break
        start = time.perf_counter()
        call(WARM_UP + i)
        times.append(time.perf_counter() - start)
    wall = time.perf_counter() - began
    return summary(times, wall)


def summary(times: list[float], wall: float) -> dict[str, Any]:
    """Calls, calls per second of wall time, and the median and 99th percentile in ms."""
    if not times:
        return {"calls": 0}
    ordered = sorted(times)
    return {
        "calls": len(times),
        "ops_per_s": len(times) / wall,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def raw_rest(
    url: str,
    source: str,
    run_id: str,
    counts: dict[str, int],
    caps: dict[str, float],
    deadline: float,
) -> dict[str, Any]:
    """The same three calls as plain HTTP requests on a new connection each (urllib).

    `MlflowClient` keeps its connection open; on this server that costs about 40 ms a call
    (what a delayed TCP acknowledgement costs), so this shows the server without that stall.
    """
    api = f"{url}/api/2.0/mlflow"  # url is http://127.0.0.1:<port>, made by the caller

    def post(path: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(  # noqa: S310
            f"{api}/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()

    def get(_: int) -> None:
        query = urllib.parse.urlencode({"name": MODEL, "alias": ALIAS})
        with urllib.request.urlopen(  # noqa: S310
            f"{api}/registered-models/alias?{query}", timeout=30
        ) as response:
            assert json.loads(response.read())["model_version"]["version"] in ("1", "2")

    def set_alias(i: int) -> None:
        post(
            "registered-models/alias",
            {"name": MODEL, "alias": ALIAS, "version": "2" if i % 2 == 0 else "1"},
        )

    def create(_: int) -> None:
        post("model-versions/create", {"name": MODEL, "source": source, "run_id": run_id})

    return {
        "get_by_alias": timed(get, counts["get"], caps["get"], deadline),
        "set_alias": timed(set_alias, counts["set"], caps["set"], deadline),
        "create_version": timed(create, counts["create"], caps["create"], deadline),
    }


def main(config_path: str, result_path: str) -> int:
    warnings.filterwarnings("ignore")
    import mlflow
    from mlflow import MlflowClient

    config = json.loads(Path(config_path).read_text())
    deadline = time.monotonic() + float(config["seconds"])
    uri = config["tracking_uri"]
    scratch = Path(config["scratch"])
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    result: dict[str, Any] = {"mlflow_version": mlflow.__version__}

    # Set-up, not timed: an experiment and a run holding the small model, a registered model
    # with two versions, and the alias on the first.
    artifact_location = config.get("artifact_location")
    experiment = client.create_experiment("bench", artifact_location=artifact_location)
    run = client.create_run(experiment)
    run_id = run.info.run_id
    client.log_artifact(run_id, config["model_file"], "model")
    source = f"{run.info.artifact_uri}/model"
    client.create_registered_model(MODEL)
    for _ in range(2):
        client.create_model_version(MODEL, source, run_id)
    client.set_registered_model_alias(MODEL, ALIAS, "1")

    counts, caps = config["counts"], config["caps"]

    def get(_: int) -> None:
        version = client.get_model_version_by_alias(MODEL, ALIAS)
        assert str(version.version) in ("1", "2")

    result["get_by_alias"] = timed(get, counts["get"], caps["get"], deadline)

    def set_alias(i: int) -> None:
        client.set_registered_model_alias(MODEL, ALIAS, "2" if i % 2 == 0 else "1")

    result["set_alias"] = timed(set_alias, counts["set"], caps["set"], deadline)

    def create(_: int) -> None:
        client.create_model_version(MODEL, source, run_id)

    result["create_version"] = timed(create, counts["create"], caps["create"], deadline)

    if uri.startswith("http://") and "raw_caps" in config:
        result["raw"] = raw_rest(uri, source, run_id, counts, config["raw_caps"], deadline)

    big = Path(config["artifact_file"])
    size = big.stat().st_size
    uploads: list[float] = []
    downloads: list[float] = []
    for rep in range(int(config["transfer_repeats"])):
        if time.monotonic() >= deadline:
            break
        began = time.perf_counter()
        client.log_artifact(run_id, str(big), f"big{rep}")
        uploads.append(time.perf_counter() - began)
        target = scratch / f"download{rep}"
        target.mkdir(parents=True)
        began = time.perf_counter()
        local = client.download_artifacts(run_id, f"big{rep}/{big.name}", str(target))
        downloads.append(time.perf_counter() - began)
        if Path(local).stat().st_size != size:
            raise RuntimeError(f"downloaded {Path(local).stat().st_size} bytes, not {size}")
        shutil.rmtree(target)
    if uploads:
        result["upload_mb_s"] = size / statistics.median(uploads) / 1e6
        result["download_mb_s"] = size / statistics.median(downloads) / 1e6
        result["transfers"] = len(uploads)
    Path(result_path).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
