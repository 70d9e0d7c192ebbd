"""What this serving process serves, and live swaps.

Each configured target (``churn@production`` followed by alias, or ``churn@3`` pinned) has a
slot holding the version it serves now. When the registry moves a followed alias, the new
version is loaded in the background, smoke-tested on rows of its reference sample, and only
then put in the slot: one assignment, so a request sees the old version or the new one, never
a mix, and requests already running finish on the old one. A version that fails to load or to
answer the smoke test is not switched to; the old one keeps serving and the failure is logged
and counted.

Per model, a canary policy sends a share of the traffic to a candidate alias (sticky per
request id), and a shadow policy has the candidate score every request off the response path.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from slipway.core.context import current_request_id
from slipway.core.errors import (
    InvalidArgumentError,
    NotFoundError,
    SlipwayError,
    UnavailableError,
)
from slipway.core.logs import get_logger
from slipway.core.reasons import Reason
from slipway.ml import model_files
from slipway.ml.compiled import CompiledStore
from slipway.services.serving.domain.batching import Batcher
from slipway.services.serving.domain.inference import (
    Answers,
    Inference,
    InputReader,
    Live,
    ModelView,
    PredictionSink,
    ShadowListener,
)
from slipway.services.serving.domain.loading import SmokeTestError, load
from slipway.services.serving.domain.served import ServedModel, VersionInfo
from slipway.services.serving.domain.targets import Target, parse_target
from slipway.services.serving.domain.versions import Resolved, VersionSource

log = get_logger("slipway.serving.deployments")
# The request path's events keep the logger they had when the servicer wrote them.
request_log = get_logger("slipway.serving")


@dataclass(frozen=True)
class Policy:
    """Traffic to a candidate alias of a model: ``canary_percent`` of requests (0: none), and
    whether it shadows every request."""

    candidate_alias: str
    canary_percent: float = 0.0
    shadow: bool = False


@dataclass
class Slot:
    target: Target
    live: Live | None = None
    state: str = "LOADING"  # LOADING, READY, UNAVAILABLE
    reason: str = ""
    reload: asyncio.Event = field(default_factory=asyncio.Event)


Loader = Callable[[Resolved], Awaitable[ServedModel]]


class Auditor(Protocol):
    """Writes an audit event for a change of what this process serves."""

    async def __call__(self, action: str, resource: str, payload: dict[str, Any]) -> None: ...


SwapListener = Callable[[str, str, VersionInfo | None, VersionInfo | None, str], None]
BackendListener = Callable[[str, str], None]  # (target, backend now answering for it)


class Deployments:
    def __init__(
        self,
        source: VersionSource[Any],
        targets: list[Target],
        *,
        policies: dict[str, Policy] | None = None,
        max_batch_rows: int = 1024,
        max_batch_wait: float = 0.0,
        batching: bool = True,
        retry_seconds: float = 5.0,
        resync_seconds: float = 30.0,
        allow_pickle: bool = False,
        backend: str = "auto",
        backends: dict[str, str] | None = None,
        compiled_store: CompiledStore | None = None,
        onnx_threads: int = 0,
        on_swap: SwapListener | None = None,
        on_backend: BackendListener | None = None,
        on_shadow: ShadowListener | None = None,
        sink: PredictionSink | None = None,
        audit: Auditor | None = None,
    ) -> None:
        self._source = source
        self.slots: dict[str, Slot] = {t.model_id: Slot(t) for t in targets}
        if len(self.slots) != len(targets):
            raise ValueError("each model may be deployed once per serving process")
        self.policies = policies or {}
        self.candidates: dict[str, Slot] = {
            model: Slot(Target(model, alias=policy.candidate_alias))
            for model, policy in self.policies.items()
        }
        self._batch = {"max_rows": max_batch_rows, "max_wait": max_batch_wait, "enabled": batching}
        self._retry = retry_seconds
        self._resync = resync_seconds
        self._allow_pickle = allow_pickle
        self._backend = backend
        self._backends = backends or {}
        self._compiled_store = compiled_store
        self._onnx_threads = onnx_threads
        self._on_swap = on_swap
        self._on_backend = on_backend
        self._on_shadow = on_shadow
        self._sink = sink
        self._audit = audit
        self._shadows: set[asyncio.Task[None]] = set()  # held so they are not collected
        self._stop = asyncio.Event()
        self._changed = asyncio.Event()  # a slot loaded or failed
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return all(slot.live is not None for slot in self.slots.values())

    def _all_slots(self) -> list[Slot]:
        return [*self.slots.values(), *self.candidates.values()]

    async def start(self) -> None:
        """Load every target (in the background: readiness says when all are in), and follow
        the registry's alias events."""
        self._tasks.append(asyncio.create_task(self._follow()))
        for slot in self._all_slots():
            slot.reload.set()
            self._tasks.append(asyncio.create_task(self._keep_loaded(slot)))

    async def wait_ready(self, within: float) -> bool:
        """Whether every target is loaded, waiting up to ``within`` seconds for it."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while not self.ready:
                    self._changed.clear()
                    await self._changed.wait()
        return self.ready

    async def stop(self) -> None:
        self._stop.set()
        for slot in self._all_slots():
            slot.reload.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self._source.close()

    async def _follow(self) -> None:
        async for event in self._source.events(self._stop):
            for slot in self._all_slots():
                if slot.target.model_id == event.model_id and slot.target.alias == event.alias:
                    slot.reload.set()

    def _current(self, slot: Slot) -> bool:
        return (
            self.slots.get(slot.target.model_id) is slot
            or self.candidates.get(slot.target.model_id) is slot
        )

    async def _keep_loaded(self, slot: Slot) -> None:
        """Load the slot's target whenever asked (an alias event), retrying while it fails,
        and re-checking followed aliases every ``resync`` seconds as a safety net. Ends when
        the slot is unloaded or replaced."""
        while not self._stop.is_set() and self._current(slot):
            with contextlib.suppress(TimeoutError):
                wait = self._retry if slot.live is None else self._resync
                if slot.target.number and slot.live is not None:
                    wait = 3600.0  # pinned: nothing moves
                await asyncio.wait_for(slot.reload.wait(), wait)
            if self._stop.is_set() or not self._current(slot):
                return
            slot.reload.clear()
            try:
                await self._load(slot)
            except Exception as exc:  # never let one bad load end the slot's loop
                log.exception("loading failed unexpectedly", target=str(slot.target))
                self._failed(
                    slot,
                    slot.live.info if slot.live else None,
                    None,
                    f"{type(exc).__name__}: {exc}",
                )

    async def _load(self, slot: Slot) -> None:
        target = slot.target
        current = slot.live.info if slot.live is not None else None
        try:
            found = await self._source.find(target)
            if current is not None and found.info.number == current.number:
                slot.state, slot.reason = (
                    "READY",
                    slot.live.served.backend_note if slot.live else "",
                )
                if found.from_cache and self._on_swap is not None:
                    # Counted, so an operator (and a test) sees serving ride out a registry
                    # outage on its cached resolution rather than assume it did.
                    self._on_swap(str(target), "kept_cached", current, current, "")
                return  # unchanged: its files are neither fetched nor hashed again
            resolved = await self._source.fetch(found)
            served = await asyncio.to_thread(
                load,
                resolved,
                allow_pickle=self._allow_pickle,
                backend=self._backends.get(target.model_id, self._backend),
                store=self._compiled_store,
                threads=self._onnx_threads,
            )
        except NotFoundError as exc:
            if target.alias and current is not None:
                # The alias was deleted: keep serving what it pointed to, and say so.
                slot.reason = f"{target} no longer exists in the registry ({exc.message})"
                log.warning(
                    "alias gone; still serving the last version",
                    target=str(target),
                    version=current.name,
                )
                return
            self._failed(slot, current, None, str(exc))
            return
        except (
            SlipwayError,
            SmokeTestError,
            model_files.IncompatibleArtifactError,
            OSError,
            ValueError,
        ) as exc:
            self._failed(slot, current, None, str(exc))
            return
        slot.live = Live(served, Batcher(served, **self._batch))  # type: ignore[arg-type]
        # For a ready slot the index's reason says which backend answers and why.
        slot.state, slot.reason = "READY", served.backend_note
        self._changed.set()
        log.info(
            "serving version",
            target=str(target),
            version=served.info.name,
            previous=current.name if current else None,
            from_cache=resolved.from_cache,
            backend=served.backend,
            backend_note=served.backend_note,
        )
        if self._on_backend is not None:
            self._on_backend(str(target), served.backend)
        if self._on_swap is not None:
            self._on_swap(str(target), "swapped" if current else "loaded", current, served.info, "")

    def _failed(
        self, slot: Slot, current: VersionInfo | None, new: VersionInfo | None, why: str
    ) -> None:
        slot.reason = why[:500]
        if slot.live is None:
            slot.state = "UNAVAILABLE"
        log.error(
            "could not load a version; the current one keeps serving"
            if current
            else "could not load a version",
            target=str(slot.target),
            current=current.name if current else None,
            error=why[:500],
        )
        if self._on_swap is not None:
            self._on_swap(str(slot.target), "failed", current, new, why)

    # -- requests -----------------------------------------------------------------------------

    def resolve(self, name: str, version: str) -> tuple[str, str]:
        """(model id, version) that a request's model name means. A name RepositoryIndex
        lists (``churn@production``, ``churn@challenger``, ``churn@3``) means the version that
        deployment serves now; a bare model id is returned as it is."""
        if "@" not in name:
            return name, version
        try:
            target = parse_target(name)
        except InvalidArgumentError:
            target = None
        slot = None
        if target is not None:
            slot = next(
                (
                    s
                    for s in (self.slots.get(target.model_id), self.candidates.get(target.model_id))
                    if s is not None and s.target == target
                ),
                None,
            )
        if target is None or slot is None:
            raise NotFoundError(
                f"model {name!r} is not served here",
                reason=Reason.MODEL_NOT_FOUND,
                metadata={"model": name},
            )
        if slot.live is None:
            raise UnavailableError(
                f"model {name!r} is not loaded yet ({slot.reason or 'loading'})",
                reason=Reason.MODEL_NOT_READY,
                metadata={"model": name},
            )
        number = str(slot.live.info.number)
        if version and version != number:
            raise NotFoundError(
                f"{name!r} serves version {number}, not {version!r}",
                reason=Reason.VERSION_NOT_FOUND,
                metadata={"model": name, "version": version},
            )
        return target.model_id, number

    def choose(self, model_id: str, version: str, request_id: str) -> tuple[Live, Live | None]:
        """The version to answer with, and the candidate to shadow it (if any)."""
        model_id, version = self.resolve(model_id, version)
        slot = self.slots.get(model_id)
        if slot is None:
            raise NotFoundError(
                f"model {model_id!r} is not served here",
                reason=Reason.MODEL_NOT_FOUND,
                metadata={"model": model_id},
            )
        candidate_slot = self.candidates.get(model_id)
        candidate = candidate_slot.live if candidate_slot is not None else None
        if version:
            for live in (slot.live, candidate):
                if live is not None and str(live.info.number) == version:
                    return live, None
            raise NotFoundError(
                f"version {version!r} of {model_id!r} is not loaded here",
                reason=Reason.VERSION_NOT_FOUND,
                metadata={"model": model_id, "version": version},
            )
        if slot.live is None:
            # Served here, not loaded yet (a restart, or a load that is retried): a client that
            # retries gets an answer once it loads, so this is an outage, not a missing model.
            why = slot.reason or "loading"
            raise UnavailableError(
                f"model {model_id!r} is not loaded yet ({why})",
                reason=Reason.MODEL_NOT_READY,
                metadata={"model": model_id},
            )
        policy = self.policies.get(model_id)
        if policy is None or candidate is None:
            return slot.live, None
        if policy.canary_percent > 0:
            bucket = (
                zlib.crc32(request_id.encode()) % 10_000 / 100.0
                if request_id
                else float(np.random.random() * 100.0)
            )
            if bucket < policy.canary_percent:
                return candidate, None
        return slot.live, candidate if policy.shadow else None

    def describe(self, model_id: str, version: str) -> ModelView:
        """What the metadata of ``model_id`` (at ``version``, or the one it serves) shows."""
        live, _ = self.choose(model_id, version, "")
        model_id = live.info.model_id  # the model a listed name (`churn@production`) names
        versions = {str(live.info.number)}
        candidate = self.candidates.get(model_id)
        for other in (self.slots[model_id].live, candidate.live if candidate else None):
            if other is not None:
                versions.add(str(other.info.number))
        return ModelView(
            live.info,
            sorted(versions, key=int),
            live.served.output_names,
            live.served.backend,
            missing=live.served.missing,
        )

    async def infer(
        self, model_id: str, version: str, request_id: str, read: InputReader
    ) -> Inference:
        """Answer one request: choose the version (primary, or the canary for its share of
        request ids), read the request's rows for it, predict through its batcher, hand the
        answer to the sink and start the shadow's scoring, which runs off the response path.
        ``request_id`` is the caller's (canary stickiness follows it; none draws at random)."""
        log_id = request_id or current_request_id() or uuid.uuid4().hex
        model_id, version = self.resolve(model_id, version)
        live, shadow = self.choose(model_id, version, request_id)
        inputs = read(live.served)
        try:
            answers = await live.batcher.predict(inputs.rows, inputs.outputs)
        except (ValueError, TypeError) as exc:
            # The rows passed every protocol check but the model refused them (an unseen
            # category with handle_unknown='error', say): the caller's input, not our fault.
            raise InvalidArgumentError.for_field(
                "inputs",
                f"the model refused the rows: {str(exc)[:300]}",
                reason=Reason.MODEL_REFUSED_INPUT,
            ) from exc
        if self._sink is not None:
            candidate = self.candidates.get(model_id)
            canary = candidate is not None and candidate.live is live
            slot = candidate if canary else self.slots.get(model_id)
            self._sink.record(
                live.info,
                alias=slot.target.alias if slot else "",
                role="canary" if canary else "primary",
                request_id=log_id,
                rows=inputs.rows,
                answers=answers,
            )
        if shadow is not None:
            task = asyncio.create_task(
                self._shadow(model_id, live, shadow, inputs.rows, inputs.outputs, answers, log_id)
            )
            self._shadows.add(task)
            task.add_done_callback(self._shadows.discard)
        return Inference(log_id, live.info, inputs.outputs, answers)

    async def _shadow(
        self,
        model_id: str,
        live: Live,
        shadow: Live,
        rows: npt.NDArray[Any],
        outputs: list[str],
        answers: Answers,
        request_id: str,
    ) -> None:
        wanted = [name for name in outputs if name in shadow.served.output_names]
        try:
            theirs = await shadow.batcher.predict(rows, wanted)
        except Exception as exc:  # a failing shadow never affects callers
            request_log.warning(
                "shadow prediction failed",
                model=model_id,
                version=shadow.info.name,
                error=f"{type(exc).__name__}: {exc}"[:300],
            )
            return
        if self._on_shadow is not None:
            self._on_shadow(model_id, live, shadow, answers, theirs)
        if self._sink is not None:
            candidate = self.candidates.get(model_id)
            self._sink.record(
                shadow.info,
                alias=candidate.target.alias if candidate else "",
                role="shadow",
                request_id=request_id,
                rows=rows,
                answers=theirs,
            )

    def model_ready(self, model_id: str, version: str) -> bool:
        try:
            self.choose(model_id, version, "")
        except (NotFoundError, UnavailableError):
            return False
        return True

    def index(self) -> list[tuple[str, str, str, str]]:
        """(name, version, state, reason) of every slot, candidates included."""
        rows = []
        for slot in self._all_slots():
            version = str(slot.live.info.number) if slot.live is not None else ""
            rows.append((str(slot.target), version, slot.state, slot.reason))
        return rows

    async def add(self, target: Target) -> Slot:
        """Serve another target (the repository extension's load)."""
        slot = self.slots.get(target.model_id)
        if slot is not None and slot.target == target:
            slot.reload.set()
            return slot
        replaced = self.slots.get(target.model_id)
        slot = Slot(target)
        await self._load(slot)
        if slot.live is None:
            return slot  # the current one (if any) keeps serving
        self.slots[target.model_id] = slot
        if replaced is not None:
            replaced.reload.set()  # its loader ends
        self._tasks.append(asyncio.create_task(self._keep_loaded(slot)))
        return slot

    def remove(self, model_id: str) -> None:
        slot = self.slots.pop(model_id, None)
        if slot is not None:
            slot.reload.set()  # its loader sees it is gone and ends; the model is released
            return
        raise NotFoundError(
            f"model {model_id!r} is not served here",
            reason=Reason.MODEL_NOT_FOUND,
            metadata={"model": model_id},
        )

    # -- the repository extension -------------------------------------------------------------

    async def deploy(self, target: Target) -> VersionInfo:
        """Serve ``target`` (the repository extension's load) and audit it; the version it
        serves, or ``NotFoundError`` when it could not be loaded."""
        slot = await self.add(target)
        if slot.live is None:
            raise NotFoundError(
                f"could not load {target}: {slot.reason}",
                reason=Reason.MODEL_LOAD_FAILED,
                metadata={"model": str(target)},
            )
        info = slot.live.info
        request_log.info(
            "model loaded through the repository API", target=str(target), version=info.name
        )
        if self._audit is not None:
            await self._audit(
                "RepositoryModelLoad",
                f"models/{target.model_id}",
                {"target": str(target), "version": info.name},
            )
        return info

    async def undeploy(self, model_id: str) -> None:
        """Stop serving ``model_id`` (the repository extension's unload) and audit it."""
        self.remove(model_id)
        if self._audit is not None:
            await self._audit("RepositoryModelUnload", f"models/{model_id}", {"model": model_id})
