"""Calls refused at the edge, counted per caller, method and time window rather than written one
by one.

A refused call (no token, a bad token, a role that may not call the method) costs its caller
nothing, so one audit event per refusal with the caller's own text let anyone who can reach the
port grow the audit log without limit (35 MB in 9 s) and hold the chain head against real writes.
Refusals are counted instead, per key:

- who: an authenticated principal by name; a caller without a valid token by the IP address it
  called from (its port left out, so each new connection is not a new key);
- the method, and the status and catalogue reason of the refusal;
- for an authenticated principal only, the resource named by the request, cut to
  :data:`RESOURCE_CHARS` characters with control characters escaped. Nothing else a caller sent
  (its ``reason``, its request id, for an anonymous caller even the resource) is kept.

The same holds for a change the domain refuses an authenticated caller (:data:`REFUSED_KINDS`: a
rule of who may do what, such as a developer moving a protected alias, or a request that is not
well formed): it too costs the caller nothing and changed nothing, so it is counted under the
same key, with the resource the domain named. A change that an allowed caller's well-formed
request attempted and the state refused (a precondition, a conflict, a missing resource) is a
record of its own and stays one event per call.

Each key's count, with the times of its first and last refusal, becomes one audit event when its
window closes. A window holds at most ``max_keys`` keys; refusals beyond them are folded into
one aggregate per window, :data:`OTHERS`, with their count. So whatever callers send, a process
writes at most ``max_keys + 1`` events of bounded size per window, and holds as many counters.

Plain Python, no gRPC and no database: the edge feeds it (see ``recorder.DatabaseEdgeAuditor``)
and writes what it hands back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slipway.core.errors import ErrorKind

REFUSED_KINDS = frozenset(
    {ErrorKind.UNAUTHENTICATED, ErrorKind.PERMISSION_DENIED, ErrorKind.INVALID_ARGUMENT}
)
"""Failures of a change that are counted as refusals rather than written one by one: who the
caller is or what it sent was refused, before anything was attempted against the state."""

RESOURCE_CHARS = 256
PEER_CHARS = 64
OTHERS = "(others)"  # the principal of the aggregate that holds the refusals beyond the cap
_CUT = "…"


def visible(text: str, limit: int) -> str:
    """``text`` with control and format characters escaped (``\\x1b``), at most ``limit``
    characters long (a cut one ends with an ellipsis): safe to store and to show."""
    if not text.isprintable():
        text = "".join(
            c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
        )
    return text if len(text) <= limit else text[: limit - len(_CUT)] + _CUT


def peer_host(peer: str) -> str:
    """The address a gRPC peer string names, without its port: ``ipv4:10.1.2.3:5123`` ->
    ``10.1.2.3``, ``ipv6:[::1]:5123`` (or ``ipv6:%5B::1%5D:5123``) -> ``::1``, ``unix:/x`` ->
    ``unix``. Unknown shapes are kept, bounded, so they still fold into one key per text."""
    scheme, _, rest = peer.partition(":")
    if scheme == "ipv4":
        return visible(rest.rpartition(":")[0] or rest, PEER_CHARS)
    if scheme == "ipv6":
        rest = rest.replace("%5B", "[").replace("%5D", "]")
        host = rest.rpartition("]")[0].lstrip("[") if "]" in rest else rest
        return visible(host, PEER_CHARS)
    if scheme in ("unix", "unix-abstract"):
        return scheme
    return visible(peer, PEER_CHARS)


@dataclass(frozen=True)
class RefusalKey:
    """What refusals are counted by. ``principal`` is ``anonymous`` for a caller without a valid
    token, who is then told apart by ``peer``; ``resource`` is empty for such a caller."""

    principal: str
    roles: tuple[str, ...]
    peer: str
    method: str
    status_code: str
    error_reason: str
    resource: str


@dataclass
class RefusalCount:
    """How often a key was refused within one window, and when first and last."""

    key: RefusalKey
    count: int
    first: datetime
    last: datetime


@dataclass
class RefusalWindow:
    """The counts of one window: one per key, and the ``folded`` refusals of keys beyond the
    cap, with the times of the first and last of them."""

    start: datetime
    seconds: float
    counts: dict[RefusalKey, RefusalCount] = field(default_factory=dict)
    folded: int = 0
    folded_first: datetime | None = None
    folded_last: datetime | None = None

    @property
    def total(self) -> int:
        return sum(c.count for c in self.counts.values()) + self.folded


def _now() -> datetime:
    return datetime.now(UTC)


class RefusalCounter:
    """Counts refusals per key in windows aligned to the clock (``window_seconds`` apart, so a
    60 s window is a minute) and hands closed windows over to be written.

    Not thread-safe: the edge calls it from the event loop only.
    """

    def __init__(
        self,
        window_seconds: float,
        max_keys: int,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        if window_seconds <= 0 or max_keys < 1:
            raise ValueError("window_seconds must be positive and max_keys at least 1")
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self._clock = clock
        self._windows: dict[int, RefusalWindow] = {}  # by window index since the epoch

    def _index(self, at: datetime) -> int:
        return math.floor(at.timestamp() / self.window_seconds)

    def add(self, key: RefusalKey) -> None:
        """Count one refusal of ``key`` now."""
        at = self._clock()
        index = self._index(at)
        window = self._windows.get(index)
        if window is None:
            start = datetime.fromtimestamp(index * self.window_seconds, UTC)
            window = self._windows[index] = RefusalWindow(start, self.window_seconds)
        count = window.counts.get(key)
        if count is not None:
            count.count += 1
            count.last = at
        elif len(window.counts) < self.max_keys:
            window.counts[key] = RefusalCount(key, 1, at, at)
        else:
            window.folded += 1
            window.folded_first = window.folded_first or at
            window.folded_last = at

    @property
    def pending(self) -> int:
        """Refusals counted and not yet handed over."""
        return sum(w.total for w in self._windows.values())

    def next_close(self) -> datetime | None:
        """When the oldest open window closes; None when nothing is counted."""
        if not self._windows:
            return None
        return datetime.fromtimestamp((min(self._windows) + 1) * self.window_seconds, UTC)

    def closed(self) -> list[RefusalWindow]:
        """Take the windows that have ended, oldest first."""
        current = self._index(self._clock())
        ended = sorted(i for i in self._windows if i < current)
        return [self._windows.pop(i) for i in ended]

    def drain(self) -> list[RefusalWindow]:
        """Take every window, the open one too (at shutdown)."""
        windows = [self._windows[i] for i in sorted(self._windows)]
        self._windows.clear()
        return windows
