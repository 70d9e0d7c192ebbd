"""Model files inspected in a child process with a memory and a time limit.

``model_files`` refuses a zip that would unpack beyond its ``ArchiveLimits`` before decompressing
anything, but reading a file still means parsing JSON and building skops' tree of it, which an
uploaded file controls. The registry therefore never reads an uploaded model itself: a child
process does, under ``RLIMIT_AS`` (its address space when it starts, plus ``memory_bytes``), and
is killed when one file takes longer than ``seconds``. A file that slips past the caps then costs
the child, never the registry; the next inspection starts a new child. Inspections run one at a
time, so the limit bounds their total too.

Children are forked from multiprocessing's fork server, which imports scikit-learn and skops once
per registry process: a new child starts in milliseconds, not in the seconds of those imports.
"""

from __future__ import annotations

import multiprocessing
import resource
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, ForkServerProcess
from pathlib import Path
from typing import Any

from slipway.core.errors import InvalidArgumentError, SlipwayError
from slipway.core.logs import get_logger
from slipway.core.reasons import Reason
from slipway.ml import model_files
from slipway.ml.model_files import ArchiveLimits, ModelFileFacts

__all__ = ["InspectionLimitError", "InspectionSandbox"]

_log = get_logger(__name__)
_START_SECONDS = 120.0  # the fork server's first start imports scikit-learn on a loaded machine


_CONTEXT: ForkServerContext | None = None


def _context() -> ForkServerContext:
    """The fork server, made to import scikit-learn and skops once. (The fork server is one per
    process: where another part of the process set its own preload first, children import these
    modules themselves, which is slower but the same.)"""
    global _CONTEXT
    if _CONTEXT is None:
        context = multiprocessing.get_context("forkserver")
        assert isinstance(context, ForkServerContext)
        context.set_forkserver_preload(["slipway.ml.model_files", "slipway.ml.inspection"])
        _CONTEXT = context
    return _CONTEXT


class InspectionLimitError(InvalidArgumentError):
    """Inspecting a model file took more memory or time than the sandbox allows."""

    default_reason = Reason.INSPECTION_LIMIT_EXCEEDED


class InspectionSandbox:
    """Runs ``model_files.inspect_model_file`` in a child process with a memory and time limit."""

    def __init__(self, *, limits: ArchiveLimits, memory_bytes: int, seconds: float) -> None:
        self._limits = limits
        self._memory_bytes = memory_bytes
        self._seconds = seconds
        self._lock = threading.Lock()
        self._child: tuple[ForkServerProcess, Connection] | None = None

    def inspect(self, path: Path, fmt: str, *, allow_pickle: bool = False) -> ModelFileFacts:
        """``inspect_model_file`` on ``path``, in the child; ``InspectionLimitError`` when the
        child runs out of memory or time (it is then replaced)."""
        with self._lock:
            _process, conn = self._started()
            started = time.monotonic()
            try:
                conn.send({"path": str(path), "format": fmt, "allow_pickle": allow_pickle})
                if not conn.poll(self._seconds):
                    raise TimeoutError
                reply: dict[str, Any] = conn.recv()
            except (OSError, TimeoutError, EOFError) as exc:
                self._stop()
                timed_out = isinstance(exc, TimeoutError)
                _log.warning(
                    "model file inspection exceeded its limits",
                    path=str(path),
                    seconds=round(time.monotonic() - started, 3),
                    timed_out=timed_out,
                )
                raise InspectionLimitError(
                    "the model file is refused: inspecting it took more than "
                    + (f"{self._seconds:g} seconds" if timed_out else "the memory it may use"),
                    metadata={"limit": "seconds" if timed_out else "memory_bytes"},
                ) from None
        return _facts(reply)

    def start(self) -> None:
        """Start the child in the background: the fork server's first start imports
        scikit-learn, which the first upload should not wait for."""
        threading.Thread(target=self._warm, name="inspection-start", daemon=True).start()

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _warm(self) -> None:
        try:
            with self._lock:
                self._started()
        except Exception as exc:  # the first inspection tries again, and reports
            _log.warning("the model inspection process did not start", error=repr(exc))

    def _started(self) -> tuple[ForkServerProcess, Connection]:
        if self._child is not None and self._child[0].is_alive():
            return self._child
        self._stop()
        context = _context()
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_serve,
            args=(theirs, self._limits, self._memory_bytes),
            name="slipway-model-inspection",
            daemon=True,
        )
        process.start()
        theirs.close()
        try:
            if not ours.poll(_START_SECONDS):
                raise EOFError
            ours.recv()  # "ready": its memory limit is set
        except (EOFError, OSError):
            process.kill()
            process.join()
            ours.close()
            raise RuntimeError("the model inspection process did not start") from None
        self._child = (process, ours)
        return self._child

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            process, conn = child
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


def _serve(conn: Connection, limits: ArchiveLimits, memory_bytes: int) -> None:
    # The budget comes on top of what the fork server's imports already mapped.
    limit = _address_space() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        conn.send("ready")
        while True:
            request = conn.recv()
            try:
                reply = _answer(request, limits)
            except MemoryError:
                return  # the parent sees the pipe close and refuses the file
            conn.send(reply)
    except (EOFError, OSError):
        return  # the registry closed the pipe: it stopped, or gave up on this child
