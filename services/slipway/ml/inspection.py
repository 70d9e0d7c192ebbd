"""Model files inspected in a child process with a memory and a time limit.

``model_files`` refuses a zip that would unpack beyond its ``ArchiveLimits`` before decompressing
anything, but reading a file still means parsing JSON and building skops' tree of it, which an
uploaded file controls. The registry therefore never reads an uploaded model itself: a child
process does, under ``RLIMIT_AS`` (its address space when it starts, plus ``memory_bytes``), and
is killed when one file takes longer than ``seconds``. A file that slips past the caps then costs
the child, never the registry.

Each file gets a fresh child, which exits once it answered: nothing one file leaves behind (a
heap grown near its limit, a module imported or patched while reading it) is there for the next
one. The children are forked by a helper process that has imported scikit-learn and skops but
never reads a file itself, so a child costs a fork (milliseconds), not the seconds of those
imports. At most ``concurrency`` inspections run at once (one helper each), so their memory
limits bound the total; an upload that would wait longer than ``wait_seconds`` for its turn is
refused as UNAVAILABLE (``INSPECTION_BUSY``), to be retried, rather than holding a server thread
for as long as the queue ahead of it takes.

The helpers come from multiprocessing's fork server, which imports those libraries once per
registry process; both start with the first upload (about 145 MiB and 2 s of CPU), so a registry
that is never sent a model file does not pay for them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
import signal
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, ForkServerProcess
from pathlib import Path
from typing import Any

from slipway.core.errors import InvalidArgumentError, SlipwayError, UnavailableError
from slipway.core.logs import get_logger
from slipway.core.reasons import Reason
from slipway.ml import model_files
from slipway.ml.model_files import ArchiveLimits, ModelFileFacts

__all__ = ["InspectionBusyError", "InspectionLimitError", "InspectionSandbox"]

_log = get_logger(__name__)
_START_SECONDS = 120.0  # the fork server's first start imports scikit-learn on a loaded machine
_HELPER_MARGIN_SECONDS = 30.0  # beyond ``seconds``, before a silent helper is given up on


_CONTEXT: ForkServerContext | None = None


def _context() -> ForkServerContext:
    """The fork server, made to import scikit-learn and skops once. (The fork server is one per
    process: where another part of the process set its own preload first, children import these
    modules themselves, which is slower but the same.)"""
    global _CONTEXT
    if _CONTEXT is None:
        context = multiprocessing.get_context("forkserver")
        assert isinstance(context, ForkServerContext)
        # model_files imports scikit-learn and skops only where it uses them (so that services
        # start fast): the fork server imports them once for every helper it forks.
        context.set_forkserver_preload(
            [
                "slipway.ml.model_files",
                "slipway.ml.inspection",
                "skops.io",
                "sklearn.ensemble",
                "sklearn.neighbors",
                "sklearn.tree",
            ]
        )
        _CONTEXT = context
    return _CONTEXT


class InspectionLimitError(InvalidArgumentError):
    """Inspecting a model file took more memory or time than the sandbox allows."""

    default_reason = Reason.INSPECTION_LIMIT_EXCEEDED


class InspectionBusyError(UnavailableError):
    """Every inspection slot stayed busy for longer than the caller may wait."""

    default_reason = Reason.INSPECTION_BUSY


class InspectionSandbox:
    """Runs ``model_files.inspect_model_file`` in a fresh child process per file, with a memory
    and time limit, ``concurrency`` at a time."""

    def __init__(
        self,
        *,
        limits: ArchiveLimits,
        memory_bytes: int,
        seconds: float,
        concurrency: int = 1,
        wait_seconds: float = 30.0,
    ) -> None:
        self._limits = limits
        self._memory_bytes = memory_bytes
        self._seconds = seconds
        self._wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(concurrency)
        self._lock = threading.Lock()
        self._idle: list[tuple[ForkServerProcess, Connection]] = []  # helpers not in use
        self._closed = False

    def inspect(self, path: Path, fmt: str, *, allow_pickle: bool = False) -> ModelFileFacts:
        """``inspect_model_file`` on ``path``, in a new child; ``InspectionLimitError`` when the
        child runs out of memory or time, ``InspectionBusyError`` when no slot frees within
        ``wait_seconds``."""
        if not self._slots.acquire(timeout=self._wait_seconds):
            raise InspectionBusyError(
                f"every model file inspection slot stayed busy for {self._wait_seconds:g} "
                "seconds; retry the upload later",
                metadata={"limit": "inspection_wait_seconds"},
            )
        try:
            helper = self._helper()
            reply = self._ask(helper, path, fmt, allow_pickle)
        finally:
            self._slots.release()
        return _facts(reply)

    def _ask(
        self,
        helper: tuple[ForkServerProcess, Connection],
        path: Path,
        fmt: str,
        allow_pickle: bool,
    ) -> dict[str, Any]:
        started = time.monotonic()
        _process, conn = helper
        try:
            conn.send({"path": str(path), "format": fmt, "allow_pickle": allow_pickle})
            # The helper enforces ``seconds`` on its child; this only guards against the helper.
            if not conn.poll(self._seconds + _HELPER_MARGIN_SECONDS):
                raise TimeoutError
            reply: dict[str, Any] = conn.recv()
        except (OSError, TimeoutError, EOFError) as exc:
            self._stop(helper)
            reply = {"limit": "seconds" if isinstance(exc, TimeoutError) else "memory_bytes"}
        else:
            with self._lock:
                if self._closed:
                    self._stop(helper)
                else:
                    self._idle.append(helper)
        limit = reply.get("limit")
        if limit is not None:
            _log.warning(
                "model file inspection exceeded its limits",
                path=str(path),
                seconds=round(time.monotonic() - started, 3),
                timed_out=limit == "seconds",
            )
            raise InspectionLimitError(
                "the model file is refused: inspecting it took more than "
                + (f"{self._seconds:g} seconds" if limit == "seconds" else "the memory it may use"),
                metadata={"limit": limit},
            )
        return reply

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for helper in idle:
            self._stop(helper)

    def _helper(self) -> tuple[ForkServerProcess, Connection]:
        """An idle helper, or a new one (the first also starts the fork server)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the model inspection sandbox is closed")
            while self._idle:
                helper = self._idle.pop()
                if helper[0].is_alive():
                    return helper
                self._stop(helper)
        context = _context()
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_serve,
            args=(theirs, self._limits, self._memory_bytes, self._seconds),
            name="slipway-model-inspection",
            daemon=True,
        )
        process.start()
        theirs.close()
        try:
            if not ours.poll(_START_SECONDS):
                raise EOFError
            ours.recv()  # "ready"
        except (EOFError, OSError):
            self._stop((process, ours))
            raise RuntimeError("the model inspection process did not start") from None
        return process, ours

    @staticmethod
    def _stop(helper: tuple[ForkServerProcess, Connection]) -> None:
        process, conn = helper
        process.kill()
        process.join()
        conn.close()


def _facts(reply: dict[str, Any]) -> ModelFileFacts:
    if (error := reply.get("error")) is not None:
        raise _ERRORS.get(error["kind"], model_files.MalformedArtifactError)(
            error["message"], reason=Reason[error["reason"]], metadata=error["metadata"]
        )
    return ModelFileFacts(tuple(reply["untrusted"]), tuple(reply["sklearn_versions"]))


_ERRORS: dict[str, type[SlipwayError]] = {
    cls.__name__: cls
    for cls in (
        model_files.ArtifactLimitError,
        model_files.MalformedArtifactError,
        model_files.UnsafeArtifactError,
        model_files.IncompatibleArtifactError,
        InvalidArgumentError,
        InspectionLimitError,
    )
}


# --- the child ---------------------------------------------------------------------------------


def _address_space() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _answer(request: dict[str, Any], limits: ArchiveLimits) -> dict[str, Any]:
    try:
        facts = model_files.inspect_model_file(
            Path(request["path"]),
            request["format"],
            allow_pickle=bool(request.get("allow_pickle")),
            limits=limits,
        )
    except SlipwayError as exc:
        kind = type(exc).__name__ if type(exc).__name__ in _ERRORS else "MalformedArtifactError"
        return {
            "error": {
                "kind": kind,
                "message": str(exc),
                "reason": exc.reason,
                "metadata": exc.metadata,
            }
        }
    return {"untrusted": list(facts.untrusted), "sklearn_versions": list(facts.sklearn_versions)}


def _serve(conn: Connection, limits: ArchiveLimits, memory_bytes: int, seconds: float) -> None:
    """The helper: forks a fresh child per request and answers with what the child said."""
    try:
        conn.send("ready")
        while True:
            request = conn.recv()
            conn.send(_in_child(request, limits, memory_bytes, seconds))
    except (EOFError, OSError):
        return  # the registry closed the pipe: it stopped, or gave up on this helper


def _in_child(
    request: dict[str, Any], limits: ArchiveLimits, memory_bytes: int, seconds: float
) -> dict[str, Any]:
    """``_answer`` in a child forked for this one request, killed after ``seconds``; a child
    that dies without answering ran out of memory."""
    reader, writer = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: it never returns
        try:
            reader.close()
            # The budget comes on top of what the helper's imports already mapped.
            limit = _address_space() + memory_bytes
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            writer.send(_answer(request, limits))
        finally:
            os._exit(0)  # no cleanup of the helper's state: the child only answers
    writer.close()
    try:
        if not reader.poll(seconds):
            return {"limit": "seconds"}
        try:
            reply: dict[str, Any] = reader.recv()
        except (EOFError, OSError):
            return {"limit": "memory_bytes"}
        return reply
    finally:
        reader.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
