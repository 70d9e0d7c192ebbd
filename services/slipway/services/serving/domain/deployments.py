"""What this serving process serves, and live swaps.

Each configured target (``churn@production`` followed by alias, or ``churn@3`` pinned) has a
slot holding the version it serves now. When the registry moves a followed alias, the new
version is loaded in the background, smoke-tested on rows of its reference sample, and only
then put in the slot: one assignment, so a request sees the old version or the new one, never
a mix, and requests already running finish on the old one. A version that fails to load or to
answer the smoke test is not switched to; the old one keeps serving and the failure is logged
and counted.

Which targets there are is the desired state (``desired``): the settings' deployments, the
models whose followed alias exists, and the loads and unloads stored through the repository
API. Every process converges to it: at start, on the registry's alias events, and by polling
the stored decisions, so replicas agree and a restart comes back to the same models. A model
whose target changes keeps serving its current version until the new target is loaded.

Per model, a canary policy sends a share of the traffic to a candidate alias (sticky per
request id), and a shadow policy has the candidate score every request off the response path.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import uuid
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

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
from slipway.services.serving.domain.desired import DesiredStore, FollowRule, desired_targets
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
from slipway.services.serving.domain.targets import StoredDeployment, Target, parse_target
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
    # Readiness waits for a required slot to load (named by the settings or a stored load);
    # for a followed one, only for its first attempt.
    required: bool = True
    tried: bool = False


Loader = Callable[[Resolved], Awaitable[ServedModel]]


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
        follow: FollowRule | None = None,
        store: DesiredStore | None = None,
        poll_seconds: float = 2.0,
    ) -> None:
        self._source = source
        self._configured = {t.model_id: t for t in targets}
        if len(self._configured) != len(targets):
            raise ValueError("each model may be deployed once per serving process")
        self.slots: dict[str, Slot] = {t.model_id: Slot(t) for t in targets}
        self._follow_rule = follow or FollowRule(alias="")
        self._store = store
        self._poll = poll_seconds
        self._followed: set[str] = set()
        self._stored: list[StoredDeployment] = []
        self._desired: dict[str, Target] = dict(self._configured)
        self._locks: dict[str, asyncio.Lock] = {}
        self._converging: dict[str, asyncio.Task[None]] = {}
        self._generation = 0  # of this process's stored changes (see _read_stored)
        self._started = False
        self._was_ready = False
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
        self._shadows: set[asyncio.Task[None]] = set()  # held so they are not collected
        self._stop = asyncio.Event()
        self._changed = asyncio.Event()  # a slot loaded or failed
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Every required slot loaded and every followed one tried once. Once true it stays
        true: a model added later (a newly followed alias) loads without taking the
        process out of its load balancer, and a loaded slot never loses its version."""
        if self._started and not self._was_ready:
            self._was_ready = all(
                slot.live is not None or (not slot.required and slot.tried)
                for slot in self.slots.values()
            )
        return self._was_ready

    def _all_slots(self) -> list[Slot]:
        return [*self.slots.values(), *self.candidates.values()]

    async def start(self) -> None:
        """Read the desired state, load every target (in the background: readiness says when
        all are in), follow the registry's alias events and poll the stored decisions."""
        self._tasks.append(asyncio.create_task(self._follow()))
        await self._read_stored()
        await self._read_followed()
        self._desired = self._compute()
        # Nothing is loaded yet: the first slots are simply the desired targets.
        self.slots = {
            model_id: Slot(target, required=self._required(model_id))
            for model_id, target in self._desired.items()
        }
        for slot in self._all_slots():
            slot.reload.set()
            self._tasks.append(asyncio.create_task(self._keep_loaded(slot)))
        self._tasks.append(asyncio.create_task(self._poll_desired()))
        self._started = True

    # -- the desired state --------------------------------------------------------------------

    def _required(self, model_id: str) -> bool:
        return model_id in self._configured or any(
            s.model_id == model_id and s.target is not None for s in self._stored
        )

    def _compute(self) -> dict[str, Target]:
        return desired_targets(self._configured, self._follow_rule, self._followed, self._stored)

    async def _read_stored(self) -> bool:
        if self._store is None:
            return True
        generation = self._generation
        try:
            stored = await asyncio.to_thread(self._store.read)
        except Exception as exc:  # a database hiccup: keep the last state, read again later
            log.warning("could not read the stored deployments", error=str(exc)[:300])
            return False
        if generation != self._generation:
            # A load or unload of this process was stored while the read ran: the read may
            # predate it, and applying it would undo the change until the next poll.
            return False
        self._stored = stored
        return True

    async def _read_followed(self) -> bool:
        rule = self._follow_rule
        if not rule.enabled:
            return True
        try:
            holders = await self._source.models_with_alias(rule.alias)
        except SlipwayError as exc:
            # Unreachable at start: what this process served before (stored decisions and
            # settings) still comes up; the followed models join at the next resync.
            log.warning("could not list the followed models", alias=rule.alias, error=exc.message)
            return False
        self._followed = {m for m in holders if rule.covers(m, rule.alias)}
        return True

    async def _poll_desired(self) -> None:
        """Poll the stored decisions every ``poll`` seconds and re-list the followed alias
        every ``resync`` seconds (its events can be missed while the stream reconnects)."""
        loop = asyncio.get_running_loop()
        next_resync = loop.time() + self._resync
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._poll)
            if self._stop.is_set():
                return
            await self._read_stored()
            if loop.time() >= next_resync:
                next_resync = loop.time() + self._resync
                await self._read_followed()
            self._apply()

    def _apply(self) -> None:
        """Converge to the desired state: each model whose target differs gets a task."""
        if not self._started:
            return  # start() reads the whole state and makes the first slots itself
        self._desired = self._compute()
        for model_id in sorted(set(self._desired) | set(self.slots)):
            have = self.slots.get(model_id)
            if (have.target if have else None) == self._desired.get(model_id):
                continue
            running = self._converging.get(model_id)
            if running is None or running.done():
                task = asyncio.create_task(self._converge(model_id))
                self._converging[model_id] = task
                self._tasks.append(task)
                task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(ValueError):
            self._tasks.remove(task)

    def _lock(self, model_id: str) -> asyncio.Lock:
        return self._locks.setdefault(model_id, asyncio.Lock())

    async def _converge(self, model_id: str) -> None:
        """Bring ``model_id`` to its desired target: drop it, or load the new target and
        then swap it in (the current one serves until then; a failed load is retried)."""
        while not self._stop.is_set():
            async with self._lock(model_id):
                want = self._desired.get(model_id)
                have = self.slots.get(model_id)
                if (have.target if have else None) == want:
                    return
                if want is None:
                    self._drop(model_id, "no longer desired")
                    return
                slot = Slot(want, required=self._required(model_id))
                await self._load(slot)
                if self._desired.get(model_id) != want:
                    continue  # changed while loading: converge to the newer target
                if slot.live is not None or have is None:
                    # A new model is installed even when its load failed: it shows in the
                    # index with the reason and its loader retries.
                    self._install(slot)
                    return
            # The new target failed and the old one keeps serving: try again later.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._retry)

    def _install(self, slot: Slot) -> None:
        model_id = slot.target.model_id
        replaced = self.slots.get(model_id)
        slot.tried = True
        self.slots[model_id] = slot
        if replaced is not None:
            replaced.reload.set()  # its loader sees it is gone and ends
        self._changed.set()
        self._tasks.append(asyncio.create_task(self._keep_loaded(slot)))
        log.info(
            "deployment changed",
            target=str(slot.target),
            previous=str(replaced.target) if replaced else None,
        )

    def _drop(self, model_id: str, why: str) -> None:
        slot = self.slots.pop(model_id, None)
        if slot is not None:
            slot.reload.set()  # its loader ends; the model is released
            log.info("model unloaded", target=str(slot.target), why=why)

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
        rule = self._follow_rule
        async for event in self._source.events(self._stop):
            for slot in self._all_slots():
                if slot.target.model_id == event.model_id and slot.target.alias == event.alias:
                    slot.reload.set()
            if rule.covers(event.model_id, event.alias):
                if event.deleted:
                    self._followed.discard(event.model_id)
                else:
                    self._followed.add(event.model_id)
                self._apply()

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
            if not slot.tried:
                slot.tried = True
                self._changed.set()

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

    # -- the repository extension -------------------------------------------------------------

    async def deploy(self, target: Target, reason: str = "") -> VersionInfo:
        """Serve ``target`` (the repository extension's load): load it here, then store the
        decision with its audit event (every serving process converges to it, and it
        survives restarts), then swap it in. The version it serves; ``NotFoundError`` when it
        could not be loaded, and then nothing is stored."""
        model_id = target.model_id
        async with self._lock(model_id):
            have = self.slots.get(model_id)
            if have is not None and have.target == target and have.live is not None:
                slot = have
                slot.reload.set()  # Triton's load also reloads: the alias is read again
            else:
                slot = Slot(target)
                await self._load(slot)
            if slot.live is None:
                raise NotFoundError(
                    f"could not load {target}: {slot.reason}",
                    reason=Reason.MODEL_LOAD_FAILED,
                    metadata={"model": str(target)},
                )
            info = slot.live.info
            payload = {"target": str(target), "version": info.name}
            await self._change(model_id, target, reason, payload)
            if slot is not have:
                self._install(slot)
            self._desired = self._compute()
        request_log.info(
            "model loaded through the repository API", target=str(target), version=info.name
        )
        return info

    async def undeploy(self, model_id: str, reason: str = "") -> None:
        """Stop serving ``model_id`` (the repository extension's unload), stored and audited
        like a load: it stays unloaded, on every process and across restarts, even when the
        settings or a followed alias name it, until it is loaded again."""
        async with self._lock(model_id):
            if model_id not in self.slots and model_id not in self._desired:
                raise NotFoundError(
                    f"model {model_id!r} is not served here",
                    reason=Reason.MODEL_NOT_FOUND,
                    metadata={"model": model_id},
                )
            await self._change(model_id, None, reason, {"model": model_id})
            self._drop(model_id, "unloaded through the repository API")
            self._desired = self._compute()

    async def _change(
        self, model_id: str, target: Target | None, reason: str, payload: dict[str, Any]
    ) -> None:
        if self._store is None:
            return
        store = self._store
        decision = await asyncio.to_thread(
            contextvars.copy_context().run,
            lambda: store.change(model_id, target, reason=reason, payload=payload),
        )
        self._stored = [s for s in self._stored if s.model_id != model_id] + [decision]
        self._generation += 1
