"""Adaptive batching: concurrent requests of random sizes and random output choices, merged
into shared predict calls, get exactly the answers they would get alone."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris

from slipway.services.serving.domain.batching import Batcher
from slipway.services.serving.domain.served import (
    PREDICT,
    PREDICT_PROBA,
    InputSpec,
    OutputSpec,
    ServedModel,
    VersionInfo,
)
from support.serving import Serving, Trained, iris_spec, matrix_request, output, train_locally

ROWS = load_iris().data


class SlowModel:
    """A real model made slow (as a large forest is), so that requests pile up and merge."""

    def __init__(self, model: object, delay: float) -> None:
        self.model = model
        self.delay = delay
        self.calls: list[int] = []

    def predict(self, rows: np.ndarray) -> np.ndarray:
        self.calls.append(len(rows))
        import time

        time.sleep(self.delay)
        return self.model.predict(rows)  # type: ignore[attr-defined, no-any-return]

    def predict_proba(self, rows: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(rows)  # type: ignore[attr-defined, no-any-return]


def served(model: object) -> ServedModel:
    info = VersionInfo(
        "iris",
        1,
        tuple(InputSpec(f"f{j}", "FP64") for j in range(4)),
        (OutputSpec(PREDICT, "INT64", (-1,)), OutputSpec(PREDICT_PROBA, "FP64", (-1, 3))),
        "0" * 64,
        "skops",
        {},
    )
    return ServedModel(info, model)


@pytest.mark.parametrize("seed", range(6))
async def test_random_concurrent_requests_get_their_own_answers(tmp_path: Path, seed: int) -> None:
    trained = train_locally(iris_spec(), tmp_path / "m", tmp_path)
    reference = trained.model()
    slow = SlowModel(reference, delay=0.002)
    batcher = Batcher(served(slow), max_rows=64)
    rng = random.Random(seed)  # noqa: S311  (reproducible test data, not secrets)
    requests = []
    for _ in range(60):
        start = rng.randrange(len(ROWS))
        size = rng.choice([1, 1, 2, 3, 7, 20, 40])
        outputs = rng.choice(
            [(PREDICT,), (PREDICT_PROBA,), (PREDICT, PREDICT_PROBA), (PREDICT_PROBA, PREDICT)]
        )
        requests.append((ROWS[start : start + size], outputs))

    async def one(rows: np.ndarray, outputs: tuple[str, ...]) -> dict[str, np.ndarray]:
        await asyncio.sleep(rng.random() * 0.01)
        return await batcher.predict(rows, outputs)

    answers = await asyncio.gather(*(one(r, o) for r, o in requests))
    for (rows, outputs), answer in zip(requests, answers, strict=True):
        assert list(answer) == list(outputs)  # exactly the outputs asked for, in that order
        for name in outputs:
            alone = getattr(reference, name)(rows)
            assert answer[name].shape == alone.shape
            # predict exactly; probabilities to the last bits BLAS may round differently
            # for a different number of rows
            assert np.allclose(answer[name], alone, rtol=1e-12, atol=1e-15)
            if name == PREDICT:
                assert np.array_equal(answer[name], alone)
    assert batcher.stats.largest > 1  # requests were really merged
    assert max(slow.calls) <= 64 or len(slow.calls) == len(requests)


async def test_a_failing_request_does_not_fail_its_batch_neighbours(tmp_path: Path) -> None:
    trained = train_locally(iris_spec(), tmp_path / "m", tmp_path)
    slow = SlowModel(trained.model(), delay=0.005)
    batcher = Batcher(served(slow), max_rows=64)
    bad = np.array([[1.0, 2.0]])  # two columns: the model refuses it
    results = await asyncio.gather(
        *(batcher.predict(ROWS[i : i + 3], (PREDICT,)) for i in range(5)),
        batcher.predict(bad, (PREDICT,)),
        *(batcher.predict(ROWS[i : i + 2], (PREDICT,)) for i in range(5)),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1
    assert isinstance(failures[0], ValueError)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_concurrent_clients_through_the_server(
    serving: Serving, iris_models: list[Trained]
) -> None:
    reference = iris_models[0].model()
    rng = random.Random(3)  # noqa: S311  (reproducible test data, not secrets)

    async def client(k: int) -> None:
        for _ in range(10):
            start, size = rng.randrange(140), rng.choice([1, 4, 9])
            rows = ROWS[start : start + size]
            wanted = rng.choice([(), ("predict",), ("predict_proba",)])
            reply = await serving.infer(
                matrix_request("iris", rows, raw=bool(k % 2), outputs=wanted)
            )
            names = [o.name for o in reply.outputs]
            assert names == (list(wanted) or ["predict", "predict_proba"])
            if "predict" in names:
                assert np.array_equal(output(reply, "predict"), reference.predict(rows))
            if "predict_proba" in names:
                assert np.allclose(output(reply, "predict_proba"), reference.predict_proba(rows))

    await asyncio.gather(*(client(k) for k in range(16)))
