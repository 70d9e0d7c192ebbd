"""What each RPC may answer with: the ErrorInfo reasons (and so status codes) it sends.

The reason catalogue (``slipway.core.reasons``) says what every reason means; this table says
which RPC sends which, so that a client team can see, per call, what to branch on
(``docs/rpcs.md`` is generated from it and the role table, ``python -m slipway.core.rpc_doc``).

The table is checked against what the servers really send: every error leaves a service through
the edge interceptors, which call :func:`note_sent`. When ``SLIPWAY_SENT_REASONS`` names a file
(the test suite sets it for every server it starts, in process or not: they inherit the
environment), each (method, code, reason) a process sends is appended there once, and the suite
compares them with this table at its end (``tests/conftest.py``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from slipway.core.reasons import Reason

__all__ = ["EDGE_REASONS", "RPC_REASONS", "SENT_ENV", "declared", "note_sent", "undeclared"]

SENT_ENV = "SLIPWAY_SENT_REASONS"

R = Reason

EDGE_REASONS: frozenset[Reason] = frozenset(
    {
        R.TOKEN_MISSING,
        R.TOKEN_MALFORMED,
        R.TOKEN_INVALID,
        R.ROLE_NOT_ALLOWED,
        R.INVALID_REQUEST_ENCODING,
        R.CONCURRENT_CHANGE,
        R.INTERNAL,
    }
)
"""Reasons any call can get from the edge, whatever the RPC: authentication and roles, a
request that does not decode, a lost race between two transactions, and a bug (INTERNAL)."""

RPC_REASONS: Mapping[str, frozenset[Reason]] = {}
"""``/package.Service/Method`` -> the reasons its own logic sends (beyond ``EDGE_REASONS``)."""

_noted: set[tuple[str, str, str]] = set()


def declared(method: str) -> frozenset[Reason]:
    """Every reason ``method`` may send."""
    return EDGE_REASONS | RPC_REASONS.get(method, frozenset())


def undeclared(sent: list[tuple[str, str, str]], methods: set[str]) -> list[tuple[str, str, str]]:
    """The (method, code, reason) of ``sent`` that the table does not declare, for the methods
    of Slipway's contract (``methods``; a test's probe services are not)."""
    return sorted(
        {(m, c, r) for m, c, r in sent if m in methods and r not in {str(x) for x in declared(m)}}
    )


def note_sent(method: str, code: str, reason: str) -> None:
    """Called by the edge for every error it sends; records it once per process when asked."""
    path = os.environ.get(SENT_ENV)
    key = (method, code, str(reason))
    if not path or key in _noted:
        return
    _noted.add(key)
    # One short line per write with O_APPEND: lines from many server processes do not mix.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, ("\t".join(key) + "\n").encode())
    finally:
        os.close(fd)
