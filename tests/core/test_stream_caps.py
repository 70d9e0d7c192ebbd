"""``StreamCaps``: open watch streams per principal and per process, given back however a
stream ends."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from slipway.core.errors import ResourceExhaustedError
from slipway.core.reasons import Reason
from slipway.core.stream_caps import StreamCaps, is_watch


def test_only_slipway_watch_methods_count() -> None:
    assert is_watch("/slipway.registry.v1.RegistryService/WatchModelEvents")
    assert is_watch("/slipway.training.v1.TrainingService/WatchTrainingJob")
    assert is_watch("/inference.GRPCInferenceService/ModelStreamInfer")
    assert not is_watch("/inference.GRPCInferenceService/ModelInfer")
    assert not is_watch("/grpc.health.v1.Health/Watch")
    assert not is_watch("/slipway.registry.v1.RegistryService/GetModel")


def test_each_cap_refuses_with_its_reason() -> None:
    caps = StreamCaps(per_principal=2, per_process=3)
    with contextlib.ExitStack() as held:
        for _ in range(2):
            held.enter_context(caps.slot("ann"))
        with pytest.raises(ResourceExhaustedError) as mine:
            held.enter_context(caps.slot("ann"))
        assert mine.value.reason == Reason.TOO_MANY_WATCH_STREAMS
        held.enter_context(caps.slot("bob"))
        with pytest.raises(ResourceExhaustedError) as full:
            held.enter_context(caps.slot("cid"))
        assert full.value.reason == Reason.WATCH_STREAMS_FULL
        assert (caps.open, caps.open_by("ann"), caps.open_by("cid")) == (3, 2, 0)
    assert caps.open == 0


async def test_a_slot_comes_back_on_error_and_on_cancel() -> None:
    caps = StreamCaps(per_principal=1, per_process=1)
    with pytest.raises(RuntimeError), caps.slot("ann"):
        raise RuntimeError("the stream failed")
    assert caps.open == 0

    started = asyncio.Event()

    async def stream() -> None:
        with caps.slot("ann"):
            started.set()
            await asyncio.Event().wait()  # until cancelled, as by a client's cancel

    task = asyncio.ensure_future(stream())
    await asyncio.wait_for(started.wait(), 10)
    assert caps.open_by("ann") == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert caps.open == 0


def test_a_quarter_of_the_process_cap_is_kept_for_peer_roles() -> None:
    caps = StreamCaps(per_principal=64, per_process=256)
    assert caps.for_others == 192
    with contextlib.ExitStack() as held:
        for viewer in ("v1", "v2", "v3"):  # three viewer tokens at their own cap
            for _ in range(64):
                held.enter_context(caps.slot(viewer))
        with pytest.raises(ResourceExhaustedError) as full:
            held.enter_context(caps.slot("v4"))
        assert full.value.reason == Reason.WATCH_STREAMS_FULL
        assert full.value.metadata == {"limit": "192"}
        for peer in ("serving", "monitoring"):  # the peers still find their 64
            for _ in range(32):
                held.enter_context(caps.slot(peer, peer=True))
        assert caps.open == 256
        with pytest.raises(ResourceExhaustedError):
            held.enter_context(caps.slot("training", peer=True))
    assert caps.open == 0
